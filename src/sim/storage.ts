/**
 * In-memory storage of one shard of one node (shared-nothing: a partition lives on the shard
 * that owns its token, on every replica node). Values stay serialized; conflicts resolve by
 * write timestamp (last write wins, a tombstone wins a tie); TTLs expire lazily on read.
 *
 * Deletions are applied eagerly (shadowed data is dropped at once) and the tombstone's timestamp
 * is kept (partition, row, range) so an older write arriving later stays shadowed, as it would
 * on a real replica.
 */
import type { TableMeta } from './schema.js';

export interface Cell {
  /** null: a cell tombstone. */
  v: Buffer | null;
  /** write timestamp, µs */
  ts: number;
  /** expiry, ms since epoch; 0 = never */
  exp: number;
  /** the TTL it was written with, s (for ttl()) */
  ttl: number;
}

export class Row {
  cells: (Cell | undefined)[] = [];
  /** row marker (written by INSERT): keeps the row alive with all columns null */
  markerTs = -Infinity;
  markerExp = 0;
  markerTtl = 0;
  /** row tombstone timestamp */
  delTs = -Infinity;
  /** serialized size as the last flush measured it; -1: written since (large-data.ts re-measures) */
  sizeBytes = -1;
  constructor(readonly ck: Buffer[]) {}
}

export interface RangeTombstone {
  /** clustering prefix bounds; undefined = unbounded */
  start?: { prefix: Buffer[]; inclusive: boolean };
  end?: { prefix: Buffer[]; inclusive: boolean };
  ts: number;
}

export class Partition {
  /** The rows in clustering order (log rows appended packed are built first: see LogAppend). */
  get rows(): Row[] {
    if (this.appended !== undefined) buildAppended(this, this.appended);
    return this.builtRows;
  }
  set rows(rows: Row[]) {
    if (this.appended !== undefined) buildAppended(this, this.appended);
    this.builtRows = rows;
  }
  builtRows: Row[] = [];
  /** CDC log rows written since the rows were last read or changed otherwise (cdc.ts). */
  appended: LogAppend | undefined = undefined;
  /** rows the last flush measured (large-data.ts: fewer now means rows went away, measure all again) */
  sizedRows = 0;
  statics: (Cell | undefined)[] = [];
  delTs = -Infinity;
  ranges: RangeTombstone[] = [];
  /** The partition key split into its column values (composite keys decoded once). */
  components: Buffer[] = [];
  constructor(readonly key: Buffer, readonly keyStr: string, readonly token: bigint) {}
}

/** cdc$batch_seq_no values, shared: a row's clustering key is never changed in place. */
const SEQ_NOS = Array.from({ length: 64 }, (_, i) => int32Of(i));

function int32Of(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeInt32BE(n);
  return b;
}

/** Values up to this size are copied into a LogAppend's chunks; larger ones are kept by reference. */
const COPY_MAX_BYTES = 1024;
/** A LogAppend's byte chunks: the first small (a log has a partition per stream), doubling up to the last size. */
const FIRST_CHUNK_BYTES = 1024;
const LAST_CHUNK_BYTES = 65536;
/** One-byte values (booleans, tinyints, cdc$operation), shared by the rows built from packed ones. */
const ONE_BYTE = Array.from({ length: 256 }, (_, i) => Buffer.from([i]));
/** How a packed cell holds its value, in place of a chunk index. */
const NULL_VALUE = -1;
const BY_REFERENCE = -2;
const ONE_BYTE_VALUE = -3;

/**
 * CDC log rows appended to one log partition and not built into Rows yet. A log gets a row per
 * base write and is read far less often, so its new rows wait here packed (numbers in typed
 * arrays, the cdc$time UUIDs and small values copied into byte chunks) rather than as ~20 small
 * objects each that every GC would copy and mark. The first read or other change of the
 * partition's rows builds them, in order, exactly as applying their mutations would have:
 * clustering key (cdc$time, cdc$batch_seq_no), no row marker, every cell with its row's write
 * timestamp and expiry (last write wins against rows already there).
 */
