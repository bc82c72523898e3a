/**
 * The same statements on the emulator and on a real Cassandra 5.0 return the same rows; and
 * tests/queries.cql runs cleanly through cqlsh against the real server too.
 */
import cassandra from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim, type Sim } from '../../src/sim/index.js';
import { runVenv, skipPython } from '../support/python-venv.js';
import { cassandraInfo } from '../support/real.js';
import { simHost } from '../support/sim-host.js';

const info = cassandraInfo();
const KS = 'sb_diff';

const SETUP = [
  `DROP KEYSPACE IF EXISTS ${KS}`,
  `CREATE KEYSPACE ${KS} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
  `CREATE TABLE ${KS}.events (partition_id int, event_time timestamp, event_id int, event_type text, data text, tags set<text>, PRIMARY KEY ((partition_id), event_time, event_id)) WITH CLUSTERING ORDER BY (event_time DESC, event_id ASC)`,
  `CREATE MATERIALIZED VIEW ${KS}.events_by_type AS SELECT * FROM ${KS}.events WHERE event_type IS NOT NULL AND partition_id IS NOT NULL AND event_time IS NOT NULL AND event_id IS NOT NULL PRIMARY KEY ((event_type), partition_id, event_time, event_id)`,
  `CREATE MATERIALIZED VIEW ${KS}.events_by_data AS SELECT partition_id, event_time, event_id, data FROM ${KS}.events WHERE data IS NOT NULL AND partition_id IS NOT NULL AND event_time IS NOT NULL AND event_id IS NOT NULL PRIMARY KEY (data, partition_id, event_time, event_id)`,
  `CREATE TABLE ${KS}.comp (a int, b text, c int, s int static, v bigint, PRIMARY KEY ((a, b), c))`,
  `CREATE TABLE ${KS}.kv (k int PRIMARY KEY, v text)`,
  `CREATE TYPE ${KS}.addr (street text, zip int)`,
  `CREATE TABLE ${KS}.coll (k int PRIMARY KEY, m map<text, int>, l list<int>, s set<int>, t tuple<int, text>, a frozen<addr>)`,
  `CREATE TABLE ${KS}.cnt (k int PRIMARY KEY, n counter, o counter)`,
  `CREATE TABLE ${KS}.lwt (k int, c int, v text, PRIMARY KEY (k, c))`,
  `CREATE TABLE ${KS}.two (k int, c1 int, c2 text, v int, PRIMARY KEY (k, c1, c2)) WITH CLUSTERING ORDER BY (c1 ASC, c2 DESC)`,
  `CREATE TABLE ${KS}.life (k int, c int, s int static, a int, b int, PRIMARY KEY (k, c))`,
];

const WRITES: string[] = [];
for (let p = 0; p < 4; p++) {
  for (let i = 0; i < 6; i++) {
    WRITES.push(`INSERT INTO ${KS}.events (partition_id, event_time, event_id, event_type, data, tags) VALUES (${p}, ${1_700_000_000_000 + (i % 3) * 1000}, ${i}, '${['click', 'view', 'buy'][i % 3]}', 'd${p}-${i}', {'t${i % 2}', 'x'}) USING TIMESTAMP ${1000 + i}`);
  }
}
WRITES.push(
  `INSERT INTO ${KS}.events (partition_id, event_time, event_id, data) VALUES (1, 1700000000000, 0, 'older') USING TIMESTAMP 10`,
  `UPDATE ${KS}.events USING TIMESTAMP 5000 SET data = 'newer', tags = tags + {'y'} WHERE partition_id = 2 AND event_time = 1700000001000 AND event_id = 1`,
  `DELETE FROM ${KS}.events USING TIMESTAMP 6000 WHERE partition_id = 3 AND event_time = 1700000002000`,
  `DELETE data FROM ${KS}.events USING TIMESTAMP 6000 WHERE partition_id = 0 AND event_time = 1700000000000 AND event_id = 0`,
  `BEGIN BATCH INSERT INTO ${KS}.comp (a, b, c, s, v) VALUES (1, 'x', 1, 7, 10); INSERT INTO ${KS}.comp (a, b, c, v) VALUES (1, 'x', 2, 20); APPLY BATCH`,
  `INSERT INTO ${KS}.comp (a, b, c, v) VALUES (2, 'y', 1, -5)`,
  `UPDATE ${KS}.comp SET s = 9 WHERE a = 3 AND b = 'z'`,
);
for (let k = 0; k < 50; k++) WRITES.push(`INSERT INTO ${KS}.kv (k, v) VALUES (${k}, 'v${k}')`);
WRITES.push(
  `INSERT INTO ${KS}.coll (k, m, l, s, t, a) VALUES (1, {'b': 2, 'a': 1}, [3, 1, 2], {5, 1, 3}, (7, 'seven'), {street: 'main', zip: 12345})`,
  `UPDATE ${KS}.coll SET m['c'] = 3, l = l + [9], s = s + {2} WHERE k = 1`,
  `UPDATE ${KS}.coll SET m = m - {'a'}, l = [0] + l, s = s - {5} WHERE k = 1`,
  `UPDATE ${KS}.coll SET l[1] = 42 WHERE k = 1`,
  `DELETE m['b'] FROM ${KS}.coll WHERE k = 1`,
  `UPDATE ${KS}.coll SET m = {'z': 26} WHERE k = 2`,
  `UPDATE ${KS}.cnt SET n = n + 5, o = o - 1 WHERE k = 1`,
  `UPDATE ${KS}.cnt SET n = n + 2 WHERE k = 1`,
  `UPDATE ${KS}.cnt SET n = n - 10 WHERE k = 2`,
  `INSERT INTO ${KS}.lwt (k, c, v) VALUES (1, 1, 'a')`,
  `INSERT INTO ${KS}.lwt (k, c, v) VALUES (1, 2, 'b')`,
  `INSERT INTO ${KS}.lwt (k, c, v) VALUES (1, 3, 'c')`,
  `INSERT INTO ${KS}.lwt (k, c, v) VALUES (1, 4, 'd')`,
  `DELETE FROM ${KS}.lwt WHERE k = 1 AND c > 1 AND c <= 3`,
  `INSERT INTO ${KS}.lwt (k, c, v) VALUES (2, 1, 'x') USING TIMESTAMP 777`,
  `DELETE FROM ${KS}.lwt WHERE k = 2 AND c IN (5, 6)`,
  // row liveness: an INSERTed row outlives its cells, an UPDATEd one does not
  `INSERT INTO ${KS}.life (k, c, a) VALUES (1, 1, 10)`,
  `UPDATE ${KS}.life SET a = 20 WHERE k = 1 AND c = 2`,
  `UPDATE ${KS}.life SET a = null WHERE k = 1 AND c = 1`,
  `UPDATE ${KS}.life SET a = null WHERE k = 1 AND c = 2`,
  `INSERT INTO ${KS}.life (k, c) VALUES (1, 3)`,
  `UPDATE ${KS}.life SET s = 7, b = 1 WHERE k = 1 AND c = 4`,
  `INSERT INTO ${KS}.life (k, c, s, a) VALUES (2, 1, 8, 1)`,
  `DELETE s FROM ${KS}.life WHERE k = 2`,
  `INSERT INTO ${KS}.life (k, s) VALUES (3, 9)`,
);
for (let c1 = 0; c1 < 3; c1++) for (const c2 of ['a', 'b', 'c']) WRITES.push(`INSERT INTO ${KS}.two (k, c1, c2, v) VALUES (1, ${c1}, '${c2}', ${c1 * 10 + c2.charCodeAt(0) - 97})`);
WRITES.push(`DELETE FROM ${KS}.two WHERE k = 1 AND c1 = 1 AND c2 >= 'b'`);

const QUERIES = [
  `SELECT * FROM ${KS}.events WHERE partition_id = 0`,
  `SELECT * FROM ${KS}.events WHERE partition_id = 1 ORDER BY event_time ASC, event_id DESC`,
  `SELECT data, tags FROM ${KS}.events WHERE partition_id = 2`,
  `SELECT * FROM ${KS}.events WHERE partition_id = 3`,
  `SELECT event_id FROM ${KS}.events WHERE partition_id = 1 AND event_time > 1700000000000`,
  `SELECT event_id FROM ${KS}.events WHERE partition_id = 1 AND event_time = 1700000001000 AND event_id IN (4, 1)`,
  `SELECT partition_id, event_id FROM ${KS}.events WHERE partition_id IN (0, 1, 2) PER PARTITION LIMIT 2`,
  `SELECT partition_id, event_id FROM ${KS}.events LIMIT 7`,
  `SELECT count(*) FROM ${KS}.events`,
  `SELECT count(*) FROM ${KS}.events WHERE partition_id = 1`,
  `SELECT event_id, data FROM ${KS}.events WHERE event_type = 'buy' ALLOW FILTERING`,
  `SELECT DISTINCT partition_id FROM ${KS}.events`,
  `SELECT * FROM ${KS}.comp`,
  `SELECT * FROM ${KS}.comp WHERE a = 1 AND b = 'x'`,
  `SELECT a, b, s FROM ${KS}.comp WHERE a = 3 AND b = 'z'`,
  `SELECT token(k), k, v FROM ${KS}.kv`,
  `SELECT k FROM ${KS}.kv WHERE token(k) > -3000000000000000000 AND token(k) <= 3000000000000000000`,
  `SELECT * FROM ${KS}.coll`,
  `SELECT k, m FROM ${KS}.coll WHERE k = 2`,
  `SELECT * FROM ${KS}.cnt`,
  `SELECT * FROM ${KS}.lwt`,
  `SELECT v, writetime(v) FROM ${KS}.lwt WHERE k = 2`,
  `SELECT k, c FROM ${KS}.lwt WHERE k = 1 AND c IN (4, 1, 2)`,
  `SELECT count(*) FROM ${KS}.kv LIMIT 1`,
  `SELECT k FROM ${KS}.coll WHERE s CONTAINS 3 ALLOW FILTERING`,
  `SELECT k FROM ${KS}.coll WHERE m CONTAINS KEY 'c' ALLOW FILTERING`,
  `SELECT partition_id, event_id FROM ${KS}.events WHERE partition_id = 1 AND event_time IN (1700000002000, 1700000000000)`,
  `SELECT event_id FROM ${KS}.events WHERE partition_id = 1 AND event_time >= 1700000001000 AND event_time < 1700000002000`,
  `SELECT * FROM ${KS}.events_by_type`,
  `SELECT partition_id, event_id, data FROM ${KS}.events_by_type WHERE event_type = 'click'`,
  `SELECT * FROM ${KS}.events_by_data`,
  `SELECT * FROM ${KS}.life`,
  `SELECT k, s FROM ${KS}.life`,
  `SELECT DISTINCT k, s FROM ${KS}.life`,
  `SELECT * FROM ${KS}.life WHERE k = 3`,
  `SELECT * FROM ${KS}.two WHERE k = 1`,
  `SELECT c1, c2 FROM ${KS}.two WHERE k = 1 AND c1 = 2 AND c2 < 'c'`,
  `SELECT c1, c2 FROM ${KS}.two WHERE k = 1 AND c1 >= 1`,
  `SELECT c1, c2 FROM ${KS}.two WHERE k = 1 ORDER BY c1 DESC, c2 ASC LIMIT 4`,
  `SELECT c1, c2 FROM ${KS}.two WHERE k = 1 AND c1 IN (2, 0) AND c2 IN ('c', 'a')`,
  `SELECT * FROM ${KS}.comp WHERE a = 1 AND b = 'x' AND c > 1`,
  `SELECT DISTINCT a, b, s FROM ${KS}.comp`,
];

/** Read with a tiny page size and collected over all pages: paging must resume exactly. */
const PAGED = [
  `SELECT * FROM ${KS}.events`,
  `SELECT partition_id, event_id FROM ${KS}.events PER PARTITION LIMIT 4`,
  `SELECT partition_id, event_id FROM ${KS}.events WHERE partition_id IN (2, 0, 1)`,
  `SELECT DISTINCT partition_id FROM ${KS}.events`,
  `SELECT event_id FROM ${KS}.events WHERE partition_id = 1 ORDER BY event_time ASC, event_id DESC`,
  `SELECT k, v FROM ${KS}.kv WHERE token(k) > 0`,
  `SELECT * FROM ${KS}.comp`,
];

/** Bad statements: the emulator answers with the same error code as the server (messages are Scylla's). */
const ERRORS = [
  `SELECT * FROM ${KS}.events WHERE data = 'x'`,
  `SELECT * FROM ${KS}.comp WHERE a = 1`,
  `SELECT nope FROM ${KS}.kv`,
  `SELECT * FROM ${KS}.missing`,
  `SELECT * FROM ${KS}.events ORDER BY event_time DESC`,
  `SELECT * FROM ${KS}.events WHERE partition_id = 1 ORDER BY event_id DESC`,
  `INSERT INTO ${KS}.kv (k, v) VALUES ('one', 'x')`,
  `INSERT INTO ${KS}.events (partition_id, event_id) VALUES (1, 1)`,
  `UPDATE ${KS}.kv SET k = 2 WHERE k = 1`,
  `UPDATE ${KS}.cnt SET n = 5 WHERE k = 1`,
  `CREATE KEYSPACE ${KS} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
  `CREATE TABLE ${KS}.kv (k int PRIMARY KEY)`,
  `CREATE TABLE ${KS}.bad (k int, v int)`,
  `CREATE TABLE ${KS}.bad (k int PRIMARY KEY, s int static)`,
  `DROP TABLE ${KS}.missing`,
  `INSERT INTO ${KS}.kv (k, v) VALUES (1, 'x') USING TTL -1`,
  `SELECT * FROM ${KS}.kv WHERE k = 1 LIMIT 0`,
  `CREATE MATERIALIZED VIEW ${KS}.bad_view AS SELECT * FROM ${KS}.events WHERE event_type IS NOT NULL AND partition_id IS NOT NULL AND event_time IS NOT NULL PRIMARY KEY ((event_type), partition_id, event_time)`,
  `BEGIN BATCH UPDATE ${KS}.cnt SET n = n + 1 WHERE k = 1; INSERT INTO ${KS}.kv (k, v) VALUES (1, 'x'); APPLY BATCH`,
  `SELEC * FROM ${KS}.kv`,
];

