/**
 * The token ring and replica placement: SimpleStrategy and NetworkTopologyStrategy (rack-aware),
 * computed the way Cassandra and Scylla do, so a client routing with this ring picks the same
 * replicas the server considers natural. Shared by the emulator and (later) the client router.
 */

export interface RingNode {
  /** Stable index of the node in the cluster (also its position in `nodes`). */
  index: number;
  address: string;
  datacenter: string;
  rack: string;
  /** vnode tokens owned by this node. */
  tokens: readonly bigint[];
}

export type ReplicationStrategy =
  | { kind: 'simple'; replicationFactor: number }
  | { kind: 'network-topology'; datacenters: ReadonlyMap<string, number> }
  | { kind: 'local' }
  | { kind: 'everywhere' };

/**
 * Reads a keyspace replication map (`{'class': 'SimpleStrategy', 'replication_factor': '3'}`).
 * Throws a RangeError whose message is fit for an Invalid/Config_error response.
 */
export function parseReplication(options: ReadonlyMap<string, string> | Record<string, string>): ReplicationStrategy {
  const m = options instanceof Map ? options : new Map(Object.entries(options));
  const cls = m.get('class');
  if (!cls) throw new RangeError("Missing mandatory replication strategy class");
  const short = cls.slice(cls.lastIndexOf('.') + 1);
  const rf = (v: string | undefined, what: string): number => {
    if (v === undefined) throw new RangeError(`Missing replication_factor for ${what}`);
    if (!/^\d+$/.test(v.trim())) throw new RangeError(`Replication factor must be numeric and non-negative, found ${v}`);
    return Number(v.trim());
  };
  switch (short) {
    case 'SimpleStrategy': {
      for (const k of m.keys()) {
        if (k !== 'class' && k !== 'replication_factor') throw new RangeError(`Unrecognized strategy option {${k}} passed to SimpleStrategy for keyspace`);
      }
      return { kind: 'simple', replicationFactor: rf(m.get('replication_factor'), 'SimpleStrategy') };
    }
    case 'NetworkTopologyStrategy': {
      const dcs = new Map<string, number>();
      for (const [k, v] of m) if (k !== 'class') dcs.set(k, rf(v, k));
      return { kind: 'network-topology', datacenters: dcs };
    }
    case 'LocalStrategy': return { kind: 'local' };
    case 'EverywhereStrategy': return { kind: 'everywhere' };
    default: throw new RangeError(`Unable to find replication strategy class '${cls}'`);
  }
}

/** The total replication factor (capped by nothing: a factor above the node count is legal). */
export function totalReplicationFactor(s: ReplicationStrategy, nodeCount: number): number {
  switch (s.kind) {
    case 'simple': return s.replicationFactor;
    case 'network-topology': { let n = 0; for (const v of s.datacenters.values()) n += v; return n; }
    case 'local': return 1;
    case 'everywhere': return nodeCount;
  }
}

export class TokenRing {
  /** All vnode tokens, ascending. */
  readonly tokens: bigint[];
  /** owners[i] = node index owning tokens[i]. */
  readonly owners: number[];
  private readonly cache = new Map<string, number[][]>();

  constructor(readonly nodes: readonly RingNode[]) {
    const all: [bigint, number][] = [];
    for (const n of nodes) for (const t of n.tokens) all.push([t, n.index]);
    all.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    for (let i = 1; i < all.length; i++) {
      if (all[i][0] === all[i - 1][0]) throw new RangeError(`token ${all[i][0]} is owned by two nodes`);
    }
    this.tokens = all.map((x) => x[0]);
    this.owners = all.map((x) => x[1]);
  }

