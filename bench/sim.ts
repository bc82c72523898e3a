/**
 * Emulator throughput and memory. Run: `npm run build && node --expose-gc dist/bench/sim.js`.
 *
 * Throughput: the emulator (1 node × 1 shard) runs in this process; a child process drives it
 * with pipelined prepared EXECUTEs over raw frames (precomputed, so the client costs little).
 * The figure that matters is ops per emulator CPU-second, which is what one core can serve
 * regardless of how busy the machine is; wall-clock ops/s is printed too.
 *
 * CDC: the same prepared writes to a table WITH cdc = {'enabled': true} (a delta row per write
 * in its log, no pre/post-image); the ratio to plain writes is printed (issue 14's target ≥ 0.5),
 * for overwrites of 10 000 keys (the log grows, the base does not) and for inserts of new
 * partitions (both grow). After each CDC phase the log must hold one row per write (else the bench
 * fails); reading it then also builds the rows the writes appended packed, and that CPU time is
 * printed and charged in a second ratio. Off and on alternate for SB_BENCH_ROUNDS rounds (2),
 * each phase from an empty emulator, and the ratios sum the rounds.
 *
 * Memory: rows written straight through the executor (no network), heap measured after GC.
 */
import { fork } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Reader, Writer } from '../src/cql/buffer.js';
import { encodeFrame, FrameParser, Opcode } from '../src/cql/frame.js';
import { writeExecute } from '../src/cql/messages.js';
import { startSim, type Sim } from '../src/sim/index.js';
import { Cluster } from '../src/sim/cluster.js';
import { Executor } from '../src/sim/executor.js';
import { resolveClusterOptions } from '../src/sim/index.js';

const HOST = '127.91.7.1';
const DURATION_MS = Number(process.env.SB_BENCH_MS ?? 5000);

/** write/cdc-write overwrite 10 000 keys; insert/cdc-insert write a new partition every time (the store grows). */
type Kind = 'write' | 'read' | 'cdc-write' | 'insert' | 'cdc-insert';
const isCdc = (k: Kind): boolean => k === 'cdc-write' || k === 'cdc-insert';

async function client(kind: Kind): Promise<void> {
  const connections = 4;
  const inflight = 64;
  let done = 0;
  let errors = 0;
  const stopAt = Date.now() + DURATION_MS;
  const one = async (ci: number): Promise<void> => {
    const s = net.connect({ host: HOST, port: 9042 });
    await new Promise((r) => s.once('connect', r));
    s.setNoDelay(true);
    const parser = new FrameParser();
    let waiting: ((b: Buffer) => void) | null = null;
    const queue: Buffer[] = [];
    s.on('data', (d: Buffer) => {
      for (const f of parser.push(d)) {
        if (waiting) { const w = waiting; waiting = null; w(f.body); } else queue.push(f.body);
      }
    });
    const next = (): Promise<Buffer> => (queue.length ? Promise.resolve(queue.shift()!) : new Promise((r) => { waiting = r; }));
    s.write(encodeFrame(4, false, 0, 0, Opcode.STARTUP, new Writer().stringMap({ CQL_VERSION: '3.0.0' }).toBuffer()));
    await next();
    if (ci === 0 && kind !== 'read') {
      const q = (cql: string): Buffer => { const w = new Writer(); w.longString(cql).short(1).byte(0); return w.toBuffer(); };
      s.write(encodeFrame(4, false, 0, 0, Opcode.QUERY, q("CREATE KEYSPACE IF NOT EXISTS b WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")));
      await next();
      s.write(encodeFrame(4, false, 0, 0, Opcode.QUERY, q(!isCdc(kind) ? 'CREATE TABLE IF NOT EXISTS b.kv (k bigint PRIMARY KEY, v blob)'
        : "CREATE TABLE IF NOT EXISTS b.kvc (k bigint PRIMARY KEY, v blob) WITH cdc = {'enabled': true}")));
      await next();
    } else {
      await new Promise((r) => setTimeout(r, 300));
    }
    const cql = kind === 'read' ? 'SELECT v FROM b.kv WHERE k = ?' : isCdc(kind) ? 'INSERT INTO b.kvc (k, v) VALUES (?, ?)' : 'INSERT INTO b.kv (k, v) VALUES (?, ?)';
    s.write(encodeFrame(4, false, 0, 0, Opcode.PREPARE, new Writer().longString(cql).toBuffer()));
    const prep = new Reader(await next());
    prep.int();
    const id = Buffer.from(prep.shortBytes());
    // precomputed request frames over 10 000 keys
    const frames: Buffer[] = [];
    const value = Buffer.alloc(100, 7);
    for (let k = 0; k < 10_000; k++) {
      const key = Buffer.alloc(8);
      key.writeBigInt64BE(BigInt(k));
      const w = new Writer(256);
      writeExecute(w, id, { consistency: 1, values: kind !== 'read' ? [key, value] : [key], skipMetadata: true });
      frames.push(encodeFrame(4, false, 0, 0, Opcode.EXECUTE, w.toBuffer()));
    }
    let k = ci * 2500;
    let outstanding = 0;
    // inserts: a fresh key each time, written into a copy of the first frame (the key's bytes sit at keyAt)
    const fresh = kind === 'insert' || kind === 'cdc-insert';
    const keyAt = frames[0].indexOf(Buffer.alloc(8)) ;
    let nextKey = BigInt(ci) << 40n;
    const send = (stream: number): void => {
      let f = frames[k++ % frames.length];
      if (fresh) {
        f = Buffer.from(frames[0]);
        f.writeBigInt64BE(nextKey++, keyAt);
      }
      f.writeInt16BE(stream, 2);
      s.write(f);
      outstanding++;
    };
    await new Promise<void>((resolve) => {
      let nextStream = 1;
      parser.push(Buffer.alloc(0));
      s.removeAllListeners('data');
      s.on('data', (d: Buffer) => {
        for (const f of parser.push(d)) {
          outstanding--;
          done++;
          if (f.opcode === Opcode.ERROR) errors++;
          if (Date.now() < stopAt) send(f.stream);
          else if (outstanding === 0) resolve();
        }
      });
      for (let i = 0; i < inflight; i++) send(nextStream++);
    });
    s.destroy();
  };
  await Promise.all(Array.from({ length: connections }, (_, i) => one(i)));
  process.send!({ done, errors });
}

