/**
 * The live cluster as `doctor` sees it: one connection per node (system.clients and the
 * large-data tables are node-local in Scylla, so each node is asked for its own), discovered
 * from the first contact point that answers through system.local / system.peers. Queries
 * never throw: each answer is rows or the error text, so one unreadable table makes one
 * finding say so instead of ending the whole run.
 */
import { Connection, type ConnectionOptions, type Credentials, type TlsOptions } from '../cql/connection.js';
import { AuthenticationError, ConnectError, describeError } from '../cql/errors.js';
import { decodeRows } from '../cql/rows.js';

export interface NodeView {
  /** The address the node gives for clients (rpc_address, else its peer address). */
  address: string;
  port: number;
  datacenter: string | null;
  rack: string | null;
  /** An open connection to the node, or why there is none. */
  conn: Connection | null;
  connectError: string | null;
  /** `host:port` as the findings name it. */
  label: string;
}

export type Rows = Record<string, unknown>[];
export type Answer = { ok: true; rows: Rows } | { ok: false; error: string };

export interface ClusterOptions {
  contacts: { host: string; port: number }[];
  credentials?: Credentials;
  tls?: TlsOptions;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
}

/** Keyspaces the server owns: never judged as the user's data model. */
export function isSystemKeyspace(ks: string): boolean {
  return ks.startsWith('system') || ks === 'audit' || ks === 'dse_system';
}

export class ClusterView {
  private constructor(readonly nodes: NodeView[], readonly contact: NodeView, readonly options: ClusterOptions) {}

  /** Scylla = the contact's SUPPORTED carried Scylla keys (sharding or any SCYLLA_ extension). */
  get scylla(): boolean {
    return [...(this.contact.conn?.supported.keys() ?? [])].some((k) => k.startsWith('SCYLLA_'));
  }

  /**
   * Connects to the first contact point that answers, discovers the nodes, and opens one
   * connection to each of the others. Throws (one line naming every host tried) only when no
   * contact point answers.
   */
  static async open(o: ClusterOptions): Promise<ClusterView> {
    const base = (host: string, port: number): ConnectionOptions => ({
      host, port, credentials: o.credentials, tls: o.tls, connectTimeoutMs: o.connectTimeoutMs,
      requestTimeoutMs: o.requestTimeoutMs, maxInFlight: 64,
    });
    const failures: string[] = [];
    let contactConn: Connection | undefined;
    let contactEp: { host: string; port: number } | undefined;
    for (const ep of o.contacts) {
      try {
        contactConn = await Connection.connect(base(ep.host, ep.port));
        contactEp = ep;
        break;
      } catch (e) {
        failures.push(connectFailure(e));
      }
    }
    if (!contactConn || !contactEp) throw new ClusterUnreachable(failures.join('; '));
    const local = await answer(contactConn, "SELECT data_center, rack, rpc_address, broadcast_address FROM system.local WHERE key='local'");
    const peers = await answer(contactConn, 'SELECT peer, data_center, rack, rpc_address FROM system.peers');
    const lr = local.ok ? local.rows[0] ?? {} : {};
    const contact: NodeView = {
      address: contactEp.host, port: contactEp.port, datacenter: str(lr.data_center), rack: str(lr.rack),
      conn: contactConn, connectError: null, label: contactConn.endpoint,
    };
    const nodes: NodeView[] = [contact];
    // peers in address order: reports read the same from one run to the next
    const peerRows = (peers.ok ? peers.rows : []).sort((a, b) => String(a.peer).localeCompare(String(b.peer), 'en', { numeric: true }));
    for (const p of peerRows) {
      const rpc = str(p.rpc_address);
      const address = rpc && rpc !== '0.0.0.0' && rpc !== '::' ? rpc : str(p.peer) ?? '';
      if (!address || nodes.some((n) => n.address === address)) continue;
      nodes.push({
        address, port: contactEp.port, datacenter: str(p.data_center), rack: str(p.rack), conn: null, connectError: null,
        label: `${address.includes(':') ? `[${address}]` : address}:${contactEp.port}`,
      });
    }
    await Promise.all(nodes.filter((n) => n !== contact).map(async (n) => {
      try {
        n.conn = await Connection.connect(base(n.address, n.port));
      } catch (e) {
        n.connectError = connectFailure(e);
      }
    }));
    return new ClusterView(nodes, contact, o);
  }

  /** A query on the contact connection (cluster-wide tables: system_schema.*, service levels). */
  query(cql: string): Promise<Answer> {
    return answer(this.contact.conn!, cql);
  }

  /** A query on one node's own connection (node-local tables: system.clients, system.large_*). */
  queryNode(node: NodeView, cql: string): Promise<Answer> {
    if (!node.conn) return Promise.resolve({ ok: false, error: node.connectError ?? 'no connection' });
    return answer(node.conn, cql);
  }

  /** Local ports of the connections this process holds open on `node` (to leave them out of system.clients). */
  ownPorts(node: NodeView): Set<number> {
    const p = node.conn?.localPort;
    return new Set(p === undefined ? [] : [p]);
  }

  /** Options for an extra connection to a node (the shard-aware port probes). */
  connectionOptions(host: string, port: number): ConnectionOptions {
    const o = this.options;
    return { host, port, credentials: o.credentials, tls: o.tls, connectTimeoutMs: o.connectTimeoutMs, requestTimeoutMs: o.requestTimeoutMs, maxInFlight: 8 };
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.conn?.close().catch(() => undefined)));
  }
}

/** A failed connect as one line naming host:port (these errors carry it; their kind adds nothing). */
function connectFailure(e: unknown): string {
  return e instanceof ConnectError || e instanceof AuthenticationError ? e.message : describeError(e);
}

/** No contact point answered: the CLI exits 2 with this one line. */
export class ClusterUnreachable extends Error {
  override name = 'ClusterUnreachable';
}

export async function answer(c: Connection, cql: string): Promise<Answer> {
  try {
    const r = await c.query(cql);
    return { ok: true, rows: r.kind === 'rows' ? decodeRows(r) : [] };
  } catch (e) {
    return { ok: false, error: describeError(e) };
  }
}

export function str(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  return String(v);
}

export function num(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  const n = typeof v === 'bigint' ? Number(v) : Number(v);
  return Number.isFinite(n) ? n : null;
}

/** A text→text map column (replication, compaction) as a plain object. */
export function textMap(v: unknown): Record<string, string> {
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), String(x)]));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
  return {};
}

/** The server has no such table (an older Scylla, or the emulator): no grant would help. */
export function missingTable(error: string): boolean {
  return /unconfigured table|does not exist|unknown table/i.test(error);
}
