/**
 * Issue 6 acceptance on the emulator: the engine creates the levels and one login role per class,
 * the emulator schedules each class under its level. Each run is a few seconds; the emulator
 * runs in this process (auth on, costs that make the shards the bottleneck) so the test can read
 * its per-level counters. Ratios are asserted with margin: the machine may be loaded.
 *
 * Needs `npm run build` (the CLI runs from dist/).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProfile } from '../../src/profile/index.js';
import type { OpResult, RunResult } from '../../src/results/result.js';
import { startSim, type SimOptions } from '../../src/sim/index.js';
import { servedByLevel } from '../../src/sim/qos.js';
import { runCli } from '../support/cli.js';
import { simHost } from '../support/sim-host.js';

const FIX = 'test/fixtures/engine';
const OUT = 'results/test-sl';
const ENV = { SCYLLA_BENCH_USERNAME: 'cassandra', SCYLLA_BENCH_PASSWORD: 'cassandra' };

/** Runs a fixture against a fresh emulator; returns the measure phase and the emulator's per-level totals. */
async function runOn(fixture: string, sim: SimOptions) {
  const host = simHost();
  const s = await startSim({ nodes: 1, shards: 2, vnodesPerNode: 8, auth: true, ...sim, host });
  try {
    const r = await runCli(['run', `${FIX}/${fixture}`, '--target', `${host}:9042`, '--json', '--out', OUT], { env: ENV });
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    const result = JSON.parse(readFileSync(path.join(summary.resultDir, 'result.json'), 'utf8')) as RunResult;
    const measure = result.phases.find((p) => p.kind === 'measure')!;
    return { summary, result, measure, served: servedByLevel(s.cluster), stderr: r.stderr };
  } finally {
    await s.stop();
  }
}

const ops = (m: { classes: Record<string, { ops: Record<string, OpResult> }> }, cls: string): OpResult[] => Object.values(m.classes[cls].ops);
const count = (m: Parameters<typeof ops>[0], cls: string): number => ops(m, cls).reduce((a, o) => a + o.count, 0);
const p99 = (m: Parameters<typeof ops>[0], cls: string): number => Math.max(...ops(m, cls).map((o) => o.response.p99Ms));
const errorsByKind = (m: Parameters<typeof ops>[0], cls: string): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const o of ops(m, cls)) for (const [k, n] of Object.entries(o.errorsByKind)) out[k] = (out[k] ?? 0) + n;
  return out;
};

