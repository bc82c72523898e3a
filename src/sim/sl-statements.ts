/**
 * The service-level statements with Scylla's messages (CREATE/ALTER/DROP/ATTACH/DETACH/LIST
 * SERVICE LEVEL), GRANT/REVOKE on data resources, and the rows of `system.service_levels_v2`
 * and `system.role_attributes`. The catalogue itself is service-levels.ts.
 *
 * GRANT/REVOKE are checked (superuser, role and resource exist) and accepted; permissions are
 * not enforced: every role may read and write every keyspace.
 */
import { serialize } from '../cql/codecs.js';
import type { ResponseError } from '../cql/errors.js';
import type { ColumnSpec } from '../cql/messages.js';
import type { PermissionStatement, Property, PropertyValue, ServiceLevelStatement } from '../cql/parser/ast.js';
import type { CqlType } from '../cql/types.js';
import type { Cluster } from './cluster.js';
import type { ExecResult, Session } from './context.js';
import { InvalidRequest, parseDurationLiteral, SyntaxErrorResponse, UnauthorizedError } from './values.js';
import { DEFAULT_SHARES, MAX_USER_LEVELS, type ServiceLevelRow, type WorkloadType } from './service-levels.js';

const syntaxError = (m: string): ResponseError => new SyntaxErrorResponse(m);
const unauthorized = (m: string): ResponseError => new UnauthorizedError(m);

// ---------------------------------------------------------------------------------------------
// options (sl_prop_defs.cc)

interface Options {
  timeoutMs?: number | null;
  workloadType?: WorkloadType | null;
  shares?: number;
}

function scalar(v: PropertyValue): string {
  switch (v.kind) {
    case 'string': case 'number': case 'identifier': return v.value;
    case 'boolean': return v.value ? 'true' : 'false';
    case 'map': throw syntaxError('Invalid map value where a simple value was expected');
  }
}

export function parseServiceLevelOptions(props: Property[]): Options {
  const o: Options = {};
  for (const p of props) {
    const v = scalar(p.value);
    switch (p.name) {
      case 'timeout': {
        if (v.toLowerCase() === 'null') { o.timeoutMs = null; break; }
        const d = parseDurationLiteral(v);
        if (d.months !== 0 || d.days !== 0) throw new InvalidRequest('Timeout values cannot be expressed in days/months');
        if (d.nanoseconds % 1_000_000n !== 0n) throw new InvalidRequest('Timeout values must be expressed in millisecond granularity');
        if (d.nanoseconds < 0n) throw new InvalidRequest('Timeout values must be nonnegative');
        o.timeoutMs = Number(d.nanoseconds / 1_000_000n);
        break;
      }
      case 'workload_type':
        if (v === 'null') o.workloadType = null;
        else if (v === 'interactive' || v === 'batch') o.workloadType = v;
        else throw new InvalidRequest(`Invalid workload type: ${v}`);
        break;
      case 'shares': {
        if (!/^-?\d+$/.test(v)) throw syntaxError(`Invalid integer value ${v} for 'shares'`);
        const n = Number(v);
        if (n < 1 || n > 1000) throw syntaxError(`'SHARES' can only take values of 1-1000 (given ${v})`);
        o.shares = n;
        break;
      }
      default:
        throw syntaxError(`Unknown property '${p.name}'`);
    }
  }
  return o;
}

// ---------------------------------------------------------------------------------------------
// statements

const QOS = 'QOS';
const text: CqlType = { kind: 'text' };
const col = (table: string, name: string, type: CqlType): ColumnSpec => ({ keyspace: QOS, table, name, type });
const LIST_COLUMNS: ColumnSpec[] = [
  col('service_levels', 'service_level', text), col('service_levels', 'timeout', { kind: 'duration' }),
  col('service_levels', 'workload_type', text), col('service_levels', 'shares', { kind: 'int' }),
];
const LIST_ALL_COLUMNS: ColumnSpec[] = [...LIST_COLUMNS, col('service_levels', 'percentage of all service level shares', text)];
const ATTACHED_COLUMNS: ColumnSpec[] = [col('service_levels_attachments', 'role', text), col('service_levels_attachments', 'service_level', text)];
const EFFECTIVE_COLUMNS: ColumnSpec[] = [
  col('effective_service_level', 'service_level_option', text), col('effective_service_level', 'effective_service_level', text),
  col('effective_service_level', 'value', text),
];

