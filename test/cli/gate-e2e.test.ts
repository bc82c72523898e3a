/**
 * compare and gate on real runs: the engine against the built-in emulator, results written by
 * `run`, judged by `gate` — A/A (two runs against the same emulator) passes, A/B (the candidate's
 * emulator adds 5 ms to every read) fails with exit 1 on the read op only, and the figures
 * `compare` prints are the ones result.json holds.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim } from '../../src/sim/index.js';
import { runCli } from '../support/cli.js';
import { simHost } from '../support/sim-host.js';

const PROFILE = 'test/fixtures/results/gate-kv.yaml';
const RULES = 'test/fixtures/results/gate-e2e.yaml';
const OUT = 'results/test-gate-e2e';

async function runOn(host: string): Promise<string> {
  const r = await runCli(['run', PROFILE, '--target', `${host}:9042`, '--json', '--out', OUT]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout).resultDir as string;
}

describe('gate on real runs (emulator)', () => {
  let baseline = '';
  let aa = '';
  let ab = '';
  const stops: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    const plain = await startSim({ nodes: 1, shards: 2, host: simHost(), capacity: false });
    stops.push(() => plain.stop());
    const slowReads = await startSim({ nodes: 1, shards: 2, host: simHost(), capacity: false, faults: { latencyMs: { read: 5 } } });
    stops.push(() => slowReads.stop());
    baseline = await runOn(plain.nodes[0].host);
    aa = await runOn(plain.nodes[0].host);
    ab = await runOn(slowReads.nodes[0].host);
  }, 400_000);

  afterAll(async () => { for (const s of stops) await s(); });

  it('compare reports the figures of result.json, each inside its interval', async () => {
    const r = await runCli(['compare', baseline, aa, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const c = JSON.parse(r.stdout);
    const b = JSON.parse(readFileSync(path.join(baseline, 'result.json'), 'utf8'));
    const measure = b.phases.find((p: { kind: string }) => p.kind === 'measure');
    expect(c.ops.map((o: { op: string }) => o.op).sort()).toEqual(['get', 'put']);
    for (const o of c.ops) {
      const res = measure.classes.app.ops[o.op];
      expect(o.latency).toBe('response');
      expect(o.metrics.p50.baseline).toBe(res.response.p50Ms);
      expect(o.metrics.p99.baseline).toBe(res.response.p99Ms);
      expect(o.metrics.throughput.baseline).toBeCloseTo((res.count + res.errors) / (measure.durationMs / 1000), 9);
      for (const m of Object.values(o.metrics) as { change: number; low: number | null; high: number | null }[]) {
        if (m.low !== null) {
          expect(m.low).toBeLessThanOrEqual(m.change);
          expect(m.high).toBeGreaterThanOrEqual(m.change);
        }
      }
      // the maximum never has an interval (extremes do not average)
      expect(o.metrics.max.low).toBeNull();
    }
  });

  it('A/A passes; a run gated against itself passes with every ratio exactly 1', async () => {
    const self = await runCli(['gate', baseline, '--baseline', baseline, '--rules', RULES, '--json']);
    expect(self.code, self.stderr).toBe(0);
    for (const o of JSON.parse(self.stdout).outcomes) expect(o.comparison.change).toBe(1);
    const r = await runCli(['gate', aa, '--baseline', baseline, '--rules', RULES]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it('A/B with +5 ms on reads fails with exit 1 on get p50, put passes', async () => {
    const r = await runCli(['gate', ab, '--baseline', baseline, '--rules', RULES, '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const j = JSON.parse(r.stdout);
    const verdicts = Object.fromEntries(j.outcomes.map((o: { op: string; rule: string; verdict: string }) => [`${o.op} ${o.rule}`, o.verdict]));
    expect(verdicts).toEqual({ 'put p50: +50%': 'pass', 'put throughput: -5%': 'pass', 'get p50: +50%': 'fail', 'get throughput: -5%': 'pass' });
    const get = j.outcomes.find((o: { op: string; metric: string }) => o.op === 'get' && o.metric === 'p50').comparison;
    expect(get.candidate - get.baseline).toBeGreaterThan(3);
  });
});

describe('run --baseline: run then gate in one step', () => {
  it('a baseline that cannot be read stops before the run (exit 2, one line)', async () => {
    const r = await runCli(['run', PROFILE, '--target', `sim:${simHost()}`, '--baseline', 'results/no-such-baseline']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
    expect(r.stderr).toContain('no-such-baseline');
    expect(r.stdout).not.toMatch(/phase measure/);
  });

  it('--rules without --baseline is refused', async () => {
    const r = await runCli(['run', PROFILE, '--rules', RULES]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--rules: only goes with --baseline/);
  });

  it('the same emulator passes; +5 ms on reads fails with exit 1 and the gate report', async () => {
    const plain = await startSim({ nodes: 1, shards: 2, host: simHost(), capacity: false });
    const slow = await startSim({ nodes: 1, shards: 2, host: simHost(), capacity: false, faults: { latencyMs: { read: 5 } } });
    try {
      const base = await runCli(['run', PROFILE, '--target', `${plain.nodes[0].host}:9042`, '--json', '--out', OUT]);
      expect(base.code, base.stderr).toBe(0);
      const baseDir = JSON.parse(base.stdout).resultDir as string;
      const aa = await runCli(['run', PROFILE, '--target', `${plain.nodes[0].host}:9042`, '--baseline', baseDir, '--rules', RULES, '--out', OUT]);
      expect(aa.code, aa.stdout + aa.stderr).toBe(0);
      expect(aa.stdout).toMatch(/gate: pass/);
      const ab = await runCli(['run', PROFILE, '--target', `${slow.nodes[0].host}:9042`, '--baseline', baseDir, '--rules', RULES, '--json', '--out', OUT]);
      expect(ab.code, ab.stdout + ab.stderr).toBe(1);
      // --json keeps stdout for the run summary; the gate's report goes to stderr
      expect(JSON.parse(ab.stdout).stopped).toBeNull();
      expect(ab.stderr).toMatch(/FAIL {2}app\.get {2}p50: \+50%/);
    } finally {
      await plain.stop();
      await slow.stop();
    }
  }, 300_000);
});
