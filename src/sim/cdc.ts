/**
 * Change Data Capture as Scylla does it (cdc/log.cc, cdc/generation.cc, cdc/metadata.cc):
 *
 * - the log table `<base>_scylla_cdc_log` (Scylla's columns, CDCPartitioner, TWCS and the other
 *   default properties), created with the base or by ALTER, kept when CDC is turned off;
 * - stream ids: vnode keyspaces use generations, the first made when the cluster starts, more by
 *   `newCdcGeneration` (as a topology change would), each one entry per vnode range with one
 *   stream per shard whose token is the first token of that shard in the range (so the log row
 *   lands on the base write's replicas and shard); tablet keyspaces use per table stream sets, one
 *   stream per tablet, the tablet's last token; a write uses the generation of its timestamp;
 * - for each base write, per partition and timestamp, the log rows: pre-images, deltas,
 *   post-images, numbered by `cdc$batch_seq_no` under one `cdc$time`, the last one
 *   `cdc$end_of_batch`, every cell with the CDC TTL; written with the base write, on the same
 *   replicas (co-located).
 */
import { randomFillSync } from 'node:crypto';
import type { CqlType } from '../cql/types.js';
import { shardOfHalves, tabletIndexOf, DEFAULT_IGNORE_MSB } from '../routing/sharding.js';
import type { CdcOptions } from './cdc-options.js';
import type { Cluster } from './cluster.js';
import type { CellOp, PartitionWrite } from './mutation.js';
import type { Cell } from './storage.js';
import { TableMeta, type ColumnMeta, type KeyspaceMeta, type OptionValue } from './schema.js';
import { InvalidRequest } from './values.js';
import type { RowImage } from './views.js';

export const CDC_LOG_SUFFIX = '_scylla_cdc_log';
export const CDC_PARTITIONER = 'com.scylladb.dht.CDCPartitioner';
/** Writes this far around the server's clock still find their stream (cdc/generation.cc generation_leeway). */
const GENERATION_LEEWAY_US = 5_000_000;

export const Op = { PRE_IMAGE: 0, UPDATE: 1, INSERT: 2, ROW_DELETE: 3, PARTITION_DELETE: 4, RANGE_START_INCL: 5, RANGE_START_EXCL: 6, RANGE_END_INCL: 7, RANGE_END_EXCL: 8, POST_IMAGE: 9 } as const;

// ---------------------------------------------------------------------------------------------
// options

/** Parsed options by the stored map (a new map on every ALTER), so the write path reads them once. */
const optionsCache = new WeakMap<object, CdcOptions>();

/** The table's CDC options, or undefined when it has none set. */
export function cdcOptionsOf(t: TableMeta): CdcOptions | undefined {
  const m = t.options.get('cdc');
  if (!(m instanceof Map)) return undefined;
  let o = optionsCache.get(m);
  if (!o) {
    const get = (k: string): string => String(m.get(k));
    o = {
      enabled: get('enabled') === 'true', preimage: get('preimage') as CdcOptions['preimage'], postimage: get('postimage') === 'true',
      delta: get('delta') === 'keys' ? 'keys' : 'full', ttl: Number(get('ttl')),
    };
    optionsCache.set(m, o);
  }
  return o;
}

export function cdcEnabled(t: TableMeta): boolean {
  return cdcOptionsOf(t)?.enabled === true;
}

// ---------------------------------------------------------------------------------------------
// generations and streams

export interface VnodeGeneration {
  /** when the generation starts operating, ms since the epoch */
  timestampMs: number;
  /** one entry per vnode range (ascending range end): the streams, index = shard */
  ranges: { end: bigint; streams: Buffer[] }[];
}

export interface TabletStreams {
  timestampMs: number;
  /** one stream per tablet of the base table, in tablet order */
  streams: Buffer[];
}

/** Every vnode generation of the cluster, oldest first (the first made when the cluster started). */
const generations = new WeakMap<Cluster, VnodeGeneration[]>();
/** Every stream set of a tablet log table, oldest first. */
const tabletStreams = new WeakMap<TableMeta, TabletStreams[]>();
/** The random bits of stream ids, drawn on from the cluster's seed generation after generation. */
const randoms = new WeakMap<Cluster, Generator<bigint>>();

const MASK64 = (1n << 64n) - 1n;
const BIAS = 1n << 63n;

