/**
 * Mutations as a replica applies them (Scylla's mutation application on a replica): one change
 * to one partition, with its timestamp and TTL, merged cell by cell into the shard's store. The
 * same owned copy goes to every replica.
 */
import { codecFor, serialize } from '../cql/codecs.js';
import type { CqlType } from '../cql/types.js';
import type { ColumnMeta, TableMeta } from './schema.js';
import { compareFor, InvalidRequest } from './values.js';
import { buildAppended, compactPartition, inRange, putCell, rowFor, writeCell, type Cell, type Partition, type Row } from './storage.js';

/** One change to one partition, applied identically on each replica. */
export type Mutation =
  | { kind: 'upsert'; ck: Buffer[] | null; marker: boolean; ops: CellOp[] }
  | { kind: 'delete-cells'; ck: Buffer[] | null; columns: { col: ColumnMeta; key?: Buffer }[] }
  | { kind: 'delete-row'; ck: Buffer[] }
  | { kind: 'delete-range'; start?: { prefix: Buffer[]; inclusive: boolean }; end?: { prefix: Buffer[]; inclusive: boolean } }
  | { kind: 'delete-partition' };

export interface CellOp {
  col: ColumnMeta;
  op: 'set' | 'add' | 'remove' | 'prepend' | 'set-element' | 'counter';
  v: Buffer | null;
  key?: Buffer;
  /** for 'set': the cell every replica stores (built once per write by ownWrite) */
  cell?: Cell;
}

export interface PartitionWrite {
  table: TableMeta;
  components: Buffer[];
  mutation: Mutation;
  ts: number;
  ttlS: number;
  /** already owned (its buffers copied out of the request, its cells built): ownWrite is not needed */
  owned?: boolean;
}

/**
 * Copies a write's bytes out of the request frame once, and builds the cells of plain
 * assignments once, so all replicas share them instead of each copying.
 */
export function ownWrite(w: PartitionWrite, nowMs: number): PartitionWrite {
  const m = w.mutation;
  const own = (b: Buffer): Buffer => Buffer.from(b);
  const exp = w.ttlS > 0 ? nowMs + w.ttlS * 1000 : 0;
  let mutation: Mutation;
  switch (m.kind) {
    case 'upsert':
      mutation = {
        kind: 'upsert', marker: m.marker, ck: m.ck && m.ck.map(own),
        ops: m.ops.map((o) => {
          const v = o.v === null ? null : own(o.v);
          const key = o.key && own(o.key);
          const base: CellOp = key ? { col: o.col, op: o.op, v, key } : { col: o.col, op: o.op, v };
          if (o.op === 'set') base.cell = { v, ts: w.ts, exp, ttl: w.ttlS };
          return base;
        }),
      };
      break;
    case 'delete-cells': mutation = { kind: 'delete-cells', ck: m.ck && m.ck.map(own), columns: m.columns.map((c) => (c.key ? { col: c.col, key: own(c.key) } : { col: c.col })) }; break;
    case 'delete-row': mutation = { kind: 'delete-row', ck: m.ck.map(own) }; break;
    case 'delete-range': {
      const b = (x: { prefix: Buffer[]; inclusive: boolean } | undefined) => x && { prefix: x.prefix.map(own), inclusive: x.inclusive };
      mutation = { kind: 'delete-range', start: b(m.start), end: b(m.end) };
      break;
    }
    case 'delete-partition': mutation = m; break;
  }
  return { ...w, mutation };
}

/** Applies one (owned) mutation to one replica's partition. */
export function applyMutation(p: Partition, w: PartitionWrite, nowMs: number): void {
  const table = w.table;
  const m = w.mutation;
  const ts = w.ts;
  // appended log rows first, as they were written before this (and the tombstone checks below see them)
  if (p.appended !== undefined) buildAppended(p, p.appended);
  if (ts <= p.delTs) return; // shadowed by a newer partition tombstone
  const exp = w.ttlS > 0 ? nowMs + w.ttlS * 1000 : 0;
  switch (m.kind) {
    case 'upsert': {
      let row: Row | undefined;
      if (m.ck !== null) {
        row = rowFor(p, table, m.ck);
        if (ts <= row.delTs) return;
        if (m.marker && (ts > row.markerTs)) {
          row.markerTs = ts;
          row.markerExp = exp;
          row.markerTtl = w.ttlS;
        }
      }
      for (const o of m.ops) {
        const cells = o.col.kind === 'static' ? p.statics : row?.cells;
        if (!cells) continue;
        applyCellOp(cells, o, ts, exp, w.ttlS, nowMs);
      }
      return;
    }
    case 'delete-cells': {
      const row = m.ck ? rowFor(p, table, m.ck) : undefined;
      for (const d of m.columns) {
        const cells = d.col.kind === 'static' ? p.statics : row?.cells;
        if (!cells) continue;
        if (d.key) applyCellOp(cells, { col: d.col, op: 'remove', v: null, key: d.key }, ts, 0, 0, nowMs);
        else writeCell(cells, d.col.slot, null, ts, 0, 0);
      }
      return;
    }
    case 'delete-row': {
      const row = rowFor(p, table, m.ck);
      if (ts > row.delTs) row.delTs = ts;
      compactRow(row);
      return;
    }
    case 'delete-range': {
      p.ranges.push({ start: m.start, end: m.end, ts });
      for (const row of p.rows) if (inRange(table, row.ck, m) && ts > row.delTs) { row.delTs = ts; compactRow(row); }
      return;
    }
    case 'delete-partition': {
      if (ts > p.delTs) p.delTs = ts;
      for (let i = 0; i < p.statics.length; i++) { const c = p.statics[i]; if (c && c.ts <= ts) p.statics[i] = undefined; }
      compactPartition(p, nowMs);
      return;
    }
  }
}

