/**
 * The emulator's CDC read by a consumer nobody here wrote: ScyllaDB's Rust library `scylla-cdc`
 * (tools/cdc-consumer, built by .ci/run with cargo) finds the generation (vnodes) or the tablet
 * streams, reads every stream's log, and must hand over each change the workload made exactly
 * once, in (cdc$time, cdc$batch_seq_no) order per stream.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection } from '../../src/cql/connection.js';
import { decodeRows } from '../../src/cql/rows.js';
import { startSim, type Sim } from '../../src/sim/index.js';
import { REPO_ROOT } from '../support/python-venv.js';
import { simHost } from '../support/sim-host.js';

const CONSUMER = path.join(REPO_ROOT, 'tools/cdc-consumer/target/debug/cdc-consumer');
/** Only SB_NO_RUST=1 outside CI skips these tests; a missing binary otherwise fails with the build command. */
const skipRust = process.env.SB_NO_RUST === '1' && process.env.CI !== 'true';

interface Change { stream: string; time: string; time_us: number; seq: number; op: number; end_of_batch: boolean; ttl: number | null; cols: Record<string, unknown> }

function runConsumer(host: string, ks: string, table: string, startMs: number, endMs: number): Promise<{ changes: Change[]; rows: number; stderr: string; code: number }> {
  if (!fs.existsSync(CONSUMER)) throw new Error(`${CONSUMER} not found: run cargo build --manifest-path tools/cdc-consumer/Cargo.toml (or set SB_NO_RUST=1 to skip locally)`);
  return new Promise((resolve) => {
    execFile(CONSUMER, [`${host}:9042`, ks, table, String(startMs), String(endMs), '500', '1000'], { timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const lines = stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Change & { done?: boolean; rows?: number });
      const done = lines.find((l) => l.done);
      resolve({ changes: lines.filter((l) => !l.done), rows: done?.rows ?? -1, stderr, code: err ? 1 : 0 });
    });
  });
}

/** Runs a workload of every kind of change on `ks.t` and returns what the emulator's own log holds. */
async function workload(c: Connection, ks: string): Promise<{ expected: Map<string, number>; logRows: Record<string, unknown>[] }> {
  const expected = new Map<string, number>();
  const note = (k: string, n = 1): void => { expected.set(k, (expected.get(k) ?? 0) + n); };
  for (let p = 0; p < 40; p++) {
    for (let ck = 0; ck < 3; ck++) {
      await c.query(`INSERT INTO ${ks}.t (p, c, v) VALUES (${p}, ${ck}, 'v${p}-${ck}')`);
      note(`2:${p}:${ck}`);
    }
  }
  for (let p = 0; p < 40; p += 2) { await c.query(`UPDATE ${ks}.t USING TTL 600 SET v = 'u${p}' WHERE p = ${p} AND c = 1`); note(`1:${p}:1`); }
  for (let p = 1; p < 40; p += 4) { await c.query(`DELETE FROM ${ks}.t WHERE p = ${p} AND c = 0`); note(`3:${p}:0`); }
  for (let p = 3; p < 40; p += 8) { await c.query(`DELETE FROM ${ks}.t WHERE p = ${p} AND c > 0`); note(`5:${p}:null`, 0); note('range', 2); }
  for (let p = 5; p < 40; p += 10) { await c.query(`DELETE FROM ${ks}.t WHERE p = ${p}`); note(`4:${p}:null`); }
  // a logged batch: two partitions, one timestamp each
  await c.query(`BEGIN BATCH INSERT INTO ${ks}.t (p, c, v) VALUES (100, 0, 'b0'); INSERT INTO ${ks}.t (p, c, v) VALUES (100, 1, 'b1'); UPDATE ${ks}.t SET v = 'b2' WHERE p = 101 AND c = 0; APPLY BATCH`);
  note('2:100:0'); note('2:100:1'); note('1:101:0');
  const r = await c.query(`SELECT * FROM ${ks}.t_scylla_cdc_log`);
  return { expected, logRows: r.kind === 'rows' ? decodeRows(r) : [] };
}

