/**
 * Which connected clients are not shard-aware, from each node's `system.clients` (Scylla: one
 * row per CQL connection with `shard_id`, `driver_name`, `driver_version`, `scheduling_group`).
 * Scylla does not record shard awareness itself; two facts tell it:
 * - the driver: Scylla's drivers (python, gocql, rust, java, cpp-rs…) name themselves "Scylla…";
 *   the DataStax and Apache drivers route to a node, never to a shard;
 * - the connections: a shard-aware driver keeps one (or k) per shard of every node it uses,
 *   so a client with fewer shards covered than the node has cannot reach every shard directly.
 */
import type { ClusterView, Rows } from '../cluster.js';
import { missingTable, num, str } from '../cluster.js';
import type { DoctorContext } from '../context.js';
import { GUIDANCE, type Finding } from '../types.js';

export interface ClientRow {
  address: string;
  port: number;
  clientType: string;
  shardId: number | null;
  driverName: string | null;
  driverVersion: string | null;
  username: string | null;
  schedulingGroup: string | null;
}

export interface NodeClients {
  /** The node as findings name it. */
  node: string;
  nrShards: number;
  /** Where the rows came from (`host:port system.clients`). */
  source: string;
  rows: ClientRow[];
}

export const CLIENTS_QUERY = 'SELECT address, port, client_type, shard_id, driver_name, driver_version, username, scheduling_group FROM system.clients';

export function clientRows(rows: Rows): ClientRow[] {
  return rows.map((r) => ({
    address: str(r.address) ?? '?', port: num(r.port) ?? 0, clientType: str(r.client_type) ?? 'cql', shardId: num(r.shard_id),
    driverName: str(r.driver_name), driverVersion: str(r.driver_version), username: str(r.username), schedulingGroup: str(r.scheduling_group),
  }));
}

const SCYLLA_DRIVER = /scylla/i;

/** The verdict per client (address, driver, version, user) over every node it is connected to. */
export function judgeClients(nodes: readonly NodeClients[]): Finding[] {
  const check = 'clients' as const;
  interface Acc { address: string; driver: string | null; version: string | null; user: string | null; perNode: Map<string, { n: number; shards: Set<number>; perShard: number[]; conns: number; source: string }>; groups: Set<string> }
  const clients = new Map<string, Acc>();
  for (const nc of nodes) {
    for (const r of nc.rows) {
      if (r.clientType !== 'cql') continue;
      const key = [r.address, r.driverName ?? '', r.driverVersion ?? '', r.username ?? ''].join('\u0000');
      let a = clients.get(key);
      if (!a) { a = { address: r.address, driver: r.driverName, version: r.driverVersion, user: r.username, perNode: new Map(), groups: new Set() }; clients.set(key, a); }
      let pn = a.perNode.get(nc.node);
      if (!pn) { pn = { n: nc.nrShards, shards: new Set(), perShard: new Array<number>(nc.nrShards).fill(0), conns: 0, source: nc.source }; a.perNode.set(nc.node, pn); }
      pn.conns++;
      if (r.shardId !== null) {
        pn.shards.add(r.shardId);
        pn.perShard[r.shardId] = (pn.perShard[r.shardId] ?? 0) + 1;
      }
      if (r.schedulingGroup) a.groups.add(r.schedulingGroup);
    }
  }
  const out: Finding[] = [];
  for (const a of clients.values()) {
    const name = `${a.driver ?? 'unnamed driver'}${a.version ? ` ${a.version}` : ''}`;
    const subject = `client ${a.address} (${name}${a.user ? `, user ${a.user}` : ''})`;
    const evidence = [...a.perNode].map(([node, pn]) => ({
      source: pn.source,
      detail: `${node}: ${pn.conns} connection${pn.conns === 1 ? '' : 's'}, per shard [${Array.from(pn.perShard, (x) => x ?? 0).join(', ')}] (${pn.shards.size} of ${pn.n} shards)${a.groups.size ? `; scheduling group ${[...a.groups].sort().join(', ')}` : ''}`,
    }));
    const uncovered = [...a.perNode].filter(([, pn]) => pn.shards.size < pn.n);
    const scyllaDriver = a.driver !== null && SCYLLA_DRIVER.test(a.driver);
    const knownOther = a.driver !== null && a.driver.trim() !== '' && !scyllaDriver;
    if (knownOther) {
      out.push({
        check, subject, status: 'FAIL',
        summary: `not shard-aware: ${name} routes to nodes, never to shards${uncovered.length ? `, and reaches only some shards of ${uncovered.length} node(s)` : ''}`,
        evidence,
        fix: 'use a Scylla shard-aware driver (scylla python-driver, scylladb/gocql, scylla-rust-driver, scylla java-driver): a request then lands on the core that owns its token',
        guidance: GUIDANCE.redLineShardAware,
      });
    } else if (uncovered.length > 0) {
      out.push({
        check, subject, status: scyllaDriver ? 'WARN' : 'FAIL',
        summary: scyllaDriver
          ? `a Scylla driver with fewer connections than shards on ${uncovered.length} node(s): its pool is not full (shard-aware port blocked, or still connecting)`
          : `likely not shard-aware: no driver name, and connections reach only some shards of ${uncovered.length} node(s)`,
        evidence,
        fix: scyllaDriver
          ? 'check that the shard-aware port (19042) is reachable from this client and that no NAT rewrites source ports'
          : 'use a Scylla shard-aware driver: one connection per shard, each request sent to the shard that owns its token',
        guidance: GUIDANCE.redLineShardAware,
      });
    } else if (!scyllaDriver) {
      out.push({
        check, subject, status: 'WARN', summary: 'connections cover every shard, but the client names no driver: shard awareness cannot be told',
        evidence, fix: 'have the driver send DRIVER_NAME in STARTUP (every maintained driver does), or confirm it is a Scylla driver',
        guidance: GUIDANCE.redLineShardAware,
      });
    } else {
      out.push({ check, subject, status: 'PASS', summary: 'a Scylla driver with a connection on every shard of every node it uses', evidence });
    }
  }
  return out;
}

