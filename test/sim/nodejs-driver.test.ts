import cassandra from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim, type Sim } from '../../src/sim/index.js';
import { simHost } from '../support/sim-host.js';

const { TokenAwarePolicy, DCAwareRoundRobinPolicy } = cassandra.policies.loadBalancing;

describe('DataStax cassandra-driver against a 3-node × 4-shard emulator', () => {
  let sim: Sim;
  let client: cassandra.Client;
  const host = simHost();

  beforeAll(async () => {
    sim = await startSim({ nodes: 3, shards: 4, host });
    client = new cassandra.Client({
      contactPoints: [host],
      localDataCenter: 'datacenter1',
      policies: { loadBalancing: new TokenAwarePolicy(new DCAwareRoundRobinPolicy('datacenter1')) },
    });
    await client.connect();
  });
  afterAll(async () => {
    await client.shutdown();
    await sim.stop();
  });

  it('discovers all 3 hosts with their data center, rack and tokens', () => {
    const hosts = client.hosts.values();
    expect(hosts.map((h) => h.address.split(':')[0]).sort()).toEqual(sim.nodes.map((n) => n.host).sort());
    for (const h of hosts) {
      expect(h.datacenter).toBe('datacenter1');
      expect(h.rack).toBe('rack1');
      expect(h.tokens).toHaveLength(256);
      expect(h.cassandraVersion).toBe('3.0.8');
    }
  });

  it('reads table metadata (keys, clustering order, options)', async () => {
    await client.execute("CREATE KEYSPACE nd WITH replication = {'class': 'NetworkTopologyStrategy', 'datacenter1': 3}");
    await client.execute(`CREATE TABLE nd.events (p int, t timestamp, id uuid, kind text, tags set<text>, PRIMARY KEY ((p), t, id))
      WITH CLUSTERING ORDER BY (t DESC, id ASC) AND default_time_to_live = 3600 AND comment = 'hello'
      AND compaction = {'class': 'TimeWindowCompactionStrategy', 'compaction_window_size': '1', 'compaction_window_unit': 'HOURS'}`);
    const t = await client.metadata.getTable('nd', 'events');
    expect(t).not.toBeNull();
    expect(t!.partitionKeys.map((c) => c.name)).toEqual(['p']);
    expect(t!.clusteringKeys.map((c) => c.name)).toEqual(['t', 'id']);
    expect(t!.clusteringOrder).toEqual(['DESC', 'ASC']);
    expect(t!.columns.map((c) => c.name).sort()).toEqual(['id', 'kind', 'p', 't', 'tags']);
    expect(t!.defaultTtl).toBe(3600);
    expect(t!.comment).toBe('hello');
    expect(t!.compactionClass).toContain('TimeWindowCompactionStrategy');
    expect(t!.compactionOptions).toMatchObject({ compaction_window_unit: 'HOURS' });
    // the typings omit strategyOptions, which the driver fills from system_schema.keyspaces.replication
    const ks = client.metadata.keyspaces.nd as { strategy: string; strategyOptions?: Record<string, string> } | undefined;
    expect(ks?.strategy).toContain('NetworkTopologyStrategy');
    expect(ks?.strategyOptions).toMatchObject({ datacenter1: '3' });
  });

  it('runs prepared statements with TokenAwarePolicy, routed to replicas', async () => {
    await client.execute('CREATE TABLE nd.kv (k int PRIMARY KEY, v text)');
    const before = sim.stats().reduce((n, s) => n + s.requests, 0);
    for (let i = 0; i < 200; i++) await client.execute('INSERT INTO nd.kv (k, v) VALUES (?, ?)', [i, `v${i}`], { prepare: true });
    for (let i = 0; i < 200; i += 37) {
      const r = await client.execute('SELECT v FROM nd.kv WHERE k = ?', [i], { prepare: true });
      expect(r.first().v).toBe(`v${i}`);
    }
    const after = sim.stats().reduce((n, s) => n + s.requests, 0);
    expect(after - before).toBeGreaterThanOrEqual(206);
    // the driver computed routing keys from pk_indexes and found replicas on its own ring
    const replicas = client.getReplicas('nd', Buffer.from([0, 0, 0, 1]));
    expect(replicas).toHaveLength(3);
  });

  it('pages through a partition with the driver\'s fetchSize', async () => {
    await client.execute('CREATE TABLE nd.wide (p int, c int, v int, PRIMARY KEY (p, c))');
    const q = 'INSERT INTO nd.wide (p, c, v) VALUES (?, ?, ?)';
    await client.batch(Array.from({ length: 95 }, (_, i) => ({ query: q, params: [1, i, i * 2] })), { prepare: true });
    const seen: number[] = [];
    let pages = 0;
    let pageState: string | undefined;
    do {
      const r = await client.execute('SELECT c FROM nd.wide WHERE p = ?', [1], { prepare: true, fetchSize: 20, pageState });
      pages++;
      for (const row of r.rows) seen.push(row.c as number);
      pageState = r.pageState ?? undefined;
    } while (pageState);
    expect(seen).toEqual(Array.from({ length: 95 }, (_, i) => i));
    expect(pages).toBe(5);
  });
});
