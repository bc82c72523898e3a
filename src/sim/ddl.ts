/**
 * Schema statements: keyspaces, tables (options validated and stored for system_schema),
 * materialized views with Scylla's key rules and messages (cql3/statements/create_view_statement.cc), UDTs,
 * TRUNCATE and roles. Each change bumps the schema version and emits SCHEMA_CHANGE.
 */
import { randomUUID } from 'node:crypto';
import { AlreadyExistsError, ResponseError } from '../cql/errors.js';
import type { SchemaChange } from '../cql/messages.js';
import type {
  AlterTableStatement, CreateKeyspaceStatement, CreateTableStatement, CreateTypeStatement, CreateViewStatement, Property,
  PropertyValue, Relation, RoleOptions,
} from '../cql/parser/ast.js';
import { typeToCql, type CqlType } from '../cql/types.js';
import type { TokenHalves } from '../routing/murmur3.js';
import { hashPassword, type Cluster } from './cluster.js';
import type { ExecResult, Session } from './context.js';
import { cdcOptionsMap, parseCdcOptions } from './cdc-options.js';
import { cdcOptionsOf, ensureLogTable } from './cdc.js';
import { defaultTableOptions, KeyspaceMeta, KNOWN_TABLE_OPTIONS, MAP_OPTIONS, TableMeta, type ColumnMeta, type OptionValue } from './schema.js';
import { cellLive, rowLive } from './storage.js';
import { replicasOf } from './locator.js';
import { assignTablets } from './tablets.js';
import { ConfigError, InvalidRequest, SyntaxErrorResponse, UnauthorizedError } from './values.js';
import { updateViews, type RowImage } from './views.js';


const STRATEGY_PACKAGE = 'org.apache.cassandra.locator.';

function propValueToString(v: PropertyValue): string {
  switch (v.kind) {
    case 'string': case 'number': case 'identifier': return String(v.value);
    case 'boolean': return v.value ? 'true' : 'false';
    case 'map': throw new SyntaxErrorResponse('Invalid map value where a simple value was expected');
  }
}

function propMap(p: Property): Map<string, string> {
  if (p.value.kind !== 'map') throw new SyntaxErrorResponse(`Invalid value for property '${p.name}': expected a map`);
  return new Map(p.value.entries.map(([k, v]) => [k, propValueToString(v)]));
}

function schemaChanged(cluster: Cluster, change: SchemaChange): ExecResult {
  cluster.emitSchemaChange(change);
  return { kind: 'schema_change', change };
}

// ---------------------------------------------------------------------------------------------
// keyspaces

export function keyspaceReplication(cluster: Cluster, props: Property[], name: string, existing?: KeyspaceMeta): { replication: Map<string, string>; durableWrites: boolean; tablets?: { enabled: boolean; initial?: number } } {
  let replication = existing?.replication;
  let durableWrites = existing?.durableWrites ?? true;
  let tablets: { enabled: boolean; initial?: number } | undefined;
  for (const p of props) {
    if (p.name === 'replication') {
      const m = propMap(p);
      const cls = m.get('class');
      if (!cls) throw new ConfigError('Missing mandatory replication strategy class');
      const short = cls.slice(cls.lastIndexOf('.') + 1);
      const out = new Map<string, string>([['class', STRATEGY_PACKAGE + short]]);
      if (short === 'NetworkTopologyStrategy') {
        for (const [k, v] of m) {
          if (k === 'class') continue;
          if (k === 'replication_factor') { out.set(cluster.options.datacenter, v); continue; }
          if (k !== cluster.options.datacenter) throw new ConfigError(`Unrecognized strategy option {${k}} passed to ${STRATEGY_PACKAGE}NetworkTopologyStrategy for keyspace ${name}`);
          out.set(k, v);
        }
      } else {
        for (const [k, v] of m) if (k !== 'class') out.set(k, v);
      }
      replication = out;
    } else if (p.name === 'durable_writes') {
      durableWrites = propValueToString(p.value) === 'true';
    } else if (p.name === 'tablets') {
      if (existing) throw new ConfigError('Cannot alter tablets mode of an existing keyspace');
      const m = propMap(p);
      const enabled = (m.get('enabled') ?? 'true') === 'true';
      const initial = m.has('initial') ? Number(m.get('initial')) : undefined;
      tablets = initial !== undefined ? { enabled, initial } : { enabled };
    } else {
      throw new SyntaxErrorResponse(`Unknown property '${p.name}'`);
    }
  }
  if (!replication) throw new ConfigError('Missing mandatory option \'replication\'');
  return { replication, durableWrites, tablets };
}