describe('service levels on the emulator (issue 6 acceptance)', () => {
  it('OLTP p99 is at least 3x lower with service levels than without, and OLAP still makes progress', async () => {
    // a scan costs 25 ms of shard time: 8 in flight keep both shards queued
    const costs = { scanUs: 25_000 };
    const on = await runOn('sl-mix-on.yaml', { costs });
    const off = await runOn('sl-mix-off.yaml', { costs });
    // with levels each class logged in as its own role and ran under its level
    expect(on.result.serviceLevels?.applied).toBe(true);
    expect(on.summary.classes.oltp.serviceLevel).toBe('oltp');
    expect(on.served.oltp.requests).toBeGreaterThan(0);
    expect(on.served.analytics.requests).toBeGreaterThan(0);
    expect(off.served.oltp).toBeUndefined();
    const [pOn, pOff] = [p99(on.measure, 'oltp'), p99(off.measure, 'oltp')];
    console.log(`OLTP p99: ${pOn.toFixed(2)} ms with service levels, ${pOff.toFixed(2)} ms without (${(pOff / pOn).toFixed(1)}x); OLAP scans: ${count(on.measure, 'olap')} with, ${count(off.measure, 'olap')} without`);
    expect(pOff / pOn).toBeGreaterThanOrEqual(3);
    // OLTP is 200/s × 3 s either way; the scans keep most of the shards
    // (every intended start was sent and completed, or counted unsent when the window closed)
    expect(count(on.measure, 'oltp') + on.measure.classes.oltp.rate.unsent!).toBe(600);
    expect(count(on.measure, 'olap')).toBeGreaterThan(0.5 * count(off.measure, 'olap'));
    expect(count(on.measure, 'olap')).toBeGreaterThan(30);
    for (const run of [on, off]) for (const cls of ['oltp', 'olap']) expect(errorsByKind(run.measure, cls), cls).toEqual({});
  });

  it('two busy levels are served within 20% of their shares ratio', async () => {
    // every read costs 4 ms: 2 shards serve ~500 reads/s; 16 requests in flight per class keep
    // both levels queued on both shards even when the client is slow to send the next one
    const r = await runOn('sl-shares.yaml', { costs: { readUs: 4000 } });
    const ratio = r.served.hi.servedMs / r.served.lo.servedMs;
    const clientRatio = count(r.measure, 'hi') / count(r.measure, 'lo');
    console.log(`served shard time hi/lo = ${ratio.toFixed(2)} (requests ${r.served.hi.requests}/${r.served.lo.requests}, client-side ${clientRatio.toFixed(2)}), shares ratio 4`);
    expect(ratio).toBeGreaterThan(4 * 0.8);
    expect(ratio).toBeLessThan(4 * 1.2);
    expect(clientRatio).toBeGreaterThan(4 * 0.8);
    expect(clientRatio).toBeLessThan(4 * 1.2);
    // both shards were busy: together they served about all the time there was (2 shards × 4 s)
    expect(r.served.hi.servedMs + r.served.lo.servedMs).toBeGreaterThan(0.7 * 2 * 4000);
  });

  it('a class whose requests exceed its level\'s timeout sees timeouts counted for that class only', async () => {
    const r = await runOn('sl-timeouts.yaml', { shards: 1, costs: { readUs: 2000 } });
    const tight = errorsByKind(r.measure, 'tight');
    console.log(`tight: ${JSON.stringify(tight)} of ${count(r.measure, 'tight')}; roomy: ${JSON.stringify(errorsByKind(r.measure, 'roomy'))} of ${count(r.measure, 'roomy')}`);
    expect(tight['read-timeout']).toBeGreaterThan(0);
    expect(Object.keys(tight)).toEqual(['read-timeout']);
    expect(errorsByKind(r.measure, 'roomy')).toEqual({});
    expect(r.summary.classes.tight.serviceLevelTimeoutMs).toBe(20);
    // the summary counts them as errors of that class
    expect(r.summary.classes.tight.ops.get.errors).toBe(tight['read-timeout']);
    expect(r.summary.classes.roomy.ops.get.errors).toBe(0);
  });

  it('an interactive class under overload sees Overloaded errors counted as such, not as crashes', async () => {
    // capacity 500 reads/s, offered 1500/s
    const r = await runOn('sl-overload.yaml', { shards: 1, costs: { readUs: 2000 } });
    const kinds = errorsByKind(r.measure, 'hot');
    console.log(`hot: ${JSON.stringify(kinds)} of ${count(r.measure, 'hot')}; emulator shed ${r.served.web.shed}`);
    expect(r.summary.stopped).toBeNull();
    expect(Object.keys(kinds)).toEqual(['overloaded']);
    expect(kinds.overloaded).toBeGreaterThan(1000);
    expect(kinds.overloaded).toBe(r.served.web.shed);
    // what was admitted was served (counts are successes): about the shard's 500/s
    expect(count(r.measure, 'hot')).toBeGreaterThan(900);
    expect(count(r.measure, 'hot')).toBeLessThan(1700);
  });

  it('profiles/oltp-olap.yaml configures the emulator so the scans alone saturate the shards', async () => {
    const p = await loadProfile('profiles/oltp-olap.yaml');
    expect(p.target.sim.costs).toEqual({ scanUs: 2000, scanRowUs: 40 });
    expect(Object.keys(p.serviceLevels).sort()).toEqual(['analytics', 'oltp']);
  });
});