/** Result metadata of a service-level statement (PREPARED needs it before execution). */
export function serviceLevelResultColumns(s: ServiceLevelStatement): ColumnSpec[] {
  switch (s.kind) {
    case 'list-service-level': return LIST_COLUMNS;
    case 'list-all-service-levels': return LIST_ALL_COLUMNS;
    case 'list-attached-service-level': case 'list-all-attached-service-levels': return ATTACHED_COLUMNS;
    case 'list-effective-service-level': return EFFECTIVE_COLUMNS;
    default: return [];
  }
}

function requirePermission(cluster: Cluster, session: Session, permission: string): void {
  if (!cluster.options.auth) return;
  const r = session.user ? cluster.roles.get(session.user) : undefined;
  if (!r?.isSuperuser) throw unauthorized(`User ${session.user ?? 'anonymous'} has no ${permission} permission on <all service levels> or any of its parents`);
}

function requireRole(cluster: Cluster, role: string): void {
  if (!cluster.roles.has(role)) throw new InvalidRequest(`Role ${role} doesn't exist.`);
}

export function timeoutBytes(ms: number | null): Buffer | null {
  return ms === null ? null : serialize({ kind: 'duration' }, { months: 0, days: 0, nanoseconds: BigInt(ms) * 1_000_000n });
}

