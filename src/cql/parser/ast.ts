/**
 * The statement AST of the CQL subset. Plain data (no classes) so the emulator, `doctor` and
 * tests can inspect and build it freely. Names are already case-folded as CQL does: unquoted
 * identifiers lower-case, quoted ones as written.
 */
import type { CqlType } from '../types.js';

export type LiteralType = 'string' | 'integer' | 'float' | 'boolean' | 'uuid' | 'hex' | 'duration' | 'null' | 'nan' | 'infinity';

export type Term =
  | { kind: 'literal'; type: LiteralType; value: string }
  /** index: the 0-based position of this marker among all markers of the statement. */
  | { kind: 'bind'; index: number; name?: string }
  | { kind: 'list'; items: Term[] }
  | { kind: 'set'; items: Term[] }
  | { kind: 'map'; entries: [Term, Term][] }
  | { kind: 'tuple'; items: Term[] }
  | { kind: 'udt'; fields: [string, Term][] }
  | { kind: 'function'; name: string; args: Term[] }
  | { kind: 'cast'; term: Term; type: CqlType };

export type Operator = '=' | '<' | '<=' | '>' | '>=' | '!=' | 'IN' | 'CONTAINS' | 'CONTAINS KEY' | 'LIKE' | 'IS NOT NULL';

export type Relation =
  | { kind: 'column'; column: string; op: Operator; value: Term; mapKey?: Term }
  /** `col IN (a, b)`: the literal list; `col IN ?` is a 'column' relation with op IN and a bind term. */
  | { kind: 'in'; column: string; values: Term[] }
  | { kind: 'token'; columns: string[]; op: Operator; value: Term }
  | { kind: 'multi'; columns: string[]; op: Operator; value: Term }
  | { kind: 'multi-in'; columns: string[]; values: Term[] };

export type SelectExpr =
  | { kind: 'column'; name: string }
  | { kind: 'count-star' }
  | { kind: 'function'; name: string; args: SelectExpr[] }
  | { kind: 'term'; term: Term }
  | { kind: 'cast'; expr: SelectExpr; type: CqlType };

export interface Selector {
  expr: SelectExpr;
  alias?: string;
}

export interface TableRef {
  keyspace?: string;
  name: string;
}

export interface Using {
  ttl?: Term;
  timestamp?: Term;
  timeout?: Term;
}

export interface Ordering {
  column: string;
  desc: boolean;
}

export interface SelectStatement {
  kind: 'select';
  table: TableRef;
  json: boolean;
  distinct: boolean;
  /** null for `*`. */
  selectors: Selector[] | null;
  where: Relation[];
  groupBy: string[];
  orderBy: Ordering[];
  perPartitionLimit?: Term;
  limit?: Term;
  allowFiltering: boolean;
  bypassCache: boolean;
  using: Using;
}

export interface Condition {
  column: string;
  op: Operator;
  value: Term;
  mapKey?: Term;
}

export interface InsertStatement {
  kind: 'insert';
  table: TableRef;
  columns: string[];
  values: Term[];
  /** INSERT JSON '...' */
  json?: Term;
  ifNotExists: boolean;
  using: Using;
}

export type Assignment =
  | { kind: 'set'; column: string; value: Term }
  /** col = col + v (add), col = col - v (remove), col = v + col (prepend) */
  | { kind: 'add' | 'remove' | 'prepend'; column: string; value: Term }
  | { kind: 'set-element'; column: string; key: Term; value: Term }
  | { kind: 'set-field'; column: string; field: string; value: Term };

export interface UpdateStatement {
  kind: 'update';
  table: TableRef;
  using: Using;
  assignments: Assignment[];
  where: Relation[];
  ifExists: boolean;
  conditions: Condition[];
}

export interface DeleteStatement {
  kind: 'delete';
  /** Columns to delete (with element key for `m['k']`); empty = the whole row / partition / range. */
  columns: { name: string; key?: Term }[];
  table: TableRef;
  using: Using;
  where: Relation[];
  ifExists: boolean;
  conditions: Condition[];
}

export type ModificationStatement = InsertStatement | UpdateStatement | DeleteStatement;

export interface BatchStatement {
  kind: 'batch';
  type: 'logged' | 'unlogged' | 'counter';
  using: Using;
  statements: ModificationStatement[];
}

/** A property value in WITH clauses: literal text, or a map of string keys to literal text. */
export type PropertyValue =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: string }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'map'; entries: [string, PropertyValue][] }
  | { kind: 'identifier'; value: string };

export interface Property {
  name: string;
  value: PropertyValue;
}

export interface ColumnDefinition {
  name: string;
  type: CqlType;
  isStatic: boolean;
}

export interface CreateKeyspaceStatement { kind: 'create-keyspace'; name: string; ifNotExists: boolean; properties: Property[] }
export interface AlterKeyspaceStatement { kind: 'alter-keyspace'; name: string; properties: Property[] }
export interface DropKeyspaceStatement { kind: 'drop-keyspace'; name: string; ifExists: boolean }

export interface CreateTableStatement {
  kind: 'create-table';
  table: TableRef;
  ifNotExists: boolean;
  columns: ColumnDefinition[];
  partitionKey: string[];
  clusteringKey: string[];
  clusteringOrder: Ordering[];
  compactStorage: boolean;
  properties: Property[];
}