/**
 * Where Scylla and Cassandra 5 differ, the emulator follows Scylla: the code it must answer.
 * DROP KEYSPACE of a missing keyspace: Scylla's migration_manager throws configuration_exception
 * (Cassandra 5 answers Invalid). token() with an EQ on the partition key: Scylla refuses it
 * (Cassandra 5 accepts it).
 */
const SCYLLA_ONLY_ERRORS: [string, number][] = [
  ['DROP KEYSPACE sb_no_such_keyspace', 0x2300],
  [`SELECT * FROM ${KS}.kv WHERE token(k) > 0 AND k = 1`, 0x2200],
];

/** Conditional statements: each returns its [applied] row. */
const LWT = [
  `INSERT INTO ${KS}.lwt (k, c, v) VALUES (9, 1, 'new') IF NOT EXISTS`,
  `INSERT INTO ${KS}.lwt (k, c, v) VALUES (9, 1, 'again') IF NOT EXISTS`,
  `UPDATE ${KS}.lwt SET v = 'upd' WHERE k = 9 AND c = 1 IF v = 'new'`,
  `UPDATE ${KS}.lwt SET v = 'no' WHERE k = 9 AND c = 1 IF v = 'new'`,
  `UPDATE ${KS}.lwt SET v = 'no' WHERE k = 9 AND c = 2 IF EXISTS`,
  `DELETE FROM ${KS}.lwt WHERE k = 9 AND c = 1 IF EXISTS`,
];

