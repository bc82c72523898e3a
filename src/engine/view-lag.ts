/**
 * View lag: how long after a base write is acknowledged its row shows in a materialized view.
 *
 * A sampled fraction of a class's writes to tables with views is followed: the write is sent with
 * a client timestamp (as drivers do), and once it is acknowledged the view is read by the row's
 * view key — `SELECT writetime(<a view column the write set>) FROM view WHERE <view key> = …` —
 * every `poll` until the row is there with that write's timestamp (or a later one), so a row an
 * earlier write or run left there is not taken for this one. `view-lag` = the arrival of the
 * first reply that shows it − the write's acknowledgement, recorded like an op of the class
 * (response and service time alike: nothing was scheduled). Its resolution is one poll interval
 * plus one read. Rows never seen within `timeout` are counted as timeouts.
 *
 * The polls are not the class's requests: they are not drawn from its schedule, not counted in
 * its rate, its in-flight limit, its SLO or its error ratio, and the sample decision draws from
 * its own generator (the class's op sequence is the same with or without view lag).
 *
 * What is followed: writes (one statement or a batch: its last row) that bind every column of a
 * view's primary key; not conditional writes (no client timestamp there) nor `USING TIMESTAMP`.
 */
import type { Connection, PreparedStatement, QueryOptions } from '../cql/connection.js';
import { Consistency, parseConsistency } from '../cql/consistency.js';
import { CqlError } from '../cql/errors.js';
import { decodeRowArrays } from '../cql/rows.js';
import { newHistogram, recordNs, encode, type Histogram } from '../metrics/histogram.js';
import type { ViewLagSpec, WorkloadSpec } from '../profile/types.js';
import type { KeyspaceRouting, Router } from '../routing/router.js';
import type { ViewLagCounts } from '../results/result.js';
import { bindOperation, type BoundOp } from './bind.js';

/** The op name view lag is recorded under, in every result of the class. */
export const VIEW_LAG_OP = 'view-lag';
/** The error kind of a row not seen within the timeout. */
export const VIEW_LAG_TIMEOUT = 'view-lag-timeout';

const nowAbsMs = (): number => performance.timeOrigin + performance.now();

/** One view of a write op's table, and how to read the written row back from it. */
interface ViewTarget {
  view: string;
  poll: BoundOp;
  /** for each marker of the poll, the index of the write's value that fills it */
  from: number[];
  /** the poll selects writetime(...) of a column the write set: compare it with the write's timestamp */
  byWritetime: boolean;
}

/** A sampled write: its timestamp, sent with it. */
export interface ViewLagSample {
  readonly op: BoundOp;
  readonly timestampUs: bigint;
  /** the write's options with the timestamp */
  readonly options: QueryOptions;
}

export const emptyViewLagCounts = (): ViewLagCounts => ({ sampled: 0, seen: 0, timeouts: 0, polls: 0, pollErrors: 0, unresolved: 0 });

