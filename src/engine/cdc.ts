/**
 * The `kind: cdc` classes of a phase: consumers that follow a table's CDC log next to the writer
 * classes (cdc-reader.ts), on the coordinator's thread with their own pools and shard-aware
 * routing by the CDC partitioner's token (a stream id's first 8 bytes).
 *
 * They report like one more worker: every second a `WorkerInterval` whose class carries one op,
 * `cdc-lag` (time the change was read − its `cdc$time`, in the op's response and service
 * histograms), so the lag reaches the table, result.json, intervals.jsonl, the .hlog and the
 * report by the same path as any op's latency. Its `started`/`sent` figures are log queries; its
 * count is changes read (delta rows); its errors are failed log queries.
 *
 * After the writers stop, the consumers drain: they go on with their own schedule until every
 * reader's window has passed the writers' end (caught up) or the class's `drain` runs out. Then
 * what they read is matched against the changes the writers made (cdc-expect.ts): `missing`,
 * `duplicate`, `unexpected` go into the class's `cdc` result, and missing changes (beyond the
 * writes that failed) or duplicates fail its checks.
 */
import type { Connection, Credentials, TlsOptions } from '../cql/connection.js';
import { HIGHEST_US, encode, newHistogram, type Histogram } from '../metrics/histogram.js';
import type { Segment } from '../profile/segment.js';
import { CDC_LAG_OP, type CdcConsumerSpec, type ClassSpec, type ResolvedProfile } from '../profile/types.js';
import { NodePool } from '../routing/pool.js';
import type { ReplicationStrategy } from '../routing/ring.js';
import { Router, type KeyspaceRouting } from '../routing/router.js';
import type { ClassInterval, WorkerInterval } from '../results/phase.js';
import type { CdcResult, ClassResult } from '../results/result.js';
import { GenerationSource, GroupReader, backoffMs, logQueryCql, prepareOnPools, timeuuidUs, type Generation, type LogPage } from './cdc-reader.js';
import { expectedChanges, keyOfCells, type WriterShare } from './cdc-expect.js';
import { ringOf, type ClusterFacts } from './cluster.js';

const nowAbsMs = (): number => performance.timeOrigin + performance.now();

/** cdc$operation values that are images, not changes (cdc/log.hh). */
const PRE_IMAGE = 0;
const POST_IMAGE = 9;

export interface CdcPhaseOptions {
  profile: ResolvedProfile;
  classes: ClassSpec[];
  facts: ClusterFacts;
  control: Connection;
  keyspaces: Record<string, ReplicationStrategy>;
  credentials?: Credentials;
  tls?: TlsOptions;
  /** The index its reports carry: one past the last worker's. */
  reporterIndex: number;
  /** Every second's report, and the last one (final). */
  emit: (r: WorkerInterval) => void;
  stopped: () => boolean;
}

interface Consumer {
  spec: ClassSpec;
  cdc: CdcConsumerSpec;
  keyspace: string;
  logTable: string;
  source: GenerationSource;
  generations: Generation[];
  readers: GroupReader[];
  ks: KeyspaceRouting;
  router: Router;
  statements: Map<number, ReturnType<typeof prepareOnPools>>;
  genTimer?: NodeJS.Timeout;
  genFailures: number;
  /** Index of the key columns in the log rows (resolved from the first page's metadata). */
  keyIdx?: number[];
  sys?: { stream: number; time: number; seq: number; op: number };
  // this second
  lag: Histogram;
  changesSec: number;
  rowsSec: number;
  errorsSec: Record<string, number>;
  requests: number[];
  misrouted: number[];
  startedSec: number;
  inWindowSec: number;
  afterWindowSec: number;
  // the phase
  seenIds: Set<string>;
  seenKeys: Map<string, number>;
  rows: number;
  changes: number;
  duplicate: number;
  queries: number;
  failedQueries: number;
  drainMs: number;
  caughtUp: boolean;
}

export class CdcPhase {
  readonly #consumers: Consumer[] = [];
  #pools: NodePool[] = [];
  #startAbs = 0;
  #endAbs = Infinity;
  #intervalStart = 0;
  #intervalTimer: NodeJS.Timeout | undefined;
  #elu = performance.eventLoopUtilization();
  #finished = false;
  readonly #nrShards: number;

  constructor(private readonly o: CdcPhaseOptions) {
    this.#nrShards = o.facts.nrShards ?? 1;
  }

