/**
 * Loader CPU per op: our CQL client vs the stock cassandra-driver, doing the same prepared
 * INSERT and SELECT at the same concurrency against the same server, interleaved in one run
 * (A B A B ...) so machine noise hits both. Also the per-op cost of encoding an EXECUTE frame
 * and decoding a small ROWS result.
 *
 *   node dist/bench/client.js --target 127.0.0.1:9042 [--seconds 5] [--rounds 2] [--concurrency 256]
 *   credentials: SCYLLA_BENCH_USERNAME / SCYLLA_BENCH_PASSWORD
 *
 * The server must run in another process (process.cpuUsage measures this process only).
 */
import cassandra from 'cassandra-driver';
import { Writer } from '../src/cql/buffer.js';
import { codecFor } from '../src/cql/codecs.js';
import { Connection, type PreparedStatement } from '../src/cql/connection.js';
import { Consistency } from '../src/cql/consistency.js';
import { Opcode } from '../src/cql/frame.js';
import { readResponseExtras, readResult, writeRowsResult, type ColumnSpec, type RowsResult } from '../src/cql/messages.js';
import { decodeRowArrays } from '../src/cql/rows.js';
import { Reader } from '../src/cql/buffer.js';

interface Args { target: string; seconds: number; rounds: number; concurrency: number; keyspace: string }

export function parseArgs(argv: string[]): Args {
  const get = (name: string, def: string): string => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] ? argv[i + 1] : def;
  };
  return {
    target: get('target', process.env.SB_BENCH_TARGET ?? '127.0.0.1:9042'),
    seconds: Number(get('seconds', '5')),
    rounds: Number(get('rounds', '2')),
    concurrency: Number(get('concurrency', '256')),
    keyspace: get('keyspace', 'sb_bench'),
  };
}

interface Measure { ops: number; errors: number; cpuUs: number; wallMs: number }

const KEYS = 100_000;

/** Closed loop: `concurrency` chains, each issuing the next op when the previous completes. */
function loop(concurrency: number, seconds: number, issue: (i: number, done: (err: unknown) => void) => void): Promise<Measure> {
  return new Promise((resolve) => {
    let ops = 0;
    let errors = 0;
    let i = 0;
    let active = concurrency;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const deadline = t0 + seconds * 1000;
    const next = (): void => {
      if (performance.now() >= deadline) {
        if (--active === 0) {
          const cpu = process.cpuUsage(cpu0);
          resolve({ ops, errors, cpuUs: cpu.user + cpu.system, wallMs: performance.now() - t0 });
        }
        return;
      }
      issue(i++ % KEYS, (err) => {
        if (err) errors++;
        else ops++;
        next();
      });
    };
    for (let c = 0; c < concurrency; c++) next();
  });
}

async function ours(a: Args, host: string, port: number): Promise<{ insert: PreparedStatement; select: PreparedStatement; c: Connection }> {
  const c = await Connection.connect({
    host, port, maxInFlight: 2048,
    credentials: process.env.SCYLLA_BENCH_USERNAME ? { username: process.env.SCYLLA_BENCH_USERNAME, password: process.env.SCYLLA_BENCH_PASSWORD ?? '' } : undefined,
  });
  const insert = await c.prepare(`INSERT INTO ${a.keyspace}.kv (k, v) VALUES (?, ?)`);
  const select = await c.prepare(`SELECT k, v FROM ${a.keyspace}.kv WHERE k = ?`);
  return { insert, select, c };
}

function fmt(m: Measure): string {
  return `${(m.ops / (m.wallMs / 1000)).toFixed(0).padStart(8)} ops/s  ${(m.cpuUs / Math.max(1, m.ops)).toFixed(2).padStart(7)} µs CPU/op  errors ${m.errors}`;
}