export function createKeyspace(cluster: Cluster, s: CreateKeyspaceStatement): ExecResult {
  const schema = cluster.schema;
  if (schema.keyspaces.has(s.name)) {
    if (s.ifNotExists) return { kind: 'void' };
    throw new AlreadyExistsError(`Keyspace ${s.name} already exists`, s.name, '');
  }
  if (!/^\w+$/.test(s.name) || s.name.length > 48) throw new InvalidRequest(`Keyspace name must not be empty, more than 48 characters long, or contain non-alphanumeric-underscore characters (got "${s.name}")`);
  const r = keyspaceReplication(cluster, s.properties, s.name);
  let ks: KeyspaceMeta;
  try {
    ks = new KeyspaceMeta(s.name, r.replication, r.durableWrites, undefined);
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
  // tablets: explicit option, else the cluster default (Scylla uses vnodes for SimpleStrategy)
  const wantTablets = r.tablets?.enabled ?? (cluster.options.tablets && ks.strategy.kind === 'network-topology');
  if (wantTablets) {
    if (ks.strategy.kind !== 'network-topology') throw new ConfigError('Tablets are supported only for NetworkTopologyStrategy');
    ks.tablets = r.tablets?.initial !== undefined ? { enabled: true, initial: r.tablets.initial } : { enabled: true };
  }
  schema.keyspaces.set(s.name, ks);
  return schemaChanged(cluster, { change: 'CREATED', target: 'KEYSPACE', keyspace: s.name });
}

// ---------------------------------------------------------------------------------------------
// tables

export function resolveType(cluster: Cluster, ksName: string, t: CqlType): CqlType {
  switch (t.kind) {
    case 'list': case 'set': return { ...t, element: resolveType(cluster, ksName, t.element) };
    case 'map': return { ...t, key: resolveType(cluster, ksName, t.key), value: resolveType(cluster, ksName, t.value) };
    case 'tuple': return { ...t, elements: t.elements.map((e) => resolveType(cluster, ksName, e)) };
    case 'udt': {
      const ks = t.keyspace || ksName;
      const u = cluster.schema.keyspaces.get(ks)?.types.get(t.name);
      if (!u) throw new InvalidRequest(`Unknown type ${ks}.${t.name}`);
      return { kind: 'udt', keyspace: ks, name: t.name, fields: u.fields, frozen: t.frozen };
    }
    default: return t;
  }
}

function isMultiCell(t: CqlType): boolean {
  return (t.kind === 'list' || t.kind === 'set' || t.kind === 'map' || t.kind === 'udt') && !t.frozen;
}

const COMPACTION_CLASSES = new Set(['SizeTieredCompactionStrategy', 'LeveledCompactionStrategy', 'TimeWindowCompactionStrategy', 'IncrementalCompactionStrategy', 'NullCompactionStrategy']);

/** Validates WITH options and merges them into `into`. */
export function applyTableOptions(props: Property[], into: Map<string, OptionValue>, forView = false): void {
  for (const p of props) {
    const name = p.name;
    if (!KNOWN_TABLE_OPTIONS.has(name)) throw new SyntaxErrorResponse(`Unknown property '${name}'`);
    if (name === 'id') throw new ConfigError('Cannot alter table id.');
    if (name === 'synchronous_updates' && !forView) throw new InvalidRequest('synchronous_updates can only be set on materialized views');
    if (MAP_OPTIONS.has(name)) {
      const m = propMap(p);
      if (name === 'compaction') {
        const cls = m.get('class');
        if (!cls) throw new ConfigError('Missing sub-option \'class\' for the \'compaction\' option.');
        const short = cls.slice(cls.lastIndexOf('.') + 1);
        if (!COMPACTION_CLASSES.has(short)) throw new ConfigError(`Unable to find compaction strategy class '${cls}'`);
        m.set('class', short);
      }
      // stored as Scylla's to_map shows it (system_schema.scylla_tables.cdc, DESCRIBE)
      into.set(name, name === 'cdc' ? cdcOptionsMap(parseCdcOptions(m)) : m);
    } else {
      const v = p.value;
      if (v.kind === 'map') throw new SyntaxErrorResponse(`Invalid value for property '${name}': a map is not expected`);
      if (v.kind === 'number') {
        const n = Number(v.value);
        if ((name === 'default_time_to_live' || name === 'gc_grace_seconds') && (!Number.isInteger(n) || n < 0)) {
          throw new ConfigError(`${name} must be greater than or equal to 0 (got ${v.value})`);
        }
        if (name === 'default_time_to_live' && n > 630720000) throw new ConfigError(`default_time_to_live must be less than or equal to 630720000 (got ${n})`);
        into.set(name, n);
      } else if (v.kind === 'boolean') into.set(name, v.value);
      else into.set(name, v.value);
    }
  }
}

function userKeyspace(cluster: Cluster, ksName: string | undefined): KeyspaceMeta {
  const ks = cluster.keyspace(ksName);
  if (ks.system) throw new UnauthorizedError(`${ks.name} keyspace is not user-modifiable.`);
  return ks;
}

export function createTable(cluster: Cluster, session: Session, s: CreateTableStatement): ExecResult {
  const ks = userKeyspace(cluster, s.table.keyspace ?? session.keyspace);
  if (ks.relation(s.table.name)) {
    if (s.ifNotExists) return { kind: 'void' };
    throw new AlreadyExistsError(`Cannot add already existing table "${s.table.name}" to keyspace "${ks.name}"`, ks.name, s.table.name);
  }
  // Scylla's (and Cassandra's) wording, typo included
  if (s.partitionKey.length === 0) throw new InvalidRequest('No PRIMARY KEY specifed (exactly one required)');
  const defs = new Map<string, { type: CqlType; isStatic: boolean }>();
  for (const c of s.columns) {
    if (defs.has(c.name)) throw new InvalidRequest(`Multiple definition of identifier ${c.name}`);
    defs.set(c.name, { type: resolveType(cluster, ks.name, c.type), isStatic: c.isStatic });
  }
  const keyNames = [...s.partitionKey, ...s.clusteringKey];
  const seen = new Set<string>();
  for (const k of keyNames) {
    if (!defs.has(k)) throw new InvalidRequest(`Unknown definition ${k} referenced in PRIMARY KEY`);
    if (seen.has(k)) throw new InvalidRequest(`Duplicate definition ${k} in PRIMARY KEY`);
    seen.add(k);
    const d = defs.get(k)!;
    if (d.isStatic) throw new InvalidRequest(`Static column ${k} cannot be part of the PRIMARY KEY`);
    if (isMultiCell(d.type)) throw new InvalidRequest(`Invalid non-frozen collection type for PRIMARY KEY component ${k}`);
    if (d.type.kind === 'counter') throw new InvalidRequest(`counter type is not supported for PRIMARY KEY part ${k}`);
    if (d.type.kind === 'duration') throw new InvalidRequest(`duration type is not supported for PRIMARY KEY part ${k}`);
  }
  const hasStatic = [...defs.values()].some((d) => d.isStatic);
  if (hasStatic && s.clusteringKey.length === 0) throw new InvalidRequest('Static columns are only useful (and thus allowed) if the table has at least one clustering column');
  const nonKey = [...defs.entries()].filter(([n]) => !seen.has(n));
  const counters = nonKey.filter(([, d]) => d.type.kind === 'counter').length;
  if (counters > 0 && counters < nonKey.length) throw new InvalidRequest('Cannot mix counter and non counter columns in the same table');
  // clustering order must follow the clustering key
  const desc = new Map<string, boolean>();
  s.clusteringOrder.forEach((o, i) => {
    if (!s.clusteringKey.includes(o.column)) throw new InvalidRequest(`Missing CLUSTERING ORDER for column ${o.column}`);
    if (s.clusteringKey[i] !== o.column) throw new InvalidRequest(`The order of columns in the CLUSTERING ORDER directive must be the one of the clustering key (${s.clusteringKey[i]} must appear before ${o.column})`);
    desc.set(o.column, o.desc);
  });
  const options = defaultTableOptions();
  // WITH ID = <uuid> (what DESCRIBE ... WITH INTERNALS writes, to restore a table under its id)
  const idProp = s.properties.find((p) => p.name === 'id');
  let id: string = randomUUID();
  if (idProp) {
    id = propValueToString(idProp.value).toLowerCase();
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) throw new ConfigError(`Invalid table id ${id}`);
    for (const k of cluster.schema.keyspaces.values()) {
      for (const t of [...k.tables.values(), ...k.views.values()]) if (t.id === id) throw new InvalidRequest(`Table with ID ${id} already exists: ${k.name}.${t.name}`);
    }
  }
  applyTableOptions(s.properties.filter((p) => p !== idProp), options);
  const cols: ColumnMeta[] = [];
  s.partitionKey.forEach((n, i) => cols.push({ name: n, type: defs.get(n)!.type, kind: 'partition_key', position: i, desc: false, slot: -1 }));
  s.clusteringKey.forEach((n, i) => cols.push({ name: n, type: defs.get(n)!.type, kind: 'clustering', position: i, desc: desc.get(n) ?? false, slot: -1 }));
  for (const [n, d] of nonKey) cols.push({ name: n, type: d.type, kind: d.isStatic ? 'static' : 'regular', position: -1, desc: false, slot: -1 });
  const table = new TableMeta(ks.name, s.table.name, id, cols, options);
  if (ks.tablets?.enabled) assignTablets(cluster, ks, table);
  const cdc = cdcOptionsOf(table);
  // the log table comes with its base (cdc/log.cc on_before_create_column_family); its checks run first
  const log = cdc?.enabled ? ensureLogTable(cluster, ks, table, cdc, randomUUID(), defaultTableOptions()) : undefined;
  ks.tables.set(table.name, table);
  if (log) cluster.emitSchemaChange({ change: 'CREATED', target: 'TABLE', keyspace: ks.name, name: log.name });
  return schemaChanged(cluster, { change: 'CREATED', target: 'TABLE', keyspace: ks.name, name: table.name });
}

