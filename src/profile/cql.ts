/**
 * What a workload needs from its CQL: split a schema into statements, read CREATE KEYSPACE /
 * TABLE / MATERIALIZED VIEW / TYPE for names, column types and primary keys, tell which
 * column each `?` marker of an operation binds, and which columns an operation names.
 *
 * The grammar is the shared one of src/cql/parser (lexer, statements, CQL types): a
 * statement it cannot parse is reported here as a syntax error at its spot. Statements it
 * knows but does not implement (CREATE INDEX, ...) are left to the server. This module adds
 * the offsets the AST does not carry, so the loader can say file:line:col.
 */
import {
  CqlSyntaxError, UnsupportedStatementError, parseStatement, parseType, tokenize as lex,
  type DeleteStatement, type InsertStatement, type ParsedStatement, type Relation, type SelectExpr,
  type SelectStatement, type Statement, type Term, type Token, type UpdateStatement, type Using,
} from '../cql/parser/index.js';
import type { CqlType } from '../cql/types.js';
import { quoted } from './errors.js';

/** A CQL problem at a character offset of the statement text. */
export class CqlShapeError extends Error {
  override name = 'CqlShapeError';
  constructor(readonly offset: number, message: string) {
    super(message);
  }
}

/** Brackets nested deeper than this are refused before the recursive-descent parser sees them. */
const MAX_CQL_NESTING = 32;

/** Character offset of a lexer/parser position (line from 1, column from 0). */
function offsetOf(src: string, line: number, col: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const nl = src.indexOf('\n', offset);
    if (nl < 0) return src.length;
    offset = nl + 1;
  }
  return Math.min(offset + col, src.length);
}

/** The shared parser's error as a CqlShapeError at its offset (its `line L:C` prefix dropped). */
function shapeError(src: string, e: CqlSyntaxError, base = 0): CqlShapeError {
  const detail = e.message.replace(/^line \d+:\d+ /, '');
  return new CqlShapeError(base + offsetOf(src, e.line || 1, e.col), `syntax error: ${detail}`);
}

/** Tokens of a text (comments and whitespace dropped); lexical errors carry their offset. */
export function tokenize(src: string): Token[] {
  try {
    return lex(src);
  } catch (e) {
    if (e instanceof CqlSyntaxError) throw shapeError(src, e);
    throw e;
  }
}

function checkNesting(toks: Token[]): void {
  let depth = 0;
  for (const t of toks) {
    if (t.kind !== 'punct') continue;
    if (t.value === '(' || t.value === '[' || t.value === '{' || t.value === '<') {
      if (++depth > MAX_CQL_NESTING) throw new CqlShapeError(t.offset, `brackets nested deeper than ${MAX_CQL_NESTING}`);
    } else if (t.value === ')' || t.value === ']' || t.value === '}' || t.value === '>') {
      depth = Math.max(0, depth - 1);
    }
  }
}

/** Parses one statement with the shared parser; syntax errors become CqlShapeErrors. */
function parse(src: string): { parsed: ParsedStatement; toks: Token[] } | { unsupported: UnsupportedStatementError; toks: Token[] } {
  const toks = tokenize(src);
  checkNesting(toks);
  try {
    return { parsed: parseStatement(src), toks };
  } catch (e) {
    if (e instanceof UnsupportedStatementError) return { unsupported: e, toks };
    if (e instanceof CqlSyntaxError) throw shapeError(src, e);
    throw e;
  }
}

/** One statement of a multi-statement text, with the offset of its first character. */
export interface StatementText {
  text: string;
  offset: number;
}

/**
 * Splits on `;` outside strings, quoted names and comments (the shared lexer's tokens);
 * drops statements with no tokens. A text that does not lex fails at its offset.
 */
export function splitStatements(src: string): StatementText[] {
  const out: StatementText[] = [];
  let start = 0;
  let tokens = 0;
  const push = (end: number) => {
    const raw = src.slice(start, end);
    const lead = raw.length - raw.trimStart().length;
    if (tokens > 0) out.push({ text: raw.trim(), offset: start + lead });
  };
  for (const t of tokenize(src)) {
    if (t.kind === 'eof') break;
    if (t.kind === 'punct' && t.value === ';') {
      push(t.offset);
      start = t.offset + 1;
      tokens = 0;
    } else tokens++;
  }
  push(src.length);
  return out;
}

// ---------------------------------------------------------------- schema

export interface ColumnDef {
  name: string;
  /** CQL type text, normalised: `int`, `frozen<list<text>>`, `map<text, int>`. */
  type: string;
  isStatic: boolean;
  /** Offset of the column name in the statement. */
  offset: number;
}

