/**
 * Large partitions, rows and cells as Scylla records them (db/large_data_handler.cc): when a
 * node writes an sstable (a flush), each partition written since the last flush is sized and,
 * above the configured thresholds, recorded in that node's `system.large_partitions`,
 * `system.large_rows` and `system.large_cells` (node-local tables: a query sees the coordinator's
 * records). Records carry Scylla's columns; a partition key reads as Scylla writes it there
 * (`{key: pk{<compound key in hex>}, token:<token>}`), a clustering key as its values' text,
 * `:`-joined.
 *
 * Sizes are estimated as the data's serialized bytes: key, clustering key and cell values, plus
 * 8 bytes of timestamp per cell (and 8 more for a TTL). A partition that shrank below the
 * thresholds at its next flush loses its record, as when compaction replaces the sstable.
 */
import { codecFor } from '../cql/codecs.js';
import type { CqlType } from '../cql/types.js';
import type { Cluster, SimNode } from './cluster.js';
import type { TableMeta } from './schema.js';
import { buildAppended, rowLive, type Cell, type Partition, type Row } from './storage.js';

const MB = 1024 * 1024;
const CELL_OVERHEAD = 8;
/** Scylla keeps these records for 30 days. */
export const LARGE_DATA_TTL_S = 2592000;

export interface LargePartitionRecord {
  keyspace_name: string; table_name: string; sstable_name: string; partition_size: bigint; partition_key: string;
  rows: bigint; range_tombstones: bigint; dead_rows: bigint; compaction_time: Date;
}
export interface LargeRowRecord {
  keyspace_name: string; table_name: string; sstable_name: string; row_size: bigint; partition_key: string; clustering_key: string; compaction_time: Date;
}
export interface LargeCellRecord {
  keyspace_name: string; table_name: string; sstable_name: string; cell_size: bigint; partition_key: string; clustering_key: string;
  column_name: string; collection_elements: bigint; compaction_time: Date;
}

/** Where a row or cell record sits: the static row or a clustering row (by identity). */
type RowRef = Row | 'static';

/** One node's records, by table and partition (a later flush of the partition replaces them). */
interface NodeRecords {
  partitions: Map<string, LargePartitionRecord>;
  rows: Map<string, Map<RowRef, LargeRowRecord>>;
  cells: Map<string, Map<RowRef, LargeCellRecord[]>>;
  /** sstable generation counter */
  generation: number;
}

const state = new WeakMap<SimNode, NodeRecords>();
/** The partition a large_partitions record describes (for its dead_rows, counted when read). */
const partitionOf = new WeakMap<LargePartitionRecord, Partition>();

function recordsOf(node: SimNode): NodeRecords {
  let r = state.get(node);
  if (!r) state.set(node, (r = { partitions: new Map(), rows: new Map(), cells: new Map(), generation: 0 }));
  return r;
}

function cellSize(c: Cell | undefined): number {
  if (!c || !c.v) return 0;
  return c.v.length + CELL_OVERHEAD + (c.ttl > 0 ? 8 : 0);
}

/** A key component's text as Scylla's type to_string shows it. */
function valueText(type: CqlType, b: Buffer): string {
  try {
    const v = codecFor(type).read(b, 0, b.length);
    if (Buffer.isBuffer(v)) return v.toString('hex');
    if (v instanceof Date) return v.toISOString().replace('T', ' ');
    return String(v);
  } catch {
    return b.toString('hex');
  }
}

export function partitionKeyText(_table: TableMeta, p: Partition): string {
  // Scylla's text of a partition key in these tables: its internal compound form in hex (each
  // component a 2-byte length and its bytes, one component included) and its token, e.g. int 1
  // is `{key: pk{000400000001}, token:-4069959284402364209}`.
  const hex = p.components.map((c) => c.length.toString(16).padStart(4, '0') + c.toString('hex')).join('');
  return `{key: pk{${hex}}, token:${p.token}}`;
}

function clusteringKeyText(table: TableMeta, row: Row): string {
  return table.clustering.map((c, i) => valueText(c.type, row.ck[i])).join(':');
}

/** Elements of a multi-cell collection value (its int32 count). */
function collectionElements(type: CqlType, c: Cell | undefined): number {
  if (!c || !c.v || c.v.length < 4) return 0;
  if ((type.kind === 'list' || type.kind === 'set' || type.kind === 'map') && !type.frozen) return c.v.readInt32BE(0);
  return 0;
}

interface Found<T> { id: string; ref: RowRef; r: T }

/**
 * Flushes every node: the partitions written since the last flush are sized and recorded when
 * above the thresholds (at most recordsPerSstable of each kind per sstable, the largest). Only
 * rows written since are measured again (a row keeps its size otherwise), so a flush costs the
 * new data plus one pass over the sizes of the partitions it touches.
 */