/** One phase: its ops, wall and emulator CPU seconds, and (CDC) the CPU seconds of the log's first read. */
interface Throughput { done: number; wallS: number; cpuS: number; logReadS: number }

async function throughput(sim: Sim, kind: Kind): Promise<Throughput> {
  const child = fork(fileURLToPath(import.meta.url), ['--client', kind]);
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  const { done, errors } = await new Promise<{ done: number; errors: number }>((resolve, reject) => {
    child.once('message', (m: { done: number; errors: number }) => resolve(m));
    child.once('exit', (code) => { if (code) reject(new Error(`client exited ${code}`)); });
  });
  const cpu = process.cpuUsage(cpu0);
  const wallS = (Date.now() - t0) / 1000;
  const cpuS = (cpu.user + cpu.system) / 1e6;
  if (errors > 0) throw new Error(`${kind}: ${errors} of ${done} requests failed`);
  console.log(`prepared ${kind.padEnd(9)}: ${done} ops in ${wallS.toFixed(1)} s wall = ${(done / wallS).toFixed(0)} ops/s; emulator CPU ${cpuS.toFixed(2)} s = ${(done / cpuS).toFixed(0)} ops per CPU-second`);
  const out: Throughput = { done, wallS, cpuS, logReadS: 0 };
  if (isCdc(kind)) {
    // the log must hold a row per write; reading its rows the first time also builds the rows
    // appended packed (storage.ts LogAppend), a cost the writes deferred: timed and charged too
    const readCpu0 = process.cpuUsage();
    const logRows = logRowCount(sim, 'b', 'kvc');
    const read = process.cpuUsage(readCpu0);
    const readS = (read.user + read.system) / 1e6;
    if (logRows !== done) throw new Error(`${kind}: the CDC log holds ${logRows} rows after ${done} writes`);
    out.logReadS = readS;
    console.log(`  its CDC log: ${logRows} rows (one per write); their first read took ${readS.toFixed(2)} s CPU; writes + that read = ${(done / (cpuS + readS)).toFixed(0)} per CPU-second`);
  }
  return out;
}

/** Rows of a table's CDC log on every shard of every node (reading each partition's rows). */
function logRowCount(sim: Sim, ks: string, table: string): number {
  const log = sim.cluster.schema.keyspaces.get(ks)?.tables.get(table)?.cdcLog;
  if (!log) throw new Error(`${ks}.${table} has no CDC log`);
  let n = 0;
  for (const node of sim.cluster.nodes) for (const sh of node.shards) for (const p of sh.store.tables.get(log.id)?.partitions.values() ?? []) n += p.rows.length;
  return n;
}

