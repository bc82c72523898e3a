/**
 * Picks the connection for a request and tells what it knows about it: the node, the shard
 * that owns the token (from the sharding formula, or from the tablet cache), and the shard of
 * the connection used. The engine counts requests per (node, shard) and misroutes from this,
 * without asking the server. The returned Route is reused: read it before routing again.
 *
 *   shard-aware : a replica node, the connection on the owner shard;
 *   token-aware : the same replica node, any of its connections (what stock drivers do);
 *   round-robin : any node, any connection.
 *
 * Nodes whose pool has no live connection are skipped: a token's other replicas take its
 * requests (the Route says `fallback`, and `stats.fallbacks` counts them), round-robin passes
 * over them, and when no node at all is up routing throws NoHostAvailableError at once.
 */
import type { Connection } from '../cql/connection.js';
import { NoHostAvailableError } from '../cql/errors.js';
import { halvesToToken } from './murmur3.js';
import type { NodePool } from './pool.js';
import type { ReplicationStrategy, TokenRing } from './ring.js';
import { strategyCacheKey } from './ring.js';
import { shardOfHalves } from './sharding.js';
import type { TabletCache } from './tablets.js';

export type RouterMode = 'shard-aware' | 'token-aware' | 'round-robin';

export interface Route {
  conn: Connection;
  node: number;
  /** Owner shard of the token on that node; -1 when unknown (no routing key, or not Scylla). */
  ownerShard: number;
  /** Shard of the connection used; -1 when the server is not sharded. */
  connShard: number;
  /**
   * The replica routing would have picked was down, so another node took the request (a replica
   * of the token when one is up, else any live node).
   */
  fallback: boolean;
}

export interface RouterStats {
  /** Routes with `fallback` set. */
  fallbacks: number;
  /** Routing attempts that found no live node (NoHostAvailableError). */
  noHost: number;
}

export interface KeyspaceRouting {
  strategy: ReplicationStrategy;
  strategyKey: string;
  tablets: boolean;
}

export class Router {
  private rrNode = 0;
  private readonly hostIdToNode = new Map<string, number>();
  /** Ring tokens as signed hi / unsigned lo halves: the per-request lookup needs no BigInt. */
  private readonly ringHi: Int32Array;
  private readonly ringLo: Uint32Array;
  /**
   * The route handed out, mutated per request: callers read it before routing again. Saves an
   * allocation per request on the hot path.
   */
  private readonly out: Route = { conn: undefined as unknown as Connection, node: 0, ownerShard: -1, connShard: -1, fallback: false };
  readonly stats: RouterStats = { fallbacks: 0, noHost: 0 };

  constructor(
    readonly mode: RouterMode,
    /** pools[i] belongs to ring node i; null where the node is down or not connected. */
    readonly pools: (NodePool | null)[],
    readonly ring: TokenRing,
    hostIds: (string | undefined)[],
    readonly tabletCache?: TabletCache,
    /** Datacenter of each node (by index) and the local one: replicas there are preferred. */
    private readonly nodeDc: string[] = [],
    private readonly localDc?: string,
  ) {
    hostIds.forEach((h, i) => { if (h) this.hostIdToNode.set(h, i); });
    const n = ring.tokens.length;
    this.ringHi = new Int32Array(n);
    this.ringLo = new Uint32Array(n);
    ring.tokens.forEach((t, i) => {
      const u = BigInt.asUintN(64, t);
      this.ringHi[i] = Number(u >> 32n) | 0;
      this.ringLo[i] = Number(u & 0xffffffffn);
    });
  }