/** splitmix64: the stream ids' random bits, reproducible from the cluster's seed. */
function* splitmix(seed: number): Generator<bigint> {
  let x = BigInt.asUintN(64, BigInt(seed) * 0x9e3779b97f4a7c15n + 0x632be59bd9b4e019n);
  for (;;) {
    x = (x + 0x9e3779b97f4a7c15n) & MASK64;
    let z = x;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
    yield z ^ (z >> 31n);
  }
}

function shardOfToken(t: bigint, shards: number): number {
  const u = BigInt.asUintN(64, t);
  return shardOfHalves(Number(u >> 32n), Number(u & 0xffffffffn), shards);
}

/**
 * The first token after `start` (exclusive) owned by `shard`, capped at `end` (dht/token.cc
 * find_first_token_for_shard, wrap-around included): with biased-token-round-robin a shard owns
 * the same slice of every 2^(64 − ignore_msb) span of the biased token.
 */
export function firstTokenForShard(start: bigint, end: bigint, shard: number, shards: number): bigint {
  const span = 1n << BigInt(64 - DEFAULT_IGNORE_MSB);
  const sliceStart = (s: number): bigint => (BigInt(s) * span + BigInt(shards) - 1n) / BigInt(shards);
  const inNoWrap = (lo: bigint, hi: bigint): bigint => {
    const t = lo + 1n;
    if (shardOfToken(t, shards) === shard) return t < hi ? t : hi;
    const b = t + BIAS;
    const k = b / span;
    const off = sliceStart(shard);
    let nb = k * span + off;
    if (nb <= b) nb += span;
    const next = nb > MASK64 ? BIAS - 1n : nb - BIAS;
    return next < hi ? next : hi;
  };
  if (start < end) return inNoWrap(start, end);
  const max = BIAS - 1n;
  if (start !== max) {
    const t = inNoWrap(start, max);
    if (t !== max || shardOfToken(max, shards) === shard) return t;
  }
  return inNoWrap(-BIAS, end);
}

/** A stream id: token (8 bytes BE), then version 1 | vnode index << 4 | random << 26 (cdc/generation.cc). */
function streamId(token: bigint, index: number, random: bigint): Buffer {
  const b = Buffer.allocUnsafe(16);
  b.writeBigInt64BE(token, 0);
  const low = 1n | ((BigInt(index) & 0x3fffffn) << 4n) | ((random & ((1n << 38n) - 1n)) << 26n);
  b.writeBigUInt64BE(low, 8);
  return b;
}

function randomsOf(cluster: Cluster): Generator<bigint> {
  let r = randoms.get(cluster);
  if (!r) { r = splitmix(cluster.options.seed); randoms.set(cluster, r); }
  return r;
}

/** A vnode generation over the current ring: per range one stream per shard, fresh random bits. */
function makeVnodeGeneration(cluster: Cluster, timestampMs: number): VnodeGeneration {
  const tokens = cluster.ring.tokens;
  const shards = cluster.options.shards;
  const rnd = randomsOf(cluster);
  const ranges = tokens.map((end, i) => {
    const start = tokens[(i + tokens.length - 1) % tokens.length];
    const streams: Buffer[] = [];
    for (let s = 0; s < shards; s++) streams.push(streamId(firstTokenForShard(start, end, s, shards), i, rnd.next().value as bigint));
    return { end, streams };
  });
  return { timestampMs, ranges };
}

/** The cluster's vnode generations, oldest first: the first one in effect since the cluster started. */
export function vnodeGenerations(cluster: Cluster): VnodeGeneration[] {
  let g = generations.get(cluster);
  if (!g) {
    g = [makeVnodeGeneration(cluster, cluster.startedAtMs)];
    generations.set(cluster, g);
  }
  return g;
}

/** A tablet log table's stream sets, oldest first: one stream per tablet, at the tablet's last token (cdc/generation.cc create_table_streams_mutation). */
export function tabletStreamsOf(log: TableMeta): TabletStreams[] | undefined {
  return tabletStreams.get(log);
}

/**
 * Scylla's delay before a new generation operates (cdc/generation.cc new_generation_timestamp):
 * 2 × ring_delay (30 s) + generation_leeway, so that every node learns it before writes use it.
 */
export const NEW_GENERATION_DELAY_MS = 2 * 30_000 + GENERATION_LEEWAY_US / 1000;

/**
 * A new CDC generation, as a topology change makes one: its timestamp `delayMs` from now (after
 * the last generation's), new stream ids for every vnode range and shard (same tokens: the ring
 * did not change, so the log stays co-located; new random bits), and for every tablet log table
 * a new stream set (one new stream per tablet) from the same time. Writes stamped at or after it
 * go to the new streams.
 */
