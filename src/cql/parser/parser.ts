/**
 * A recursive-descent parser for the CQL subset the emulator serves and `doctor` inspects.
 * One statement per call (a trailing `;` is allowed). Errors carry Scylla-like positions:
 * `line 1:7 mismatched input 'FORM' expecting FROM`.
 *
 * Statements Scylla has but this parser does not implement raise UnsupportedStatementError
 * naming the statement, so the emulator can answer "X is not supported" rather than a puzzling
 * position error.
 */
import { NATIVE_TYPES, TYPE_ALIASES, type CqlType, type NativeTypeName } from '../types.js';
import type {
  AlterTableAction, Assignment, BatchStatement, ColumnDefinition, Condition, DeleteStatement, DescribeTarget, InsertStatement,
  ModificationStatement, Operator, Ordering, ParsedStatement, Permission, Property, PropertyValue, Relation, Resource, RoleOptions,
  SelectExpr, SelectStatement, Selector, Statement, TableRef, Term, UpdateStatement, Using,
} from './ast.js';
import { CqlSyntaxError, UnsupportedStatementError, tokenize, type Token } from './lexer.js';

export function parseStatement(src: string): ParsedStatement {
  return new Parser(src).parseOne();
}

class Parser {
  private readonly toks: Token[];
  private p = 0;
  private bindCount = 0;
  private readonly bindNames: (string | undefined)[] = [];

  constructor(private readonly src: string) {
    this.toks = tokenize(src);
  }

  parseOne(): ParsedStatement {
    if (this.peek().kind === 'eof') throw new CqlSyntaxError('line 1:0 no viable alternative at input \'<EOF>\' (empty statement)', 1, 0);
    const statement = this.statement();
    while (this.isPunct(';')) this.p++;
    const t = this.peek();
    if (t.kind !== 'eof') this.fail(t, `extraneous input '${t.text}' expecting EOF`);
    return { statement, bindCount: this.bindCount, bindNames: this.bindNames };
  }

  // ---------------------------------------------------------------------------------------------
  // token helpers

  private peek(k = 0): Token {
    return this.toks[Math.min(this.p + k, this.toks.length - 1)];
  }
  private next(): Token {
    const t = this.toks[this.p];
    if (t.kind !== 'eof') this.p++;
    return t;
  }
  private fail(t: Token, msg: string): never {
    throw new CqlSyntaxError(`line ${t.line}:${t.col} ${msg}`, t.line, t.col);
  }
  private isKw(word: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind === 'ident' && t.value === word;
  }
  private acceptKw(word: string): boolean {
    if (this.isKw(word)) { this.p++; return true; }
    return false;
  }
  private expectKw(word: string): void {
    const t = this.peek();
    if (!this.acceptKw(word)) this.fail(t, `mismatched input '${t.text}' expecting ${word.toUpperCase()}`);
  }
  private isPunct(s: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind === 'punct' && t.value === s;
  }
  private acceptPunct(s: string): boolean {
    if (this.isPunct(s)) { this.p++; return true; }
    return false;
  }
  private expectPunct(s: string): void {
    const t = this.peek();
    if (!this.acceptPunct(s)) this.fail(t, `mismatched input '${t.text}' expecting '${s}'`);
  }

  /** An identifier (unquoted, folded; or quoted, as is). Keywords are allowed as names. */
  private ident(what = 'identifier'): string {
    const t = this.peek();
    if (t.kind === 'ident' || t.kind === 'qident') { this.p++; return t.value; }
    // Scylla's grammar also accepts string literals in a few name positions (roles, service levels)
    return this.fail(t, `no viable alternative at input '${t.text}' (expecting ${what})`);
  }

  /** [ks.]name */
  private tableRef(): TableRef {
    const first = this.ident('a table name');
    if (this.acceptPunct('.')) return { keyspace: first, name: this.ident('a table name') };
    return { name: first };
  }

  private ifNotExists(): boolean {
    if (this.isKw('if') && this.isKw('not', 1)) {
      this.p += 2;
      this.expectKw('exists');
      return true;
    }
    return false;
  }
  private ifExists(): boolean {
    if (this.isKw('if') && this.isKw('exists', 1)) { this.p += 2; return true; }
    return false;
  }

  // ---------------------------------------------------------------------------------------------
  // statements

  private statement(): Statement {
    const t = this.peek();
    if (t.kind !== 'ident') this.fail(t, `no viable alternative at input '${t.text}'`);
    switch (t.value) {
      case 'select': this.p++; return this.select();
      case 'insert': this.p++; return this.insert();
      case 'update': this.p++; return this.update();
      case 'delete': this.p++; return this.delete();
      case 'begin': this.p++; return this.batch();
      case 'use': this.p++; return { kind: 'use', keyspace: this.ident('a keyspace name') };
      case 'truncate': {
        this.p++;
        this.acceptKw('table') || this.acceptKw('columnfamily');
        const table = this.tableRef();
        return { kind: 'truncate', table, using: this.usingClause() };
      }
      case 'create': this.p++; return this.create();
      case 'alter': this.p++; return this.alter();
      case 'drop': this.p++; return this.drop();
      case 'list': this.p++; return this.list();
      case 'attach': {
        this.p++;
        this.serviceLevelKeyword();
        const name = this.roleName();
        this.expectKw('to');
        return { kind: 'attach-service-level', name, role: this.roleName() };
      }
      case 'detach': {
        this.p++;
        this.serviceLevelKeyword();
        this.expectKw('from');
        return { kind: 'detach-service-level', role: this.roleName() };
      }
      case 'grant': case 'revoke': this.p++; return this.grant(t);
      case 'describe': case 'desc': this.p++; return this.describe();
      case 'apply': this.fail(t, "no viable alternative at input 'APPLY' (APPLY BATCH without BEGIN BATCH)");
      // falls through (fail never returns)
      default:
        return this.fail(t, `no viable alternative at input '${t.text}'`);
    }
  }

