/**
 * `capacity` on emulator shards of known cost: one shard whose write costs 500 µs of shard time
 * serves 2000 writes/s, so the reported capacity at p99 ≤ 100 ms must lie within ±10 % of it; with
 * the cost doubled, the next "night" of the same history is flagged as a regression (exit 1).
 * (The search's decisions — a loader limit is never the cluster's capacity — are unit-tested in
 * test/results/capacity.test.ts.)
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CapacityResult } from '../../src/results/capacity.js';
import type { RunResult } from '../../src/results/result.js';
import { startSim } from '../../src/sim/index.js';
import { runCli } from '../support/cli.js';
import { simHost } from '../support/sim-host.js';

async function capacityOn(writeUs: number, history: string, extra: string[] = []): Promise<{ code: number | null; c: CapacityResult; stderr: string; stdout: string }> {
  const host = simHost();
  const sim = await startSim({ nodes: 1, shards: 1, host, costs: { writeUs, coordinatorUs: 0 } });
  try {
    const r = await runCli(['capacity', 'test/fixtures/engine/capacity.yaml', '--target', `${host}:9042`, '--history', history, '--json', '--out', 'results/test-capacity', ...extra], { timeoutMs: 400_000 });
    return { code: r.code, c: JSON.parse(r.stdout) as CapacityResult, stderr: r.stderr, stdout: r.stdout };
  } finally {
    await sim.stop();
  }
}

describe('capacity', () => {
  it('finds the modelled capacity within ±10 %, and flags the night it halves', async () => {
    const history = mkdtempSync('results/test-capacity-history-');
    const night1 = await capacityOn(500, history);
    expect(night1.code, night1.stderr).toBe(0);
    const c = night1.c;
    expect(c.schema).toBe('scylla-bench/capacity@1');
    expect(c.limitedBy).toBe('cluster');
    expect(c.capacityOpsPerSec!).toBeGreaterThanOrEqual(1800);
    expect(c.capacityOpsPerSec!).toBeLessThanOrEqual(2200);
    // the bracket is the search's precision around it, and a failing step names why
    expect((c.bracket[1]! - c.bracket[0]!) / c.bracket[0]!).toBeLessThanOrEqual(0.05 + 1e-9);
    expect(c.stoppedBy?.verdict).toMatch(/^(slo|not-kept)$/);
    expect(c.trend).toBeNull();
    // every step is a measure phase of one result, on the same workers (one schema phase, no reload)
    const result = JSON.parse(readFileSync(path.join(c.resultDir, 'result.json'), 'utf8')) as RunResult;
    expect(result.phases.filter((p) => p.kind === 'schema')).toHaveLength(1);
    expect(result.phases.filter((p) => p.kind === 'measure').map((p) => p.name)).toEqual(c.steps.map((s) => `step${s.step}-measure`));
    // the knee: p99 leaves its floor at or before the first failing rate
    expect(c.knee).not.toBeNull();
    expect(c.knee!.rateOpsPerSec).toBeLessThanOrEqual(c.bracket[1]!);

    const night2 = await capacityOn(1000, history);
    expect(night2.code, night2.stderr).toBe(1);
    expect(night2.c.capacityOpsPerSec!).toBeLessThanOrEqual(1100);
    expect(night2.c.trend?.regressed).toBe(true);
    expect(night2.stderr).toMatch(/REGRESSED: previous night/);
    const lines = readFileSync(path.join(history, 'capacity-history.jsonl'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
  }, 900_000);

  it('bad input: an SLO that does not parse, a class that does not exist', async () => {
    for (const [args, re] of [[['--slo', 'p97<=3ms'], /--slo: expected a percentile/], [['--class', 'nope'], /--class: no class nope/]] as const) {
      const r = await runCli(['capacity', 'test/fixtures/engine/capacity.yaml', ...args]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(re);
    }
  });
});