export function newCdcGeneration(cluster: Cluster, delayMs = NEW_GENERATION_DELAY_MS): { timestampMs: number } {
  if (!Number.isFinite(delayMs) || delayMs < 0) throw new RangeError(`delayMs must be a number >= 0, got ${String(delayMs)}`);
  const gens = vnodeGenerations(cluster);
  let timestampMs = Math.round(Date.now() + delayMs);
  const after = (list: { timestampMs: number }[]): void => { timestampMs = Math.max(timestampMs, list[list.length - 1].timestampMs + 1); };
  after(gens);
  const tablets: { log: TableMeta; base: TableMeta; list: TabletStreams[] }[] = [];
  for (const ks of cluster.schema.keyspaces.values()) {
    for (const base of ks.tables.values()) {
      const list = base.cdcLog && base.tablets ? tabletStreams.get(base.cdcLog) : undefined;
      if (list) { after(list); tablets.push({ log: base.cdcLog!, base, list }); }
    }
  }
  gens.push(makeVnodeGeneration(cluster, timestampMs));
  const rnd = randomsOf(cluster);
  for (const { base, list } of tablets) list.push({ timestampMs, streams: base.tablets!.lastTokens.map((t) => streamId(t, 0, rnd.next().value as bigint)) });
  return { timestampMs };
}

function fmtUs(us: number): string {
  return new Date(Math.floor(us / 1000)).toISOString().replace('T', ' ').replace('Z', '');
}

/**
 * The generation a write stamped `ts` (µs) uses (cdc/metadata.cc get_vnode_stream): the latest
 * one starting at or before it. Refused as Scylla does: stamped beyond now + leeway ("from the
 * future"), or at or before now − leeway unless it falls in the generation still current at
 * now − leeway ("from the past"). A write just before the first generation (client clocks) uses it.
 */
function generationAt<G extends { timestampMs: number }>(gens: G[], ts: number): G {
  const nowUs = Date.now() * 1000;
  if (ts > nowUs + GENERATION_LEEWAY_US) {
    throw new InvalidRequest(`cdc: attempted to get a stream "from the future" (${fmtUs(ts)}; current server time: ${fmtUs(nowUs)}). With CDC you cannot send writes with timestamps arbitrarily into the future, because we don't know what streams will be used at that time.\nWe *do* allow sending writes into the near future, but our ability to do that is limited. If you really must use your own timestamps, then make sure your clocks are well-synchronized  with the database's clocks.`);
  }
  const usedAt = (us: number): number => {
    let i = -1;
    for (let k = 0; k < gens.length && gens[k].timestampMs * 1000 <= us; k++) i = k;
    return i;
  };
  if (ts <= nowUs - GENERATION_LEEWAY_US) {
    const i = usedAt(nowUs - GENERATION_LEEWAY_US);
    const isPrevious = i >= 0 && i + 1 < gens.length && gens[i + 1].timestampMs * 1000 <= nowUs;
    if (i < 0 || ts < gens[i].timestampMs * 1000 || isPrevious) {
      throw new InvalidRequest(`cdc: attempted to get a stream "from the past" (${fmtUs(ts)}; current server time: ${fmtUs(nowUs)}). With CDC you cannot send writes with timestamps too far into the past, because that would break consistency properties.\nWe *do* allow sending writes into the near past, but our ability to do that is limited. Are you using client-side timestamps? Make sure your clocks are well-synchronized with the database's clocks.`);
    }
  }
  return gens[Math.max(0, usedAt(ts))];
}

/** The stream a base write with this token and timestamp goes to (cdc/metadata.cc get_vnode_stream / get_tablet_stream). */
export function streamFor(cluster: Cluster, base: TableMeta, log: TableMeta, token: bigint, hi: number, lo: number, ts: number): Buffer {
  const sets = tabletStreams.get(log);
  if (sets && base.tablets) return generationAt(sets, ts).streams[tabletIndexOf(base.tablets.lastTokens, token)];
  const g = generationAt(vnodeGenerations(cluster), ts);
  return g.ranges[cluster.ring.rangeIndexOf(token)].streams[shardOfHalves(hi, lo, cluster.options.shards)];
}

// ---------------------------------------------------------------------------------------------
// the log table