/** Literals per native type, in no particular order: ordering and conversion are both compared. */
const TYPED: Record<string, string[]> = {
  ascii: ["'b'", "'a'", "'ab'", "''"],
  bigint: ['5', '-5', '0', '9223372036854775807', '-9223372036854775808'],
  blob: ['0x0102', '0x01', '0xff', '0x'],
  boolean: ['true', 'false'],
  date: ["'2024-02-29'", "'1970-01-01'", "'1969-12-31'", '2147483648'],
  decimal: ['1.50', '-0.001', '10', '1.5e3', '0'],
  double: ['1.5', '-2.25', '0', '1e300', 'NaN', '-Infinity'],
  float: ['1.5', '-2.25', '0.1'],
  inet: ["'10.0.0.1'", "'127.0.0.1'", "'::1'", "'2001:db8::ff00:42:8329'"],
  int: ['1', '-1', '2147483647', '-2147483648', '0'],
  smallint: ['1', '-1', '32767', '-32768'],
  text: ["'zürich'", "'abc'", "'Abc'", "''"],
  time: ["'08:12:54'", "'00:00:00.000000001'", "'23:59:59.999999999'"],
  timestamp: ["'2024-01-01 00:00:00+0000'", '0', '-1000', "'2024-01-01T10:00:00.123+0200'"],
  timeuuid: ['50554d6e-29bb-11e5-b345-feff819cdc9f', '6b1dbe34-29bb-11e5-b345-feff819cdc9f', 'c0e9e9c0-29bb-11e5-8000-000000000000', '00000000-0000-1000-8080-808080808080'],
  tinyint: ['1', '-1', '127', '-128'],
  uuid: ['5b6962dd-3f90-4c93-8f61-eabfa4a803e2', '50554d6e-29bb-11e5-b345-feff819cdc9f', '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-4fff-bfff-ffffffffffff'],
  varint: ['0', '-1', '123456789012345678901234567890', '-98765432109876543210', '255'],
};