export function flushLargeData(cluster: Cluster): void {
  const cfg = cluster.options.largeData;
  const now = new Date();
  for (const node of cluster.nodes) {
    const rec = recordsOf(node);
    for (const shard of node.shards) {
      for (const store of shard.store.tables.values()) {
        if (store.dirty.size === 0) continue;
        const table = store.table;
        const sstable = `me-${(++rec.generation).toString(36).padStart(4, '0')}_${shard.id}-big-Data.db`;
        const parts: Found<LargePartitionRecord>[] = [];
        const rows: Found<LargeRowRecord>[] = [];
        const cells: Found<LargeCellRecord>[] = [];
        const live = table.regular.map((col) => table.byName.get(col.name) === col);
        const limits = { rowBytes: cfg.rowMb * MB, cellBytes: cfg.cellMb * MB, elements: cfg.collectionElements };
        for (const p of store.dirty) {
          const id = `${table.id}\u0000${p.keyStr}`;
          const pk = partitionKeyText(table, p);
          let rowRecs = rec.rows.get(id);
          let cellRecs = rec.cells.get(id);
          // CDC log rows appended packed are sized packed, unless one of them could be recorded
          if (p.appended !== undefined && !p.appended.sizeNew(p, live, limits)) buildAppended(p, p.appended);
          const packed = p.appended;
          const rowCount = p.builtRows.length + (packed ? packed.sizedLiveRows : 0);
          if (rowCount < p.sizedRows) {
            // rows went away (deletes compacted): measure everything again
            for (const r of p.builtRows) r.sizeBytes = -1;
            rowRecs?.clear();
            cellRecs?.clear();
          }
          const measure = (ref: RowRef, cellsOf: (Cell | undefined)[], cols: readonly { name: string; type: CqlType }[], liveCols: readonly boolean[], ck: string | null, base: number): number => {
            let rs = base;
            rowRecs?.delete(ref);
            cellRecs?.delete(ref);
            cols.forEach((col, slot) => {
              if (!liveCols[slot]) return;
              const c = cellsOf[slot];
              const cs = cellSize(c);
              rs += cs;
              const elements = collectionElements(col.type, c);
              if (cs > cfg.cellMb * MB || elements > cfg.collectionElements) {
                cells.push({ id, ref, r: {
                  keyspace_name: table.keyspace, table_name: table.name, sstable_name: sstable, cell_size: BigInt(cs), partition_key: pk,
                  clustering_key: ck ?? '', column_name: col.name, collection_elements: BigInt(elements), compaction_time: now,
                } });
              }
            });
            if (rs > cfg.rowMb * MB) {
              rows.push({ id, ref, r: { keyspace_name: table.keyspace, table_name: table.name, sstable_name: sstable, row_size: BigInt(rs), partition_key: pk, clustering_key: ck ?? '', compaction_time: now } });
            }
            return rs;
          };
          let size = p.key.length + measure('static', p.statics, table.statics, table.statics.map((col) => table.byName.get(col.name) === col), null, 0);
          for (const row of p.builtRows) {
            if (row.sizeBytes < 0) {
              let ckBytes = 0;
              for (const b of row.ck) ckBytes += b.length + 2;
              row.sizeBytes = measure(row, row.cells, table.regular, live, table.clustering.length > 0 ? clusteringKeyText(table, row) : '', ckBytes);
            }
            size += row.sizeBytes;
          }
          if (packed) size += packed.sizedBytes;
          p.sizedRows = rowCount;
          rec.partitions.delete(id);
          if (size > cfg.partitionMb * MB || rowCount > cfg.rowsCount) {
            const r: LargePartitionRecord = {
              keyspace_name: table.keyspace, table_name: table.name, sstable_name: sstable, partition_size: BigInt(size), partition_key: pk,
              rows: BigInt(rowCount), range_tombstones: BigInt(p.ranges.length), dead_rows: 0n, compaction_time: now,
            };
            // dead rows are counted when the table is read (a pass over the partition at every flush would cost O(rows) each time)
            partitionOf.set(r, p);
            parts.push({ id, ref: 'static', r });
          }
        }
        store.dirty.clear();
        const top = <T>(xs: Found<T>[], size: (x: T) => bigint): Found<T>[] => xs.sort((a, b) => (size(b.r) > size(a.r) ? 1 : size(b.r) < size(a.r) ? -1 : 0)).slice(0, cfg.recordsPerSstable);
        for (const f of top(parts, (x) => x.partition_size)) rec.partitions.set(f.id, f.r);
        for (const f of top(rows, (x) => x.row_size)) (rec.rows.get(f.id) ?? rec.rows.set(f.id, new Map()).get(f.id)!).set(f.ref, f.r);
        for (const f of top(cells, (x) => x.cell_size)) {
          const m = rec.cells.get(f.id) ?? rec.cells.set(f.id, new Map()).get(f.id)!;
          m.set(f.ref, [...(m.get(f.ref) ?? []), f.r]);
        }
      }
    }
  }
}

/** A node's rows of system.large_partitions / large_rows / large_cells. */
export function largeDataRows(node: SimNode): { partitions: LargePartitionRecord[]; rows: LargeRowRecord[]; cells: LargeCellRecord[] } {
  const rec = recordsOf(node);
  const live = (d: Date): boolean => d.getTime() + LARGE_DATA_TTL_S * 1000 > Date.now();
  return {
    partitions: [...rec.partitions.values()].filter((r) => live(r.compaction_time)).map((r) => {
      const p = partitionOf.get(r);
      if (!p) return r;
      let dead = 0;
      const nowMs = Date.now();
      for (const row of p.rows) if (!rowLive(row, nowMs, p.delTs)) dead++;
      return { ...r, dead_rows: BigInt(dead) };
    }),
    rows: [...rec.rows.values()].flatMap((m) => [...m.values()]).filter((r) => live(r.compaction_time)),
    cells: [...rec.cells.values()].flatMap((m) => [...m.values()].flat()).filter((r) => live(r.compaction_time)),
  };
}
