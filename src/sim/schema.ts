/**
 * The emulator's schema: keyspaces, tables, views and UDTs, with Scylla's table option defaults
 * so `system_schema.*` shows what a real node shows.
 */
import { randomUUID } from 'node:crypto';
import type { CqlType } from '../cql/types.js';
import { parseReplication, strategyCacheKey, type ReplicationStrategy } from '../routing/ring.js';
import { compareFor, type Comparator } from './values.js';

export type ColumnKind = 'partition_key' | 'clustering' | 'regular' | 'static';

export interface ColumnMeta {
  name: string;
  type: CqlType;
  kind: ColumnKind;
  /** Position within the partition or clustering key; -1 for regular and static columns. */
  position: number;
  desc: boolean;
  /** Slot in a row's cell array (regular) or the partition's static array (static); -1 for key columns. */
  slot: number;
}

/** A table option value as system_schema stores it. */
export type OptionValue = string | number | boolean | Map<string, string> | Set<string>;

export interface ViewInfo {
  baseTable: string;
  baseId: string;
  whereClause: string;
  includeAllColumns: boolean;
  /** For each view column, the base column it copies. */
  baseColumns: string[];
}

export class TableMeta {
  readonly byName = new Map<string, ColumnMeta>();
  readonly partitionKey: ColumnMeta[] = [];
  readonly clustering: ColumnMeta[] = [];
  /** regular columns, by slot */
  readonly regular: ColumnMeta[] = [];
  /** static columns, by slot */
  readonly statics: ColumnMeta[] = [];
  /** Comparator of clustering prefixes (serialized components), honouring DESC. */
  clusteringCompare: (a: readonly Buffer[], b: readonly Buffer[]) => number = () => 0;
  /** Compares `a` with the prefix `b` on b's length only (0 when a starts with b). */
  clusteringComparePrefix: (a: readonly Buffer[], b: readonly Buffer[]) => number = () => 0;
  /** Per clustering column, the ascending comparator of its type. */
  clusteringColumnCompare: Comparator[] = [];
  readonly views: TableMeta[] = [];
  /** Dropped columns by name: their type and the drop's timestamp, µs (system_schema.dropped_columns, DESCRIBE ... WITH INTERNALS). */
  readonly dropped = new Map<string, { type: CqlType; timestampUs: bigint }>();
  view?: ViewInfo;
  /** The CDC log table of this base table (`<name>_scylla_cdc_log`), while CDC is or was enabled. */
  cdcLog?: TableMeta;
  /** Set on a CDC log table: its token is the first 8 bytes of `cdc$stream_id` (com.scylladb.dht.CDCPartitioner). */
  cdcPartitioner = false;
  isCounter = false;
  /** Tablets: uniform last tokens and, per tablet, replicas as (node index, shard). */
  tablets?: { lastTokens: bigint[]; replicas: { node: number; shard: number }[][] };

  constructor(
    readonly keyspace: string,
    readonly name: string,
    readonly id: string,
    columns: ColumnMeta[],
    readonly options: Map<string, OptionValue>,
  ) {
    for (const c of columns) this.addColumn(c);
    this.finish();
  }

  get columns(): ColumnMeta[] {
    return [...this.partitionKey, ...this.clustering, ...this.statics, ...this.regular];
  }

  addColumn(c: ColumnMeta): void {
    this.byName.set(c.name, c);
    if (c.kind === 'partition_key') this.partitionKey[c.position] = c;
    else if (c.kind === 'clustering') this.clustering[c.position] = c;
    else if (c.kind === 'static') { c.slot = this.statics.length; this.statics.push(c); }
    else { c.slot = this.regular.length; this.regular.push(c); }
  }

  /** Drops a non-key column; slots of the others stay, so stored rows need no rewrite. */
  dropColumn(name: string, timestampUs: bigint): void {
    const c = this.byName.get(name);
    if (!c) return;
    this.byName.delete(name);
    this.dropped.set(name, { type: c.type, timestampUs });
    // keep the slot occupied by a tombstone column so later slots do not shift
    const tomb: ColumnMeta = { ...c, name: `\u0000dropped:${name}` };
    if (c.kind === 'static') this.statics[c.slot] = tomb;
    else this.regular[c.slot] = tomb;
  }