for (const [type, values] of Object.entries(TYPED)) {
  SETUP.push(`CREATE TABLE ${KS}.t_${type} (k int, c ${type}, v ${type}, d duration, PRIMARY KEY (k, c))`);
  values.forEach((lit, i) => WRITES.push(`INSERT INTO ${KS}.t_${type} (k, c, v, d) VALUES (1, ${lit}, ${lit}, ${['1h30m', '-2d', '1y2mo3w4d5h6m7s8ms9us10ns', 'P1DT2H'][i % 4]})`));
  QUERIES.push(`SELECT * FROM ${KS}.t_${type}`, `SELECT c FROM ${KS}.t_${type} WHERE k = 1 AND c >= ${values[0]}`);
}

/** Driver values → JSON-comparable values. */
function norm(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.getTime();
  if (Array.isArray(v)) return v.map(norm);
  if (typeof v === 'number' && Number.isNaN(v)) return 'NaN';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  if (Buffer.isBuffer(v)) return `0x${v.toString('hex')}`;
  if (typeof v === 'object' && v !== null && ['Long', 'Uuid', 'TimeUuid', 'BigDecimal', 'Integer', 'InetAddress', 'LocalDate', 'LocalTime', 'Duration'].includes(v.constructor?.name ?? '')) return String(v);
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, norm(x)]));
  return v;
}