const DELETED = 'cdc$deleted_';
const DELETED_ELEMENTS = 'cdc$deleted_elements_';

function isMultiCell(t: CqlType): boolean {
  return (t.kind === 'list' || t.kind === 'set' || t.kind === 'map' || t.kind === 'udt') && !t.frozen;
}

/** A base column's type in the log: non-frozen lists become map<timeuuid, element> (cdc/log.cc). */
function logType(t: CqlType): CqlType {
  return t.kind === 'list' && !t.frozen ? { kind: 'map', key: { kind: 'timeuuid' }, value: t.element } : t;
}

/** The log columns of one base column (`cdc/log.cc add_columns_to_cdc_log`). */
function logColumnsOf(c: ColumnMeta): ColumnMeta[] {
  const col = (name: string, type: CqlType): ColumnMeta => ({ name, type, kind: 'regular', position: -1, desc: false, slot: -1 });
  if (c.kind === 'partition_key' || c.kind === 'clustering') return [col(c.name, c.type)];
  const out = [col(c.name, logType(c.type)), col(`${DELETED}${c.name}`, { kind: 'boolean' })];
  if (isMultiCell(c.type)) {
    const t = c.type;
    const el: CqlType = t.kind === 'udt' ? { kind: 'smallint' } : t.kind === 'list' ? { kind: 'timeuuid' } : t.kind === 'map' ? t.key : t.kind === 'set' ? t.element : { kind: 'blob' };
    out.push(col(`${DELETED_ELEMENTS}${c.name}`, { kind: 'set', element: el }));
  }
  return out;
}

/** Scylla's log table properties (cdc/log.cc set_default_properties_log_table). */
function logTableOptions(ks: KeyspaceMeta, base: TableMeta, ttl: number, defaults: Map<string, OptionValue>): Map<string, OptionValue> {
  const o = new Map(defaults);
  o.set('comment', `CDC log for ${ks.name}.${base.name}`);
  const compaction = new Map([['class', 'TimeWindowCompactionStrategy']]);
  if (ttl > 0) {
    o.set('gc_grace_seconds', 0);
    const windowS = Math.ceil(ttl / 24);
    compaction.set('compaction_window_size', String(Math.ceil(windowS / 60)));
    compaction.set('compaction_window_unit', 'MINUTES');
    compaction.set('expired_sstable_check_frequency_seconds', String(Math.max(1, Math.floor(windowS / 2))));
  }
  o.set('compaction', compaction);
  o.set('caching', new Map([['enabled', 'false'], ['keys', 'NONE'], ['rows_per_partition', 'NONE']]));
  return o;
}

/**
 * Creates or refreshes the log table of `base` (CREATE TABLE … WITH cdc, ALTER TABLE … WITH cdc,
 * ALTER TABLE … ADD/DROP on a CDC table). Returns the log table when it was created.
 */
export function ensureLogTable(cluster: Cluster, ks: KeyspaceMeta, base: TableMeta, opts: CdcOptions, id: string, defaults: Map<string, OptionValue>): TableMeta | undefined {
  if (base.name.endsWith(CDC_LOG_SUFFIX) && ks.tables.get(base.name.slice(0, -CDC_LOG_SUFFIX.length))?.cdcLog === base) {
    throw new InvalidRequest(`Cannot create a CDC log for a table ${ks.name}.${base.name}, because creating nested CDC logs is not allowed`);
  }
  const logName = base.name + CDC_LOG_SUFFIX;
  const existing = ks.relation(logName);
  if (existing && existing !== base.cdcLog) {
    throw new InvalidRequest(`Cannot create CDC log table for table ${ks.name}.${base.name} because a table of name ${ks.name}.${logName} already exists`);
  }
  if (base.isCounter) throw new InvalidRequest(`Cannot create CDC log for table ${ks.name}.${base.name}. Counter support not implemented`);
  const columns: ColumnMeta[] = [
    { name: 'cdc$stream_id', type: { kind: 'blob' }, kind: 'partition_key', position: 0, desc: false, slot: -1 },
    { name: 'cdc$time', type: { kind: 'timeuuid' }, kind: 'clustering', position: 0, desc: false, slot: -1 },
    { name: 'cdc$batch_seq_no', type: { kind: 'int' }, kind: 'clustering', position: 1, desc: false, slot: -1 },
    { name: 'cdc$end_of_batch', type: { kind: 'boolean' }, kind: 'regular', position: -1, desc: false, slot: -1 },
    { name: 'cdc$operation', type: { kind: 'tinyint' }, kind: 'regular', position: -1, desc: false, slot: -1 },
    { name: 'cdc$ttl', type: { kind: 'bigint' }, kind: 'regular', position: -1, desc: false, slot: -1 },
  ];
  for (const c of base.columns) if (base.byName.get(c.name) === c) columns.push(...logColumnsOf(c));
  if (existing) {
    // keep the table (its id, data and properties); add what the base gained, drop what it lost
    const want = new Map(columns.map((c) => [c.name, c]));
    for (const c of [...existing.byName.values()]) if (c.kind === 'regular' && !want.has(c.name)) existing.dropColumn(c.name, BigInt(cluster.nowMicros()));
    for (const c of columns) if (!existing.byName.has(c.name)) existing.addColumn(c);
    existing.finish();
    return undefined;
  }
  const log = new TableMeta(ks.name, logName, id, columns, logTableOptions(ks, base, opts.ttl, defaults));
  log.cdcPartitioner = true;
  if (base.tablets) {
    // co-located with the base: the same tablets on the same replicas
    log.tablets = { lastTokens: [...base.tablets.lastTokens], replicas: base.tablets.replicas.map((r) => r.map((x) => ({ ...x }))) };
    tabletStreams.set(log, [{ timestampMs: Date.now(), streams: base.tablets.lastTokens.map((t) => streamId(t, 0, 0n)) }]);
  }
  ks.tables.set(logName, log);
  base.cdcLog = log;
  return log;
}

