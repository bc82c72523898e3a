/** Generators are pure functions of (seed, column, index) and produce codec-ready values. */
import { describe, expect, it } from 'vitest';
import { serialize } from '../../src/cql/codecs.js';
import { parseCqlType } from '../../src/profile/cql.js';
import { compileGenerator, defaultGenerator, GeneratorError, generatorName } from '../../src/profile/generators.js';
import type { GeneratorSpec } from '../../src/profile/types.js';

const show = (v: unknown): string =>
  JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x instanceof Map ? [...x] : x)) ?? String(v);

const SPECS: [string, GeneratorSpec, string][] = [
  ['uniform int', { kind: 'dist', dist: { kind: 'uniform', min: 0, max: 1000 } }, 'int'],
  ['gaussian double', { kind: 'dist', dist: { kind: 'gaussian', mean: 0, stddev: 1 } }, 'double'],
  ['zipf bigint', { kind: 'dist', dist: { kind: 'zipf', n: 1000, s: 1.2 } }, 'bigint'],
  ['text', { kind: 'text', length: { kind: 'uniform', min: 1, max: 40 } }, 'text'],
  ['blob', { kind: 'blob', size: { kind: 'uniform', min: 0, max: 64 } }, 'blob'],
  ['uuid', { kind: 'uuid' }, 'uuid'],
  ['timeuuid', { kind: 'timeuuid' }, 'timeuuid'],
  ['choice', { kind: 'choice', values: ['a', 'b', 'c'], weights: [1, 2, 3] }, 'text'],
  ['timestamp', { kind: 'dist', dist: { kind: 'uniform', min: 0, max: 1e12 } }, 'timestamp'],
  ['collection', { kind: 'collection', size: { kind: 'uniform', min: 0, max: 4 } }, 'map<text, int>'],
];

describe('generators are pure', () => {
  for (const [name, spec, type] of SPECS) {
    it(`${name}: same (seed, column, index) → same value, whatever the call order or instance`, () => {
      const a = compileGenerator(spec, type, 42, 't.c');
      const b = compileGenerator(spec, type, 42, 't.c');
      const idx = Array.from({ length: 2000 }, (_, i) => i * 7919 + (i % 3) * 2 ** 40);
      const forward = idx.map((i) => show(a(i)));
      const shuffled = [...idx].reverse().map((i) => show(b(i))).reverse();
      expect(shuffled).toEqual(forward);
      expect(idx.map((i) => show(a(i)))).toEqual(forward); // and again: no hidden state
      expect(show(a(BigInt(idx[5])))).toBe(forward[5]); // bigint and number indexes agree
    });
  }

  it('seed and column change the values', () => {
    const spec: GeneratorSpec = { kind: 'dist', dist: { kind: 'uniform', min: 0, max: 1e9 } };
    const v = (seed: number, col: string) => Array.from({ length: 100 }, (_, i) => compileGenerator(spec, 'bigint', seed, col)(i));
    expect(v(1, 't.a')).not.toEqual(v(2, 't.a'));
    expect(v(1, 't.a')).not.toEqual(v(1, 't.b'));
    expect(v(1, 't.a')).toEqual(v(1, 't.a'));
  });

  it('a view column is keyed like its base column', () => {
    expect(generatorName({ table: 'by_type', column: 'x', baseTable: 'events' })).toBe('events.x');
    expect(generatorName({ table: 'events', column: 'x' })).toBe('events.x');
  });

  it('now takes the intended start passed by the caller', () => {
    const g = compileGenerator({ kind: 'now' }, 'timestamp', 1, 't.ts');
    expect((g(0, 1_700_000_000_123) as Date).getTime()).toBe(1_700_000_000_123);
  });
});

