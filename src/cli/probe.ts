/**
 * `scylla-bench probe --target host:port`: connect once and print what the server is
 * (release, partitioner, sharding, extensions). The cheapest way to check a target and
 * credentials before a run.
 */
import { Connection, type ConnectionOptions } from '../cql/connection.js';
import { CqlError, describeError } from '../cql/errors.js';
import { decodeRows } from '../cql/rows.js';
import { UserError } from './exit.js';
import type { Endpoint } from './target.js';

export interface ProbeReport {
  endpoint: string;
  protocolVersion: number;
  releaseVersion: string | null;
  clusterName: string | null;
  dataCenter: string | null;
  partitioner: string | null;
  peers: number;
  sharding: { shard: number; nrShards: number; ignoreMsb: number; shardAwarePort: number | null } | null;
  supported: Record<string, string[]>;
}

export async function probe(ep: Endpoint, opts: Omit<ConnectionOptions, 'host' | 'port'>): Promise<ProbeReport> {
  let c: Connection;
  try {
    c = await Connection.connect({ ...opts, host: ep.host, port: ep.port });
  } catch (e) {
    throw new UserError(describeError(e));
  }
  try {
    const local = await c.query("SELECT release_version, cluster_name, data_center, partitioner FROM system.local WHERE key='local'");
    const peers = await c.query('SELECT peer FROM system.peers');
    const row = local.kind === 'rows' ? decodeRows(local)[0] ?? {} : {};
    return {
      endpoint: c.endpoint,
      protocolVersion: c.protocolVersion,
      releaseVersion: (row.release_version as string) ?? null,
      clusterName: (row.cluster_name as string) ?? null,
      dataCenter: (row.data_center as string) ?? null,
      partitioner: (row.partitioner as string) ?? null,
      peers: peers.kind === 'rows' ? peers.rowCount : 0,
      sharding: c.sharding
        ? { shard: c.sharding.shard, nrShards: c.sharding.nrShards, ignoreMsb: c.sharding.ignoreMsb, shardAwarePort: c.sharding.shardAwarePort ?? null }
        : null,
      supported: Object.fromEntries(c.supported),
    };
  } catch (e) {
    if (e instanceof CqlError) throw new UserError(`${c.endpoint}: ${describeError(e)}`);
    throw e;
  } finally {
    await c.close();
  }
}

export function formatProbe(r: ProbeReport): string {
  const lines = [
    `endpoint          ${r.endpoint} (protocol v${r.protocolVersion})`,
    `release_version   ${r.releaseVersion ?? '?'}`,
    `cluster / dc      ${r.clusterName ?? '?'} / ${r.dataCenter ?? '?'}`,
    `partitioner       ${r.partitioner ?? '?'}`,
    `peers             ${r.peers}`,
    r.sharding
      ? `sharding          shard ${r.sharding.shard} of ${r.sharding.nrShards}, ignore_msb ${r.sharding.ignoreMsb}, shard-aware port ${r.sharding.shardAwarePort ?? 'not advertised'}`
      : 'sharding          none (not Scylla: routing will be token-aware only)',
  ];
  return lines.join('\n');
}