export function alterTable(cluster: Cluster, session: Session, s: AlterTableStatement): ExecResult {
  const ks = cluster.keyspace(s.table.keyspace ?? session.keyspace);
  const table = ks.tables.get(s.table.name);
  if (!table) {
    if (ks.views.has(s.table.name)) throw new InvalidRequest('Cannot use ALTER TABLE on Materialized View');
    throw new InvalidRequest(`unconfigured table ${s.table.name}`);
  }
  const a = s.action;
  switch (a.kind) {
    case 'add':
      for (const c of a.columns) {
        if (table.byName.has(c.name)) throw new InvalidRequest(`Invalid column name ${c.name} because it conflicts with an existing column`);
        if (c.isStatic && table.clustering.length === 0) throw new InvalidRequest(`Static columns are not allowed in COMPACT STORAGE tables or tables without clustering columns`);
        const type = resolveType(cluster, ks.name, c.type);
        if ((type.kind === 'counter') !== table.isCounter && table.regular.length > 0) throw new InvalidRequest('Cannot mix counter and non counter columns in the same table');
        table.addColumn({ name: c.name, type, kind: c.isStatic ? 'static' : 'regular', position: -1, desc: false, slot: -1 });
        for (const v of table.views) if (v.view?.includeAllColumns) v.addColumn({ name: c.name, type, kind: 'regular', position: -1, desc: false, slot: -1 });
      }
      table.finish();
      break;
    case 'drop':
      for (const n of a.columns) {
        const c = table.byName.get(n);
        if (!c) throw new InvalidRequest(`Column ${n} was not found in table ${table.name}`);
        if (c.kind === 'partition_key' || c.kind === 'clustering') throw new InvalidRequest(`Cannot drop PRIMARY KEY part ${n}`);
        if (table.views.length > 0) throw new InvalidRequest(`Cannot drop column ${n} on base table ${table.name} with materialized views.`);
        table.dropColumn(n, a.timestampUs ?? BigInt(cluster.nowMicros()));
      }
      break;
    case 'alter-type':
      throw new InvalidRequest('Altering of types is not allowed');
    case 'rename':
      throw new InvalidRequest('ALTER TABLE ... RENAME is not supported by the scylla-bench emulator');
    case 'with': {
      const before = new Map(table.options);
      applyTableOptions(a.properties, table.options);
      try {
        syncCdcLog(cluster, ks, table);
      } catch (e) {
        // a refused CDC change leaves the table as it was
        table.options.clear();
        for (const [k, v] of before) table.options.set(k, v);
        throw e;
      }
      return schemaChanged(cluster, { change: 'UPDATED', target: 'TABLE', keyspace: ks.name, name: table.name });
    }
  }
  syncCdcLog(cluster, ks, table);
  return schemaChanged(cluster, { change: 'UPDATED', target: 'TABLE', keyspace: ks.name, name: table.name });
}

