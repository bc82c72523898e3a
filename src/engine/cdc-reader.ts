/**
 * A CDC log reader as scylla-cdc-go runs one (reader.go, stream_batch.go, topology.go; facts in
 * ../shared/docs/scylla-reference.md §5.4), on our own client:
 *
 * - generations: `system.cdc_timestamps` / `system.cdc_streams` when the table's keyspace uses
 *   tablets (one group per stream), else `system_distributed.cdc_generation_timestamps` /
 *   `cdc_streams_descriptions_v2` (one group per vnode row); the generation in effect is the
 *   latest one at or before the start, and newer ones are polled for every
 *   `postGenerationFetchDelayMs` (doubling on errors up to the max);
 * - one reader per group, each querying
 *   `… WHERE "cdc$stream_id" IN (…) AND "cdc$time" > ? AND "cdc$time" <= ? BYPASS CACHE` over
 *   `[progress, min(progress + queryWindow, now − confidenceWindow)]` (MinTimeUUID bounds, as
 *   gocql's), advancing on success, then sleeping `postNonEmpty`/`postEmpty` from the window's
 *   start, or backing off from `postFailed` doubling to its max (with ±50 % jitter, as addJitter);
 * - a generation switch closes the old readers at the new generation's start.
 *
 * Reading starts at the phase start rather than `now − ChangeAgeLimit`: the consumer validates
 * the changes of the phase, and every write of an earlier phase was acknowledged before it.
 * Each log row goes to `onRows` as raw cells with the time it was read; nothing is decoded here
 * beyond what the loop needs.
 */
import type { Connection, PreparedStatement } from '../cql/connection.js';
import { Consistency, parseConsistency } from '../cql/consistency.js';
import { describeError } from '../cql/errors.js';
import type { ColumnSpec, RowsResult } from '../cql/messages.js';
import { decodeRows, rawCells } from '../cql/rows.js';
import type { CdcConsumerSpec } from '../profile/types.js';
import type { NodePool } from '../routing/pool.js';
import type { KeyspaceRouting, Router } from '../routing/router.js';

const nowAbsMs = (): number => performance.timeOrigin + performance.now();

/** 100 ns ticks between 1582-10-15 (the UUID epoch) and 1970-01-01. */
const UUID_EPOCH_OFFSET = 0x01b21dd213814000n;

/** gocql's MinTimeUUID(ms): the smallest timeuuid of that instant (Scylla compares the low bytes signed). */
export function minTimeUuid(ms: number): string {
  const t = BigInt(Math.floor(ms)) * 10_000n + UUID_EPOCH_OFFSET;
  const low = (t & 0xffffffffn).toString(16).padStart(8, '0');
  const mid = ((t >> 32n) & 0xffffn).toString(16).padStart(4, '0');
  const hi = (((t >> 48n) & 0x0fffn) | 0x1000n).toString(16).padStart(4, '0');
  return `${low}-${mid}-${hi}-8080-808080808080`;
}

/** A timeuuid's time in µs since the epoch (Scylla's `cdc$time` holds the write's µs). */
export function timeuuidUs(b: Buffer): number {
  const t = ((BigInt(b.readUInt16BE(6) & 0x0fff) << 48n) | (BigInt(b.readUInt16BE(4)) << 32n) | BigInt(b.readUInt32BE(0)));
  return Number((t - UUID_EPOCH_OFFSET) / 10n);
}

export interface Generation {
  startMs: number;
  /** Stream ids (16 bytes each), grouped as scylla-cdc-go reads them. */
  groups: Buffer[][];
}

/** What a reader hands over per page: raw cells of the log rows, and when they arrived. */
export interface LogPage {
  columns: ColumnSpec[];
  rows: (Buffer | null)[][];
  readAbsMs: number;
}