/** Rows of system_distributed.cdc_generation_timestamps and cdc_streams_descriptions_v2: every generation. */
export function generationRows(cluster: Cluster): { timestamps: Record<string, unknown>[]; streams: Record<string, unknown>[] } {
  const gens = vnodeGenerations(cluster);
  return {
    timestamps: gens.map((g) => ({ key: 'timestamps', time: new Date(g.timestampMs), expired: null })),
    streams: gens.flatMap((g) => g.ranges.map((r) => ({ time: new Date(g.timestampMs), range_end: r.end, streams: r.streams }))),
  };
}

// ---------------------------------------------------------------------------------------------
// log rows

const TRUE = Buffer.from([1]);
/** Shared cells values: the operations and the first sequence numbers (log rows never change them). */
const OPS = Array.from({ length: 10 }, (_, i) => Buffer.from([i]));
const tinyint = (n: number): Buffer => OPS[n] ?? Buffer.from([n & 0xff]);
const int32New = (n: number): Buffer => { const b = Buffer.allocUnsafe(4); b.writeInt32BE(n); return b; };
const SEQ = Array.from({ length: 64 }, (_, i) => int32New(i));
const int32 = (n: number): Buffer => SEQ[n] ?? int32New(n);

const bigint64 = (n: number): Buffer => { const b = Buffer.allocUnsafe(8); b.writeBigInt64BE(BigInt(n)); return b; };

/** Random bytes drawn in bulk: one syscall per 512 time UUIDs instead of one each. */
const pool = Buffer.allocUnsafe(4096);
let poolAt = pool.length;
const TWO32 = 4294967296;
/** The UUID epoch (1582-10-15) in 100 ns ticks before the Unix epoch, split in 32-bit halves. */
const OFFSET_HI = 0x01b21dd2;
const OFFSET_LO = 0x13814000;

/**
 * cdc$time: a version-1 UUID whose time is the write's timestamp in µs (×10 ticks) and whose
 * low 64 bits are random (UUID_gen::get_random_time_UUID_from_micros), so equal timestamps
 * still give distinct, unordered values.
 */
export function cdcTime(tsUs: number): Buffer {
  // ticks = ts × 10 + offset, in 32-bit halves (exact: every partial stays below 2^53)
  let lo = (tsUs % TWO32) * 10 + OFFSET_LO;
  const hi = Math.floor(tsUs / TWO32) * 10 + OFFSET_HI + Math.floor(lo / TWO32);
  lo %= TWO32;
  const b = Buffer.allocUnsafe(16);
  b.writeUInt32BE(lo, 0);
  b.writeUInt16BE(hi & 0xffff, 4);
  b.writeUInt16BE(((hi >>> 16) & 0x0fff) | 0x1000, 6);
  if (poolAt + 8 > pool.length) { randomFillSync(pool); poolAt = 0; }
  pool.copy(b, 8, poolAt, poolAt + 8);
  poolAt += 8;
  b[8] = (b[8] & 0x3f) | 0x80;
  return b;
}