/** With CDC on, the log table follows the base's columns (created on the first enable; kept when CDC is turned off). */
function syncCdcLog(cluster: Cluster, ks: KeyspaceMeta, table: TableMeta): void {
  const cdc = cdcOptionsOf(table);
  if (!cdc?.enabled) return;
  const log = ensureLogTable(cluster, ks, table, cdc, randomUUID(), defaultTableOptions());
  const name = log?.name ?? table.cdcLog?.name;
  if (name) cluster.emitSchemaChange({ change: log ? 'CREATED' : 'UPDATED', target: 'TABLE', keyspace: ks.name, name });
}

export function dropTable(cluster: Cluster, session: Session, ksName: string | undefined, name: string, ifExists: boolean): ExecResult {
  const ks = ifExists && !cluster.schema.keyspaces.has(ksName ?? session.keyspace ?? '') ? undefined : cluster.keyspace(ksName ?? session.keyspace);
  const table = ks?.tables.get(name);
  if (!ks || !table) {
    if (ifExists) return { kind: 'void' };
    if (ks?.views.has(name)) throw new InvalidRequest('Cannot use DROP TABLE on Materialized View');
    throw new InvalidRequest(`Cannot drop non existing table '${name}' in keyspace '${ks?.name ?? ksName}'.`);
  }
  if (table.views.length > 0) throw new InvalidRequest(`Cannot drop table when materialized views still depend on it (${ks.name}.{${table.views.map((v) => v.name).join(', ')}})`);
  ks.tables.delete(name);
  for (const n of cluster.nodes) for (const sh of n.shards) sh.store.drop(table.id);
  const log = table.cdcLog;
  if (log && ks.tables.get(log.name) === log) {
    // the log goes with its base (cdc/log.cc on_before_drop_column_family)
    ks.tables.delete(log.name);
    for (const n of cluster.nodes) for (const sh of n.shards) sh.store.drop(log.id);
    cluster.emitSchemaChange({ change: 'DROPPED', target: 'TABLE', keyspace: ks.name, name: log.name });
  }
  return schemaChanged(cluster, { change: 'DROPPED', target: 'TABLE', keyspace: ks.name, name });
}

