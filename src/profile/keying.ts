/**
 * Which (partition, row) a cycle addresses.
 *
 * Rows per partition is a distribution sampled per partition (a pure function of seed,
 * table and partition index), so every worker agrees on each partition's size without
 * sharing state. Writes enumerate rows in LAYERS: layer k writes row k of every partition
 * that has more than k rows, then layer k+1. Consecutive cycles therefore hit different
 * partitions (spread over nodes and shards, as production writes are) and each partition
 * fills in clustering order (what TWCS expects of a time series). Cycles 0..totalCycles-1
 * write every row exactly once; later cycles wrap and overwrite.
 *
 * A batch op writes `rowsPerCycle` rows of one partition per cycle: layers are then chunks
 * of that many rows, and `RowRef.rows` says how many the chunk really has (the last chunk
 * of a partition may be short).
 */
import { compileSampler } from './sampler.js';
import { hashKeys, hi32, lo32, u53 } from './hash.js';
import type { Distribution, TableModel } from './types.js';

/** Rows per partition are capped so (partition, row) packs into one safe integer. */
export const MAX_ROWS_PER_PARTITION = 2 ** 20;
/** Partition indexes stay below this, for the same reason (2^33 × 2^20 = 2^53). */
export const MAX_PARTITIONS = 2 ** 33;
/** Variable rows-per-partition precomputes an order over partitions: bound its memory. */
export const MAX_PARTITIONS_VARIABLE_ROWS = 2 ** 26;

/** A write or read target: `rows` consecutive rows from `row` in `partition`. */
export interface RowRef {
  partition: number;
  row: number;
  rows: number;
}

/**
 * The index regular columns draw from: unique per (partition, row), so every cell has its
 * own value and a read recomputes exactly what the write stored.
 */
export function cellIndex(partition: number, row: number): number {
  return partition * MAX_ROWS_PER_PARTITION + row;
}

export interface Keying {
  readonly table: TableModel;
  readonly rowsPerCycle: number;
  readonly partitions: number;
  /** Rows of the table once every partition is full. */
  readonly totalRows: number;
  /** Write cycles (in rows: a batch cycle counts rowsPerCycle) that write every row once. */
  readonly totalCycles: number;
  /** Rows of partition p. */
  rowsIn(partition: number): number;
  /**
   * Write cycle → target rows. `cycle` counts rows, as a counter advanced by rowsPerCycle
   * per batch does: the chunk is floor(cycle / rowsPerCycle).
   */
  write(cycle: number, out?: RowRef): RowRef;
  /**
   * Read cycle → an existing row (rows = 1). `writtenCycles` (default: all) limits the choice
   * to rows written by cycles 0..writtenCycles-1 of this keying; `select` zipf picks hot
   * partitions (rank 1 = partition 0) instead of uniform rows.
   */
  read(cycle: number, writtenCycles?: number, out?: RowRef, select?: Distribution): RowRef;
}

const cache = new WeakMap<TableModel, Map<string, Keying>>();

/**
 * The keying of `table` for `seed`, compiled once per (table, seed, rowsPerCycle) and
 * cached: variable rows-per-partition costs O(partitions) time and 4 bytes per partition.
 */
export function compileKeying(table: TableModel, seed: number, rowsPerCycle = 1): Keying {
  let m = cache.get(table);
  if (!m) { m = new Map(); cache.set(table, m); }
  const key = `${seed}/${rowsPerCycle}`;
  let k = m.get(key);
  if (!k) { k = buildKeying(table, seed, rowsPerCycle); m.set(key, k); }
  return k;
}

/** The partition and first row written by write cycle `cycle` (see Keying.write). */
export function rowOf(table: TableModel, seed: number, cycle: number | bigint, rowsPerCycle = 1): RowRef {
  return compileKeying(table, seed, rowsPerCycle).write(Number(cycle));
}

/** An existing row for read cycle `cycle` (uniform over the full table unless `writtenCycles`). */
export function readRowOf(table: TableModel, seed: number, cycle: number | bigint, writtenCycles?: number, select?: Distribution): RowRef {
  return compileKeying(table, seed, 1).read(Number(cycle), writtenCycles, undefined, select);
}

/** The rows-per-partition sampler of a table: pure in (seed, table, partition). */
export function rowsSampler(table: TableModel, seed: number): (partition: number) => number {
  const d = table.rowsPerPartition;
  if (d.kind === 'fixed') {
    const n = clampRows(d.value);
    return () => n;
  }
  const s = compileSampler(d, seed, `${table.name}#rows`, true);
  return (p) => clampRows(s(lo32(p), hi32(p)));
}

function clampRows(n: number): number {
  const r = Math.round(n);
  return r < 1 ? 1 : r > MAX_ROWS_PER_PARTITION ? MAX_ROWS_PER_PARTITION : r;
}

