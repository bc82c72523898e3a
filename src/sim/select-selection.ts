/**
 * SELECT's selection: the result columns (`*` in Scylla's order, columns, count(*), writetime(),
 * ttl(), token()) and how each output cell is taken from a partition and row.
 */
import type { ColumnSpec } from '../cql/messages.js';
import type { SelectExpr, SelectStatement } from '../cql/parser/ast.js';
import type { CqlType } from '../cql/types.js';
import type { Binder } from './select-restrictions.js';
import type { ColumnMeta, TableMeta } from './schema.js';
import { cellLive, type Partition, type Row } from './storage.js';
import { InvalidRequest } from './values.js';

export type OutColumn =
  | { kind: 'pk'; index: number }
  | { kind: 'ck'; index: number }
  | { kind: 'regular'; slot: number }
  | { kind: 'static'; slot: number }
  | { kind: 'writetime'; slot: number; isStatic: boolean }
  | { kind: 'ttl'; slot: number; isStatic: boolean }
  | { kind: 'token' };

export interface Selection {
  resultColumns: ColumnSpec[];
  out: OutColumn[];
  countStar: boolean;
}

export function compileSelection(binder: Binder, s: SelectStatement): Selection {
  const table = binder.table;
  const spec = (name: string, type: CqlType): ColumnSpec => binder.spec(name, type);
  const col = (name: string): ColumnMeta => binder.column(name);
  const resultColumns: ColumnSpec[] = [];
  const out: OutColumn[] = [];
  let countStar = false;
  const addColumn = (c: ColumnMeta, alias?: string): void => {
    resultColumns.push(spec(alias ?? c.name, c.type));
    if (c.kind === 'partition_key') out.push({ kind: 'pk', index: c.position });
    else if (c.kind === 'clustering') out.push({ kind: 'ck', index: c.position });
    else if (c.kind === 'static') out.push({ kind: 'static', slot: c.slot });
    else out.push({ kind: 'regular', slot: c.slot });
  };
  if (s.selectors === null) {
    for (const c of table.partitionKey) addColumn(c);
    for (const c of table.clustering) addColumn(c);
    // then static columns, then regular ones, each by name (Cassandra's SELECT * order)
    const byName = (a: ColumnMeta, b: ColumnMeta): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    const live = (c: ColumnMeta): boolean => table.byName.get(c.name) === c;
    for (const c of table.statics.filter(live).sort(byName)) addColumn(c);
    for (const c of table.regular.filter(live).sort(byName)) addColumn(c);
  } else {
    for (const sel of s.selectors) {
      const e = sel.expr;
      if (e.kind === 'count-star') {
        if (s.selectors.length > 1) throw new InvalidRequest('count(*) cannot be combined with other selectors in the scylla-bench emulator');
        countStar = true;
        resultColumns.push(spec(sel.alias ?? 'count', { kind: 'bigint' }));
      } else if (e.kind === 'column') {
        addColumn(col(e.name), sel.alias);
      } else if (e.kind === 'function') {
        out.push(selectFunction(e, table, col));
        const fname = e.name.toLowerCase();
        const type: CqlType = fname === 'ttl' ? { kind: 'int' } : { kind: 'bigint' };
        const argNames = e.args.map((a) => (a.kind === 'column' ? a.name : '?')).join(', ');
        resultColumns.push(spec(sel.alias ?? (fname === 'token' ? `system.token(${argNames})` : `${fname}(${argNames})`), type));
      } else {
        throw new InvalidRequest('Only column names, count(*), writetime(), ttl() and token() selectors are supported by the scylla-bench emulator');
      }
    }
  }
  return { resultColumns, out, countStar };
}

function selectFunction(e: SelectExpr & { kind: 'function' }, table: TableMeta, col: (n: string) => ColumnMeta): OutColumn {
  const name = e.name.toLowerCase();
  if (name === 'token') {
    const names = e.args.map((a) => (a.kind === 'column' ? a.name : ''));
    if (names.join(',') !== table.partitionKey.map((c) => c.name).join(',')) {
      throw new InvalidRequest(`The token function arguments must be in the partition key order: ${table.partitionKey.map((c) => c.name).join(', ')}`);
    }
    return { kind: 'token' };
  }
  if (name === 'writetime' || name === 'ttl') {
    const a = e.args[0];
    if (e.args.length !== 1 || a.kind !== 'column') throw new InvalidRequest(`${name}() takes exactly one column argument`);
    const c = col(a.name);
    if (c.kind === 'partition_key' || c.kind === 'clustering') throw new InvalidRequest(`Cannot use selection function ${name} on PRIMARY KEY part ${c.name}`);
    return { kind: name, slot: c.slot, isStatic: c.kind === 'static' };
  }
  throw new InvalidRequest(`Unknown function '${e.name}' (the scylla-bench emulator supports count(*), writetime, ttl and token)`);
}

export function project(o: OutColumn, p: Partition, r: Row | null, nowMs: number): Buffer | null {
  switch (o.kind) {
    case 'pk': return p.components[o.index] ?? null;
    case 'ck': return r ? r.ck[o.index] : null;
    case 'regular': {
      if (!r) return null;
      const c = r.cells[o.slot];
      return cellLive(c, nowMs, Math.max(r.delTs, p.delTs)) ? c.v : null;
    }
    case 'static': {
      const c = p.statics[o.slot];
      return cellLive(c, nowMs, p.delTs) ? c.v : null;
    }
    case 'writetime': case 'ttl': {
      const c = o.isStatic ? p.statics[o.slot] : r?.cells[o.slot];
      const shadow = o.isStatic ? p.delTs : Math.max(r?.delTs ?? -Infinity, p.delTs);
      if (!cellLive(c, nowMs, shadow)) return null;
      if (o.kind === 'writetime') {
        const b = Buffer.allocUnsafe(8);
        b.writeBigInt64BE(BigInt(Math.trunc(c.ts)));
        return b;
      }
      if (c.exp === 0) return null;
      const b = Buffer.allocUnsafe(4);
      b.writeInt32BE(Math.max(0, Math.ceil((c.exp - nowMs) / 1000)));
      return b;
    }
    case 'token': {
      const b = Buffer.allocUnsafe(8);
      b.writeBigInt64BE(p.token);
      return b;
    }
  }
}