  // GRANT perm [PERMISSION] | ALL [PERMISSIONS] ON resource TO role; REVOKE ... FROM role
  private grant(t: Token): Statement {
    const revoke = t.value === 'revoke';
    const perms = new Set(['create', 'alter', 'drop', 'select', 'modify', 'authorize', 'describe', 'execute']);
    const first = this.peek();
    let permission: Permission;
    if (first.kind === 'ident' && first.value === 'all' && (this.isKw('on', 1) || this.isKw('permissions', 1))) {
      this.p++;
      this.acceptKw('permissions');
      permission = 'all';
    } else if (first.kind === 'ident' && perms.has(first.value) && (this.isKw('on', 1) || this.isKw('permission', 1))) {
      this.p++;
      this.acceptKw('permission');
      permission = first.value as Permission;
    } else {
      // GRANT role TO role: role membership is not modelled
      return this.unsupported(t, `${t.value.toUpperCase()} <role> ${revoke ? 'FROM' : 'TO'} <role> (role membership)`);
    }
    this.expectKw('on');
    const resource = this.resource();
    this.expectKw(revoke ? 'from' : 'to');
    return { kind: revoke ? 'revoke-permission' : 'grant-permission', permission, resource, role: this.roleName() };
  }

  // ALL KEYSPACES | KEYSPACE ks | [TABLE] [ks.]t | ALL ROLES | ROLE r
  private resource(): Resource {
    const t = this.peek();
    if (this.isKw('all')) {
      if (this.isKw('keyspaces', 1)) { this.p += 2; return { kind: 'all-keyspaces' }; }
      if (this.isKw('roles', 1)) { this.p += 2; return { kind: 'all-roles' }; }
      if (this.isKw('functions', 1)) return this.unsupported(t, 'permissions on functions');
    }
    if (this.acceptKw('keyspace')) return { kind: 'keyspace', keyspace: this.ident('a keyspace name') };
    if (this.acceptKw('role')) return { kind: 'role', role: this.roleName() };
    if (this.isKw('function') || this.isKw('functions')) return this.unsupported(t, 'permissions on functions');
    this.acceptKw('table') || this.acceptKw('columnfamily');
    return { kind: 'table', table: this.tableRef() };
  }

  // DESC[RIBE] CLUSTER | [FULL] SCHEMA | KEYSPACES | [ONLY] KEYSPACE [ks] | TABLES | TABLE t | INDEX i
  //   | MATERIALIZED VIEW v | TYPES | TYPE t | FUNCTIONS | FUNCTION f | AGGREGATES | AGGREGATE a
  //   | [ks.]name, then [WITH INTERNALS [AND PASSWORDS]] (Scylla's cql3/Cql.g describeStatement)
  private describe(): Statement {
    const t = this.peek();
    const listing = { keyspaces: 'keyspace', tables: 'table', types: 'type', functions: 'function', aggregates: 'aggregate' } as const;
    const element = (e: 'table' | 'index' | 'view' | 'type' | 'function' | 'aggregate'): DescribeTarget => {
      const r = this.tableRef();
      return r.keyspace !== undefined ? { kind: 'element', element: e, keyspace: r.keyspace, name: r.name } : { kind: 'element', element: e, name: r.name };
    };
    let target: DescribeTarget;
    if (t.kind === 'ident' && t.value in listing && !this.isPunct('.', 1)) {
      this.p++;
      target = { kind: 'listing', element: listing[t.value as keyof typeof listing] };
    } else if (this.isKw('cluster') && !this.isPunct('.', 1)) {
      this.p++;
      target = { kind: 'cluster' };
    } else if (this.acceptKw('schema')) {
      target = { kind: 'schema', full: false };
    } else if (this.isKw('full') && this.isKw('schema', 1)) {
      this.p += 2;
      target = { kind: 'schema', full: true };
    } else if (this.isKw('keyspace') || (this.isKw('only') && this.isKw('keyspace', 1))) {
      const only = this.acceptKw('only');
      this.p++;
      const n = this.peek();
      if ((n.kind === 'ident' && n.value !== 'with') || n.kind === 'qident') {
        this.p++;
        target = { kind: 'keyspace', keyspace: n.value, only };
      } else target = { kind: 'keyspace', only };
    } else if (this.acceptKw('table') || this.acceptKw('columnfamily')) {
      target = element('table');
    } else if (this.acceptKw('index')) {
      target = element('index');
    } else if (this.isKw('materialized') && this.isKw('view', 1)) {
      this.p += 2;
      target = element('view');
    } else if (this.isKw('type') && !this.isPunct('.', 1) && this.peek(1).kind !== 'eof' && !this.isKw('with', 1)) {
      this.p++;
      target = element('type');
    } else if (this.isKw('function') && !this.isPunct('.', 1) && this.peek(1).kind !== 'eof' && !this.isKw('with', 1)) {
      this.p++;
      target = element('function');
    } else if (this.isKw('aggregate') && !this.isPunct('.', 1) && this.peek(1).kind !== 'eof' && !this.isKw('with', 1)) {
      this.p++;
      target = element('aggregate');
    } else {
      const r = this.tableRef();
      target = r.keyspace !== undefined ? { kind: 'generic', keyspace: r.keyspace, name: r.name } : { kind: 'generic', name: r.name };
    }
    let withInternals = false;
    let withPasswords = false;
    if (this.isKw('with') && this.isKw('internals', 1)) {
      this.p += 2;
      withInternals = true;
      if (this.isKw('and') && this.isKw('passwords', 1)) {
        this.p += 2;
        withPasswords = true;
      }
    }
    return { kind: 'describe', target, withInternals, withPasswords };
  }

  private unsupported(t: Token, what: string): never {
    throw new UnsupportedStatementError(`${what} statements are not supported by the scylla-bench emulator`, t.line, t.col);
  }

