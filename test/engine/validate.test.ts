/**
 * `run --validate` on the emulator: a clean run checks rows and finds nothing wrong; a fault that
 * serves flipped cells is counted as mismatches, one that drops writes at CL ONE as missing rows,
 * and either fails the run (exit 1, one line on stderr naming the counts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunResult, RunSummary } from '../../src/results/result.js';
import { startSim, type Sim } from '../../src/sim/index.js';
import type { FaultConfig } from '../../src/sim/faults.js';
import { runCli } from '../support/cli.js';
import { simHost } from '../support/sim-host.js';

const PROFILE = 'test/fixtures/validate/profile.yaml';
const OUT = 'results/test-validate';

let sim: Sim | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

async function runAgainstSim(faults: FaultConfig | undefined, extra: string[] = ['--validate'], profile = PROFILE): Promise<{ code: number | null; stderr: string; summary: RunSummary; result: RunResult }> {
  const host = simHost();
  sim = await startSim({ nodes: 2, shards: 2, host, ...(faults ? { faults } : {}) });
  const r = await runCli(['run', profile, '--target', `${host}:9042`, '--json', '--out', OUT, ...extra]);
  expect(r.stdout, r.stderr).not.toBe('');
  const summary = JSON.parse(r.stdout) as RunSummary;
  const result = JSON.parse(readFileSync(path.join(summary.resultDir, 'result.json'), 'utf8')) as RunResult;
  return { code: r.code, stderr: r.stderr, summary, result };
}

const measureOps = (r: RunResult) => r.phases.find((p) => p.kind === 'measure')!.classes.reader.ops;

describe('run --validate', () => {
  it('a clean run: every read checked, nothing differs, nothing missing; the result says so', async () => {
    const { code, stderr, summary, result } = await runAgainstSim(undefined);
    expect(code, stderr).toBe(0);
    const ops = measureOps(result);
    for (const op of ['get', 'ts_row', 'ts_part']) {
      expect(ops[op].validation, op).toBeDefined();
      expect(ops[op].validation!.checked, op).toBeGreaterThan(0);
      expect(ops[op].validation!.mismatch, op).toBe(0);
      expect(ops[op].validation!.missing, op).toBe(0);
    }
    // every row loaded before the reads began: each point read found and checked its row
    expect(ops.get.validation!.checked).toBe(ops.get.count);
    expect(ops.ts_row.validation!.checked).toBe(ops.ts_row.count);
    // a partition read checks each of its 20 rows
    expect(ops.ts_part.validation!.checked).toBe(ops.ts_part.count * 20);
    expect(ops.ts_part.rows).toBe(ops.ts_part.count * 20);
    // writes are not validated (they mark rows)
    expect(result.phases.find((p) => p.name === 'load-kv')!.classes.kv_loader.ops.put.validation).toBeUndefined();
    expect(summary.validation).toMatchObject({ mismatch: 0, missing: 0 });
    expect(summary.validation!.checked).toBe(ops.get.validation!.checked + ops.ts_row.validation!.checked + ops.ts_part.validation!.checked);
    expect(summary.warnings.filter((w) => w.includes('--validate'))).toEqual([]);
    const validate = new Ajv2020.default({ strict: false }).compile(JSON.parse(readFileSync('docs/schemas/result.schema.json', 'utf8')));
    expect(validate(result), JSON.stringify(validate.errors)).toBe(true);
  });

  it('without --validate nothing is checked and the result has no validation figures', async () => {
    const { code, summary, result } = await runAgainstSim({ corrupt: { rate: 1 } }, []);
    // a corrupting target goes unnoticed: that is what --validate is for
    expect(code).toBe(0);
    expect(summary.validation).toBeNull();
    for (const o of Object.values(measureOps(result))) expect(o.validation).toBeUndefined();
  });

  it('a target serving flipped cells: mismatches counted for the corrupted table only, exit 1', async () => {
    const { code, stderr, summary, result } = await runAgainstSim({ corrupt: { rate: 0.3, table: 'sb_validate.kv' } });
    expect(code).toBe(1);
    const ops = measureOps(result);
    expect(ops.get.validation!.mismatch).toBeGreaterThan(0);
    expect(ops.get.validation!.mismatch).toBeLessThan(ops.get.validation!.checked);
    expect(ops.get.validation!.missing).toBe(0);
    expect(ops.ts_row.validation!.mismatch).toBe(0);
    expect(ops.ts_part.validation!.mismatch).toBe(0);
    // the emulator's own count of corrupted replies is what the loader found
    const served = (sim!.faults.state() as { dataFaultCounts?: { corruptedReads: number } }).dataFaultCounts!.corruptedReads;
    expect(ops.get.validation!.mismatch).toBe(served);
    expect(stderr).toMatch(new RegExp(`--validate: ${summary.validation!.mismatch} mismatch, 0 missing of \\d+ rows checked`));
    expect(summary.warnings.some((w) => w.startsWith('--validate:') && w.includes('reader/get'))).toBe(true);
  });

  it('one column corrupted: the rows whose cell of that column was flipped', async () => {
    const { code, result } = await runAgainstSim({ corrupt: { rate: 1, table: 'ts', column: 'v' } });
    expect(code).toBe(1);
    const ops = measureOps(result);
    expect(ops.ts_row.validation!.mismatch).toBe(ops.ts_row.validation!.checked);
    expect(ops.ts_part.validation!.mismatch).toBe(ops.ts_part.validation!.checked);
    expect(ops.get.validation!.mismatch).toBe(0);
  });

  it('a replica that acknowledges writes at CL ONE and drops some: missing rows counted, exit 1', async () => {
    const { code, stderr, summary, result } = await runAgainstSim({ loseWrites: { rate: 0.1 } });
    expect(code).toBe(1);
    const ops = measureOps(result);
    const lost = (sim!.faults.state() as { dataFaultCounts?: { lostWrites: number } }).dataFaultCounts!.lostWrites;
    expect(lost).toBeGreaterThan(0);
    expect(ops.get.validation!.missing).toBeGreaterThan(0);
    expect(ops.ts_row.validation!.missing).toBeGreaterThan(0);
    // a lost row is missing, never a mismatch; every read that found its row checked it
    for (const op of ['get', 'ts_row']) {
      expect(ops[op].validation!.mismatch, op).toBe(0);
      expect(ops[op].validation!.checked + ops[op].validation!.missing, op).toBe(ops[op].count);
    }
    expect(stderr).toMatch(new RegExp(`--validate: 0 mismatch, ${summary.validation!.missing} missing`));
  });

  it('deletes, an update that leaves a column out, a TTL: rows the run wrote are found and nothing is flagged', async () => {
    const { code, stderr, summary, result } = await runAgainstSim(undefined, ['--validate'], 'test/fixtures/validate/mixed.yaml');
    expect(code, stderr).toBe(0);
    const get = measureOps(result).mx_get;
    expect(get.validation!.mismatch).toBe(0);
    expect(get.validation!.missing).toBe(0);
    // the updated rows (about half of 600, read uniformly over 1000) come back with n null and
    // are checked; deleted and never-written ones come back empty and are not judged
    expect(get.validation!.checked).toBeGreaterThan(0);
    expect(get.validation!.checked).toBeLessThan(get.count);
    expect(get.validation!.checked).toBe(get.rows);
    expect(summary.validation).toMatchObject({ mismatch: 0, missing: 0 });
  });
});
