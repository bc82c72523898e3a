/**
 * SELECT restrictions at prepare time, with Scylla's rules and messages
 * (cql3/restrictions/statement_restrictions.cc): which relations select partitions by key or by
 * token range, which form a clustering prefix and slice, and which are filters that need ALLOW
 * FILTERING. Also the bind-marker metadata the relations declare, and filter evaluation.
 */
import { codecFor } from '../cql/codecs.js';
import type { ColumnSpec } from '../cql/messages.js';
import type { SelectStatement, Term } from '../cql/parser/ast.js';
import type { CqlType } from '../cql/types.js';
import type { ColumnMeta, KeyspaceMeta, TableMeta } from './schema.js';
import { cellLive, type Partition, type Row } from './storage.js';
import { compareFor, InvalidRequest, termToBytes, UNSET_VALUE, type Bound, type Comparator } from './values.js';

export const FILTERING_MSG = 'Cannot execute this query as it might involve data filtering and thus may have unpredictable performance. If you want to execute this query despite the performance unpredictability, use ALLOW FILTERING';

/** A compiled value: the bytes of a term for one execution (a list for IN). */
export type Getter = (b: Bound) => Buffer[];

export interface Filter {
  column: ColumnMeta;
  op: string;
  values: Getter;
  cmp: Comparator;
  /** element type for CONTAINS / CONTAINS KEY */
  elementType?: CqlType;
}

export interface TokenBound { g: (b: Bound) => bigint; inclusive: boolean }
export interface SliceBound { g: Getter; inclusive: boolean }
export interface ClusteringSlice { index: number; start?: SliceBound; end?: SliceBound }

/**
 * The bind markers of one statement: each relation, limit and option that names a marker
 * records its metadata here (PREPARED reports it), and gets a getter for its value.
 */
export class Binder {
  readonly bindSpecs: ColumnSpec[];

  constructor(readonly ks: KeyspaceMeta, readonly table: TableMeta, bindCount: number) {
    this.bindSpecs = new Array(bindCount);
  }

  spec(name: string, type: CqlType): ColumnSpec {
    return { keyspace: this.ks.name, table: this.table.name, name, type };
  }

  bindAt(t: Term, name: string, type: CqlType): void {
    if (t.kind === 'bind') this.bindSpecs[t.index] = this.spec(t.name ?? name, type);
  }

  column(name: string): ColumnMeta {
    const c = this.table.byName.get(name);
    if (!c) throw new InvalidRequest(`Undefined column name ${name} in table ${this.ks.name}.${this.table.name}`);
    return c;
  }

  getter(t: Term, c: { name: string; type: CqlType }): Getter {
    this.bindAt(t, c.name, c.type);
    if (t.kind === 'function') this.bindFunctionArgs(t);
    if (t.kind === 'literal' || ((t.kind === 'function' || t.kind === 'cast') && !hasBind(t))) {
      const v = termToBytes(t, c.type, [], c.name);
      if (v === null) throw new InvalidRequest(`Invalid null value in condition for column ${c.name}`);
      const one = [v as Buffer];
      return () => one;
    }
    return (b) => {
      const v = termToBytes(t, c.type, b, c.name);
      if (v === null) throw new InvalidRequest(`Invalid null value in condition for column ${c.name}`);
      if (v === UNSET_VALUE) throw new InvalidRequest(`Invalid unset value for column ${c.name}`);
      return [v];
    };
  }

  inGetter(values: Term[], c: ColumnMeta): Getter {
    const gs = values.map((v) => this.getter(v, c));
    return (b) => {
      const out: Buffer[] = [];
      for (const g of gs) out.push(...g(b));
      return out;
    };
  }

  /** Markers inside a function call (`minTimeuuid(?)`): typed as the function's argument. */
  private bindFunctionArgs(t: Extract<Term, { kind: 'function' }>): void {
    const fn = t.name.toLowerCase();
    const argType: CqlType = fn === 'mintimeuuid' || fn === 'maxtimeuuid' ? { kind: 'timestamp' }
      : ['totimestamp', 'dateof', 'tounixtimestamp', 'todate', 'unixtimestampof'].includes(fn) ? { kind: 'timeuuid' } : { kind: 'blob' };
    t.args.forEach((a, i) => {
      if (a.kind === 'bind') this.bindSpecs[a.index] = this.spec(a.name ?? `arg${i}(system.${fn})`, argType);
      else if (a.kind === 'function') this.bindFunctionArgs(a);
    });
  }