export class LogAppend {
  rowCount = 0;
  private cellCount = 0;
  /** per row: write timestamp (µs), expiry (ms since the epoch, 0 = never) */
  private stamps = new Float64Array(32);
  /** per row: TTL (s), cdc$batch_seq_no, chunk and offset of its cdc$time, end of its cells */
  private rowInts = new Int32Array(5 * 16);
  /**
   * per cell: the log column's slot; the chunk of its value (or NULL_VALUE, BY_REFERENCE,
   * ONE_BYTE_VALUE); the offset in the chunk (or the index in `refs`, or the byte); the length
   */
  private cellInts = new Int32Array(4 * 64);
  private chunks: Buffer[] = [Buffer.allocUnsafeSlow(FIRST_CHUNK_BYTES)];
  private chunkUsed = 0;
  /** values kept by reference */
  private refs: Buffer[] = [];

  constructor(readonly table: TableMeta) {}

  /**
   * `cells`: slot, value pairs, values owned and unchanged afterwards; a value to keep by
   * reference (one the store holds anyway) comes with its slot complemented (~slot).
   */
  push(time: Buffer, seqNo: number, ts: number, exp: number, ttl: number, cells: readonly (number | Buffer | null)[]): void {
    const i = this.rowCount;
    if (2 * i === this.stamps.length) this.growRows();
    this.stamps[2 * i] = ts;
    this.stamps[2 * i + 1] = exp;
    const r = this.rowInts;
    r[5 * i] = ttl;
    r[5 * i + 1] = seqNo;
    this.copy(time, r, 5 * i + 2);
    let c = this.cellCount;
    const pairs = cells.length >> 1;
    if (4 * (c + pairs) > this.cellInts.length) this.growCells(c + pairs);
    const out = this.cellInts;
    for (let j = 0; j < cells.length; j += 2) {
      const slot = cells[j] as number;
      const v = cells[j + 1] as Buffer | null;
      const at = 4 * c++;
      out[at] = slot < 0 ? ~slot : slot;
      if (v === null) out[at + 1] = NULL_VALUE;
      else if (v.length === 1) { out[at + 1] = ONE_BYTE_VALUE; out[at + 2] = v[0]; }
      else if (slot < 0 || v.length > COPY_MAX_BYTES) { out[at + 1] = BY_REFERENCE; out[at + 2] = this.refs.push(v) - 1; }
      else { this.copy(v, out, at + 1); out[at + 3] = v.length; }
    }
    this.cellCount = c;
    r[5 * i + 4] = c;
    this.rowCount = i + 1;
  }

  /** Copies v into the chunks; its chunk and offset go to into[at], into[at + 1]. */
  private copy(v: Buffer, into: Int32Array, at: number): void {
    let k = this.chunks.length - 1;
    let chunk = this.chunks[k];
    if (this.chunkUsed + v.length > chunk.length) {
      // a new chunk rather than a bigger copy: the bytes written stay where they are
      chunk = Buffer.allocUnsafeSlow(Math.min(2 * chunk.length, LAST_CHUNK_BYTES));
      this.chunks.push(chunk);
      this.chunkUsed = 0;
      k++;
    }
    // TypedArray#set: Buffer#copy's argument checks cost more than copying a few bytes
    chunk.set(v, this.chunkUsed);
    into[at] = k;
    into[at + 1] = this.chunkUsed;
    this.chunkUsed += v.length;
  }

  private growRows(): void {
    const stamps = new Float64Array(this.stamps.length * 2);
    stamps.set(this.stamps);
    this.stamps = stamps;
    const rowInts = new Int32Array(this.rowInts.length * 2);
    rowInts.set(this.rowInts);
    this.rowInts = rowInts;
  }

  private growCells(cells: number): void {
    const cellInts = new Int32Array(Math.max(2 * this.cellInts.length, 4 * cells));
    cellInts.set(this.cellInts);
    this.cellInts = cellInts;
  }

