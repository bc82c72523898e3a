/**
 * Per-node metrics as Scylla serves them: each node's own address, port 9180 there, its shards
 * only, `shard` label, `scylla_storage_proxy_replica_cross_shard_ops{scheduling_group_name,shard}`.
 * The engine reads these before/after a phase for every routing mode.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Opcode } from '../../src/cql/frame.js';
import { startSim, type Sim } from '../../src/sim/index.js';
import { RawCql } from '../support/raw-cql.js';
import { simHost } from '../support/sim-host.js';

/** `name{labels} value` lines of one metric family, parsed. */
function series(text: string, name: string): { labels: Record<string, string>; value: number }[] {
  const out: { labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels = Object.fromEntries([...m[2].matchAll(/([a-z_]+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    out.push({ labels, value: Number(m[3]) });
  }
  return out;
}

describe('per-node /metrics on each node address', () => {
  let sim: Sim;
  const host = simHost();
  beforeAll(async () => {
    sim = await startSim({ nodes: 2, shards: 4, host, vnodesPerNode: 8, capacity: false, nodeMetricsPort: 9180, metricsPort: 0 });
  });
  afterAll(async () => { await sim.stop(); });

  it('serves each node its own shards, and the cross-shard counters add up to sim.crossShardHops()', async () => {
    for (const [i, n] of sim.nodes.entries()) expect(n.metricsUrl, `node ${i}`).toBe(`http://${n.host}:9180/metrics`);
    const before = await Promise.all(sim.nodes.map(async (n) => (await fetch(n.metricsUrl!)).text()));
    // connections through the regular port land on shards regardless of the keys: many hops
    const conns: RawCql[] = [];
    for (const n of sim.nodes) for (let c = 0; c < 4; c++) { const r = await RawCql.connect(n.host, 9042); await r.startup(); conns.push(r); }
    await conns[0].query("CREATE KEYSPACE m WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 2}");
    await conns[0].query('CREATE TABLE m.kv (k int PRIMARY KEY, v int)');
    for (let k = 0; k < 200; k++) {
      const f = await conns[k % conns.length].query(`INSERT INTO m.kv (k, v) VALUES (${k}, ${k})`);
      expect(f.opcode).toBe(Opcode.RESULT);
    }
    for (const c of conns) c.close();

    const stats = sim.stats();
    let total = 0;
    for (const [i, n] of sim.nodes.entries()) {
      const res = await fetch(n.metricsUrl!);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      const text = await res.text();
      expect(text).not.toMatch(/instance=/);
      const hops = series(text, 'scylla_storage_proxy_replica_cross_shard_ops');
      // this node's shards, nothing else
      expect(new Set(hops.map((h) => h.labels.shard))).toEqual(new Set(['0', '1', '2', '3']));
      for (const h of hops) expect(h.labels.scheduling_group_name).toBe('sl:default');
      for (let s = 0; s < 4; s++) {
        const served = hops.filter((h) => h.labels.shard === String(s)).reduce((a, h) => a + h.value, 0);
        expect(served, `node ${i} shard ${s}`).toBe(stats.find((x) => x.node === i && x.shard === s)!.crossShardHops);
      }
      const beforeHops = series(before[i], 'scylla_storage_proxy_replica_cross_shard_ops').reduce((a, h) => a + h.value, 0);
      expect(beforeHops).toBe(0);
      total += hops.reduce((a, h) => a + h.value, 0);
      expect(series(text, 'scylla_transport_requests_served').length).toBe(4);
    }
    expect(total).toBe(sim.crossShardHops());
    expect(total).toBeGreaterThan(0);
    // the combined endpoint stays as it was: instance and shard labels, every node
    const combined = await (await fetch(`${sim.metricsUrl}/metrics`)).text();
    const all = series(combined, 'scylla_storage_proxy_replica_cross_shard_ops');
    expect(all.length).toBe(8);
    expect(all.reduce((a, h) => a + h.value, 0)).toBe(total);
  });

  it('answers 404 on other paths', async () => {
    const res = await fetch(sim.nodes[1].metricsUrl!.replace('/metrics', '/admin/faults'));
    expect(res.status).toBe(404);
    await res.text();
  });
});
