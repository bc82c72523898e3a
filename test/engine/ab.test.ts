/**
 * `scylla-bench ab` on an emulator whose cross-shard hop is expensive: interleaved rounds,
 * the --json contract, and a gain in the right direction with an interval around it.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startSim } from '../../src/sim/index.js';
import { runCli } from '../support/cli.js';
import { simHost } from '../support/sim-host.js';

describe('scylla-bench ab', () => {
  it('shard-aware vs token-aware: per-variant summaries and the gain with its 95% interval', async () => {
    const host = simHost();
    // a hop costs 2 ms of shard time: token-aware requests (3 in 4 misrouted) pay it
    const sim = await startSim({ nodes: 2, shards: 4, host, costs: { crossShardHopUs: 2000 } });
    try {
      const r = await runCli(['ab', 'test/fixtures/engine/ab.yaml', '--target', `${host}:9042`, '--rounds', '2', '--json', '--out', 'results/test-ab'], { timeoutMs: 180_000 });
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.vary).toBe('routing');
      expect(Object.keys(out.variants).sort()).toEqual(['shard-aware', 'token-aware']);
      const sa = out.variants['shard-aware'];
      const ta = out.variants['token-aware'];
      // each variant summary has the shape of run --json
      for (const v of [sa, ta]) {
        expect(v.classes.app.ops.get.count).toBeGreaterThan(0);
        expect(typeof v.classes.app.ops.get.p99Ms).toBe('number');
        expect(v.rounds).toHaveLength(2);
        expect(v.cpuUsPerOp).toBeGreaterThan(0);
      }
      expect(sa.classes.app.misrouteRatio).toBe(0);
      expect(ta.classes.app.misrouteRatio).toBeGreaterThan(0.6);
      const g = out.gain['token-aware'];
      expect(g.p50.ratio).toBeGreaterThan(1.5);
      expect(g.p99.method).toBe('t-rounds');
      expect(g.p99.low).not.toBeNull();
      expect(g.p99.high).toBeGreaterThanOrEqual(g.p99.low);
      expect(existsSync(`${out.resultDir}/ab.json`)).toBe(true);
      // interleaved: round 1 of both variants ran before round 2 of either
      expect(r.stderr.indexOf('round 1/2 token-aware')).toBeLessThan(r.stderr.indexOf('round 2/2 shard-aware'));
    } finally {
      await sim.stop();
    }
  });

  it('rejects unknown variants and --vary values with one line and exit 2', async () => {
    for (const args of [['--modes', 'shard-aware,warp'], ['--vary', 'moon'], ['--modes', 'shard-aware'], ['--rounds', '0']]) {
      const r = await runCli(['ab', 'test/fixtures/engine/ab.yaml', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});

describe('scylla-bench ab --vary service-levels', () => {
  it('runs the mix with and without its service levels and reports each class both ways', async () => {
    const host = simHost();
    // a scan costs 25 ms of shard time: the OLAP class alone keeps both shards queued
    const sim = await startSim({ nodes: 1, shards: 2, vnodesPerNode: 8, auth: true, host, costs: { scanUs: 25_000 } });
    try {
      const r = await runCli(['ab', 'test/fixtures/engine/sl-mix-on.yaml', '--vary', 'service-levels', '--rounds', '2', '--target', `${host}:9042`, '--json', '--out', 'results/test-ab'],
        { env: { SCYLLA_BENCH_USERNAME: 'cassandra', SCYLLA_BENCH_PASSWORD: 'cassandra' }, timeoutMs: 240_000 });
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.vary).toBe('service-levels');
      expect(Object.keys(out.variants).sort()).toEqual(['off', 'on']);
      expect(out.variants.on.classes.oltp.serviceLevel).toBe('oltp');
      expect(out.variants.off.classes.oltp.serviceLevel).toBeNull();
      // OLTP waits behind the scans without its level, not with it; OLAP keeps going both ways
      expect(out.classGain.oltp.p99.ratio).toBeGreaterThan(3);
      expect(out.classGain.oltp.p99.method).toBe('t-rounds');
      for (const v of ['on', 'off']) expect(out.variants[v].classes.olap.ops.scan.count).toBeGreaterThan(0);
    } finally {
      await sim.stop();
    }
  });
});
