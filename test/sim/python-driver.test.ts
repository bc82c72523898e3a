import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim, type Sim } from '../../src/sim/index.js';
import { runVenv, skipPython } from '../support/python-venv.js';
import { simHost } from '../support/sim-host.js';

interface Report {
  hosts: { address: string; shards_count: number; shard_aware_port: number; partitioner: string; sharding_algorithm: string; connected_shards: number[] }[];
  pools_full: boolean;
  routing_key_indexes: number[];
  read_mismatches: number;
  keys: number;
}

describe.skipIf(skipPython)('scylla python driver against a 3-node × 4-shard emulator', () => {
  let sim: Sim;
  const host = simHost();
  beforeAll(async () => {
    sim = await startSim({ nodes: 3, shards: 4, host });
  });
  afterAll(async () => { await sim.stop(); });

  it('sees sharding info, opens one connection per shard via the shard-aware port, and routes 1000 keys to their owner shards', async () => {
    const r = await runVenv('python', ['test/python/shard_aware_check.py', host, '9042', '1000']);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const report = JSON.parse(r.stdout.trim().split('\n').pop()!) as Report;
    expect(report.hosts).toHaveLength(3);
    for (const h of report.hosts) {
      expect(h.shards_count).toBe(4);
      expect(h.shard_aware_port).toBe(19042);
      expect(h.partitioner).toBe('org.apache.cassandra.dht.Murmur3Partitioner');
      expect(h.sharding_algorithm).toBe('biased-token-round-robin');
      expect(h.connected_shards).toEqual([0, 1, 2, 3]);
    }
    expect(report.pools_full).toBe(true);
    expect(report.routing_key_indexes).toEqual([0]);
    expect(report.read_mismatches).toBe(0);
    // the driver reached shards 1..3 of every node through the shard-aware port (source port mod 4)
    for (const l of sim.listenerStats().filter((x) => x.shardAware)) {
      expect(l.acceptedPerShard.filter((n) => n > 0).length, `node ${l.node}`).toBeGreaterThanOrEqual(3);
    }
    // every request executed on the shard owning its token: no cross-shard hop at all
    expect(sim.crossShardHops()).toBe(0);
    const served = sim.stats().reduce((n, s) => n + s.requests, 0);
    expect(served).toBeGreaterThanOrEqual(2000);
    // the load spread over all 12 shards (each shard got some of the 2000 keyed requests)
    expect(sim.stats().every((s) => s.requests > 0)).toBe(true);
  });
});

describe.skipIf(skipPython)('scylla python driver with a tablets keyspace', () => {
  let sim: Sim;
  const host = simHost();
  beforeAll(async () => {
    sim = await startSim({ nodes: 3, shards: 4, host, vnodesPerNode: 32, metricsPort: 0 });
  });
  afterAll(async () => { await sim.stop(); });

  it('learns tablet replicas from the tablets-routing-v1 payload and then routes every read to its replica shard', async () => {
    const r = await runVenv('python', ['test/python/shard_aware_check.py', host, '9042', '300', sim.metricsUrl!, '1']);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const report = JSON.parse(r.stdout.trim().split('\n').pop()!) as Report & { hops_before_reads: number; hops_after_reads: number };
    expect(report.read_mismatches).toBe(0);
    expect(sim.cluster.schema.table('sa', 'kv')?.tablets?.lastTokens).toHaveLength(8);
    // the writes taught the driver every tablet; the 300 reads then never crossed a shard
    expect(report.hops_after_reads - report.hops_before_reads).toBe(0);
  });
});