  // SELECT [JSON] [DISTINCT] selectors FROM t [WHERE ...] [GROUP BY ...] [ORDER BY ...]
  //   [PER PARTITION LIMIT n] [LIMIT n] [ALLOW FILTERING] [BYPASS CACHE] [USING TIMEOUT d]
  private select(): SelectStatement {
    const json = this.acceptKw('json');
    const distinct = this.acceptKw('distinct');
    let selectors: Selector[] | null = null;
    if (!this.acceptPunct('*')) {
      selectors = [];
      do selectors.push(this.selector()); while (this.acceptPunct(','));
    }
    this.expectKw('from');
    const table = this.tableRef();
    const s: SelectStatement = {
      kind: 'select', table, json, distinct, selectors, where: [], groupBy: [], orderBy: [],
      allowFiltering: false, bypassCache: false, using: {},
    };
    if (this.acceptKw('where')) s.where = this.whereClause();
    if (this.isKw('group')) {
      this.p++;
      this.expectKw('by');
      do s.groupBy.push(this.ident('a column name')); while (this.acceptPunct(','));
    }
    if (this.isKw('order')) {
      this.p++;
      this.expectKw('by');
      do s.orderBy.push(this.ordering()); while (this.acceptPunct(','));
    }
    if (this.isKw('per')) {
      this.p++;
      this.expectKw('partition');
      this.expectKw('limit');
      s.perPartitionLimit = this.term();
    }
    if (this.acceptKw('limit')) s.limit = this.term();
    if (this.isKw('allow')) {
      this.p++;
      this.expectKw('filtering');
      s.allowFiltering = true;
    }
    if (this.isKw('bypass')) {
      this.p++;
      this.expectKw('cache');
      s.bypassCache = true;
    }
    s.using = this.usingClause();
    return s;
  }

  private ordering(): Ordering {
    const column = this.ident('a column name');
    let desc = false;
    if (this.acceptKw('desc')) desc = true;
    else this.acceptKw('asc');
    return { column, desc };
  }

  private selector(): Selector {
    const expr = this.selectExpr();
    let alias: string | undefined;
    if (this.acceptKw('as')) alias = this.ident('an alias');
    return alias === undefined ? { expr } : { expr, alias };
  }

  private selectExpr(): SelectExpr {
    const t = this.peek();
    if ((t.kind === 'ident' || t.kind === 'qident') && this.isPunct('(', 1)) {
      const name = t.kind === 'ident' ? t.value : t.value;
      this.p += 2;
      if (t.kind === 'ident' && name === 'count' && this.isPunct('*')) {
        this.p++;
        this.expectPunct(')');
        return { kind: 'count-star' };
      }
      if (t.kind === 'ident' && name === 'cast') {
        const expr = this.selectExpr();
        this.expectKw('as');
        const type = this.type();
        this.expectPunct(')');
        return { kind: 'cast', expr, type };
      }
      const args: SelectExpr[] = [];
      if (!this.isPunct(')')) {
        do args.push(this.selectExpr()); while (this.acceptPunct(','));
      }
      this.expectPunct(')');
      // count(1) is count(*) by another spelling
      if (name === 'count' && args.length === 1 && args[0].kind === 'term' && args[0].term.kind === 'literal' && args[0].term.value === '1') {
        return { kind: 'count-star' };
      }
      return { kind: 'function', name, args };
    }
    if (t.kind === 'ident' || t.kind === 'qident') {
      if (t.kind === 'ident' && (t.value === 'true' || t.value === 'false' || t.value === 'null')) return { kind: 'term', term: this.term() };
      this.p++;
      return { kind: 'column', name: t.value };
    }
    return { kind: 'term', term: this.term() };
  }

  private whereClause(): Relation[] {
    const out: Relation[] = [];
    do out.push(this.relation()); while (this.acceptKw('and'));
    return out;
  }

  private operator(): Operator {
    const t = this.peek();
    if (t.kind === 'punct' && ['=', '<', '<=', '>', '>=', '!='].includes(t.value)) {
      this.p++;
      return t.value as Operator;
    }
    if (this.acceptKw('in')) return 'IN';
    if (this.acceptKw('contains')) return this.acceptKw('key') ? 'CONTAINS KEY' : 'CONTAINS';
    if (this.acceptKw('like')) return 'LIKE';
    if (this.isKw('is')) {
      this.p++;
      this.expectKw('not');
      this.expectKw('null');
      return 'IS NOT NULL';
    }
    return this.fail(t, `no viable alternative at input '${t.text}' (expecting a relation operator)`);
  }

  private relation(): Relation {
    // token(a, b) op term
    if (this.isKw('token') && this.isPunct('(', 1)) {
      this.p += 2;
      const columns: string[] = [];
      do columns.push(this.ident('a column name')); while (this.acceptPunct(','));
      this.expectPunct(')');
      const op = this.operator();
      return { kind: 'token', columns, op, value: this.term() };
    }
    // (a, b) op (x, y) | (a, b) IN ((..), (..))
    if (this.isPunct('(')) {
      this.p++;
      const columns: string[] = [];
      do columns.push(this.ident('a column name')); while (this.acceptPunct(','));
      this.expectPunct(')');
      const op = this.operator();
      if (op === 'IN' && this.isPunct('(')) {
        this.p++;
        const values: Term[] = [];
        if (!this.isPunct(')')) do values.push(this.term()); while (this.acceptPunct(','));
        this.expectPunct(')');
        return { kind: 'multi-in', columns, values };
      }
      return { kind: 'multi', columns, op, value: this.term() };
    }
    const column = this.ident('a column name');
    let mapKey: Term | undefined;
    if (this.acceptPunct('[')) {
      mapKey = this.term();
      this.expectPunct(']');
    }
    const op = this.operator();
    if (op === 'IS NOT NULL') return { kind: 'column', column, op, value: { kind: 'literal', type: 'null', value: 'null' } };
    if (op === 'IN' && this.isPunct('(')) {
      this.p++;
      const values: Term[] = [];
      if (!this.isPunct(')')) do values.push(this.term()); while (this.acceptPunct(','));
      this.expectPunct(')');
      return { kind: 'in', column, values };
    }
    const value = this.term();
    return mapKey ? { kind: 'column', column, op, value, mapKey } : { kind: 'column', column, op, value };
  }