/** Serialized list → map<timeuuid, element> (how the log shows non-frozen list cells). */
function listAsTimeuuidMap(list: Buffer, tsUs: number): Buffer {
  const n = list.readInt32BE(0);
  const parts: Buffer[] = [int32(n)];
  let p = 4;
  for (let i = 0; i < n; i++) {
    const len = list.readInt32BE(p);
    const el = list.subarray(p, p + 4 + Math.max(0, len));
    p += 4 + Math.max(0, len);
    parts.push(int32(16), cdcTime(tsUs + i), el);
  }
  return Buffer.concat(parts);
}

/**
 * A log row under construction: its cells as log column slot, value pairs (a later value for a
 * column replaces the earlier); the slot complemented (~slot) for a value the base's store holds
 * anyway (its partition key), which the log then keeps by reference rather than copying.
 */
class LogRow {
  readonly cells: (number | Buffer | null)[] = [];
  constructor(private readonly log: TableMeta, private readonly base: TableMeta) {}
  set(name: string, v: Buffer | null, stored = false): void {
    const col = this.log.byName.get(name);
    if (!col) throw new InvalidRequest(`CDC log schema for ${this.base.keyspace}.${this.base.name} does not have base column ${name}`);
    const cells = this.cells;
    const slot = col.slot;
    for (let i = 0; i < cells.length; i += 2) {
      const s = cells[i] as number;
      if (s === slot || ~s === slot) { cells[i] = stored ? ~slot : slot; cells[i + 1] = v; return; }
    }
    cells.push(stored ? ~slot : slot, v);
  }
}

/**
 * A group's log rows, all in its stream's partition under one cdc$time, numbered 0..n-1 by
 * their index (cdc$batch_seq_no); every cell carries the group's timestamp, expiry and TTL.
 */
export interface LogBatch {
  log: TableMeta;
  stream: Buffer;
  time: Buffer;
  /** µs */
  ts: number;
  /** the cells' expiry, ms since the epoch (0 = never) */
  expMs: number;
  ttlS: number;
  /** per row: its cells as slot (~slot: keep the value by reference), value pairs; values owned: every replica stores them as they are */
  rows: (number | Buffer | null)[][];
}

/** A base partition's writes at one timestamp: they become one `cdc$time` group. */
export interface CdcGroup {
  base: TableMeta;
  log: TableMeta;
  opts: CdcOptions;
  components: Buffer[];
  stream: Buffer;
  ts: number;
  writes: PartitionWrite[];
  pre?: RowImage[];
  post?: RowImage[];
  /** the static row's live cells (by static slot) before and after, when the changes touch it */
  preStatic?: (Cell | undefined)[];
  postStatic?: (Cell | undefined)[];
}

/** Whether the group's changes write or delete a static column (its static row gets images). */
export function touchesStatics(g: CdcGroup): boolean {
  for (const w of g.writes) {
    const m = w.mutation;
    if (m.kind === 'upsert' && m.ops.some((o) => o.col.kind === 'static')) return true;
    if (m.kind === 'delete-cells' && m.columns.some((d) => d.col.kind === 'static')) return true;
  }
  return false;
}

/** The clustering rows whose images the group's changes call for (upserts and row-level deletes). */
export function imageKeys(g: CdcGroup): Buffer[][] {
  const seen = new Set<string>();
  const out: Buffer[][] = [];
  for (const w of g.writes) {
    const m = w.mutation;
    if ((m.kind === 'upsert' || m.kind === 'delete-cells' || m.kind === 'delete-row') && m.ck && m.ck.length === g.base.clustering.length) {
      const k = m.ck.map((b) => b.toString('hex')).join(':');
      if (!seen.has(k)) { seen.add(k); out.push(m.ck); }
    }
  }
  return out;
}

