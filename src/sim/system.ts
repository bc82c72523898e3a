/**
 * System keyspaces and their virtual tables as Scylla serves them (db/system_keyspace.cc): system.local, system.peers
 * (no peers_v2), system_schema.* generated from the live schema, system_auth.roles, and a few
 * Scylla extras drivers and cqlsh read. Rows are built per query into a throwaway store, so the
 * ordinary SELECT engine applies the WHERE clause.
 */
import { randomUUID } from 'node:crypto';
import { serialize } from '../cql/codecs.js';
import { typeToCql, type CqlType } from '../cql/types.js';
import { parseType } from '../cql/parser/parser.js';
import { partitionKeyBytes, type TokenHalves } from '../routing/murmur3.js';
import type { Cluster, SimNode } from './cluster.js';
import type { Session } from './context.js';
import { clientTableRows } from './clients.js';
import { largeDataRows } from './large-data.js';
import { CDC_PARTITIONER, generationRows, tabletStreamsOf, type TabletStreams } from './cdc.js';
import { KeyspaceMeta, SCYLLA_TABLE_OPTIONS, TableMeta, type ColumnMeta, type OptionValue } from './schema.js';
import { roleAttributeRows, serviceLevelRows } from './sl-statements.js';
import { rowFor, TableStore } from './storage.js';

export const RELEASE_VERSION = '3.0.8';
export const CQL_VERSION = '3.3.1';
export const SCYLLA_VERSION = '2025.3.0';
export const PARTITIONER = 'org.apache.cassandra.dht.Murmur3Partitioner';

type VirtualRow = Record<string, unknown>;
type Generator = (cluster: Cluster, session: Session) => VirtualRow[];

export interface VirtualTable {
  table: TableMeta;
  rows: Generator;
}

const virtualTables = new WeakMap<TableMeta, Generator>();

export function virtualGenerator(t: TableMeta): Generator | undefined {
  return virtualTables.get(t);
}

/** Defines a table from `name type` lines; `pk` and `ck` list key columns. */
function define(ks: KeyspaceMeta, name: string, columns: string, pk: string[], ck: string[], rows: Generator, statics: string[] = []): void {
  const cols: ColumnMeta[] = [];
  for (const line of columns.split(',').map((s) => s.trim()).filter(Boolean)) {
    const sp = line.indexOf(' ');
    const cname = line.slice(0, sp);
    const type = parseType(line.slice(sp + 1).trim().replace(/;/g, ','));
    const pi = pk.indexOf(cname);
    // a clustering column named `x desc` is stored in descending order
    const ci = ck.findIndex((k) => k.split(' ')[0] === cname);
    cols.push({
      name: cname, type, position: pi >= 0 ? pi : ci,
      kind: pi >= 0 ? 'partition_key' : ci >= 0 ? 'clustering' : statics.includes(cname) ? 'static' : 'regular',
      desc: ci >= 0 && / desc$/i.test(ck[ci]), slot: -1,
    });
  }
  const t = new TableMeta(ks.name, name, randomUUID(), cols, new Map<string, OptionValue>([['comment', ''], ['gc_grace_seconds', 0], ['default_time_to_live', 0]]));
  ks.tables.set(name, t);
  virtualTables.set(t, rows);
}

function tokensOf(n: SimNode): string[] {
  return n.tokens.map((t) => t.toString());
}

function userKeyspaces(cluster: Cluster): KeyspaceMeta[] {
  return [...cluster.schema.keyspaces.values()];
}

function optionValueForSchema(v: OptionValue | undefined): unknown {
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [k, String(x)]));
  return v;
}

