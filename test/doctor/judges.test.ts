/**
 * The checks' verdicts on small fixtures, for cases the emulator tests (doctor-sim.test.ts) do
 * not produce: other drivers and shard counts in system.clients, other partition keys in
 * system.large_*, Scylla's exposition without an instance label, reactor utilization of a busy
 * cluster, two-DC consistency levels, TWCS window counts Scylla would refuse at CREATE.
 * The rows have exactly the columns Scylla's tables have (db/virtual_tables.cc, §7).
 */
import { describe, expect, it } from 'vitest';
import { clientRows, judgeClients } from '../../src/doctor/checks/clients.js';
import { judgeTable, type TableFacts } from '../../src/doctor/checks/compaction.js';
import { checkImbalanceFromMetrics, checkPrepared } from '../../src/doctor/checks/metrics.js';
import { judgeLarge, RED_LINE_PARTITION_BYTES, type LargeRecord } from '../../src/doctor/checks/partitions.js';
import { judgeKeyspace, replicasNeeded } from '../../src/doctor/checks/replication.js';
import type { DoctorContext, MetricsView } from '../../src/doctor/context.js';
import { parseExposition, type Scrape } from '../../src/doctor/prom-text.js';

// system.clients rows as Scylla returns them (address, port, client_type, shard_id, …, scheduling_group)
const row = (address: string, port: number, shard: number, driver: string | null, version: string | null, group = 'sl:default') => ({
  address, port, client_type: 'cql', shard_id: shard, connection_stage: 'READY', driver_name: driver, driver_version: version,
  hostname: null, protocol_version: 4, ssl_cipher_suite: null, ssl_enabled: false, ssl_protocol: null, username: 'app', scheduling_group: group,
  client_options: new Map(),
});

describe('clients: which connected clients are shard-aware', () => {
  it('the DataStax driver fails (one connection per node, routes to nodes), naming the 2–4× red line; a Scylla driver on every shard passes', () => {
    const node = (label: string, rows: ReturnType<typeof row>[]) => ({ node: label, nrShards: 4, source: `${label} system.clients`, rows: clientRows(rows) });
    const f = judgeClients([
      node('10.0.0.1:9042', [
        row('10.1.0.5', 40001, 0, 'DataStax Node.js Driver', '4.7.2'),
        ...[0, 1, 2, 3].map((s) => row('10.1.0.6', 50000 + s, s, 'ScyllaDB Python Driver', '3.29.1', 'sl:oltp')),
      ]),
      node('10.0.0.2:9042', [row('10.1.0.5', 40002, 0, 'DataStax Node.js Driver', '4.7.2')]),
    ]);
    const ds = f.find((x) => x.subject.includes('DataStax'))!;
    expect(ds.status).toBe('FAIL');
    expect(ds.summary).toMatch(/routes to nodes, never to shards, and reaches only some shards of 2 node/);
    expect(ds.evidence.map((e) => e.detail)).toEqual([
      '10.0.0.1:9042: 1 connection, per shard [1, 0, 0, 0] (1 of 4 shards); scheduling group sl:default',
      '10.0.0.2:9042: 1 connection, per shard [1, 0, 0, 0] (1 of 4 shards); scheduling group sl:default',
    ]);
    expect(ds.guidance).toBe('red line: clients that are not shard-aware (a 2–4× latency penalty)');
    const py = f.find((x) => x.subject.includes('Python'))!;
    expect(py.status).toBe('PASS');
    expect(py.evidence[0].detail).toBe('10.0.0.1:9042: 4 connections, per shard [1, 1, 1, 1] (4 of 4 shards); scheduling group sl:oltp');
  });

  it('a Scylla driver missing shards warns (pool not full); a nameless client on some shards fails', () => {
    const f = judgeClients([{
      node: 'n1', nrShards: 4, source: 'n1 system.clients', rows: clientRows([
        row('10.1.0.7', 1, 0, 'ScyllaDB GoCQL Driver', '1.14'), row('10.1.0.7', 2, 1, 'ScyllaDB GoCQL Driver', '1.14'),
        row('10.1.0.8', 3, 2, null, null),
      ]),
    }]);
    expect(f.map((x) => `${x.status} ${x.subject}`)).toEqual([
      'WARN client 10.1.0.7 (ScyllaDB GoCQL Driver 1.14, user app)', 'FAIL client 10.1.0.8 (unnamed driver, user app)',
    ]);
  });
});

