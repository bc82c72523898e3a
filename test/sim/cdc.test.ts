/**
 * CDC in the emulator, against Scylla's behaviour (cdc/log.cc, cdc/generation.cc,
 * docs/features/cdc; scylla-reference §2.4 and §5): options and their errors, the log table's
 * schema and properties, the delta / pre-image / post-image rows of each kind of write, the log
 * rows' TTL, batches, the generation tables, and log rows stored on the base write's replicas and
 * shard. test/sim/cdc-consumer.test.ts reads the same log with Scylla's own Rust library.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection } from '../../src/cql/connection.js';
import { ResponseError } from '../../src/cql/errors.js';
import { decodeRows, type Row } from '../../src/cql/rows.js';
import { shardOf } from '../../src/routing/sharding.js';
import { startSim, type Sim } from '../../src/sim/index.js';
import { runVenv, skipPython } from '../support/python-venv.js';
import { simHost } from '../support/sim-host.js';

describe('CDC in the emulator', () => {
  let sim: Sim;
  let c: Connection;
  const host = simHost();
  const rows = async (cql: string): Promise<Row[]> => {
    const r = await c.query(cql);
    if (r.kind !== 'rows') throw new Error(`${cql}: ${r.kind}`);
    return decodeRows(r);
  };
  const error = async (cql: string): Promise<{ code: number; message: string }> => {
    try {
      await c.query(cql);
    } catch (e) {
      if (e instanceof ResponseError) return { code: e.code, message: e.message };
      throw e;
    }
    throw new Error(`${cql} succeeded`);
  };
  /** The log rows of one base partition, in log order, without the stream and time. */
  const logOf = async (table: string, where: string): Promise<Row[]> => (await rows(`SELECT * FROM cd.${table}_scylla_cdc_log WHERE ${where} ALLOW FILTERING`))
    .map(({ 'cdc$stream_id': _s, 'cdc$time': _t, ...rest }) => Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== null)));

  beforeAll(async () => {
    sim = await startSim({ nodes: 3, shards: 2, host, vnodesPerNode: 8 });
    c = await Connection.connect({ host, port: 9042 });
    await c.query("CREATE KEYSPACE cd WITH replication = {'class': 'NetworkTopologyStrategy', 'replication_factor': 2}");
  });
  afterAll(async () => {
    await c.close();
    await sim.stop();
  });

  it('parses the options with Scylla\'s rules, defaults and Config_error texts', async () => {
    const CONFIG = 0x2300;
    await c.query("CREATE TABLE cd.o (p int PRIMARY KEY, v int) WITH cdc = {'ENABLED': 'TRUE'}");
    const [o] = await rows("SELECT cdc FROM system_schema.scylla_tables WHERE keyspace_name = 'cd' AND table_name = 'o'");
    expect(Object.fromEntries(o.cdc as Map<string, string>)).toEqual({ delta: 'full', enabled: 'true', postimage: 'false', preimage: 'false', ttl: '86400' });
    await c.query("ALTER TABLE cd.o WITH cdc = {'enabled': 1, 'preimage': 'full', 'postimage': 'true', 'delta': 'keys', 'ttl': 60}");
    const [o2] = await rows("SELECT cdc FROM system_schema.scylla_tables WHERE keyspace_name = 'cd' AND table_name = 'o'");
    expect(Object.fromEntries(o2.cdc as Map<string, string>)).toEqual({ delta: 'keys', enabled: 'true', postimage: 'true', preimage: 'full', ttl: '60' });
    expect(await error("CREATE TABLE cd.e (p int PRIMARY KEY) WITH cdc = {'enabled': true, 'bogus': 1}")).toEqual({ code: CONFIG, message: 'Invalid CDC option: bogus' });
    expect(await error("CREATE TABLE cd.e (p int PRIMARY KEY) WITH cdc = {'enabled': 'yes'}")).toEqual({ code: CONFIG, message: 'Invalid value for CDC option "enabled": yes' });
    expect(await error("CREATE TABLE cd.e (p int PRIMARY KEY) WITH cdc = {'preimage': 'partial'}")).toEqual({ code: CONFIG, message: 'Invalid value for CDC option "preimage": partial' });
    expect(await error("CREATE TABLE cd.e (p int PRIMARY KEY) WITH cdc = {'delta': 'none'}")).toEqual({ code: CONFIG, message: 'Invalid value for CDC option "delta": none' });
    expect(await error("CREATE TABLE cd.e (p int PRIMARY KEY) WITH cdc = {'ttl': 'x'}")).toEqual({ code: CONFIG, message: 'Invalid value for CDC option "ttl": x' });
    expect(await error("CREATE TABLE cd.e (p int PRIMARY KEY) WITH cdc = {'ttl': -1}")).toEqual({ code: CONFIG, message: 'Invalid CDC option: ttl must be >= 0' });
    expect(await error("CREATE TABLE cd.e (p int PRIMARY KEY) WITH cdc = {'ttl': 99999999999}")).toEqual({ code: CONFIG, message: 'Invalid CDC option: ttl too large' });
    expect(await error("CREATE TABLE cd.e (p int PRIMARY KEY, n counter) WITH cdc = {'enabled': true}")).toEqual({ code: 0x2200, message: 'Cannot create CDC log for table cd.e. Counter support not implemented' });
    await c.query('CREATE TABLE cd.x_scylla_cdc_log (p int PRIMARY KEY)');
    expect(await error("CREATE TABLE cd.x (p int PRIMARY KEY) WITH cdc = {'enabled': true}")).toEqual({ code: 0x2200, message: 'Cannot create CDC log table for table cd.x because a table of name cd.x_scylla_cdc_log already exists' });
    expect(await error("ALTER TABLE cd.o_scylla_cdc_log WITH cdc = {'enabled': true}")).toEqual({ code: 0x2200, message: 'Cannot create a CDC log for a table cd.o_scylla_cdc_log, because creating nested CDC logs is not allowed' });
    expect(await error('CREATE MATERIALIZED VIEW cd.mv AS SELECT * FROM cd.o_scylla_cdc_log WHERE "cdc$stream_id" IS NOT NULL AND "cdc$time" IS NOT NULL AND "cdc$batch_seq_no" IS NOT NULL PRIMARY KEY ("cdc$stream_id", "cdc$time", "cdc$batch_seq_no")'))
      .toEqual({ code: 0x2200, message: 'Materialized views cannot be created on CDC Log tables' });
  });

  it('creates the log table with Scylla\'s columns, CDCPartitioner and properties; keeps it when CDC is turned off; drops it with the base', async () => {
    await c.query("CREATE TABLE cd.s (p int, c text, v int, s text STATIC, tags set<text>, l list<int>, PRIMARY KEY (p, c)) WITH cdc = {'enabled': true, 'ttl': 3600}");
    const cols = await rows("SELECT column_name, kind, position, type FROM system_schema.columns WHERE keyspace_name = 'cd' AND table_name = 's_scylla_cdc_log'");
    expect(Object.fromEntries(cols.map((r) => [r.column_name, `${r.kind as string} ${r.type as string}`]))).toEqual({
      'cdc$stream_id': 'partition_key blob', 'cdc$time': 'clustering timeuuid', 'cdc$batch_seq_no': 'clustering int',
      'cdc$operation': 'regular tinyint', 'cdc$ttl': 'regular bigint', 'cdc$end_of_batch': 'regular boolean',
      p: 'regular int', c: 'regular text', v: 'regular int', 'cdc$deleted_v': 'regular boolean', s: 'regular text', 'cdc$deleted_s': 'regular boolean',
      tags: 'regular set<text>', 'cdc$deleted_tags': 'regular boolean', 'cdc$deleted_elements_tags': 'regular set<text>',
      l: 'regular map<timeuuid, int>', 'cdc$deleted_l': 'regular boolean', 'cdc$deleted_elements_l': 'regular set<timeuuid>',
    });
    const [part] = await rows("SELECT partitioner FROM system_schema.scylla_tables WHERE keyspace_name = 'cd' AND table_name = 's_scylla_cdc_log'");
    expect(part.partitioner).toBe('com.scylladb.dht.CDCPartitioner');
    const [props] = await rows("SELECT comment, compaction, caching, gc_grace_seconds FROM system_schema.tables WHERE keyspace_name = 'cd' AND table_name = 's_scylla_cdc_log'");
    expect(props.comment).toBe('CDC log for cd.s');
    // ttl 3600: windows of ceil(3600/24) = 150 s → 3 minutes, checks every 75 s
    expect(Object.fromEntries(props.compaction as Map<string, string>)).toEqual({ class: 'TimeWindowCompactionStrategy', compaction_window_size: '3', compaction_window_unit: 'MINUTES', expired_sstable_check_frequency_seconds: '75' });
    expect(Object.fromEntries(props.caching as Map<string, string>)).toEqual({ enabled: 'false', keys: 'NONE', rows_per_partition: 'NONE' });
    expect(props.gc_grace_seconds).toBe(0);
    // ALTER ADD reaches the log; turning CDC off keeps the log (and stops logging)
    await c.query('ALTER TABLE cd.s ADD w bigint');
    expect((await rows("SELECT column_name FROM system_schema.columns WHERE keyspace_name = 'cd' AND table_name = 's_scylla_cdc_log'")).map((r) => r.column_name)).toEqual(expect.arrayContaining(['w', 'cdc$deleted_w']));
    await c.query("ALTER TABLE cd.s WITH cdc = {'enabled': false}");
    await c.query("INSERT INTO cd.s (p, c, v) VALUES (1, 'a', 1)");
    expect(await rows('SELECT * FROM cd.s_scylla_cdc_log')).toEqual([]);
    await c.query("ALTER TABLE cd.s WITH cdc = {'enabled': true}");
    await c.query("INSERT INTO cd.s (p, c, v) VALUES (1, 'b', 2)");
    expect(await rows('SELECT "cdc$operation", c FROM cd.s_scylla_cdc_log')).toEqual([{ 'cdc$operation': 2, c: 'b' }]);
    await c.query('DROP TABLE cd.s');
    expect(await rows("SELECT table_name FROM system_schema.tables WHERE keyspace_name = 'cd' AND table_name = 's_scylla_cdc_log'")).toEqual([]);
  });

  it('writes a delta row per change: insert, update (TTL), cell and element deletes, row, range and partition deletes', async () => {
    await c.query("CREATE TABLE cd.d (p int, c int, v text, s int STATIC, tags set<text>, PRIMARY KEY (p, c)) WITH cdc = {'enabled': true}");
    await c.query("INSERT INTO cd.d (p, c, v, tags) VALUES (1, 1, 'a', {'x', 'y'})");
    await c.query("UPDATE cd.d USING TTL 300 SET v = 'b', s = 7 WHERE p = 1 AND c = 1");
    await c.query("UPDATE cd.d SET tags = tags - {'x'} WHERE p = 1 AND c = 1");
    await c.query('DELETE v FROM cd.d WHERE p = 1 AND c = 1');
    await c.query('DELETE FROM cd.d WHERE p = 1 AND c = 1');
    await c.query('DELETE FROM cd.d WHERE p = 1 AND c >= 5 AND c < 9');
    await c.query('DELETE FROM cd.d WHERE p = 1');
    const log = await logOf('d', 'p = 1');
    expect(log).toEqual([
      { 'cdc$batch_seq_no': 0, 'cdc$end_of_batch': true, 'cdc$operation': 2, p: 1, c: 1, v: 'a', tags: ['x', 'y'], 'cdc$deleted_tags': true },
      // the static cell is its own row, before the clustering row, both under one cdc$time
      { 'cdc$batch_seq_no': 0, 'cdc$operation': 1, 'cdc$ttl': 300n, p: 1, s: 7 },
      { 'cdc$batch_seq_no': 1, 'cdc$end_of_batch': true, 'cdc$operation': 1, 'cdc$ttl': 300n, p: 1, c: 1, v: 'b' },
      { 'cdc$batch_seq_no': 0, 'cdc$end_of_batch': true, 'cdc$operation': 1, p: 1, c: 1, 'cdc$deleted_elements_tags': ['x'] },
      { 'cdc$batch_seq_no': 0, 'cdc$end_of_batch': true, 'cdc$operation': 1, p: 1, c: 1, 'cdc$deleted_v': true },
      { 'cdc$batch_seq_no': 0, 'cdc$end_of_batch': true, 'cdc$operation': 3, p: 1, c: 1 },
      { 'cdc$batch_seq_no': 0, 'cdc$operation': 5, p: 1, c: 5 },
      { 'cdc$batch_seq_no': 1, 'cdc$end_of_batch': true, 'cdc$operation': 8, p: 1, c: 9 },
      { 'cdc$batch_seq_no': 0, 'cdc$end_of_batch': true, 'cdc$operation': 4, p: 1 },
    ]);
    // each log cell lives for the CDC ttl (86400 s by default)
    const ttls = await rows('SELECT ttl("cdc$operation") FROM cd.d_scylla_cdc_log');
    for (const r of ttls) expect(Number(Object.values(r)[0])).toBeGreaterThan(86_000);
  });

  it('pre-images (changed columns, or the full row) and post-images bracket the delta under one cdc$time', async () => {
    await c.query("CREATE TABLE cd.i (p int, c int, a int, b int, PRIMARY KEY (p, c)) WITH cdc = {'enabled': true, 'preimage': true, 'postimage': true}");
    await c.query("CREATE TABLE cd.f (p int, c int, a int, b int, PRIMARY KEY (p, c)) WITH cdc = {'enabled': true, 'preimage': 'full', 'delta': 'keys'}");
    for (const t of ['i', 'f']) {
      await c.query(`INSERT INTO cd.${t} (p, c, a, b) VALUES (1, 1, 10, 20)`);
      await c.query(`UPDATE cd.${t} SET a = 11 WHERE p = 1 AND c = 1`);
    }
    const i = await logOf('i', 'p = 1');
    expect(i).toEqual([
      // the insert: no pre-image (the row did not exist), then the delta and the post-image
      { 'cdc$batch_seq_no': 0, 'cdc$operation': 2, p: 1, c: 1, a: 10, b: 20 },
      { 'cdc$batch_seq_no': 1, 'cdc$end_of_batch': true, 'cdc$operation': 9, p: 1, c: 1, a: 10, b: 20 },
      // the update: pre-image of the changed column only, delta, full post-image
      { 'cdc$batch_seq_no': 0, 'cdc$operation': 0, p: 1, c: 1, a: 10 },
      { 'cdc$batch_seq_no': 1, 'cdc$operation': 1, p: 1, c: 1, a: 11 },
      { 'cdc$batch_seq_no': 2, 'cdc$end_of_batch': true, 'cdc$operation': 9, p: 1, c: 1, a: 11, b: 20 },
    ]);
    const f = await logOf('f', 'p = 1');
    expect(f).toEqual([
      // delta 'keys': the key columns only
      { 'cdc$batch_seq_no': 0, 'cdc$end_of_batch': true, 'cdc$operation': 2, p: 1, c: 1 },
      { 'cdc$batch_seq_no': 0, 'cdc$operation': 0, p: 1, c: 1, a: 10, b: 20 },
      { 'cdc$batch_seq_no': 1, 'cdc$end_of_batch': true, 'cdc$operation': 1, p: 1, c: 1 },
    ]);
  });

  it('the static row has its own pre- and post-images, before the clustering rows', async () => {
    await c.query("CREATE TABLE cd.st (p int, c int, s int STATIC, a int, PRIMARY KEY (p, c)) WITH cdc = {'enabled': true, 'preimage': true, 'postimage': true}");
    await c.query('INSERT INTO cd.st (p, c, s, a) VALUES (1, 1, 5, 10)');
    await c.query('UPDATE cd.st SET s = 6 WHERE p = 1');
    expect(await logOf('st', 'p = 1')).toEqual([
      // the insert: delta of the static row (an update) and of the clustering row, then both post-images
      { 'cdc$batch_seq_no': 0, 'cdc$operation': 1, p: 1, s: 5 },
      { 'cdc$batch_seq_no': 1, 'cdc$operation': 2, p: 1, c: 1, a: 10 },
      { 'cdc$batch_seq_no': 2, 'cdc$operation': 9, p: 1, s: 5 },
      { 'cdc$batch_seq_no': 3, 'cdc$end_of_batch': true, 'cdc$operation': 9, p: 1, c: 1, a: 10 },
      // the static update: pre-image, delta, post-image of the static row only
      { 'cdc$batch_seq_no': 0, 'cdc$operation': 0, p: 1, s: 5 },
      { 'cdc$batch_seq_no': 1, 'cdc$operation': 1, p: 1, s: 6 },
      { 'cdc$batch_seq_no': 2, 'cdc$end_of_batch': true, 'cdc$operation': 9, p: 1, s: 6 },
    ]);
  });

  it('a batch\'s changes to one partition share a cdc$time; each partition gets its own group', async () => {
    await c.query("CREATE TABLE cd.b (p int, c int, v int, PRIMARY KEY (p, c)) WITH cdc = {'enabled': true}");
    await c.query('BEGIN BATCH INSERT INTO cd.b (p, c, v) VALUES (1, 1, 1); INSERT INTO cd.b (p, c, v) VALUES (1, 2, 2); UPDATE cd.b SET v = 3 WHERE p = 2 AND c = 1; APPLY BATCH');
    const all = await rows('SELECT "cdc$time", "cdc$batch_seq_no", "cdc$end_of_batch", p, c FROM cd.b_scylla_cdc_log');
    const p1 = all.filter((r) => r.p === 1);
    expect(p1.map((r) => [r['cdc$batch_seq_no'], r.c, r['cdc$end_of_batch']])).toEqual([[0, 1, null], [1, 2, true]]);
    expect(p1[0]['cdc$time']).toBe(p1[1]['cdc$time']);
    expect(all.filter((r) => r.p === 2).map((r) => r['cdc$end_of_batch'])).toEqual([true]);
    // one timestamp for the whole batch (the coordinator's, when the client sends none), as Scylla
    const wt = await rows('SELECT writetime(v) FROM cd.b');
    expect(new Set(wt.map((r) => String(Object.values(r)[0]))).size).toBe(1);
  });

  it('generations: one timestamp, one row per vnode range with a stream per shard laid out as Scylla does, each log row on its base write\'s replicas and shard', async () => {
    const ts = await rows('SELECT key, time, expired FROM system_distributed.cdc_generation_timestamps');
    expect(ts).toHaveLength(1);
    expect(ts[0].key).toBe('timestamps');
    const genMs = (ts[0].time as Date).getTime();
    expect(genMs).toBeLessThanOrEqual(Date.now());
    const descs = await rows(`SELECT range_end, streams FROM system_distributed.cdc_streams_descriptions_v2 WHERE time = '${new Date(genMs).toISOString()}'`);
    const ring = sim.cluster.ring.tokens;
    expect(descs.map((d) => d.range_end)).toEqual([...ring]);
    descs.forEach((d, i) => {
      const streams = [...(d.streams as Set<Buffer>)].sort((a, b) => (a.readBigInt64BE(0) < b.readBigInt64BE(0) ? -1 : 1));
      expect(streams).toHaveLength(2);
      const start = ring[(i + ring.length - 1) % ring.length];
      for (const s of streams) {
        const token = s.readBigInt64BE(0);
        // in the range (start, end] (the first range wraps around), version 1, the vnode index
        if (i > 0) expect(token > start && token <= ring[i]).toBe(true);
        const low = s.readBigUInt64BE(8);
        expect(low & 0xfn).toBe(1n);
        expect(Number((low >> 4n) & 0x3fffffn)).toBe(i);
      }
      // one stream per shard (each the first token of its shard in the range)
      expect(new Set(streams.map((s) => shardOf(s.readBigInt64BE(0), 2)))).toEqual(new Set([0, 1]));
    });
    // co-location: wherever a base partition is stored, its log rows are stored on that node and shard
    await c.query("CREATE TABLE cd.co (p int PRIMARY KEY, v int) WITH cdc = {'enabled': true}");
    for (let p = 0; p < 200; p++) await c.query(`INSERT INTO cd.co (p, v) VALUES (${p}, ${p})`);
    const base = sim.cluster.schema.table('cd', 'co')!;
    const log = base.cdcLog!;
    let checked = 0;
    for (const node of sim.cluster.nodes) {
      for (const shard of node.shards) {
        const here = new Set([...(shard.store.tables.get(base.id)?.partitions.values() ?? [])].map((p) => p.key.readInt32BE(0)));
        for (const lp of shard.store.tables.get(log.id)?.partitions.values() ?? []) {
          expect(shardOf(lp.token, 2)).toBe(shard.id);
          for (const row of lp.rows) {
            const pSlot = log.byName.get('p')!.slot;
            expect(here.has(row.cells[pSlot]!.v!.readInt32BE(0))).toBe(true);
            checked++;
          }
        }
      }
    }
    // 200 changes, each stored on both replicas
    expect(checked).toBe(400);
  });

  it('refuses a write whose client timestamp is before the generation', async () => {
    await c.query("CREATE TABLE cd.old (p int PRIMARY KEY, v int) WITH cdc = {'enabled': true}");
    const e = await error('INSERT INTO cd.old (p, v) VALUES (1, 1) USING TIMESTAMP 1000');
    expect(e.code).toBe(0x2200);
    expect(e.message).toMatch(/^cdc: attempted to get a stream "from the past" \(1970-01-01 00:00:00\.001; current server time: /);
  });

  it('DESCRIBE shows the cdc options and the log table\'s ALTER; the log is hidden from listings', async () => {
    await c.query("CREATE TABLE cd.dd (p int PRIMARY KEY, v int) WITH cdc = {'enabled': true, 'postimage': true}");
    const d = await rows('DESC TABLE cd.dd');
    expect(d.map((r) => `${r.type as string} ${r.name as string}`)).toEqual(['table dd', 'table dd_scylla_cdc_log']);
    expect(d[0].create_statement).toContain("\n    AND cdc = {'delta': 'full', 'enabled': 'true', 'postimage': 'true', 'preimage': 'false', 'ttl': '86400'}\n");
    expect(d[1].create_statement).toMatch(/^ALTER TABLE cd\.dd_scylla_cdc_log WITH bloom_filter_fp_chance = 0\.01\n {4}AND caching = \{'enabled': 'false', 'keys': 'NONE', 'rows_per_partition': 'NONE'\}\n {4}AND comment = 'CDC log for cd\.dd'\n {4}AND compaction = \{'class': 'TimeWindowCompactionStrategy', 'compaction_window_size': '60', 'compaction_window_unit': 'MINUTES', 'expired_sstable_check_frequency_seconds': '1800'\}/);
    const [log] = await rows('DESC TABLE cd.dd_scylla_cdc_log');
    expect(log.create_statement).toMatch(/^\/\* Do NOT execute this statement! It's only for informational purposes\.\n/);
    expect(log.create_statement).toContain('CREATE TABLE cd.dd_scylla_cdc_log (\n    "cdc$stream_id" blob,\n    "cdc$time" timeuuid,\n    "cdc$batch_seq_no" int,\n    "cdc$deleted_v" boolean,\n    "cdc$end_of_batch" boolean,\n    "cdc$operation" tinyint,\n    "cdc$ttl" bigint,\n    p int,\n    v int,\n    PRIMARY KEY ("cdc$stream_id", "cdc$time", "cdc$batch_seq_no")');
    const tables = (await rows('DESC TABLES')).filter((r) => r.keyspace_name === 'cd').map((r) => r.name);
    expect(tables).toContain('dd');
    expect(tables).not.toContain('dd_scylla_cdc_log');
  });

  it.skipIf(skipPython)('cqlsh SELECTs the log table and DESCRIBE prints the cdc options', async () => {
    await c.query("CREATE TABLE cd.q (p int PRIMARY KEY, v text) WITH cdc = {'enabled': true, 'preimage': 'full'}");
    await c.query("INSERT INTO cd.q (p, v) VALUES (42, 'hello')");
    const sel = await runVenv('cqlsh', [host, '9042', '-e', 'SELECT "cdc$operation", p, v FROM cd.q_scylla_cdc_log']);
    expect(sel.code, sel.stderr).toBe(0);
    expect(sel.stdout).toMatch(/^\s*2 \|\s+42 \| hello$/m);
    expect(sel.stdout).toContain('(1 rows)');
    const desc = await runVenv('cqlsh', [host, '9042', '-e', 'DESCRIBE TABLE cd.q']);
    expect(desc.code, desc.stderr).toBe(0);
    expect(desc.stdout).toContain("AND cdc = {'delta': 'full', 'enabled': 'true', 'postimage': 'false', 'preimage': 'full', 'ttl': '86400'}");
    expect(desc.stdout).toContain('ALTER TABLE cd.q_scylla_cdc_log WITH bloom_filter_fp_chance');
  });
});