/** Gathers system.clients from every node (leaving out this process's own connections) and judges it. */
export async function checkClients(ctx: DoctorContext): Promise<Finding[]> {
  const check = 'clients' as const;
  const c: ClusterView = ctx.cluster;
  if (!c.scylla) {
    return [{ check, subject: 'cluster', status: 'SKIP', summary: 'not Scylla: system.clients with shard_id exists only on Scylla', evidence: [{ source: `${c.contact.label} SUPPORTED`, detail: 'no SCYLLA_ keys' }] }];
  }
  const nodes: NodeClients[] = [];
  const out: Finding[] = [];
  for (const node of c.nodes) {
    if (!node.conn) continue;
    const source = `${node.label} system.clients`;
    const a = await c.queryNode(node, CLIENTS_QUERY);
    if (!a.ok) {
      out.push({
        check, subject: `node ${node.label}`, status: 'WARN', summary: 'cannot read system.clients: which clients are shard-aware is unknown',
        evidence: [{ source, detail: a.error }],
        fix: missingTable(a.error) ? 'this server has no system.clients with shard_id (Scylla serves it): check the clients\' drivers by hand' : 'grant SELECT on system.clients to the doctor\'s login, or run it as a superuser',
        guidance: GUIDANCE.redLineShardAware,
      });
      continue;
    }
    const own = c.ownPorts(node);
    nodes.push({ node: node.label, nrShards: node.conn.sharding?.nrShards ?? 1, source, rows: clientRows(a.rows).filter((r) => !own.has(r.port)) });
  }
  const judged = judgeClients(nodes);
  if (judged.length === 0 && out.length === 0) {
    out.push({
      check, subject: 'cluster', status: 'SKIP', summary: 'no client connected besides this doctor: nothing to judge (run it while the application or loader is connected)',
      evidence: nodes.map((n) => ({ source: n.source, detail: `${n.rows.length} other connections` })),
    });
  }
  return [...out, ...judged];
}