/** A delta row's cells for one cell operation of the base write (none with delta = keys). */
function setDeltaCell(r: LogRow, o: CellOp, tsUs: number, full: boolean): void {
  const c = o.col;
  const multi = isMultiCell(c.type);
  if (!full) return;
  switch (o.op) {
    case 'set':
      if (o.v === null) r.set(`${DELETED}${c.name}`, TRUE);
      else {
        if (multi) r.set(`${DELETED}${c.name}`, TRUE);
        r.set(c.name, c.type.kind === 'list' && !c.type.frozen ? listAsTimeuuidMap(o.v, tsUs) : o.v);
      }
      break;
    case 'add': case 'prepend':
      if (o.v) r.set(c.name, c.type.kind === 'list' ? listAsTimeuuidMap(o.v, tsUs) : o.v);
      break;
    case 'remove':
      if (o.v && c.type.kind !== 'list') r.set(`${DELETED_ELEMENTS}${c.name}`, o.v);
      else if (o.key && c.type.kind === 'map') r.set(`${DELETED_ELEMENTS}${c.name}`, Buffer.concat([int32(1), int32(o.key.length), o.key]));
      break;
    case 'set-element':
      if (c.type.kind === 'map' && o.key) {
        if (o.v === null) r.set(`${DELETED_ELEMENTS}${c.name}`, Buffer.concat([int32(1), int32(o.key.length), o.key]));
        else r.set(c.name, Buffer.concat([int32(1), int32(o.key.length), o.key, int32(o.v.length), o.v]));
      }
      break;
    default:
      r.set(c.name, o.v);
  }
}

/**
 * The common case, without the closures and arrays the general one makes: one upsert of regular
 * columns to a clustering row, no images. The same row the general case makes.
 */
function singleDelta(g: CdcGroup, nowMs: number): LogBatch | undefined {
  const { base, log, opts, ts } = g;
  if (g.writes.length !== 1 || opts.preimage !== 'false' || opts.postimage) return undefined;
  const w = g.writes[0];
  const m = w.mutation;
  if (m.kind !== 'upsert' || m.ck === null) return undefined;
  for (const o of m.ops) if (o.col.kind === 'static') return undefined;
  const r = new LogRow(log, base);
  r.set('cdc$operation', tinyint(m.marker ? Op.INSERT : Op.UPDATE));
  const pk = base.partitionKey;
  for (let i = 0; i < pk.length; i++) r.set(pk[i].name, g.components[i], true);
  const ck = m.ck;
  for (let i = 0; i < ck.length; i++) if (base.clustering[i]) r.set(base.clustering[i].name, ck[i]);
  const full = opts.delta === 'full';
  for (const o of m.ops) setDeltaCell(r, o, w.ts, full);
  if (w.ttlS > 0) r.set('cdc$ttl', bigint64(w.ttlS));
  r.set('cdc$end_of_batch', TRUE);
  return { log, stream: g.stream, time: cdcTime(ts), ts, expMs: opts.ttl > 0 ? nowMs + opts.ttl * 1000 : 0, ttlS: opts.ttl, rows: [r.cells] };
}

