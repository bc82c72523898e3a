/**
 * Binds an operation's `?` markers to generated values, and derives its routing key.
 *
 * Every marker is filled from the generator of the column it binds (the prepared metadata
 * names it), so a read of partition p finds what a write of partition p wrote. Which
 * partition/row a cycle addresses is decided by the caller's `KeyChooser`:
 *   write: cycles enumerate (partition, row) pairs — shared across workers, no duplicates;
 *   read:  a random existing (partition, row);
 *   scan:  cycle i binds the i-th of N token ranges (`token(pk) > ? AND token(pk) <= ?`).
 */
import { Writer } from '../cql/buffer.js';
import type { PreparedStatement, QueryOptions } from '../cql/connection.js';
import { Consistency, parseConsistency } from '../cql/consistency.js';
import { MIN_TOKEN, MAX_TOKEN, murmur3Halves, type TokenHalves } from '../routing/murmur3.js';
import type { OperationSpec } from '../profile/types.js';
import { cellIndex } from '../profile/keying.js';

/** Makes the value generator for (table, column): index → value. */
export type GeneratorFactory = (table: string, column: string) => (index: number, intendedMs: number) => unknown;

export interface RowAddress {
  partition: number;
  row: number;
}

export interface BoundOp {
  readonly spec: OperationSpec;
  readonly stmt: PreparedStatement;
  /** The table (or view) the CQL names: tablet routing is per queried table. */
  readonly table: string;
  /** The base table whose rows the op writes or reads: keying is per base table. */
  readonly baseTable: string;
  /** Rows per execution (batchRows, else 1). */
  readonly rows: number;
  /** Per-execution options, built once (consistency, paging; skip metadata: columns are known). */
  readonly queryOptions: QueryOptions;
  /** Values for one execution addressing `addr` (a batch uses addr.row .. addr.row+rows-1). */
  values(addr: RowAddress, rowOffset: number, intendedMs: number): unknown[];
  /**
   * Scan ops: the token range bound to cycle i, and the token to route it by: a point spread
   * inside the range (evenly spaced range starts would all map to one shard).
   */
  scanValues(i: number): { values: unknown[]; routeToken: bigint };
  /**
   * The token (as halves) of these values' partition key, written into `out`; false when the
   * statement has no complete routing key. Allocates nothing.
   */
  tokenOf(values: unknown[], out: TokenHalves): boolean;
}

/** A token marker as servers name it in prepared metadata. */
function isTokenMarker(name: string): boolean {
  return name === 'partition key token' || /^token\(/i.test(name);
}

/**
 * `emptyKeyMinimum`: the target is Cassandra, whose partitioner gives an empty key the minimum
 * token; Scylla hashes it like any key (token 0, dht/murmur3_partitioner.cc).
 */
export function bindOperation(spec: OperationSpec, stmt: PreparedStatement, keyColumns: { partition: string[]; clustering: string[] }, gens: GeneratorFactory, emptyKeyMinimum = false): BoundOp {
  const table = stmt.bindColumns[0]?.table ?? stmt.resultColumns[0]?.table ?? '';
  const partitionCols = new Set(keyColumns.partition);
  const clusteringCols = new Set(keyColumns.clustering);
  type Filler = (addr: RowAddress, rowOffset: number, intendedMs: number) => unknown;
  // The loader's marker roles (from the base table's key) win over the prepared metadata: a
  // view read binds a base *regular* column that is the view's partition key.
  const markers = spec.markers && spec.markers.length === stmt.bindColumns.length ? spec.markers : undefined;
  const fillers: Filler[] = stmt.bindColumns.map((c, i) => {
    const m = markers?.[i];
    if (isTokenMarker(c.name) || m?.kind === 'token-lower' || m?.kind === 'token-upper') {
      return () => { throw new Error(`operation ${spec.name}: token markers need kind: scan`); };
    }
    const gen = gens(c.table || table, c.name);
    const role = m?.kind === 'column' ? m.role : partitionCols.has(c.name) ? 'partition' : clusteringCols.has(c.name) ? 'clustering' : 'regular';
    if (role === 'partition' || role === 'static') return (a, _o, t) => gen(a.partition, t);
    if (role === 'clustering') return (a, o, t) => gen(a.row + o, t);
    // regular columns: a distinct index per (partition, row), so a read recomputes what was written
    return (a, o, t) => gen(cellIndex(a.partition, a.row + o), t);
  });
  const scanRanges = Math.max(1, spec.scanRanges ?? 64);
  const pk = stmt.pkIndexes;
  const scratch = new Writer(256);
  const composite = new Writer(256);
  return {
    spec,
    stmt,
    table,
    baseTable: spec.table ?? table,
    queryOptions: {
      consistency: parseConsistency(spec.consistency) ?? Consistency.ONE,
      serialConsistency: spec.serialConsistency ? parseConsistency(spec.serialConsistency) : undefined,
      pageSize: spec.pageSize,
      skipMetadata: true,
    },
    rows: Math.max(1, spec.batchRows ?? 1),
    values(addr, rowOffset, intendedMs) {
      const out = new Array(fillers.length);
      for (let i = 0; i < fillers.length; i++) out[i] = fillers[i](addr, rowOffset, intendedMs);
      return out;
    },
    scanValues(i) {
      const r = i % scanRanges;
      const span = (MAX_TOKEN - MIN_TOKEN) / BigInt(scanRanges);
      const start = MIN_TOKEN + span * BigInt(r);
      const end = r === scanRanges - 1 ? MAX_TOKEN : start + span;
      const values = stmt.bindColumns.map((c, k) => (isTokenMarker(c.name) ? (k % 2 === 0 ? start : end) : null));
      // a fixed pseudo-random fraction of the range per range index (Knuth's multiplicative hash)
      const frac = BigInt(Math.imul(r + 1, 2654435761) >>> 0);
      return { values, routeToken: start + 1n + (((end - start - 1n) * frac) >> 32n) };
    },
    tokenOf(values, out) {
      if (pk.length === 0) return false;
      if (pk.length === 1) {
        // one column: the token hashes its serialized value as is (after our 4-byte length)
        const v = values[pk[0]];
        if (v === null || v === undefined) return false;
        scratch.reset();
        stmt.bindCodecs[pk[0]].write(scratch, v);
        murmur3Halves(scratch.buf, out, 4, scratch.pos, emptyKeyMinimum);
        return true;
      }
      // composite: per component uint16 length, bytes, 0x00 (CompositeType's serialization)
      composite.reset();
      for (const idx of pk) {
        const v = values[idx];
        if (v === null || v === undefined) return false;
        scratch.reset();
        stmt.bindCodecs[idx].write(scratch, v);
        const len = scratch.pos - 4;
        composite.short(len);
        composite.raw(scratch.buf.subarray(4, scratch.pos));
        composite.byte(0);
      }
      murmur3Halves(composite.buf, out, 0, composite.pos);
      return true;
    },
  };
}
