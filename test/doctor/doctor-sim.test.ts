/**
 * doctor against the built-in emulator (3 nodes × 2 shards, PasswordAuthenticator, /metrics,
 * large-partition threshold lowered to 10 MB so a test partition is recorded without writing a
 * gigabyte): each check passing and failing (or warning) on what the emulator serves:
 * SUPPORTED and the shard-aware port, system.clients (a real cassandra-driver client and
 * shard-aware connections), system_schema, service levels, system.large_partitions after a
 * flush, and Scylla's per-shard Prometheus counters.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection } from '../../src/cql/connection.js';
import { runDoctor, type DoctorOptions } from '../../src/doctor/index.js';
import { loadProfile } from '../../src/profile/load.js';
import { startSim, type Sim } from '../../src/sim/index.js';
import { skipPython, venvBin } from '../support/python-venv.js';
import { simHost } from '../support/sim-host.js';
import { adHocTraffic, applySchema, closedPort, connectShard, evenTraffic, findings, hotTraffic, one } from './support.js';

const SU = { username: 'cassandra', password: 'cassandra' };
const WL = 'test/fixtures/doctor/doctor-wl.yaml';

describe('doctor on the emulator', () => {
  let sim: Sim;
  let admin: Connection;
  const host = simHost();
  let hosts: string[];
  const base = (): DoctorOptions => ({
    contacts: [{ host, port: 9042 }], credentials: SU, connectTimeoutMs: 5000,
    metricsUrls: [`${sim.metricsUrl}/metrics`], metricsWindowMs: 1,
  });

  beforeAll(async () => {
    sim = await startSim({ nodes: 3, shards: 2, host, auth: true, metricsPort: 0, nodeMetricsPort: 0, vnodesPerNode: 16, largeData: { partitionMb: 10, cellMb: 8 } });
    hosts = sim.nodes.map((n) => n.host);
    admin = await Connection.connect({ host, port: 9042, credentials: SU });
    await applySchema(admin, WL);
    // a keyspace and a table doctor must fail: RF 1 SimpleStrategy; a time series with a TTL on LCS
    await admin.query("CREATE KEYSPACE sb_bad WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
    await admin.query("CREATE TABLE sb_bad.ts (dev int, at timestamp, v text, PRIMARY KEY (dev, at)) WITH compaction = {'class': 'LeveledCompactionStrategy'} AND default_time_to_live = 3600");
    // every shard has prepared the traffic's statement once: later PREPAREs hit its cache (not parsed)
    await evenTraffic(hosts, 2, 1, SU);
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
    const prep = one(r, 'prepared-statements');
    expect(prep.status).toBe('PASS');
    expect(prep.evidence[0].detail).toMatch(/in the 1 ms window: scylla_query_processor_statements_prepared − system-keyspace queries = 0 non-prepared of 180 CQL requests/);
    const parts = one(r, 'partitions');
    expect(parts.status).toBe('PASS');
    expect(parts.evidence.map((e) => e.source)).toEqual(hosts.map((h) => `${h}:9042 system.large_*`));
    // the only other client: this test's admin connection, a Scylla-named driver on one shard of one node
    const cl = one(r, 'clients');
    expect(cl.status).toBe('WARN');
    expect(cl.evidence).toEqual([{ source: `${host}:9042 system.clients`, detail: expect.stringMatching(/^\S+:9042: 1 connection, per shard \[(1, 0|0, 1)\] \(1 of 2 shards\); scheduling group sl:default$/) }]);
    expect(r.totals.FAIL).toBe(findings(r, 'compaction').filter((f) => f.status === 'FAIL').length + 2);
  });

  it('statements sent with literals (QUERY, not prepared) fail prepared statements, from Scylla\'s counters over the window', async () => {
    const r = await runDoctor({ ...base(), sleep: () => adHocTraffic(hosts, 2, 30, SU) });
    const f = one(r, 'prepared-statements');
    expect(f.status).toBe('FAIL');
    expect(f.summary).toBe('100 % of CQL requests are parsed each time (not prepared)');
    expect(f.evidence[0].detail).toMatch(/= 180 non-prepared of 180 CQL requests \(100 %\)$/);
    expect(f.guidance).toBe('practice 1: prepared statements');
  });

  it('a node down fails shard-aware for that node (not reachable from here)', async () => {
    await sim.setNodeUp(2, false);
    try {
      const r = await runDoctor({ ...base() });
      const sa = findings(r, 'shard-aware');
      expect(sa.map((f) => f.status)).toEqual(['PASS', 'PASS', 'FAIL']);
      expect(sa[2].subject).toBe(`node ${hosts[2]}:9042`);
      expect(sa[2].summary).toBe('node not reachable from here on its CQL port');
      expect(sa[2].evidence[0].detail).toMatch(/connection refused/);
    } finally {
      await sim.setNodeUp(2, true);
    }
  });

  it('a profile whose partitions would reach ~200 MB fails partitions from its estimate, before a row is written', async () => {
    const profile = await loadProfile('test/fixtures/doctor/big.yaml');
    const r = await runDoctor({ ...base(), profile });
    const f = one(r, 'partitions', 'table sb_wide.readings (profile estimate)');
    expect(f.status).toBe('FAIL');
    expect(f.summary).toMatch(/^the profile builds partitions up to (\d+)\.\d MB: over the 100 MB line$/);
    expect(Number(/up to (\d+)/.exec(f.summary)![1])).toBeGreaterThan(100);
    expect(f.evidence[0].source).toMatch(/big\.yaml$/);
    expect(f.evidence[0].detail).toMatch(/max 100000 × 20\d\d bytes per row/);
    expect(f.guidance).toBe('red line: partitions larger than 100 MB');
    // the cluster itself recorded nothing large
    expect(one(r, 'partitions', 'cluster').status).toBe('PASS');
  });

  it('a CL needing more replicas than the RF fails replication (every request Unavailable)', async () => {
    const profile = await loadProfile('test/fixtures/doctor/cl.yaml');
    await applySchema(admin, 'test/fixtures/doctor/cl-wl.yaml');
    try {
      const r = await runDoctor({ ...base(), profile });
      const f = one(r, 'replication', 'keyspace sb_cl');
      expect(f.status).toBe('FAIL');
      expect(f.summary).toMatch(/THREE needs 3 replicas, RF 2 has fewer: every such request is Unavailable \(app\.get3\)/);
      expect(f.evidence[0].source).toBe(`${host}:9042 system_schema.keyspaces`);
    } finally {
      await admin.query('DROP KEYSPACE sb_cl');
    }
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

  it('each node\'s own endpoint (Scylla\'s :9180 shape, no instance label): all of them pass monitoring and judge imbalance per node; one of three warns', async () => {
    const urls = sim.nodes.map((n) => n.metricsUrl!);
    const all = await runDoctor({ ...base(), metricsUrls: urls, sleep: () => evenTraffic(hosts, 2, 30, SU) });
    const m = one(all, 'monitoring');
    expect(m.status).toBe('PASS');
    expect(m.summary).toBe('per-shard metrics reachable for all 3 nodes');
    const imb = one(all, 'shard-imbalance', 'requests per shard (metrics)');
    expect(imb.status).toBe('PASS');
    expect(imb.evidence.slice(1).map((e) => e.detail.split(':')[0]).sort()).toEqual([...hosts].sort());
    expect(one(all, 'prepared-statements').status).toBe('PASS');

    const partial = await runDoctor({ ...base(), metricsUrls: [urls[0]] });
    const w = one(partial, 'monitoring');
    expect(w.status).toBe('WARN');
    expect(w.summary).toBe(`metrics cover 1 of 3 nodes (missing ${hosts.filter((h) => h !== hosts[0]).join(', ')})`);
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
      const est = one(r, 'partitions', 'table sb_doc.events (profile estimate)');
      expect(est.status).toBe('PASS');
      expect(est.evidence[0].detail).toMatch(/^workload doctor_wl: rows per partition mean 10, max 10 × \d+ bytes per row/);
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
    // a connection of the app's login: system.clients shows it in its level's scheduling group
    const app = await Connection.connect({ host, port: 9042, credentials: { username: 'app', password: 'x' } });
    try {
      const r = await runDoctor({ ...base(), sleep: () => evenTraffic(hosts, 2, 30, SU) });
      const ok = one(r, 'workload-types', 'service level interactive_sl');
      expect(ok.status).toBe('PASS');
      expect(ok.summary).toBe('interactive, timeout 50 ms, attached to app');
      expect(ok.evidence).toContainEqual({ source: 'system.clients (every node)', detail: expect.stringMatching(/client connections per scheduling group: .*sl:interactive_sl 1/) });
      expect(one(r, 'workload-types', 'service level untyped').status).toBe('WARN');
    } finally {
      await app.close();
      await admin.query('DROP SERVICE LEVEL IF EXISTS interactive_sl');
      await admin.query('DROP SERVICE LEVEL IF EXISTS untyped');
      await admin.query('DROP ROLE IF EXISTS app');
    }
  });

  it('system.clients: the stock Node.js driver (not shard-aware) fails, named with its version and shards; shard-aware connections pass', async () => {
    const cassandra = await import('cassandra-driver');
    const client = new cassandra.default.Client({
      contactPoints: [host], localDataCenter: 'datacenter1', credentials: SU,
      policies: { loadBalancing: new cassandra.default.policies.loadBalancing.DCAwareRoundRobinPolicy('datacenter1') },
    });
    await client.connect();
    const aware = await Promise.all(hosts.flatMap((h) => [0, 1].map((s) => connectShard(h, s, 2, SU))));
    try {
      const r = await runDoctor(base());
      const ds = one(r, 'clients', /Apache Cassandra Node\.js Driver 4\.10\.0, user cassandra/);
      expect(ds.status).toBe('FAIL');
      expect(ds.summary).toMatch(/^not shard-aware: Apache Cassandra Node\.js Driver 4\.10\.0 routes to nodes, never to shards/);
      expect(ds.guidance).toBe('red line: clients that are not shard-aware (a 2–4× latency penalty)');
      // one evidence line per node it is connected to, from that node's own system.clients
      expect(ds.evidence.map((e) => e.source).sort()).toEqual(hosts.map((h) => `${h}:9042 system.clients`).sort());
      for (const e of ds.evidence) expect(e.detail).toMatch(/^\S+:9042: \d+ connections?, per shard \[\d+, \d+\] \([12] of 2 shards\); scheduling group sl:default$/);
      const sb = one(r, 'clients', /scylla-bench/);
      expect(sb.status).toBe('PASS');
      expect(sb.evidence).toHaveLength(3);
      // one per shard from the shard-aware connections (node 1 also has this test's admin connection)
      expect(sb.evidence.map((e) => e.detail.replace(/^\S+: /, '')).sort()).toEqual([
        expect.stringMatching(/^2 connections, per shard \[1, 1\] \(2 of 2 shards\); scheduling group sl:default$/),
        expect.stringMatching(/^2 connections, per shard \[1, 1\] \(2 of 2 shards\); scheduling group sl:default$/),
        expect.stringMatching(/^3 connections, per shard \[(2, 1|1, 2)\] \(2 of 2 shards\); scheduling group sl:default$/),
      ]);
    } finally {
      await client.shutdown();
      await Promise.all(aware.map((c) => c.close()));
    }
  });

  it.skipIf(skipPython)('system.clients: Scylla\'s python driver (shard-aware, one connection per shard of every node) passes', async () => {
    const py = spawn(venvBin('python'), ['test/doctor/hold_connections.py', host, '9042', SU.username, SU.password], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    py.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<number | null>((resolve) => py.once('exit', resolve));
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: py.stdout }).once('line', resolve);
        py.once('exit', (code) => reject(new Error(`hold_connections.py exited ${code}: ${stderr.slice(-2000)}`)));
      });
      expect(JSON.parse(line).pools_full).toBe(true);
      const r = await runDoctor(base());
      const f = one(r, 'clients', /ScyllaDB Python Driver 3\.29\.\d+, user cassandra/);
      expect(f.status).toBe('PASS');
      expect(f.summary).toBe('a Scylla driver with a connection on every shard of every node it uses');
      expect(f.evidence).toHaveLength(3);
      for (const e of f.evidence) expect(e.detail).toMatch(/^\S+:9042: \d+ connections, per shard \[[1-9]\d*, [1-9]\d*\] \(2 of 2 shards\); scheduling group sl:default$/);
    } finally {
      py.stdin.end();
      await exited;
    }
  });

  it('partitions: none recorded passes, one recorded under 100 MB warns, one over 100 MB fails naming its key, size and node', async () => {
    await admin.query("CREATE KEYSPACE sb_big WITH replication = {'class': 'NetworkTopologyStrategy', 'datacenter1': 1}");
    await admin.query('CREATE TABLE sb_big.blobs (k int, c int, v blob, PRIMARY KEY (k, c))');
    const p = await admin.prepare('INSERT INTO sb_big.blobs (k, c, v) VALUES (?, ?, ?)');
    const chunk = Buffer.alloc(2 * 1024 * 1024, 7);
    const write = async (from: number, to: number): Promise<void> => {
      for (let c = from; c < to; c++) await admin.execute(p, [1, c, chunk]);
    };
    try {
      // 6 × 2 MB: over the emulator's lowered 10 MB line, under doctor's 100 MB one
      await write(0, 6);
      sim.flush();
      const warn = one(await runDoctor(base()), 'partitions', 'table sb_big.blobs');
      expect(warn.status).toBe('WARN');
      expect(warn.summary).toMatch(/^large data recorded \(largest partition 12\.0 MB, 6 rows\), under the 100 MB line$/);

      // grown to 51 × 2 MB = 102 MB
      await write(6, 51);
      sim.flush();
      const r = await runDoctor(base());
      const f = one(r, 'partitions', 'table sb_big.blobs');
      expect(f.status).toBe('FAIL');
      expect(f.summary).toBe('1 partition over 100 MB (largest 102.0 MB)');
      expect(f.evidence[0].source).toMatch(/:9042 system\.large_partitions$/);
      // the key as Scylla records it: int 1 is the reference's own example
      expect(f.evidence[0].detail).toMatch(/^partition \{key: pk\{000400000001\}, token:-4069959284402364209\}: 102\.0 MB, 51 rows \(on \S+:9042\)$/);
      expect(f.guidance).toBe('red line: partitions larger than 100 MB');
      expect(f.fix).toMatch(/add a bucket/);
    } finally {
      await admin.query('DROP KEYSPACE sb_big');
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