  /** Rows sized by flushes (large-data.ts) so far, how many of them a build keeps, and their bytes. */
  sizedRows = 0;
  sizedLiveRows = 0;
  sizedBytes = 0;

  /**
   * Sizes the rows appended since the last call as large-data.ts measures a built row (its
   * clustering key's bytes + 2 per component, per live column its value + 8, + 8 with a TTL) and
   * adds them to sizedBytes, so a flush need not build them. False (nothing changed) when a row
   * could measure otherwise once built (range tombstones in the partition) or is one a flush
   * records (a row, cell or collection over `limits`): then the flush builds and measures the rows.
   */
  sizeNew(p: Partition, live: readonly boolean[], limits: { rowBytes: number; cellBytes: number; elements: number }): boolean {
    if (p.ranges.length > 0) return false;
    const { stamps, rowInts, cellInts, chunks, refs } = this;
    const regular = this.table.regular;
    let bytes = 0;
    let liveRows = 0;
    for (let i = this.sizedRows; i < this.rowCount; i++) {
      // as build() skips it
      if (stamps[2 * i] <= p.delTs) continue;
      const cellOverhead = 8 + (rowInts[5 * i] > 0 ? 8 : 0);
      let rowBytes = 16 + 2 + 4 + 2;
      for (let c = i === 0 ? 0 : rowInts[5 * (i - 1) + 4]; c < rowInts[5 * i + 4]; c++) {
        const slot = cellInts[4 * c];
        const kind = cellInts[4 * c + 1];
        if (!live[slot] || kind === NULL_VALUE) continue;
        const n = cellInts[4 * c + 2];
        const length = kind >= 0 ? cellInts[4 * c + 3] : kind === ONE_BYTE_VALUE ? 1 : refs[n].length;
        const size = length + cellOverhead;
        const t = regular[slot].type;
        const elements = length >= 4 && (t.kind === 'list' || t.kind === 'set' || t.kind === 'map') && !t.frozen ? (kind >= 0 ? chunks[kind].readInt32BE(n) : refs[n].readInt32BE(0)) : 0;
        if (size > limits.cellBytes || elements > limits.elements) return false;
        rowBytes += size;
      }
      if (rowBytes > limits.rowBytes) return false;
      bytes += rowBytes;
      liveRows++;
    }
    this.sizedRows = this.rowCount;
    this.sizedLiveRows += liveRows;
    this.sizedBytes += bytes;
    return true;
  }

  /** Builds the rows into `p` (its `appended` already cleared, so rowFor sees the built rows). */
  build(p: Partition): void {
    const table = this.table;
    const { stamps, rowInts, cellInts, chunks, refs } = this;
    let from = 0;
    for (let i = 0; i < this.rowCount; i++) {
      const ts = stamps[2 * i];
      const exp = stamps[2 * i + 1];
      const ttl = rowInts[5 * i];
      const seqNo = rowInts[5 * i + 1];
      const end = rowInts[5 * i + 4];
      const start = from;
      from = end;
      if (ts <= p.delTs) continue;
      const timeAt = rowInts[5 * i + 3];
      const ck = [chunks[rowInts[5 * i + 2]].subarray(timeAt, timeAt + 16), seqNo >= 0 && seqNo < SEQ_NOS.length ? SEQ_NOS[seqNo] : int32Of(seqNo)];
      const row = rowFor(p, table, ck);
      if (ts <= row.delTs) continue;
      for (let c = start; c < end; c++) {
        const kind = cellInts[4 * c + 1];
        const n = cellInts[4 * c + 2];
        const v = kind >= 0 ? chunks[kind].subarray(n, n + cellInts[4 * c + 3]) : kind === NULL_VALUE ? null : kind === ONE_BYTE_VALUE ? ONE_BYTE[n] : refs[n];
        putCell(row.cells, cellInts[4 * c], { v, ts, exp, ttl });
      }
    }
  }
}

/** Builds a partition's appended log rows into its rows (before anything reads or changes them). */
export function buildAppended(p: Partition, a: LogAppend): void {
  p.appended = undefined;
  a.build(p);
}

