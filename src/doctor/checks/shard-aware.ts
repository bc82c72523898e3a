/**
 * Shard awareness from here (scylla-reference.md §1): each node advertises sharding in
 * SUPPORTED (SCYLLA_NR_SHARDS, the algorithm, SCYLLA_SHARD_AWARE_PORT) and its shard-aware port
 * is reachable from this machine with the shard chosen by the source port (port mod shards).
 * A connection that lands on another shard than its source port asked for means a NAT rewrites
 * ports between here and the node: drivers then give up the shard-aware port (python driver
 * for 10 minutes, gocql and rust for 5) and fall back to the regular port's placement.
 */
import { Connection } from '../../cql/connection.js';
import { describeError } from '../../cql/errors.js';
import type { NodeView } from '../cluster.js';
import type { DoctorContext } from '../context.js';
import { GUIDANCE, type Finding } from '../types.js';

const LOCAL_PORT_LOW = 49152;
const LOCAL_PORT_HIGH = 65535;

/** Opens a connection from a source port p ≡ shard (mod n); tries other ports when one is taken. */
async function connectToShard(ctx: DoctorContext, node: NodeView, port: number, shard: number, n: number): Promise<Connection> {
  const alignedLow = Math.ceil(LOCAL_PORT_LOW / n) * n;
  const slots = Math.floor((LOCAL_PORT_HIGH - 1 - alignedLow - shard) / n) + 1;
  let last: unknown;
  for (let attempt = 0; attempt < 8; attempt++) {
    const localPort = alignedLow + shard + n * Math.floor(Math.random() * slots);
    try {
      return await Connection.connect({ ...ctx.cluster.connectionOptions(node.address, port), localPort });
    } catch (e) {
      last = e;
      if (!/EADDRINUSE|already in use/.test(describeError(e))) throw e;
    }
  }
  throw last;
}

export async function checkShardAware(ctx: DoctorContext): Promise<Finding[]> {
  const out: Finding[] = [];
  const check = 'shard-aware' as const;
  for (const node of ctx.cluster.nodes) {
    const subject = `node ${node.label}`;
    if (!node.conn) {
      out.push({
        check, subject, status: 'FAIL', summary: 'node not reachable from here on its CQL port',
        evidence: [{ source: node.label, detail: node.connectError ?? 'no connection' }],
        fix: 'open the CQL port (and the shard-aware port) from the clients to every node, or fix its broadcast_rpc_address',
        guidance: GUIDANCE.redLineShardAware,
      });
      continue;
    }
    const supported = node.conn.supported;
    const keys = [...supported.keys()].filter((k) => k.startsWith('SCYLLA_')).sort();
    if (keys.length === 0) {
      out.push({
        check, subject, status: 'SKIP', summary: 'not Scylla: SUPPORTED carries no SCYLLA_ keys, there are no shards to be aware of',
        evidence: [{ source: `${node.label} SUPPORTED`, detail: `keys ${[...supported.keys()].sort().join(', ') || '(none)'}` }],
      });
      continue;
    }
    const sh = node.conn.sharding;
    if (!sh) {
      out.push({
        check, subject, status: 'FAIL', summary: 'Scylla does not advertise sharding: no client can route a request to the shard that owns it',
        evidence: [{ source: `${node.label} SUPPORTED`, detail: `no SCYLLA_NR_SHARDS (Scylla keys: ${keys.join(', ')})` }],
        fix: 'set enable_shard_aware_drivers: true in scylla.yaml (the default) and restart the node',
        guidance: GUIDANCE.redLineShardAware,
      });
      continue;
    }
    const tls = ctx.cluster.options.tls !== undefined;
    const port = tls ? sh.shardAwarePortSsl : sh.shardAwarePort;
    const adv = `SCYLLA_NR_SHARDS=${sh.nrShards}, SCYLLA_SHARDING_ALGORITHM=${sh.algorithm}, SCYLLA_SHARDING_IGNORE_MSB=${sh.ignoreMsb}, SCYLLA_SHARD_AWARE_PORT${tls ? '_SSL' : ''}=${port ?? 'absent'}`;
    const evidence = [{ source: `${node.label} SUPPORTED`, detail: adv }];
    if (port === undefined) {
      out.push({
        check, subject, status: 'WARN', summary: `shard-aware port not advertised${tls ? ' for TLS' : ''}: drivers open connections on the regular port until every shard has one`,
        evidence,
        fix: `set native_shard_aware_transport_port${tls ? '_ssl' : ''}: ${tls ? 19142 : 19042} in scylla.yaml (drivers then pick each connection's shard by its source port)`,
        guidance: GUIDANCE.redLineShardAware,
      });
      continue;
    }
    const n = sh.nrShards;
    // two shards, so a NAT that happens to keep one port's residue is still caught
    const wanted = n === 1 ? [0] : [...new Set([1 % n, n - 1])];
    const landed: { want: number; got: number | null; localPort?: number }[] = [];
    let refused: string | null = null;
    for (const want of wanted) {
      let c: Connection | undefined;
      try {
        c = await connectToShard(ctx, node, port, want, n);
        landed.push({ want, got: c.sharding?.shard ?? null, localPort: c.localPort });
      } catch (e) {
        refused = describeError(e);
        break;
      } finally {
        await c?.close().catch(() => undefined);
      }
    }
    const host = node.label.replace(/:\d+$/, '');
    if (refused !== null) {
      out.push({
        check, subject, status: 'FAIL', summary: `shard-aware port ${port} advertised but not reachable from here`,
        evidence: [...evidence, { source: `${host}:${port}`, detail: refused }],
        fix: `open TCP ${port} from the clients to the node (firewall, security group, container port mapping)`,
        guidance: GUIDANCE.redLineShardAware,
      });
      continue;
    }
    const probes = landed.map((l) => `source port ${l.localPort} asked shard ${l.want}, SCYLLA_SHARD=${l.got}`).join('; ');
    const nat = landed.some((l) => l.got !== l.want);
    if (nat) {
      out.push({
        check, subject, status: 'WARN', summary: `NAT detected: connections to port ${port} land on another shard than their source port asks`,
        evidence: [...evidence, { source: `${host}:${port}`, detail: probes }],
        fix: 'reach the nodes without port-rewriting NAT (drivers disable the shard-aware port for minutes and fall back to the regular port)',
        guidance: GUIDANCE.redLineShardAware,
      });
      continue;
    }
    out.push({
      check, subject, status: 'PASS',
      summary: n === 1
        ? `sharding advertised (1 shard), shard-aware port ${port} reachable (with one shard a NAT cannot be told apart)`
        : `sharding advertised (${n} shards), shard-aware port ${port} reachable, connections land on the shard asked for`,
      evidence: [...evidence, { source: `${host}:${port}`, detail: probes }],
    });
  }
  return out;
}