function compactRow(row: Row): void {
  row.sizeBytes = -1;
  if (row.markerTs <= row.delTs) row.markerTs = -Infinity;
  for (let i = 0; i < row.cells.length; i++) { const c = row.cells[i]; if (c && c.ts <= row.delTs) row.cells[i] = undefined; }
}

const BLOB_LIST: CqlType = { kind: 'list', element: { kind: 'blob' } };
const BLOB_MAP: CqlType = { kind: 'map', key: { kind: 'blob' }, value: { kind: 'blob' } };

/** Applies a cell operation; collection updates merge with the current value (read-modify-write). */
function applyCellOp(cells: (Cell | undefined)[], o: CellOp, ts: number, exp: number, ttlS: number, nowMs: number): void {
  const slot = o.col.slot;
  if (o.op === 'set') {
    if (o.cell) putCell(cells, slot, o.cell);
    else writeCell(cells, slot, o.v, ts, exp, ttlS);
    return;
  }
  const old = cells[slot];
  const cur = old && old.v !== null && (old.exp === 0 || old.exp > nowMs) ? old.v : null;
  if (o.op === 'counter') {
    const base = cur ? cur.readBigInt64BE(0) : 0n;
    const b = Buffer.allocUnsafe(8);
    b.writeBigInt64BE(BigInt.asIntN(64, base + o.v!.readBigInt64BE(0)));
    cells[slot] = { v: b, ts: Math.max(ts, old?.ts ?? ts), exp: 0, ttl: 0 };
    return;
  }
  const t = o.col.type;
  let next: Buffer | null;
  if (t.kind === 'map') {
    const codec = codecFor(BLOB_MAP);
    const m = cur ? (codec.read(cur, 0, cur.length) as Map<Buffer, Buffer>) : new Map<Buffer, Buffer>();
    const entries = new Map<string, [Buffer, Buffer]>([...m].map(([k, v]) => [k.toString('hex'), [k, v]]));
    if (o.op === 'add' && o.v) for (const [k, v] of codec.read(o.v, 0, o.v.length) as Map<Buffer, Buffer>) entries.set(k.toString('hex'), [k, v]);
    else if (o.op === 'remove' && o.v) for (const k of codecFor(BLOB_LIST).read(o.v, 0, o.v.length) as Buffer[]) entries.delete(k.toString('hex'));
    else if (o.op === 'remove' && o.key) entries.delete(o.key.toString('hex'));
    else if (o.op === 'set-element' && o.key) {
      if (o.v === null) entries.delete(o.key.toString('hex'));
      else entries.set(o.key.toString('hex'), [o.key, o.v]);
    }
    const cmp = compareFor(t.key);
    const sorted = [...entries.values()].sort((a, b) => cmp(a[0], b[0]));
    next = sorted.length ? encode(BLOB_MAP, new Map(sorted)) : null;
  } else if (t.kind === 'set' || t.kind === 'list') {
    const codec = codecFor(BLOB_LIST);
    let items = cur ? (codec.read(cur, 0, cur.length) as Buffer[]) : [];
    // add/prepend/remove carry a whole collection; set-element carries one element
    const arg = o.v && o.op !== 'set-element' ? (codec.read(o.v, 0, o.v.length) as Buffer[]) : [];
    if (o.op === 'add') items = items.concat(arg);
    else if (o.op === 'prepend') items = arg.concat(items);
    else if (o.op === 'remove' && o.key && t.kind === 'list') {
      const i = o.key.readInt32BE(0);
      items = items.filter((_, j) => j !== i);
    } else if (o.op === 'remove') items = items.filter((x) => !arg.some((y) => y.equals(x)));
    else if (o.op === 'set-element' && o.key) {
      const i = o.key.readInt32BE(0);
      if (i < 0 || i >= items.length) throw new InvalidRequest(`List index ${i} out of bound, list has size ${items.length}`);
      if (o.v === null) items.splice(i, 1);
      else items[i] = o.v;
    }
    if (t.kind === 'set') {
      const cmp = compareFor(t.element);
      items.sort(cmp);
      items = items.filter((x, i) => i === 0 || cmp(x, items[i - 1]) !== 0);
    }
    next = items.length ? encode(BLOB_LIST, items) : null;
  } else {
    next = o.v;
  }
  cells[slot] = { v: next, ts: Math.max(ts, old?.ts ?? ts), exp, ttl: ttlS };
}

function encode(t: CqlType, v: unknown): Buffer {
  return serialize(t, v) ?? Buffer.alloc(0);
}