function checkChanges(changes: Change[], logRows: Record<string, unknown>[], expected: Map<string, number>): void {
  // exactly once: every log row handed over once, nothing else
  const id = (stream: string, time: string, seq: number): string => `${stream}/${time}/${seq}`;
  const got = changes.map((ch) => id(ch.stream, ch.time, ch.seq));
  expect(new Set(got).size).toBe(got.length);
  const want = logRows.map((r) => id((r['cdc$stream_id'] as Buffer).toString('hex'), r['cdc$time'] as string, r['cdc$batch_seq_no'] as number));
  expect([...got].sort()).toEqual([...want].sort());
  // the workload's changes, by operation and key
  const seen = new Map<string, number>();
  for (const ch of changes) {
    if (ch.op === 5 || ch.op === 6 || ch.op === 7 || ch.op === 8) { seen.set('range', (seen.get('range') ?? 0) + 1); continue; }
    const k = `${ch.op}:${String(ch.cols.p)}:${String(ch.cols.c)}`;
    seen.set(k, (seen.get(k) ?? 0) + 1);
  }
  for (const [k, n] of expected) if (n > 0) expect(seen.get(k), k).toBe(n);
  expect([...seen.values()].reduce((a, b) => a + b, 0)).toBe([...expected.values()].reduce((a, b) => a + b, 0));
  // in order per stream: (time, seq) ascending as the consumer got them
  const byStream = new Map<string, Change[]>();
  for (const ch of changes) (byStream.get(ch.stream) ?? byStream.set(ch.stream, []).get(ch.stream)!).push(ch);
  for (const list of byStream.values()) {
    for (let i = 1; i < list.length; i++) {
      const a = list[i - 1];
      const b = list[i];
      expect(a.time_us < b.time_us || (a.time_us === b.time_us && (a.time !== b.time || a.seq < b.seq)), `${a.time}/${a.seq} before ${b.time}/${b.seq}`).toBe(true);
    }
  }
  // the TTL'd updates carry cdc$ttl, batches end with end_of_batch
  expect(changes.filter((ch) => ch.op === 1 && ch.ttl === 600).length).toBe(20);
  expect(changes.filter((ch) => ch.end_of_batch).length).toBe(new Set(changes.map((ch) => `${ch.stream}/${ch.time}`)).size);
}

