/**
 * Tablets (Scylla's locator/tablets.cc): uniform tablet boundaries per table, replicas as
 * (node, shard), and the `tablets-routing-v1` payload a result carries when the request reached
 * a (node, shard) that is not one of the token's replicas.
 */
import { serialize } from '../cql/codecs.js';
import type { CqlType } from '../cql/types.js';
import { totalReplicationFactor } from '../routing/ring.js';
import { tabletIndexOf, tabletLastTokens, tabletRange } from '../routing/sharding.js';
import type { Cluster } from './cluster.js';
import type { Session } from './context.js';
import type { KeyspaceMeta, TableMeta } from './schema.js';

export const TABLETS_PAYLOAD_KEY = 'tablets-routing-v1';

const PAYLOAD_TYPE: CqlType = {
  kind: 'tuple',
  elements: [{ kind: 'bigint' }, { kind: 'bigint' }, { kind: 'list', element: { kind: 'tuple', elements: [{ kind: 'uuid' }, { kind: 'int' }] }, frozen: true }],
};

/** Lays out tablets for a new table: `count` uniform tablets, RF replicas on distinct nodes, spread over shards. */
export function assignTablets(cluster: Cluster, ks: KeyspaceMeta, table: TableMeta): void {
  const requested = ks.tablets?.initial ?? cluster.options.initialTablets;
  // Scylla rounds the tablet count up to a power of two
  let count = 1;
  while (count < requested) count *= 2;
  const nodes = cluster.nodes.length;
  const rf = Math.min(totalReplicationFactor(ks.strategy, nodes), nodes);
  const shards = cluster.options.shards;
  const replicas: { node: number; shard: number }[][] = [];
  for (let i = 0; i < count; i++) {
    const rs: { node: number; shard: number }[] = [];
    for (let k = 0; k < rf; k++) rs.push({ node: (i + k) % nodes, shard: (Math.floor(i / nodes) + k) % shards });
    replicas.push(rs);
  }
  table.tablets = { lastTokens: tabletLastTokens(count), replicas };
}

/** The payload for a result, or undefined when this (node, shard) is a replica of the token. */
export function tabletsPayload(cluster: Cluster, session: Session, table: TableMeta, token: bigint): Map<string, Buffer> | undefined {
  const t = table.tablets;
  if (!t) return undefined;
  const i = tabletIndexOf(t.lastTokens, token);
  const reps = t.replicas[i];
  if (reps.some((r) => r.node === session.node.index && r.shard === session.shard.id)) return undefined;
  const { firstToken, lastToken } = tabletRange(t.lastTokens, i);
  const value = serialize(PAYLOAD_TYPE, [firstToken, lastToken, reps.map((r) => [cluster.nodes[r.node].hostId, r.shard])])!;
  return new Map([[TABLETS_PAYLOAD_KEY, value]]);
}