  /** USING TTL t AND TIMESTAMP ts AND TIMEOUT d (any order, each at most once). */
  private usingClause(): Using {
    const u: Using = {};
    if (!this.isKw('using')) return u;
    this.p++;
    do {
      const t = this.peek();
      if (this.acceptKw('ttl')) u.ttl = this.term();
      else if (this.acceptKw('timestamp')) u.timestamp = this.term();
      else if (this.acceptKw('timeout')) u.timeout = this.term();
      else if (this.isServiceKw()) this.unsupported(t, 'USING SERVICE LEVEL');
      else this.fail(t, `mismatched input '${t.text}' expecting TTL, TIMESTAMP or TIMEOUT`);
    } while (this.acceptKw('and'));
    return u;
  }

  private insert(): InsertStatement {
    this.expectKw('into');
    const table = this.tableRef();
    const s: InsertStatement = { kind: 'insert', table, columns: [], values: [], ifNotExists: false, using: {} };
    if (this.acceptKw('json')) {
      s.json = this.term();
      if (this.isKw('default')) {
        this.p++;
        if (!this.acceptKw('null')) this.expectKw('unset');
      }
    } else {
      this.expectPunct('(');
      do s.columns.push(this.ident('a column name')); while (this.acceptPunct(','));
      this.expectPunct(')');
      this.expectKw('values');
      this.expectPunct('(');
      do s.values.push(this.term()); while (this.acceptPunct(','));
      this.expectPunct(')');
      if (s.columns.length !== s.values.length) {
        const t = this.peek();
        this.fail(t, `Unmatched column names/values: ${s.columns.length} columns, ${s.values.length} values`);
      }
    }
    s.ifNotExists = this.ifNotExists();
    s.using = this.usingClause();
    if (!s.ifNotExists) s.ifNotExists = this.ifNotExists();
    return s;
  }

  private update(): UpdateStatement {
    const table = this.tableRef();
    const using = this.usingClause();
    this.expectKw('set');
    const assignments: Assignment[] = [];
    do assignments.push(this.assignment()); while (this.acceptPunct(','));
    this.expectKw('where');
    const where = this.whereClause();
    const s: UpdateStatement = { kind: 'update', table, using, assignments, where, ifExists: false, conditions: [] };
    this.conditions(s);
    return s;
  }

  private assignment(): Assignment {
    const column = this.ident('a column name');
    if (this.acceptPunct('[')) {
      const key = this.term();
      this.expectPunct(']');
      this.expectPunct('=');
      return { kind: 'set-element', column, key, value: this.term() };
    }
    if (this.acceptPunct('.')) {
      const field = this.ident('a field name');
      this.expectPunct('=');
      return { kind: 'set-field', column, field, value: this.term() };
    }
    this.expectPunct('=');
    // col = col + v | col = col - v
    const t = this.peek();
    if ((t.kind === 'ident' || t.kind === 'qident') && t.value === column && (this.isPunct('+', 1) || this.isPunct('-', 1))) {
      this.p++;
      const op = this.next().value;
      return { kind: op === '+' ? 'add' : 'remove', column, value: this.term() };
    }
    const value = this.term();
    // col = v + col (list prepend)
    if (this.isPunct('+')) {
      const t2 = this.peek(1);
      if ((t2.kind === 'ident' || t2.kind === 'qident') && t2.value === column) {
        this.p += 2;
        return { kind: 'prepend', column, value };
      }
    }
    return { kind: 'set', column, value };
  }

  private conditions(s: { ifExists: boolean; conditions: Condition[] }): void {
    if (!this.isKw('if')) return;
    this.p++;
    if (this.acceptKw('exists')) { s.ifExists = true; return; }
    do {
      const column = this.ident('a column name');
      let mapKey: Term | undefined;
      if (this.acceptPunct('[')) {
        mapKey = this.term();
        this.expectPunct(']');
      }
      const op = this.operator();
      let value: Term;
      if (op === 'IN' && this.isPunct('(')) {
        this.p++;
        const items: Term[] = [];
        if (!this.isPunct(')')) do items.push(this.term()); while (this.acceptPunct(','));
        this.expectPunct(')');
        value = { kind: 'tuple', items };
      } else value = this.term();
      s.conditions.push(mapKey ? { column, op, value, mapKey } : { column, op, value });
    } while (this.acceptKw('and'));
  }

  private delete(): DeleteStatement {
    const columns: { name: string; key?: Term }[] = [];
    if (!this.isKw('from')) {
      do {
        const name = this.ident('a column name');
        if (this.acceptPunct('[')) {
          const key = this.term();
          this.expectPunct(']');
          columns.push({ name, key });
        } else columns.push({ name });
      } while (this.acceptPunct(','));
    }
    this.expectKw('from');
    const table = this.tableRef();
    const using = this.usingClause();
    this.expectKw('where');
    const where = this.whereClause();
    const s: DeleteStatement = { kind: 'delete', columns, table, using, where, ifExists: false, conditions: [] };
    this.conditions(s);
    return s;
  }

  private batch(): BatchStatement {
    let type: BatchStatement['type'] = 'logged';
    if (this.acceptKw('unlogged')) type = 'unlogged';
    else if (this.acceptKw('counter')) type = 'counter';
    this.expectKw('batch');
    const using = this.usingClause();
    const statements: ModificationStatement[] = [];
    for (;;) {
      while (this.acceptPunct(';'));
      if (this.isKw('apply')) {
        this.p++;
        this.expectKw('batch');
        break;
      }
      const t = this.peek();
      if (this.acceptKw('insert')) statements.push(this.insert());
      else if (this.acceptKw('update')) statements.push(this.update());
      else if (this.acceptKw('delete')) statements.push(this.delete());
      else this.fail(t, `mismatched input '${t.text}' expecting INSERT, UPDATE, DELETE or APPLY BATCH`);
    }
    return { kind: 'batch', type, using, statements };
  }