  /** `col IN ?`: a list bound as one value. */
  inMarker(t: Term, c: ColumnMeta): Getter {
    const listType: CqlType = { kind: 'list', element: c.type };
    if (t.kind === 'bind') this.bindSpecs[t.index] = this.spec(t.name ?? `in(${c.name})`, listType);
    return (b) => {
      const v = termToBytes(t, listType, b, c.name);
      if (v === null || v === UNSET_VALUE) throw new InvalidRequest(`Invalid null value for IN restriction on ${c.name}`);
      const items = codecFor({ kind: 'list', element: { kind: 'blob' } }).read(v, 0, v.length) as (Buffer | null)[];
      return items.filter((x): x is Buffer => x !== null);
    };
  }

  token(t: Term): (b: Bound) => bigint {
    const type: CqlType = { kind: 'bigint' };
    if (t.kind === 'bind') this.bindSpecs[t.index] = this.spec(t.name ?? 'partition key token', type);
    return (b) => {
      const v = termToBytes(t, type, b, 'partition key token');
      if (v === null || v === UNSET_VALUE) throw new InvalidRequest('Invalid null token value');
      return v.readBigInt64BE(0);
    };
  }

  /** LIMIT / PER PARTITION LIMIT: a strictly positive int (unset: no limit). */
  positiveInt(t: Term, what: string, bindName: string): (b: Bound) => number {
    if (t.kind === 'bind') this.bindSpecs[t.index] = this.spec(t.name ?? bindName, { kind: 'int' });
    return (b) => {
      const v = termToBytes(t, { kind: 'int' }, b, bindName);
      if (v === null) throw new InvalidRequest(`Invalid null value of ${what.toLowerCase()}`);
      if (v === UNSET_VALUE) return Infinity;
      const n = v.readInt32BE(0);
      if (n <= 0) throw new InvalidRequest(`${what} must be strictly positive`);
      return n;
    };
  }

  /** Metadata of the markers nothing named (a blob, as Scylla leaves them). */
  finish(): ColumnSpec[] {
    for (let i = 0; i < this.bindSpecs.length; i++) if (!this.bindSpecs[i]) this.bindSpecs[i] = this.spec(`[bind${i}]`, { kind: 'blob' });
    return this.bindSpecs;
  }
}

function hasBind(t: Term): boolean {
  switch (t.kind) {
    case 'bind': return true;
    case 'function': return t.args.some(hasBind);
    case 'cast': return hasBind(t.term);
    case 'list': case 'set': case 'tuple': return t.items.some(hasBind);
    case 'map': return t.entries.some(([k, v]) => hasBind(k) || hasBind(v));
    case 'udt': return t.fields.some(([, v]) => hasBind(v));
    default: return false;
  }
}

/** What the WHERE clause selects, after Scylla's checks. */
export interface Restrictions {
  /** every partition key column restricted by = or IN: partitions by key, else a token range scan */
  byKey: boolean;
  /** per partition key column (when byKey) */
  pkGet: Getter[];
  /** marker index binding each partition key column by =, for PREPARED's pk indexes */
  pkMarker: (number | undefined)[];
  /** the clustering EQ/IN prefix */
  ckPrefix: Getter[];
  /** one slice on the clustering column after the prefix */
  ckSlice?: ClusteringSlice;
  tokenStart?: TokenBound;
  tokenEnd?: TokenBound;
  filters: Filter[];
}

const isSlice = (op: string): boolean => op === '<' || op === '<=' || op === '>' || op === '>=';