  /** Pools, generations and prepared log queries: everything before the phase's start. */
  async setup(): Promise<void> {
    const o = this.o;
    this.#pools = o.facts.nodes.map((n) => NodePool.create({
      host: n.host, port: n.port,
      connection: { credentials: o.credentials, tls: o.tls, connectTimeoutMs: o.profile.target.connectTimeoutMs, requestTimeoutMs: o.profile.target.requestTimeoutMs, maxInFlight: 256 },
    }));
    await Promise.all(this.#pools.map((p) => p.ready));
    if (this.#pools.every((p) => p.state !== 'up')) throw new Error(`cdc consumer: could not connect to any node (${this.#pools.map((p) => `${p.host}:${p.options.port}`).join(', ')})`);
    const ring = ringOf(o.facts);
    const cells = o.facts.nodes.length * this.#nrShards;
    for (const spec of o.classes) {
      const cdc = spec.cdc!;
      const w = o.profile.workloads[spec.workload];
      const log = await o.control.query('SELECT table_name FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?', [w.keyspace, `${cdc.table}_scylla_cdc_log`]);
      if (log.kind !== 'rows' || log.rowCount === 0) throw new Error(`class ${spec.name}: table ${w.keyspace}.${cdc.table} has no CDC log (create or alter it WITH cdc = {'enabled': true})`);
      const source = new GenerationSource(o.control, w.keyspace, cdc.table);
      const times = await source.times();
      if (times.length === 0) throw new Error(`class ${spec.name}: table ${w.keyspace}.${cdc.table} has no CDC generation (is cdc enabled on it?)`);
      const mode = spec.routing ?? o.profile.routing;
      const router = new Router(mode === 'round-robin' ? 'round-robin' : mode === 'token-aware' || !o.facts.scylla ? 'token-aware' : 'shard-aware',
        this.#pools, ring, o.facts.nodes.map((n) => n.hostId ?? undefined), undefined, o.facts.nodes.map((n) => n.datacenter), o.profile.target.datacenter ?? o.facts.nodes[0]?.datacenter);
      const c: Consumer = {
        spec, cdc, keyspace: w.keyspace, logTable: `${cdc.table}_scylla_cdc_log`, source, generations: [], readers: [],
        ks: Router.keyspace(o.keyspaces[w.keyspace] ?? { kind: 'simple', replicationFactor: 1 }), router, statements: new Map(), genFailures: 0,
        lag: newHistogram(), changesSec: 0, rowsSec: 0, errorsSec: {}, requests: new Array(cells).fill(0), misrouted: new Array(cells).fill(0),
        startedSec: 0, inWindowSec: 0, afterWindowSec: 0,
        seenIds: new Set(), seenKeys: new Map(), rows: 0, changes: 0, duplicate: 0, queries: 0, failedQueries: 0, drainMs: 0, caughtUp: false,
      };
      // the generation in effect at the start: the latest at or before now (else the oldest)
      const now = nowAbsMs();
      const start = times.find((t) => t <= now) ?? times[times.length - 1];
      c.generations.push(await source.generation(start));
      for (const g of c.generations[0].groups) await this.#statement(c, g.length);
      this.#consumers.push(c);
    }
  }

  #statement(c: Consumer, n: number): ReturnType<typeof prepareOnPools> {
    let s = c.statements.get(n);
    if (!s) { s = prepareOnPools(this.#pools, logQueryCql(c.keyspace, c.logTable, n)); c.statements.set(n, s); }
    return s;
  }

  /** Readers start reading the phase's changes; reports every second from `startAbs`. */
  start(startAbs: number, endAbs: number): void {
    this.#startAbs = startAbs;
    this.#endAbs = endAbs;
    this.#intervalStart = startAbs;
    this.#elu = performance.eventLoopUtilization();
    const wait = Math.max(0, startAbs - nowAbsMs());
    this.#intervalTimer = setTimeout(() => this.#scheduleInterval(), wait);
    for (const c of this.#consumers) {
      this.#startReaders(c, c.generations[0], startAbs, wait);
      this.#scheduleGenerationPoll(c, c.cdc.postGenerationFetchDelayMs);
    }
  }

  #startReaders(c: Consumer, g: Generation, fromMs: number, waitMs: number): void {
    const n = g.groups.length;
    g.groups.forEach((streams, i) => {
      c.readers.push(new GroupReader({
        spec: c.cdc, streams, startMs: Math.max(fromMs, g.startMs), router: c.router, ks: c.ks, logTable: c.logTable,
        prepare: (k) => this.#statement(c, k), startDelayMs: waitMs + (c.cdc.postNonEmptyQueryDelayMs * i) / n,
        hooks: {
          onPage: (p) => this.#onPage(c, p),
          onQuery: (r, sent) => this.#onQuery(c, r, sent),
          onQueryError: (kind) => { c.failedQueries++; c.errorsSec[kind] = (c.errorsSec[kind] ?? 0) + 1; },
        },
      }));
    });
  }

  /** A newer generation closes the current readers at its start; new ones read on from there. */
  #scheduleGenerationPoll(c: Consumer, delayMs: number): void {
    c.genTimer = setTimeout(() => {
      void (async () => {
        if (this.#finished) return;
        try {
          const times = await c.source.times();
          c.genFailures = 0;
          const last = c.generations[c.generations.length - 1];
          const next = times.filter((t) => t > last.startMs).sort((a, b) => a - b)[0];
          if (next !== undefined && !this.#finished) {
            const g = await c.source.generation(next);
            for (const r of c.readers) r.close(next);
            c.generations.push(g);
            this.#startReaders(c, g, next, 0);
          }
          if (!this.#finished) this.#scheduleGenerationPoll(c, c.cdc.postGenerationFetchDelayMs);
        } catch {
          c.genFailures++;
          if (!this.#finished) this.#scheduleGenerationPoll(c, backoffMs(c.cdc.postGenerationFetchDelayMs, c.cdc.maxPostGenerationFetchDelayMs, c.genFailures));
        }
      })();
    }, delayMs);
    c.genTimer.unref?.();
  }

  #onQuery(c: Consumer, r: { node: number; ownerShard: number; connShard: number }, sentAbs: number): void {
    c.queries++;
    c.startedSec++;
    if (sentAbs < this.#endAbs) c.inWindowSec++;
    else c.afterWindowSec++;
    const shard = r.ownerShard >= 0 ? r.ownerShard : Math.max(0, r.connShard);
    const i = r.node * this.#nrShards + shard;
    c.requests[i]++;
    if (r.ownerShard >= 0 && r.connShard >= 0 && r.ownerShard !== r.connShard) c.misrouted[i]++;
  }

  #onPage(c: Consumer, p: LogPage): void {
    if (!c.sys) {
      const at = (n: string): number => p.columns.findIndex((x) => x.name === n);
      c.sys = { stream: at('cdc$stream_id'), time: at('cdc$time'), seq: at('cdc$batch_seq_no'), op: at('cdc$operation') };
      const t = this.o.profile.workloads[c.spec.workload].tables.find((x) => x.name === c.cdc.table)!;
      c.keyIdx = [...t.partitionKey, ...t.clusteringKey].map(at);
    }
    const s = c.sys;
    const readUs = p.readAbsMs * 1000;
    for (const row of p.rows) {
      c.rows++;
      c.rowsSec++;
      const op = row[s.op]?.readInt8(0);
      if (op === PRE_IMAGE || op === POST_IMAGE) continue;
      const time = row[s.time]!;
      const id = `${row[s.stream]!.toString('hex')}${time.toString('hex')}${row[s.seq]!.readInt32BE(0)}`;
      if (c.seenIds.has(id)) { c.duplicate++; continue; }
      c.seenIds.add(id);
      c.changes++;
      c.changesSec++;
      const k = keyOfCells(row, c.keyIdx!);
      c.seenKeys.set(k, (c.seenKeys.get(k) ?? 0) + 1);
      // clocks of loader and cluster differ a little: a change read "before" it was written counts as 0
      c.lag.recordValue(Math.min(HIGHEST_US, Math.max(1, Math.round(readUs - timeuuidUs(time)))));
    }
  }

  #scheduleInterval(): void {
    const next = this.#intervalStart + 1000;
    this.#intervalTimer = setTimeout(() => {
      this.#report(false, next);
      this.#scheduleInterval();
    }, Math.max(0, next - nowAbsMs()));
  }

  #report(final: boolean, endAbs: number): void {
    const classes: Record<string, ClassInterval> = {};
    for (const c of this.#consumers) {
      const lag = encode(c.lag);
      classes[c.spec.name] = {
        ops: { [CDC_LAG_OP]: { count: c.changesSec, errors: c.errorsSec, response: lag, service: lag, rows: c.rowsSec } },
        requests: c.requests, misrouted: c.misrouted, fallbacks: 0,
        started: c.startedSec, sentInWindow: c.inWindowSec, sentAfterWindow: c.afterWindowSec, lagWithin1ms: 0, lagWithin10ms: 0,
      };
      c.lag = newHistogram();
      c.changesSec = 0; c.rowsSec = 0; c.errorsSec = {}; c.startedSec = 0; c.inWindowSec = 0; c.afterWindowSec = 0;
      c.requests = new Array(c.requests.length).fill(0);
      c.misrouted = new Array(c.misrouted.length).fill(0);
    }
    const elu = performance.eventLoopUtilization(this.#elu);
    this.#elu = performance.eventLoopUtilization();
    this.o.emit({
      workerIndex: this.o.reporterIndex, startAbsMs: this.#intervalStart, endAbsMs: endAbs, final, classes, nodes: [],
      loader: { eventLoopUtilization: elu.utilization, eventLoopDelayP99Ms: 0 },
    });
    this.#intervalStart = endAbs;
  }

  /**
   * The writers are done at `writersEndAbs`: read on until every reader's window passed it (all
   * their changes are then read) or each class's drain ran out; then stop and report the rest.
   */
  async drain(writersEndAbs: number): Promise<void> {
    const deadline = (c: Consumer): number => writersEndAbs + c.cdc.drainMs;
    const caughtUp = (c: Consumer): boolean => c.readers.every((r) => r.progressMs > writersEndAbs || r.progressMs >= r.endMs);
    for (;;) {
      const now = nowAbsMs();
      let waiting = false;
      for (const c of this.#consumers) {
        if (c.caughtUp || c.drainMs > 0) continue;
        if (caughtUp(c)) { c.caughtUp = true; c.drainMs = Math.max(1, Math.round(now - writersEndAbs)); } else if (now >= deadline(c)) c.drainMs = Math.round(now - writersEndAbs);
        else waiting = true;
      }
      if (!waiting || this.o.stopped()) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await this.finish();
  }

  /** Stops every reader and timer, sends the last report, closes the pools. */
  async finish(): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    for (const c of this.#consumers) {
      clearTimeout(c.genTimer);
      for (const r of c.readers) r.stop();
    }
    await Promise.all(this.#consumers.flatMap((c) => c.readers.map((r) => r.done.catch(() => {}))));
    clearTimeout(this.#intervalTimer);
    if (this.#startAbs > 0) this.#report(true, nowAbsMs());
    await Promise.all(this.#pools.map((p) => p.close()));
  }

  /**
   * Each cdc class's `cdc` result, matched against the writer classes' changes; missing changes
   * (beyond the writes that failed) and duplicates become failed checks of the class.
   */
  annotate(classes: Record<string, ClassResult>, writers: WriterShare[], seg: Segment, warnings: string[], phase: string): void {
    for (const c of this.#consumers) {
      const r = classes[c.spec.name];
      if (!r) continue;
      const exp = expectedChanges(this.o.profile.workloads, { workload: c.spec.workload, table: c.cdc.table }, writers, this.o.profile.seed, seg);
      let missing = 0;
      let unexpected = 0;
      if (exp.notValidated === null) {
        for (const [k, n] of exp.keys) missing += Math.max(0, n - (c.seenKeys.get(k) ?? 0));
        for (const [k, n] of c.seenKeys) unexpected += Math.max(0, n - (exp.keys.get(k) ?? 0));
      }
      const writeErrors = exp.ops.reduce((a, o) => a + (classes[o.cls]?.ops[o.op]?.errors ?? 0), 0);
      const g = c.generations;
      const cdc: CdcResult = {
        table: `${c.keyspace}.${c.cdc.table}`, generationSource: c.source.kind, generations: g.length,
        streams: g.reduce((a, x) => a + x.groups.reduce((b, y) => b + y.length, 0), 0), groups: c.readers.length,
        queries: c.queries, failedQueries: c.failedQueries, rows: c.rows, changes: c.changes,
        expected: exp.notValidated === null ? exp.total : null, missing, duplicate: c.duplicate, unexpected, writeErrors,
        caughtUp: c.caughtUp, drainMs: c.drainMs, notValidated: exp.notValidated ?? (exp.ops.length === 0 ? 'no writer class of the phase writes to the table' : null),
      };
      r.cdc = cdc;
      const name = `phase ${phase}, class ${c.spec.name}`;
      if (!c.caughtUp) warnings.push(`${name}: the CDC consumer did not catch up within its drain (${c.cdc.drainMs} ms after the writers stopped): raise cdc.drain, or lower confidence_window / the delays`);
      if (cdc.notValidated) warnings.push(`${name}: CDC changes not validated: ${cdc.notValidated}`);
      if (missing > 0) warnings.push(`${name}: ${missing} of ${exp.total} changes written to ${cdc.table} were never read from its CDC log${writeErrors > 0 ? ` (${writeErrors} writes failed and may have left none)` : ''}`);
      if (c.duplicate > 0) warnings.push(`${name}: ${c.duplicate} CDC log rows were delivered more than once`);
      if (unexpected > 0) warnings.push(`${name}: ${unexpected} changes read from the CDC log of ${cdc.table} were not made by the phase's writers`);
      if (exp.notValidated === null && exp.ops.length > 0) {
        r.slo.checks.push({ op: CDC_LAG_OP, metric: 'cdcMissing', limit: writeErrors, actual: missing, pass: missing <= writeErrors });
        r.slo.checks.push({ op: CDC_LAG_OP, metric: 'cdcDuplicate', limit: 0, actual: c.duplicate, pass: c.duplicate === 0 });
        r.slo.pass = r.slo.checks.every((x) => x.pass);
      }
    }
  }
}
