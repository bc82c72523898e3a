/**
 * What the emulator serves for `doctor`, read the way monitoring and drivers read it:
 * `system.clients` with Scylla's columns (one row per connection of the node: the STARTUP
 * driver name and version, shard, login, scheduling group), and Scylla's per-shard counters
 * (statements parsed, system-keyspace statements, CQL messages by kind and scheduling group,
 * reactor utilization) on the node's own endpoint.
 */
import cassandra from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection } from '../../src/cql/connection.js';
import { decodeRows } from '../../src/cql/rows.js';
import { parseExposition, type Sample } from '../../src/doctor/prom-text.js';
import { startSim, type Sim } from '../../src/sim/index.js';
import { simHost } from '../support/sim-host.js';
import { connectShard } from './support.js';

const SU = { username: 'cassandra', password: 'cassandra' };

async function rows(c: Connection, cql: string): Promise<Record<string, unknown>[]> {
  const r = await c.query(cql);
  return r.kind === 'rows' ? decodeRows(r) : [];
}

describe('emulator: system.clients', () => {
  let sim: Sim;
  let admin: Connection;
  const host = simHost();
  beforeAll(async () => {
    sim = await startSim({ nodes: 2, shards: 2, host, auth: true, metricsPort: 0, vnodesPerNode: 8 });
    admin = await Connection.connect({ host, port: 9042, credentials: SU });
  });
  afterAll(async () => {
    await admin?.close();
    await sim?.stop();
  });

  it('has Scylla\'s columns and one row per connection of the node, with the STARTUP driver name and version', async () => {
    const r = await admin.query('SELECT * FROM system.clients');
    expect(r.kind).toBe('rows');
    if (r.kind !== 'rows') return;
    expect(r.metadata.columns!.map((c) => c.name)).toEqual([
      'address', 'port', 'client_type', 'client_options', 'connection_stage', 'driver_name', 'driver_version', 'hostname',
      'protocol_version', 'scheduling_group', 'shard_id', 'ssl_cipher_suite', 'ssl_enabled', 'ssl_protocol', 'username',
    ]);

    const ds = new cassandra.Client({ contactPoints: [host], localDataCenter: 'datacenter1', credentials: SU });
    await ds.connect();
    try {
      const own = admin.localPort!;
      const onNode1 = await rows(admin, 'SELECT * FROM system.clients');
      const mine = onNode1.find((x) => x.port === own)!;
      expect(mine).toMatchObject({
        address: '127.0.0.1', client_type: 'cql', connection_stage: 'READY', driver_name: 'scylla-bench', driver_version: '0.1.0',
        hostname: null, protocol_version: 4, ssl_enabled: false, ssl_protocol: null, ssl_cipher_suite: null, username: 'cassandra',
        scheduling_group: 'sl:default', shard_id: admin.sharding!.shard,
      });
      expect((mine.client_options as Map<string, string>).get('CQL_VERSION')).toBe('3.0.0');
      const driver = onNode1.filter((x) => x.driver_name === 'Apache Cassandra Node.js Driver');
      expect(driver.length).toBeGreaterThanOrEqual(1); // its control connection and pool on this node
      expect(driver.every((x) => x.driver_version === '4.10.0' && x.username === 'cassandra' && x.connection_stage === 'READY')).toBe(true);
      // rows sorted by port within the address, as Scylla's clustering key orders them
      const ports = onNode1.map((x) => Number(x.port));
      expect(ports).toEqual([...ports].sort((a, b) => a - b));

      // node-local: the second node lists only its own connections (the driver's pool there, not ours)
      const n2 = await Connection.connect({ host: sim.nodes[1].host, port: 9042, credentials: SU });
      try {
        const onNode2 = await rows(n2, 'SELECT port, driver_name FROM system.clients');
        expect(onNode2.some((x) => x.port === own)).toBe(false);
        expect(onNode2.some((x) => x.port === n2.localPort)).toBe(true);
        expect(onNode2.some((x) => x.driver_name === 'Apache Cassandra Node.js Driver')).toBe(true);
      } finally {
        await n2.close();
      }
    } finally {
      await ds.shutdown();
    }
    // a closed connection's row goes away
    const after = await rows(admin, 'SELECT driver_name FROM system.clients');
    expect(after.some((x) => x.driver_name === 'Apache Cassandra Node.js Driver')).toBe(false);
  });

  it('shard_id is the shard the connection landed on; scheduling_group is the login\'s service level', async () => {
    await admin.query("CREATE ROLE olap_app WITH PASSWORD = 'x' AND LOGIN = true");
    await admin.query("CREATE SERVICE LEVEL olap WITH workload_type = 'batch'");
    await admin.query('ATTACH SERVICE LEVEL olap TO olap_app');
    const c = await connectShard(host, 1, 2, { username: 'olap_app', password: 'x' });
    try {
      const all = await rows(admin, 'SELECT port, shard_id, username, scheduling_group FROM system.clients');
      expect(all.find((x) => x.port === c.localPort)).toEqual({ port: c.localPort, shard_id: 1, username: 'olap_app', scheduling_group: 'sl:olap' });
      // the catalogue changes, the row follows (as Scylla re-evaluates the connection's group)
      await admin.query('DETACH SERVICE LEVEL FROM olap_app');
      const again = await rows(admin, 'SELECT port, scheduling_group FROM system.clients');
      expect(again.find((x) => x.port === c.localPort)!.scheduling_group).toBe('sl:default');
    } finally {
      await c.close();
      await admin.query('DROP SERVICE LEVEL IF EXISTS olap');
      await admin.query('DROP ROLE IF EXISTS olap_app');
    }
  });
});

