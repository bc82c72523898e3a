/**
 * A second CDC generation, as a topology change makes one in Scylla (cdc/generation.cc
 * new_generation_timestamp, cdc/metadata.cc get_vnode_stream): over the admin API and in-process,
 * it appears in the generation tables (vnodes) or the per-table stream sets (tablets), and writes
 * stamped at or after its time go to its streams, earlier ones to the old streams.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection } from '../../src/cql/connection.js';
import { ResponseError } from '../../src/cql/errors.js';
import { decodeRows, type Row } from '../../src/cql/rows.js';
import { shardOf } from '../../src/routing/sharding.js';
import { startSim, type Sim } from '../../src/sim/index.js';
import { simHost } from '../support/sim-host.js';

const hexes = (l: Iterable<Buffer>): Set<string> => new Set([...l].map((b) => b.toString('hex')));

async function rowsOf(c: Connection, cql: string): Promise<Row[]> {
  const r = await c.query(cql);
  if (r.kind !== 'rows') throw new Error(`${cql}: ${r.kind}`);
  return decodeRows(r);
}

/** The stream each log row of base partition p went to. */
async function streamsOfP(c: Connection, table: string, p: number): Promise<string[]> {
  return (await rowsOf(c, `SELECT "cdc$stream_id" FROM ${table}_scylla_cdc_log WHERE p = ${p} ALLOW FILTERING`)).map((r) => (r['cdc$stream_id'] as Buffer).toString('hex'));
}