function buildKeying(table: TableModel, seed: number, rowsPerCycleIn: number): Keying {
  const N = Math.max(1, Math.floor(rowsPerCycleIn));
  const P = table.partitions;
  if (!(P >= 1) || P > MAX_PARTITIONS) throw new RangeError(`table ${table.name}: partitions must be in 1..${MAX_PARTITIONS}`);
  const rowsIn = rowsSampler(table, seed);
  const readKeys = hashKeys(seed, `${table.name}#read`);
  const zipfCache = new Map<string, (lo: number, hi: number) => number>();

  // chunk j (layered order) → partition and layer
  let locate: (j: number, out: RowRef) => void;
  let totalChunks: number;
  let totalRows: number;
  const fixed = table.rowsPerPartition.kind === 'fixed';
  if (fixed) {
    const R = rowsIn(0);
    const C = Math.ceil(R / N);
    totalChunks = P * C;
    totalRows = P * R;
    locate = (j, out) => {
      const k = Math.floor(j / P);
      out.partition = j - k * P;
      out.row = k * N;
      out.rows = Math.min(N, R - out.row);
    };
  } else {
    if (P > MAX_PARTITIONS_VARIABLE_ROWS) {
      throw new RangeError(`table ${table.name}: a rows_per_partition distribution supports at most ${MAX_PARTITIONS_VARIABLE_ROWS} partitions; use a fixed rows count`);
    }
    // counting sort of partitions by chunk count, descending (stable by partition index)
    const chunks = new Uint32Array(P);
    let maxC = 0;
    totalRows = 0;
    for (let p = 0; p < P; p++) {
      const r = rowsIn(p);
      totalRows += r;
      const c = Math.ceil(r / N);
      chunks[p] = c;
      if (c > maxC) maxC = c;
    }
    const countByC = new Float64Array(maxC + 2);
    for (let p = 0; p < P; p++) countByC[chunks[p]]++;
    // partitions with more than k chunks: m[k] = sum_{c > k} countByC[c]
    const cum = new Float64Array(maxC + 1); // cum[k] = chunks in layers < k
    let more = P; // partitions with > 0 chunks (all of them)
    for (let k = 0; k < maxC; k++) {
      cum[k + 1] = cum[k] + more;
      more -= countByC[k + 1];
    }
    totalChunks = cum[maxC];
    // order: partitions by chunk count desc; start[c] = partitions with more than c chunks
    const start = new Float64Array(maxC + 2);
    for (let c = maxC - 1; c >= 1; c--) start[c] = start[c + 1] + countByC[c + 1];
    const order = new Uint32Array(P);
    for (let p = 0; p < P; p++) order[start[chunks[p]]++] = p;
    locate = (j, out) => {
      // the last layer k with cum[k] <= j
      let lo = 0;
      let hi = maxC - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if (cum[mid] <= j) lo = mid;
        else hi = mid - 1;
      }
      const p = order[j - cum[lo]];
      out.partition = p;
      out.row = lo * N;
      out.rows = Math.min(N, chunks[p] === lo + 1 ? rowsIn(p) - lo * N : N);
    };
  }

  const keying: Keying = {
    table,
    rowsPerCycle: N,
    partitions: P,
    totalRows,
    totalCycles: totalChunks * N,
    rowsIn,
    write(cycle, out = { partition: 0, row: 0, rows: 0 }) {
      const c = Math.floor(cycle / N);
      locate(c % totalChunks, out);
      return out;
    },
    read(cycle, writtenCycles, out = { partition: 0, row: 0, rows: 1 }, select) {
      const lo = lo32(cycle);
      const hi = hi32(cycle);
      if (select && select.kind === 'zipf') {
        const key = `${select.s}`;
        let z = zipfCache.get(key);
        if (!z) {
          z = compileSampler({ kind: 'zipf', n: P, s: select.s }, seed, `${table.name}#hot`, true);
          zipfCache.set(key, z);
        }
        const p = z(lo, hi) - 1;
        out.partition = p;
        out.row = Math.floor(u53(readKeys, lo, hi) * rowsIn(p));
        out.rows = 1;
        return out;
      }
      const written = writtenCycles === undefined ? totalChunks : Math.min(totalChunks, Math.ceil(writtenCycles / N));
      const chunksAvailable = written > 0 ? written : totalChunks;
      const x = u53(readKeys, lo, hi) * chunksAvailable;
      const j = Math.floor(x);
      locate(j, out);
      // the fractional part picks a row inside the chunk: uniform over rows
      out.row += Math.floor((x - j) * out.rows);
      out.rows = 1;
      return out;
    },
  };
  return keying;
}