/** Analyses the WHERE clause; throws Invalid with Scylla's message for what Scylla refuses. */
export function analyzeRestrictions(binder: Binder, s: SelectStatement): Restrictions {
  const table = binder.table;
  const pkGet: (Getter | undefined)[] = new Array(table.partitionKey.length);
  const pkMarker: (number | undefined)[] = new Array(table.partitionKey.length);
  const ckEq: (Getter | undefined)[] = new Array(table.clustering.length);
  let ckSlice: ClusteringSlice | undefined;
  const filters: Filter[] = [];
  let tokenStart: TokenBound | undefined;
  let tokenEnd: TokenBound | undefined;

  for (const r of s.where) {
    if (r.kind === 'token') {
      const names = table.partitionKey.map((c) => c.name);
      if (r.columns.length !== names.length || r.columns.some((c, i) => c !== names[i])) {
        throw new InvalidRequest(`The token function arguments must be in the partition key order: ${names.join(', ')}`);
      }
      const g = binder.token(r.value);
      if (r.op === '>' || r.op === '>=') tokenStart = { g, inclusive: r.op === '>=' };
      else if (r.op === '<' || r.op === '<=') tokenEnd = { g, inclusive: r.op === '<=' };
      else if (r.op === '=') { tokenStart = { g, inclusive: true }; tokenEnd = { g, inclusive: true }; }
      else throw new InvalidRequest(`Unsupported "${r.op}" relation on the token function`);
      continue;
    }
    if (r.kind === 'multi' || r.kind === 'multi-in') {
      throw new InvalidRequest('Multi-column relations are not supported by the scylla-bench emulator');
    }
    const c = binder.column(r.column);
    const op = r.kind === 'in' ? 'IN' : r.op;
    if (op === 'IS NOT NULL') throw new InvalidRequest('Unsupported restriction: IS NOT NULL is only supported in materialized view definitions');
    const values: Getter = r.kind === 'in' ? binder.inGetter(r.values, c) : op === 'IN' ? binder.inMarker(r.value, c) : (op === 'CONTAINS' || op === 'CONTAINS KEY') ? binder.getter(r.value, { name: c.name, type: elementTypeOf(c.type, op) }) : binder.getter(r.value, c);
    if (r.kind === 'column' && r.mapKey) throw new InvalidRequest('Map-entry restrictions are not supported by the scylla-bench emulator');
    if (c.kind === 'partition_key') {
      if (op !== '=' && op !== 'IN') {
        if (!s.allowFiltering) throw new InvalidRequest('Only EQ and IN relation are supported on the partition key (unless you use the token() function or allow filtering)');
        filters.push({ column: c, op, values, cmp: compareFor(c.type) });
        continue;
      }
      if (pkGet[c.position]) throw new InvalidRequest(`${c.name} cannot be restricted by more than one relation if it includes an Equal`);
      pkGet[c.position] = values;
      if (op === '=' && r.kind === 'column' && r.value.kind === 'bind') pkMarker[c.position] = r.value.index;
    } else if (c.kind === 'clustering') {
      if (op === '=' || op === 'IN') {
        if (ckEq[c.position]) throw new InvalidRequest(`${c.name} cannot be restricted by more than one relation if it includes an Equal`);
        ckEq[c.position] = values;
      } else if (isSlice(op)) {
        if (ckSlice && ckSlice.index !== c.position) {
          filters.push({ column: c, op, values, cmp: compareFor(c.type) });
          continue;
        }
        ckSlice ??= { index: c.position };
        const bound = { g: values, inclusive: op === '>=' || op === '<=' };
        const lower = op === '>' || op === '>=';
        if (lower) {
          if (ckSlice.start) throw new InvalidRequest(`More than one restriction was found for the start bound on ${c.name}`);
          ckSlice.start = bound;
        } else {
          if (ckSlice.end) throw new InvalidRequest(`More than one restriction was found for the end bound on ${c.name}`);
          ckSlice.end = bound;
        }
      } else {
        filters.push({ column: c, op, values, cmp: compareFor(c.type), elementType: elementTypeOf(c.type, op) });
      }
    } else {
      filters.push({ column: c, op, values, cmp: compareFor(op === 'CONTAINS' || op === 'CONTAINS KEY' ? elementTypeOf(c.type, op) : c.type), elementType: elementTypeOf(c.type, op) });
    }
  }

  const pkCount = pkGet.filter(Boolean).length;
  const pkFull = pkCount === table.partitionKey.length;
  if (pkCount > 0 && !pkFull) {
    if (!s.allowFiltering) {
      const missing = table.partitionKey.filter((c) => !pkGet[c.position]).map((c) => c.name);
      throw new InvalidRequest(`Partition key parts: ${missing.join(', ')} must be restricted as other parts are`);
    }
    // with ALLOW FILTERING the restricted parts become filters over a scan
    for (const c of table.partitionKey) {
      const g = pkGet[c.position];
      if (g) filters.push({ column: c, op: 'IN', values: g, cmp: compareFor(c.type) });
      pkGet[c.position] = undefined;
    }
  }
  const byKey = pkFull;
  if (byKey && (tokenStart || tokenEnd)) {
    throw new InvalidRequest(`Columns "${table.partitionKey.map((c) => c.name).join(', ')}" cannot be restricted by both a normal relation and a token relation`);
  }

  // clustering: an EQ/IN prefix, then at most one slice; anything after a gap is filtering
  let prefixLen = 0;
  while (prefixLen < table.clustering.length && ckEq[prefixLen]) prefixLen++;
  for (let i = prefixLen; i < table.clustering.length; i++) {
    const g = ckEq[i];
    if (g) {
      if (!s.allowFiltering) {
        throw new InvalidRequest(`PRIMARY KEY column "${table.clustering[i].name}" cannot be restricted as preceding column "${table.clustering[i - 1]?.name ?? table.clustering[prefixLen].name}" is not restricted`);
      }
      filters.push({ column: table.clustering[i], op: 'IN', values: g, cmp: compareFor(table.clustering[i].type) });
      ckEq[i] = undefined;
    }
  }
  if (ckSlice && ckSlice.index !== prefixLen) {
    if (!s.allowFiltering) {
      throw new InvalidRequest(`PRIMARY KEY column "${table.clustering[ckSlice.index].name}" cannot be restricted as preceding column "${table.clustering[Math.max(0, ckSlice.index - 1)].name}" is not restricted`);
    }
    const c = table.clustering[ckSlice.index];
    if (ckSlice.start) filters.push({ column: c, op: ckSlice.start.inclusive ? '>=' : '>', values: ckSlice.start.g, cmp: compareFor(c.type) });
    if (ckSlice.end) filters.push({ column: c, op: ckSlice.end.inclusive ? '<=' : '<', values: ckSlice.end.g, cmp: compareFor(c.type) });
    ckSlice = undefined;
  }
  if (!byKey && (prefixLen > 0 || ckSlice) && !s.allowFiltering) throw new InvalidRequest(FILTERING_MSG);
  if (filters.length > 0 && !s.allowFiltering) throw new InvalidRequest(FILTERING_MSG);

  return { byKey, pkGet: pkGet as Getter[], pkMarker, ckPrefix: ckEq.slice(0, prefixLen) as Getter[], ckSlice, tokenStart, tokenEnd, filters };
}