describe('a new CDC generation (vnodes, admin API)', () => {
  let sim: Sim;
  let c: Connection;
  const host = simHost();
  beforeAll(async () => {
    sim = await startSim({ nodes: 2, shards: 2, host, vnodesPerNode: 8, metricsPort: 0 });
    c = await Connection.connect({ host, port: 9042 });
    await c.query("CREATE KEYSPACE g WITH replication = {'class': 'NetworkTopologyStrategy', 'replication_factor': 2}");
    await c.query("CREATE TABLE g.t (p int PRIMARY KEY, v int) WITH cdc = {'enabled': true}");
  });
  afterAll(async () => {
    await c?.close();
    await sim?.stop();
  });

  it('POST /admin/cdc/generation: a second timestamp, new streams per range and shard on the same tokens; writes from its time on use them', async () => {
    const bad = await fetch(`${sim.metricsUrl}/admin/cdc/generation`, { method: 'POST', body: '{"delayMs": "soon"}' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'delayMs must be a number, got "soon"' });
    expect(await rowsOf(c, 'SELECT time FROM system_distributed.cdc_generation_timestamps')).toHaveLength(1);

    const before = Date.now();
    const res = await fetch(`${sim.metricsUrl}/admin/cdc/generation`, { method: 'POST', body: '{"delayMs": 2000}' });
    const after = Date.now();
    expect(res.status).toBe(200);
    const { timestampMs, timestamp } = await res.json() as { timestampMs: number; timestamp: string };
    expect(new Date(timestamp).getTime()).toBe(timestampMs);
    // set in the future by the delay, as Scylla does (so every node knows it before writes use it)
    expect(timestampMs).toBeGreaterThanOrEqual(before + 2000);
    expect(timestampMs).toBeLessThanOrEqual(after + 2000);

    const ts = await rowsOf(c, "SELECT key, time, expired FROM system_distributed.cdc_generation_timestamps WHERE key = 'timestamps'");
    expect(ts).toHaveLength(2);
    // clustered time DESC: the new one first
    expect((ts[0].time as Date).getTime()).toBe(timestampMs);
    const oldMs = (ts[1].time as Date).getTime();
    expect(oldMs).toBeLessThan(timestampMs);
    expect(ts.map((r) => r.expired)).toEqual([null, null]);

    const descOf = async (ms: number): Promise<Row[]> => rowsOf(c, `SELECT range_end, streams FROM system_distributed.cdc_streams_descriptions_v2 WHERE time = '${new Date(ms).toISOString()}'`);
    const oldDesc = await descOf(oldMs);
    const newDesc = await descOf(timestampMs);
    expect(newDesc.map((d) => d.range_end)).toEqual([...sim.cluster.ring.tokens]);
    expect(newDesc.map((d) => d.range_end)).toEqual(oldDesc.map((d) => d.range_end));
    const oldStreams = hexes(oldDesc.flatMap((d) => [...(d.streams as Set<Buffer>)]));
    const newStreams = hexes(newDesc.flatMap((d) => [...(d.streams as Set<Buffer>)]));
    expect(newStreams.size).toBe(2 * sim.cluster.ring.tokens.length);
    // all new ids (new random bits), none shared with the old generation
    expect([...newStreams].filter((s) => oldStreams.has(s))).toEqual([]);
    newDesc.forEach((d, i) => {
      const tokensOf = (l: Iterable<Buffer>): bigint[] => [...l].map((s) => s.readBigInt64BE(0)).sort((a, b) => (a < b ? -1 : 1));
      // the ring did not change: the same token per shard, so the log stays on the base write's replicas and shard
      expect(tokensOf(d.streams as Set<Buffer>)).toEqual(tokensOf(oldDesc[i].streams as Set<Buffer>));
      expect(new Set([...(d.streams as Set<Buffer>)].map((s) => shardOf(s.readBigInt64BE(0), 2)))).toEqual(new Set([0, 1]));
      for (const s of d.streams as Set<Buffer>) {
        const low = s.readBigUInt64BE(8);
        expect(low & 0xfn).toBe(1n);
        expect(Number((low >> 4n) & 0x3fffffn)).toBe(i);
      }
    });

    const genUs = timestampMs * 1000;
    // 1 µs before the new generation (now, and later within the leeway): the old streams
    await c.query(`INSERT INTO g.t (p, v) VALUES (1, 1) USING TIMESTAMP ${genUs - 1}`);
    // at its time (in the near future: allowed within the leeway): the new streams
    await c.query(`INSERT INTO g.t (p, v) VALUES (2, 2) USING TIMESTAMP ${genUs}`);
    // the server's own timestamps: before the switch the old streams, after it the new ones
    await c.query('INSERT INTO g.t (p, v) VALUES (3, 3)');
    await new Promise((r) => setTimeout(r, timestampMs - Date.now() + 50));
    await c.query('INSERT INTO g.t (p, v) VALUES (4, 4)');
    // just before the switch, sent after it (near past): still the old generation's stream
    await c.query(`INSERT INTO g.t (p, v) VALUES (5, 5) USING TIMESTAMP ${genUs - 1000}`);
    for (const [p, inNew] of [[1, false], [2, true], [3, false], [4, true], [5, false]] as const) {
      const s = await streamsOfP(c, 'g.t', p);
      expect(s, `p = ${p}`).toHaveLength(1);
      expect(newStreams.has(s[0]), `p = ${p}`).toBe(inNew);
      expect(oldStreams.has(s[0]), `p = ${p}`).toBe(!inNew);
    }
    // the log stays co-located: each log partition on the shard of its stream token
    for (const node of sim.cluster.nodes) {
      for (const shard of node.shards) {
        const log = sim.cluster.schema.table('g', 't')!.cdcLog!;
        for (const lp of shard.store.tables.get(log.id)?.partitions.values() ?? []) expect(shardOf(lp.token, 2)).toBe(shard.id);
      }
    }
  });

  it('once the new generation operates, a write stamped over the leeway before now into the old one is refused "from the past"', async () => {
    const [newest] = await rowsOf(c, "SELECT time FROM system_distributed.cdc_generation_timestamps WHERE key = 'timestamps' LIMIT 1");
    const genMs = (newest.time as Date).getTime();
    // the old generation started with the cluster, several seconds ago: it alone would accept this timestamp
    const [oldest] = await rowsOf(c, "SELECT time FROM system_distributed.cdc_generation_timestamps WHERE key = 'timestamps' ORDER BY time ASC LIMIT 1");
    const tsUs = ((oldest.time as Date).getTime() + 1) * 1000;
    expect(genMs * 1000).toBeGreaterThan(tsUs);
    // the new generation must operate at now − leeway for an old-generation write to be "previous"
    await new Promise((r) => setTimeout(r, Math.max(0, tsUs / 1000 + 5_100 - Date.now())));
    try {
      await c.query(`INSERT INTO g.t (p, v) VALUES (6, 6) USING TIMESTAMP ${tsUs}`);
      throw new Error('accepted');
    } catch (e) {
      expect(e).toBeInstanceOf(ResponseError);
      expect((e as ResponseError).message).toMatch(/^cdc: attempted to get a stream "from the past"/);
    }
  });
});

