/**
 * Statement dispatch: parse (cached), compile to a Plan (cached per keyspace and schema
 * generation), prepared statements by id, and execution of non-plan statements (DDL, USE, roles).
 */
import { createHash } from 'node:crypto';
import { ErrorCode, ResponseError, UnpreparedError } from '../cql/errors.js';
import type { ColumnSpec } from '../cql/messages.js';
import { CqlSyntaxError, parseStatement, type ParsedStatement, type Statement } from '../cql/parser/index.js';
import type { Cluster } from './cluster.js';
import type { ExecExtras, ExecParams, ExecResult, Plan, Session } from './context.js';
import {
  alterRole, alterTable, createKeyspace, createRole, createTable, createType, createView, dropKeyspace, dropRole, dropTable, dropType,
  dropView, keyspaceReplication, truncate, applyTableOptions,
} from './ddl.js';
import { describeResultColumns, executeDescribe, validateDescribe } from './describe.js';
import { compileBatch, compileModification } from './modify.js';
import { compileSelect } from './select.js';
import { executePermissionStatement, executeServiceLevelStatement, serviceLevelResultColumns } from './sl-statements.js';
import { installSystemKeyspaces, virtualGenerator, virtualStore } from './system.js';
import { InvalidRequest, type Bound } from './values.js';

const MAX_CACHED = 5000;

export interface PreparedEntry {
  id: Buffer;
  cql: string;
  keyspace: string | undefined;
  parsed: ParsedStatement;
  plan: Plan;
}

/** A non-plan statement wrapped so PREPARE/EXECUTE treat everything alike. */
function directPlan(cluster: Cluster, run: (s: Session, bound: Bound, extras: ExecExtras) => ExecResult, bindCount: number): Plan {
  return {
    opKind: 'schema',
    bindSpecs: Array.from({ length: bindCount }, (_, i): ColumnSpec => ({ keyspace: '', table: '', name: `[bind${i}]`, type: { kind: 'blob' } })),
    pkIndexes: [],
    resultColumns: [],
    isLwt: false,
    generation: cluster.schema.generation,
    execute: (s, b, _p, e) => run(s, b, e),
  };
}

export class Executor {
  private readonly parsed = new Map<string, ParsedStatement>();
  private readonly plans = new Map<string, Plan>();
  private readonly prepared = new Map<string, PreparedEntry>();

  constructor(readonly cluster: Cluster) {
    installSystemKeyspaces(cluster);
  }

  parse(cql: string): ParsedStatement {
    let p = this.parsed.get(cql);
    if (!p) {
      p = parseStatement(cql);
      if (this.parsed.size >= MAX_CACHED) this.parsed.clear();
      this.parsed.set(cql, p);
    }
    return p;
  }

  /** The plan for a statement in a keyspace, recompiled when the schema changed since. */
  planFor(cql: string, keyspace: string | undefined): Plan {
    const key = `${keyspace ?? ''}\u0000${cql}`;
    let plan = this.plans.get(key);
    if (!plan || plan.generation !== this.cluster.schema.generation) {
      plan = this.compile(this.parse(cql), keyspace);
      if (this.plans.size >= MAX_CACHED) this.plans.clear();
      this.plans.set(key, plan);
    }
    return plan;
  }

  prepare(session: Session, cql: string): PreparedEntry {
    const parsed = this.parse(cql);
    const plan = this.planFor(cql, session.keyspace);
    // Cassandra's id: MD5 of the keyspace-qualified query string
    const id = createHash('md5').update(`${session.keyspace ?? ''}${cql}`).digest();
    const entry: PreparedEntry = { id, cql, keyspace: session.keyspace, parsed, plan };
    this.prepared.set(id.toString('latin1'), entry);
    return entry;
  }

