/**
 * doctor against the built-in emulator (3 nodes × 2 shards, PasswordAuthenticator, /metrics):
 * each check passing and failing on what the emulator serves today. The checks that read
 * tables the emulator does not serve yet (system.clients, system.large_*, Scylla's
 * non-prepared counters) say so — and the tests of their verdicts on real rows run as soon as
 * the emulator serves them (the `servesClients` / `servesLarge` gates below).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection } from '../../src/cql/connection.js';
import { runDoctor, type DoctorOptions } from '../../src/doctor/index.js';
import { loadProfile } from '../../src/profile/load.js';
import { startSim, type Sim } from '../../src/sim/index.js';
import { simHost } from '../support/sim-host.js';
import { applySchema, closedPort, evenTraffic, findings, hotTraffic, one } from './support.js';

const SU = { username: 'cassandra', password: 'cassandra' };
const WL = 'test/fixtures/doctor/doctor-wl.yaml';

describe('doctor on the emulator', () => {
  let sim: Sim;
  let admin: Connection;
  const host = simHost();
  let hosts: string[];
  let servesClients = false;
  let servesLarge = false;
  const base = (): DoctorOptions => ({
    contacts: [{ host, port: 9042 }], credentials: SU, connectTimeoutMs: 5000,
    metricsUrls: [`${sim.metricsUrl}/metrics`], metricsWindowMs: 1,
  });

  beforeAll(async () => {
    sim = await startSim({ nodes: 3, shards: 2, host, auth: true, metricsPort: 0, vnodesPerNode: 16 });
    hosts = sim.nodes.map((n) => n.host);
    admin = await Connection.connect({ host, port: 9042, credentials: SU });
    await applySchema(admin, WL);
    // a keyspace and a table doctor must fail: RF 1 SimpleStrategy; a time series with a TTL on LCS
    await admin.query("CREATE KEYSPACE sb_bad WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
    await admin.query("CREATE TABLE sb_bad.ts (dev int, at timestamp, v text, PRIMARY KEY (dev, at)) WITH compaction = {'class': 'LeveledCompactionStrategy'} AND default_time_to_live = 3600");
    servesClients = await admin.query('SELECT shard_id FROM system.clients').then(() => true, () => false);
    servesLarge = await admin.query('SELECT partition_size FROM system.large_partitions').then(() => true, () => false);
  });
  afterAll(async () => {
    await admin?.close();
    await sim?.stop();
  });

  it('without a profile: shard-aware, replication, compaction from the schema, monitoring, even shards pass; RF 1, LCS on a TTL time series, no service level fail', async () => {
    const r = await runDoctor({ ...base(), sleep: () => evenTraffic(hosts, 2, 30, SU) });
    const sa = findings(r, 'shard-aware');
    expect(sa.map((f) => f.status)).toEqual(['PASS', 'PASS', 'PASS']);
    expect(sa[0].evidence.map((e) => e.detail).join(' ')).toMatch(/SCYLLA_NR_SHARDS=2.*SCYLLA_SHARD_AWARE_PORT=19042/);
    expect(sa[0].evidence[1].detail).toMatch(/asked shard 1, SCYLLA_SHARD=1/);

    expect(one(r, 'compaction', 'table sb_doc.events').status).toBe('PASS');
    expect(one(r, 'compaction', 'table sb_doc.users').status).toBe('SKIP'); // no profile: its workload is unknown
    const ts = one(r, 'compaction', 'table sb_bad.ts');
    expect(ts.status).toBe('FAIL');
    expect(ts.summary).toMatch(/LCS on a time-series-ttl table/);
    expect(ts.fix).toMatch(/TimeWindowCompactionStrategy/);
    expect(ts.guidance).toMatch(/compaction left untuned/);

    expect(one(r, 'replication', 'keyspace sb_doc').status).toBe('PASS');
    const rf1 = one(r, 'replication', 'keyspace sb_bad');
    expect(rf1.status).toBe('FAIL');
    expect(rf1.summary).toMatch(/SimpleStrategy.*RF 1/);

    const wt = one(r, 'workload-types');
    expect(wt.status).toBe('FAIL');
    expect(wt.guidance).toMatch(/default service level/);

    expect(one(r, 'monitoring').status).toBe('PASS');
    const imb = one(r, 'shard-imbalance');
    expect(imb.status).toBe('PASS');
    expect(imb.evidence[0].detail).toMatch(/requests in the 1 ms window/);
    expect(r.totals.FAIL).toBe(findings(r, 'compaction').filter((f) => f.status === 'FAIL').length + 2);
  });

  it('one hot shard fails shard imbalance, naming the node and shard', async () => {
    const r = await runDoctor({ ...base(), sleep: () => hotTraffic(hosts[1], 400, SU) });
    const imb = one(r, 'shard-imbalance');
    expect(imb.status).toBe('FAIL');
    expect(imb.summary).toBe(`shard 1 of ${hosts[1]} serves 6× the mean`);
    expect(imb.fix).toMatch(/hot partitions/);
  });

  it('an unreachable metrics endpoint fails monitoring, and imbalance has no data', async () => {
    const port = await closedPort();
    const r = await runDoctor({ ...base(), metricsUrls: [`http://${host}:${port}/metrics`] });
    const m = one(r, 'monitoring');
    expect(m.status).toBe('FAIL');
    expect(m.evidence[0]).toEqual({ source: `http://${host}:${port}/metrics`, detail: `http://${host}:${port}/metrics: connection refused` });
    expect(m.guidance).toMatch(/no monitoring of shard imbalance/);
    expect(one(r, 'shard-imbalance').status).toBe('WARN');
    expect(one(r, 'prepared-statements').status).toBe('SKIP');
  });

  it('with no --scylla-metrics, Scylla\'s port 9180 on each node is tried', async () => {
    const r = await runDoctor({ ...base(), metricsUrls: undefined });
    expect([...r.inputs.metricsUrls].sort()).toEqual(hosts.map((h) => `http://${h}:9180/metrics`).sort());
    expect(one(r, 'monitoring').summary).toMatch(/no node answers on Scylla's metrics port 9180/);
  });

  it('a bad profile fails compaction (LCS on write-heavy), workload types (OLAP and OLTP on default) and warns on CL ALL', async () => {
    const profile = await loadProfile('test/fixtures/doctor/bad.yaml');
    const r = await runDoctor({ ...base(), profile, sleep: () => evenTraffic(hosts, 2, 30, SU) });
    const users = one(r, 'compaction', 'table sb_doc.users');
    expect(users.status).toBe('FAIL');
    expect(users.summary).toMatch(/LCS on a write-heavy table/);
    expect(users.evidence.find((e) => e.source.endsWith('bad.yaml'))!.detail).toMatch(/writes 4500\/s.*ingest\.put/);
    expect(one(r, 'compaction', 'table sb_doc.events').status).toBe('PASS'); // the schema says time series with a TTL
    expect(findings(r, 'compaction', /sb_bad/)).toEqual([]); // with a profile: only its tables

    const olap = one(r, 'workload-types', /^class reports/);
    expect(olap.status).toBe('FAIL');
    expect(olap.summary).toMatch(/OLAP on the default service level/);
    expect(one(r, 'workload-types', /^class ingest/).status).toBe('FAIL');

    const repl = one(r, 'replication', 'keyspace sb_doc');
    expect(repl.status).toBe('WARN');
    expect(repl.summary).toMatch(/ALL waits for all 3 replicas.*ingest\.get_all/);
  });

  it('a good profile passes once its service levels exist; before, they are in the profile only (WARN)', async () => {
    const profile = await loadProfile('test/fixtures/doctor/good.yaml');
    const before = await runDoctor({ ...base(), profile, sleep: () => evenTraffic(hosts, 2, 30, SU) });
    expect(findings(before, 'workload-types').map((f) => f.status)).toEqual(['WARN', 'WARN']);
    expect(one(before, 'workload-types', /^class app/).summary).toMatch(/in the profile but not on the cluster yet/);

    await admin.query("CREATE SERVICE LEVEL oltp WITH timeout = 50ms AND workload_type = 'interactive'");
    await admin.query("CREATE SERVICE LEVEL olap WITH timeout = 30s AND workload_type = 'batch'");
    try {
      const r = await runDoctor({ ...base(), profile, sleep: () => evenTraffic(hosts, 2, 30, SU) });
      expect(findings(r, 'workload-types').map((f) => `${f.status} ${f.subject}`)).toEqual([
        'PASS class app (OLTP, 0 % scans)', 'PASS class reports (OLAP, 100 % scans)',
      ]);
      expect(one(r, 'compaction', 'table sb_doc.users').status).toBe('PASS');
      expect(one(r, 'compaction', 'table sb_doc.events').status).toBe('PASS');
      expect(one(r, 'replication', 'keyspace sb_doc').status).toBe('PASS');

      // a level of the wrong type is a FAIL naming both
      await admin.query("ALTER SERVICE LEVEL olap WITH workload_type = 'interactive'");
      const wrong = await runDoctor({ ...base(), profile, sleep: () => evenTraffic(hosts, 2, 30, SU) });
      const rep = one(wrong, 'workload-types', /^class reports/);
      expect(rep.status).toBe('FAIL');
      expect(rep.summary).toBe('its level olap has workload_type interactive, a OLAP class needs batch');
    } finally {
      await admin.query('DROP SERVICE LEVEL IF EXISTS oltp');
      await admin.query('DROP SERVICE LEVEL IF EXISTS olap');
    }
  });

  it('without a profile, a level with a type, a timeout and an attached role passes; one without a type warns', async () => {
    await admin.query("CREATE ROLE app WITH PASSWORD = 'x' AND LOGIN = true");
    await admin.query("CREATE SERVICE LEVEL interactive_sl WITH timeout = 50ms AND workload_type = 'interactive'");
    await admin.query('ATTACH SERVICE LEVEL interactive_sl TO app');
    await admin.query('CREATE SERVICE LEVEL untyped');
    try {
      const r = await runDoctor({ ...base(), sleep: () => evenTraffic(hosts, 2, 30, SU) });
      const ok = one(r, 'workload-types', 'service level interactive_sl');
      expect(ok.status).toBe('PASS');
      expect(ok.summary).toBe('interactive, timeout 50 ms, attached to app');
      expect(one(r, 'workload-types', 'service level untyped').status).toBe('WARN');
    } finally {
      await admin.query('DROP SERVICE LEVEL IF EXISTS interactive_sl');
      await admin.query('DROP SERVICE LEVEL IF EXISTS untyped');
      await admin.query('DROP ROLE IF EXISTS app');
    }
  });

  it('today: system.clients and system.large_* are not served, and the checks say so per node', async ({ skip }) => {
    if (servesClients && servesLarge) skip('the emulator serves them: see the tests below');
    const r = await runDoctor(base());
    if (!servesClients) {
      const cl = findings(r, 'clients');
      expect(cl.map((f) => f.status)).toEqual(['WARN', 'WARN', 'WARN']);
      expect(cl[0].evidence[0].source).toBe(`${host}:9042 system.clients`);
    }
    if (!servesLarge) {
      const p = findings(r, 'partitions');
      expect(p.map((f) => f.status)).toEqual(['WARN', 'WARN', 'WARN']);
      expect(p[0].summary).toMatch(/cannot read system\.large_partitions, system\.large_rows, system\.large_cells/);
    }
  });

  it('system.clients (when the emulator serves it): the stock Node.js driver fails, a shard-aware client passes', async ({ skip }) => {
    if (!servesClients) skip('the emulator does not serve system.clients yet (docs/doctor.md lists what it must)');
    const cassandra = await import('cassandra-driver');
    const client = new cassandra.default.Client({
      contactPoints: [host], localDataCenter: 'datacenter1', credentials: SU,
      policies: { loadBalancing: new cassandra.default.policies.loadBalancing.DCAwareRoundRobinPolicy('datacenter1') },
    });
    await client.connect();
    const aware = await Promise.all(hosts.flatMap((h) => [0, 1].map(async (s) => {
      const { connectShard } = await import('./support.js');
      return connectShard(h, s, 2, SU);
    })));
    try {
      const r = await runDoctor(base());
      const ds = one(r, 'clients', /DataStax Node\.js Driver/);
      expect(ds.status).toBe('FAIL');
      expect(ds.guidance).toMatch(/2–4×/);
      expect(one(r, 'clients', /scylla-bench/).status).toBe('PASS');
    } finally {
      await client.shutdown();
      await Promise.all(aware.map((c) => c.close()));
    }
  });
});

describe('doctor through a NAT', () => {
  let sim: Sim;
  const host = simHost();
  beforeAll(async () => {
    sim = await startSim({ nodes: 1, shards: 4, host, natRewritesSourcePorts: true, vnodesPerNode: 8 });
  });
  afterAll(async () => {
    await sim?.stop();
  });

  it('a connection landing on another shard than its source port asked is a NAT: WARN with the probes as evidence', async () => {
    const r = await runDoctor({ contacts: [{ host, port: 9042 }], connectTimeoutMs: 5000, metricsWindowMs: 1, metricsUrls: [`http://${host}:${await closedPort()}/metrics`] });
    const sa = one(r, 'shard-aware');
    expect(sa.status).toBe('WARN');
    expect(sa.summary).toMatch(/NAT detected/);
    expect(sa.evidence[1].detail).toMatch(/asked shard 1, SCYLLA_SHARD=2/);
  });
});
