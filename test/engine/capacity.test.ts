/**
 * `capacity` on emulator shards of known cost: one shard whose write costs 500 µs of shard time
 * serves 2000 writes/s, so the reported capacity at p99 ≤ 250 ms must lie within ±10 % of it; with
 * the cost doubled, the next "night" of the same history is flagged as a regression (exit 1).
 * A loader stalled by its machine (SIGSTOP/SIGCONT of its process) is the loader's lag, never the
 * cluster's limit. (The search's decisions are unit-tested in test/results/capacity.test.ts.)
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CapacityResult } from '../../src/results/capacity.js';
import type { RunResult } from '../../src/results/result.js';
import { startSim } from '../../src/sim/index.js';
import { runCli } from '../support/cli.js';
import { simHost } from '../support/sim-host.js';

// 4 s steps and a 10 % bracket: a few steps fewer, each long enough that a loaded machine's stalls
// are a small share of it; the ±10 % bracket asserted below is the acceptance, unchanged
const STEP = ['--duration', '4s', '--warmup', '1s', '--precision', '10%'];

async function capacityOn(writeUs: number, history: string, step = STEP, onSpawn?: (c: ChildProcess) => void): Promise<{ code: number | null; c: CapacityResult; stderr: string; stdout: string }> {
  const host = simHost();
  const sim = await startSim({ nodes: 1, shards: 1, host, costs: { writeUs, coordinatorUs: 0 } });
  try {
    const r = await runCli(['capacity', 'test/fixtures/engine/capacity.yaml', '--target', `${host}:9042`, '--history', history, '--json', '--out', 'results/test-capacity', ...step], { timeoutMs: 400_000, onSpawn });
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
    expect((c.bracket[1]! - c.bracket[0]!) / c.bracket[0]!).toBeLessThanOrEqual(0.1 + 1e-9);
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

  it('a loader its machine keeps stopping: the lag is the loader\'s, the cluster is judged on what it was sent', async () => {
    const history = mkdtempSync('results/test-capacity-history-');
    let timer: NodeJS.Timeout | undefined;
    // 50 ms of every 250 the loader process gets no CPU at all (every thread stopped), as on an
    // oversubscribed machine; the shard is at half its 2000 writes/s, far below its knee
    const stall = (child: ChildProcess): void => {
      const tick = (): void => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGSTOP');
        setTimeout(() => { child.kill('SIGCONT'); timer = setTimeout(tick, 200); }, 50);
      };
      timer = setTimeout(tick, 200);
    };
    try {
      const r = await capacityOn(500, history, ['--start', '1000', '--max-steps', '1', '--warmup', '1s', '--duration', '8s'], stall);
      expect(r.code, r.stderr).toBe(0);
      const [s] = r.c.steps;
      // the schedule was not kept, and the loader, not the cluster, is why
      expect(s.kept).toBe(false);
      expect(s).toMatchObject({ verdict: 'pass', judgedOn: 'service' });
      expect(s.bottleneck).toMatch(/^(loader|machine)$/);
      expect(s.loaderLagMs!).toBeGreaterThan(10);
      expect(r.c.capacityOpsPerSec).toBe(1000);
      expect(r.stderr).toMatch(/step 1: 1000 ops\/s → pass; p99 [\d.]+ ms \(service time: schedule lag p99 [\d.]+ ms was the loader's\)/);
    } finally {
      clearTimeout(timer);
    }
  }, 300_000);

  it('the other classes run beside every step at their profile rates', async () => {
    const host = simHost();
    const sim = await startSim({ nodes: 1, shards: 1, host, costs: { writeUs: 500, coordinatorUs: 0 } });
    try {
      const r = await runCli(['capacity', 'test/fixtures/engine/capacity-held.yaml', '--class', 'app', '--target', `${host}:9042`, '--max-steps', '2', '--json', '--out', 'results/test-capacity'], { timeoutMs: 300_000 });
      expect([0, 1], r.stderr).toContain(r.code);
      const c = JSON.parse(r.stdout) as CapacityResult;
      expect(c.class).toBe('app');
      expect(c.heldClasses).toEqual(['background']);
      expect(c.steps.map((s) => s.rateOpsPerSec)).toEqual([200, 400]);
      const result = JSON.parse(readFileSync(path.join(c.resultDir, 'result.json'), 'utf8')) as RunResult;
      for (const s of c.steps) {
        const ph = result.phases.find((p) => p.name === s.phase)!;
        expect(ph.classes.app.rate.target).toBe(s.rateOpsPerSec);
        expect(ph.classes.background.rate.target).toBe(150);
        // it really ran: 2 s at 150/s (the slots a stalled loader left unsent included)
        expect(ph.classes.background.rate.sent + ph.classes.background.rate.unsent!).toBe(300);
      }
    } finally {
      await sim.stop();
    }
  }, 300_000);

  it('bad input: an SLO that does not parse, a class that does not exist', async () => {
    for (const [args, re] of [[['--slo', 'p97<=3ms'], /--slo: expected a percentile/], [['--class', 'nope'], /--class: no class nope/]] as const) {
      const r = await runCli(['capacity', 'test/fixtures/engine/capacity.yaml', ...args]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(re);
    }
  });
});
