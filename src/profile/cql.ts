/**
 * Just enough CQL to model a workload: split a schema into statements, read CREATE
 * KEYSPACE / TABLE / MATERIALIZED VIEW / TYPE for names, column types and primary keys, and
 * tell which column each `?` marker of an operation binds. Deliberately small and separate
 * from src/cql/parser (the emulator's full parser): the server stays the judge of the CQL,
 * this only extracts what generators need, with offsets for file:line:col errors.
 */
import type { CqlType, NativeTypeName } from '../cql/types.js';
import { NATIVE_TYPES, TYPE_ALIASES } from '../cql/types.js';

/** A CQL problem at a character offset of the statement text. */
export class CqlShapeError extends Error {
  override name = 'CqlShapeError';
  constructor(readonly offset: number, message: string) {
    super(message);
  }
}

type TokKind = 'ident' | 'qident' | 'string' | 'number' | 'punct' | 'marker' | 'named-marker';
export interface Token {
  kind: TokKind;
  /** Identifiers: lowercased unless quoted; strings: unquoted content; punct: the symbol. */
  text: string;
  offset: number;
}

/** Tokens of one statement; comments and whitespace are dropped. */
export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') { i++; continue; }
    if ((c === '-' && src[i + 1] === '-') || (c === '/' && src[i + 1] === '/')) {
      while (i < n && src[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      if (end < 0) throw new CqlShapeError(i, 'unterminated /* comment');
      i = end + 2;
      continue;
    }
    const start = i;
    if (/[A-Za-z_]/.test(c)) {
      while (i < n && /[A-Za-z0-9_]/.test(src[i])) i++;
      out.push({ kind: 'ident', text: src.slice(start, i).toLowerCase(), offset: start });
      continue;
    }
    if (c === '"') {
      let s = '';
      i++;
      for (;;) {
        if (i >= n) throw new CqlShapeError(start, 'unterminated quoted identifier');
        if (src[i] === '"') { if (src[i + 1] === '"') { s += '"'; i += 2; continue; } i++; break; }
        s += src[i++];
      }
      out.push({ kind: 'qident', text: s, offset: start });
      continue;
    }
    if (c === "'") {
      let s = '';
      i++;
      for (;;) {
        if (i >= n) throw new CqlShapeError(start, 'unterminated string literal');
        if (src[i] === "'") { if (src[i + 1] === "'") { s += "'"; i += 2; continue; } i++; break; }
        s += src[i++];
      }
      out.push({ kind: 'string', text: s, offset: start });
      continue;
    }
    if (c === '$' && src[i + 1] === '$') {
      const end = src.indexOf('$$', i + 2);
      if (end < 0) throw new CqlShapeError(start, 'unterminated $$ string');
      out.push({ kind: 'string', text: src.slice(i + 2, end), offset: start });
      i = end + 2;
      continue;
    }
    if (/[0-9]/.test(c)) {
      while (i < n && /[0-9A-Za-z_.+-]/.test(src[i]) && !(src[i] === '-' && !/[eE]/.test(src[i - 1]))) i++;
      out.push({ kind: 'number', text: src.slice(start, i), offset: start });
      continue;
    }
    if (c === '?') { out.push({ kind: 'marker', text: '?', offset: start }); i++; continue; }
    if (c === ':' && /[A-Za-z_]/.test(src[i + 1] ?? '')) {
      i++;
      while (i < n && /[A-Za-z0-9_]/.test(src[i])) i++;
      out.push({ kind: 'named-marker', text: src.slice(start, i), offset: start });
      continue;
    }
    const two = src.slice(i, i + 2);
    if (two === '<=' || two === '>=' || two === '!=') { out.push({ kind: 'punct', text: two, offset: start }); i += 2; continue; }
    // anything else is the server's to judge: keep it as a symbol
    out.push({ kind: 'punct', text: c, offset: start });
    i++;
  }
  return out;
}

/** One statement of a multi-statement text, with the offset of its first character. */
export interface StatementText {
  text: string;
  offset: number;
}