export function dropKeyspace(cluster: Cluster, name: string, ifExists: boolean): ExecResult {
  const ks = cluster.schema.keyspaces.get(name);
  if (!ks) {
    if (ifExists) return { kind: 'void' };
    throw new ConfigError(`Cannot drop non existing keyspace '${name}'.`);
  }
  if (ks.system) throw new UnauthorizedError(`${name} keyspace is not user-modifiable.`);
  for (const t of [...ks.tables.values(), ...ks.views.values()]) for (const n of cluster.nodes) for (const sh of n.shards) sh.store.drop(t.id);
  cluster.schema.keyspaces.delete(name);
  return schemaChanged(cluster, { change: 'DROPPED', target: 'KEYSPACE', keyspace: name });
}

export function truncate(cluster: Cluster, session: Session, ksName: string | undefined, name: string): ExecResult {
  const ks = cluster.keyspace(ksName ?? session.keyspace);
  const table = ks.tables.get(name);
  if (!table) throw new InvalidRequest(ks.views.has(name) ? 'Cannot TRUNCATE materialized view directly; must truncate base table instead' : `unconfigured table ${name}`);
  for (const t of [table, ...table.views]) for (const n of cluster.nodes) for (const sh of n.shards) sh.store.tables.get(t.id)?.clear();
  return { kind: 'void' };
}

// ---------------------------------------------------------------------------------------------
// types

export function createType(cluster: Cluster, session: Session, s: CreateTypeStatement): ExecResult {
  const ks = cluster.keyspace(s.type.keyspace ?? session.keyspace);
  if (ks.types.has(s.type.name)) {
    if (s.ifNotExists) return { kind: 'void' };
    throw new InvalidRequest(`A user type of name ${ks.name}.${s.type.name} already exists`);
  }
  const names = new Set<string>();
  for (const f of s.fields) {
    if (names.has(f.name)) throw new InvalidRequest(`Duplicate field name ${f.name} in type ${s.type.name}`);
    names.add(f.name);
  }
  ks.types.set(s.type.name, { keyspace: ks.name, name: s.type.name, fields: s.fields.map((f) => ({ name: f.name, type: resolveType(cluster, ks.name, f.type) })) });
  return schemaChanged(cluster, { change: 'CREATED', target: 'TYPE', keyspace: ks.name, name: s.type.name });
}