export type AlterTableAction =
  | { kind: 'add'; columns: ColumnDefinition[] }
  /** `timestampUs`: DROP ... USING TIMESTAMP n, as DESCRIBE ... WITH INTERNALS writes it */
  | { kind: 'drop'; columns: string[]; timestampUs?: bigint }
  | { kind: 'alter-type'; column: string; type: CqlType }
  | { kind: 'rename'; renames: [string, string][] }
  | { kind: 'with'; properties: Property[] };

export interface AlterTableStatement { kind: 'alter-table'; table: TableRef; action: AlterTableAction }
export interface DropTableStatement { kind: 'drop-table'; table: TableRef; ifExists: boolean }
export interface TruncateStatement { kind: 'truncate'; table: TableRef; using: Using }

export interface CreateViewStatement {
  kind: 'create-view';
  view: TableRef;
  ifNotExists: boolean;
  base: TableRef;
  selectors: Selector[] | null;
  where: Relation[];
  partitionKey: string[];
  clusteringKey: string[];
  clusteringOrder: Ordering[];
  properties: Property[];
}
export interface AlterViewStatement { kind: 'alter-view'; view: TableRef; properties: Property[] }
export interface DropViewStatement { kind: 'drop-view'; view: TableRef; ifExists: boolean }

export interface CreateTypeStatement { kind: 'create-type'; type: TableRef; ifNotExists: boolean; fields: { name: string; type: CqlType }[] }
export interface DropTypeStatement { kind: 'drop-type'; type: TableRef; ifExists: boolean }

export interface RoleOptions {
  password?: string;
  login?: boolean;
  superuser?: boolean;
}
export interface CreateRoleStatement { kind: 'create-role'; name: string; ifNotExists: boolean; options: RoleOptions }
export interface AlterRoleStatement { kind: 'alter-role'; name: string; options: RoleOptions }
export interface DropRoleStatement { kind: 'drop-role'; name: string; ifExists: boolean }
export interface ListRolesStatement { kind: 'list-roles'; of?: string; norecursive: boolean }

/** Permissions of GRANT/REVOKE ('all': ALL PERMISSIONS). */
export type Permission = 'all' | 'create' | 'alter' | 'drop' | 'select' | 'modify' | 'authorize' | 'describe' | 'execute';
export type Resource =
  | { kind: 'all-keyspaces' }
  | { kind: 'keyspace'; keyspace: string }
  | { kind: 'table'; table: TableRef }
  | { kind: 'all-roles' }
  | { kind: 'role'; role: string };
export interface PermissionStatement { kind: 'grant-permission' | 'revoke-permission'; permission: Permission; resource: Resource; role: string }

/** Service-level statements (Scylla's CREATE/ALTER/DROP/ATTACH/DETACH/LIST SERVICE LEVEL), parsed so callers can answer them; options as written. */
export type ServiceLevelStatement =
  | { kind: 'create-service-level'; name: string; ifNotExists: boolean; properties: Property[] }
  | { kind: 'alter-service-level'; name: string; properties: Property[] }
  | { kind: 'drop-service-level'; name: string; ifExists: boolean }
  | { kind: 'attach-service-level'; name: string; role: string }
  | { kind: 'detach-service-level'; role: string }
  | { kind: 'list-service-level'; name: string }
  | { kind: 'list-all-service-levels' }
  | { kind: 'list-attached-service-level'; role: string }
  | { kind: 'list-all-attached-service-levels' }
  | { kind: 'list-effective-service-level'; role: string };

export interface UseStatement { kind: 'use'; keyspace: string }

/**
 * Scylla's server-side DESCRIBE (cql3/Cql.g describeStatement): listings (KEYSPACES, TABLES,
 * TYPES, FUNCTIONS, AGGREGATES), one element (KEYSPACE, TABLE, INDEX, MATERIALIZED VIEW, TYPE,
 * FUNCTION, AGGREGATE), SCHEMA, CLUSTER, or a bare `[ks.]name` looked up in that order.
 */
export type DescribeTarget =
  | { kind: 'cluster' }
  | { kind: 'schema'; full: boolean }
  | { kind: 'listing'; element: 'keyspace' | 'table' | 'type' | 'function' | 'aggregate' }
  | { kind: 'keyspace'; keyspace?: string; only: boolean }
  | { kind: 'element'; element: 'table' | 'index' | 'view' | 'type' | 'function' | 'aggregate'; keyspace?: string; name: string }
  | { kind: 'generic'; keyspace?: string; name: string };
export interface DescribeStatement { kind: 'describe'; target: DescribeTarget; withInternals: boolean; withPasswords: boolean }

export type Statement =
  | SelectStatement | InsertStatement | UpdateStatement | DeleteStatement | BatchStatement | UseStatement
  | CreateKeyspaceStatement | AlterKeyspaceStatement | DropKeyspaceStatement
  | CreateTableStatement | AlterTableStatement | DropTableStatement | TruncateStatement
  | CreateViewStatement | AlterViewStatement | DropViewStatement
  | CreateTypeStatement | DropTypeStatement
  | CreateRoleStatement | AlterRoleStatement | DropRoleStatement | ListRolesStatement | PermissionStatement
  | ServiceLevelStatement | DescribeStatement;

/** A parsed statement with the number of bind markers it contains (and their names if named). */
export interface ParsedStatement {
  statement: Statement;
  bindCount: number;
  bindNames: (string | undefined)[];
}