describe('values match the codecs (src/cql/codecs.ts representations)', () => {
  const cases: [string, (v: unknown) => boolean][] = [
    ['int', (v) => typeof v === 'number' && Number.isInteger(v)],
    ['smallint', (v) => typeof v === 'number' && Math.abs(v as number) <= 32767],
    ['tinyint', (v) => typeof v === 'number' && Math.abs(v as number) <= 127],
    ['bigint', (v) => typeof v === 'bigint'],
    ['varint', (v) => typeof v === 'bigint'],
    ['counter', (v) => typeof v === 'bigint'],
    ['float', (v) => typeof v === 'number'],
    ['double', (v) => typeof v === 'number'],
    ['decimal', (v) => typeof v === 'object' && v !== null && typeof (v as { unscaled: unknown }).unscaled === 'bigint'],
    ['boolean', (v) => typeof v === 'boolean'],
    ['text', (v) => typeof v === 'string'],
    ['varchar', (v) => typeof v === 'string'],
    ['ascii', (v) => typeof v === 'string' && /^[\x00-\x7f]*$/.test(v as string)],
    ['blob', (v) => Buffer.isBuffer(v)],
    ['uuid', (v) => typeof v === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(v as string)],
    ['timeuuid', (v) => typeof v === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(v as string)],
    ['timestamp', (v) => v instanceof Date && !Number.isNaN(v.getTime())],
    ['date', (v) => typeof v === 'number' && Number.isInteger(v)],
    ['time', (v) => typeof v === 'bigint' && (v as bigint) >= 0n && (v as bigint) < 86_400_000_000_000n],
    ['inet', (v) => typeof v === 'string' && /^\d+\.\d+\.\d+\.\d+$/.test(v as string)],
    ['duration', (v) => typeof v === 'object' && v !== null && typeof (v as { nanoseconds: unknown }).nanoseconds === 'bigint'],
    ['list<int>', (v) => Array.isArray(v)],
    ['set<text>', (v) => Array.isArray(v)],
    ['frozen<map<text, bigint>>', (v) => v instanceof Map],
  ];
  for (const [type, check] of cases) {
    for (const isKey of [false, true]) {
      const spec = defaultGenerator(type, isKey);
      if (!spec) continue;
      it(`${type} (${isKey ? 'key' : 'default'}: ${spec.kind}) has the codec's JS type and encodes`, () => {
        const g = compileGenerator(spec, type, 7, `t.${type}`);
        const t = parseCqlType(type);
        const bad: string[] = [];
        for (let i = 0; i < 200; i++) {
          const v = g(i * 104729, 1_700_000_000_000);
          if (!check(v)) bad.push(show(v));
          serialize(t, v); // throws a ValueError if the codec refuses it
        }
        expect(bad).toEqual([]);
      });
    }
  }
});

describe('key generators never collide', () => {
  for (const type of ['uuid', 'timeuuid', 'text', 'blob', 'bigint', 'int', 'timestamp', 'inet']) {
    it(`${type}: 100k distinct indexes → 100k distinct values`, () => {
      const g = compileGenerator({ kind: 'key' }, type, 3, `t.${type}`);
      const seen = new Set<string>();
      for (let i = 0; i < 100_000; i++) {
        const v = g(i * 2_654_435_761 % 2 ** 40);
        seen.add(Buffer.isBuffer(v) ? v.toString('hex') : v instanceof Date ? String(v.getTime()) : String(v));
      }
      expect(seen.size).toBe(100_000);
    });
  }

  it('uuid (random layout) is still unique per index', () => {
    const g = compileGenerator({ kind: 'uuid' }, 'uuid', 3, 't.u');
    const seen = new Set<unknown>();
    for (let i = 0; i < 100_000; i++) seen.add(g(i));
    expect(seen.size).toBe(100_000);
  });

  it('timeuuid keys sort by time in index order', () => {
    const g = compileGenerator({ kind: 'key' }, 'timeuuid', 3, 't.u');
    const ticks = (u: string) => BigInt(`0x${u.slice(15, 18)}${u.slice(9, 13)}${u.slice(0, 8)}`);
    let unordered = 0;
    for (let i = 0; i < 1000; i++) if (!(ticks(g(i + 1) as string) > ticks(g(i) as string))) unordered++;
    expect(unordered).toBe(0);
  });
});

describe('literals and misfits', () => {
  it('fixed and choice literals take the column type', () => {
    expect(compileGenerator({ kind: 'fixed', value: 5 }, 'bigint', 1, 'c')(0)).toBe(5n);
    expect(compileGenerator({ kind: 'fixed', value: '2024-01-02T03:04:05Z' }, 'timestamp', 1, 'c')(0)).toEqual(new Date('2024-01-02T03:04:05Z'));
    expect(compileGenerator({ kind: 'fixed', value: '2024-01-02' }, 'date', 1, 'c')(0)).toBe(19724);
    expect(compileGenerator({ kind: 'fixed', value: '0x0aff' }, 'blob', 1, 'c')(0)).toEqual(Buffer.from([0x0a, 0xff]));
    expect(compileGenerator({ kind: 'fixed', value: { a: 1 } }, 'map<text, int>', 1, 'c')(0)).toEqual(new Map([['a', 1]]));
    expect(compileGenerator({ kind: 'choice', values: [1, 2] }, 'int', 1, 'c')(0)).toBeTypeOf('number');
  });

  it('a value that does not fit the type is a GeneratorError naming the type', () => {
    expect(() => compileGenerator({ kind: 'fixed', value: 'abc' }, 'int', 1, 'c')).toThrow(GeneratorError);
    expect(() => compileGenerator({ kind: 'fixed', value: 99999 }, 'smallint', 1, 'c')).toThrow(/smallint/);
    expect(() => compileGenerator({ kind: 'uuid' }, 'text', 1, 'c')).toThrow(/uuid generator on a text column/);
    expect(() => compileGenerator({ kind: 'text', length: { kind: 'fixed', value: 4 } }, 'int', 1, 'c')).toThrow(GeneratorError);
  });
});