/** Appends a log row to `p` (a partition of `table`, a CDC log table); see LogAppend. */
export function appendLogRow(p: Partition, table: TableMeta, time: Buffer, seqNo: number, ts: number, exp: number, ttl: number, cells: readonly (number | Buffer | null)[]): void {
  (p.appended ??= new LogAppend(table)).push(time, seqNo, ts, exp, ttl, cells);
}

/** Buckets of the ring index: the top BUCKET_BITS bits of the biased token pick the bucket. */
const BUCKET_BITS = 12;
const BUCKET_SHIFT = BigInt(64 - BUCKET_BITS);
const BIAS = 1n << 63n;
const MAX_TOKEN = (1n << 63n) - 1n;

function bucketOf(token: bigint): number {
  return Number(BigInt.asUintN(64, token + BIAS) >> BUCKET_SHIFT);
}

/**
 * One table's partitions on one shard: a Map for point lookups, plus a ring-ordered index for
 * token-range scans. The index is 4096 buckets by token prefix, each kept sorted by binary
 * insertion, so inserting a partition costs O(partitions / 4096) and a scan never re-sorts the
 * store (scans run concurrently with inserts in mixed OLTP/OLAP workloads).
 */
export class TableStore {
  readonly partitions = new Map<string, Partition>();
  private readonly buckets: (Partition[] | undefined)[] = [];
  /** Partitions written since the last flush (large-data.ts sizes them, as Scylla does when it writes an sstable). */
  readonly dirty = new Set<Partition>();

  constructor(readonly table: TableMeta) {}

  get(keyStr: string): Partition | undefined {
    return this.partitions.get(keyStr);
  }

  /** `key` must be owned by the caller (not a view into a frame): replicas share it. */
  getOrCreate(key: Buffer, keyStr: string, token: bigint): Partition {
    let p = this.partitions.get(keyStr);
    if (!p) {
      p = new Partition(key, keyStr, token);
      p.components = splitPartitionKey(p.key, this.table.partitionKey.length);
      this.partitions.set(keyStr, p);
      const b = bucketOf(token);
      const list = (this.buckets[b] ??= []);
      list.splice(searchPartition(list, p), 0, p);
    }
    this.dirty.add(p);
    return p;
  }

  remove(keyStr: string): void {
    const p = this.partitions.get(keyStr);
    if (!p) return;
    this.partitions.delete(keyStr);
    const list = this.buckets[bucketOf(p.token)];
    if (list) {
      const i = searchPartition(list, p);
      if (list[i] === p) list.splice(i, 1);
    }
  }

  /** Appends partitions with lo < token ≤ hi (lo null: from the minimum token) in ring order. */
  collectRange(lo: bigint | null, hi: bigint, out: Partition[]): void {
    if (hi > MAX_TOKEN) hi = MAX_TOKEN;
    if (lo !== null && lo >= hi) return;
    const first = lo === null ? 0 : bucketOf(lo);
    const last = bucketOf(hi);
    for (let b = first; b <= last; b++) {
      const list = this.buckets[b];
      if (!list || list.length === 0) continue;
      let i = 0;
      if (lo !== null && b === first) {
        let a = 0;
        let z = list.length;
        while (a < z) {
          const m = (a + z) >>> 1;
          if (list[m].token <= lo) a = m + 1;
          else z = m;
        }
        i = a;
      }
      for (; i < list.length; i++) {
        const p = list[i];
        if (p.token > hi) return;
        out.push(p);
      }
    }
  }

  clear(): void {
    this.partitions.clear();
    this.buckets.length = 0;
  }
}

/** Insertion point of p in a ring-ordered list. */
function searchPartition(list: Partition[], p: Partition): number {
  let a = 0;
  let z = list.length;
  while (a < z) {
    const m = (a + z) >>> 1;
    if (comparePartitions(list[m], p) < 0) a = m + 1;
    else z = m;
  }
  return a;
}