export function dropType(cluster: Cluster, session: Session, ksName: string | undefined, name: string, ifExists: boolean): ExecResult {
  const ks = cluster.keyspace(ksName ?? session.keyspace);
  if (!ks.types.has(name)) {
    if (ifExists) return { kind: 'void' };
    throw new InvalidRequest(`No user type named ${ks.name}.${name} exists.`);
  }
  for (const t of ks.tables.values()) {
    for (const c of t.byName.values()) if (typeToCql(c.type).includes(name)) throw new InvalidRequest(`Cannot drop user type ${ks.name}.${name} as it is still used by table ${ks.name}.${t.name}`);
  }
  ks.types.delete(name);
  return schemaChanged(cluster, { change: 'DROPPED', target: 'TYPE', keyspace: ks.name, name });
}

// ---------------------------------------------------------------------------------------------
// materialized views: Scylla's key rules and messages (cql3/statements/create_view_statement.cc)

function relationText(r: Relation): string {
  if (r.kind === 'column' && r.op === 'IS NOT NULL') return `${quoteIdent(r.column)} IS NOT NULL`;
  return '';
}

export function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

export function createView(cluster: Cluster, session: Session, s: CreateViewStatement, bindCount: number): ExecResult & { warnings?: string[] } {
  if (bindCount > 0) throw new InvalidRequest('Cannot use query parameters in CREATE MATERIALIZED VIEW statements');
  const viewKs = s.view.keyspace ?? session.keyspace;
  const baseKs = s.base.keyspace ?? viewKs;
  if (viewKs !== baseKs) throw new InvalidRequest(`Cannot create a materialized view on a table in a separate keyspace ('${baseKs}' != '${viewKs}')`);
  const ks = cluster.keyspace(viewKs);
  const viewName = s.view.name;
  if (ks.relation(viewName)) {
    if (s.ifNotExists) return { kind: 'void' };
    throw new AlreadyExistsError(`Cannot add already existing table "${viewName}" to keyspace "${ks.name}"`, ks.name, viewName);
  }
  const base = ks.relation(s.base.name);
  if (!base) throw new InvalidRequest(`Base table '${s.base.name}' doesn't exist`);
  if (base.view) throw new InvalidRequest('Materialized views cannot be created against other materialized views');
  if (base.isCounter) throw new InvalidRequest('Materialized views are not supported on counter tables');
  if (base.name.endsWith('_scylla_cdc_log')) throw new InvalidRequest('Materialized views cannot be created on CDC Log tables');
  if (Number(base.options.get('gc_grace_seconds')) === 0) {
    throw new InvalidRequest(`Cannot create materialized view '${viewName}' for base table '${base.name}' with gc_grace_seconds of 0, since this value is used to TTL undelivered updates. Setting gc_grace_seconds too low might cause undelivered updates to expire before being replayed.`);
  }
  // selection
  let selected: ColumnMeta[];
  if (s.selectors === null) {
    const st = base.statics.find((c) => base.byName.get(c.name) === c);
    if (st) throw new InvalidRequest(`Unable to include static column '${st.name}' which would be included by Materialized View SELECT * statement`);
    selected = base.columns.filter((c) => base.byName.get(c.name) === c);
  } else {
    if (s.selectors.length === 0) throw new InvalidRequest('Must select at least a column for a Materialized View');
    selected = s.selectors.map((sel) => {
      if (sel.alias) throw new InvalidRequest('Cannot use alias when defining a materialized view');
      if (sel.expr.kind !== 'column') throw new InvalidRequest('Cannot use general expressions when defining a materialized view');
      const c = base.byName.get(sel.expr.name);
      if (!c) throw new InvalidRequest(`Unknown column name detected in CREATE MATERIALIZED VIEW statement: ${sel.expr.name}`);
      return c;
    });
  }
  // where clause: IS NOT NULL only
  const notNull = new Set<string>();
  const restricted: string[] = [];
  for (const r of s.where) {
    if (r.kind !== 'column') throw new InvalidRequest('Only IS NOT NULL restrictions are supported in materialized views by the scylla-bench emulator');
    const c = base.byName.get(r.column);
    if (!c) throw new InvalidRequest(`Unknown column name detected in CREATE MATERIALIZED VIEW statement: ${r.column}`);
    if (r.op === 'IS NOT NULL') notNull.add(r.column);
    else restricted.push(r.column);
  }
  // primary key rules
  const keyNames = [...s.partitionKey, ...s.clusteringKey];
  const seenKey = new Set<string>();
  const nonPkInKey: string[] = [];
  for (const k of keyNames) {
    const c = base.byName.get(k);
    if (!c) throw new InvalidRequest(`Unknown column name detected in CREATE MATERIALIZED VIEW statement: ${k}`);
    if (seenKey.has(k)) throw new InvalidRequest(`Duplicate entry found in PRIMARY KEY: ${k}`);
    seenKey.add(k);
    if (c.kind === 'static') throw new InvalidRequest(`Cannot use Static column '${k}' in PRIMARY KEY of materialized view`);
    if (isMultiCell(c.type)) throw new InvalidRequest(`Cannot use MultiCell column '${k}' in PRIMARY KEY of materialized view`);
    if (c.type.kind === 'duration') throw new InvalidRequest(`Cannot use Duration column '${k}' in PRIMARY KEY of materialized view`);
    if (c.kind === 'regular') nonPkInKey.push(k);
  }
  if (nonPkInKey.length > 1) throw new InvalidRequest(`Cannot include more than one non-primary key column '${nonPkInKey[1]}' in materialized view primary key`);
  const missing = [...base.partitionKey, ...base.clustering].filter((c) => !seenKey.has(c.name)).map((c) => c.name);
  if (missing.length > 0) throw new InvalidRequest(`Cannot create Materialized View ${viewName} without primary key columns from base ${base.name} (${missing.join(',')})`);
  const singlePk = base.partitionKey.length === 1 ? base.partitionKey[0].name : undefined;
  for (const k of keyNames) {
    if (!notNull.has(k) && k !== singlePk) throw new InvalidRequest(`Primary key column '${k}' is required to be filtered by 'IS NOT NULL'`);
  }
  const nonKeyRestricted = restricted.filter((n) => !seenKey.has(n));
  if (nonKeyRestricted.length > 0) {
    throw new InvalidRequest(`Non-primary key columns cannot be restricted in the SELECT statement used for materialized view ${viewName} creation (got restrictions on: ${nonKeyRestricted.join(', ')})`);
  }
  if (restricted.length > 0) throw new InvalidRequest('Only IS NOT NULL restrictions are supported in materialized views by the scylla-bench emulator');
  const warnings: string[] = [];
  const notNullNonKey = [...notNull].filter((n) => !seenKey.has(n));
  if (notNullNonKey.length > 0) {
    warnings.push(`The IS NOT NULL restriction is allowed only columns which are part of the view's primary key, found columns: ${notNullNonKey.join(', ')}. The restrictions were ignored.`);
  }
  // clustering order
  const desc = new Map<string, boolean>();
  s.clusteringOrder.forEach((o, i) => {
    if (s.clusteringKey[i] !== o.column) throw new InvalidRequest(`The order of columns in the CLUSTERING ORDER directive must be the one of the clustering key (${s.clusteringKey[i] ?? o.column} must appear before ${o.column})`);
    desc.set(o.column, o.desc);
  });
  const cols: ColumnMeta[] = [];
  s.partitionKey.forEach((n, i) => cols.push({ name: n, type: base.byName.get(n)!.type, kind: 'partition_key', position: i, desc: false, slot: -1 }));
  s.clusteringKey.forEach((n, i) => cols.push({ name: n, type: base.byName.get(n)!.type, kind: 'clustering', position: i, desc: desc.get(n) ?? false, slot: -1 }));
  for (const c of selected) if (!seenKey.has(c.name)) cols.push({ name: c.name, type: c.type, kind: 'regular', position: -1, desc: false, slot: -1 });
  const options = defaultTableOptions();
  applyTableOptions(s.properties, options, true);
  const view = new TableMeta(ks.name, viewName, randomUUID(), cols, options);
  view.view = {
    baseTable: base.name,
    baseId: base.id,
    whereClause: s.where.map(relationText).filter(Boolean).join(' AND '),
    includeAllColumns: s.selectors === null,
    baseColumns: cols.map((c) => c.name),
  };
  if (ks.tablets?.enabled) {
    assignTablets(cluster, ks, view);
    warnings.push(`Creating a materialized view in a keyspace that uses tablets requires the keyspace to remain RF-rack-valid`);
  }
  ks.views.set(viewName, view);
  base.views.push(view);
  buildView(cluster, ks, base, view);
  const r = schemaChanged(cluster, { change: 'CREATED', target: 'TABLE', keyspace: ks.name, name: viewName });
  return warnings.length ? { ...r, warnings } : r;
}