export interface TableDef {
  kind: 'table' | 'view';
  keyspace?: string;
  name: string;
  columns: ColumnDef[];
  partitionKey: string[];
  clusteringKey: string[];
  /** Views only: the base table. */
  base?: { keyspace?: string; name: string };
  offset: number;
}

export type SchemaStatement =
  | { kind: 'keyspace'; name: string; offset: number }
  | { kind: 'type'; keyspace?: string; name: string; offset: number }
  | TableDef
  | { kind: 'other'; offset: number };

const isName = (t: Token | undefined): t is Token => t !== undefined && (t.kind === 'ident' || t.kind === 'qident');

/** Offset of the first name token `value` at or after token `from` (the statement start if none). */
function nameAt(toks: Token[], value: string, from = 0): { offset: number; index: number } {
  for (let i = from; i < toks.length; i++) if (isName(toks[i]) && toks[i].value === value) return { offset: toks[i].offset, index: i };
  return { offset: 0, index: -1 };
}

/** Index of the token after the `[ks.]name` reference that starts at the first `value` after `from`. */
function afterRef(toks: Token[], keyspace: string | undefined, name: string, from = 0): { offset: number; next: number } {
  const first = nameAt(toks, keyspace ?? name, from);
  if (first.index < 0) return { offset: 0, next: from };
  if (keyspace !== undefined && toks[first.index + 1]?.value === '.' && isName(toks[first.index + 2])) {
    return { offset: first.offset, next: first.index + 3 };
  }
  return { offset: first.offset, next: first.index + 1 };
}

/** A name as CQL text: quoted when it would not survive case folding. */
function cqlName(n: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(n) ? n : `"${n.replace(/"/g, '""')}"`;
}

/** The normalised text of a parsed type (round-trips through parseCqlType). */
export function typeText(t: CqlType): string {
  const frozen = (s: string, f: boolean | undefined) => (f ? `frozen<${s}>` : s);
  switch (t.kind) {
    case 'list': case 'set': return frozen(`${t.kind}<${typeText(t.element)}>`, t.frozen);
    case 'map': return frozen(`map<${typeText(t.key)}, ${typeText(t.value)}>`, t.frozen);
    case 'tuple': return `tuple<${t.elements.map(typeText).join(', ')}>`;
    case 'udt': return frozen(`${t.keyspace ? `${cqlName(t.keyspace)}.` : ''}${cqlName(t.name)}`, t.frozen);
    case 'custom': return `'${t.className.replace(/'/g, "''")}'`;
    default: return t.kind;
  }
}

/** Reads one schema statement; anything but CREATE KEYSPACE/TABLE/VIEW/TYPE is `other`. */
export function parseSchemaStatement(src: string): SchemaStatement {
  const r = parse(src);
  if ('unsupported' in r) return { kind: 'other', offset: 0 };
  const { toks } = r;
  const s = r.parsed.statement;
  switch (s.kind) {
    case 'create-keyspace': return { kind: 'keyspace', name: s.name, offset: nameAt(toks, s.name, 2).offset };
    case 'create-type': {
      const at = afterRef(toks, s.type.keyspace, s.type.name, 2);
      return { kind: 'type', keyspace: s.type.keyspace, name: s.type.name, offset: at.offset };
    }
    case 'create-table': return tableDef(s, toks);
    case 'create-view': return viewDef(s, toks);
    default: return { kind: 'other', offset: 0 };
  }
}