  private create(): Statement {
    const t = this.peek();
    if (this.acceptKw('keyspace') || this.acceptKw('schema')) {
      const ifNotExists = this.ifNotExists();
      const name = this.ident('a keyspace name');
      this.expectKw('with');
      return { kind: 'create-keyspace', name, ifNotExists, properties: this.properties() };
    }
    if (this.acceptKw('table') || this.acceptKw('columnfamily')) return this.createTable();
    if (this.isKw('materialized')) {
      this.p++;
      this.expectKw('view');
      return this.createView();
    }
    if (this.acceptKw('type')) {
      const ifNotExists = this.ifNotExists();
      const type = this.tableRef();
      this.expectPunct('(');
      const fields: { name: string; type: CqlType }[] = [];
      do fields.push({ name: this.ident('a field name'), type: this.type() }); while (this.acceptPunct(','));
      this.expectPunct(')');
      return { kind: 'create-type', type, ifNotExists, fields };
    }
    if (this.acceptKw('role')) {
      const ifNotExists = this.ifNotExists();
      const name = this.roleName();
      return { kind: 'create-role', name, ifNotExists, options: this.roleOptions() };
    }
    if (this.isServiceKw()) {
      this.serviceLevelKeyword();
      const ifNotExists = this.ifNotExists();
      const name = this.roleName();
      const properties = this.acceptKw('with') ? this.properties() : [];
      return { kind: 'create-service-level', name, ifNotExists, properties };
    }
    if (this.isKw('custom') || this.isKw('index')) return this.unsupported(t, 'CREATE INDEX');
    if (this.isKw('function') || this.isKw('or')) return this.unsupported(t, 'CREATE FUNCTION');
    if (this.isKw('aggregate')) return this.unsupported(t, 'CREATE AGGREGATE');
    if (this.isKw('trigger')) return this.unsupported(t, 'CREATE TRIGGER');
    if (this.isKw('user')) return this.unsupported(t, 'CREATE USER (use CREATE ROLE)');
    return this.fail(t, `no viable alternative at input '${t.text}' after CREATE`);
  }

  private createTable(): Statement {
    const ifNotExists = this.ifNotExists();
    const table = this.tableRef();
    this.expectPunct('(');
    const columns: ColumnDefinition[] = [];
    let partitionKey: string[] = [];
    let clusteringKey: string[] = [];
    let pkSeen = false;
    do {
      if (this.isKw('primary') && this.isKw('key', 1)) {
        const t = this.peek();
        this.p += 2;
        if (pkSeen) this.fail(t, 'Multiple PRIMARY KEYs specified (exactly one required)');
        pkSeen = true;
        this.expectPunct('(');
        if (this.acceptPunct('(')) {
          do partitionKey.push(this.ident('a column name')); while (this.acceptPunct(','));
          this.expectPunct(')');
        } else partitionKey = [this.ident('a column name')];
        while (this.acceptPunct(',')) clusteringKey.push(this.ident('a column name'));
        this.expectPunct(')');
        continue;
      }
      const name = this.ident('a column name');
      const type = this.type();
      const isStatic = this.acceptKw('static');
      columns.push({ name, type, isStatic });
      if (this.isKw('primary')) {
        const t = this.peek();
        this.p++;
        this.expectKw('key');
        if (pkSeen) this.fail(t, 'Multiple PRIMARY KEYs specified (exactly one required)');
        pkSeen = true;
        partitionKey = [name];
        clusteringKey = [];
      }
    } while (this.acceptPunct(','));
    this.expectPunct(')');
    // no PRIMARY KEY: an empty partition key, answered Invalid by the executor (as Scylla does)
    const s = {
      kind: 'create-table' as const, table, ifNotExists, columns, partitionKey, clusteringKey,
      clusteringOrder: [] as Ordering[], compactStorage: false, properties: [] as Property[],
    };
    if (this.acceptKw('with')) this.tableProperties(s);
    return s;
  }

  /** WITH a = b AND CLUSTERING ORDER BY (c DESC) AND COMPACT STORAGE ... */
  private tableProperties(s: { clusteringOrder: Ordering[]; properties: Property[]; compactStorage?: boolean }): void {
    do {
      if (this.isKw('clustering') && this.isKw('order', 1)) {
        this.p += 2;
        this.expectKw('by');
        this.expectPunct('(');
        do s.clusteringOrder.push(this.ordering()); while (this.acceptPunct(','));
        this.expectPunct(')');
      } else if (this.isKw('compact') && this.isKw('storage', 1)) {
        this.p += 2;
        s.compactStorage = true;
      } else s.properties.push(this.property());
    } while (this.acceptKw('and'));
  }

  private createView(): Statement {
    const ifNotExists = this.ifNotExists();
    const view = this.tableRef();
    this.expectKw('as');
    this.expectKw('select');
    let selectors: Selector[] | null = null;
    if (!this.acceptPunct('*')) {
      selectors = [];
      do selectors.push(this.selector()); while (this.acceptPunct(','));
    }
    this.expectKw('from');
    const base = this.tableRef();
    const where = this.acceptKw('where') ? this.whereClause() : [];
    this.expectKw('primary');
    this.expectKw('key');
    this.expectPunct('(');
    let partitionKey: string[];
    if (this.acceptPunct('(')) {
      partitionKey = [];
      do partitionKey.push(this.ident('a column name')); while (this.acceptPunct(','));
      this.expectPunct(')');
    } else partitionKey = [this.ident('a column name')];
    const clusteringKey: string[] = [];
    while (this.acceptPunct(',')) clusteringKey.push(this.ident('a column name'));
    this.expectPunct(')');
    const s = {
      kind: 'create-view' as const, view, ifNotExists, base, selectors, where, partitionKey, clusteringKey,
      clusteringOrder: [] as Ordering[], properties: [] as Property[],
    };
    if (this.acceptKw('with')) this.tableProperties(s);
    return s;
  }