function micro(): void {
  // EXECUTE encode: prepared INSERT with (int, text)
  const stmtCols: ColumnSpec[] = [{ keyspace: 'ks', table: 't', name: 'k', type: { kind: 'int' } }, { keyspace: 'ks', table: 't', name: 'v', type: { kind: 'text' } }];
  const codecs = stmtCols.map((c) => codecFor(c.type));
  const id = Buffer.alloc(16, 7);
  const w = new Writer(64 * 1024);
  const N = 2_000_000;
  const value = 'x'.repeat(32);
  let t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    if (w.pos > 60_000) w.reset();
    const start = w.pos;
    w.pos += 9;
    w.shortBytes(id).short(Consistency.ONE).byte(1).short(2);
    codecs[0].write(w, i & 0xffff);
    codecs[1].write(w, value);
    w.buf.writeInt32BE(w.pos - start - 9, start + 5);
  }
  const encNs = Number(process.hrtime.bigint() - t0) / N;

  // small ROWS decode: 1 row × (int, text)
  const rw = new Writer(256);
  writeRowsResult(rw, stmtCols, [[Buffer.from([0, 0, 0, 1]), Buffer.from(value)]]);
  const body = rw.toBuffer();
  const M = 1_000_000;
  let sink = 0;
  t0 = process.hrtime.bigint();
  for (let i = 0; i < M; i++) {
    const r = new Reader(body);
    readResponseExtras(r, 0);
    const res = readResult(r) as RowsResult;
    sink += decodeRowArrays(res, stmtCols, codecs).length;
  }
  const decNs = Number(process.hrtime.bigint() - t0) / M;
  console.log(`micro: encode EXECUTE (int, text[32]) ${encNs.toFixed(0)} ns/op; decode ROWS 1×(int, text) with metadata ${decNs.toFixed(0)} ns/op (${sink === M ? 'ok' : 'mismatch'})`);
}

export async function main(argv = process.argv.slice(2)): Promise<void> {
  const a = parseArgs(argv);
  const [host, portStr] = a.target.split(':');
  const port = Number(portStr ?? 9042);
  const username = process.env.SCYLLA_BENCH_USERNAME;
  const password = process.env.SCYLLA_BENCH_PASSWORD ?? '';
  micro();

  const setup = await Connection.connect({ host, port, credentials: username ? { username, password } : undefined });
  await setup.query(`CREATE KEYSPACE IF NOT EXISTS ${a.keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
  await setup.query(`CREATE TABLE IF NOT EXISTS ${a.keyspace}.kv (k int PRIMARY KEY, v text)`);
  await setup.close();

  const mine = await ours(a, host, port);
  const driver = new cassandra.Client({
    contactPoints: [`${host}:${port}`], localDataCenter: 'datacenter1',
    credentials: username ? { username, password } : undefined,
    pooling: { coreConnectionsPerHost: { [cassandra.types.distance.local]: 1 }, maxRequestsPerConnection: 2048 },
  });
  await driver.connect();
  const VALUE = 'v'.repeat(32);
  const insCql = `INSERT INTO ${a.keyspace}.kv (k, v) VALUES (?, ?)`;
  const selCql = `SELECT k, v FROM ${a.keyspace}.kv WHERE k = ?`;

  const variants: Record<string, (op: 'insert' | 'select') => Promise<Measure>> = {
    'scylla-bench': (op) => loop(a.concurrency, a.seconds, (k, done) => {
      if (op === 'insert') mine.c.executeFast(mine.insert, [k, VALUE], {}, done);
      else mine.c.executeFast(mine.select, [k], {}, done);
    }),
    'cassandra-driver': (op) => loop(a.concurrency, a.seconds, (k, done) => {
      const p = op === 'insert' ? driver.execute(insCql, [k, VALUE], { prepare: true }) : driver.execute(selCql, [k], { prepare: true });
      p.then(() => done(null), done);
    }),
  };
  // warm up both (JIT, prepared cache)
  for (const v of Object.values(variants)) { await v('insert'); }

  const totals: Record<string, Record<string, Measure>> = {};
  for (let round = 0; round < a.rounds; round++) {
    for (const op of ['insert', 'select'] as const) {
      for (const [name, run] of Object.entries(variants)) {
        const m = await run(op);
        console.log(`round ${round + 1} ${op.padEnd(6)} ${name.padEnd(16)} ${fmt(m)}`);
        const t = ((totals[name] ??= {})[op] ??= { ops: 0, errors: 0, cpuUs: 0, wallMs: 0 });
        t.ops += m.ops; t.errors += m.errors; t.cpuUs += m.cpuUs; t.wallMs += m.wallMs;
      }
    }
  }
  console.log(`\nconcurrency ${a.concurrency}, ${a.rounds} rounds × ${a.seconds}s, target ${a.target}, ${(await import('node:os')).availableParallelism()} cores`);
  for (const op of ['insert', 'select'] as const) {
    const o = totals['scylla-bench'][op];
    const d = totals['cassandra-driver'][op];
    const ratio = (o.cpuUs / o.ops) / (d.cpuUs / d.ops);
    console.log(`${op.padEnd(6)} scylla-bench ${fmt(o)}`);
    console.log(`${op.padEnd(6)} driver       ${fmt(d)}`);
    console.log(`${op.padEnd(6)} CPU/op ratio (ours / driver): ${ratio.toFixed(3)}  (target <= 0.25)`);
  }
  await mine.c.close();
  await driver.shutdown();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e: unknown) => {
    console.error(`bench/client: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  });
}