describe('a new CDC generation (tablets, in-process)', () => {
  it('sim.newCdcGeneration: a second timestamp per CDC table, its streams current, the old ones closed, the new ones opened; writes follow the timestamp', async () => {
    const host = simHost();
    const sim = await startSim({ nodes: 2, shards: 2, host, tablets: true, initialTablets: 4 });
    const c = await Connection.connect({ host, port: 9042 });
    try {
      await c.query("CREATE KEYSPACE gt WITH replication = {'class': 'NetworkTopologyStrategy', 'replication_factor': 1}");
      await c.query("CREATE TABLE gt.t (p int PRIMARY KEY, v int) WITH cdc = {'enabled': true}");
      const where = "keyspace_name = 'gt' AND table_name = 't'";
      const first = await rowsOf(c, `SELECT timestamp FROM system.cdc_timestamps WHERE ${where}`);
      expect(first).toHaveLength(1);
      const oldMs = (first[0].timestamp as Date).getTime();
      const streamsAt = async (ms: number, state: number): Promise<Set<string>> => hexes((await rowsOf(c,
        `SELECT stream_id FROM system.cdc_streams WHERE ${where} AND timestamp = '${new Date(ms).toISOString()}' AND stream_state = ${state}`)).map((r) => r.stream_id as Buffer));
      const oldStreams = await streamsAt(oldMs, 0);
      expect(oldStreams.size).toBe(4);

      const { timestampMs } = sim.newCdcGeneration({ delayMs: 1500 });
      const ts = await rowsOf(c, `SELECT timestamp FROM system.cdc_timestamps WHERE ${where}`);
      expect(ts.map((r) => (r.timestamp as Date).getTime())).toEqual([timestampMs, oldMs]);
      const current = await streamsAt(timestampMs, 0);
      expect(current.size).toBe(4);
      expect([...current].filter((s) => oldStreams.has(s))).toEqual([]);
      expect(await streamsAt(timestampMs, 1)).toEqual(oldStreams);
      expect(await streamsAt(timestampMs, 2)).toEqual(current);
      // one stream per tablet, still at the tablet's last token
      const lastTokens = sim.cluster.schema.table('gt', 't')!.tablets!.lastTokens;
      expect([...current].map((h) => Buffer.from(h, 'hex').readBigInt64BE(0)).sort((a, b) => (a < b ? -1 : 1))).toEqual([...lastTokens]);

      const genUs = timestampMs * 1000;
      await c.query(`INSERT INTO gt.t (p, v) VALUES (1, 1) USING TIMESTAMP ${genUs - 1}`);
      await c.query(`INSERT INTO gt.t (p, v) VALUES (2, 2) USING TIMESTAMP ${genUs}`);
      await new Promise((r) => setTimeout(r, timestampMs - Date.now() + 50));
      await c.query('INSERT INTO gt.t (p, v) VALUES (3, 3)');
      for (const [p, inNew] of [[1, false], [2, true], [3, true]] as const) {
        const s = await streamsOfP(c, 'gt.t', p);
        expect(s, `p = ${p}`).toHaveLength(1);
        expect(current.has(s[0]), `p = ${p}`).toBe(inNew);
        expect(oldStreams.has(s[0]), `p = ${p}`).toBe(!inNew);
      }
    } finally {
      await c.close();
      await sim.stop();
    }
  });
});