function tableOptionRow(t: TableMeta): VirtualRow {
  const o = t.options;
  const get = (k: string): unknown => optionValueForSchema(o.get(k));
  return {
    bloom_filter_fp_chance: Number(get('bloom_filter_fp_chance') ?? 0.01),
    caching: get('caching') ?? new Map(),
    comment: String(get('comment') ?? ''),
    compaction: get('compaction') ?? new Map(),
    compression: get('compression') ?? new Map(),
    crc_check_chance: Number(get('crc_check_chance') ?? 1),
    dclocal_read_repair_chance: Number(get('dclocal_read_repair_chance') ?? 0),
    default_time_to_live: Number(get('default_time_to_live') ?? 0),
    extensions: new Map(),
    gc_grace_seconds: Number(get('gc_grace_seconds') ?? 864000),
    id: t.id,
    max_index_interval: Number(get('max_index_interval') ?? 2048),
    memtable_flush_period_in_ms: Number(get('memtable_flush_period_in_ms') ?? 0),
    min_index_interval: Number(get('min_index_interval') ?? 128),
    read_repair_chance: Number(get('read_repair_chance') ?? 0),
    speculative_retry: String(get('speculative_retry') ?? '99.0PERCENTILE'),
  };
}

const TABLE_OPTION_COLUMNS = `bloom_filter_fp_chance double, caching frozen<map<text;text>>, comment text, compaction frozen<map<text;text>>,
  compression frozen<map<text;text>>, crc_check_chance double, dclocal_read_repair_chance double, default_time_to_live int,
  extensions frozen<map<text;blob>>, gc_grace_seconds int, id uuid, max_index_interval int, memtable_flush_period_in_ms int,
  min_index_interval int, read_repair_chance double, speculative_retry text`;