/** Splits on `;` outside strings, quoted names and comments; drops empty statements. */
export function splitStatements(src: string): StatementText[] {
  const out: StatementText[] = [];
  let start = 0;
  const push = (end: number) => {
    const raw = src.slice(start, end);
    const lead = raw.length - raw.trimStart().length;
    const text = raw.trim();
    // only comments and blanks: not a statement (strings were skipped by the scan below)
    const bare = text.replace(/\/\*[\s\S]*?(\*\/|$)/g, '').replace(/(--|\/\/)[^\n]*/g, '').trim();
    if (bare.length > 0) out.push({ text, offset: start + lead });
  };
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if ((c === '-' && src[i + 1] === '-') || (c === '/' && src[i + 1] === '/')) { while (i < src.length && src[i] !== '\n') i++; continue; }
    if (c === '/' && src[i + 1] === '*') { const e = src.indexOf('*/', i + 2); i = e < 0 ? src.length : e + 2; continue; }
    if (c === "'" || c === '"') {
      i++;
      while (i < src.length) { if (src[i] === c) { if (src[i + 1] === c) { i += 2; continue; } break; } i++; }
      i++;
      continue;
    }
    if (c === '$' && src[i + 1] === '$') { const e = src.indexOf('$$', i + 2); i = e < 0 ? src.length : e + 2; continue; }
    if (c === ';') { push(i); start = i + 1; }
    i++;
  }
  push(src.length);
  return out;
}

/** A cursor over tokens with error helpers. */
class Cursor {
  i = 0;
  constructor(readonly toks: Token[], readonly src: string) {}
  peek(k = 0): Token | undefined { return this.toks[this.i + k]; }
  at(word: string, k = 0): boolean { const t = this.peek(k); return t !== undefined && t.kind === 'ident' && t.text === word; }
  isPunct(p: string, k = 0): boolean { const t = this.peek(k); return t !== undefined && t.kind === 'punct' && t.text === p; }
  get offset(): number { return this.peek()?.offset ?? this.src.length; }
  fail(message: string, tok = this.peek()): never { throw new CqlShapeError(tok?.offset ?? this.src.length, message); }
  word(w: string): void { if (!this.at(w)) this.fail(`expected ${w.toUpperCase()}${this.peek() ? `, found '${this.peek()!.text}'` : ' at the end'}`); this.i++; }
  punct(p: string): void { if (!this.isPunct(p)) this.fail(`expected '${p}'${this.peek() ? `, found '${this.peek()!.text}'` : ' at the end'}`); this.i++; }
  accept(w: string): boolean { if (this.at(w)) { this.i++; return true; } return false; }
  acceptPunct(p: string): boolean { if (this.isPunct(p)) { this.i++; return true; } return false; }
  name(what: string): Token {
    const t = this.peek();
    if (!t || (t.kind !== 'ident' && t.kind !== 'qident')) this.fail(`expected ${what}${t ? `, found '${t.text}'` : ' at the end'}`);
    this.i++;
    return t;
  }
  /** `[keyspace.]name` */
  qualified(what: string): { keyspace?: string; name: string; offset: number } {
    const first = this.name(what);
    if (this.acceptPunct('.')) {
      const second = this.name(what);
      return { keyspace: first.text, name: second.text, offset: first.offset };
    }
    return { name: first.text, offset: first.offset };
  }
}

/** Text of a CQL type as written (normalized spacing, natives lowercased). */
function readTypeText(c: Cursor, depth = 0): string {
  if (depth > 16) c.fail('type nested too deeply');
  const t = c.peek();
  if (!t) c.fail('expected a type at the end');
  if (t.kind === 'string') { c.i++; return `'${t.text}'`; }
  const name = c.name('a column type');
  let text = name.kind === 'qident' ? `"${name.text}"` : name.text;
  if (c.acceptPunct('.')) {
    const n2 = c.name('a type name');
    text += `.${n2.kind === 'qident' ? `"${n2.text}"` : n2.text}`;
  }
  if (c.acceptPunct('<')) {
    const args = [readTypeText(c, depth + 1)];
    while (c.acceptPunct(',')) args.push(readTypeText(c, depth + 1));
    c.punct('>');
    text += `<${args.join(', ')}>`;
  }
  return text;
}

export interface ColumnDef {
  name: string;
  /** CQL type text, e.g. `int`, `frozen<list<text>>`. */
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
  /** Views only: the base table and whether it selected `*`. */
  base?: { keyspace?: string; name: string };
  offset: number;
}

export type SchemaStatement =
  | { kind: 'keyspace'; name: string; offset: number }
  | { kind: 'type'; keyspace?: string; name: string; offset: number }
  | TableDef
  | { kind: 'other'; offset: number };