/** ORDER BY: whether the clustering order is reversed (Scylla's rules and messages). */
export function analyzeOrderBy(table: TableMeta, s: SelectStatement, byKey: boolean): boolean {
  let reversed = false;
  if (s.orderBy.length > 0) {
    if (!byKey) throw new InvalidRequest('ORDER BY is only supported when the partition key is restricted by an EQ or an IN.');
    s.orderBy.forEach((o, i) => {
      const c = table.byName.get(o.column);
      if (!c) throw new InvalidRequest(`Order by on unknown column ${o.column}`);
      if (c.kind !== 'clustering' || c.position !== i) {
        throw new InvalidRequest('Order by currently only supports the ordering of columns following their declared order in the PRIMARY KEY');
      }
      const rev = o.desc !== c.desc;
      if (i === 0) reversed = rev;
      else if (rev !== reversed) throw new InvalidRequest('Unsupported order by relation');
    });
  }
  return reversed;
}

export function elementTypeOf(t: CqlType, op: string): CqlType {
  if (op === 'CONTAINS KEY') {
    if (t.kind !== 'map') throw new InvalidRequest(`Cannot use CONTAINS KEY on non-map column`);
    return t.key;
  }
  if (op === 'CONTAINS') {
    if (t.kind === 'list' || t.kind === 'set') return t.element;
    if (t.kind === 'map') return t.value;
    throw new InvalidRequest('Cannot use CONTAINS on non-collection column');
  }
  return t;
}

export function valueOf(p: Partition, r: Row | null, c: ColumnMeta, nowMs: number): Buffer | null {
  switch (c.kind) {
    case 'partition_key': return p.components[c.position] ?? null;
    case 'clustering': return r ? r.ck[c.position] : null;
    case 'static': { const x = p.statics[c.slot]; return cellLive(x, nowMs, p.delTs) ? x.v : null; }
    default: {
      if (!r) return null;
      const x = r.cells[c.slot];
      return cellLive(x, nowMs, Math.max(r.delTs, p.delTs)) ? x.v : null;
    }
  }
}

export function applyFilter(f: Filter, v: Buffer, values: Buffer[]): boolean {
  switch (f.op) {
    case '=': return f.cmp(v, values[0]) === 0;
    case '!=': return f.cmp(v, values[0]) !== 0;
    case '<': return f.cmp(v, values[0]) < 0;
    case '<=': return f.cmp(v, values[0]) <= 0;
    case '>': return f.cmp(v, values[0]) > 0;
    case '>=': return f.cmp(v, values[0]) >= 0;
    case 'IN': return values.some((x) => f.cmp(v, x) === 0);
    case 'CONTAINS': case 'CONTAINS KEY': {
      const t = f.column.type;
      const decoded = codecFor(t.kind === 'map' ? { kind: 'map', key: { kind: 'blob' }, value: { kind: 'blob' } } : { kind: 'list', element: { kind: 'blob' } }).read(v, 0, v.length);
      const items: Buffer[] = decoded instanceof Map ? [...(f.op === 'CONTAINS KEY' ? decoded.keys() : decoded.values())] as Buffer[] : decoded as Buffer[];
      return items.some((x) => x !== null && f.cmp(x, values[0]) === 0);
    }
    case 'LIKE': {
      const pat = values[0].toString('utf8');
      const re = new RegExp(`^${pat.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.')}$`, 's');
      return re.test(v.toString('utf8'));
    }
    default: return false;
  }
}