export interface ReaderHooks {
  onPage(page: LogPage): void;
  /** A log query went to (node, owner shard) over a connection of `connShard`. */
  onQuery(route: { node: number; ownerShard: number; connShard: number }, sendAbsMs: number): void;
  onQueryError(kind: string): void;
}

type Control = Pick<Connection, 'query'>;

const rowsOf = (r: unknown): Record<string, unknown>[] => ((r as RowsResult).kind === 'rows' ? decodeRows(r as RowsResult) : []);

/** Where the table's generations come from, and the generations themselves. */
export class GenerationSource {
  kind: 'vnodes' | 'tablets' = 'vnodes';
  constructor(private readonly control: Control, private readonly keyspace: string, private readonly table: string) {}

  /** Generation start times, newest first (tablets first: a vnode keyspace has none there). */
  async times(): Promise<number[]> {
    try {
      const t = rowsOf(await this.control.query('SELECT timestamp FROM system.cdc_timestamps WHERE keyspace_name = ? AND table_name = ?', [this.keyspace, this.table]));
      if (t.length > 0) {
        this.kind = 'tablets';
        return t.map((r) => (r.timestamp as Date).getTime()).sort((a, b) => b - a);
      }
    } catch {
      // a cluster without tablets CDC tables: vnodes
    }
    this.kind = 'vnodes';
    const r = rowsOf(await this.control.query("SELECT time FROM system_distributed.cdc_generation_timestamps WHERE key = 'timestamps'", [], { consistency: Consistency.QUORUM }));
    return r.map((x) => (x.time as Date).getTime()).sort((a, b) => b - a);
  }

  async generation(startMs: number): Promise<Generation> {
    if (this.kind === 'tablets') {
      const r = rowsOf(await this.control.query(
        'SELECT stream_id FROM system.cdc_streams WHERE keyspace_name = ? AND table_name = ? AND timestamp = ? AND stream_state = ?',
        [this.keyspace, this.table, new Date(startMs), 0], { types: [{ kind: 'text' }, { kind: 'text' }, { kind: 'timestamp' }, { kind: 'tinyint' }] },
      ));
      // tablets: each stream its own group (its vnode index means nothing), as topology.go
      return { startMs, groups: r.map((x) => [x.stream_id as Buffer]) };
    }
    const r = rowsOf(await this.control.query('SELECT streams FROM system_distributed.cdc_streams_descriptions_v2 WHERE time = ?', [new Date(startMs)], { consistency: Consistency.QUORUM }));
    return { startMs, groups: r.map((x) => [...(x.streams as Buffer[])]).filter((g) => g.length > 0) };
  }
}

/** The sleep scylla-cdc-go's backoffDelay + addJitter give after `failures` consecutive failures. */
export function backoffMs(baseMs: number, maxMs: number, failures: number, random = Math.random): number {
  const d = Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1));
  return d / 2 + random() * d;
}

/** One stream group's reader: windows over its streams until closed at a generation's end. */
export class GroupReader {
  /** Window start: every row with cdc$time ≤ it (ms) has been read. */
  progressMs: number;
  /** The generation's end (a newer one started): the reader stops once its progress passes it. */
  endMs = Infinity;
  failures = 0;
  #timer: NodeJS.Timeout | undefined;
  #wake: (() => void) | undefined;
  #stopped = false;
  readonly done: Promise<void>;
  readonly #consistency: Consistency;

  constructor(
    private readonly o: {
      spec: CdcConsumerSpec; streams: Buffer[]; startMs: number; router: Router; ks: KeyspaceRouting; logTable: string;
      prepare: (n: number) => Promise<PreparedStatement>; hooks: ReaderHooks; startDelayMs: number;
    },
  ) {
    this.progressMs = o.startMs;
    this.#consistency = parseConsistency(o.spec.consistency) ?? Consistency.ONE;
    this.done = this.#run();
  }

  stop(): void {
    this.#stopped = true;
    this.#wake?.();
  }