/** Populates a new view from the base data already stored (Scylla's view building). */
function buildView(cluster: Cluster, ks: KeyspaceMeta, base: TableMeta, view: TableMeta): void {
  const nowMs = Date.now();
  const h: TokenHalves = { hi: 0, lo: 0 };
  const only = { ...base, views: [view] } as unknown as TableMeta;
  for (const node of cluster.nodes) {
    for (const sh of node.shards) {
      const store = sh.store.tables.get(base.id);
      if (!store) continue;
      for (const p of store.partitions.values()) {
        // build each partition once: from its first live replica
        const reps = replicasOf(cluster, base, ks, p.token, (cluster.tokenOf(p.key, h), h));
        if (reps.find((r) => r.node.up)?.node !== node) continue;
        const post: RowImage[] = p.rows.filter((r) => rowLive(r, nowMs, p.delTs)).map((r) => ({
          ck: r.ck, live: true, markerTs: r.markerTs, markerExp: r.markerExp,
          cells: r.cells.map((c) => (cellLive(c, nowMs, Math.max(r.delTs, p.delTs)) ? c : undefined)),
        }));
        updateViews(cluster, ks, only, p.components, [], post, cluster.nowMicros());
      }
    }
  }
}

export function dropView(cluster: Cluster, session: Session, ksName: string | undefined, name: string, ifExists: boolean): ExecResult {
  const ks = cluster.keyspace(ksName ?? session.keyspace);
  const view = ks.views.get(name);
  if (!view) {
    if (ifExists) return { kind: 'void' };
    throw new InvalidRequest(`Cannot drop non existing materialized view '${name}' in keyspace '${ks.name}'.`);
  }
  ks.views.delete(name);
  const base = ks.tables.get(view.view!.baseTable);
  if (base) base.views.splice(base.views.indexOf(view), 1);
  for (const n of cluster.nodes) for (const sh of n.shards) sh.store.drop(view.id);
  return schemaChanged(cluster, { change: 'DROPPED', target: 'TABLE', keyspace: ks.name, name });
}

