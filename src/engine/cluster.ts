/**
 * Cluster discovery through one control connection: nodes (system.local + system.peers),
 * their tokens, datacenters and racks, the partitioner, and the sharding facts from SUPPORTED.
 * The result is plain data (tokens as decimal strings) so it can cross worker boundaries and
 * land in result.json.
 */
import { Connection, type ConnectionOptions } from '../cql/connection.js';
import { decodeRows } from '../cql/rows.js';
import type { RowsResult } from '../cql/messages.js';
import type { ClusterFacts, ClusterNodeFacts } from '../results/result.js';
import { TokenRing, parseReplication, type ReplicationStrategy, type RingNode } from '../routing/ring.js';

export type { ClusterFacts, ClusterNodeFacts } from '../results/result.js';

function rowsOf(r: unknown): Record<string, unknown>[] {
  return (r as RowsResult).kind === 'rows' ? decodeRows(r as RowsResult) : [];
}

export async function discoverCluster(contact: { host: string; port: number }, opts: Omit<ConnectionOptions, 'host' | 'port'>): Promise<{ facts: ClusterFacts; control: Connection }> {
  const control = await Connection.connect({ ...opts, host: contact.host, port: contact.port });
  const local = rowsOf(await control.query("SELECT * FROM system.local WHERE key='local'"))[0] ?? {};
  const peers = rowsOf(await control.query('SELECT * FROM system.peers'));
  const nodes: ClusterNodeFacts[] = [];
  const mk = (host: string, r: Record<string, unknown>): ClusterNodeFacts => ({
    index: nodes.length,
    host,
    port: contact.port,
    datacenter: (r.data_center as string) ?? 'datacenter1',
    rack: (r.rack as string) ?? 'rack1',
    hostId: (r.host_id as string) ?? null,
    releaseVersion: (r.release_version as string) ?? null,
    tokens: ((r.tokens as string[]) ?? []).slice(),
  });
  nodes.push(mk(contact.host, local));
  for (const p of peers) {
    const rpc = p.rpc_address as string | null;
    const host = !rpc || rpc === '0.0.0.0' || rpc === '::' ? (p.peer as string) : rpc;
    if (!host) continue;
    nodes.push(mk(host, p));
  }
  const s = control.sharding;
  return {
    control,
    facts: {
      clusterName: (local.cluster_name as string) ?? null,
      partitioner: (local.partitioner as string) ?? null,
      releaseVersion: (local.release_version as string) ?? null,
      scylla: !!s,
      nrShards: s?.nrShards ?? null,
      ignoreMsb: s?.ignoreMsb ?? null,
      shardAwarePort: s?.shardAwarePort ?? null,
      extensions: [...control.extensions],
      supportedKeys: [...control.supported.keys()],
      nodes,
    },
  };
}

export function ringOf(facts: ClusterFacts): TokenRing {
  const nodes: RingNode[] = facts.nodes.map((n) => ({
    index: n.index, address: n.host, datacenter: n.datacenter, rack: n.rack, tokens: n.tokens.map((t) => BigInt(t)),
  }));
  return new TokenRing(nodes);
}

/** The replication strategy of a keyspace, read from system_schema. */
export async function keyspaceStrategy(control: Connection, keyspace: string): Promise<ReplicationStrategy> {
  const r = rowsOf(await control.query('SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?', [keyspace]))[0];
  if (!r) throw new Error(`keyspace ${keyspace} not found in system_schema.keyspaces`);
  return parseReplication(r.replication as Map<string, string>);
}