  /** Index of the vnode range holding the token: the first ring token ≥ it, wrapping to 0. */
  private rangeIndexOfHalves(hi: number, lo: number): number {
    const h = hi | 0;
    const l = lo >>> 0;
    const rh = this.ringHi;
    const rl = this.ringLo;
    let a = 0;
    let b = rh.length;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (rh[mid] < h || (rh[mid] === h && rl[mid] < l)) a = mid + 1;
      else b = mid;
    }
    return a === rh.length ? 0 : a;
  }

  static keyspace(strategy: ReplicationStrategy, tablets = false): KeyspaceRouting {
    return { strategy, strategyKey: strategyCacheKey(strategy), tablets };
  }

  routeHalves(hi: number, lo: number, ks: KeyspaceRouting, replicaPick: number, table?: string): Route {
    if (this.mode === 'round-robin') return this.routeAny();
    if (ks.tablets && table && this.tabletCache && this.tabletCache.size(table) > 0) {
      const t = this.tabletCache.lookup(table, halvesToToken(hi, lo));
      if (t && t.replicas.length > 0) {
        // the replica this pick prefers, else the next live one in order
        const n = t.replicas.length;
        for (let i = 0; i < n; i++) {
          const r = t.replicas[(replicaPick + i) % n];
          const node = this.hostIdToNode.get(r.hostId);
          if (node !== undefined && this.pools[node]?.healthy) return this.onNode(node, r.shard, i > 0);
        }
        return this.fallbackAny();
      }
    }
    const replicas = this.ring.replicasOfRange(this.rangeIndexOfHalves(hi, lo), ks.strategy, ks.strategyKey);
    let node = -1;
    let skippedDown = false;
    // local-datacenter replicas first (spread by replicaPick), remote ones only when none is up
    for (let pass = 0; pass < 2 && node < 0; pass++) {
      for (let i = 0; i < replicas.length; i++) {
        const cand = replicas[(replicaPick + i) % replicas.length];
        const local = this.localDc === undefined || this.nodeDc[cand] === undefined || this.nodeDc[cand] === this.localDc;
        if ((pass === 0) !== local) continue;
        if (this.pools[cand]?.healthy) { node = cand; break; }
        skippedDown = true;
      }
    }
    if (node < 0) return this.fallbackAny();
    const pool = this.pools[node]!;
    // Under vnodes the owner shard depends on the token only; for a tablets table whose tablet
    // we have not learned yet, this is a guess that the payload will correct.
    const owner = pool.sharding ? shardOfHalves(hi, lo, pool.sharding.nrShards, pool.sharding.ignoreMsb) : -1;
    return this.onNode(node, owner, skippedDown);
  }

  private onNode(node: number, ownerShard: number, fallback: boolean): Route {
    const pool = this.pools[node]!;
    const conn = this.mode === 'shard-aware' && ownerShard >= 0 ? pool.forShard(ownerShard) : pool.any();
    const r = this.out;
    r.conn = conn;
    r.node = node;
    r.ownerShard = ownerShard;
    r.connShard = conn.sharding ? conn.sharding.shard : -1;
    r.fallback = fallback;
    if (fallback) this.stats.fallbacks++;
    return r;
  }

  /** Every replica of the token is down: any live node coordinates (a fallback). */
  private fallbackAny(): Route {
    const r = this.routeAny();
    r.fallback = true;
    this.stats.fallbacks++;
    return r;
  }

  /** No routing key: round-robin over live nodes and their connections. */
  routeAny(): Route {
    for (let i = 0; i < this.pools.length; i++) {
      const n = (this.rrNode + i) % this.pools.length;
      const pool = this.pools[n];
      if (pool?.healthy) {
        this.rrNode = (n + 1) % this.pools.length;
        const conn = pool.any();
        const r = this.out;
        r.conn = conn;
        r.node = n;
        r.ownerShard = -1;
        r.connShard = conn.sharding ? conn.sharding.shard : -1;
        r.fallback = false;
        return r;
      }
    }
    this.stats.noHost++;
    const hosts = this.pools.map((p, i) => (p ? `${p.host}:${p.options.port}` : `node ${i}`)).join(', ');
    throw new NoHostAvailableError(`no live connection to any node (${hosts || 'none known'})`);
  }
}