describe('partitions: system.large_partitions / large_rows / large_cells', () => {
  const rec = (o: Partial<LargeRecord>): LargeRecord => ({
    kind: 'partition', keyspace: 'ks', table: 't', partitionKey: '{key: pk{000400000001}, token:-4069959284402364209}', sizeBytes: 0, rows: 10, node: 'n1', source: 'n1 system.large_partitions', ...o,
  });
  it('over 100 MB fails, naming the partition, its size and every replica that recorded it', () => {
    const f = judgeLarge([
      rec({ sizeBytes: RED_LINE_PARTITION_BYTES + 1024 * 1024, rows: 250000 }),
      rec({ sizeBytes: RED_LINE_PARTITION_BYTES + 1024 * 1024, rows: 250000, node: 'n2', source: 'n2 system.large_partitions' }),
    ], []);
    expect(f).toHaveLength(1);
    expect(f[0].status).toBe('FAIL');
    expect(f[0].summary).toBe('1 partition over 100 MB (largest 101.0 MB)');
    expect(f[0].evidence[0].detail).toBe('partition {key: pk{000400000001}, token:-4069959284402364209}: 101.0 MB, 250000 rows (on n1, n2)');
    expect(f[0].fix).toMatch(/add a bucket/);
  });
  it('recorded but under the line warns; nothing recorded passes', () => {
    expect(judgeLarge([rec({ sizeBytes: 20 * 1024 * 1024 }), rec({ kind: 'row', sizeBytes: 12 * 1024 * 1024, rows: null })], [])[0].status).toBe('WARN');
    expect(judgeLarge([], [{ source: 'n1 system.large_*', detail: 'user rows: 0' }])[0].status).toBe('PASS');
  });
});

describe('compaction: the matrix and TWCS rules', () => {
  const t = (compaction: Record<string, string>, ttl: number, ck: string | null = 'timestamp'): TableFacts => ({
    keyspace: 'ks', table: 't', source: 'n1 system_schema.tables', compaction, defaultTtlSec: ttl,
    firstClusteringColumn: ck ? { name: 'at', type: ck } : null,
  });
  it('TWCS with more than 50 windows per TTL fails (Scylla refuses such a CREATE today; older tables may have it)', () => {
    const f = judgeTable(t({ class: 'TimeWindowCompactionStrategy', compaction_window_unit: 'MINUTES', compaction_window_size: '10' }, 86400), null, null);
    expect(f.status).toBe('FAIL');
    expect(f.summary).toMatch(/TWCS with 144 windows per TTL/);
    expect(f.fix).toMatch(/≥ 1728 s/);
  });
  it('TWCS without a TTL warns without a profile (writes may carry USING TTL), 24 windows pass', () => {
    expect(judgeTable(t({ class: 'TimeWindowCompactionStrategy' }, 0), null, null).status).toBe('WARN');
    expect(judgeTable(t({ class: 'org.apache.cassandra.db.compaction.TimeWindowCompactionStrategy', compaction_window_unit: 'HOURS', compaction_window_size: '1' }, 86400), null, null).status).toBe('PASS');
  });
});

describe('replication: CL against RF', () => {
  it('counts replicas per CL as Scylla does', () => {
    expect(replicasNeeded('LOCAL_QUORUM', 3, 6, [3, 3])).toBe(2);
    expect(replicasNeeded('QUORUM', 3, 6, [3, 3])).toBe(4);
    expect(replicasNeeded('EACH_QUORUM', 3, 5, [3, 2])).toBe(2);
    expect(replicasNeeded('ALL', 3, 3, [3])).toBe(3);
  });
  it('THREE on RF 2 fails (always Unavailable); QUORUM across two DCs warns', () => {
    const nodes = new Map([['dc1', 3], ['dc2', 3]]);
    const ks = (r: Record<string, string>) => ({ name: 'ks', source: 'n1 system_schema.keyspaces', replication: { class: 'org.apache.cassandra.locator.NetworkTopologyStrategy', ...r } });
    const op = (cl: 'THREE' | 'QUORUM') => ({ cls: 'c', op: 'o', keyspace: 'ks', consistency: cl });
    const f1 = judgeKeyspace(ks({ dc1: '2' }), new Map([['dc1', 3]]), [op('THREE')], 'p.yaml');
    expect(f1.status).toBe('FAIL');
    expect(f1.summary).toMatch(/THREE needs 3 replicas, RF 2 has fewer/);
    const f2 = judgeKeyspace(ks({ dc1: '3', dc2: '3' }), nodes, [op('QUORUM')], 'p.yaml');
    expect(f2.status).toBe('WARN');
    expect(f2.summary).toMatch(/QUORUM on a keyspace in 2 DCs/);
  });
});