/** The log writes of a group: pre-images, deltas, post-images; one cdc$time, seq 0..n-1, the last ending the batch. */
export function logWrites(g: CdcGroup, nowMs: number): LogBatch | undefined {
  const single = singleDelta(g, nowMs);
  if (single) return single;
  const { base, log, opts, ts } = g;
  const time = cdcTime(ts);
  const rows: LogRow[] = [];
  const newRow = (op: number, ck: Buffer[] | null): LogRow => {
    const r = new LogRow(log, base);
    r.set('cdc$operation', tinyint(op));
    base.partitionKey.forEach((c, i) => r.set(c.name, g.components[i], true));
    if (ck) ck.forEach((v, i) => { if (base.clustering[i]) r.set(base.clustering[i].name, v); });
    rows.push(r);
    return r;
  };
  const full = opts.delta === 'full';
  const image = (op: number, img: RowImage, affected: Set<string> | null): void => imageOf(op, img.ck, img.cells, base.regular, affected);
  /** An image row: the columns (all, or those the change touched) as they are; a null one in a pre-image is marked deleted. */
  const imageOf = (op: number, ck: Buffer[] | null, cells: (Cell | undefined)[], cols: ColumnMeta[], affected: Set<string> | null): void => {
    const r = newRow(op, ck);
    for (const c of cols) {
      if (base.byName.get(c.name) !== c) continue;
      if (affected && !affected.has(c.name)) continue;
      const cell = cells[c.slot];
      if (cell && cell.v) r.set(c.name, c.type.kind === 'list' && !c.type.frozen ? listAsTimeuuidMap(cell.v, ts) : cell.v);
      else if (op === Op.PRE_IMAGE) r.set(`${DELETED}${c.name}`, TRUE);
    }
  };
  const staticLive = (cells: (Cell | undefined)[] | undefined): cells is (Cell | undefined)[] => cells !== undefined && cells.some((c) => c && c.v);
  // pre-images: only rows that existed; `true` limits them to the columns the change touches.
  // The static row first, then the clustering rows.
  if (opts.preimage !== 'false' && staticLive(g.preStatic)) {
    let affected: Set<string> | null = null;
    if (opts.preimage === 'true') {
      affected = new Set();
      for (const w of g.writes) {
        const m = w.mutation;
        if (m.kind === 'upsert') for (const o of m.ops) if (o.col.kind === 'static') affected.add(o.col.name);
        if (m.kind === 'delete-cells') for (const d of m.columns) if (d.col.kind === 'static') affected.add(d.col.name);
      }
    }
    imageOf(Op.PRE_IMAGE, null, g.preStatic, base.statics, affected);
  }
  if (opts.preimage !== 'false' && g.pre) {
    for (const img of g.pre) {
      if (!img.live) continue;
      let affected: Set<string> | null = null;
      if (opts.preimage === 'true') {
        affected = new Set();
        for (const w of g.writes) {
          const m = w.mutation;
          if (m.kind === 'upsert') for (const o of m.ops) affected.add(o.col.name);
          else if (m.kind === 'delete-cells') for (const d of m.columns) affected.add(d.col.name);
          else if (m.kind === 'delete-row') for (const c of base.regular) affected.add(c.name);
        }
      }
      image(Op.PRE_IMAGE, img, affected);
    }
  }
  const ttlOf = (w: PartitionWrite): Buffer | null => (w.ttlS > 0 ? bigint64(w.ttlS) : null);
  const setCell = (r: LogRow, o: CellOp, tsUs: number): void => setDeltaCell(r, o, tsUs, full);
  for (const w of g.writes) {
    const m = w.mutation;
    switch (m.kind) {
      case 'upsert': {
        const statics = m.ops.filter((o) => o.col.kind === 'static');
        const regular = m.ops.filter((o) => o.col.kind !== 'static');
        if (statics.length > 0) {
          const r = newRow(Op.UPDATE, null);
          for (const o of statics) setCell(r, o, w.ts);
          const t = ttlOf(w);
          if (t) r.set('cdc$ttl', t);
        }
        if (m.ck !== null && (m.marker || regular.length > 0 || statics.length === 0)) {
          const r = newRow(m.marker ? Op.INSERT : Op.UPDATE, m.ck);
          for (const o of regular) setCell(r, o, w.ts);
          const t = ttlOf(w);
          if (t) r.set('cdc$ttl', t);
        }
        break;
      }
      case 'delete-cells': {
        const statics = m.columns.filter((d) => d.col.kind === 'static');
        const regular = m.columns.filter((d) => d.col.kind !== 'static');
        const mark = (r: LogRow, d: (typeof m.columns)[number]): void => {
          if (!full) return;
          if (d.key) r.set(`${DELETED_ELEMENTS}${d.col.name}`, Buffer.concat([int32(1), int32(d.key.length), d.key]));
          else r.set(`${DELETED}${d.col.name}`, TRUE);
        };
        if (statics.length > 0) { const r = newRow(Op.UPDATE, null); for (const d of statics) mark(r, d); }
        if (regular.length > 0 && m.ck) { const r = newRow(Op.UPDATE, m.ck); for (const d of regular) mark(r, d); }
        break;
      }
      case 'delete-row': newRow(Op.ROW_DELETE, m.ck); break;
      case 'delete-partition': newRow(Op.PARTITION_DELETE, null); break;
      case 'delete-range':
        newRow(m.start && !m.start.inclusive ? Op.RANGE_START_EXCL : Op.RANGE_START_INCL, m.start ? m.start.prefix : []);
        newRow(m.end && !m.end.inclusive ? Op.RANGE_END_EXCL : Op.RANGE_END_INCL, m.end ? m.end.prefix : []);
        break;
    }
  }
  // post-images: the whole row as it is after the change, when it still exists
  if (opts.postimage && g.postStatic) imageOf(Op.POST_IMAGE, null, g.postStatic, base.statics, null);
  if (opts.postimage && g.post) for (const img of g.post) if (img.live) image(Op.POST_IMAGE, img, null);
  if (rows.length === 0) return undefined;
  rows[rows.length - 1].set('cdc$end_of_batch', TRUE);
  const expMs = opts.ttl > 0 ? nowMs + opts.ttl * 1000 : 0;
  return { log, stream: g.stream, time, ts, expMs, ttlS: opts.ttl, rows: rows.map((r) => r.cells) };
}
