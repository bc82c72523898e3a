/**
 * The storage proxy (Scylla's service/storage_proxy.cc): between a statement and the replicas'
 * stores. It checks the consistency level against live replicas (Unavailable), counts the
 * coordinator's cross-shard hop, attaches the tablets routing payload, applies mutations on
 * every live replica (view maintenance included), and reads: one replica's copy, or several
 * reconciled once replicas may differ; token ranges segment by segment on every shard of the
 * replica that holds part of them.
 */
import { Consistency, consistencyName } from '../cql/consistency.js';
import { UnavailableError } from '../cql/errors.js';
import { partitionKeyBytes, type TokenHalves } from '../routing/murmur3.js';
import { totalReplicationFactor } from '../routing/ring.js';
import { tabletRange } from '../routing/sharding.js';
import type { Cluster, Replica, SimNode } from './cluster.js';
import type { ExecExtras, Session } from './context.js';
import { replicasOf } from './locator.js';
import { applyMutation, ownWrite, type PartitionWrite } from './mutation.js';
import type { KeyspaceMeta, TableMeta } from './schema.js';
import { appendLogRow, cellLive, comparePartitions, findRow, inRange, mergePartitions, rowLive, splitPartitionKey, type Cell, type Partition, type Row, type TableStore } from './storage.js';
import { tabletsPayload } from './tablets.js';
import { InvalidRequest } from './values.js';
import { updateViews, type RowImage } from './views.js';
import { cdcOptionsOf, imageKeys, logWrites, streamFor, touchesStatics, type CdcGroup, type LogBatch } from './cdc.js';

const INT64_MAX = (1n << 63n) - 1n;

// ---------------------------------------------------------------------------------------------
// consistency