  /** Index of the vnode range holding `token`: the first ring token ≥ token, wrapping to 0. */
  rangeIndexOf(token: bigint): number {
    const ts = this.tokens;
    let lo = 0;
    let hi = ts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ts[mid] < token) lo = mid + 1;
      else hi = mid;
    }
    return lo === ts.length ? 0 : lo;
  }

  /** Natural replicas (node indices, primary first) of `token` under `strategy`. */
  replicasOf(token: bigint, strategy: ReplicationStrategy, strategyKey = strategyCacheKey(strategy)): readonly number[] {
    return this.replicasOfRange(this.rangeIndexOf(token), strategy, strategyKey);
  }

  /** Replicas of vnode range `i` (the range ending at tokens[i]); memoized per strategy. */
  replicasOfRange(i: number, strategy: ReplicationStrategy, strategyKey = strategyCacheKey(strategy)): readonly number[] {
    let perRange = this.cache.get(strategyKey);
    if (!perRange) {
      perRange = new Array(this.tokens.length);
      this.cache.set(strategyKey, perRange);
    }
    let r = perRange[i];
    if (!r) {
      r = this.compute(i, strategy);
      perRange[i] = r;
    }
    return r;
  }

  private compute(start: number, s: ReplicationStrategy): number[] {
    const n = this.tokens.length;
    if (n === 0) return [];
    switch (s.kind) {
      case 'local': return [];
      case 'everywhere': {
        const out: number[] = [];
        for (let k = 0; k < n && out.length < this.nodes.length; k++) {
          const o = this.owners[(start + k) % n];
          if (!out.includes(o)) out.push(o);
        }
        return out;
      }
      case 'simple': {
        const out: number[] = [];
        for (let k = 0; k < n && out.length < s.replicationFactor; k++) {
          const o = this.owners[(start + k) % n];
          if (!out.includes(o)) out.push(o);
        }
        return out;
      }
      case 'network-topology': return this.computeNts(start, s.datacenters);
    }
  }

  /**
   * NetworkTopologyStrategy: per DC, walk the ring taking nodes from racks not yet used; nodes
   * from a rack already used are set aside and taken (in ring order) once every rack of the DC
   * has a replica. Same algorithm as Cassandra's calculateNaturalReplicas.
   */
  private computeNts(start: number, dcs: ReadonlyMap<string, number>): number[] {
    const n = this.tokens.length;
    const racksPerDc = new Map<string, Set<string>>();
    const nodesPerDc = new Map<string, number>();
    for (const node of this.nodes) {
      if (!racksPerDc.has(node.datacenter)) racksPerDc.set(node.datacenter, new Set());
      racksPerDc.get(node.datacenter)!.add(node.rack);
      nodesPerDc.set(node.datacenter, (nodesPerDc.get(node.datacenter) ?? 0) + 1);
    }
    interface DcState { rf: number; replicas: number[]; seenRacks: Set<string>; skipped: number[]; rackCount: number }
    const state = new Map<string, DcState>();
    for (const [dc, rf] of dcs) {
      const nodeCount = nodesPerDc.get(dc) ?? 0;
      if (rf <= 0 || nodeCount === 0) continue;
      state.set(dc, { rf: Math.min(rf, nodeCount), replicas: [], seenRacks: new Set(), skipped: [], rackCount: racksPerDc.get(dc)!.size });
    }
    const out: number[] = [];
    const done = (): boolean => [...state.values()].every((d) => d.replicas.length >= d.rf);
    for (let k = 0; k < n && !done(); k++) {
      const nodeIdx = this.owners[(start + k) % n];
      const node = this.nodes[nodeIdx];
      const d = state.get(node.datacenter);
      if (!d || d.replicas.length >= d.rf || d.replicas.includes(nodeIdx) || d.skipped.includes(nodeIdx)) continue;
      if (d.seenRacks.size === d.rackCount) {
        d.replicas.push(nodeIdx);
        out.push(nodeIdx);
      } else if (d.seenRacks.has(node.rack)) {
        d.skipped.push(nodeIdx);
      } else {
        d.replicas.push(nodeIdx);
        out.push(nodeIdx);
        d.seenRacks.add(node.rack);
        if (d.seenRacks.size === d.rackCount) {
          for (const sk of d.skipped) {
            if (d.replicas.length >= d.rf) break;
            d.replicas.push(sk);
            out.push(sk);
          }
        }
      }
    }
    return out;
  }
}

export function strategyCacheKey(s: ReplicationStrategy): string {
  switch (s.kind) {
    case 'simple': return `s${s.replicationFactor}`;
    case 'network-topology': return `n${[...s.datacenters].sort().map(([k, v]) => `${k}:${v}`).join(',')}`;
    default: return s.kind;
  }
}

/**
 * Deterministic vnode tokens for `nodeCount` nodes × `vnodesPerNode`, from a seed (splitmix64),
 * so a cluster started twice with the same seed has the same ring. Duplicates are redrawn.
 */
export function generateTokens(nodeCount: number, vnodesPerNode: number, seed = 1): bigint[][] {
  let state = BigInt.asUintN(64, BigInt(seed) * 0x9e3779b97f4a7c15n + 0x632be59bd9b4e019n);
  const next = (): bigint => {
    state = BigInt.asUintN(64, state + 0x9e3779b97f4a7c15n);
    let z = state;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    return BigInt.asIntN(64, z ^ (z >> 31n));
  };
  const seen = new Set<bigint>();
  const out: bigint[][] = [];
  for (let n = 0; n < nodeCount; n++) {
    const ts: bigint[] = [];
    while (ts.length < vnodesPerNode) {
      const t = next();
      // the minimum token is reserved (it sorts before every key)
      if (t === -(1n << 63n) || seen.has(t)) continue;
      seen.add(t);
      ts.push(t);
    }
    ts.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    out.push(ts);
  }
  return out;
}