// ---------------------------------------------------------------------------------------------
// roles

function requireSuperuser(cluster: Cluster, session: Session, what: string): void {
  if (!cluster.options.auth) return;
  const r = session.user ? cluster.roles.get(session.user) : undefined;
  if (!r?.isSuperuser) throw new UnauthorizedError(`Only superusers are allowed to perform ${what} queries`);
}

export function createRole(cluster: Cluster, session: Session, name: string, ifNotExists: boolean, o: RoleOptions): ExecResult {
  requireSuperuser(cluster, session, 'CREATE ROLE');
  if (cluster.roles.has(name)) {
    if (ifNotExists) return { kind: 'void' };
    throw new InvalidRequest(`${name} already exists`);
  }
  cluster.roles.set(name, { name, saltedHash: o.password !== undefined ? hashPassword(o.password) : '', canLogin: o.login ?? false, isSuperuser: o.superuser ?? false });
  return { kind: 'void' };
}

export function alterRole(cluster: Cluster, session: Session, name: string, o: RoleOptions): ExecResult {
  const r = cluster.roles.get(name);
  if (!r) throw new InvalidRequest(`${name} doesn't exist`);
  const self = session.user === name;
  if (!self || o.superuser !== undefined || o.login !== undefined) requireSuperuser(cluster, session, 'ALTER ROLE');
  if (o.password !== undefined) r.saltedHash = hashPassword(o.password);
  if (o.login !== undefined) r.canLogin = o.login;
  if (o.superuser !== undefined) r.isSuperuser = o.superuser;
  return { kind: 'void' };
}

export function dropRole(cluster: Cluster, session: Session, name: string, ifExists: boolean): ExecResult {
  requireSuperuser(cluster, session, 'DROP ROLE');
  if (!cluster.roles.has(name)) {
    if (ifExists) return { kind: 'void' };
    throw new InvalidRequest(`${name} doesn't exist`);
  }
  if (session.user === name) throw new InvalidRequest('Cannot DROP primary role for current login');
  cluster.roles.delete(name);
  return { kind: 'void' };
}

export { ResponseError };
