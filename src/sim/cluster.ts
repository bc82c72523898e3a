/**
 * The emulated cluster's state: nodes with vnode tokens, shards with their stores, queues and
 * counters, the schema, roles and the service-level catalogue. Everything a request touches hangs
 * off one Cluster object; no global state, so tests can run several clusters at once. Where a
 * token's replicas are is locator.ts; consistency levels and the replica read/write paths are
 * proxy.ts.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { SchemaChange } from '../cql/messages.js';
import { murmur3Halves, tokenToHalves, type TokenHalves } from '../routing/murmur3.js';
import { generateTokens, TokenRing, type RingNode } from '../routing/ring.js';
import { Schema, type KeyspaceMeta, type TableMeta } from './schema.js';
import { ShardStore } from './storage.js';
import { ShardQueue, type CostModel, type Timeouts } from './capacity.js';
import { LatencyHistogram } from './latency.js';
import { ServiceLevels } from './service-levels.js';
import { ViewBacklog, type ViewUpdateDelay } from './view-backlog.js';
import type { DataFaults } from './data-faults.js';
import { InvalidRequest } from './values.js';

export interface ClusterOptions {
  nodes: number;
  shards: number;
  /** Address of node 1; node i gets the last octet + (i-1). */
  host: string;
  vnodesPerNode: number;
  /** Seed of the token generator (same seed, same ring). */
  seed: number;
  datacenter: string;
  /** Racks, assigned round-robin: node i is in racks[(i-1) % racks.length]. */
  racks: string[];
  clusterName: string;
  /** New keyspaces use tablets unless they say `tablets = {'enabled': false}`. */
  tablets: boolean;
  /** Tablets per table when the keyspace does not say `'initial'`. */
  initialTablets: number;
  auth: boolean;
  /** Shard-time costs; null turns the capacity model off (replies go out at once). */
  costs: CostModel | null;
  /** Server-side timeouts (scylla.yaml defaults), ms. */
  timeouts: Timeouts;
  /** When flushes record large partitions, rows and cells (scylla.yaml; large-data.ts). */
  largeData: LargeDataConfig;
  /** How long asynchronous view updates take to land (view-backlog.ts). */
  viewDelay: ViewUpdateDelay;
}

/** Scylla's large-data warning thresholds (db/config.cc; MB = 2^20 bytes, fractions allowed for tests). */
export interface LargeDataConfig {
  /** compaction_large_partition_warning_threshold_mb (1000) */
  partitionMb: number;
  /** compaction_rows_count_warning_threshold (100000) */
  rowsCount: number;
  /** compaction_large_row_warning_threshold_mb (10) */
  rowMb: number;
  /** compaction_large_cell_warning_threshold_mb (1) */
  cellMb: number;
  /** compaction_collection_elements_count_warning_threshold (10000) */
  collectionElements: number;
  /** compaction_large_data_records_per_sstable (10) */
  recordsPerSstable: number;
}

export const DEFAULT_LARGE_DATA: Readonly<LargeDataConfig> = Object.freeze({ partitionMb: 1000, rowsCount: 100000, rowMb: 10, cellMb: 1, collectionElements: 10000, recordsPerSstable: 10 });

export interface ShardCounters {
  /** requests coordinated on this shard (one per QUERY/EXECUTE/BATCH) */
  requests: number;
  /** requests coordinated here whose data this node owns on another shard */
  crossShardHops: number;
  /** replica operations executed on this shard's store */
  replicaOps: number;
  connections: number;
  errors: Map<number, number>;
}

export class SimShard {
  readonly store = new ShardStore();
  readonly queue = new ShardQueue();
  readonly readLatency = new LatencyHistogram();
  readonly writeLatency = new LatencyHistogram();
  readonly counters: ShardCounters = { requests: 0, crossShardHops: 0, replicaOps: 0, connections: 0, errors: new Map() };
  constructor(readonly node: SimNode, readonly id: number) {}
}

export class SimNode {
  up = true;
  readonly shards: SimShard[];
  readonly hostId = randomUUID();
  constructor(
    readonly index: number,
    readonly address: string,
    readonly datacenter: string,
    readonly rack: string,
    readonly tokens: bigint[],
    shardCount: number,
  ) {
    this.shards = Array.from({ length: shardCount }, (_, i) => new SimShard(this, i));
  }
}

export interface Role {
  name: string;
  saltedHash: string;
  canLogin: boolean;
  isSuperuser: boolean;
}

/** A replica of one partition: node and the shard that owns the token there. */
export interface Replica {
  node: SimNode;
  shard: number;
}

