/**
 * Where a token's replicas are (Scylla's locator/): vnode ranges through the ring and the
 * keyspace's replication strategy, or the table's tablet replica list. A replica names its node
 * and the shard that owns the token there.
 */
import type { TokenHalves } from '../routing/murmur3.js';
import { shardOfHalves, tabletIndexOf } from '../routing/sharding.js';
import type { Cluster, Replica } from './cluster.js';
import type { KeyspaceMeta, TableMeta } from './schema.js';

/** Replicas of a token of `table` (`h`: the token's halves). Do not mutate the result. */
export function replicasOf(cluster: Cluster, table: TableMeta, ks: KeyspaceMeta, token: bigint, h: TokenHalves): readonly Replica[] {
  if (table.tablets) {
    const i = tabletIndexOf(table.tablets.lastTokens, token);
    return table.tablets.replicas[i].map((r) => ({ node: cluster.nodes[r.node], shard: r.shard }));
  }
  const shards = cluster.options.shards;
  const shard = shardOfHalves(h.hi, h.lo, shards);
  const range = cluster.ring.rangeIndexOf(token);
  let perRange = cluster.replicaCache.get(ks.strategyKey);
  if (!perRange) cluster.replicaCache.set(ks.strategyKey, (perRange = []));
  const slot = range * shards + shard;
  let out = perRange[slot];
  if (!out) {
    const idx = cluster.ring.replicasOfRange(range, ks.strategy, ks.strategyKey);
    out = idx.map((n) => ({ node: cluster.nodes[n], shard }));
    perRange[slot] = out;
  }
  return out;
}