describe('emulator: system.clients without authentication', () => {
  it('username is anonymous', async () => {
    const host = simHost();
    const sim = await startSim({ nodes: 1, shards: 2, host, vnodesPerNode: 8 });
    const c = await Connection.connect({ host, port: 9042 });
    try {
      const r = await rows(c, 'SELECT port, username, connection_stage FROM system.clients');
      expect(r).toEqual([{ port: c.localPort, username: 'anonymous', connection_stage: 'READY' }]);
    } finally {
      await c.close();
      await sim.stop();
    }
  });
});

describe('emulator: Scylla\'s per-shard CQL counters on each node\'s /metrics', () => {
  let sim: Sim;
  const host = simHost();
  beforeAll(async () => {
    sim = await startSim({ nodes: 1, shards: 2, host, metricsPort: 0, vnodesPerNode: 8, nodeMetricsPort: 0 });
  });
  afterAll(async () => {
    await sim?.stop();
  });
  const scrape = async (): Promise<Sample[]> => parseExposition(await (await fetch(`${sim.metricsUrl}/metrics`)).text());
  const value = (s: Sample[], name: string, labels: Record<string, string>): number =>
    s.filter((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v)).reduce((a, x) => a + x.value, 0);

  it('QUERY and a first PREPARE per shard are parsed, EXECUTE is not; system-keyspace statements and messages by kind are counted on the connection\'s shard', async () => {
    await (await Connection.connect({ host, port: 9042 })).query("CREATE KEYSPACE ks WITH replication = {'class': 'NetworkTopologyStrategy', 'datacenter1': 1}").catch(() => undefined);
    const c = await connectShard(host, 1, 2, undefined);
    try {
      await c.query('CREATE TABLE IF NOT EXISTS ks.t (k int PRIMARY KEY, v int)');
      const before = await scrape();
      const at = { shard: '1' };
      for (let i = 0; i < 5; i++) await c.query(`INSERT INTO ks.t (k, v) VALUES (${i}, 1)`);
      await c.query("SELECT * FROM system.local WHERE key = 'local'");
      const p = await c.prepare('INSERT INTO ks.t (k, v) VALUES (?, ?)');
      await c.prepare('INSERT INTO ks.t (k, v) VALUES (?, ?)'); // the shard's cache holds it: not parsed again
      for (let i = 0; i < 7; i++) await c.execute(p, [i, 1]);
      const after = await scrape();
      const d = (name: string, labels: Record<string, string>): number => value(after, name, labels) - value(before, name, labels);
      expect(d('scylla_query_processor_statements_prepared', at)).toBe(5 + 1 + 1);
      expect(d('scylla_query_processor_statements_prepared', { shard: '0' })).toBe(0);
      expect(d('scylla_cql_reads_per_ks', { ...at, ks: 'system', who: 'user' })).toBe(1);
      expect(d('scylla_cql_inserts_per_ks', { ...at, ks: 'system', who: 'user' })).toBe(0);
      const kind = (k: string): number => d('scylla_transport_cql_requests_count', { ...at, kind: k, scheduling_group_name: 'sl:default' });
      expect([kind('QUERY'), kind('PREPARE'), kind('EXECUTE')]).toEqual([6, 2, 7]);
      // requests_served counts QUERY, EXECUTE and BATCH (not PREPARE)
      expect(d('scylla_transport_requests_served', at)).toBe(13);
    } finally {
      await c.close();
    }
  });
});

describe('emulator: scylla_reactor_utilization', () => {
  it('the shard that did the work is busier than the idle one once a period has passed', async () => {
    const host = simHost();
    const sim = await startSim({ nodes: 1, shards: 2, host, metricsPort: 0, vnodesPerNode: 8 });
    const util = async (): Promise<number[]> => {
      const s = parseExposition(await (await fetch(`${sim.metricsUrl}/metrics`)).text()).filter((x) => x.name === 'scylla_reactor_utilization');
      return [0, 1].map((shard) => s.find((x) => x.labels.shard === String(shard))!.value);
    };
    const c = await connectShard(host, 1, 2, undefined);
    try {
      await c.query("CREATE KEYSPACE ks WITH replication = {'class': 'NetworkTopologyStrategy', 'datacenter1': 1}");
      await c.query('CREATE TABLE ks.t (k int PRIMARY KEY, v int)');
      const start = await util();
      expect(start.every((u) => u >= 0 && u <= 100)).toBe(true);
      const p = await c.prepare('INSERT INTO ks.t (k, v) VALUES (?, ?)');
      // keep shard 1 busy until the gauge refreshes (once per period, as Seastar's)
      let u = start;
      for (let round = 0; round < 200 && !(u[1] > 0); round++) {
        await Promise.all(Array.from({ length: 200 }, (_, i) => c.execute(p, [i, round])));
        u = await util();
      }
      expect(u[1]).toBeGreaterThan(0);
      expect(u[1]).toBeLessThanOrEqual(100);
      expect(u[0]).toBeLessThan(u[1]);
    } finally {
      await c.close();
      await sim.stop();
    }
  });
});