describe.skipIf(skipRust)('scylla-cdc (Rust) reads the emulator\'s CDC log', () => {
  let sim: Sim;
  let c: Connection;
  const host = simHost();
  beforeAll(async () => {
    sim = await startSim({ nodes: 3, shards: 2, host, vnodesPerNode: 8 });
    c = await Connection.connect({ host, port: 9042 });
  });
  afterAll(async () => {
    await c.close();
    await sim.stop();
  });

  it('vnodes: every change once, in order per stream, through the generation and its streams', async () => {
    await c.query("CREATE KEYSPACE cv WITH replication = {'class': 'NetworkTopologyStrategy', 'replication_factor': 2}");
    await c.query("CREATE TABLE cv.t (p int, c int, v text, PRIMARY KEY (p, c)) WITH cdc = {'enabled': true}");
    const startMs = Date.now() - 1000;
    const { expected, logRows } = await workload(c, 'cv');
    const endMs = Date.now() + 200;
    const r = await runConsumer(host, 'cv', 't', startMs, endMs);
    expect(r.code, r.stderr.slice(0, 3000)).toBe(0);
    expect(r.rows).toBe(logRows.length);
    checkChanges(r.changes, logRows, expected);
    // the streams it read are the generation's (one per vnode range and shard)
    const gen = await c.query('SELECT streams FROM system_distributed.cdc_streams_descriptions_v2');
    const all = new Set(gen.kind === 'rows' ? decodeRows(gen).flatMap((x) => (x.streams as Buffer[]).map((b) => b.toString('hex'))) : []);
    expect(all.size).toBe(3 * 8 * 2);
    for (const ch of r.changes) expect(all.has(ch.stream)).toBe(true);
  });

  it('tablets: the streams come from system.cdc_timestamps and system.cdc_streams', async () => {
    await c.query("CREATE KEYSPACE ct WITH replication = {'class': 'NetworkTopologyStrategy', 'replication_factor': 2} AND tablets = {'enabled': true, 'initial': 4}");
    await c.query("CREATE TABLE ct.t (p int, c int, v text, PRIMARY KEY (p, c)) WITH cdc = {'enabled': true}");
    const startMs = Date.now() - 1000;
    const { expected, logRows } = await workload(c, 'ct');
    const endMs = Date.now() + 200;
    const r = await runConsumer(host, 'ct', 't', startMs, endMs);
    expect(r.code, r.stderr.slice(0, 3000)).toBe(0);
    expect(r.rows).toBe(logRows.length);
    checkChanges(r.changes, logRows, expected);
    expect(new Set(r.changes.map((ch) => ch.stream)).size).toBeLessThanOrEqual(4);
  });

  // last: the new generation is the cluster's
  it('across a new generation (vnodes and tablets): every change once, from the old streams before its time and the new ones after', async () => {
    await c.query("CREATE KEYSPACE gv WITH replication = {'class': 'NetworkTopologyStrategy', 'replication_factor': 2}");
    await c.query("CREATE KEYSPACE gt WITH replication = {'class': 'NetworkTopologyStrategy', 'replication_factor': 2} AND tablets = {'enabled': true, 'initial': 4}");
    for (const ks of ['gv', 'gt']) await c.query(`CREATE TABLE ${ks}.t (p int, c int, v text, PRIMARY KEY (p, c)) WITH cdc = {'enabled': true}`);
    const startMs = Date.now() - 1000;
    const write = async (from: number, to: number): Promise<void> => {
      for (let p = from; p < to; p++) for (const ks of ['gv', 'gt']) await c.query(`INSERT INTO ${ks}.t (p, c, v) VALUES (${p}, 0, 'v${p}')`);
    };
    await write(0, 40);
    const { timestampMs } = sim.newCdcGeneration({ delayMs: 1000 });
    await new Promise((r) => setTimeout(r, timestampMs - Date.now() + 50));
    await write(40, 80);
    const endMs = Date.now() + 200;
    const streamsOf = async (cql: string, col: string): Promise<Set<string>> => {
      const r = await c.query(cql);
      return new Set((r.kind === 'rows' ? decodeRows(r) : []).flatMap((x) => (col === 'streams' ? [...(x[col] as Set<Buffer>)] : [x[col] as Buffer]).map((b) => b.toString('hex'))));
    };
    const at = (ms: number): string => new Date(ms).toISOString();
    const [oldGen] = (await c.query("SELECT time FROM system_distributed.cdc_generation_timestamps WHERE key = 'timestamps' ORDER BY time ASC LIMIT 1").then((r) => (r.kind === 'rows' ? decodeRows(r) : [])));
    const gens = {
      gv: [await streamsOf(`SELECT streams FROM system_distributed.cdc_streams_descriptions_v2 WHERE time = '${at((oldGen.time as Date).getTime())}'`, 'streams'),
        await streamsOf(`SELECT streams FROM system_distributed.cdc_streams_descriptions_v2 WHERE time = '${at(timestampMs)}'`, 'streams')],
      gt: [await streamsOf("SELECT stream_id, timestamp FROM system.cdc_streams WHERE keyspace_name = 'gt' AND table_name = 't' AND stream_state = 0 ALLOW FILTERING", 'stream_id'),
        await streamsOf(`SELECT stream_id FROM system.cdc_streams WHERE keyspace_name = 'gt' AND table_name = 't' AND timestamp = '${at(timestampMs)}' AND stream_state = 0`, 'stream_id')],
    };
    // the tablet table's first set: every current stream minus the new ones
    for (const s of gens.gt[1]) gens.gt[0].delete(s);
    for (const ks of ['gv', 'gt'] as const) {
      const lr = await c.query(`SELECT * FROM ${ks}.t_scylla_cdc_log`);
      const logRows = lr.kind === 'rows' ? decodeRows(lr) : [];
      expect(logRows).toHaveLength(80);
      const r = await runConsumer(host, ks, 't', startMs, endMs);
      expect(r.code, r.stderr.slice(0, 3000)).toBe(0);
      expect(r.rows).toBe(80);
      const expected = new Map(Array.from({ length: 80 }, (_, p) => [`2:${p}:0`, 1]));
      const id = (ch: { stream: string; time: string; seq: number }): string => `${ch.stream}/${ch.time}/${ch.seq}`;
      expect(new Set(r.changes.map(id)).size).toBe(80);
      expect(r.changes.map(id).sort()).toEqual(logRows.map((x) => id({ stream: (x['cdc$stream_id'] as Buffer).toString('hex'), time: x['cdc$time'] as string, seq: x['cdc$batch_seq_no'] as number })).sort());
      for (const ch of r.changes) expect(expected.get(`${ch.op}:${String(ch.cols.p)}:${String(ch.cols.c)}`), `${ks} p=${String(ch.cols.p)}`).toBe(1);
      // the first 40 keys were written in the old generation's streams, the others in the new one's
      for (const ch of r.changes) expect(gens[ks][Number(ch.cols.p) < 40 ? 0 : 1].has(ch.stream), `${ks} p=${String(ch.cols.p)}`).toBe(true);
    }
  });
});