export function comparePartitions(a: { token: bigint; key: Buffer }, b: { token: bigint; key: Buffer }): number {
  if (a.token !== b.token) return a.token < b.token ? -1 : 1;
  return Buffer.compare(a.key, b.key);
}

/** All tables of one (node, shard). */
export class ShardStore {
  readonly tables = new Map<string, TableStore>();

  table(meta: TableMeta): TableStore {
    let t = this.tables.get(meta.id);
    if (!t) {
      t = new TableStore(meta);
      this.tables.set(meta.id, t);
    }
    return t;
  }

  drop(tableId: string): void {
    this.tables.delete(tableId);
  }

  /** Live cells and rows held (an approximation of memory use, for stats). */
  rowCount(): number {
    let n = 0;
    for (const t of this.tables.values()) for (const p of t.partitions.values()) n += p.rows.length;
    return n;
  }
}

// ---------------------------------------------------------------------------------------------
// Cell and row rules

/** Whether a write at `ts` beats `old` (LWW; on a tie a tombstone wins, then the greater value). */
export function wins(old: Cell | undefined, v: Buffer | null, ts: number): boolean {
  if (!old) return true;
  if (ts !== old.ts) return ts > old.ts;
  if (old.v === null) return false;
  if (v === null) return true;
  return Buffer.compare(v, old.v) > 0;
}

export function cellLive(c: Cell | undefined, nowMs: number, shadowTs: number): c is Cell & { v: Buffer } {
  return c !== undefined && c.v !== null && c.ts > shadowTs && (c.exp === 0 || c.exp > nowMs);
}

export function rowLive(r: Row, nowMs: number, partDelTs: number): boolean {
  const shadow = r.delTs > partDelTs ? r.delTs : partDelTs;
  if (r.markerTs > shadow && (r.markerExp === 0 || r.markerExp > nowMs)) return true;
  for (const c of r.cells) if (cellLive(c, nowMs, shadow)) return true;
  return false;
}

