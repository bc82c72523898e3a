/**
 * readResult: a real result directory (or its result.json) reads and validates; every bad input
 * is one ResultReadError line naming the file. And docs/schemas/result.schema.json is generated
 * from the zod schema the reader validates with (regenerate with
 * SB_UPDATE_SCHEMAS=1 npx vitest run test/results/read.test.ts).
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { resultJsonSchema } from '../../src/results/json-schema.js';
import { profileHash } from '../../src/results/profile-hash.js';
import { readResult, ResultReadError } from '../../src/results/read.js';
import { lognormal } from '../../src/results/synthetic.js';
import { writeSyntheticResult } from './synthetic-result.js';

const root = mkdtempSync(path.join(tmpdir(), 'sb-read-'));
const model = { parts: [{ weight: 1, dist: lognormal(2, 8) }], secondSigma: 0.05, secondPhi: 0.5 };
const good = writeSyntheticResult(root, { runId: 'good', seed: 1, seconds: 5, ratePerSec: 200, classes: { app: { read: { model } } } });

function readError(p: string): string {
  try {
    readResult(p);
  } catch (e) {
    expect(e).toBeInstanceOf(ResultReadError);
    return (e as Error).message;
  }
  throw new Error(`${p} was read`);
}

function variant(name: string, edit: (r: Record<string, unknown>) => unknown): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  const r = JSON.parse(readFileSync(path.join(good, 'result.json'), 'utf8')) as Record<string, unknown>;
  const out = edit(r);
  writeFileSync(path.join(dir, 'result.json'), typeof out === 'string' ? out : JSON.stringify(out ?? r));
  return dir;
}

describe('readResult', () => {
  it('reads a directory or its result.json, with the per-second histograms of each class', () => {
    const a = readResult(good);
    const b = readResult(path.join(good, 'result.json'));
    expect(a.result.runId).toBe('good');
    expect(b.dir).toBe(a.dir);
    const tags = a.hlog('app')!;
    expect(tags.get('measure.read.response')!.length).toBe(5);
    expect(tags.get('measure.read.response')!.reduce((s, iv) => s + iv.total, 0)).toBe(1000);
    expect(a.hlog('nope')).toBeNull();
    // no profileHash recorded: computed from the embedded profile
    expect(a.profileHashRecorded).toBe(false);
    expect(a.profileHash).toBe(profileHash(a.result.profile));
    expect(a.profileHash).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it.each([
    ['a missing directory', () => path.join(root, 'missing'), /missing: no such file or directory$/],
    ['a directory without result.json', () => { const d = path.join(root, 'empty'); mkdirSync(d, { recursive: true }); return d; }, /empty: no result\.json in this directory/],
    ['an ab directory', () => { const d = path.join(root, 'ab'); mkdirSync(d, { recursive: true }); writeFileSync(path.join(d, 'ab.json'), '{}'); return d; }, /an ab result .* name one of them, e\.g\. .*round1-shard-aware/],
    ['a corrupt result.json', () => variant('corrupt', () => '{"schema": "scylla-bench/result@1", "runId": '), /corrupt\/result\.json: not valid JSON \(/],
    ['not a result', () => variant('other', () => ({ hello: 1 })), /other\/result\.json: not a scylla-bench result \(no "schema" field\)/],
    ['another schema version', () => variant('v2', (r) => ({ ...r, schema: 'scylla-bench/result@2' })), /v2\/result\.json: result schema 'scylla-bench\/result@2' is not supported \(this scylla-bench reads scylla-bench\/result@1\)/],
    ['a field of the wrong type', () => variant('badfield', (r) => { ((r.phases as Record<string, unknown>[])[0]).durationMs = 'long'; return r; }), /badfield\/result\.json: phases\[0\]\.durationMs: /],
  ])('%s: one line naming the file', (_name, make, re) => {
    const msg = readError(make());
    expect(msg).toMatch(re);
    expect(msg).not.toContain('\n');
  });

  it('a corrupt .hlog: one line with file:line', () => {
    const dir = variant('badhlog', (r) => r);
    writeFileSync(path.join(dir, 'app.hlog'), '#[Histogram log format version 1.3]\nTag=measure.read.response,0.000,1.000,1.0,NOT-BASE64!!\n');
    const r = readResult(dir);
    expect(() => r.hlog('app')).toThrow(/badhlog\/app\.hlog:2: the histogram does not decode$/);
  });
});

describe('profileHash', () => {
  it('ignores where and how a profile ran, not what it runs', () => {
    const p = { name: 'x', file: '/a/x.yaml', seed: 1, workers: 2, target: { hosts: [{ host: 'a', port: 9042 }] }, phases: [{ kind: 'measure', durationMs: 1000, pos: { file: 'x', line: 3, col: 1 }, classes: [{ rateOpsPerSec: 100, slo: { p99Ms: 5 } }] }] };
    const moved = { ...p, file: '/b/x.yaml', seed: 2, workers: 8, target: { hosts: [{ host: 'b', port: 9042 }] }, phases: [{ ...p.phases[0], pos: { file: 'y', line: 9, col: 1 }, classes: [{ rateOpsPerSec: 100, slo: { p99Ms: 50 } }] }] };
    const faster = { ...p, phases: [{ ...p.phases[0], classes: [{ rateOpsPerSec: 200, slo: { p99Ms: 5 } }] }] };
    expect(profileHash(moved)).toBe(profileHash(p));
    expect(profileHash(faster)).not.toBe(profileHash(p));
    // key order does not matter
    expect(profileHash({ b: 1, a: 2 })).toBe(profileHash({ a: 2, b: 1 }));
  });
});

describe('docs/schemas/result.schema.json', () => {
  it('is generated from the reader’s zod schema', () => {
    const text = `${JSON.stringify(resultJsonSchema(), null, 2)}\n`;
    if (process.env.SB_UPDATE_SCHEMAS === '1') writeFileSync('docs/schemas/result.schema.json', text);
    expect(readFileSync('docs/schemas/result.schema.json', 'utf8')).toBe(text);
  });

  it('accepts what the reader accepts and rejects what it rejects (Ajv, an independent validator)', () => {
    const validate = new Ajv2020.default({ strict: false }).compile(resultJsonSchema());
    const r = JSON.parse(readFileSync(path.join(good, 'result.json'), 'utf8'));
    expect(validate(r), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...r, schema: 'scylla-bench/result@2' })).toBe(false);
    expect(validate({ ...r, phases: [{ ...r.phases[0], durationMs: 'long' }] })).toBe(false);
  });
});