  private alter(): Statement {
    const t = this.peek();
    if (this.acceptKw('keyspace') || this.acceptKw('schema')) {
      const name = this.ident('a keyspace name');
      this.expectKw('with');
      return { kind: 'alter-keyspace', name, properties: this.properties() };
    }
    if (this.acceptKw('table') || this.acceptKw('columnfamily')) {
      const table = this.tableRef();
      return { kind: 'alter-table', table, action: this.alterTableAction() };
    }
    if (this.isKw('materialized')) {
      this.p++;
      this.expectKw('view');
      const view = this.tableRef();
      this.expectKw('with');
      const s = { clusteringOrder: [] as Ordering[], properties: [] as Property[] };
      this.tableProperties(s);
      return { kind: 'alter-view', view, properties: s.properties };
    }
    if (this.acceptKw('role')) {
      const name = this.roleName();
      return { kind: 'alter-role', name, options: this.roleOptions() };
    }
    if (this.isServiceKw()) {
      this.serviceLevelKeyword();
      const name = this.roleName();
      this.expectKw('with');
      return { kind: 'alter-service-level', name, properties: this.properties() };
    }
    if (this.isKw('type')) return this.unsupported(t, 'ALTER TYPE');
    if (this.isKw('user')) return this.unsupported(t, 'ALTER USER (use ALTER ROLE)');
    return this.fail(t, `no viable alternative at input '${t.text}' after ALTER`);
  }

  private alterTableAction(): AlterTableAction {
    const t = this.peek();
    if (this.acceptKw('add')) {
      const columns: ColumnDefinition[] = [];
      const paren = this.acceptPunct('(');
      do {
        const name = this.ident('a column name');
        const type = this.type();
        columns.push({ name, type, isStatic: this.acceptKw('static') });
      } while (paren && this.acceptPunct(','));
      if (paren) this.expectPunct(')');
      return { kind: 'add', columns };
    }
    if (this.acceptKw('drop')) {
      const columns: string[] = [];
      const paren = this.acceptPunct('(');
      do columns.push(this.ident('a column name')); while (paren && this.acceptPunct(','));
      if (paren) this.expectPunct(')');
      if (this.acceptKw('using')) {
        this.expectKw('timestamp');
        const n = this.peek();
        if (n.kind !== 'integer') this.fail(n, `mismatched input '${n.text}' expecting INTEGER`);
        this.p++;
        return { kind: 'drop', columns, timestampUs: BigInt(n.value) };
      }
      return { kind: 'drop', columns };
    }
    if (this.acceptKw('alter')) {
      const column = this.ident('a column name');
      this.expectKw('type');
      return { kind: 'alter-type', column, type: this.type() };
    }
    if (this.acceptKw('rename')) {
      const renames: [string, string][] = [];
      do {
        const from = this.ident('a column name');
        this.expectKw('to');
        renames.push([from, this.ident('a column name')]);
      } while (this.acceptKw('and'));
      return { kind: 'rename', renames };
    }
    if (this.acceptKw('with')) {
      const s = { clusteringOrder: [] as Ordering[], properties: [] as Property[] };
      this.tableProperties(s);
      return { kind: 'with', properties: s.properties };
    }
    return this.fail(t, `mismatched input '${t.text}' expecting ADD, DROP, ALTER, RENAME or WITH`);
  }

  private drop(): Statement {
    const t = this.peek();
    if (this.acceptKw('keyspace') || this.acceptKw('schema')) {
      const ifExists = this.ifExists();
      return { kind: 'drop-keyspace', name: this.ident('a keyspace name'), ifExists };
    }
    if (this.acceptKw('table') || this.acceptKw('columnfamily')) {
      const ifExists = this.ifExists();
      return { kind: 'drop-table', table: this.tableRef(), ifExists };
    }
    if (this.isKw('materialized')) {
      this.p++;
      this.expectKw('view');
      const ifExists = this.ifExists();
      return { kind: 'drop-view', view: this.tableRef(), ifExists };
    }
    if (this.acceptKw('type')) {
      const ifExists = this.ifExists();
      return { kind: 'drop-type', type: this.tableRef(), ifExists };
    }
    if (this.acceptKw('role')) {
      const ifExists = this.ifExists();
      return { kind: 'drop-role', name: this.roleName(), ifExists };
    }
    if (this.isServiceKw()) {
      this.serviceLevelKeyword();
      const ifExists = this.ifExists();
      return { kind: 'drop-service-level', name: this.roleName(), ifExists };
    }
    if (this.isKw('index')) return this.unsupported(t, 'DROP INDEX');
    if (this.isKw('function') || this.isKw('aggregate') || this.isKw('trigger') || this.isKw('user')) {
      return this.unsupported(t, `DROP ${this.peek().value.toUpperCase()}`);
    }
    return this.fail(t, `no viable alternative at input '${t.text}' after DROP`);
  }

  private list(): Statement {
    const t = this.peek();
    if (this.acceptKw('roles')) {
      let of: string | undefined;
      if (this.acceptKw('of')) of = this.roleName();
      const norecursive = this.acceptKw('norecursive');
      return of === undefined ? { kind: 'list-roles', norecursive } : { kind: 'list-roles', of, norecursive };
    }
    if (this.acceptKw('all')) {
      if (this.isKw('attached')) {
        this.p++;
        this.serviceLevelsKeyword();
        return { kind: 'list-all-attached-service-levels' };
      }
      if (this.isServiceKw()) {
        this.serviceLevelsKeyword();
        return { kind: 'list-all-service-levels' };
      }
      return this.unsupported(t, 'LIST ALL PERMISSIONS');
    }
    if (this.acceptKw('attached')) {
      this.serviceLevelKeyword();
      this.expectKw('of');
      return { kind: 'list-attached-service-level', role: this.roleName() };
    }
    if (this.acceptKw('effective')) {
      this.serviceLevelKeyword();
      this.expectKw('of');
      return { kind: 'list-effective-service-level', role: this.roleName() };
    }
    if (this.isServiceKw()) {
      this.serviceLevelKeyword();
      return { kind: 'list-service-level', name: this.roleName() };
    }
    if (this.isKw('users')) return this.unsupported(t, 'LIST USERS (use LIST ROLES)');
    return this.unsupported(t, `LIST ${t.text.toUpperCase()}`);
  }

