/**
 * Routing on a 3-node × 4-shard emulator: shard-aware sends every request to its owner shard
 * (misroute 0, and the emulator counts no cross-shard hop); token-aware reaches the right node
 * but a random shard (misroute ≈ 3/4), and the client's misroute count equals the emulator's
 * hop count. The pool covers every shard through the shard-aware port.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NodePool } from '../../src/routing/pool.js';
import { startSim } from '../../src/sim/index.js';
import { runCli } from '../support/cli.js';
import { simHost } from '../support/sim-host.js';

describe('routing against the emulator', () => {
  it('the shard-aware pool opens one connection per shard through the shard-aware port', async () => {
    const host = simHost();
    const sim = await startSim({ nodes: 1, shards: 4, host });
    try {
      const pool = await NodePool.open({ host, port: 9042, connection: {} });
      expect(pool.nrShards).toBe(4);
      expect(pool.stats.shardAwarePortUsed).toBe(true);
      expect(pool.stats.natDetected).toBe(false);
      for (let s = 0; s < 4; s++) {
        expect(pool.byShard[s]?.length, `shard ${s}`).toBe(1);
        expect(pool.forShard(s).sharding?.shard).toBe(s);
      }
      // the connections to the shard-aware port came from source ports ≡ shard (mod 4)
      for (const c of pool.connections.slice(1)) expect(c.localPort! % 4).toBe(c.sharding!.shard);
      await pool.close();
    } finally {
      await sim.stop();
    }
  });

  it('k connections per shard', async () => {
    const host = simHost();
    const sim = await startSim({ nodes: 1, shards: 3, host });
    try {
      const pool = await NodePool.open({ host, port: 9042, connection: {}, connectionsPerShard: 2 });
      expect(pool.byShard.map((l) => l.length)).toEqual([2, 2, 2]);
      await pool.close();
    } finally {
      await sim.stop();
    }
  });

  it('without the shard-aware port, discovery on the regular port still covers every shard and closes the excess', async () => {
    const host = simHost();
    const sim = await startSim({ nodes: 1, shards: 4, host });
    try {
      const pool = await NodePool.open({ host, port: 9042, connection: {}, useShardAwarePort: false });
      expect(pool.byShard.map((l) => l.length)).toEqual([1, 1, 1, 1]);
      expect(pool.stats.shardAwarePortUsed).toBe(false);
      await pool.close();
    } finally {
      await sim.stop();
    }
  });

  it('shard-aware: misroute 0 and no cross-shard hop; token-aware: misroute ≈ 0.75 and the counts agree', async () => {
    const host = simHost();
    const sim = await startSim({ nodes: 3, shards: 4, host });
    try {
      const sa = await runCli(['run', 'test/fixtures/engine/routing.yaml', '--target', `${host}:9042`, '--routing', 'shard-aware', '--json', '--out', 'results/test-routing']);
      expect(sa.code, sa.stderr).toBe(0);
      const s1 = JSON.parse(sa.stdout).classes.app;
      expect(s1.routing).toBe('shard-aware');
      expect(s1.misrouteRatio).toBe(0);
      expect(sim.crossShardHops()).toBe(0);

      const ta = await runCli(['run', 'test/fixtures/engine/routing.yaml', '--target', `${host}:9042`, '--routing', 'token-aware', '--json', '--out', 'results/test-routing']);
      expect(ta.code, ta.stderr).toBe(0);
      const summary = JSON.parse(ta.stdout);
      const s2 = summary.classes.app;
      expect(s2.routing).toBe('token-aware');
      expect(s2.misrouteRatio).toBeGreaterThan(0.7);
      expect(s2.misrouteRatio).toBeLessThan(0.8);
      const result = JSON.parse(readFileSync(`${summary.resultDir}/result.json`, 'utf8'));
      const measure = result.phases.find((p: { kind: string }) => p.kind === 'measure');
      const misrouted = (measure.classes.app.shards.misrouted as number[][]).flat().reduce((a, b) => a + b, 0);
      expect(misrouted).toBeGreaterThan(0);
      // the shard-aware run added no hop, so every hop the emulator counted is one the client reported
      expect(sim.crossShardHops()).toBe(misrouted);
    } finally {
      await sim.stop();
    }
  });
});

describe('tablets routing', () => {
  it('a tablets keyspace: misroutes while tablets are unknown, none once the payloads taught them', async () => {
    const host = simHost();
    const sim = await startSim({ nodes: 3, shards: 4, host, tablets: true, initialTablets: 8 });
    try {
      const r = await runCli(['run', 'test/fixtures/engine/tablets.yaml', '--target', `${host}:9042`, '--routing', 'shard-aware', '--json', '--out', 'results/test-routing']);
      expect(r.code, r.stderr).toBe(0);
      const summary = JSON.parse(r.stdout);
      const result = JSON.parse(readFileSync(`${summary.resultDir}/result.json`, 'utf8'));
      const warmup = result.phases.find((p: { kind: string }) => p.kind === 'warmup').classes.app;
      const measure = result.phases.find((p: { kind: string }) => p.kind === 'measure').classes.app;
      // the formula's guess is wrong for tablets until the first payload of each tablet
      expect(warmup.shards.misrouteRatio).toBeGreaterThan(0);
      expect(measure.shards.misrouteRatio).toBe(0);
      expect(summary.classes.app.ops.get.errors + summary.classes.app.ops.put.errors).toBe(0);
    } finally {
      await sim.stop();
    }
  });
});

describe('NAT in front of the shard-aware port', () => {
  it('the pool notices the shard mismatch, falls back to the regular port, and still covers every shard', async () => {
    const host = simHost();
    const sim = await startSim({ nodes: 1, shards: 4, host, natRewritesSourcePorts: true });
    try {
      const pool = await NodePool.open({ host, port: 9042, connection: {} });
      expect(pool.stats.natDetected).toBe(true);
      expect(pool.stats.shardAwarePortUsed).toBe(false);
      for (let s = 0; s < 4; s++) expect(pool.forShard(s).sharding?.shard, `shard ${s}`).toBe(s);
      expect(pool.byShard.every((l) => l.length >= 1)).toBe(true);
      await pool.close();
    } finally {
      await sim.stop();
    }
  });

  it('a run behind the NAT warns once and still routes every request to its owner shard', async () => {
    const host = simHost();
    const sim = await startSim({ nodes: 3, shards: 4, host, natRewritesSourcePorts: true });
    try {
      const r = await runCli(['run', 'test/fixtures/engine/routing.yaml', '--target', `${host}:9042`, '--json', '--out', 'results/test-routing']);
      expect(r.code, r.stderr).toBe(0);
      const s = JSON.parse(r.stdout);
      expect(s.classes.app.misrouteRatio).toBe(0);
      expect(s.warnings.filter((w: string) => /NAT/.test(w)).length).toBeGreaterThan(0);
      expect(sim.crossShardHops()).toBe(0);
    } finally {
      await sim.stop();
    }
  });
});
