/**
 * Server-side DESCRIBE (Scylla's cql3/statements/describe_statement.cc). The expected texts are
 * Scylla's formats (schema.cc get_create_statement, data_dictionary.cc, types.cc; the shapes
 * test/cqlpy/test_describe.py checks), and, as that suite does, a described element executed
 * under a new name must produce the same system_schema rows as the original.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection } from '../../src/cql/connection.js';
import { ResponseError } from '../../src/cql/errors.js';
import { decodeRows, type Row } from '../../src/cql/rows.js';
import { startSim, type Sim } from '../../src/sim/index.js';
import { runVenv, skipPython } from '../support/python-venv.js';
import { simHost } from '../support/sim-host.js';

describe('DESCRIBE statements served by the emulator', () => {
  let sim: Sim;
  let c: Connection;
  const host = simHost();

  const rows = async (cql: string, conn = c): Promise<Row[]> => {
    const r = await conn.query(cql);
    if (r.kind !== 'rows') throw new Error(`${cql}: ${r.kind}`);
    return decodeRows(r);
  };
  const error = async (cql: string, conn = c): Promise<{ code: number; message: string }> => {
    try {
      await conn.query(cql);
    } catch (e) {
      if (e instanceof ResponseError) return { code: e.code, message: e.message };
      throw e;
    }
    throw new Error(`${cql} succeeded`);
  };

  beforeAll(async () => {
    sim = await startSim({ nodes: 2, shards: 2, host, vnodesPerNode: 8 });
    c = await Connection.connect({ host, port: 9042 });
    await c.query("CREATE KEYSPACE dk WITH replication = {'class': 'NetworkTopologyStrategy', 'replication_factor': 2}");
    await c.query('CREATE TYPE dk.addr (street text, "Zip" int)');
    await c.query('CREATE TYPE dk.person (name text, home frozen<addr>)');
    await c.query(`CREATE TABLE dk.events (p int, "Ck" text, t timeuuid, s int STATIC, v text, who frozen<person>, tags set<text>,
      PRIMARY KEY ((p), "Ck", t)) WITH CLUSTERING ORDER BY ("Ck" DESC, t ASC) AND comment = 'it''s here' AND gc_grace_seconds = 3600
      AND compaction = {'class': 'TimeWindowCompactionStrategy', 'compaction_window_size': '1'} AND default_time_to_live = 60`);
    await c.query('CREATE TABLE dk.kv (k bigint PRIMARY KEY, v blob)');
    await c.query('CREATE MATERIALIZED VIEW dk.by_v AS SELECT p, "Ck", t, v, who FROM dk.events WHERE v IS NOT NULL AND p IS NOT NULL AND "Ck" IS NOT NULL AND t IS NOT NULL PRIMARY KEY (v, p, "Ck", t)');
  });
  afterAll(async () => {
    await c.close();
    await sim.stop();
  });

  it('answers gocql\'s DESCRIBE KEYSPACE x WITH INTERNALS with keyspace_name, type, name, create_statement from system.describe', async () => {
    const r = await c.query('DESCRIBE KEYSPACE dk WITH INTERNALS');
    expect(r.kind).toBe('rows');
    if (r.kind !== 'rows') return;
    expect(r.metadata.columns!.map((x) => `${x.keyspace}.${x.table}.${x.name}:${x.type.kind}`)).toEqual([
      'system.describe.keyspace_name:text', 'system.describe.type:text', 'system.describe.name:text', 'system.describe.create_statement:text',
    ]);
    const all = decodeRows(r);
    // keyspace, its types (a type after those it uses), then each table followed by its views
    expect(all.map((x) => `${x.type as string} ${x.name as string}`)).toEqual(['keyspace dk', 'type addr', 'type person', 'table events', 'view by_v', 'table kv']);
    expect(all[0].create_statement).toBe("CREATE KEYSPACE dk WITH replication = {'class': 'org.apache.cassandra.locator.NetworkTopologyStrategy', 'datacenter1': '2'} AND durable_writes = true AND tablets = {'enabled': false};");
    expect(all[1].create_statement).toBe('CREATE TYPE dk.addr (\n    street text,\n    "Zip" int\n);');
    expect(all[2].create_statement).toBe('CREATE TYPE dk.person (\n    name text,\n    home frozen<addr>\n);');
    const id = sim.cluster.schema.table('dk', 'events')!.id;
    expect(all[3].create_statement).toBe(`CREATE TABLE dk.events (
    p int,
    "Ck" text,
    t timeuuid,
    s int STATIC,
    tags set<text>,
    v text,
    who frozen<person>,
    PRIMARY KEY (p, "Ck", t)
) WITH ID = ${id}
AND CLUSTERING ORDER BY ("Ck" DESC, t ASC)
    AND bloom_filter_fp_chance = 0.01
    AND caching = {'keys': 'ALL', 'rows_per_partition': 'ALL'}
    AND comment = 'it''s here'
    AND compaction = {'class': 'TimeWindowCompactionStrategy', 'compaction_window_size': '1'}
    AND compression = {'sstable_compression': 'org.apache.cassandra.io.compress.LZ4Compressor'}
    AND crc_check_chance = 1
    AND default_time_to_live = 60
    AND gc_grace_seconds = 3600
    AND max_index_interval = 2048
    AND memtable_flush_period_in_ms = 0
    AND min_index_interval = 128
    AND speculative_retry = '99.0PERCENTILE'
    AND tombstone_gc = {'mode': 'timeout', 'propagation_delay_in_seconds': '3600'};
`);
    expect(all[4].create_statement).toMatch(/^CREATE MATERIALIZED VIEW dk\.by_v AS\n {4}SELECT v, p, "Ck", t, who\n {4}FROM dk\.events\n {4}WHERE v IS NOT NULL AND p IS NOT NULL AND "Ck" IS NOT NULL AND t IS NOT NULL\n {4}PRIMARY KEY \(v, p, "Ck", t\)\n {4}WITH ID = [0-9a-f-]{36}\nAND CLUSTERING ORDER BY \(p ASC, "Ck" ASC, t ASC\)\n {4}AND bloom_filter_fp_chance = 0\.01\n/);
    // without INTERNALS: no ID
    const plain = await rows('DESCRIBE TABLE dk.events');
    expect(plain).toHaveLength(2);
    expect(plain[0].create_statement).toContain(') WITH CLUSTERING ORDER BY ("Ck" DESC, t ASC)\n    AND bloom_filter_fp_chance');
    expect(plain[0].create_statement).not.toContain('ID =');
  });

  it('a described table, executed under another name, has the same system_schema rows', async () => {
    const stmt = (await rows('DESC TABLE dk.events'))[0].create_statement as string;
    await c.query(stmt.replace('CREATE TABLE dk.events', 'CREATE TABLE dk.events_copy'));
    const opts = 'bloom_filter_fp_chance, caching, comment, compaction, compression, crc_check_chance, default_time_to_live, gc_grace_seconds, max_index_interval, memtable_flush_period_in_ms, min_index_interval, speculative_retry, flags';
    const strip = (xs: Row[]): Row[] => xs.map(({ table_name: _t, ...rest }) => rest);
    expect(strip(await rows(`SELECT ${opts}, table_name FROM system_schema.tables WHERE keyspace_name = 'dk' AND table_name = 'events_copy'`)))
      .toEqual(strip(await rows(`SELECT ${opts}, table_name FROM system_schema.tables WHERE keyspace_name = 'dk' AND table_name = 'events'`)));
    const cols = 'column_name, clustering_order, kind, position, type, table_name';
    const copy = strip(await rows(`SELECT ${cols} FROM system_schema.columns WHERE keyspace_name = 'dk' AND table_name = 'events_copy'`));
    expect(copy).toHaveLength(7);
    expect(copy).toEqual(strip(await rows(`SELECT ${cols} FROM system_schema.columns WHERE keyspace_name = 'dk' AND table_name = 'events'`)));
    // and the keyspace statement re-creates an equal keyspace
    const ks = (await rows('DESC ONLY KEYSPACE dk'))[0].create_statement as string;
    await c.query(ks.replace('CREATE KEYSPACE dk ', 'CREATE KEYSPACE dk2 '));
    const [a, b] = await Promise.all(['dk', 'dk2'].map((k) => rows(`SELECT durable_writes, replication FROM system_schema.keyspaces WHERE keyspace_name = '${k}'`)));
    expect(b).toEqual(a);
  });

  it('WITH INTERNALS shows dropped columns and the table id; its statements restore the table as it was', async () => {
    await c.query('CREATE TABLE dk.drops (a int PRIMARY KEY, b int, c int)');
    await c.query('ALTER TABLE dk.drops DROP b');
    expect(await rows("SELECT column_name, type FROM system_schema.dropped_columns WHERE keyspace_name = 'dk' AND table_name = 'drops'")).toEqual([{ column_name: 'b', type: 'int' }]);
    const desc = (await rows('DESC TABLE dk.drops'))[0].create_statement as string;
    expect(desc).not.toContain('b int');
    await c.query('ALTER TABLE dk.drops ADD b int');
    const internals = (await rows('DESC TABLE dk.drops WITH INTERNALS'))[0].create_statement as string;
    const id = sim.cluster.schema.table('dk', 'drops')!.id;
    expect(internals).toMatch(/^CREATE TABLE dk\.drops \(\n {4}a int,\n {4}c int,\n {4}b int,\n {4}PRIMARY KEY \(a\)\n\) WITH ID = /);
    expect(internals).toMatch(/\nALTER TABLE dk\.drops DROP b USING TIMESTAMP \d{16};\nALTER TABLE dk\.drops ADD b int;$/);
    await c.query('DROP TABLE dk.drops');
    // the output is a script: each statement in turn, as cqlsh would run it
    for (const s of internals.split(/;\n/).map((x) => x.trim()).filter(Boolean)) await c.query(s);
    expect(sim.cluster.schema.table('dk', 'drops')!.id).toBe(id);
    expect((await rows('DESC TABLE dk.drops WITH INTERNALS'))[0].create_statement).toBe(internals);
  });

  it('lists keyspaces, tables and types, limited to the USEd keyspace except for KEYSPACES; quotes names as Scylla does', async () => {
    await c.query('CREATE KEYSPACE "Quoted_KS" WITH replication = {\'class\': \'SimpleStrategy\', \'replication_factor\': 1}');
    await c.query('CREATE TABLE "Quoted_KS"."Quoted_TABLE" (a int PRIMARY KEY, "!@#$%" int, "select" int)');
    const kss = await rows('DESC KEYSPACES');
    expect(Object.keys(kss[0])).toEqual(['keyspace_name', 'type', 'name']);
    expect(kss.map((r) => r.name)).toEqual(expect.arrayContaining(['"Quoted_KS"', 'dk', 'system', 'system_schema']));
    const names = kss.map((r) => r.name as string);
    expect(names).toEqual([...names].sort((x, y) => Buffer.compare(Buffer.from(x.replace(/"/g, '')), Buffer.from(y.replace(/"/g, '')))));
    const tables = await rows('DESC TABLES');
    expect(tables).toContainEqual({ keyspace_name: '"Quoted_KS"', type: 'table', name: '"Quoted_TABLE"' });
    expect(tables).toContainEqual({ keyspace_name: 'system', type: 'table', name: 'local' });
    expect(tables.some((r) => r.name === 'by_v')).toBe(false);
    const q = (await rows('DESC TABLE "Quoted_KS"."Quoted_TABLE"'))[0].create_statement as string;
    expect(q).toContain('CREATE TABLE "Quoted_KS"."Quoted_TABLE" (\n    a int,\n    "!@#$%" int,\n    "select" int,\n');
    const u = await Connection.connect({ host, port: 9042, keyspace: 'dk' });
    try {
      expect((await rows('DESC TABLES', u)).map((r) => r.name)).toEqual(['drops', 'events', 'events_copy', 'kv']);
      expect(await rows('DESC TYPES', u)).toEqual([{ keyspace_name: 'dk', type: 'type', name: 'addr' }, { keyspace_name: 'dk', type: 'type', name: 'person' }]);
      expect(await rows('DESC FUNCTIONS', u)).toEqual([]);
      expect((await rows('DESC KEYSPACES', u)).length).toBe(kss.length);
      // DESC KEYSPACE without a name: the USEd one; a bare name: keyspace, then table, then type
      expect((await rows('DESC KEYSPACE', u))[0].create_statement).toContain('CREATE KEYSPACE dk WITH');
      expect(await rows('DESC kv', u)).toEqual(await rows('DESC TABLE dk.kv'));
      expect(await rows('DESC addr', u)).toEqual(await rows('DESC TYPE dk.addr'));
      expect(await rows('DESC dk', u)).toEqual(await rows('DESC KEYSPACE dk'));
      expect(await rows('DESC MATERIALIZED VIEW by_v', u)).toEqual([(await rows('DESC TABLE dk.events'))[1]]);
    } finally {
      await u.close();
    }
  });

  it('answers what does not exist with Scylla\'s messages', async () => {
    const INVALID = 0x2200;
    expect(await error('DESC KEYSPACE nope')).toEqual({ code: INVALID, message: "'nope' not found in keyspaces" });
    expect(await error('DESC TABLE dk.nope')).toEqual({ code: INVALID, message: "Table 'nope' not found in keyspace 'dk'" });
    expect(await error('DESC TABLE dk.by_v')).toEqual({ code: INVALID, message: 'Cannot use DESC TABLE on materialized View. (Did you mean DESC MATERIALIZED VIEW)?' });
    expect(await error('DESC TYPE dk.nope')).toEqual({ code: INVALID, message: "Type 'nope' not found in keyspace 'dk'" });
    expect(await error('DESC MATERIALIZED VIEW dk.kv')).toEqual({ code: INVALID, message: "Materialized view 'kv' not found in keyspace 'dk'" });
    expect(await error('DESC FUNCTION dk.f')).toEqual({ code: INVALID, message: "Function 'f' not found in keyspace 'dk'" });
    expect(await error('DESC TABLE kv')).toEqual({ code: INVALID, message: 'No keyspace specified and no current keyspace' });
    expect(await error('DESC dk.nope')).toEqual({ code: INVALID, message: "'nope' not found in keyspace 'dk'" });
    expect(await error('DESC nope')).toEqual({ code: INVALID, message: "'nope' not found in keyspaces" });
    expect(await error('DESC KEYSPACE dk WITH INTERNALS AND PASSWORDS')).toEqual({ code: INVALID, message: 'Option WITH PASSWORDS is only allowed with DESC SCHEMA' });
  });

  it('DESC SCHEMA covers user keyspaces, FULL SCHEMA the system ones too, WITH INTERNALS adds roles and service levels', async () => {
    const schema = await rows('DESC SCHEMA');
    const kss = new Set(schema.map((r) => r.keyspace_name));
    expect(kss.has('dk')).toBe(true);
    expect(kss.has('system')).toBe(false);
    expect((await rows('DESC FULL SCHEMA')).some((r) => r.keyspace_name === 'system_schema' && r.name === 'tables')).toBe(true);
    await c.query('CREATE SERVICE LEVEL olap WITH shares = 100 AND workload_type = \'batch\'');
    const internals = await rows('DESC SCHEMA WITH INTERNALS');
    expect(internals.filter((r) => r.keyspace_name === null).map((r) => r.create_statement)).toEqual([
      'CREATE ROLE IF NOT EXISTS cassandra WITH LOGIN = true AND SUPERUSER = true;',
      "CREATE SERVICE LEVEL IF NOT EXISTS driver WITH WORKLOAD_TYPE = 'batch' AND SHARES = 200;",
      "ALTER SERVICE LEVEL driver WITH WORKLOAD_TYPE = 'batch' AND SHARES = 200;",
      "CREATE SERVICE LEVEL olap WITH WORKLOAD_TYPE = 'batch' AND SHARES = 100;",
    ]);
  });

  it('DESC CLUSTER: name, partitioner, snitch, and with a vnode keyspace in use, every range\'s replicas', async () => {
    const [plain] = await rows('DESC CLUSTER');
    expect(plain).toEqual({ cluster: sim.cluster.options.clusterName, partitioner: 'org.apache.cassandra.dht.Murmur3Partitioner', snitch: expect.stringMatching(/^org\.apache\.cassandra\.locator\./) });
    const u = await Connection.connect({ host, port: 9042, keyspace: 'dk' });
    try {
      const [r] = await rows('DESC CLUSTER', u);
      const own = r.range_ownership as Map<string, string[]>;
      expect(own.size).toBe(16);
      for (const eps of own.values()) expect([...eps].sort()).toEqual(sim.nodes.map((n) => n.host).sort());
    } finally {
      await u.close();
    }
  });

  it.skipIf(skipPython)('cqlsh DESCRIBE uses the server\'s answer (the keyspace line carries tablets, which only the server writes)', async () => {
    // one DESCRIBE per cqlsh line: cqlsh hands the server everything after DESCRIBE on its line
    const [ks, tables, kv] = await Promise.all(['DESCRIBE KEYSPACE dk', 'DESCRIBE TABLES', 'DESCRIBE TABLE dk.kv'].map((q) => runVenv('cqlsh', [host, '9042', '-e', q])));
    for (const r of [ks, tables, kv]) expect(r.code, r.stderr).toBe(0);
    expect(ks.stdout).toContain("CREATE KEYSPACE dk WITH replication = {'class': 'org.apache.cassandra.locator.NetworkTopologyStrategy', 'datacenter1': '2'} AND durable_writes = true AND tablets = {'enabled': false};");
    expect(ks.stdout).toContain('CREATE TYPE dk.person (');
    expect(ks.stdout).toContain('CREATE MATERIALIZED VIEW dk.by_v AS');
    expect(tables.stdout).toMatch(/Keyspace dk\n-+\n(drops\s+)?events\s+events_copy\s+kv/);
    expect(kv.stdout).toContain("CREATE TABLE dk.kv (\n    k bigint,\n    v blob,\n    PRIMARY KEY (k)\n) WITH bloom_filter_fp_chance = 0.01");
  });
});