  /** At SERVICE LEVEL(S) or SERVICE_LEVEL(S). */
  private isServiceKw(): boolean {
    return this.isKw('service') || this.isKw('service_level') || this.isKw('service_levels');
  }

  /** SERVICE LEVEL | SERVICE_LEVEL */
  private serviceLevelKeyword(): void {
    if (this.acceptKw('service_level')) return;
    this.expectKw('service');
    this.expectKw('level');
  }
  private serviceLevelsKeyword(): void {
    if (this.acceptKw('service_levels')) return;
    this.expectKw('service');
    this.expectKw('levels');
  }

  /** Role and service-level names: identifiers (folded), quoted names, or string literals. */
  private roleName(): string {
    const t = this.peek();
    if (t.kind === 'string') { this.p++; return t.value; }
    if (t.kind === 'punct' && (t.value === '?' || t.value === ':')) {
      this.fail(t, 'Bind variables cannot be used for service levels or role names');
    }
    return this.ident('a role name');
  }

  private roleOptions(): RoleOptions {
    const o: RoleOptions = {};
    if (!this.acceptKw('with')) return o;
    do {
      const t = this.peek();
      const name = this.ident('a role option');
      this.expectPunct('=');
      const v = this.peek();
      if (name === 'password') {
        if (v.kind !== 'string') this.fail(v, `mismatched input '${v.text}' expecting a string for PASSWORD`);
        this.p++;
        o.password = v.value;
      } else if (name === 'login' || name === 'superuser') {
        if (v.kind !== 'ident' || (v.value !== 'true' && v.value !== 'false')) this.fail(v, `mismatched input '${v.text}' expecting true or false for ${name.toUpperCase()}`);
        this.p++;
        o[name] = v.value === 'true';
      } else if (name === 'options' || name === 'access') {
        this.unsupported(t, `role option ${name.toUpperCase()}`);
      } else this.fail(t, `Invalid role option '${name}'`);
    } while (this.acceptKw('and'));
    return o;
  }

  private properties(): Property[] {
    const out: Property[] = [];
    do out.push(this.property()); while (this.acceptKw('and'));
    return out;
  }

  private property(): Property {
    const name = this.ident('a property name');
    this.expectPunct('=');
    return { name, value: this.propertyValue() };
  }

  private propertyValue(): PropertyValue {
    const t = this.peek();
    if (t.kind === 'string') { this.p++; return { kind: 'string', value: t.value }; }
    if (t.kind === 'integer' || t.kind === 'float') { this.p++; return { kind: 'number', value: t.value }; }
    if (t.kind === 'duration') { this.p++; return { kind: 'string', value: t.value }; }
    // `WITH ID = <uuid>` (CREATE TABLE as DESCRIBE ... WITH INTERNALS writes it)
    if (t.kind === 'uuid') { this.p++; return { kind: 'string', value: t.value }; }
    if (t.kind === 'punct' && t.value === '-') {
      this.p++;
      const n = this.next();
      // a negative duration (`timeout = -5ms`) parses; its validation belongs to the caller
      if (n.kind === 'duration') return { kind: 'string', value: `-${n.value}` };
      if (n.kind !== 'integer' && n.kind !== 'float') this.fail(n, `mismatched input '${n.text}' expecting a number`);
      return { kind: 'number', value: `-${n.value}` };
    }
    if (t.kind === 'ident' && (t.value === 'true' || t.value === 'false')) { this.p++; return { kind: 'boolean', value: t.value === 'true' }; }
    if (t.kind === 'ident' || t.kind === 'qident') { this.p++; return { kind: 'identifier', value: t.value }; }
    if (t.kind === 'punct' && t.value === '{') {
      this.p++;
      const entries: [string, PropertyValue][] = [];
      if (!this.isPunct('}')) {
        do {
          const k = this.next();
          if (k.kind !== 'string' && k.kind !== 'ident' && k.kind !== 'qident') this.fail(k, `mismatched input '${k.text}' expecting a string map key`);
          this.expectPunct(':');
          entries.push([k.value, this.propertyValue()]);
        } while (this.acceptPunct(','));
      }
      this.expectPunct('}');
      return { kind: 'map', entries };
    }
    if (t.kind === 'punct' && (t.value === '?' || t.value === ':')) this.fail(t, 'Bind variables cannot be used in properties');
    return this.fail(t, `no viable alternative at input '${t.text}' (expecting a property value)`);
  }

  // ---------------------------------------------------------------------------------------------
  // types

  type(): CqlType {
    const t = this.peek();
    if (t.kind === 'string') {
      this.p++;
      return { kind: 'custom', className: t.value };
    }
    const name = this.ident('a type');
    if (t.kind === 'ident') {
      const alias = TYPE_ALIASES[name];
      if (alias) return { kind: alias };
      if ((NATIVE_TYPES as readonly string[]).includes(name)) return { kind: name as NativeTypeName };
      if (name === 'frozen') {
        this.expectPunct('<');
        const inner = this.type();
        this.expectPunct('>');
        return freeze(inner);
      }
      if (name === 'list' || name === 'set') {
        this.expectPunct('<');
        const element = this.type();
        this.expectPunct('>');
        return { kind: name, element };
      }
      if (name === 'map') {
        this.expectPunct('<');
        const key = this.type();
        this.expectPunct(',');
        const value = this.type();
        this.expectPunct('>');
        return { kind: 'map', key, value };
      }
      if (name === 'tuple') {
        this.expectPunct('<');
        const elements: CqlType[] = [];
        do elements.push(this.type()); while (this.acceptPunct(','));
        this.expectPunct('>');
        return { kind: 'tuple', elements };
      }
    }
    // a user-defined type, [ks.]name; fields are resolved against the schema by the caller
    if (this.acceptPunct('.')) return { kind: 'udt', keyspace: name, name: this.ident('a type name'), fields: [] };
    return { kind: 'udt', keyspace: '', name, fields: [] };
  }