/** Reads one schema statement; anything but CREATE KEYSPACE/TABLE/VIEW/TYPE is `other`. */
export function parseSchemaStatement(src: string): SchemaStatement {
  const c = new Cursor(tokenize(src), src);
  if (!c.accept('create')) return { kind: 'other', offset: 0 };
  if (c.accept('keyspace') || c.accept('schema')) {
    ifNotExists(c);
    const name = c.name('a keyspace name');
    return { kind: 'keyspace', name: name.text, offset: name.offset };
  }
  if (c.accept('type')) {
    ifNotExists(c);
    const q = c.qualified('a type name');
    return { kind: 'type', keyspace: q.keyspace, name: q.name, offset: q.offset };
  }
  if (c.accept('table') || c.accept('columnfamily')) return parseTableBody(c);
  if (c.accept('materialized')) { c.word('view'); return parseViewBody(c); }
  return { kind: 'other', offset: 0 };
}

function ifNotExists(c: Cursor): void {
  if (c.accept('if')) { c.word('not'); c.word('exists'); }
}

function parseTableBody(c: Cursor): TableDef {
  ifNotExists(c);
  const q = c.qualified('a table name');
  c.punct('(');
  const columns: ColumnDef[] = [];
  let pk: { partition: Token[]; clustering: Token[] } | undefined;
  let inlinePk: Token | undefined;
  for (;;) {
    if (c.at('primary') && c.at('key', 1)) {
      const at = c.peek()!;
      c.i += 2;
      if (pk || inlinePk) c.fail('PRIMARY KEY is declared twice', at);
      pk = readPrimaryKey(c);
    } else {
      const name = c.name('a column name or PRIMARY KEY');
      if (columns.some((col) => col.name === name.text)) c.fail(`column '${name.text}' is declared twice`, name);
      const type = readTypeText(c);
      let isStatic = false;
      for (;;) {
        if (c.accept('static')) { isStatic = true; continue; }
        if (c.at('primary') && c.at('key', 1)) {
          if (pk || inlinePk) c.fail('PRIMARY KEY is declared twice');
          inlinePk = name;
          c.i += 2;
          continue;
        }
        break;
      }
      columns.push({ name: name.text, type, isStatic, offset: name.offset });
    }
    if (c.acceptPunct(',')) { if (c.isPunct(')')) break; continue; }
    break;
  }
  c.punct(')');
  if (c.peek() && !c.at('with')) c.fail(`expected WITH or the end of the statement, found '${c.peek()!.text}'`);
  const partition = pk ? pk.partition : inlinePk ? [inlinePk] : [];
  const clustering = pk ? pk.clustering : [];
  if (partition.length === 0) throw new CqlShapeError(q.offset, `table '${q.name}' has no PRIMARY KEY`);
  for (const k of [...partition, ...clustering]) {
    if (!columns.some((col) => col.name === k.text)) c.fail(`primary key column '${k.text}' is not a column of '${q.name}'`, k);
  }
  const seen = new Set<string>();
  for (const k of [...partition, ...clustering]) {
    if (seen.has(k.text)) c.fail(`column '${k.text}' appears twice in the primary key`, k);
    seen.add(k.text);
  }
  return {
    kind: 'table', keyspace: q.keyspace, name: q.name, columns,
    partitionKey: partition.map((t) => t.text), clusteringKey: clustering.map((t) => t.text), offset: q.offset,
  };
}

/** `( (a, b), c, d )` or `( a, c )` — the PRIMARY KEY keywords already consumed. */
function readPrimaryKey(c: Cursor): { partition: Token[]; clustering: Token[] } {
  c.punct('(');
  const partition: Token[] = [];
  if (c.acceptPunct('(')) {
    partition.push(c.name('a partition key column'));
    while (c.acceptPunct(',')) partition.push(c.name('a partition key column'));
    c.punct(')');
  } else {
    partition.push(c.name('a partition key column'));
  }
  const clustering: Token[] = [];
  while (c.acceptPunct(',')) clustering.push(c.name('a clustering column'));
  c.punct(')');
  return { partition, clustering };
}

