/**
 * Large partitions, rows and cells (Scylla's db/large_data_handler.cc; scylla-reference §7): on a
 * flush, partitions that grew past the (here lowered) thresholds land in the node-local
 * system.large_partitions / large_rows / large_cells with Scylla's columns.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection } from '../../src/cql/connection.js';
import { decodeRows, type Row } from '../../src/cql/rows.js';
import { murmur3Token } from '../../src/routing/murmur3.js';
import { resolveClusterOptions, startSim, type Sim } from '../../src/sim/index.js';
import { simHost } from '../support/sim-host.js';

/** How Scylla writes an int partition key in system.large_*: `{key: pk{<2-byte length + value, hex>}, token:<token>}`. */
function intKeyText(n: number): string {
  const v = Buffer.alloc(4);
  v.writeInt32BE(n);
  return `{key: pk{0004${v.toString('hex')}}, token:${murmur3Token(v)}}`;
}

describe('large data records', () => {
  let sim: Sim;
  let c: Connection;
  const host = simHost();
  const rows = async (cql: string, conn = c): Promise<Row[]> => {
    const r = await conn.query(cql);
    if (r.kind !== 'rows') throw new Error(r.kind);
    return decodeRows(r);
  };

  beforeAll(async () => {
    sim = await startSim({
      nodes: 2, shards: 2, host, vnodesPerNode: 8, metricsPort: 0, flushIntervalMs: 0,
      largeData: { partitionMb: 1, rowsCount: 1000, rowMb: 0.25, cellMb: 0.1, collectionElements: 50 },
    });
    c = await Connection.connect({ host, port: 9042 });
    await c.query("CREATE KEYSPACE ld WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 2}");
    await c.query('CREATE TABLE ld.t (p int, c int, v blob, tags set<int>, PRIMARY KEY (p, c))');
  });
  afterAll(async () => {
    await c.close();
    await sim.stop();
  });

  it('has Scylla\'s default thresholds when none are given', () => {
    expect(resolveClusterOptions({}).largeData).toEqual({ partitionMb: 1000, rowsCount: 100000, rowMb: 10, cellMb: 1, collectionElements: 10000, recordsPerSstable: 10 });
  });

  it('records a partition once it grows past the threshold, at the next flush, with Scylla\'s columns', async () => {
    const value = Buffer.alloc(2048, 1).toString('hex').slice(0, 4096);
    const write = async (from: number, to: number): Promise<void> => {
      for (let i = from; i < to; i++) await c.query(`INSERT INTO ld.t (p, c, v) VALUES (1, ${i}, 0x${value})`);
    };
    await write(0, 300); // ~0.6 MB
    sim.flush();
    expect(await rows("SELECT * FROM system.large_partitions WHERE keyspace_name = 'ld' AND table_name = 't'")).toEqual([]);
    await write(300, 600); // ~1.2 MB
    // nothing until the node flushes (records are written with sstables)
    expect(await rows("SELECT * FROM system.large_partitions WHERE keyspace_name = 'ld' AND table_name = 't'")).toEqual([]);
    const flushed = await fetch(`${sim.metricsUrl!}/admin/flush`, { method: 'POST' });
    expect(flushed.status).toBe(200);
    const r = await c.query("SELECT * FROM system.large_partitions WHERE keyspace_name = 'ld' AND table_name = 't'");
    expect(r.kind).toBe('rows');
    if (r.kind !== 'rows') return;
    expect(r.metadata.columns!.map((x) => `${x.name} ${x.type.kind}`)).toEqual([
      'keyspace_name text', 'table_name text', 'sstable_name text', 'partition_size bigint', 'partition_key text',
      'compaction_time timestamp', 'dead_rows bigint', 'range_tombstones bigint', 'rows bigint',
    ]);
    const [rec] = decodeRows(r);
    // the reference's own example (scylla-reference.md §7): int 1
    expect(rec.partition_key).toBe('{key: pk{000400000001}, token:-4069959284402364209}');
    expect(rec.rows).toBe(600n);
    expect(rec.partition_size as bigint).toBeGreaterThan(BigInt(1024 * 1024));
    expect(rec.partition_size as bigint).toBeLessThan(BigInt(2 * 1024 * 1024));
    expect(rec.sstable_name).toMatch(/-big-Data\.db$/);
    expect(Date.now() - (rec.compaction_time as Date).getTime()).toBeLessThan(60_000);
    // both replicas record it (the table is node-local: each coordinator shows its own)
    for (const n of sim.nodes) {
      const u = await Connection.connect({ host: n.host, port: 9042 });
      try {
        expect((await rows("SELECT partition_key FROM system.large_partitions WHERE keyspace_name = 'ld' AND table_name = 't'", u)).map((x) => x.partition_key)).toEqual([intKeyText(1)]);
      } finally {
        await u.close();
      }
    }
    // the partition shrinks: its next flush drops the record
    await c.query('DELETE FROM ld.t WHERE p = 1');
    sim.flush();
    expect(await rows("SELECT * FROM system.large_partitions WHERE keyspace_name = 'ld' AND table_name = 't'")).toEqual([]);
  });

  it('records partitions by row count, and large rows and cells (collections by element count)', async () => {
    for (let i = 0; i < 1001; i++) await c.query(`INSERT INTO ld.t (p, c) VALUES (2, ${i})`);
    const big = Buffer.alloc(300 * 1024, 7).toString('hex');
    await c.query(`INSERT INTO ld.t (p, c, v) VALUES (3, 42, 0x${big})`);
    await c.query(`INSERT INTO ld.t (p, c, tags) VALUES (4, 7, {${Array.from({ length: 60 }, (_, i) => i).join(', ')}})`);
    sim.flush();
    const parts = await rows("SELECT partition_key, rows, partition_size, dead_rows FROM system.large_partitions WHERE keyspace_name = 'ld' AND table_name = 't'");
    expect(parts.map((x) => [x.partition_key, x.rows, x.dead_rows])).toEqual([[intKeyText(2), 1001n, 0n]]);
    // deleted rows stay as tombstones until compaction: counted as dead
    for (let i = 0; i < 3; i++) await c.query(`DELETE FROM ld.t WHERE p = 2 AND c = ${i}`);
    sim.flush();
    const after = await rows("SELECT rows, dead_rows FROM system.large_partitions WHERE keyspace_name = 'ld' AND table_name = 't'");
    expect(after).toEqual([{ rows: 1001n, dead_rows: 3n }]);
    const lr = await rows("SELECT partition_key, clustering_key, row_size FROM system.large_rows WHERE keyspace_name = 'ld' AND table_name = 't'");
    expect(lr).toEqual([{ partition_key: intKeyText(3), clustering_key: '42', row_size: expect.any(BigInt) }]);
    expect(lr[0].row_size as bigint).toBeGreaterThan(300n * 1024n);
    const cells = await rows("SELECT partition_key, clustering_key, column_name, cell_size, collection_elements FROM system.large_cells WHERE keyspace_name = 'ld' AND table_name = 't'");
    // ordered by cell_size, largest first
    expect(cells.map((x) => [x.partition_key, x.clustering_key, x.column_name, x.collection_elements])).toEqual([[intKeyText(3), '42', 'v', 0n], [intKeyText(4), '7', 'tags', 60n]]);
  });

  it('sizes CDC log rows still packed as it sizes them built: same rows and bytes, and they stay packed', async () => {
    // the same writes to two CDC tables; node 0 reads one log before the flush (building its
    // rows) and not the other (its rows stay packed through the flush)
    const small = Buffer.alloc(100, 1).toString('hex');
    const large = Buffer.alloc(2000, 2).toString('hex'); // kept by reference, not copied
    for (const t of ['packed', 'built']) {
      await c.query(`CREATE TABLE ld.${t} (p int, c int, v blob, tags set<int>, PRIMARY KEY (p, c)) WITH cdc = {'enabled': true}`);
      // batches of one partition: one cdc$time each, cdc$batch_seq_no 0..99
      for (let b = 0; b < 11; b++) {
        const inserts = Array.from({ length: 100 }, (_, i) => `INSERT INTO ld.${t} (p, c, v, tags) VALUES (5, ${b * 100 + i}, 0x${i % 10 === 0 ? large : small}, {${i}, 1000}) USING TTL 600;`);
        await c.query(`BEGIN UNLOGGED BATCH ${inserts.join(' ')} APPLY BATCH`);
      }
    }
    expect((await rows('SELECT count(*) FROM ld.built_scylla_cdc_log'))[0].count).toBe(1100n);
    const node0Logs = (t: string) => sim.cluster.nodes[0].shards.flatMap((sh) => [...(sh.store.tables.get(sim.cluster.schema.keyspaces.get('ld')!.tables.get(`${t}_scylla_cdc_log`)!.id)?.partitions.values() ?? [])]);
    expect(node0Logs('packed').map((p) => p.appended?.rowCount)).toEqual([1100]);
    expect(node0Logs('built').map((p) => p.appended)).toEqual([undefined]);
    sim.flush();
    expect(node0Logs('packed').map((p) => p.appended?.rowCount)).toEqual([1100]);
    // (reading the records counts each partition's dead rows: that builds them)
    const record = async (t: string): Promise<Row[]> => rows(`SELECT partition_key, rows, partition_size FROM system.large_partitions WHERE keyspace_name = 'ld' AND table_name = '${t}_scylla_cdc_log'`);
    const built = await record('built');
    expect(built.map((x) => x.rows)).toEqual([1100n]);
    expect(await record('packed')).toEqual(built);
    // more rows after the rows were built: the flush measures the built rows and sizes the new packed ones
    expect(node0Logs('packed').map((p) => p.appended)).toEqual([undefined]);
    for (const t of ['packed', 'built']) await c.query(`INSERT INTO ld.${t} (p, c, v) VALUES (5, 5000, 0x${small})`);
    sim.flush();
    const grown = await record('built');
    expect(grown.map((x) => x.rows)).toEqual([1101n]);
    expect(await record('packed')).toEqual(grown);
  });
});