function xorshift(seed: number): () => number {
  let s = (seed | 0) || 0x2545f491;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

export class ViewLagProbe {
  readonly #targets: Map<BoundOp, ViewTarget[]>;
  readonly #rnd: () => number;
  readonly #lag: Histogram = newHistogram();
  #counts = emptyViewLagCounts();
  readonly #pending = new Set<NodeJS.Timeout>();
  #active = 0;
  #closed = false;
  readonly #halves = { hi: 0, lo: 0 };
  #lastTsUs = 0n;

  private constructor(readonly spec: ViewLagSpec, targets: Map<BoundOp, ViewTarget[]>, seed: number, private readonly router: Router, private readonly keyspace: KeyspaceRouting) {
    this.#targets = targets;
    this.#rnd = xorshift(seed);
  }

  /**
   * The probe of one class in one worker: a poll statement prepared per (write op, view) that
   * the write can be followed into. Undefined when none can (see the header).
   */
  static async create(spec: ViewLagSpec, ops: BoundOp[], w: WorkloadSpec, prepare: (cql: string) => Promise<PreparedStatement>, router: Router, keyspace: KeyspaceRouting, seed: number): Promise<ViewLagProbe | undefined> {
    const targets = new Map<BoundOp, ViewTarget[]>();
    for (const op of ops) {
      // conditional writes take no client timestamp; USING TIMESTAMP overrides it
      if (op.spec.kind !== 'write' || op.stmt.isLwt || /\bIF\b|\bUSING\b.*\bTIMESTAMP\b/is.test(op.spec.cql)) continue;
      const bound = op.stmt.bindColumns.map((c) => c.name);
      for (const v of w.views ?? []) {
        if (v.base !== op.baseTable || (spec.views && !spec.views.includes(v.name))) continue;
        const key = [...v.partitionKey, ...v.clusteringKey];
        const from = key.map((c) => bound.indexOf(c));
        if (from.some((i) => i < 0)) continue;
        // a view column the write sets that is not in the view key: its writetime is the write's
        const viewCols = new Set(w.columns.filter((c) => c.table === v.name).map((c) => c.column));
        const stamp = bound.find((c) => !key.includes(c) && viewCols.has(c));
        const cql = `SELECT ${stamp ? `writetime(${quoteName(stamp)})` : quoteName(key[0])} FROM ${quoteName(w.keyspace)}.${quoteName(v.name)} WHERE ${key.map((c) => `${quoteName(c)} = ?`).join(' AND ')}`;
        const stmt = await prepare(cql);
        const poll = bindOperation(
          { name: VIEW_LAG_OP, cql, consistency: spec.consistency, idempotent: true, kind: 'read', pos: op.spec.pos, table: v.base, view: v.name },
          stmt, { partition: v.partitionKey, clustering: v.clusteringKey }, () => () => null,
        );
        let list = targets.get(op);
        if (!list) targets.set(op, (list = []));
        list.push({ view: v.name, poll, from, byWritetime: stamp !== undefined });
      }
    }
    return targets.size > 0 ? new ViewLagProbe(spec, targets, seed, router, keyspace) : undefined;
  }

  /** Whether to follow this write: a sample with the timestamp to send it with, or undefined. */
  pick(op: BoundOp, options: QueryOptions): ViewLagSample | undefined {
    if (this.#closed || !this.#targets.has(op) || this.#rnd() >= this.spec.sample) return undefined;
    // µs, strictly increasing in this worker (two samples in one µs still differ)
    let ts = BigInt(Math.round(nowAbsMs() * 1000));
    if (ts <= this.#lastTsUs) ts = this.#lastTsUs + 1n;
    this.#lastTsUs = ts;
    return { op, timestampUs: ts, options: { ...options, timestampUs: ts } };
  }

  /** The sampled write was acknowledged (now): follow its row (`values`: the last row written) into each view. */
  acked(sample: ViewLagSample, values: unknown[]): void {
    if (this.#closed) return;
    const ackAbsMs = nowAbsMs();
    this.#counts.sampled++;
    for (const t of this.#targets.get(sample.op) ?? []) {
      this.#active++;
      this.#poll(t, t.from.map((i) => values[i]), sample.timestampUs, ackAbsMs);
    }
  }

  #poll(t: ViewTarget, values: unknown[], tsUs: bigint, ackAbsMs: number): void {
    if (this.#closed) return;
    let conn: Connection;
    try {
      const route = t.poll.tokenOf(values, this.#halves)
        ? this.router.routeHalves(this.#halves.hi, this.#halves.lo, this.keyspace, 0, t.poll.table)
        : this.router.routeAny();
      conn = route.conn;
    } catch {
      // no node up: try again at the next poll
      this.#counts.pollErrors++;
      this.#again(t, values, tsUs, ackAbsMs);
      return;
    }
    this.#counts.polls++;
    conn.execute(t.poll.stmt, values, { consistency: parseConsistency(this.spec.consistency) ?? Consistency.LOCAL_ONE }).then((r) => {
      if (this.#closed) return;
      const atAbsMs = nowAbsMs();
      if (r.kind === 'rows' && r.rowCount > 0) {
        const first = decodeRowArrays(r)[0]?.[0];
        if (!t.byWritetime || (typeof first === 'bigint' && first >= tsUs)) {
          this.#active--;
          this.#counts.seen++;
          recordNs(this.#lag, (atAbsMs - ackAbsMs) * 1e6);
          return;
        }
      }
      this.#again(t, values, tsUs, ackAbsMs);
    }, (e: unknown) => {
      if (this.#closed) return;
      if (!(e instanceof CqlError)) throw e;
      this.#counts.pollErrors++;
      this.#again(t, values, tsUs, ackAbsMs);
    });
  }

  #again(t: ViewTarget, values: unknown[], tsUs: bigint, ackAbsMs: number): void {
    if (nowAbsMs() - ackAbsMs >= this.spec.timeoutMs) {
      this.#active--;
      this.#counts.timeouts++;
      return;
    }
    const timer = setTimeout(() => {
      this.#pending.delete(timer);
      this.#poll(t, values, tsUs, ackAbsMs);
    }, this.spec.pollMs);
    this.#pending.add(timer);
  }

  /** The second's figures: the `view-lag` op (histogram encoded) and the counts; both reset. */
  drain(): { op: { count: number; errors: Record<string, number>; response: string; service: string; rows: number }; counts: ViewLagCounts } {
    const c = this.#counts;
    const h = encode(this.#lag);
    const errors: Record<string, number> = {};
    if (c.timeouts > 0) errors[VIEW_LAG_TIMEOUT] = c.timeouts;
    const op = { count: c.seen, errors, response: h, service: h, rows: 0 };
    this.#lag.reset();
    this.#counts = emptyViewLagCounts();
    return { op, counts: c };
  }

  /** The phase is over: stop polling; rows still followed are counted as unresolved. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#pending) clearTimeout(t);
    this.#pending.clear();
    this.#counts.unresolved += this.#active;
    this.#active = 0;
  }
}

function quoteName(n: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(n) ? n : `"${n.replace(/"/g, '""')}"`;
}