  finish(): void {
    const cmps: Comparator[] = this.clustering.map((c) => compareFor(c.type));
    const desc = this.clustering.map((c) => c.desc);
    this.clusteringCompare = (a, b) => {
      const n = Math.min(a.length, b.length);
      for (let i = 0; i < n; i++) {
        const r = cmps[i](a[i], b[i]);
        if (r !== 0) return desc[i] ? -r : r;
      }
      return a.length - b.length;
    };
    this.clusteringComparePrefix = (a, b) => {
      const n = Math.min(a.length, b.length);
      for (let i = 0; i < n; i++) {
        const r = cmps[i](a[i], b[i]);
        if (r !== 0) return desc[i] ? -r : r;
      }
      return a.length < b.length ? -1 : 0;
    };
    this.clusteringColumnCompare = cmps;
    this.isCounter = this.regular.some((c) => c.type.kind === 'counter');
  }

  /** Live (non-dropped) regular and static columns. */
  liveColumn(name: string): ColumnMeta | undefined {
    return this.byName.get(name);
  }
}

export interface UdtMeta {
  keyspace: string;
  name: string;
  fields: { name: string; type: CqlType }[];
}

export class KeyspaceMeta {
  readonly tables = new Map<string, TableMeta>();
  readonly views = new Map<string, TableMeta>();
  readonly types = new Map<string, UdtMeta>();
  strategy: ReplicationStrategy;
  strategyKey: string;

  constructor(
    readonly name: string,
    public replication: Map<string, string>,
    public durableWrites: boolean,
    public tablets: { enabled: boolean; initial?: number } | undefined,
    readonly system = false,
  ) {
    this.strategy = parseReplication(replication);
    this.strategyKey = strategyCacheKey(this.strategy);
  }

  setReplication(replication: Map<string, string>): void {
    this.strategy = parseReplication(replication);
    this.strategyKey = strategyCacheKey(this.strategy);
    this.replication = replication;
  }

  /** A table or a view by name. */
  relation(name: string): TableMeta | undefined {
    return this.tables.get(name) ?? this.views.get(name);
  }
}

/** Scylla's defaults for the options system_schema.tables shows (release 2025.x). */
export function defaultTableOptions(): Map<string, OptionValue> {
  return new Map<string, OptionValue>([
    ['bloom_filter_fp_chance', 0.01],
    ['caching', new Map([['keys', 'ALL'], ['rows_per_partition', 'ALL']])],
    ['comment', ''],
    ['compaction', new Map([['class', 'IncrementalCompactionStrategy']])],
    ['compression', new Map([['sstable_compression', 'org.apache.cassandra.io.compress.LZ4Compressor']])],
    ['crc_check_chance', 1],
    ['dclocal_read_repair_chance', 0],
    ['default_time_to_live', 0],
    ['gc_grace_seconds', 864000],
    ['max_index_interval', 2048],
    ['memtable_flush_period_in_ms', 0],
    ['min_index_interval', 128],
    ['read_repair_chance', 0],
    ['speculative_retry', '99.0PERCENTILE'],
  ]);
}

/** Options stored in system_schema.scylla_tables rather than system_schema.tables. */
export const SCYLLA_TABLE_OPTIONS = new Set(['cdc', 'per_partition_rate_limit', 'tombstone_gc', 'synchronous_updates', 'paxos_grace_seconds']);

/** Every option name Scylla accepts in CREATE/ALTER TABLE ... WITH. */
export const KNOWN_TABLE_OPTIONS = new Set([
  ...defaultTableOptions().keys(), 'cdc', 'per_partition_rate_limit', 'tombstone_gc', 'synchronous_updates',
  'paxos_grace_seconds', 'id', 'in_memory', 'extensions', 'memtable_flush_period_in_ms',
]);

export const MAP_OPTIONS = new Set(['caching', 'compaction', 'compression', 'cdc', 'per_partition_rate_limit', 'tombstone_gc', 'extensions']);

export class Schema {
  readonly keyspaces = new Map<string, KeyspaceMeta>();
  /** Changes on every DDL: drivers poll it for schema agreement. */
  version = randomUUID();
  /** Bumped on every DDL; plans compiled against an older generation are recompiled. */
  generation = 0;

  touch(): void {
    this.version = randomUUID();
    this.generation++;
  }

  table(keyspace: string, name: string): TableMeta | undefined {
    return this.keyspaces.get(keyspace)?.relation(name);
  }
}