function memory(rf: number): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  const cluster = new Cluster(resolveClusterOptions({ nodes: rf, shards: 1, vnodesPerNode: 16 }));
  const ex = new Executor(cluster);
  const session = { cluster, node: cluster.nodes[0], shard: cluster.nodes[0].shards[0], lwtMark: false, tabletsRouting: false };
  ex.query(session, `CREATE KEYSPACE m WITH replication = {'class': 'SimpleStrategy', 'replication_factor': ${rf}}`, [], { consistency: 1 }, {});
  ex.query(session, 'CREATE TABLE m.t (p bigint, c int, v blob, PRIMARY KEY (p, c))', [], { consistency: 1 }, {});
  const plan = ex.planFor('INSERT INTO m.t (p, c, v) VALUES (?, ?, ?)', undefined);
  gc?.();
  const before = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const rows = 300_000;
  const v = Buffer.alloc(100, 1);
  for (let i = 0; i < rows; i++) {
    const p = Buffer.alloc(8);
    p.writeBigInt64BE(BigInt(i >> 4));
    const c = Buffer.alloc(4);
    c.writeInt32BE(i & 15);
    plan.execute(session, [p, c, v], { consistency: 1 }, {});
  }
  gc?.();
  const after = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const perRow = (after - before) / rows;
  const stored = cluster.nodes.reduce((n, node) => n + node.shards[0].store.rowCount(), 0);
  if (stored !== rows * rf) throw new Error(`stored ${stored} row replicas, expected ${rows * rf}`);
  console.log(`memory, RF=${rf}: ${(perRow).toFixed(0)} bytes/row (100-byte value, 16 rows/partition) = ${(perRow * 1e6 / 2 ** 20).toFixed(0)} MiB per million rows${gc ? '' : ' (run with --expose-gc for a steadier figure)'}`);
}

if (process.argv[2] === '--client') {
  await client(process.argv[3] as Kind);
  process.exit(0);
} else if (process.argv[2] === '--memory') {
  memory(1);
  memory(3);
} else {
  // capacity: false measures the emulator's own CPU cost, not the modelled shard capacity; each
  // comparison starts from an empty emulator (a store grown by an earlier phase costs GC time)
  const gc = (globalThis as { gc?: () => void }).gc;
  const fresh = async <T>(run: (sim: Sim) => Promise<T>): Promise<T> => {
    gc?.();
    const sim = await startSim({ nodes: 1, shards: 1, host: HOST, vnodesPerNode: 16, capacity: false, flushIntervalMs: 0 });
    try {
      return await run(sim);
    } finally {
      await sim.stop();
    }
  };
  // CDC off and on alternate, round after round, and the ratios sum the rounds: on a shared
  // machine the load changes from one 5-second phase to the next
  const rounds = Math.max(1, Number(process.env.SB_BENCH_ROUNDS ?? 2));
  const phases: Partial<Record<Kind, Throughput[]>> = {};
  const record = (kind: Kind, t: Throughput): void => { (phases[kind] ??= []).push(t); };
  for (let round = 0; round < rounds; round++) {
    await fresh(async (sim) => { record('write', await throughput(sim, 'write')); if (round === 0) await throughput(sim, 'read'); });
    record('cdc-write', await fresh((sim) => throughput(sim, 'cdc-write')));
    record('insert', await fresh((sim) => throughput(sim, 'insert')));
    record('cdc-insert', await fresh((sim) => throughput(sim, 'cdc-insert')));
  }
  const sum = (kind: Kind): Throughput => phases[kind]!.reduce((a, t) => ({ done: a.done + t.done, wallS: a.wallS + t.wallS, cpuS: a.cpuS + t.cpuS, logReadS: a.logReadS + t.logReadS }));
  const rates = (kind: Kind): { perWallS: number; perCpuS: number; withLogReadPerCpuS: number } => {
    const t = sum(kind);
    return { perWallS: t.done / t.wallS, perCpuS: t.done / t.cpuS, withLogReadPerCpuS: t.done / (t.cpuS + t.logReadS) };
  };
  const plain = rates('write');
  const cdc = rates('cdc-write');
  const inserts = rates('insert');
  const cdcInserts = rates('cdc-insert');
  // both: ops/s is what a client sees (the emulator's GC also runs on the other core); per
  // CPU-second is the emulator's own cost, the stricter figure
  const r = (a: number, b: number): string => (a / b).toFixed(2);
  console.log(`CDC on / off, write throughput (ops/s): overwrites ${r(cdc.perWallS, plain.perWallS)}, new partitions ${r(cdcInserts.perWallS, inserts.perWallS)}; writes per emulator CPU-second: overwrites ${r(cdc.perCpuS, plain.perCpuS)}, new partitions ${r(cdcInserts.perCpuS, inserts.perCpuS)}; with the log's first read: overwrites ${r(cdc.withLogReadPerCpuS, plain.perCpuS)}, new partitions ${r(cdcInserts.withLogReadPerCpuS, inserts.perCpuS)} (${rounds} alternating rounds, ${os.cpus().length} cores)`);
  // memory in a fresh process: this one's heap holds the throughput run's garbage
  const m = fork(fileURLToPath(import.meta.url), ['--memory'], { execArgv: ['--expose-gc'] });
  await new Promise((r) => m.once('exit', r));
}