/** Creates system, system_schema, system_auth, system_distributed and system_traces. */
export function installSystemKeyspaces(cluster: Cluster): void {
  const ks = (name: string, replication: Record<string, string>): KeyspaceMeta => {
    const k = new KeyspaceMeta(name, new Map(Object.entries(replication)), true, undefined, true);
    cluster.schema.keyspaces.set(name, k);
    return k;
  };
  const local = { class: 'org.apache.cassandra.locator.LocalStrategy' };
  const system = ks('system', local);
  const schema = ks('system_schema', local);
  const auth = ks('system_auth', { class: 'org.apache.cassandra.locator.SimpleStrategy', replication_factor: '1' });
  const distributed = ks('system_distributed', { class: 'org.apache.cassandra.locator.SimpleStrategy', replication_factor: '3' });
  ks('system_traces', { class: 'org.apache.cassandra.locator.SimpleStrategy', replication_factor: '2' });

  const nodeInfo = (n: SimNode): VirtualRow => ({
    data_center: n.datacenter, host_id: n.hostId, rack: n.rack, release_version: RELEASE_VERSION,
    rpc_address: n.address, schema_version: cluster.schema.version, tokens: tokensOf(n),
    supported_features: 'CDC,CDC_GENERATIONS_V2,COMPUTED_COLUMNS,CORRECT_COUNTER_ORDER,LWT,MATERIALIZED_VIEWS,PER_TABLE_PARTITIONERS,TABLETS,UDA,VIEW_VIRTUAL_COLUMNS',
  });

  define(system, 'local', `key text, bootstrapped text, broadcast_address inet, cluster_name text, cql_version text, data_center text,
    gossip_generation int, host_id uuid, listen_address inet, native_protocol_version text, partitioner text, rack text,
    release_version text, rpc_address inet, schema_version uuid, supported_features text, tokens set<text>, truncated_at map<uuid;blob>`,
  ['key'], [], (c, s) => [{
    key: 'local', bootstrapped: 'COMPLETED', broadcast_address: s.node.address, cluster_name: c.options.clusterName,
    cql_version: CQL_VERSION, gossip_generation: Math.floor(c.startedAtMs / 1000), listen_address: s.node.address,
    native_protocol_version: '4', partitioner: PARTITIONER, ...nodeInfo(s.node),
  }]);
  define(system, 'peers', `peer inet, data_center text, host_id uuid, preferred_ip inet, rack text, release_version text,
    rpc_address inet, schema_version uuid, supported_features text, tokens set<text>`,
  ['peer'], [], (c, s) => c.nodes.filter((n) => n !== s.node).map((n) => ({ peer: n.address, preferred_ip: n.address, ...nodeInfo(n) })));
  define(system, 'versions', 'key text, build_id text, build_mode text, compatible_version text, version text', ['key'], [],
    () => [{ key: 'local', build_id: 'scylla-bench-emulator', build_mode: 'release', compatible_version: RELEASE_VERSION, version: SCYLLA_VERSION }]);
  define(system, 'tablets', `table_id uuid, last_token bigint, keyspace_name text, table_name text, tablet_count int,
    replicas frozen<list<frozen<tuple<uuid;int>>>>`, ['table_id'], ['last_token'], (c) => {
    const out: VirtualRow[] = [];
    for (const k of userKeyspaces(c)) {
      for (const t of [...k.tables.values(), ...k.views.values()]) {
        if (!t.tablets) continue;
        t.tablets.lastTokens.forEach((lt, i) => out.push({
          table_id: t.id, last_token: lt, keyspace_name: k.name, table_name: t.name, tablet_count: t.tablets!.lastTokens.length,
          replicas: t.tablets!.replicas[i].map((r) => [c.nodes[r.node].hostId, r.shard]),
        }));
      }
    }
    return out;
  }, ['keyspace_name', 'table_name', 'tablet_count']);

  // CDC generations (db/system_distributed_keyspace.cc; vnode keyspaces) and tablet streams (db/virtual_tables.cc)
  define(distributed, 'cdc_generation_timestamps', 'key text, time timestamp, expired timestamp', ['key'], ['time desc'], (c) => generationRows(c).timestamps);
  define(distributed, 'cdc_streams_descriptions_v2', 'time timestamp, range_end bigint, streams frozen<set<blob>>', ['time'], ['range_end'], (c) => generationRows(c).streams);
  define(system, 'cdc_timestamps', 'keyspace_name text, table_name text, timestamp timestamp', ['keyspace_name', 'table_name'], ['timestamp desc'],
    (c) => cdcTabletTables(c).flatMap(({ ks, base, sets }) => sets.map((s) => ({ keyspace_name: ks, table_name: base, timestamp: new Date(s.timestampMs) }))));
  // per timestamp: its streams (state 0, current); from the second on also those it closed (1) and opened (2)
  define(system, 'cdc_streams', 'keyspace_name text, table_name text, timestamp timestamp, stream_state tinyint, stream_id blob', ['keyspace_name', 'table_name'], ['timestamp', 'stream_state', 'stream_id'],
    (c) => cdcTabletTables(c).flatMap(({ ks, base, sets }) => sets.flatMap((s, i) => {
      const row = (state: number, id: Buffer): Record<string, unknown> => ({ keyspace_name: ks, table_name: base, timestamp: new Date(s.timestampMs), stream_state: state, stream_id: id });
      const out = s.streams.map((id) => row(0, id));
      if (i > 0) {
        const hex = (l: Buffer[]): Set<string> => new Set(l.map((b) => b.toString('hex')));
        const prev = sets[i - 1].streams;
        const [was, now] = [hex(prev), hex(s.streams)];
        out.push(...prev.filter((id) => !now.has(id.toString('hex'))).map((id) => row(1, id)));
        out.push(...s.streams.filter((id) => !was.has(id.toString('hex'))).map((id) => row(2, id)));
      }
      return out;
    })));

  // large data (db/system_keyspace.cc; node-local: the coordinator's records, filled at flush by large-data.ts)
  define(system, 'large_partitions', `keyspace_name text, table_name text, sstable_name text, partition_size bigint, partition_key text,
    rows bigint, range_tombstones bigint, dead_rows bigint, compaction_time timestamp`, ['keyspace_name', 'table_name'],
  ['sstable_name', 'partition_size desc', 'partition_key'], (_c, s) => largeDataRows(s.node).partitions as unknown as VirtualRow[]);
  define(system, 'large_rows', `keyspace_name text, table_name text, sstable_name text, row_size bigint, partition_key text, clustering_key text,
    compaction_time timestamp`, ['keyspace_name', 'table_name'], ['sstable_name', 'row_size desc', 'partition_key', 'clustering_key'],
  (_c, s) => largeDataRows(s.node).rows as unknown as VirtualRow[]);
  define(system, 'large_cells', `keyspace_name text, table_name text, sstable_name text, cell_size bigint, partition_key text, clustering_key text,
    column_name text, collection_elements bigint, compaction_time timestamp`, ['keyspace_name', 'table_name'],
  ['sstable_name', 'cell_size desc', 'partition_key', 'clustering_key', 'column_name'], (_c, s) => largeDataRows(s.node).cells as unknown as VirtualRow[]);

  // client connections (db/virtual_tables.cc clients_table; node-local: this node's connections, clients.ts)
  define(system, 'clients', `address inet, port int, client_type text, shard_id int, connection_stage text, driver_name text,
    driver_version text, hostname text, protocol_version int, ssl_cipher_suite text, ssl_enabled boolean, ssl_protocol text,
    username text, scheduling_group text, client_options frozen<map<text;text>>`, ['address'], ['port', 'client_type'],
  (_c, s) => clientTableRows(s.node));

  // service levels (service/qos/service_level_controller.cc): the levels and their attachments to roles
  define(system, 'service_levels_v2', 'service_level text, timeout duration, workload_type text, shares int', ['service_level'], [],
    (c) => serviceLevelRows(c));
  define(system, 'role_attributes', 'role text, name text, value text', ['role'], ['name'], (c) => roleAttributeRows(c));

  define(schema, 'keyspaces', 'keyspace_name text, durable_writes boolean, replication frozen<map<text;text>>', ['keyspace_name'], [],
    (c) => userKeyspaces(c).map((k) => ({ keyspace_name: k.name, durable_writes: k.durableWrites, replication: k.replication })));
  define(schema, 'scylla_keyspaces', 'keyspace_name text, initial_tablets int, storage_options frozen<map<text;text>>, storage_type text', ['keyspace_name'], [],
    (c) => userKeyspaces(c).filter((k) => k.tablets?.enabled).map((k) => ({ keyspace_name: k.name, initial_tablets: k.tablets?.initial ?? 0, storage_type: 'LOCAL' })));
  define(schema, 'tables', `keyspace_name text, table_name text, flags frozen<set<text>>, ${TABLE_OPTION_COLUMNS}`, ['keyspace_name'], ['table_name'],
    (c) => userKeyspaces(c).flatMap((k) => [...k.tables.values()].map((t) => ({
      keyspace_name: k.name, table_name: t.name, flags: t.isCounter ? ['compound', 'counter'] : ['compound'], ...tableOptionRow(t),
    }))));
  define(schema, 'scylla_tables', 'keyspace_name text, table_name text, cdc frozen<map<text;text>>, partitioner text, version uuid', ['keyspace_name'], ['table_name'],
    (c) => userKeyspaces(c).flatMap((k) => [...k.tables.values(), ...k.views.values()].map((t) => {
      const row: VirtualRow = { keyspace_name: k.name, table_name: t.name, version: c.schema.version };
      if (t.cdcPartitioner) row.partitioner = CDC_PARTITIONER;
      for (const o of SCYLLA_TABLE_OPTIONS) if (o === 'cdc' && t.options.has(o)) row.cdc = optionValueForSchema(t.options.get(o));
      return row;
    })));
  define(schema, 'columns', 'keyspace_name text, table_name text, column_name text, clustering_order text, column_name_bytes blob, kind text, position int, type text',
    ['keyspace_name'], ['table_name', 'column_name'], (c) => userKeyspaces(c).flatMap((k) => [...k.tables.values(), ...k.views.values()].flatMap((t) =>
      [...t.byName.values()].map((col) => ({
        keyspace_name: k.name, table_name: t.name, column_name: col.name,
        clustering_order: col.kind === 'clustering' ? (col.desc ? 'desc' : 'asc') : 'none',
        column_name_bytes: Buffer.from(col.name, 'utf8'), kind: col.kind, position: col.position, type: schemaTypeText(col.type),
      })))));
  define(schema, 'dropped_columns', 'keyspace_name text, table_name text, column_name text, dropped_time timestamp, type text', ['keyspace_name'], ['table_name', 'column_name'],
    (c) => userKeyspaces(c).flatMap((k) => [...k.tables.values()].flatMap((t) => [...t.dropped].map(([n, d]) => ({
      keyspace_name: k.name, table_name: t.name, column_name: n, dropped_time: new Date(Number(d.timestampUs / 1000n)), type: schemaTypeText(d.type),
    })))));
  define(schema, 'views', `keyspace_name text, view_name text, base_table_id uuid, base_table_name text, include_all_columns boolean, where_clause text, ${TABLE_OPTION_COLUMNS}`,
    ['keyspace_name'], ['view_name'], (c) => userKeyspaces(c).flatMap((k) => [...k.views.values()].map((v) => ({
      keyspace_name: k.name, view_name: v.name, base_table_id: v.view!.baseId, base_table_name: v.view!.baseTable,
      include_all_columns: v.view!.includeAllColumns, where_clause: v.view!.whereClause, ...tableOptionRow(v),
    }))));
  define(schema, 'indexes', 'keyspace_name text, table_name text, index_name text, kind text, options frozen<map<text;text>>', ['keyspace_name'], ['table_name', 'index_name'], () => []);
  define(schema, 'types', 'keyspace_name text, type_name text, field_names frozen<list<text>>, field_types frozen<list<text>>', ['keyspace_name'], ['type_name'],
    (c) => userKeyspaces(c).flatMap((k) => [...k.types.values()].map((u) => ({
      keyspace_name: k.name, type_name: u.name, field_names: u.fields.map((f) => f.name), field_types: u.fields.map((f) => schemaTypeText(f.type)),
    }))));
  define(schema, 'functions', `keyspace_name text, function_name text, argument_types frozen<list<text>>, argument_names frozen<list<text>>, body text,
    called_on_null_input boolean, language text, return_type text`, ['keyspace_name'], ['function_name', 'argument_types'], () => []);
  define(schema, 'aggregates', `keyspace_name text, aggregate_name text, argument_types frozen<list<text>>, final_func text, initcond text,
    return_type text, state_func text, state_type text`, ['keyspace_name'], ['aggregate_name', 'argument_types'], () => []);
  define(schema, 'triggers', 'keyspace_name text, table_name text, trigger_name text, options frozen<map<text;text>>', ['keyspace_name'], ['table_name', 'trigger_name'], () => []);

  define(auth, 'roles', 'role text, can_login boolean, is_superuser boolean, member_of set<text>, salted_hash text', ['role'], [],
    (c) => [...c.roles.values()].map((r) => ({ role: r.name, can_login: r.canLogin, is_superuser: r.isSuperuser, salted_hash: r.saltedHash })));
}

