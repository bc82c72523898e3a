/**
 * Server-side DESCRIBE as Scylla serves it (cql3/statements/describe_statement.cc, the create
 * statements of schema/schema.cc, data_dictionary.cc and types.cc): rows of
 * `keyspace_name, type, name[, create_statement]` (all text, from `system.describe`), names
 * quoted as `cql3::util::maybe_quote` does, statements formatted byte for byte as Scylla's, so
 * cqlsh prints them and gocql (which sends `DESCRIBE KEYSPACE x WITH INTERNALS` for each new
 * keyspace) gets what a real node answers. A statement DESCRIBE prints re-creates the element
 * on the emulator.
 */
import { serialize } from '../cql/codecs.js';
import type { ColumnSpec } from '../cql/messages.js';
import type { DescribeStatement, DescribeTarget } from '../cql/parser/ast.js';
import type { CqlType } from '../cql/types.js';
import type { Cluster } from './cluster.js';
import type { ExecResult, Session } from './context.js';
import { CDC_LOG_SUFFIX, cdcEnabled } from './cdc.js';
import type { KeyspaceMeta, TableMeta, UdtMeta } from './schema.js';
import { InvalidRequest, UnauthorizedError } from './values.js';

/** Scylla's reserved words (cql3/Cql.g tokens that are not unreserved keywords): an identifier spelled so is quoted. */
const RESERVED = new Set(('add allow alter and ann apply asc authorize batch begin by cast columnfamily concurrency create default delete drop '
  + 'entries from full grant if in index infinity insert into is keyspace limit materialized modify nan norecursive not null of on or order '
  + 'primary rename replace revoke schema scylla_clustering_bound scylla_counter_shard_list scylla_timeuuid_list_index select set '
  + 'text_search_indexing to token truncate unlogged unset update use using vector_search_indexing view where with').split(' '));

/** Keyspaces DESC SCHEMA leaves out (db.get_user_keyspaces()). */
const SYSTEM_KEYSPACES = new Set(['system', 'system_schema', 'system_auth', 'system_distributed', 'system_distributed_everywhere', 'system_traces', 'system_replicated_keys']);


/** `cql3::util::maybe_quote`: bare when [a-z][a-z0-9_]* and not reserved, else "double-quoted" with " doubled. */
export function maybeQuote(id: string): string {
  if (/^[a-z][a-z0-9_]*$/.test(id) && !RESERVED.has(id)) return id;
  return `"${id.replace(/"/g, '""')}"`;
}