function tableDef(s: Extract<Statement, { kind: 'create-table' }>, toks: Token[]): TableDef {
  const ref = afterRef(toks, s.table.keyspace, s.table.name, 2);
  const fail = (offset: number, message: string): never => { throw new CqlShapeError(offset, message); };
  // column names are the names that open an element of the column list: after '(' or ',' at depth 1
  const heads: Token[] = [];
  let pkAt = -1;
  let depth = 0;
  for (let i = ref.next; i < toks.length; i++) {
    const t = toks[i];
    if (t.kind === 'punct' && (t.value === '(' || t.value === '<')) { depth++; if (depth === 1) heads.push(toks[i + 1]); continue; }
    if (t.kind === 'punct' && (t.value === ')' || t.value === '>')) { if (--depth === 0) break; continue; }
    if (depth === 1 && t.kind === 'punct' && t.value === ',') heads.push(toks[i + 1]);
    if (depth === 1 && t.kind === 'ident' && t.value === 'primary' && toks[i + 1]?.value === 'key' && pkAt < 0) pkAt = i + 2;
  }
  const columnTokens = heads.filter((t) => isName(t) && !(t.kind === 'ident' && t.value === 'primary'));
  const columns: ColumnDef[] = [];
  s.columns.forEach((c, i) => {
    const tok = columnTokens.find((t, j) => j >= i && t.value === c.name) ?? columnTokens[i];
    const offset = tok?.offset ?? ref.offset;
    if (columns.some((col) => col.name === c.name)) fail(offset, `column ${quoted(c.name)} is declared twice`);
    columns.push({ name: c.name, type: typeText(c.type), isStatic: c.isStatic, offset });
  });
  if (s.partitionKey.length === 0) fail(ref.offset, `table ${quoted(s.table.name)} has no PRIMARY KEY`);
  const seen = new Set<string>();
  let from = pkAt >= 0 ? pkAt : ref.next;
  for (const k of [...s.partitionKey, ...s.clusteringKey]) {
    const at = nameAt(toks, k, from);
    if (at.index >= 0) from = at.index + 1;
    if (!columns.some((col) => col.name === k)) fail(at.offset, `primary key column ${quoted(k)} is not a column of ${quoted(s.table.name)}`);
    if (seen.has(k)) fail(at.offset, `column ${quoted(k)} appears twice in the primary key`);
    seen.add(k);
  }
  return {
    kind: 'table', keyspace: s.table.keyspace, name: s.table.name, columns,
    partitionKey: s.partitionKey, clusteringKey: s.clusteringKey, offset: ref.offset,
  };
}

function viewDef(s: Extract<Statement, { kind: 'create-view' }>, toks: Token[]): TableDef {
  const ref = afterRef(toks, s.view.keyspace, s.view.name, 3);
  const columns: ColumnDef[] = [];
  let from = ref.next;
  for (const sel of s.selectors ?? []) {
    if (sel.expr.kind !== 'column') {
      const at = toks.find((t, i) => i >= from && !(t.kind === 'ident' && (t.value === 'as' || t.value === 'select')));
      throw new CqlShapeError(at?.offset ?? ref.offset, 'a materialized view selects columns only');
    }
    const at = nameAt(toks, sel.expr.name, from);
    if (at.index >= 0) from = at.index + 1;
    // types are resolved against the base table by the caller
    columns.push({ name: sel.expr.name, type: '', isStatic: false, offset: at.offset });
  }
  return {
    kind: 'view', keyspace: s.view.keyspace, name: s.view.name, columns,
    partitionKey: s.partitionKey, clusteringKey: s.clusteringKey,
    base: { keyspace: s.base.keyspace, name: s.base.name }, offset: ref.offset,
  };
}

// ---------------------------------------------------------------- operations

/** What one `?` marker binds. */
export type MarkerTarget =
  | { kind: 'column'; column: string; offset: number }
  /** `token(pk...) > ?` (lower, exclusive) or `token(pk...) <= ?` (upper, inclusive). */
  | { kind: 'token-lower' | 'token-upper'; offset: number };

export interface StatementShape {
  verb: 'select' | 'insert' | 'update' | 'delete';
  table: { keyspace?: string; name: string; offset: number };
  markers: MarkerTarget[];
  /** Every column the statement names (selected, compared, written, ordered), in text order. */
  columns: { name: string; offset: number }[];
}

const CANNOT_TELL = 'cannot tell which column this ? binds (use column = ?, or token(...) > ? / <= ? for scans)';

type Binding = { kind: 'column'; column: string } | { kind: 'token-lower' | 'token-upper' } | { kind: 'error'; message: string };

/** Bind indexes inside a term (a bind, or binds nested in a literal or a call). */
function bindsIn(t: Term | undefined, out: number[] = []): number[] {
  if (!t) return out;
  switch (t.kind) {
    case 'bind': out.push(t.index); break;
    case 'list': case 'set': case 'tuple': t.items.forEach((x) => bindsIn(x, out)); break;
    case 'map': t.entries.forEach(([k, v]) => { bindsIn(k, out); bindsIn(v, out); }); break;
    case 'udt': t.fields.forEach(([, v]) => bindsIn(v, out)); break;
    case 'function': t.args.forEach((x) => bindsIn(x, out)); break;
    case 'cast': bindsIn(t.term, out); break;
    default: break;
  }
  return out;
}

/**
 * The verb, the table, for every `?` in order the column (or token bound) it binds, and the
 * columns the statement names. Markers whose value cannot be derived from a row (LIMIT ?,
 * USING TTL ?, IN ?) are errors.
 */
