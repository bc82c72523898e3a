/**
 * `system.clients` as Scylla serves it (db/virtual_tables.cc `clients_table`, filled by
 * transport/server.cc `make_client_data`): one row per CQL connection the node accepted, on
 * every shard. Node-local: a query lists the connections of the node that coordinates it.
 *
 * - `driver_name` / `driver_version`: STARTUP's DRIVER_NAME / DRIVER_VERSION, null when the
 *   client sent none; `client_options`: every STARTUP option.
 * - `connection_stage`: ESTABLISHED until STARTUP, AUTHENTICATING during SASL, READY after.
 * - `username`: the login, `anonymous` before (or without) authentication.
 * - `scheduling_group`: `sl:<level>` of the login's service level (attached level, else
 *   `sl:default`). Scylla 2025.1+ also keeps a control connection that ran only metadata
 *   queries in `sl:driver`; the emulator runs those queries under `driver` per request instead.
 * - No TLS in the emulator: `ssl_enabled` false, `ssl_protocol` / `ssl_cipher_suite` null;
 *   `hostname` null (Scylla does not fill it either).
 */
import type { SimNode } from './cluster.js';

export type ConnectionStage = 'ESTABLISHED' | 'AUTHENTICATING' | 'READY';

/** One accepted connection, as the transport layer keeps it up to date. */
export interface ClientRecord {
  address: string;
  port: number;
  shardId: number;
  stage: ConnectionStage;
  protocolVersion: number | null;
  /** STARTUP options (null before STARTUP) */
  options: Map<string, string> | null;
  username: string | undefined;
  /** the service level the session runs under now */
  levelName: () => string;
}

const byNode = new WeakMap<SimNode, Set<ClientRecord>>();

/** Registers a connection on `node`; the returned function removes it (on close). */
export function registerClient(node: SimNode, rec: ClientRecord): () => void {
  let set = byNode.get(node);
  if (!set) byNode.set(node, (set = new Set()));
  set.add(rec);
  return () => { set.delete(rec); };
}

/** The node's rows of system.clients (the SELECT engine orders and filters them). */
export function clientTableRows(node: SimNode): Record<string, unknown>[] {
  return [...(byNode.get(node) ?? [])].map((c) => ({
    address: c.address, port: c.port, client_type: 'cql', shard_id: c.shardId, connection_stage: c.stage,
    driver_name: c.options?.get('DRIVER_NAME') ?? null, driver_version: c.options?.get('DRIVER_VERSION') ?? null,
    hostname: null, protocol_version: c.protocolVersion, ssl_cipher_suite: null, ssl_enabled: false, ssl_protocol: null,
    username: c.username ?? 'anonymous', scheduling_group: `sl:${c.levelName()}`,
    client_options: c.options ?? new Map<string, string>(),
  }));
}
