import { describe, expect, it } from 'vitest';
import { Writer } from '../../src/cql/buffer.js';
import { codecFor, deserialize, formatDecimal, parseDecimal, serialize, varintToBytes, bytesToVarint, UNSET, writeValue } from '../../src/cql/codecs.js';
import type { CqlType } from '../../src/cql/types.js';

const rt = (t: CqlType, v: unknown): unknown => deserialize(t, serialize(t, v));

describe('codecs round-trip', () => {
  it('integers at their limits', () => {
    expect(rt({ kind: 'int' }, -2147483648)).toBe(-2147483648);
    expect(rt({ kind: 'int' }, 2147483647)).toBe(2147483647);
    expect(rt({ kind: 'smallint' }, -32768)).toBe(-32768);
    expect(rt({ kind: 'tinyint' }, 127)).toBe(127);
    expect(rt({ kind: 'bigint' }, -(1n << 63n))).toBe(-(1n << 63n));
    expect(rt({ kind: 'bigint' }, (1n << 63n) - 1n)).toBe((1n << 63n) - 1n);
    expect(rt({ kind: 'counter' }, 42)).toBe(42n);
  });
  it('rejects out-of-range and wrong-typed values with the type named', () => {
    expect(() => serialize({ kind: 'int' }, 2147483648)).toThrow(/expected a int value/);
    expect(() => serialize({ kind: 'tinyint' }, 128)).toThrow(/tinyint/);
    expect(() => serialize({ kind: 'bigint' }, 1n << 63n)).toThrow(/bigint/);
    expect(() => serialize({ kind: 'text' }, 5)).toThrow(/text/);
    expect(() => serialize({ kind: 'uuid' }, 'nope')).toThrow(/uuid/);
    expect(() => serialize({ kind: 'timeuuid' }, '11111111-2222-4333-8444-555555555555')).toThrow(/version 1/);
  });
  it('floating point incl. NaN and infinities', () => {
    expect(rt({ kind: 'double' }, Number.NaN)).toBeNaN();
    expect(rt({ kind: 'double' }, Number.POSITIVE_INFINITY)).toBe(Infinity);
    expect(rt({ kind: 'double' }, -0)).toBe(-0);
    expect(rt({ kind: 'float' }, Number.NEGATIVE_INFINITY)).toBe(-Infinity);
    expect(rt({ kind: 'float' }, 1.5)).toBe(1.5);
  });
  it('text, ascii, blob, empty values', () => {
    expect(rt({ kind: 'text' }, 'kremówki 🦀')).toBe('kremówki 🦀');
    expect(rt({ kind: 'text' }, '')).toBe('');
    expect(rt({ kind: 'ascii' }, 'abc')).toBe('abc');
    expect(() => serialize({ kind: 'ascii' }, 'é')).toThrow(/ascii/);
    expect(rt({ kind: 'blob' }, Buffer.alloc(0))).toEqual(Buffer.alloc(0));
    expect(rt({ kind: 'blob' }, Buffer.from([0, 255, 1]))).toEqual(Buffer.from([0, 255, 1]));
  });
  it('varint is minimal two\'s complement like Java BigInteger', () => {
    expect(varintToBytes(0n)).toEqual(Buffer.from([0]));
    expect(varintToBytes(127n)).toEqual(Buffer.from([0x7f]));
    expect(varintToBytes(128n)).toEqual(Buffer.from([0x00, 0x80]));
    expect(varintToBytes(-1n)).toEqual(Buffer.from([0xff]));
    expect(varintToBytes(-128n)).toEqual(Buffer.from([0x80]));
    expect(varintToBytes(-129n)).toEqual(Buffer.from([0xff, 0x7f]));
    const big = 123456789012345678901234567890n;
    const b = varintToBytes(-big);
    expect(bytesToVarint(b, 0, b.length)).toBe(-big);
  });
  it('decimal keeps scale', () => {
    expect(parseDecimal('-123.4500')).toEqual({ unscaled: -1234500n, scale: 4 });
    expect(formatDecimal(parseDecimal('0.001'))).toBe('0.001');
    expect(formatDecimal(parseDecimal('1e3'))).toBe('1000');
    expect(rt({ kind: 'decimal' }, '3.14159')).toEqual({ unscaled: 314159n, scale: 5 });
  });
  it('dates, times, timestamps, durations', () => {
    expect(rt({ kind: 'date' }, '1970-01-01')).toBe(0);
    expect(rt({ kind: 'date' }, '2024-02-29')).toBe(19782);
    expect(rt({ kind: 'date' }, -1)).toBe(-1);
    expect(rt({ kind: 'time' }, '23:59:59.999999999')).toBe(86399999999999n);
    expect(() => serialize({ kind: 'time' }, 86400000000000n)).toThrow(/time/);
    const ts = new Date('2026-11-25T12:34:56.789Z');
    expect((rt({ kind: 'timestamp' }, ts) as Date).getTime()).toBe(ts.getTime());
    expect(rt({ kind: 'duration' }, { months: 14, days: -0, nanoseconds: 0n })).toEqual({ months: 14, days: 0, nanoseconds: 0n });
    expect(rt({ kind: 'duration' }, { months: -1, days: -2, nanoseconds: -3_000_000_000n })).toEqual({ months: -1, days: -2, nanoseconds: -3_000_000_000n });
    expect(() => serialize({ kind: 'duration' }, { months: 1, days: -1, nanoseconds: 0n })).toThrow(/sign/);
  });
  it('uuid, timeuuid, inet', () => {
    expect(rt({ kind: 'uuid' }, '11111111-2222-4333-8444-555555555555')).toBe('11111111-2222-4333-8444-555555555555');
    expect(rt({ kind: 'timeuuid' }, 'e3a4b1f0-cb0d-11ef-8000-000000000001')).toBe('e3a4b1f0-cb0d-11ef-8000-000000000001');
    expect(rt({ kind: 'inet' }, '10.0.0.1')).toBe('10.0.0.1');
    expect(rt({ kind: 'inet' }, '2001:db8::1')).toBe('2001:db8::1');
    expect(rt({ kind: 'inet' }, '::')).toBe('::');
  });
  it('nested collections, tuples and UDTs', () => {
    const t: CqlType = { kind: 'map', key: { kind: 'text' }, value: { kind: 'list', element: { kind: 'set', element: { kind: 'int' } }, frozen: true } };
    const v = new Map([['a', [[1, 2], [3]]], ['', []]]);
    expect(rt(t, v)).toEqual(v);
    const tup: CqlType = { kind: 'tuple', elements: [{ kind: 'int' }, { kind: 'text' }, { kind: 'bigint' }] };
    expect(rt(tup, [1, null, 5n])).toEqual([1, null, 5n]);
    const udt: CqlType = { kind: 'udt', keyspace: 'ks', name: 'addr', fields: [{ name: 'street', type: { kind: 'text' } }, { name: 'zip', type: { kind: 'int' } }] };
    expect(rt(udt, { street: 'Main' })).toEqual({ street: 'Main', zip: null });
    expect(() => serialize(udt, { nope: 1 })).toThrow(/unknown field/);
  });
  it('null and unset are written as -1 and -2', () => {
    const w = new Writer(16);
    writeValue(w, codecFor({ kind: 'int' }), null);
    writeValue(w, codecFor({ kind: 'int' }), UNSET);
    expect(w.toBuffer()).toEqual(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]));
  });
});