// Scylla's own exposition (one node, no instance label; Prometheus adds it when it scrapes)
function scrapeOf(text: string, url = 'http://10.0.0.1:9180/metrics'): Scrape {
  return { url, host: new URL(url).hostname, samples: parseExposition(text) };
}
const ctx = { imbalanceWarn: 1.5, imbalanceFail: 2 } as DoctorContext;

describe('prepared statements and imbalance from Scylla-named counters', () => {
  const scylla = (parsed: number, sys: number, execute: number, query: number) => scrapeOf([
    '# HELP scylla_query_processor_statements_prepared Counts the total number of parsed CQL requests.',
    '# TYPE scylla_query_processor_statements_prepared counter',
    `scylla_query_processor_statements_prepared{shard="0"} ${parsed}`,
    `scylla_cql_reads_per_ks{ks="system",shard="0",who="user"} ${sys}`,
    `scylla_transport_cql_requests_count{kind="EXECUTE",scheduling_group_name="sl:default",shard="0"} ${execute}`,
    `scylla_transport_cql_requests_count{kind="QUERY",scheduling_group_name="sl:default",shard="0"} ${query}`,
  ].join('\n'));
  const view = (a: Scrape, b: Scrape): MetricsView => ({ urls: [a.url], guessed: false, first: [a], last: [b], windowMs: 5000, errors: [] });

  it('parses minus system-keyspace queries over the window: 0 passes, 1 % warns, 10 % fails (Scylla Monitoring\'s cql:non_prepared)', () => {
    expect(checkPrepared(view(scylla(100, 100, 0, 100), scylla(110, 110, 1000, 110)))[0].status).toBe('PASS');
    const warn = checkPrepared(view(scylla(100, 100, 0, 100), scylla(120, 110, 1000, 120)))[0];
    expect(warn.status).toBe('WARN');
    expect(warn.evidence[0].detail).toBe('in the 5000 ms window: scylla_query_processor_statements_prepared − system-keyspace queries = 10 non-prepared of 1020 CQL requests (0.98 %)');
    const fail = checkPrepared(view(scylla(0, 0, 0, 0), scylla(100, 0, 900, 100)))[0];
    expect(fail.status).toBe('FAIL');
    expect(fail.guidance).toBe('practice 1: prepared statements');
  });

  it('per-shard requests from one scrape per node (no instance label: the URL is the node)', () => {
    const node = (host: string, shards: number[], base: number[]) => [
      scrapeOf(base.map((v, s) => `scylla_transport_requests_served{shard="${s}"} ${v}`).join('\n'), `http://${host}:9180/metrics`),
      scrapeOf(shards.map((v, s) => `scylla_transport_requests_served{shard="${s}"} ${base[s] + v}`).join('\n'), `http://${host}:9180/metrics`),
    ];
    const [a0, a1] = node('10.0.0.1', [100, 100], [5, 5]);
    const [b0, b1] = node('10.0.0.2', [100, 500], [5, 5]);
    const f = checkImbalanceFromMetrics({ urls: [a0.url, b0.url], guessed: true, first: [a0, b0], last: [a1, b1], windowMs: 5000, errors: [] }, ctx);
    expect(f[0].status).toBe('FAIL');
    expect(f[0].summary).toBe('shard 1 of 10.0.0.2 serves 2.5× the mean');
    expect(f[0].evidence[2].detail).toBe('10.0.0.2: per shard [100, 500]');
  });

  it('Scylla\'s reactor utilization per shard is judged too when the cluster is busy (mean ≥ 10 %)', () => {
    const u = scrapeOf(['scylla_reactor_utilization{shard="0"} 90', 'scylla_reactor_utilization{shard="1"} 30', 'scylla_reactor_utilization{shard="2"} 30', 'scylla_transport_requests_served{shard="0"} 1'].join('\n'));
    const f = checkImbalanceFromMetrics({ urls: [u.url], guessed: false, first: [u], last: [u], windowMs: 1000, errors: [] }, ctx);
    const r = f.find((x) => x.subject.startsWith('reactor'))!;
    expect(r.status).toBe('WARN'); // 90 % against a mean of 50 %: 1.8 (warn ≥ 1.5, fail ≥ 2)
    expect(r.summary).toBe('shard 0 of 10.0.0.1 is 1.8× as busy as the mean');
  });

  it('reads the text format: escapes, +Inf, comments', () => {
    const s = parseExposition('# TYPE x counter\nx{a="q\\"uo\\\\te",le="+Inf"} +Inf\ny 3 1712345678\n');
    expect(s).toEqual([{ name: 'x', labels: { a: 'q"uo\\te', le: '+Inf' }, value: Infinity }, { name: 'y', labels: {}, value: 3 }]);
  });
});