/** `cql3::util::single_quote`. */
export function singleQuote(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** `cql3_type_name()`: as system_schema shows types, UDT names quoted. */
function typeName(t: CqlType): string {
  const frozen = (f: boolean | undefined, s: string): string => (f ? `frozen<${s}>` : s);
  switch (t.kind) {
    case 'list': return frozen(t.frozen, `list<${typeName(t.element)}>`);
    case 'set': return frozen(t.frozen, `set<${typeName(t.element)}>`);
    case 'map': return frozen(t.frozen, `map<${typeName(t.key)}, ${typeName(t.value)}>`);
    case 'tuple': return `frozen<tuple<${t.elements.map(typeName).join(', ')}>>`;
    case 'udt': return frozen(t.frozen, maybeQuote(t.name));
    case 'custom': return `'${t.className}'`;
    default: return t.kind;
  }
}

interface Description {
  keyspace: string | null;
  type: string;
  name: string;
  stmt?: string;
}

const text: CqlType = { kind: 'text' };
const spec = (name: string, type: CqlType = text): ColumnSpec => ({ keyspace: 'system', table: 'describe', name, type });
const LISTING_COLUMNS: ColumnSpec[] = [spec('keyspace_name'), spec('type'), spec('name')];
const ELEMENT_COLUMNS: ColumnSpec[] = [...LISTING_COLUMNS, spec('create_statement')];
const CLUSTER_COLUMNS: ColumnSpec[] = [spec('cluster'), spec('partitioner'), spec('snitch')];
const RANGE_OWNERSHIP = spec('range_ownership', { kind: 'map', key: text, value: { kind: 'list', element: text } });

/** Result metadata at PREPARE (DESC CLUSTER adds range_ownership at execution when a keyspace is in use). */
export function describeResultColumns(s: DescribeStatement): ColumnSpec[] {
  if (s.target.kind === 'cluster') return CLUSTER_COLUMNS;
  return s.target.kind === 'listing' ? LISTING_COLUMNS : ELEMENT_COLUMNS;
}

/** Checks done when Scylla prepares the statement. */
export function validateDescribe(s: DescribeStatement): void {
  if (s.withPasswords && s.target.kind !== 'schema') throw new InvalidRequest('Option WITH PASSWORDS is only allowed with DESC SCHEMA');
}

export function executeDescribe(cluster: Cluster, session: Session, s: DescribeStatement): ExecResult {
  const t = s.target;
  if (t.kind === 'cluster') return describeCluster(cluster, session);
  const descs = describe(cluster, session, t, s);
  if (t.kind === 'listing') {
    return { kind: 'rows', columns: LISTING_COLUMNS, rows: descs.map((d) => [d.keyspace === null ? null : Buffer.from(maybeQuote(d.keyspace)), Buffer.from(d.type), Buffer.from(maybeQuote(d.name))]) };
  }
  return {
    kind: 'rows', columns: ELEMENT_COLUMNS,
    rows: descs.map((d) => [d.keyspace === null ? null : Buffer.from(maybeQuote(d.keyspace)), Buffer.from(d.type), Buffer.from(maybeQuote(d.name)), Buffer.from(d.stmt ?? '')]),
  };
}

function describe(cluster: Cluster, session: Session, t: Exclude<DescribeTarget, { kind: 'cluster' }>, s: DescribeStatement): Description[] {
  const internals = s.withInternals;
  switch (t.kind) {
    case 'listing': {
      // DESC KEYSPACES lists every keyspace; the others only the USEd keyspace, if any
      const names = t.element !== 'keyspace' && session.keyspace ? [session.keyspace] : [...cluster.schema.keyspaces.keys()].sort(byteCompare);
      return names.flatMap((n) => listElements(keyspaceOf(cluster, n), t.element));
    }
    case 'keyspace': {
      const ks = keyspaceOf(cluster, t.keyspace ?? session.keyspace ?? '');
      return t.only ? [keyspaceDescription(ks, true)] : keyspaceElements(cluster, ks, internals);
    }
    case 'schema': {
      if (s.withPasswords && cluster.options.auth) {
        const r = session.user ? cluster.roles.get(session.user) : undefined;
        if (!r?.isSuperuser) throw new UnauthorizedError('DESCRIBE SCHEMA WITH INTERNALS AND PASSWORDS can only be issued by a superuser');
      }
      const names = [...cluster.schema.keyspaces.keys()].filter((n) => t.full || !SYSTEM_KEYSPACES.has(n)).sort(byteCompare);
      const out = names.flatMap((n) => keyspaceElements(cluster, keyspaceOf(cluster, n), internals));
      if (internals) out.push(...describeRoles(cluster, s.withPasswords), ...describeServiceLevels(cluster));
      return out;
    }
    case 'element': {
      const ksName = t.keyspace ?? session.keyspace;
      if (!ksName) throw new InvalidRequest('No keyspace specified and no current keyspace');
      return describeElement(cluster, keyspaceOf(cluster, ksName), t.element, t.name, internals);
    }
    case 'generic': return describeGeneric(cluster, session, t.keyspace, t.name, internals);
  }
}

function byteCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function keyspaceOf(cluster: Cluster, name: string): KeyspaceMeta {
  const ks = cluster.schema.keyspaces.get(name);
  if (!ks) throw new InvalidRequest(`'${name}' not found in keyspaces`);
  return ks;
}

function isCdcLog(ks: KeyspaceMeta, t: TableMeta): boolean {
  if (!t.name.endsWith(CDC_LOG_SUFFIX)) return false;
  const base = ks.tables.get(t.name.slice(0, -CDC_LOG_SUFFIX.length));
  return base !== undefined && base.cdcLog === t && cdcEnabled(base);
}

/** Tables of a keyspace as DESCRIBE lists them: no views, no CDC logs, by name. */
function userTables(ks: KeyspaceMeta): TableMeta[] {
  return [...ks.tables.values()].filter((t) => !isCdcLog(ks, t)).sort((a, b) => byteCompare(a.name, b.name));
}

function listElements(ks: KeyspaceMeta, element: 'keyspace' | 'table' | 'type' | 'function' | 'aggregate'): Description[] {
  switch (element) {
    case 'keyspace': return [{ keyspace: ks.name, type: 'keyspace', name: ks.name }];
    case 'table': return userTables(ks).map((t) => ({ keyspace: ks.name, type: 'table', name: t.name }));
    case 'type': return sortedTypes(ks).map((u) => ({ keyspace: ks.name, type: 'type', name: u.name }));
    // the emulator has no user functions or aggregates
    case 'function': case 'aggregate': return [];
  }
}

function describeElement(cluster: Cluster, ks: KeyspaceMeta, element: 'table' | 'index' | 'view' | 'type' | 'function' | 'aggregate', name: string, internals: boolean): Description[] {
  switch (element) {
    case 'type': {
      const u = ks.types.get(name);
      if (!u) throw new InvalidRequest(`Type '${name}' not found in keyspace '${ks.name}'`);
      return [typeDescription(u)];
    }
    case 'function': throw new InvalidRequest(`Function '${name}' not found in keyspace '${ks.name}'`);
    case 'aggregate': throw new InvalidRequest(`Aggregate '${name}' not found in keyspace '${ks.name}'`);
    case 'index': throw new InvalidRequest(`Table for existing index '${name}' not found in '${ks.name}'`);
    case 'view': {
      const v = ks.views.get(name);
      if (!v) throw new InvalidRequest(`Materialized view '${name}' not found in keyspace '${ks.name}'`);
      return [tableDescription(ks, v, internals)];
    }
    case 'table': return describeTable(ks, name, internals);
  }
}

function describeTable(ks: KeyspaceMeta, name: string, internals: boolean): Description[] {
  const t = ks.relation(name);
  if (!t) throw new InvalidRequest(`Table '${name}' not found in keyspace '${ks.name}'`);
  if (t.view) throw new InvalidRequest('Cannot use DESC TABLE on materialized View. (Did you mean DESC MATERIALIZED VIEW)?');
  const d = tableDescription(ks, t, internals);
  if (isCdcLog(ks, t)) {
    d.stmt = '/* Do NOT execute this statement! It\'s only for informational purposes.\n'
      + '   A CDC log table is created automatically when creating the base with CDC\n'
      + '   enabled option or creating the vector index on the base table\'s vector column.\n'
      + `\n${d.stmt}\n*/`;
  }
  const out = [d];
  for (const v of [...t.views].sort((a, b) => byteCompare(a.name, b.name))) out.push(tableDescription(ks, v, internals));
  if (t.cdcLog && ks.tables.get(t.cdcLog.name) === t.cdcLog && cdcEnabled(t)) {
    // the log table as ALTER ... WITH its properties: restoring the base re-creates the log
    const log = t.cdcLog;
    out.push({ keyspace: ks.name, type: 'table', name: log.name, stmt: `ALTER TABLE ${maybeQuote(ks.name)}.${maybeQuote(log.name)} WITH ${tableProperties(ks, log)};\n` });
  }
  return out;
}

function keyspaceElements(cluster: Cluster, ks: KeyspaceMeta, internals: boolean): Description[] {
  const out = [keyspaceDescription(ks, true)];
  for (const u of sortedTypes(ks)) out.push(typeDescription(u));
  for (const t of userTables(ks)) out.push(...describeTable(ks, t.name, internals));
  return out;
}

function describeGeneric(cluster: Cluster, session: Session, keyspace: string | undefined, name: string, internals: boolean): Description[] {
  if (keyspace === undefined) {
    const ks = cluster.schema.keyspaces.get(name);
    if (ks) return keyspaceElements(cluster, ks, internals);
    if (!session.keyspace) throw new InvalidRequest(`'${name}' not found in keyspaces`);
  }
  const ksName = keyspace ?? session.keyspace!;
  const ks = cluster.schema.keyspaces.get(ksName);
  if (!ks) throw new InvalidRequest(`'${name}' not found in keyspaces`);
  const t = ks.relation(name);
  if (t) return t.view ? [tableDescription(ks, t, internals)] : describeTable(ks, name, internals);
  const u = ks.types.get(name);
  if (u) return [typeDescription(u)];
  throw new InvalidRequest(`'${name}' not found in keyspace '${ksName}'`);
}

// ---------------------------------------------------------------------------------------------
// create statements

/** data_dictionary.cc keyspace_metadata::describe */
function keyspaceDescription(ks: KeyspaceMeta, withStmt: boolean): Description {
  const d: Description = { keyspace: ks.name, type: 'keyspace', name: ks.name };
  if (!withStmt) return d;
  const opts = [...ks.replication].filter(([k]) => k !== 'class').sort((a, b) => byteCompare(a[0], b[0]));
  let s = `CREATE KEYSPACE ${maybeQuote(ks.name)} WITH replication = {'class': ${singleQuote(ks.replication.get('class') ?? '')}`;
  for (const [k, v] of opts) s += `, ${singleQuote(k)}: ${singleQuote(v)}`;
  s += `} AND durable_writes = ${ks.durableWrites ? 'true' : 'false'}`;
  // the emulator has the tablets feature, so every keyspace states its mode
  if (ks.tablets?.enabled) s += ks.tablets.initial ? ` AND tablets = {'enabled': true, 'initial': ${ks.tablets.initial}}` : " AND tablets = {'enabled': true}";
  else s += " AND tablets = {'enabled': false}";
  d.stmt = `${s};`;
  return d;
}

/** types.cc user_type_impl::describe */
function typeDescription(u: UdtMeta): Description {
  let s = `CREATE TYPE ${maybeQuote(u.keyspace)}.${maybeQuote(u.name)} (\n`;
  u.fields.forEach((f, i) => {
    s += `    ${maybeQuote(f.name)} ${typeName(f.type)}${i < u.fields.length - 1 ? ',' : ''}\n`;
  });
  return { keyspace: u.keyspace, type: 'type', name: u.name, stmt: `${s});` };
}

/** UDTs ordered so a type comes after those it uses (Scylla sorts them topologically), else by name. */
function sortedTypes(ks: KeyspaceMeta): UdtMeta[] {
  const all = [...ks.types.values()].sort((a, b) => byteCompare(a.name, b.name));
  const uses = (t: CqlType, out: Set<string>): void => {
    switch (t.kind) {
      case 'list': case 'set': uses(t.element, out); break;
      case 'map': uses(t.key, out); uses(t.value, out); break;
      case 'tuple': for (const e of t.elements) uses(e, out); break;
      case 'udt': out.add(t.name); break;
      default: break;
    }
  };
  const done = new Set<string>();
  const out: UdtMeta[] = [];
  const visit = (u: UdtMeta): void => {
    if (done.has(u.name)) return;
    done.add(u.name);
    const deps = new Set<string>();
    for (const f of u.fields) uses(f.type, deps);
    for (const d of [...deps].sort(byteCompare)) {
      const dep = ks.types.get(d);
      if (dep) visit(dep);
    }
    out.push(u);
  };
  for (const u of all) visit(u);
  return out;
}

/** Columns in Scylla's order: partition key, clustering key, then static and regular columns each by name. */
function columnsInOrder(t: TableMeta): { name: string; type: CqlType; kind: string }[] {
  const live = (k: 'static' | 'regular') => (k === 'static' ? t.statics : t.regular)
    .filter((c) => t.byName.get(c.name) === c).sort((a, b) => byteCompare(a.name, b.name));
  return [...t.partitionKey, ...t.clustering, ...live('static'), ...live('regular')];
}

/** schema.cc schema::get_create_statement */
function tableDescription(ks: KeyspaceMeta, t: TableMeta, internals: boolean): Description {
  const q = `${maybeQuote(ks.name)}.${maybeQuote(t.name)}`;
  let s = 'CREATE ';
  if (t.view) {
    s += `MATERIALIZED VIEW ${q} AS\n`;
    s += t.view.includeAllColumns ? '    SELECT *' : `    SELECT ${columnsInOrder(t).map((c) => maybeQuote(c.name)).join(', ')}`;
    s += `\n    FROM ${maybeQuote(ks.name)}.${maybeQuote(t.view.baseTable)}`;
    s += `\n    WHERE ${t.view.whereClause}`;
  } else {
    s += `TABLE ${q} (`;
    for (const c of columnsInOrder(t)) {
      if (internals && t.dropped.has(c.name)) continue;
      s += `\n    ${maybeQuote(c.name)} ${typeName(c.type)}${c.kind === 'static' ? ' STATIC' : ''},`;
    }
    if (internals) for (const [n, d] of t.dropped) s += `\n    ${maybeQuote(n)} ${typeName(d.type)},`;
  }
  const pk = t.partitionKey.map((c) => maybeQuote(c.name));
  s += `\n    PRIMARY KEY (${pk.length > 1 ? `(${pk.join(', ')})` : pk[0]}`;
  for (const c of t.clustering) s += `, ${maybeQuote(c.name)}`;
  s += ')';
  s += t.view ? '\n    ' : '\n) ';
  s += 'WITH ';
  if (internals) s += `ID = ${t.id}\nAND `;
  if (t.clustering.length > 0) {
    s += `CLUSTERING ORDER BY (${t.clustering.map((c) => `${maybeQuote(c.name)} ${c.desc ? 'DESC' : 'ASC'}`).join(', ')})\n    AND `;
  }
  s += `${tableProperties(ks, t)};\n`;
  if (internals && !t.view) {
    for (const [n, d] of t.dropped) {
      s += `\nALTER TABLE ${q} DROP ${maybeQuote(n)} USING TIMESTAMP ${d.timestampUs};`;
      const c = t.byName.get(n);
      if (c) s += `\nALTER TABLE ${q} ADD ${maybeQuote(c.name)} ${typeName(c.type)}${c.kind === 'static' ? ' STATIC' : ''};`;
    }
  }
  return { keyspace: ks.name, type: t.view ? 'view' : 'table', name: t.name, stmt: s };
}

function mapParam(m: ReadonlyMap<string, string>, first = true): string {
  return [...m].sort((a, b) => byteCompare(a[0], b[0])).map(([k, v], i) => `${i === 0 && first ? '' : ', '}'${k}': '${v}'`).join('');
}

function optionMap(t: TableMeta, name: string): Map<string, string> {
  const v = t.options.get(name);
  return v instanceof Map ? new Map([...v].map(([k, x]) => [k, String(x)])) : new Map();
}

function num(t: TableMeta, name: string, dflt: number): string {
  const v = t.options.get(name);
  return String(v === undefined ? dflt : Number(v));
}

/** schema.cc schema::schema_properties: the WITH clause after the key, extensions by name. */
function tableProperties(ks: KeyspaceMeta, t: TableMeta): string {
  const parts: string[] = [];
  parts.push(`bloom_filter_fp_chance = ${num(t, 'bloom_filter_fp_chance', 0.01)}`);
  parts.push(`caching = {${mapParam(optionMap(t, 'caching'))}}`);
  parts.push(`comment = ${singleQuote(String(t.options.get('comment') ?? ''))}`);
  const compaction = optionMap(t, 'compaction');
  const cls = compaction.get('class') ?? 'IncrementalCompactionStrategy';
  compaction.delete('class');
  parts.push(`compaction = {'class': '${cls}'${mapParam(compaction, false)}}`);
  parts.push(`compression = {${mapParam(optionMap(t, 'compression'))}}`);
  parts.push(`crc_check_chance = ${num(t, 'crc_check_chance', 1)}`);
  parts.push(`default_time_to_live = ${num(t, 'default_time_to_live', 0)}`);
  parts.push(`gc_grace_seconds = ${num(t, 'gc_grace_seconds', 864000)}`);
  parts.push(`max_index_interval = ${num(t, 'max_index_interval', 2048)}`);
  parts.push(`memtable_flush_period_in_ms = ${num(t, 'memtable_flush_period_in_ms', 0)}`);
  parts.push(`min_index_interval = ${num(t, 'min_index_interval', 128)}`);
  parts.push(`speculative_retry = '${String(t.options.get('speculative_retry') ?? '99.0PERCENTILE')}'`);
  // schema extensions, in the order of their names
  if (t.options.has('cdc')) parts.push(`cdc = {${mapParam(optionMap(t, 'cdc'))}}`);
  if (t.options.has('paxos_grace_seconds')) parts.push(`paxos_grace_seconds = ${num(t, 'paxos_grace_seconds', 0)}`);
  if (t.options.has('per_partition_rate_limit')) parts.push(`per_partition_rate_limit = {${mapParam(optionMap(t, 'per_partition_rate_limit'))}}`);
  const gc = new Map([['mode', ks.tablets?.enabled ? 'repair' : 'timeout'], ['propagation_delay_in_seconds', '3600']]);
  for (const [k, v] of optionMap(t, 'tombstone_gc')) gc.set(k, v);
  parts.push(`tombstone_gc = {${mapParam(gc)}}`);
  if (t.view && t.options.has('synchronous_updates')) parts.push(`synchronous_updates = ${String(t.options.get('synchronous_updates'))}`);
  return parts.join('\n    AND ');
}

// ---------------------------------------------------------------------------------------------
// DESC SCHEMA WITH INTERNALS: roles and service levels (auth/service.cc, service_level_controller.cc)

function describeRoles(cluster: Cluster, withPasswords: boolean): Description[] {
  return [...cluster.roles.values()].sort((a, b) => byteCompare(a.name, b.name)).map((r) => {
    const name = maybeQuote(r.name);
    const rolePart = r.name === 'cassandra' ? `IF NOT EXISTS ${name}` : name;
    const withPart = withPasswords && r.saltedHash ? `WITH HASHED PASSWORD = ${singleQuote(r.saltedHash)} AND` : 'WITH';
    return { keyspace: null, type: 'role', name: r.name, stmt: `CREATE ROLE ${rolePart} ${withPart} LOGIN = ${r.canLogin} AND SUPERUSER = ${r.isSuperuser};` };
  });
}

function describeServiceLevels(cluster: Cluster): Description[] {
  const sls = cluster.serviceLevels;
  const describeOne = (cmd: string, name: string, r: { timeoutMs: number | null; workloadType: string | null; shares: number | null }): string => {
    const opts: string[] = [];
    if (r.timeoutMs !== null) opts.push(`TIMEOUT = ${r.timeoutMs}ms`);
    if (r.workloadType) opts.push(`WORKLOAD_TYPE = '${r.workloadType}'`);
    if (r.shares !== null) opts.push(`SHARES = ${r.shares}`);
    return opts.length === 0 ? `${cmd} ${maybeQuote(name)};` : `${cmd} ${maybeQuote(name)} WITH ${opts.join(' AND ')};`;
  };
  const out: Description[] = [];
  const driver = sls.levels.get('driver');
  if (driver) {
    out.push({ keyspace: null, type: 'service_level', name: 'driver', stmt: describeOne('CREATE SERVICE LEVEL IF NOT EXISTS', 'driver', driver) });
    out.push({ keyspace: null, type: 'service_level', name: 'driver', stmt: describeOne('ALTER SERVICE LEVEL', 'driver', driver) });
  } else {
    out.push({ keyspace: null, type: 'service_level', name: 'driver', stmt: `DROP SERVICE LEVEL IF EXISTS ${maybeQuote('driver')};` });
  }
  for (const r of [...sls.levels.values()].filter((x) => x.name !== 'driver').sort((a, b) => byteCompare(a.name, b.name))) {
    out.push({ keyspace: null, type: 'service_level', name: r.name, stmt: describeOne('CREATE SERVICE LEVEL', r.name, r) });
  }
  const attached = [...sls.attached].map(([role, level]) => ({ keyspace: null, type: 'service_level_attachment', name: level, stmt: `ATTACH SERVICE LEVEL ${maybeQuote(level)} TO ${maybeQuote(role)};` }));
  attached.sort((a, b) => byteCompare(a.name, b.name) || byteCompare(a.stmt, b.stmt));
  return [...out, ...attached];
}

// ---------------------------------------------------------------------------------------------
// DESC CLUSTER

function describeCluster(cluster: Cluster, session: Session): ExecResult {
  const o = cluster.options;
  const snitch = o.racks.length === 1 && o.racks[0] === 'rack1' && o.datacenter === 'datacenter1'
    ? 'org.apache.cassandra.locator.SimpleSnitch' : 'org.apache.cassandra.locator.GossipingPropertyFileSnitch';
  const row: (Buffer | null)[] = [Buffer.from(o.clusterName), Buffer.from('org.apache.cassandra.dht.Murmur3Partitioner'), Buffer.from(snitch)];
  const ks = session.keyspace ? cluster.schema.keyspaces.get(session.keyspace) : undefined;
  // range ownership for a USEd vnode user keyspace (tablets: not produced, as Scylla)
  if (!ks || ks.system || SYSTEM_KEYSPACES.has(ks.name) || ks.tablets?.enabled) return { kind: 'rows', columns: CLUSTER_COLUMNS, rows: [row] };
  const ring = cluster.ring;
  const n = ring.tokens.length;
  const ranges: { start: bigint; end: bigint; endpoints: string[] }[] = [];
  for (let i = 0; i < n; i++) {
    ranges.push({ start: ring.tokens[(i + n - 1) % n], end: ring.tokens[i], endpoints: ring.replicasOfRange(i, ks.strategy, ks.strategyKey).map((x) => cluster.nodes[x].address) });
  }
  ranges.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const map = new Map(ranges.map((r) => [String(r.end), r.endpoints]));
  row.push(serialize(RANGE_OWNERSHIP.type, map));
  return { kind: 'rows', columns: [...CLUSTER_COLUMNS, RANGE_OWNERSHIP], rows: [row] };
}
