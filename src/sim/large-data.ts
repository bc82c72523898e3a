/**
 * Large partitions, rows and cells as Scylla records them (db/large_data_handler.cc): when a
 * node writes an sstable (a flush), each partition written since the last flush is sized and,
 * above the configured thresholds, recorded in that node's `system.large_partitions`,
 * `system.large_rows` and `system.large_cells` (node-local tables: a query sees the coordinator's
 * records). Records carry Scylla's columns; keys are shown as `key_to_str` does (the values'
 * text, `:`-joined).
 *
 * Sizes are estimated as the data's serialized bytes: key, clustering key and cell values, plus
 * 8 bytes of timestamp per cell (and 8 more for a TTL). A partition that shrank below the
 * thresholds at its next flush loses its record, as when compaction replaces the sstable.
 */
import { codecFor } from '../cql/codecs.js';
import type { CqlType } from '../cql/types.js';
import type { Cluster, SimNode } from './cluster.js';
import type { TableMeta } from './schema.js';
import { rowLive, type Cell, type Partition, type Row } from './storage.js';

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

/** One node's records, by table and partition (a later flush of the partition replaces them). */
interface NodeRecords {
  partitions: Map<string, LargePartitionRecord>;
  rows: Map<string, LargeRowRecord[]>;
  cells: Map<string, LargeCellRecord[]>;
  /** sstable generation counter per shard */
  generation: number;
}

const state = new WeakMap<SimNode, NodeRecords>();

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
    if (v instanceof Date) return v.toISOString().replace('T', ' ').replace('Z', 'Z');
    return String(v);
  } catch {
    return b.toString('hex');
  }
}

export function partitionKeyText(table: TableMeta, p: Partition): string {
  return table.partitionKey.map((c, i) => valueText(c.type, p.components[i])).join(':');
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

/**
 * Flushes every node: the partitions written since the last flush are sized and recorded when
 * above the thresholds (at most recordsPerSstable of each kind per sstable, the largest).
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
        const parts: [string, LargePartitionRecord][] = [];
        const rows: [string, LargeRowRecord][] = [];
        const cells: [string, LargeCellRecord][] = [];
        const nowMs = now.getTime();
        for (const p of store.dirty) {
          const id = `${table.id}\u0000${p.keyStr}`;
          const pk = partitionKeyText(table, p);
          let size = p.key.length;
          let dead = 0;
          rec.rows.delete(id);
          rec.cells.delete(id);
          const cellCheck = (col: { name: string; type: CqlType }, c: Cell | undefined, ck: string | null): void => {
            const cs = cellSize(c);
            const elements = collectionElements(col.type, c);
            if (cs > cfg.cellMb * MB || elements > cfg.collectionElements) {
              cells.push([id, {
                keyspace_name: table.keyspace, table_name: table.name, sstable_name: sstable, cell_size: BigInt(cs), partition_key: pk,
                clustering_key: ck ?? '', column_name: col.name, collection_elements: BigInt(elements), compaction_time: now,
              }]);
            }
          };
          let staticSize = 0;
          table.statics.forEach((col, slot) => {
            if (table.byName.get(col.name) !== col) return;
            staticSize += cellSize(p.statics[slot]);
            cellCheck(col, p.statics[slot], null);
          });
          size += staticSize;
          if (staticSize > cfg.rowMb * MB) {
            rows.push([id, { keyspace_name: table.keyspace, table_name: table.name, sstable_name: sstable, row_size: BigInt(staticSize), partition_key: pk, clustering_key: '', compaction_time: now }]);
          }
          for (const row of p.rows) {
            let rs = 0;
            for (const b of row.ck) rs += b.length + 2;
            const ck = table.clustering.length > 0 ? clusteringKeyText(table, row) : '';
            table.regular.forEach((col, slot) => {
              if (table.byName.get(col.name) !== col) return;
              rs += cellSize(row.cells[slot]);
              cellCheck(col, row.cells[slot], ck);
            });
            size += rs;
            if (!rowLive(row, nowMs, p.delTs)) dead++;
            if (rs > cfg.rowMb * MB) {
              rows.push([id, { keyspace_name: table.keyspace, table_name: table.name, sstable_name: sstable, row_size: BigInt(rs), partition_key: pk, clustering_key: ck, compaction_time: now }]);
            }
          }
          rec.partitions.delete(id);
          if (size > cfg.partitionMb * MB || p.rows.length > cfg.rowsCount) {
            parts.push([id, {
              keyspace_name: table.keyspace, table_name: table.name, sstable_name: sstable, partition_size: BigInt(size), partition_key: pk,
              rows: BigInt(p.rows.length), range_tombstones: BigInt(p.ranges.length), dead_rows: BigInt(dead), compaction_time: now,
            }]);
          }
        }
        store.dirty.clear();
        const top = <T>(xs: T[], size: (x: T) => bigint): T[] => xs.sort((a, b) => (size(b) > size(a) ? 1 : size(b) < size(a) ? -1 : 0)).slice(0, cfg.recordsPerSstable);
        for (const [id, r] of top(parts, (x) => x[1].partition_size)) rec.partitions.set(id, r);
        for (const [id, r] of top(rows, (x) => x[1].row_size)) (rec.rows.get(id) ?? rec.rows.set(id, []).get(id)!).push(r);
        for (const [id, r] of top(cells, (x) => x[1].cell_size)) (rec.cells.get(id) ?? rec.cells.set(id, []).get(id)!).push(r);
      }
    }
  }
}

/** A node's rows of system.large_partitions / large_rows / large_cells. */
export function largeDataRows(node: SimNode): { partitions: LargePartitionRecord[]; rows: LargeRowRecord[]; cells: LargeCellRecord[] } {
  const rec = recordsOf(node);
  const live = (d: Date): boolean => d.getTime() + LARGE_DATA_TTL_S * 1000 > Date.now();
  return {
    partitions: [...rec.partitions.values()].filter((r) => live(r.compaction_time)),
    rows: [...rec.rows.values()].flat().filter((r) => live(r.compaction_time)),
    cells: [...rec.cells.values()].flat().filter((r) => live(r.compaction_time)),
  };
}