export function nodeAddress(host: string, index: number): string {
  const parts = host.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d+$/.test(p))) throw new RangeError(`--host must be an IPv4 address, got ${host}`);
  const last = Number(parts[3]) + index;
  if (last > 254) throw new RangeError(`host ${host} leaves no room for node ${index + 1} in the last octet`);
  return `${parts[0]}.${parts[1]}.${parts[2]}.${last}`;
}

export function hashPassword(password: string): string {
  return createHash('sha256').update(`sim-salt:${password}`).digest('hex');
}

export type SchemaListener = (change: SchemaChange) => void;

export class Cluster {
  readonly nodes: SimNode[];
  readonly ring: TokenRing;
  readonly schema = new Schema();
  readonly roles = new Map<string, Role>();
  /** service levels and their attachments to roles (service-levels.ts) */
  readonly serviceLevels = new ServiceLevels();
  readonly startedAtMs = Date.now();
  private readonly schemaListeners = new Set<SchemaListener>();
  private lastTimestampUs = 0;
  /** Set once a write skipped a down replica: from then on multi-replica reads reconcile copies. */
  replicasMayDiffer = false;
  /** Corrupted reads and lost writes (faults.ts sets them; undefined: none). */
  dataFaults: DataFaults | undefined;
  /** Replica lists per strategy, indexed by vnode range × shard (locator.ts): built once, shared by every request. */
  readonly replicaCache = new Map<string, Replica[][]>();
  /** View updates made by base writes and not yet applied (asynchronous views). */
  readonly viewBacklog: ViewBacklog;

  constructor(readonly options: ClusterOptions) {
    this.viewBacklog = new ViewBacklog(options.viewDelay);
    const tokens = generateTokens(options.nodes, options.vnodesPerNode, options.seed);
    this.nodes = tokens.map((ts, i) => new SimNode(i, nodeAddress(options.host, i), options.datacenter, options.racks[i % options.racks.length], ts, options.shards));
    const ringNodes: RingNode[] = this.nodes.map((n) => ({ index: n.index, address: n.address, datacenter: n.datacenter, rack: n.rack, tokens: n.tokens }));
    this.ring = new TokenRing(ringNodes);
    this.roles.set('cassandra', { name: 'cassandra', saltedHash: hashPassword('cassandra'), canLogin: true, isSuperuser: true });
  }

  /** A write timestamp in µs, strictly increasing within this cluster (as a coordinator would). */
  nowMicros(): number {
    let t = Date.now() * 1000;
    if (t <= this.lastTimestampUs) t = this.lastTimestampUs + 1;
    this.lastTimestampUs = t;
    return t;
  }

  onSchemaChange(l: SchemaListener): () => void {
    this.schemaListeners.add(l);
    return () => this.schemaListeners.delete(l);
  }

  emitSchemaChange(c: SchemaChange): void {
    this.schema.touch();
    for (const l of this.schemaListeners) l(c);
  }

  keyspace(name: string | undefined): KeyspaceMeta {
    if (!name) throw new InvalidRequest('No keyspace has been specified. USE a keyspace, or explicitly specify keyspace.tablename');
    const ks = this.schema.keyspaces.get(name);
    if (!ks) throw new InvalidRequest(`Keyspace '${name}' does not exist`);
    return ks;
  }

  /**
   * Token of a partition key of `table` and its halves: Murmur3, or for a CDC log table the
   * stream id's first 8 bytes (cdc/cdc_partitioner.cc; a key not 16 bytes long: the minimum token).
   */
  tokenFor(table: TableMeta, key: Buffer, h: TokenHalves): bigint {
    if (!table.cdcPartitioner) return this.tokenOf(key, h);
    const t = key.length === 16 ? key.readBigInt64BE(0) : -(1n << 63n);
    tokenToHalves(t, h);
    return t;
  }

  /** Murmur3 token of a partition key and its halves. */
  tokenOf(key: Buffer, h: TokenHalves): bigint {
    murmur3Halves(key, h);
    return BigInt.asIntN(64, (BigInt(h.hi) << 32n) | BigInt(h.lo));
  }

  /** Counters summed per (node, shard), for tests and /metrics. */
  stats(): { node: number; shard: number; requests: number; crossShardHops: number; replicaOps: number; connections: number; pending: number; timeouts: number }[] {
    const out = [];
    for (const n of this.nodes) {
      for (const s of n.shards) {
        const c = s.counters;
        out.push({
          node: n.index, shard: s.id, requests: c.requests, crossShardHops: c.crossShardHops, replicaOps: c.replicaOps,
          connections: c.connections, pending: s.queue.pending, timeouts: (c.errors.get(0x1100) ?? 0) + (c.errors.get(0x1200) ?? 0),
        });
      }
    }
    return out;
  }

  totalCrossShardHops(): number {
    let n = 0;
    for (const node of this.nodes) for (const s of node.shards) n += s.counters.crossShardHops;
    return n;
  }
}
