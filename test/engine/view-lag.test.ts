/**
 * View lag end to end: the built CLI runs a class with `view_lag:` against emulators whose view
 * updates land D ms after the base write's reply. Relations, not timings:
 *  - asynchronous view: view-lag p50 ≥ D (the emulator never applies an update early) — also
 *    when a second run rewrites the rows the first left in the view —, every
 *    sampled row is accounted for (seen + timeouts + unresolved = sampled), the sample is about
 *    `sample` × writes, and the polls are not the class's requests (rate, SLO, error ratio);
 *  - synchronous_updates = true: the row is there when the write is acknowledged, so view-lag
 *    p50 < D, far below the asynchronous one, and the insert's own service time p50 ≥ D (the
 *    base write waited for its view).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startSim } from '../../src/sim/index.js';
import { runCli } from '../support/cli.js';
import { simHost } from '../support/sim-host.js';

const D_MS = 40;
const SAMPLE = 0.25;

interface Op { count: number; errors: number; errorsByKind: Record<string, number>; response: { p50Ms: number }; service: { p50Ms: number } }
interface Cls {
  ops: Record<string, Op>;
  rate: { sent: number };
  slo: { checks: { op: string }[] };
  viewLag?: { sampled: number; seen: number; timeouts: number; unresolved: number; polls: number; pollErrors: number };
}

interface Run { cls: Cls; stdout: string; intervals: string; hlog: string }

/** Runs `profile` `times` times in a row against one emulator (later runs rewrite the same rows). */
async function runAgainst(profile: string, times = 1): Promise<Run[]> {
  const host = simHost();
  const sim = await startSim({ nodes: 1, shards: 2, host, viewDelayMs: D_MS, viewDelayPerPendingMs: 0 });
  const out: Run[] = [];
  try {
    for (let i = 0; i < times; i++) {
      const r = await runCli(['run', profile, '--target', `${host}:9042`, '--out', 'results/test-view-lag']);
      expect(r.code, r.stderr).toBe(0);
      const dir = /result: (.*)\/result\.json/.exec(r.stdout)![1];
      const result = JSON.parse(readFileSync(`${dir}/result.json`, 'utf8'));
      const cls = result.phases.find((p: { kind: string }) => p.kind === 'measure').classes.app as Cls;
      out.push({ cls, stdout: r.stdout, intervals: readFileSync(`${dir}/intervals.jsonl`, 'utf8'), hlog: readFileSync(`${dir}/app.hlog`, 'utf8') });
    }
    return out;
  } finally {
    await sim.stop();
  }
}

describe('view lag', () => {
  it('asynchronous view: lag p50 ≥ the view delay, every sample accounted for, the class untouched', async () => {
    const [{ cls, stdout, intervals, hlog }] = await runAgainst('test/fixtures/engine/view-lag.yaml');
    const insert = cls.ops.insert;
    const lag = cls.ops['view-lag'];
    const v = cls.viewLag!;
    expect(insert.errors).toBe(0);
    expect(lag).toBeDefined();
    expect(v).toBeDefined();
    // each sampled write reaches one view: seen, timed out, or still followed when the phase ended
    expect(v.seen + v.timeouts + v.unresolved).toBe(v.sampled);
    expect(lag.count).toBe(v.seen);
    expect(lag.errorsByKind['view-lag-timeout'] ?? 0).toBe(v.timeouts);
    expect(v.timeouts).toBe(0);
    expect(v.seen).toBeGreaterThan(50);
    // about sample × writes: within 5 standard deviations of the binomial
    const n = insert.count;
    expect(Math.abs(v.sampled - SAMPLE * n)).toBeLessThanOrEqual(5 * Math.sqrt(n * SAMPLE * (1 - SAMPLE)));
    // no row is visible before the update landed D ms after the write's reply
    expect(lag.response.p50Ms).toBeGreaterThanOrEqual(D_MS);
    // polls ran until the row was there: at least one per sample, and more while it was not
    expect(v.polls).toBeGreaterThan(v.seen);
    // not the class's requests: its rate counts its inserts only, its SLO checks only its ops
    expect(cls.rate.sent).toBe(insert.count + insert.errors);
    expect(cls.slo.checks.some((c) => c.op === 'view-lag')).toBe(false);
    // the table, the intervals and the hlog show it like any op
    expect(stdout).toMatch(/│ app\s+│ view-lag\s+│/);
    expect(stdout).toMatch(/view lag .*writes sampled/);
    expect(intervals).toContain('"view-lag"');
    expect(hlog).toContain('measure.view-lag');
  });

  it('a second run rewriting the same rows: the view row left by the first is not taken for the new write', async () => {
    const [, again] = await runAgainst('test/fixtures/engine/view-lag.yaml', 2);
    const v = again.cls.viewLag!;
    expect(v.seen).toBeGreaterThan(50);
    // the same keys and values are in the view already; only the new write's timestamp tells
    expect(again.cls.ops['view-lag'].response.p50Ms).toBeGreaterThanOrEqual(D_MS);
  });

  it('synchronous_updates = true: lag well below the delay, and the base write waited for its view', async () => {
    const [sync] = await runAgainst('test/fixtures/engine/view-lag-sync.yaml');
    const lag = sync.cls.ops['view-lag'];
    const v = sync.cls.viewLag!;
    expect(v.seen).toBeGreaterThan(50);
    expect(v.seen + v.timeouts + v.unresolved).toBe(v.sampled);
    // the row was there at the first poll: the lag is one read, not the delay
    expect(lag.response.p50Ms).toBeLessThan(D_MS / 2);
    expect(v.polls).toBeLessThan(v.seen * 1.5);
    // the insert's service time holds the view update
    expect(sync.cls.ops.insert.service.p50Ms).toBeGreaterThanOrEqual(D_MS);
  });
});