/** Tablet tables with CDC streams: the base table's name and its log's stream sets, oldest first. */
function cdcTabletTables(cluster: Cluster): { ks: string; base: string; sets: TabletStreams[] }[] {
  const out: { ks: string; base: string; sets: TabletStreams[] }[] = [];
  for (const k of userKeyspaces(cluster)) {
    for (const t of k.tables.values()) {
      const sets = t.cdcLog && tabletStreamsOf(t.cdcLog);
      if (sets) out.push({ ks: k.name, base: t.name, sets });
    }
  }
  return out;
}

/** Column type text as system_schema shows it (UDTs by name). */
function schemaTypeText(t: CqlType): string {
  return typeToCql(t);
}

/** Builds the store a query on a virtual table reads. */
export function virtualStore(cluster: Cluster, session: Session, table: TableMeta): TableStore {
  const gen = virtualTables.get(table)!;
  const store = new TableStore(table);
  const h: TokenHalves = { hi: 0, lo: 0 };
  for (const r of gen(cluster, session)) {
    const comps = table.partitionKey.map((c) => serialize(c.type, r[c.name]) ?? Buffer.alloc(0));
    const key = partitionKeyBytes(comps);
    const token = cluster.tokenOf(key, h);
    const p = store.getOrCreate(key, key.toString('latin1'), token);
    const ck = table.clustering.map((c) => serialize(c.type, r[c.name]) ?? Buffer.alloc(0));
    for (const c of table.statics) {
      const v = r[c.name];
      if (v !== undefined && v !== null) p.statics[c.slot] = { v: serialize(c.type, v), ts: 0, exp: 0, ttl: 0 };
    }
    const row = rowFor(p, table, ck);
    row.markerTs = 0;
    for (const c of table.regular) {
      const v = r[c.name];
      if (v !== undefined && v !== null) row.cells[c.slot] = { v: serialize(c.type, v), ts: 0, exp: 0, ttl: 0 };
    }
  }
  return store;
}