export function analyzeStatement(src: string): StatementShape {
  if (src.trim() === '') throw new CqlShapeError(0, 'empty statement');
  const r = parse(src);
  const { toks } = r;
  if ('unsupported' in r) {
    throw new CqlShapeError(offsetOf(src, r.unsupported.line || 1, r.unsupported.col), r.unsupported.message.replace(/ by the scylla-bench emulator$/, ' in an operation'));
  }
  const { statement: s, bindNames } = r.parsed;
  const named = bindNames.findIndex((n) => n !== undefined);
  if (named >= 0) {
    const name = bindNames[named]!;
    const tok = toks.find((t, i) => t.kind === 'punct' && t.value === ':' && toks[i + 1]?.value === name && !isName(toks[i - 1]) && toks[i - 1]?.kind !== 'string');
    throw new CqlShapeError(tok?.offset ?? 0, `named markers like ${quoted(`:${name}`)} are not supported; use ?`);
  }
  if (s.kind === 'batch') throw new CqlShapeError(0, 'BEGIN BATCH is not an operation here: write the single-row statement and set batch: N');
  if (s.kind !== 'select' && s.kind !== 'insert' && s.kind !== 'update' && s.kind !== 'delete') {
    throw new CqlShapeError(0, `expected SELECT, INSERT, UPDATE or DELETE, found ${quoted(toks[0]?.text ?? '')}`);
  }
  if (s.kind === 'insert' && s.json) throw new CqlShapeError(nameAt(toks, 'json').offset, 'INSERT ... JSON is not supported; list the columns');

  // the i-th bind of the AST is the i-th ? of the text (the parser numbers them as it reads)
  const markerOffsets = toks.filter((t) => t.kind === 'punct' && t.value === '?').map((t) => t.offset);
  const bindings = new Map<number, Binding>();
  const bindAll = (t: Term | undefined, b: Binding) => { for (const i of bindsIn(t)) if (!bindings.has(i)) bindings.set(i, b); };
  const err = (message: string): Binding => ({ kind: 'error', message });
  const value = (column: string, t: Term): void => {
    if (t.kind === 'bind') bindings.set(t.index, { kind: 'column', column });
    else if (t.kind === 'list' || t.kind === 'set' || t.kind === 'map' || t.kind === 'tuple' || t.kind === 'udt') {
      bindAll(t, err('a ? inside a collection literal is not supported; bind the whole column'));
    } else bindAll(t, err(CANNOT_TELL));
  };
  const relations = (rels: Relation[]): void => {
    for (const rel of rels) {
      switch (rel.kind) {
        case 'column':
          bindAll(rel.mapKey, err(CANNOT_TELL));
          if (rel.op === 'IN') bindAll(rel.value, err('IN ? is not supported: bind one value per relation'));
          else if (rel.op === 'CONTAINS' || rel.op === 'CONTAINS KEY') bindAll(rel.value, err('CONTAINS ? is not supported'));
          else if (rel.op === 'LIKE') bindAll(rel.value, err(CANNOT_TELL));
          else value(rel.column, rel.value);
          break;
        case 'in': rel.values.forEach((v) => bindAll(v, err('IN ? is not supported: bind one value per relation'))); break;
        case 'token': {
          const b: Binding = rel.op === '>' || rel.op === '>=' ? { kind: 'token-lower' } : rel.op === '<' || rel.op === '<=' ? { kind: 'token-upper' }
            : err('token(...) = ? is not supported; scans use token(...) > ? AND token(...) <= ?');
          if (rel.value.kind === 'bind') bindings.set(rel.value.index, b);
          else bindAll(rel.value, err(CANNOT_TELL));
          break;
        }
        case 'multi': bindAll(rel.value, err('multi-column relations like (a, b) > (?, ?) are not supported')); break;
        case 'multi-in': rel.values.forEach((v) => bindAll(v, err('multi-column relations like (a, b) > (?, ?) are not supported'))); break;
      }
    }
  };
  const using = (u: Using): void => {
    bindAll(u.ttl, err("USING TTL ? is not supported: write the value into the CQL or use the table's default_time_to_live"));
    bindAll(u.timestamp, err('USING TIMESTAMP ? is not supported: write the value into the CQL'));
    bindAll(u.timeout, err('USING TIMEOUT ? is not supported: write the value into the CQL'));
  };
  const conditions = (st: UpdateStatement | DeleteStatement): void => {
    for (const c of st.conditions) {
      bindAll(c.mapKey, err(CANNOT_TELL));
      if (c.op === 'IN') bindAll(c.value, err('IN ? is not supported: bind one value per relation'));
      else value(c.column, c.value);
    }
  };

  const names: string[] = [];
  switch (s.kind) {
    case 'select': {
      const sel = s as SelectStatement;
      const exprNames = (e: SelectExpr): void => {
        if (e.kind === 'column') names.push(e.name);
        else if (e.kind === 'function') e.args.forEach(exprNames);
        else if (e.kind === 'cast') exprNames(e.expr);
        else if (e.kind === 'term') bindAll(e.term, err(CANNOT_TELL));
      };
      for (const x of sel.selectors ?? []) exprNames(x.expr);
      relations(sel.where);
      bindAll(sel.limit, err('LIMIT ? is not supported: write the limit into the CQL'));
      bindAll(sel.perPartitionLimit, err('PER PARTITION LIMIT ? is not supported: write the limit into the CQL'));
      using(sel.using);
      names.push(...relationColumns(sel.where), ...sel.groupBy, ...sel.orderBy.map((o) => o.column));
      break;
    }
    case 'insert': {
      const ins = s as InsertStatement;
      ins.columns.forEach((c, i) => value(c, ins.values[i]));
      using(ins.using);
      names.push(...ins.columns);
      break;
    }
    case 'update': {
      const up = s as UpdateStatement;
      using(up.using);
      for (const a of up.assignments) {
        if (a.kind === 'set' || a.kind === 'add' || a.kind === 'remove' || a.kind === 'prepend') value(a.column, a.value);
        else if (a.kind === 'set-element') { bindAll(a.key, err(CANNOT_TELL)); bindAll(a.value, err(CANNOT_TELL)); }
        else bindAll(a.value, err(CANNOT_TELL));
      }
      relations(up.where);
      conditions(up);
      names.push(...up.assignments.map((a) => a.column), ...relationColumns(up.where), ...up.conditions.map((c) => c.column));
      break;
    }
    case 'delete': {
      const del = s as DeleteStatement;
      for (const c of del.columns) bindAll(c.key, err(CANNOT_TELL));
      using(del.using);
      relations(del.where);
      conditions(del);
      names.push(...del.columns.map((c) => c.name), ...relationColumns(del.where), ...del.conditions.map((c) => c.column));
      break;
    }
  }

  const markers: MarkerTarget[] = [];
  for (let i = 0; i < r.parsed.bindCount; i++) {
    const offset = markerOffsets[i] ?? 0;
    const b = bindings.get(i) ?? err(CANNOT_TELL);
    if (b.kind === 'error') throw new CqlShapeError(offset, b.message);
    markers.push(b.kind === 'column' ? { kind: 'column', column: b.column, offset } : { kind: b.kind, offset });
  }

  // the table reference: the name after FROM / INTO / UPDATE
  const kw = s.kind === 'insert' ? 'into' : s.kind === 'update' ? 'update' : 'from';
  const kwAt = toks.findIndex((t) => t.kind === 'ident' && t.value === kw);
  const ref = afterRef(toks, s.table.keyspace, s.table.name, kwAt + 1);
  const refStart = ref.offset;
  const refEnd = toks[ref.next]?.offset ?? src.length;
  // each named column at its first mention outside the table reference
  const columns: StatementShape['columns'] = [];
  const used = new Set<number>();
  for (const n of names) {
    if (columns.some((c) => c.name === n)) continue;
    const tok = toks.find((t, i) => isName(t) && t.value === n && !used.has(i) && (t.offset < refStart || t.offset >= refEnd) && !(toks[i + 1]?.value === '(' && t.kind === 'ident'));
    if (tok) used.add(toks.indexOf(tok));
    columns.push({ name: n, offset: tok?.offset ?? ref.offset });
  }
  return { verb: s.kind, table: { keyspace: s.table.keyspace, name: s.table.name, offset: ref.offset }, markers, columns };
}

function relationColumns(rels: Relation[]): string[] {
  return rels.flatMap((r) => (r.kind === 'column' || r.kind === 'in' ? [r.column] : r.columns));
}

// ---------------------------------------------------------------- types

const typeCache = new Map<string, CqlType>();

/** Parses a CQL type text (`frozen<map<text, int>>`) with the shared grammar. Unknown names are UDTs. */
export function parseCqlType(text: string): CqlType {
  const cached = typeCache.get(text);
  if (cached) return cached;
  if (/^\s*vector\s*</i.test(text)) throw new CqlShapeError(0, 'vector types are not supported by the generators');
  checkNesting(tokenize(text));
  let t: CqlType;
  try {
    t = parseType(text);
  } catch (e) {
    if (e instanceof CqlSyntaxError) throw shapeError(text, e);
    throw e;
  }
  typeCache.set(text, t);
  return t;
}