  /** The generation ends at `ms`: read up to it, then stop. */
  close(ms: number): void {
    this.endMs = ms;
    this.#wake?.();
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((r) => {
      this.#wake = () => { clearTimeout(this.#timer); this.#wake = undefined; r(); };
      this.#timer = setTimeout(this.#wake, Math.max(0, ms));
    });
  }

  async #run(): Promise<void> {
    const s = this.o.spec;
    // readers start staggered over the post-non-empty delay, as reader.go does
    if (this.o.startDelayMs > 0) await this.#sleep(this.o.startDelayMs);
    while (!this.#stopped && this.progressMs < this.endMs) {
      const t0 = nowAbsMs();
      const end = Math.min(this.progressMs + s.queryWindowMs, Math.floor(t0 - s.confidenceWindowMs), this.endMs);
      let outcome: 'rows' | 'empty' | 'failed' = 'empty';
      if (end > this.progressMs) {
        try {
          outcome = (await this.#window(this.progressMs, end)) > 0 ? 'rows' : 'empty';
          this.progressMs = end;
          this.failures = 0;
        } catch (e) {
          outcome = 'failed';
          this.failures++;
          this.o.hooks.onQueryError(queryErrorKind(e));
        }
      }
      if (this.#stopped || this.progressMs >= this.endMs) break;
      const delay = outcome === 'failed' ? backoffMs(s.postFailedQueryDelayMs, s.maxPostFailedQueryDelayMs, this.failures)
        : outcome === 'rows' ? s.postNonEmptyQueryDelayMs : s.postEmptyQueryDelayMs;
      await this.#sleep(t0 + delay - nowAbsMs());
    }
  }

  /** One window, every page; returns the rows read. */
  async #window(fromMs: number, toMs: number): Promise<number> {
    const streams = this.o.streams;
    const stmt = await this.o.prepare(streams.length);
    const values: unknown[] = [...streams, minTimeUuid(fromMs), minTimeUuid(toMs)];
    // the CDC partitioner's token is the stream id's first 8 bytes: the group's streams share a vnode
    const first = streams[0];
    let pagingState: Buffer | null = null;
    let rows = 0;
    do {
      const route = this.o.router.routeHalves(first.readInt32BE(0), first.readUInt32BE(4), this.o.ks, 0, this.o.logTable);
      const sent = nowAbsMs();
      this.o.hooks.onQuery(route, sent);
      const res = await route.conn.execute(stmt, values, { consistency: this.#consistency, pageSize: this.o.spec.pageSize, pagingState });
      const readAbsMs = nowAbsMs();
      if (res.kind !== 'rows') break;
      const columns = res.metadata.columns ?? stmt.resultColumns;
      const cells = rawCells(res);
      rows += cells.length;
      if (cells.length > 0) this.o.hooks.onPage({ columns, rows: cells, readAbsMs });
      pagingState = res.metadata.pagingState;
    } while (pagingState && !this.#stopped);
    return rows;
  }
}

function queryErrorKind(e: unknown): string {
  const k = (e as { kind?: unknown }).kind;
  return typeof k === 'string' ? k : describeError(e).slice(0, 60);
}

/** The prepared log query for a group of `n` streams, prepared once on every pool. */
export function logQueryCql(keyspace: string, logTable: string, n: number): string {
  const marks = new Array(n).fill('?').join(', ');
  return `SELECT * FROM "${keyspace}"."${logTable}" WHERE "cdc$stream_id" IN (${marks}) AND "cdc$time" > ? AND "cdc$time" <= ? BYPASS CACHE`;
}

export async function prepareOnPools(pools: NodePool[], cql: string): Promise<PreparedStatement> {
  let stmt: PreparedStatement | undefined;
  for (const p of pools) {
    if (p.state !== 'up') continue;
    const s = await p.prepare(cql);
    stmt ??= s;
  }
  if (!stmt) throw new Error(`no live connection to prepare ${cql}`);
  return stmt;
}