async function runAll(client: cassandra.Client): Promise<unknown[]> {
  for (const s of [...SETUP, ...WRITES]) await client.execute(s);
  const out: unknown[] = [];
  for (const q of LWT) {
    const r = await client.execute(q);
    out.push({ q, columns: r.columns.map((c) => c.name), rows: r.rows.map((row) => r.columns.map((c) => norm(row[c.name]))) });
  }
  for (const q of QUERIES) {
    const r = await client.execute(q, [], { fetchSize: 5000 });
    out.push({ q, columns: r.columns.map((c) => c.name), rows: r.rows.map((row) => r.columns.map((c) => norm(row[c.name]))) });
  }
  // prepared statements: the driver encodes bound values from the PREPARED metadata
  for (const type of Object.keys(TYPED)) {
    const first = (await client.execute(`SELECT c FROM ${KS}.t_${type} WHERE k = 1 LIMIT 1`)).first().c;
    const r = await client.execute(`SELECT c, v, d FROM ${KS}.t_${type} WHERE k = ? AND c > ?`, [1, first], { prepare: true });
    await client.execute(`INSERT INTO ${KS}.t_${type} (k, c, v) VALUES (?, ?, ?)`, [2, first, first], { prepare: true });
    const back = await client.execute(`SELECT c, v FROM ${KS}.t_${type} WHERE k = :k`, { k: 2 }, { prepare: true });
    out.push({ q: `prepared ${type}`, rows: r.rows.map((row) => r.columns.map((c) => norm(row[c.name]))), back: back.rows.map((row) => back.columns.map((c) => norm(row[c.name]))) });
  }
  for (const q of ERRORS) {
    const code = await client.execute(q).then(() => 'no error', (e: { code?: number }) => e.code);
    out.push({ q, code });
  }
  for (const q of PAGED) {
    const rows: unknown[] = [];
    let pageState: string | undefined;
    let pages = 0;
    do {
      const r = await client.execute(q, [], { fetchSize: 3, pageState });
      for (const row of r.rows) rows.push(r.columns.map((c) => norm(row[c.name])));
      pageState = r.pageState ?? undefined;
      pages++;
    } while (pageState && pages < 200);
    out.push({ q: `${q} (pages of 3)`, rows });
  }
  return out;
}