function intBytes(n: number | null): Buffer | null {
  if (n === null) return null;
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

function textBytes(s: string | null): Buffer | null {
  return s === null ? null : Buffer.from(s, 'utf8');
}

/** A duration as Scylla prints it (`50ms`, `1m30s`). */
export function formatDurationMs(ms: number): string {
  if (ms === 0) return '0ms';
  const parts: [number, string][] = [[3_600_000, 'h'], [60_000, 'm'], [1000, 's'], [1, 'ms']];
  let rest = ms;
  let out = '';
  for (const [unit, suffix] of parts) {
    const n = Math.floor(rest / unit);
    if (n > 0) { out += `${n}${suffix}`; rest -= n * unit; }
  }
  return out;
}

function rowOf(r: ServiceLevelRow): (Buffer | null)[] {
  return [textBytes(r.name), timeoutBytes(r.timeoutMs), textBytes(r.workloadType), intBytes(r.shares)];
}

function byName<T>(a: [string, T], b: [string, T]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

export function executeServiceLevelStatement(cluster: Cluster, session: Session, s: ServiceLevelStatement): ExecResult {
  const sl = cluster.serviceLevels;
  switch (s.kind) {
    case 'create-service-level': {
      requirePermission(cluster, session, 'CREATE');
      const o = parseServiceLevelOptions(s.properties);
      if (sl.levels.has(s.name)) {
        if (s.ifNotExists) return { kind: 'void' };
        throw new InvalidRequest(`The service level '${s.name}' already exists.`);
      }
      const user = [...sl.levels.keys()].filter((n) => n !== 'driver').length;
      if (user >= MAX_USER_LEVELS) throw new InvalidRequest("Can't create service level - no more scheduling groups exist");
      sl.levels.set(s.name, { name: s.name, timeoutMs: o.timeoutMs ?? null, workloadType: o.workloadType ?? null, shares: o.shares ?? null });
      sl.changed();
      return { kind: 'void' };
    }
    case 'alter-service-level': {
      requirePermission(cluster, session, 'ALTER');
      const o = parseServiceLevelOptions(s.properties);
      const row = sl.levels.get(s.name);
      if (!row) throw new InvalidRequest(`The service level '${s.name}' doesn't exist.`);
      if (o.timeoutMs !== undefined) row.timeoutMs = o.timeoutMs;
      if (o.workloadType !== undefined) row.workloadType = o.workloadType;
      if (o.shares !== undefined) row.shares = o.shares;
      sl.changed();
      return { kind: 'void' };
    }
    case 'drop-service-level': {
      requirePermission(cluster, session, 'DROP');
      if (!sl.levels.has(s.name)) {
        if (s.ifExists) return { kind: 'void' };
        throw new InvalidRequest(`Service Level ${s.name} doesn't exists.`);
      }
      // Scylla removes the attachments of a dropped level
      for (const [role, level] of sl.attached) if (level === s.name) sl.attached.delete(role);
      sl.levels.delete(s.name);
      sl.changed();
      return { kind: 'void' };
    }
    case 'attach-service-level': {
      requirePermission(cluster, session, 'AUTHORIZE');
      if (!sl.levels.has(s.name)) throw new InvalidRequest(`Service Level ${s.name} doesn't exists.`);
      requireRole(cluster, s.role);
      sl.attached.set(s.role, s.name);
      sl.changed();
      return { kind: 'void' };
    }
    case 'detach-service-level': {
      requirePermission(cluster, session, 'AUTHORIZE');
      requireRole(cluster, s.role);
      if (sl.attached.delete(s.role)) sl.changed();
      return { kind: 'void' };
    }
    case 'list-service-level': {
      requirePermission(cluster, session, 'DESCRIBE');
      const row = sl.levels.get(s.name);
      return { kind: 'rows', columns: LIST_COLUMNS, rows: row ? [rowOf(row)] : [] };
    }
    case 'list-all-service-levels': {
      requirePermission(cluster, session, 'DESCRIBE');
      const rows = [...sl.levels].sort(byName).map(([, r]) => r);
      const sum = rows.reduce((a, r) => a + (r.shares ?? DEFAULT_SHARES), 0);
      return {
        kind: 'rows', columns: LIST_ALL_COLUMNS,
        rows: rows.map((r) => [...rowOf(r), textBytes(`${((100 * (r.shares ?? DEFAULT_SHARES)) / sum).toFixed(2)}%`)]),
      };
    }
    case 'list-attached-service-level': {
      if (session.user !== s.role) requirePermission(cluster, session, 'DESCRIBE');
      const level = sl.attached.get(s.role);
      return { kind: 'rows', columns: ATTACHED_COLUMNS, rows: level !== undefined ? [[textBytes(s.role), textBytes(level)]] : [] };
    }
    case 'list-all-attached-service-levels': {
      requirePermission(cluster, session, 'DESCRIBE');
      return { kind: 'rows', columns: ATTACHED_COLUMNS, rows: [...sl.attached].sort(byName).map(([role, level]) => [textBytes(role), textBytes(level)]) };
    }
    case 'list-effective-service-level': {
      if (session.user !== s.role) requirePermission(cluster, session, 'DESCRIBE');
      requireRole(cluster, s.role);
      const name = sl.attached.get(s.role);
      const row = name !== undefined ? sl.levels.get(name) : undefined;
      if (!row) throw new InvalidRequest(`Role ${s.role} doesn't have assigned any service level`);
      return {
        kind: 'rows', columns: EFFECTIVE_COLUMNS,
        rows: [
          [textBytes('workload_type'), textBytes(row.name), textBytes(row.workloadType ?? 'unspecified')],
          [textBytes('timeout'), textBytes(row.name), row.timeoutMs === null ? null : textBytes(formatDurationMs(row.timeoutMs))],
        ],
      };
    }
  }
}

/** GRANT/REVOKE on data resources: validated, accepted, not enforced. */
export function executePermissionStatement(cluster: Cluster, session: Session, s: PermissionStatement): ExecResult {
  if (cluster.options.auth) {
    const r = session.user ? cluster.roles.get(session.user) : undefined;
    if (!r?.isSuperuser) throw unauthorized(`User ${session.user ?? 'anonymous'} has no AUTHORIZE permission on ${resourceName(s.resource, session)} or any of its parents`);
  }
  requireRole(cluster, s.role);
  const res = s.resource;
  if (res.kind === 'keyspace' && !cluster.schema.keyspaces.has(res.keyspace)) throw new InvalidRequest(`Resource ${resourceName(res, session)} doesn't exist.`);
  if (res.kind === 'table') {
    const ksName = res.table.keyspace ?? session.keyspace;
    const ks = ksName !== undefined ? cluster.schema.keyspaces.get(ksName) : undefined;
    if (!ks || !ks.relation(res.table.name)) throw new InvalidRequest(`Resource ${resourceName(res, session)} doesn't exist.`);
  }
  if (res.kind === 'role') requireRole(cluster, res.role);
  return { kind: 'void' };
}

function resourceName(r: PermissionStatement['resource'], session: Session): string {
  switch (r.kind) {
    case 'all-keyspaces': return '<all keyspaces>';
    case 'keyspace': return `<keyspace ${r.keyspace}>`;
    case 'table': return `<table ${r.table.keyspace ?? session.keyspace ?? ''}.${r.table.name}>`;
    case 'all-roles': return '<all roles>';
    case 'role': return `<role ${r.role}>`;
  }
}

// ---------------------------------------------------------------------------------------------
// system tables

export function serviceLevelRows(cluster: Cluster): Record<string, unknown>[] {
  return [...cluster.serviceLevels.levels.values()].map((r) => ({
    service_level: r.name,
    timeout: r.timeoutMs === null ? null : { months: 0, days: 0, nanoseconds: BigInt(r.timeoutMs) * 1_000_000n },
    workload_type: r.workloadType, shares: r.shares,
  }));
}

export function roleAttributeRows(cluster: Cluster): Record<string, unknown>[] {
  return [...cluster.serviceLevels.attached].map(([role, level]) => ({ role, name: 'service_level', value: level }));
}