function parseViewBody(c: Cursor): TableDef {
  ifNotExists(c);
  const q = c.qualified('a view name');
  c.word('as');
  c.word('select');
  const selected: Token[] = [];
  let all = false;
  if (c.acceptPunct('*')) all = true;
  else {
    selected.push(c.name('a column name'));
    while (c.acceptPunct(',')) selected.push(c.name('a column name'));
  }
  c.word('from');
  const base = c.qualified('the base table');
  // the WHERE clause is the server's business; find the PRIMARY KEY that follows it
  while (c.peek() && !(c.at('primary') && c.at('key', 1))) c.i++;
  if (!c.peek()) throw new CqlShapeError(q.offset, `view '${q.name}' has no PRIMARY KEY`);
  c.i += 2;
  const pk = readPrimaryKey(c);
  return {
    kind: 'view', keyspace: q.keyspace, name: q.name,
    // columns are resolved against the base table by the caller
    columns: all ? [] : selected.map((t) => ({ name: t.text, type: '', isStatic: false, offset: t.offset })),
    partitionKey: pk.partition.map((t) => t.text), clusteringKey: pk.clustering.map((t) => t.text),
    base: { keyspace: base.keyspace, name: base.name }, offset: q.offset,
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
}

const REL_OPS = new Set(['=', '<', '>', '<=', '>=', '!=']);

/**
 * The verb, the table and, for every `?` in order, the column (or token bound) it binds.
 * Markers whose value cannot be derived from a row (LIMIT ?, USING TTL ?, IN ?) are errors.
 */
export function analyzeStatement(src: string): StatementShape {
  const toks = tokenize(src);
  const c: Cursor = new Cursor(toks, src);
  const first = c.peek();
  if (!first) throw new CqlShapeError(0, 'empty statement');
  const named = toks.find((t) => t.kind === 'named-marker');
  if (named) throw new CqlShapeError(named.offset, `named markers like '${named.text}' are not supported; use ?`);
  let verb: StatementShape['verb'];
  let table: StatementShape['table'];
  let insertColumns: Token[] | undefined;
  let valuesStart = -1;
  if (c.accept('select')) {
    verb = 'select';
    while (c.peek() && !c.at('from')) c.i++;
    c.word('from');
    table = c.qualified('a table name');
  } else if (c.accept('insert')) {
    verb = 'insert';
    c.word('into');
    table = c.qualified('a table name');
    c.punct('(');
    insertColumns = [c.name('a column name')];
    while (c.acceptPunct(',')) insertColumns.push(c.name('a column name'));
    c.punct(')');
    if (c.at('json')) c.fail('INSERT ... JSON is not supported; list the columns');
    c.word('values');
    valuesStart = c.i;
  } else if (c.accept('update')) {
    verb = 'update';
    table = c.qualified('a table name');
  } else if (c.accept('delete')) {
    verb = 'delete';
    while (c.peek() && !c.at('from')) c.i++;
    c.word('from');
    table = c.qualified('a table name');
  } else if (c.at('begin')) {
    c.fail('BEGIN BATCH is not an operation here: write the single-row statement and set batch: N');
  } else {
    c.fail(`expected SELECT, INSERT, UPDATE or DELETE, found '${first.text}'`);
  }

  const markers: MarkerTarget[] = [];
  // INSERT: the i-th value binds the i-th column
  if (insertColumns) {
    c.i = valuesStart;
    c.punct('(');
    let idx = 0;
    let depth = 0;
    for (; c.peek(); c.i++) {
      const t = c.peek()!;
      if (t.kind === 'punct' && (t.text === '(' || t.text === '[' || t.text === '{')) depth++;
      else if (t.kind === 'punct' && (t.text === ')' || t.text === ']' || t.text === '}')) {
        if (depth === 0) break;
        depth--;
      } else if (t.kind === 'punct' && t.text === ',' && depth === 0) idx++;
      else if (t.kind === 'marker') {
        if (depth > 0) throw new CqlShapeError(t.offset, 'a ? inside a collection literal is not supported; bind the whole column');
        const col = insertColumns[idx];
        if (!col) throw new CqlShapeError(t.offset, 'more values than columns in INSERT');
        markers.push({ kind: 'column', column: col.text, offset: t.offset });
      }
    }
    if (idx + 1 !== insertColumns.length) c.fail(`INSERT names ${insertColumns.length} columns but gives ${idx + 1} values`);
    c.i++;
  }
  for (; c.i < toks.length; c.i++) {
    const t = toks[c.i];
    if (t.kind !== 'marker') continue;
    markers.push(markerTarget(toks, c.i));
  }
  return { verb, table, markers };
}

function markerTarget(toks: Token[], i: number): MarkerTarget {
  const t = toks[i];
  const prev = toks[i - 1];
  const word = (k: number) => (toks[k] && toks[k].kind === 'ident' ? toks[k].text : undefined);
  const isName = (k: number) => toks[k] !== undefined && (toks[k].kind === 'ident' || toks[k].kind === 'qident');
  if (prev && prev.kind === 'ident') {
    if (prev.text === 'limit') throw new CqlShapeError(t.offset, 'LIMIT ? is not supported: write the limit into the CQL');
    if (prev.text === 'ttl' || prev.text === 'timestamp') throw new CqlShapeError(t.offset, `USING ${prev.text.toUpperCase()} ? is not supported: write the value into the CQL or use the table's default_time_to_live`);
    if (prev.text === 'in') throw new CqlShapeError(t.offset, 'IN ? is not supported: bind one value per relation');
    if (prev.text === 'contains' || prev.text === 'key') throw new CqlShapeError(t.offset, 'CONTAINS ? is not supported');
  }
  if (prev && prev.kind === 'punct' && REL_OPS.has(prev.text)) {
    const lhs = toks[i - 2];
    if (lhs && (lhs.kind === 'ident' || lhs.kind === 'qident')) {
      if (toks[i - 3]?.kind === 'punct' && toks[i - 3].text === '.') {
        throw new CqlShapeError(t.offset, 'qualified column names are not supported in relations');
      }
      return { kind: 'column', column: lhs.text, offset: t.offset };
    }
    if (lhs && lhs.kind === 'punct' && lhs.text === ')') {
      // token(a, b) > ? : walk back to the matching '('
      let k = i - 3;
      let depth = 1;
      for (; k >= 0 && depth > 0; k--) {
        if (toks[k].kind === 'punct' && toks[k].text === ')') depth++;
        else if (toks[k].kind === 'punct' && toks[k].text === '(') depth--;
      }
      if (word(k) === 'token') {
        if (prev.text === '>' || prev.text === '>=') return { kind: 'token-lower', offset: t.offset };
        if (prev.text === '<' || prev.text === '<=') return { kind: 'token-upper', offset: t.offset };
        throw new CqlShapeError(t.offset, 'token(...) = ? is not supported; scans use token(...) > ? AND token(...) <= ?');
      }
      throw new CqlShapeError(t.offset, 'multi-column relations like (a, b) > (?, ?) are not supported');
    }
  }
  if (prev && prev.kind === 'punct' && (prev.text === '+' || prev.text === '-')) {
    // counter or collection update: c = c + ?
    if (isName(i - 2) && toks[i - 3]?.text === '=' && isName(i - 4)) return { kind: 'column', column: toks[i - 4].text, offset: t.offset };
  }
  if (prev && prev.kind === 'punct' && (prev.text === '(' || prev.text === ',')) {
    throw new CqlShapeError(t.offset, 'multi-column relations like (a, b) > (?, ?) are not supported');
  }
  throw new CqlShapeError(t.offset, 'cannot tell which column this ? binds (use column = ?, or token(...) > ? / <= ? for scans)');
}

// ---------------------------------------------------------------- types

const typeCache = new Map<string, CqlType>();

/** Parses a CQL type text (`frozen<map<text, int>>`). Unknown names are taken as UDTs. */
export function parseCqlType(text: string): CqlType {
  const cached = typeCache.get(text);
  if (cached) return cached;
  const c = new Cursor(tokenize(text), text);
  const t = readType(c, 0);
  if (c.peek()) c.fail(`unexpected '${c.peek()!.text}' after the type`);
  typeCache.set(text, t);
  return t;
}

function readType(c: Cursor, depth: number): CqlType {
  if (depth > 16) c.fail('type nested too deeply');
  const tok = c.peek();
  if (tok?.kind === 'string') { c.i++; return { kind: 'custom', className: tok.text }; }
  const nameTok = c.name('a type');
  let name = nameTok.text;
  let keyspace = '';
  if (c.acceptPunct('.')) { keyspace = name; name = c.name('a type name').text; }
  const args = (): CqlType[] => {
    c.punct('<');
    const a = [readType(c, depth + 1)];
    while (c.acceptPunct(',')) a.push(readType(c, depth + 1));
    c.punct('>');
    return a;
  };
  if (nameTok.kind === 'ident' && !keyspace) {
    if (name === 'frozen') {
      const [inner] = args();
      if (inner.kind === 'list' || inner.kind === 'set' || inner.kind === 'map' || inner.kind === 'udt') return { ...inner, frozen: true };
      return inner;
    }
    if (name === 'list' || name === 'set') {
      const a = args();
      if (a.length !== 1) c.fail(`${name} takes one type argument`);
      return { kind: name, element: a[0] };
    }
    if (name === 'map') {
      const a = args();
      if (a.length !== 2) c.fail('map takes two type arguments');
      return { kind: 'map', key: a[0], value: a[1] };
    }
    if (name === 'tuple') return { kind: 'tuple', elements: args() };
    if (name === 'vector') c.fail('vector types are not supported by the generators');
    const alias = TYPE_ALIASES[name];
    if (alias) return { kind: alias };
    if ((NATIVE_TYPES as readonly string[]).includes(name)) return { kind: name as NativeTypeName };
  }
  return { kind: 'udt', keyspace, name, fields: [] };
}