describe.skipIf(!info)('differential: emulator vs real Cassandra 5.0', () => {
  let sim: Sim;
  let simClient: cassandra.Client;
  let realClient: cassandra.Client;
  const host = simHost();

  beforeAll(async () => {
    // a single Cassandra node applies its local view updates with the base write: so does the emulator here
    sim = await startSim({ nodes: 1, shards: 2, host, vnodesPerNode: 16, viewDelayMs: 0, viewDelayPerPendingMs: 0 });
    simClient = new cassandra.Client({ contactPoints: [host], localDataCenter: 'datacenter1' });
    realClient = new cassandra.Client({
      contactPoints: [`${info!.host}:${info!.port}`], localDataCenter: 'datacenter1',
      credentials: { username: info!.username, password: info!.password },
      socketOptions: { readTimeout: 60_000 },
    });
    await Promise.all([simClient.connect(), realClient.connect()]);
  });
  afterAll(async () => {
    await simClient?.execute(`DROP KEYSPACE IF EXISTS ${KS}`).catch(() => {});
    await realClient?.execute(`DROP KEYSPACE IF EXISTS ${KS}`).catch(() => {});
    await Promise.all([simClient?.shutdown(), realClient?.shutdown()]);
    await sim?.stop();
  });

  it('returns the same columns and rows for every query', async () => {
    const [a, b] = [await runAll(simClient), await runAll(realClient)];
    const all = [...LWT, ...QUERIES, ...Object.keys(TYPED).map((t) => `prepared ${t}`), ...ERRORS, ...PAGED];
    const diffs = all.map((q, i) => ({ q, a: a[i], b: b[i] })).filter((x) => JSON.stringify(x.a) !== JSON.stringify(x.b));
    if (process.env.SB_DIFF_DUMP) console.log(JSON.stringify(diffs, null, 1));
    for (let i = 0; i < all.length; i++) expect(a[i], all[i]).toEqual(b[i]);
    for (const [q, code] of SCYLLA_ONLY_ERRORS) {
      expect(await simClient.execute(q).then(() => 'no error', (e: { code?: number }) => e.code), q).toBe(code);
    }
  }, 180_000);

  it.skipIf(skipPython)('cqlsh DESCRIBE KEYSPACES succeeds against the real Cassandra', async () => {
    const r = await runVenv('cqlsh', [info!.host, String(info!.port), '-u', info!.username, '-p', info!.password, '-e', 'DESCRIBE KEYSPACES'], 180_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split(/\s+/)).toContain('system_schema');
  }, 200_000);

  it.skipIf(skipPython)('cqlsh -f tests/queries.cql succeeds against the real Cassandra', async () => {
    const r = await runVenv('cqlsh', [info!.host, String(info!.port), '-u', info!.username, '-p', info!.password, '-f', 'tests/queries.cql'], 180_000);
    // cqlsh warns about a password given on the command line; anything else on stderr is a failure
    expect(r.stderr.replace(/^.*(Warning: Using a password|Recommendation: use the credentials file).*$/gm, '').trim()).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('p2');
  }, 200_000);
});