  // ---------------------------------------------------------------------------------------------
  // terms

  private bind(name?: string): Term {
    const index = this.bindCount++;
    this.bindNames.push(name);
    return name === undefined ? { kind: 'bind', index } : { kind: 'bind', index, name };
  }

  term(): Term {
    const t = this.peek();
    switch (t.kind) {
      case 'string': this.p++; return { kind: 'literal', type: 'string', value: t.value };
      case 'integer': this.p++; return { kind: 'literal', type: 'integer', value: t.value };
      case 'float': this.p++; return { kind: 'literal', type: 'float', value: t.value };
      case 'hex': this.p++; return { kind: 'literal', type: 'hex', value: t.value };
      case 'uuid': this.p++; return { kind: 'literal', type: 'uuid', value: t.value };
      case 'duration': this.p++; return { kind: 'literal', type: 'duration', value: t.value };
      case 'ident':
      case 'qident': {
        if (t.kind === 'ident') {
          if (t.value === 'true' || t.value === 'false') { this.p++; return { kind: 'literal', type: 'boolean', value: t.value }; }
          if (t.value === 'null') { this.p++; return { kind: 'literal', type: 'null', value: 'null' }; }
          if (t.value === 'nan') { this.p++; return { kind: 'literal', type: 'nan', value: 'NaN' }; }
          if (t.value === 'infinity') { this.p++; return { kind: 'literal', type: 'infinity', value: 'Infinity' }; }
        }
        if (this.isPunct('(', 1)) {
          this.p += 2;
          const args: Term[] = [];
          if (!this.isPunct(')')) do args.push(this.term()); while (this.acceptPunct(','));
          this.expectPunct(')');
          return { kind: 'function', name: t.value, args };
        }
        return this.fail(t, `no viable alternative at input '${t.text}' (expecting a value)`);
      }
      case 'punct':
        switch (t.value) {
          case '?': this.p++; return this.bind();
          case ':': {
            this.p++;
            return this.bind(this.ident('a bind marker name'));
          }
          case '-': {
            this.p++;
            const n = this.peek();
            if (n.kind === 'integer' || n.kind === 'float' || n.kind === 'duration') {
              this.p++;
              return { kind: 'literal', type: n.kind, value: `-${n.value}` };
            }
            if (n.kind === 'ident' && (n.value === 'nan' || n.value === 'infinity')) {
              this.p++;
              return { kind: 'literal', type: n.value === 'nan' ? 'nan' : 'infinity', value: n.value === 'nan' ? 'NaN' : '-Infinity' };
            }
            return this.fail(n, `no viable alternative at input '${n.text}' after '-'`);
          }
          case '[': {
            this.p++;
            const items: Term[] = [];
            if (!this.isPunct(']')) do items.push(this.term()); while (this.acceptPunct(','));
            this.expectPunct(']');
            return { kind: 'list', items };
          }
          case '{': return this.braceTerm();
          case '(': {
            this.p++;
            // (type) term: a type hint
            if (this.peek().kind === 'ident' && this.isPunct(')', 1) && (NATIVE_TYPES as readonly string[]).includes(this.peek().value)) {
              const type = this.type();
              this.expectPunct(')');
              return { kind: 'cast', term: this.term(), type };
            }
            const items: Term[] = [];
            do items.push(this.term()); while (this.acceptPunct(','));
            this.expectPunct(')');
            return { kind: 'tuple', items };
          }
        }
        break;
    }
    return this.fail(t, `no viable alternative at input '${t.text}' (expecting a value)`);
  }

  private braceTerm(): Term {
    this.expectPunct('{');
    if (this.acceptPunct('}')) return { kind: 'map', entries: [] };
    // { field: v } is a UDT literal: a bare identifier (not a value keyword) followed by ':'
    const k = this.peek();
    if ((k.kind === 'ident' && !['true', 'false', 'null', 'nan', 'infinity'].includes(k.value) && !this.isPunct('(', 1)) || k.kind === 'qident') {
      const fields: [string, Term][] = [];
      do {
        const name = this.ident('a field name');
        this.expectPunct(':');
        fields.push([name, this.term()]);
      } while (this.acceptPunct(','));
      this.expectPunct('}');
      return { kind: 'udt', fields };
    }
    const first = this.term();
    if (this.acceptPunct(':')) {
      const entries: [Term, Term][] = [[first, this.term()]];
      while (this.acceptPunct(',')) {
        const key = this.term();
        this.expectPunct(':');
        entries.push([key, this.term()]);
      }
      this.expectPunct('}');
      return { kind: 'map', entries };
    }
    const items: Term[] = [first];
    while (this.acceptPunct(',')) items.push(this.term());
    this.expectPunct('}');
    return { kind: 'set', items };
  }
}

function freeze(t: CqlType): CqlType {
  switch (t.kind) {
    case 'list': case 'set': case 'map': case 'udt': return { ...t, frozen: true };
    default: return t;
  }
}

/** Parses a type expression (`frozen<map<int, text>>`), e.g. from system_schema.columns.type. */
export function parseType(src: string): CqlType {
  const p = new Parser(src) as unknown as { type(): CqlType; peek(): Token };
  const t = p.type();
  const rest = p.peek();
  if (rest.kind !== 'eof') throw new CqlSyntaxError(`line ${rest.line}:${rest.col} extraneous input '${rest.text}' after type`, rest.line, rest.col);
  return t;
}
