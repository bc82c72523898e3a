/**
 * The emulated cluster: nodes with vnode tokens, shards with their stores and counters, the
 * schema, roles and prepared statements. Everything the protocol layer needs to answer a request
 * hangs off one Cluster object; no global state, so tests can run several clusters at once.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Consistency, consistencyName } from '../cql/consistency.js';
import { UnavailableError } from '../cql/errors.js';
import type { SchemaChange } from '../cql/messages.js';
import { murmur3Halves, type TokenHalves } from '../routing/murmur3.js';
import { generateTokens, TokenRing, totalReplicationFactor, type RingNode } from '../routing/ring.js';
import { shardOfHalves, tabletIndexOf } from '../routing/sharding.js';
import { Schema, type KeyspaceMeta, type TableMeta } from './schema.js';
import { ShardStore } from './storage.js';
import { ShardQueue, type CostModel, type Timeouts } from './capacity.js';
import { LatencyHistogram } from './latency.js';
import { ServiceLevels } from './service-levels.js';
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
}

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

  constructor(readonly options: ClusterOptions) {
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

  /** Replica lists per strategy, indexed by vnode range × shard: built once, shared by every request. */
  private readonly replicaCache = new Map<string, Replica[][]>();

  /** Replicas of a token of `table`: vnodes via the ring, or the tablet's replica list. Do not mutate the result. */
  replicas(table: TableMeta, ks: KeyspaceMeta, token: bigint, h: TokenHalves): readonly Replica[] {
    if (table.tablets) {
      const i = tabletIndexOf(table.tablets.lastTokens, token);
      return table.tablets.replicas[i].map((r) => ({ node: this.nodes[r.node], shard: r.shard }));
    }
    const shards = this.options.shards;
    const shard = shardOfHalves(h.hi, h.lo, shards);
    const range = this.ring.rangeIndexOf(token);
    let perRange = this.replicaCache.get(ks.strategyKey);
    if (!perRange) {
      perRange = [];
      this.replicaCache.set(ks.strategyKey, perRange);
    }
    const slot = range * shards + shard;
    let out = perRange[slot];
    if (!out) {
      const idx = this.ring.replicasOfRange(range, ks.strategy, ks.strategyKey);
      out = idx.map((n) => ({ node: this.nodes[n], shard }));
      perRange[slot] = out;
    }
    return out;
  }

  /** How many replicas a consistency level needs for this keyspace (throws Invalid for nonsense). */
  blockFor(ks: KeyspaceMeta, cl: number, isWrite: boolean): number {
    const rf = totalReplicationFactor(ks.strategy, this.nodes.length);
    const localRf = ks.strategy.kind === 'network-topology' ? (ks.strategy.datacenters.get(this.options.datacenter) ?? 0) : rf;
    switch (cl) {
      case Consistency.ANY:
        if (!isWrite) throw new InvalidRequest('ANY ConsistencyLevel is only supported for writes');
        return 1;
      case Consistency.ONE: case Consistency.LOCAL_ONE: return 1;
      case Consistency.TWO: return 2;
      case Consistency.THREE: return 3;
      case Consistency.QUORUM: case Consistency.SERIAL: return Math.floor(rf / 2) + 1;
      case Consistency.LOCAL_QUORUM: case Consistency.LOCAL_SERIAL: case Consistency.EACH_QUORUM: return Math.floor(localRf / 2) + 1;
      case Consistency.ALL: return rf;
      default: throw new InvalidRequest(`Unknown consistency level ${cl}`);
    }
  }

  /** Throws Unavailable (with Scylla's message and body) when too few replicas are up. */
  checkAvailable(ks: KeyspaceMeta, replicas: readonly Replica[], cl: number, isWrite: boolean): number {
    const need = this.blockFor(ks, cl, isWrite);
    let alive = 0;
    for (const r of replicas) if (r.node.up) alive++;
    if (alive < need) {
      throw new UnavailableError(`Cannot achieve consistency level for cl ${consistencyName(cl)}. Requires ${need}, alive ${alive}`, cl as never, need, alive);
    }
    return need;
  }

  /** Token of a partition key and its halves. */
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