/** Binary search: index of the first row whose clustering key is ≥ prefix (compared on the prefix's length). */
export function lowerBound(p: Partition, table: TableMeta, prefix: readonly Buffer[]): number {
  let lo = 0;
  let hi = p.rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (table.clusteringComparePrefix(p.rows[mid].ck, prefix) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Binary search: index of the first row whose clustering key is > prefix (on the prefix's length). */
export function upperBound(p: Partition, table: TableMeta, prefix: readonly Buffer[]): number {
  let lo = 0;
  let hi = p.rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (table.clusteringComparePrefix(p.rows[mid].ck, prefix) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The row with exactly this clustering key, created (in order) if absent. `ck` must be owned (replicas share it). */
export function rowFor(p: Partition, table: TableMeta, ck: Buffer[]): Row {
  const rows = p.rows;
  // appends in clustering order are the common case (time series): check the end first
  const n = rows.length;
  if (n === 0 || table.clusteringCompare(rows[n - 1].ck, ck) < 0) {
    const r = newRow(p, table, ck);
    rows.push(r);
    return r;
  }
  const i = lowerBound(p, table, ck);
  if (i < n && table.clusteringCompare(rows[i].ck, ck) === 0) {
    // written again: the next flush measures it anew
    rows[i].sizeBytes = -1;
    return rows[i];
  }
  const r = newRow(p, table, ck);
  rows.splice(i, 0, r);
  return r;
}

export function findRow(p: Partition, table: TableMeta, ck: readonly Buffer[]): Row | undefined {
  const i = lowerBound(p, table, ck);
  const r = p.rows[i];
  return r && table.clusteringCompare(r.ck, ck) === 0 ? r : undefined;
}

function newRow(p: Partition, table: TableMeta, ck: Buffer[]): Row {
  const r = new Row(ck);
  // sized once: cells written in any slot order never grow the array (log rows write 4+ slots each)
  if (table.regular.length > 1) r.cells = new Array<Cell | undefined>(table.regular.length);
  // a range tombstone written earlier still shadows older data in a row created now
  for (const rt of p.ranges) if (inRange(table, r.ck, rt) && rt.ts > r.delTs) r.delTs = rt.ts;
  return r;
}

export function inRange(table: TableMeta, ck: readonly Buffer[], rt: Pick<RangeTombstone, 'start' | 'end'>): boolean {
  if (rt.start) {
    const c = table.clusteringComparePrefix(ck, rt.start.prefix);
    if (c < 0 || (c === 0 && !rt.start.inclusive)) return false;
  }
  if (rt.end) {
    const c = table.clusteringComparePrefix(ck, rt.end.prefix);
    if (c > 0 || (c === 0 && !rt.end.inclusive)) return false;
  }
  return true;
}

/** Writes one cell with LWW; returns whether it changed anything. `v` must be owned. */
export function writeCell(cells: (Cell | undefined)[], slot: number, v: Buffer | null, ts: number, exp: number, ttl: number): boolean {
  const old = cells[slot];
  if (!wins(old, v, ts)) return false;
  cells[slot] = { v, ts, exp, ttl };
  return true;
}

/**
 * Stores a prebuilt cell with LWW. Cells are never mutated after creation, so every replica of a
 * write can hold the same object (RF copies of a row cost one copy of its values).
 */
export function putCell(cells: (Cell | undefined)[], slot: number, cell: Cell): boolean {
  if (!wins(cells[slot], cell.v, cell.ts)) return false;
  cells[slot] = cell;
  return true;
}

/** Drops rows fully shadowed by partition or row tombstones (keeps tombstone timestamps on the partition). */
export function compactPartition(p: Partition, nowMs: number): void {
  p.rows = p.rows.filter((r) => {
    const shadow = Math.max(r.delTs, p.delTs);
    if (r.markerTs > shadow) return true;
    for (const c of r.cells) if (c && c.ts > shadow) return true;
    // keep a row whose tombstone is newer than the partition's: it shadows late older writes
    return r.delTs > p.delTs && nowMs >= 0;
  });
}

/** Splits a partition key into its components (inverse of routing/murmur3 partitionKeyBytes). */
export function splitPartitionKey(key: Buffer, columns: number): Buffer[] {
  if (columns <= 1) return [key];
  const out: Buffer[] = [];
  let p = 0;
  for (let i = 0; i < columns && p + 2 <= key.length; i++) {
    const n = key.readUInt16BE(p);
    out.push(key.subarray(p + 2, p + 2 + n));
    p += 3 + n;
  }
  return out;
}

/**
 * Reconciles copies of one partition from several replicas into a new Partition: tombstones take
 * the newest timestamp, cells the write that wins (LWW), row markers the newest. The copies are
 * not modified (no read repair).
 */
export function mergePartitions(table: TableMeta, copies: Partition[]): Partition {
  const first = copies[0];
  const out = new Partition(first.key, first.keyStr, first.token);
  out.components = first.components;
  const mergeCells = (into: (Cell | undefined)[], from: (Cell | undefined)[]): void => {
    for (let i = 0; i < from.length; i++) {
      const c = from[i];
      if (c && wins(into[i], c.v, c.ts)) into[i] = c;
    }
  };
  for (const p of copies) {
    if (p.delTs > out.delTs) out.delTs = p.delTs;
    out.ranges.push(...p.ranges);
    mergeCells(out.statics, p.statics);
    for (const r of p.rows) {
      const m = rowFor(out, table, r.ck);
      if (r.delTs > m.delTs) m.delTs = r.delTs;
      if (r.markerTs > m.markerTs) {
        m.markerTs = r.markerTs;
        m.markerExp = r.markerExp;
        m.markerTtl = r.markerTtl;
      }
      mergeCells(m.cells, r.cells);
    }
  }
  // a range tombstone from one copy shadows rows another (stale) copy still has
  for (const rt of out.ranges) for (const r of out.rows) if (rt.ts > r.delTs && inRange(table, r.ck, rt)) r.delTs = rt.ts;
  return out;
}