/** How many replicas a consistency level needs for this keyspace (throws Invalid for nonsense). */
export function blockFor(cluster: Cluster, ks: KeyspaceMeta, cl: number, isWrite: boolean): number {
  const rf = totalReplicationFactor(ks.strategy, cluster.nodes.length);
  const localRf = ks.strategy.kind === 'network-topology' ? (ks.strategy.datacenters.get(cluster.options.datacenter) ?? 0) : rf;
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
export function checkAvailable(cluster: Cluster, ks: KeyspaceMeta, replicas: readonly Replica[], cl: number, isWrite: boolean): number {
  const need = blockFor(cluster, ks, cl, isWrite);
  let alive = 0;
  for (const r of replicas) if (r.node.up) alive++;
  if (alive < need) {
    throw new UnavailableError(`Cannot achieve consistency level for cl ${consistencyName(cl)}. Requires ${need}, alive ${alive}`, cl as never, need, alive);
  }
  return need;
}

// ---------------------------------------------------------------------------------------------
// coordinator

/** Counts a cross-shard hop: the coordinator node is a replica and holds the partition on another shard. */
export function countHop(session: Session, replicas: readonly Replica[]): boolean {
  for (const r of replicas) {
    if (r.node !== session.node) continue;
    if (r.shard === session.shard.id) return false;
    session.shard.counters.crossShardHops++;
    return true;
  }
  return false;
}

/** Picks the replica to read from: the coordinator when it is one, else the first live one. */
export function readReplica(replicas: readonly Replica[], coordinator: SimNode): Replica | undefined {
  let first: Replica | undefined;
  for (const r of replicas) {
    if (!r.node.up) continue;
    if (r.node === coordinator) return r;
    first ??= r;
  }
  return first;
}

/**
 * What a single-partition request tells the coordinator: whether it hopped to another shard of
 * this node, and (TABLETS_ROUTING_V1) the tablet's replicas when the client sent it elsewhere.
 */
export function noteSinglePartition(cluster: Cluster, session: Session, table: TableMeta, token: bigint, replicas: readonly Replica[], extras: ExecExtras): void {
  extras.hop = countHop(session, replicas);
  if (session.tabletsRouting && table.tablets) {
    const payload = tabletsPayload(cluster, session, table, token);
    if (payload) extras.customPayload = payload;
  }
}

// ---------------------------------------------------------------------------------------------
// writes

/**
 * Applies writes on every live replica after checking the consistency level, counts the
 * coordinator's cross-shard hop (single-partition requests), updates views, and attaches the
 * tablets payload when the coordinator is not a replica.
 */
export function applyWrites(cluster: Cluster, session: Session, ks: KeyspaceMeta, writes: PartitionWrite[], cl: number, extras: ExecExtras, singlePartition: boolean): void {
  const h: TokenHalves = { hi: 0, lo: 0 };
  const nowMs = Date.now();
  let first = true;
  const cdc = cdcGroupsOf(writes);
  for (let i = 0; i < writes.length; i++) {
    const w = writes[i];
    const key = partitionKeyBytes(w.components);
    const keyStr = key.toString('latin1');
    const token = cluster.tokenFor(w.table, key, h);
    const reps = replicasOf(cluster, w.table, ks, token, h);
    const need = checkAvailable(cluster, ks, reps, cl, true);
    extras.blockFor = Math.max(extras.blockFor ?? 0, need);
    if (first && singlePartition) noteSinglePartition(cluster, session, w.table, token, reps, extras);
    first = false;
    // a lost write: the replica that acknowledges it at CL ONE does not keep it
    const dropped = cluster.dataFaults?.losesWrite(cl) ? readReplica(reps, session.node) : undefined;
    if (dropped) cluster.replicasMayDiffer = true;
    const owned = w.owned ? w : ownWrite(w, nowMs);
    const ownedKey = w.owned ? key : Buffer.from(key);
    const hasViews = w.table.views.length > 0;
    let pre: RowImage[] | undefined;
    if (hasViews) pre = imagesOf(cluster, session, reps, owned, keyStr, nowMs);
    const g = cdc === undefined ? undefined : cdc instanceof Map ? cdc.get(w) : cdc;
    if (g && g.writes[0] === w) {
      g.components = w.table.partitionKey.length === 1 ? [ownedKey] : splitPartitionKey(ownedKey, w.table.partitionKey.length);
      g.stream = streamFor(cluster, w.table, g.log, token, h.hi, h.lo, w.ts);
      if (g.opts.preimage !== 'false' || g.opts.postimage) {
        g.pre = imagesOf(cluster, session, reps, owned, keyStr, nowMs, keysAsImages(imageKeys(g)));
        if (touchesStatics(g)) g.preStatic = staticCellsOf(session, reps, w.table, keyStr, nowMs);
      }
    }
    for (const r of reps) {
      if (!r.node.up) {
        cluster.replicasMayDiffer = true;
        continue;
      }
      if (r === dropped) continue;
      const shard = r.node.shards[r.shard];
      shard.counters.replicaOps++;
      (extras.replicaShards ??= []).push(shard);
      const store = shard.store.table(w.table);
      const p = store.getOrCreate(ownedKey, keyStr, token);
      applyMutation(p, owned, nowMs);
      // the log rows take the key's bytes the store already holds (not this request's copy)
      if (g && g.writes[0] === w) g.components = p.components;
    }
    // the log rows take the base write's owned copies of its values
    if (g) g.writes[g.writes.indexOf(w)] = owned;
    if (hasViews) {
      const post = imagesOf(cluster, session, reps, owned, keyStr, nowMs, pre);
      // asynchronous views land later, from the base replicas' backlog (view-backlog.ts); the
      // scheduler hands them over once the reply time is known
      const baseShards = [];
      for (const r of reps) if (r.node.up) baseShards.push(r.node.shards[r.shard]);
      const { sink, updates } = cluster.viewBacklog.collect(baseShards);
      // components from the owned key: view rows keep them
      updateViews(cluster, ks, w.table, splitPartitionKey(ownedKey, w.table.partitionKey.length), pre!, post, w.ts, sink);
      (extras.viewUpdates ??= []).push(updates);
    }
    if (g && g.writes[g.writes.length - 1] === owned) {
      if (g.opts.postimage && g.pre) g.post = imagesOf(cluster, session, reps, owned, keyStr, nowMs, g.pre);
      if (g.opts.postimage && touchesStatics(g)) g.postStatic = staticCellsOf(session, reps, w.table, keyStr, nowMs) ?? [];
      applyLogWrites(cluster, logWrites(g, nowMs), extras);
    }
  }
}

/**
 * A group's log rows, all in one stream partition: routed once (the stream's token under the
 * CDC partitioner lands on the base write's replicas and shard) and appended to the partition on
 * every live replica, as Scylla sends the log mutation with the base one. The consistency level
 * was checked for the base write on the same replicas.
 */
function applyLogWrites(cluster: Cluster, b: LogBatch | undefined, extras: ExecExtras): void {
  if (!b) return;
  const log = b.log;
  const ks = cluster.schema.keyspaces.get(log.keyspace);
  if (!ks) return;
  const at = streamKey(cluster, log, b.stream);
  for (const r of replicasOf(cluster, log, ks, at.token, at.h)) {
    if (!r.node.up) {
      cluster.replicasMayDiffer = true;
      continue;
    }
    const shard = r.node.shards[r.shard];
    shard.counters.replicaOps++;
    (extras.replicaShards ??= []).push(shard);
    const p = shard.store.table(log).getOrCreate(b.stream, at.keyStr, at.token);
    for (let i = 0; i < b.rows.length; i++) appendLogRow(p, log, b.time, i, b.ts, b.expMs, b.ttlS, b.rows[i]);
  }
}

/** A stream's token, halves and key string (streams live as long as their generation: computed once). */
const streamKeys = new WeakMap<Buffer, { token: bigint; h: TokenHalves; keyStr: string }>();

function streamKey(cluster: Cluster, log: TableMeta, stream: Buffer): { token: bigint; h: TokenHalves; keyStr: string } {
  let at = streamKeys.get(stream);
  if (!at) {
    const h: TokenHalves = { hi: 0, lo: 0 };
    // the CDC partitioner: the same stream bytes give the same token on every log table
    at = { token: cluster.tokenFor(log, stream, h), h, keyStr: stream.toString('latin1') };
    streamKeys.set(stream, at);
  }
  return at;
}

const EMPTY = Buffer.alloc(0);

/** The static row's live cells on one replica (undefined: the partition is not there). */
function staticCellsOf(session: Session, reps: readonly Replica[], table: TableMeta, keyStr: string, nowMs: number): (Cell | undefined)[] | undefined {
  const r = readReplica(reps, session.node);
  const p = r?.node.shards[r.shard].store.tables.get(table.id)?.get(keyStr);
  if (!p) return undefined;
  return p.statics.map((c) => (cellLive(c, nowMs, p.delTs) ? c : undefined));
}

function keysAsImages(cks: Buffer[][]): RowImage[] {
  return cks.map((ck) => ({ ck, live: false, cells: [], markerTs: -Infinity, markerExp: 0 }));
}

/**
 * Base writes to CDC tables grouped per (table, partition, timestamp), each write mapped to its
 * group; a single write's group itself (the common case, without a Map per request).
 */
function cdcGroupsOf(writes: PartitionWrite[]): Map<PartitionWrite, CdcGroup> | CdcGroup | undefined {
  if (writes.length === 1) {
    const w = writes[0];
    const log = w.table.cdcLog;
    const opts = log && cdcOptionsOf(w.table);
    return opts && opts.enabled ? { base: w.table, log: log!, opts, components: w.components, stream: EMPTY, ts: w.ts, writes: [w] } : undefined;
  }
  let out: Map<PartitionWrite, CdcGroup> | undefined;
  let byKey: Map<string, CdcGroup> | undefined;
  for (const w of writes) {
    const log = w.table.cdcLog;
    if (!log) continue;
    const opts = cdcOptionsOf(w.table);
    if (!opts?.enabled) continue;
    out ??= new Map();
    byKey ??= new Map();
    const k = `${w.table.id}\u0000${partitionKeyBytes(w.components).toString('latin1')}\u0000${w.ts}`;
    let g = byKey.get(k);
    if (!g) {
      g = { base: w.table, log, opts, components: w.components, stream: EMPTY, ts: w.ts, writes: [] };
      byKey.set(k, g);
    }
    g.writes.push(w);
    out.set(w, g);
  }
  return out;
}

/** Row images of the rows a write touches (for view maintenance), read on one replica. */
function imagesOf(cluster: Cluster, session: Session, reps: readonly Replica[], w: PartitionWrite, keyStr: string, nowMs: number, like?: RowImage[]): RowImage[] {
  const r = readReplica(reps, session.node);
  const p = r?.node.shards[r.shard].store.tables.get(w.table.id)?.get(keyStr);
  const table = w.table;
  const image = (row: Row | undefined, ck: Buffer[]): RowImage => {
    if (!p || !row || !rowLive(row, nowMs, p.delTs)) return { ck, live: false, cells: [], markerTs: -Infinity, markerExp: 0 };
    const shadow = Math.max(row.delTs, p.delTs);
    return { ck, live: true, cells: row.cells.map((c) => (cellLive(c, nowMs, shadow) ? c : undefined)), markerTs: row.markerTs, markerExp: row.markerExp };
  };
  if (like) return like.map((im) => image(p ? findRow(p, table, im.ck) : undefined, im.ck));
  const m = w.mutation;
  if (m.kind === 'upsert' || m.kind === 'delete-cells' || m.kind === 'delete-row') {
    if (!m.ck || m.ck.length !== table.clustering.length) return [];
    return [image(p ? findRow(p, table, m.ck) : undefined, m.ck)];
  }
  if (!p) return [];
  const rows = m.kind === 'delete-partition' ? p.rows : p.rows.filter((row) => inRange(table, row.ck, m));
  return rows.map((row) => image(row, row.ck));
}

// ---------------------------------------------------------------------------------------------
// reads

/** Where partitions come from: the cluster's replicas, or a virtual (system) table built per query. */
export interface PartitionSource {
  /** The partition with this key from a live replica (throws Unavailable when CL cannot be met). */
  get(key: Buffer, keyStr: string, token: bigint, h: TokenHalves): Partition | undefined;
  /** Partitions with lo < token ≤ hi (lo null: from the minimum token inclusive), in ring order. */
  scan(lo: bigint | null, hi: bigint, visit: (p: Partition) => boolean): void;
}

export function clusterSource(cluster: Cluster, session: Session, ks: KeyspaceMeta, table: TableMeta, cl: number, extras: ExecExtras): PartitionSource {
  return {
    get(key, keyStr, token, h) {
      const reps = replicasOf(cluster, table, ks, token, h);
      const need = checkAvailable(cluster, ks, reps, cl, false);
      const r = readReplica(reps, session.node)!;
      const shard = r.node.shards[r.shard];
      shard.counters.replicaOps++;
      // the data read plus digest reads from the other replicas the CL waits for
      const work = (extras.replicaShards ??= []);
      work.push(shard);
      for (const o of reps) {
        if (work.length >= need) break;
        if (o !== r && o.node.up) work.push(o.node.shards[o.shard]);
      }
      extras.blockFor = need;
      const own = shard.store.tables.get(table.id)?.get(keyStr);
      // Replicas can only disagree after a write missed a down node. Then a read that waits for
      // several replicas reconciles them (last write wins per cell), as Scylla's digest mismatch
      // and data resolution would; otherwise one replica's copy is the answer.
      if (need <= 1 || !cluster.replicasMayDiffer) return own;
      const copies: Partition[] = own ? [own] : [];
      for (let i = 1; i < work.length; i++) {
        const p = work[i].store.tables.get(table.id)?.get(keyStr);
        if (p) copies.push(p);
      }
      return copies.length <= 1 ? copies[0] : mergePartitions(table, copies);
    },
    scan(lo, hi, visit) {
      // walk token segments in ring order; each segment is read from one live replica
      for (const seg of segments(cluster, ks, table)) {
        if (lo !== null && seg.hi <= lo) continue;
        if (seg.lo !== null && seg.lo >= hi) break;
        checkAvailable(cluster, ks, seg.replicas, cl, false);
        const r = readReplica(seg.replicas, session.node)!;
        const from = seg.lo === null ? lo : lo === null ? seg.lo : (seg.lo > lo ? seg.lo : lo);
        const to = seg.hi < hi ? seg.hi : hi;
        const shards = seg.shardOnly !== undefined ? [r.node.shards[seg.shardOnly]] : r.node.shards;
        const found: Partition[] = [];
        for (const sh of shards) {
          const ts = sh.store.tables.get(table.id);
          // every shard of the replica reads its part of the range (charged by the capacity model)
          const touched = (extras.scanShards ??= []);
          if (!touched.includes(sh)) touched.push(sh);
          if (!ts) continue;
          sh.counters.replicaOps++;
          ts.collectRange(from, to, found);
        }
        if (shards.length > 1) found.sort(comparePartitions);
        for (const p of found) if (!visit(p)) return;
      }
    },
  };
}

export function virtualSource(store: TableStore): PartitionSource {
  return {
    get(_key, keyStr) {
      return store.get(keyStr);
    },
    scan(lo, hi, visit) {
      const found: Partition[] = [];
      store.collectRange(lo, hi, found);
      for (const p of found) if (!visit(p)) return;
    },
  };
}

interface Segment { lo: bigint | null; hi: bigint; replicas: Replica[]; shardOnly?: number }

const segmentCache = new WeakMap<Cluster, Map<string, Segment[]>>();
const tabletSegmentCache = new WeakMap<TableMeta, Segment[]>();

/** Token segments in ascending order with their replicas (memoized: the ring and tablets do not change). */
function segments(cluster: Cluster, ks: KeyspaceMeta, table: TableMeta): Segment[] {
  if (table.tablets) {
    let s = tabletSegmentCache.get(table);
    if (!s) tabletSegmentCache.set(table, (s = computeSegments(cluster, ks, table)));
    return s;
  }
  let perCluster = segmentCache.get(cluster);
  if (!perCluster) segmentCache.set(cluster, (perCluster = new Map()));
  let s = perCluster.get(ks.strategyKey);
  if (!s) perCluster.set(ks.strategyKey, (s = computeSegments(cluster, ks, table)));
  return s;
}

/** Token segments in ascending order with their replicas: tablets, or vnode ranges split at the wrap. */
function computeSegments(cluster: Cluster, ks: KeyspaceMeta, table: TableMeta): Segment[] {
  const out: Segment[] = [];
  if (table.tablets) {
    const t = table.tablets;
    for (let i = 0; i < t.lastTokens.length; i++) {
      const { firstToken, lastToken } = tabletRange(t.lastTokens, i);
      const reps = t.replicas[i].map((r) => ({ node: cluster.nodes[r.node], shard: r.shard }));
      out.push({ lo: i === 0 ? null : firstToken, hi: lastToken, replicas: reps });
    }
    // a tablet replica lives on one shard: read only that shard
    return out.map((s) => ({ ...s, shardOnly: undefined }));
  }
  const tokens = cluster.ring.tokens;
  const n = tokens.length;
  const reps = (i: number): Replica[] => cluster.ring.replicasOfRange(i, ks.strategy, ks.strategyKey).map((x) => ({ node: cluster.nodes[x], shard: -1 }));
  out.push({ lo: null, hi: tokens[0], replicas: reps(0) });
  for (let i = 1; i < n; i++) out.push({ lo: tokens[i - 1], hi: tokens[i], replicas: reps(i) });
  if (tokens[n - 1] < INT64_MAX) out.push({ lo: tokens[n - 1], hi: INT64_MAX, replicas: reps(0) });
  return out;
}