  preparedEntry(id: Buffer): PreparedEntry {
    const e = this.prepared.get(id.toString('latin1'));
    if (!e) throw new UnpreparedError(`No prepared statement with ID ${id.toString('hex')} found.`, Buffer.from(id));
    if (e.plan.generation !== this.cluster.schema.generation) e.plan = this.planFor(e.cql, e.keyspace);
    return e;
  }

  query(session: Session, cql: string, bound: Bound, params: ExecParams, extras: ExecExtras): ExecResult {
    const plan = this.planFor(cql, session.keyspace);
    return plan.execute(session, bound, params, extras);
  }

  private compile(p: ParsedStatement, keyspace: string | undefined): Plan {
    const cluster = this.cluster;
    const s: Statement = p.statement;
    const noBinds = (what: string): void => {
      if (p.bindCount > 0) throw new InvalidRequest(`Bind variables are not allowed in ${what} statements`);
    };
    switch (s.kind) {
      case 'select': {
        const ks = cluster.keyspace(s.table.keyspace ?? keyspace);
        const table = ks.relation(s.table.name);
        if (!table) throw new InvalidRequest(`unconfigured table ${s.table.name}`);
        const gen = virtualGenerator(table);
        return compileSelect(cluster, ks, table, s, p.bindCount, gen ? { virtualStore: (session) => virtualStore(cluster, session, table) } : {});
      }
      case 'insert': case 'update': case 'delete': {
        const ks = cluster.keyspace(s.table.keyspace ?? keyspace);
        const table = ks.relation(s.table.name);
        if (!table) throw new InvalidRequest(`unconfigured table ${s.table.name}`);
        if (ks.system) throw new ResponseError(ErrorCode.UNAUTHORIZED, `${ks.name} keyspace is not user-modifiable.`);
        return compileModification(cluster, ks, table, s, p.bindCount);
      }
      case 'batch':
        return compileBatch(cluster, keyspace, s, p.bindCount);
      case 'use':
        return directPlan(cluster, (session) => {
          cluster.keyspace(s.keyspace);
          session.keyspace = s.keyspace;
          return { kind: 'set_keyspace', keyspace: s.keyspace };
        }, p.bindCount);
      case 'create-keyspace': noBinds('CREATE KEYSPACE'); return directPlan(cluster, () => createKeyspace(cluster, s), 0);
      case 'alter-keyspace':
        noBinds('ALTER KEYSPACE');
        return directPlan(cluster, () => {
          const ks = cluster.keyspace(s.name);
          if (ks.system) throw new ResponseError(ErrorCode.UNAUTHORIZED, `${ks.name} keyspace is not user-modifiable.`);
          const r = keyspaceReplication(cluster, s.properties, s.name, ks);
          ks.setReplication(r.replication);
          ks.durableWrites = r.durableWrites;
          cluster.emitSchemaChange({ change: 'UPDATED', target: 'KEYSPACE', keyspace: ks.name });
          return { kind: 'schema_change', change: { change: 'UPDATED', target: 'KEYSPACE', keyspace: ks.name } };
        }, 0);
      case 'drop-keyspace': return directPlan(cluster, () => dropKeyspace(cluster, s.name, s.ifExists), 0);
      case 'create-table': noBinds('CREATE TABLE'); return directPlan(cluster, (session) => createTable(cluster, session, s), 0);
      case 'alter-table': return directPlan(cluster, (session) => alterTable(cluster, session, s), 0);
      case 'drop-table': return directPlan(cluster, (session) => dropTable(cluster, session, s.table.keyspace, s.table.name, s.ifExists), 0);
      case 'truncate': return directPlan(cluster, (session) => truncate(cluster, session, s.table.keyspace, s.table.name), 0);
      case 'create-view':
        return directPlan(cluster, (session, _b, extras) => {
          const r = createView(cluster, session, s, p.bindCount);
          if (r.warnings) extras.warnings = r.warnings;
          const { warnings: _w, ...rest } = r as ExecResult & { warnings?: string[] };
          return rest as ExecResult;
        }, p.bindCount);
      case 'alter-view':
        return directPlan(cluster, (session) => {
          const ks = cluster.keyspace(s.view.keyspace ?? session.keyspace);
          const v = ks.views.get(s.view.name);
          if (!v) throw new InvalidRequest(`unconfigured table ${s.view.name}`);
          applyTableOptions(s.properties, v.options, true);
          cluster.emitSchemaChange({ change: 'UPDATED', target: 'TABLE', keyspace: ks.name, name: v.name });
          return { kind: 'schema_change', change: { change: 'UPDATED', target: 'TABLE', keyspace: ks.name, name: v.name } };
        }, 0);
      case 'drop-view': return directPlan(cluster, (session) => dropView(cluster, session, s.view.keyspace, s.view.name, s.ifExists), 0);
      case 'create-type': return directPlan(cluster, (session) => createType(cluster, session, s), 0);
      case 'drop-type': return directPlan(cluster, (session) => dropType(cluster, session, s.type.keyspace, s.type.name, s.ifExists), 0);
      case 'create-role': return directPlan(cluster, (session) => createRole(cluster, session, s.name, s.ifNotExists, s.options), 0);
      case 'alter-role': return directPlan(cluster, (session) => alterRole(cluster, session, s.name, s.options), 0);
      case 'drop-role':
        return directPlan(cluster, (session) => {
          const r = dropRole(cluster, session, s.name, s.ifExists);
          cluster.serviceLevels.roleDropped(s.name);
          return r;
        }, 0);
      case 'grant-permission': case 'revoke-permission':
        return directPlan(cluster, (session) => executePermissionStatement(cluster, session, s), 0);
      case 'create-service-level': case 'alter-service-level': case 'drop-service-level': case 'attach-service-level':
      case 'detach-service-level': case 'list-service-level': case 'list-all-service-levels': case 'list-attached-service-level':
      case 'list-all-attached-service-levels': case 'list-effective-service-level':
        return { ...directPlan(cluster, (session) => executeServiceLevelStatement(cluster, session, s), 0), resultColumns: serviceLevelResultColumns(s) };
      case 'describe':
        validateDescribe(s);
        // DESCRIBE reads the schema: capacity-wise a system read, not a schema change
        return { ...directPlan(cluster, (session) => executeDescribe(cluster, session, s), 0), opKind: 'system', resultColumns: describeResultColumns(s) };
      case 'list-roles':
        return {
          ...directPlan(cluster, () => {
            const roles = [...cluster.roles.values()].filter((r) => !s.of || r.name === s.of).sort((a, b) => a.name.localeCompare(b.name));
            return { kind: 'rows', columns: LIST_ROLES_COLUMNS, rows: roles.map((r) => [Buffer.from(r.name), Buffer.from([r.isSuperuser ? 1 : 0]), Buffer.from([r.canLogin ? 1 : 0]), EMPTY_MAP]) };
          }, 0),
          resultColumns: LIST_ROLES_COLUMNS,
        };
    }
  }
}

const EMPTY_MAP = Buffer.from([0, 0, 0, 0]);
const LIST_ROLES_COLUMNS: ColumnSpec[] = [
  { keyspace: 'system', table: 'roles', name: 'role', type: { kind: 'text' } },
  { keyspace: 'system', table: 'roles', name: 'super', type: { kind: 'boolean' } },
  { keyspace: 'system', table: 'roles', name: 'login', type: { kind: 'boolean' } },
  { keyspace: 'system', table: 'roles', name: 'options', type: { kind: 'map', key: { kind: 'text' }, value: { kind: 'text' } } },
];

/** Maps parse errors to the response Scylla would send. */
export function toResponseError(e: unknown): ResponseError | undefined {
  if (e instanceof ResponseError) return e;
  if (e instanceof CqlSyntaxError) return new ResponseError(ErrorCode.SYNTAX_ERROR, e.message);
  if (e instanceof InvalidRequest) return new ResponseError(ErrorCode.INVALID, e.message);
  return undefined;
}
