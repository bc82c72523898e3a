/**
 * Decoding of ROWS results. Kept apart from the frame decode so the load path can count rows
 * (rowCount is known from the header of the result) without materialising any value.
 */
import { ProtocolViolation } from './buffer.js';
import { codecFor, type Codec } from './codecs.js';
import type { ColumnSpec, RowsResult } from './messages.js';

export type Row = Record<string, unknown>;

/** Per-column codecs, computed once per prepared statement or result metadata. */
export function codecsFor(columns: ColumnSpec[]): Codec[] {
  return columns.map((c) => codecFor(c.type));
}

/** Rows as arrays of values, in column order. `columns` is needed when the server skipped metadata. */
export function decodeRowArrays(res: RowsResult, columns: ColumnSpec[] | null = res.metadata.columns, codecs?: Codec[]): unknown[][] {
  if (!columns) throw new Error('rows result carries no metadata and none was supplied');
  const cs = codecs ?? codecsFor(columns);
  const buf = res.body;
  let p = res.rowsOffset;
  const end = buf.length;
  const n = res.metadata.columnCount;
  const out: unknown[][] = new Array(res.rowCount);
  for (let i = 0; i < res.rowCount; i++) {
    const row: unknown[] = new Array(n);
    for (let j = 0; j < n; j++) {
      if (p + 4 > end) throw new ProtocolViolation('truncated row');
      const len = buf.readInt32BE(p);
      p += 4;
      if (len < 0) { row[j] = null; continue; }
      if (p + len > end) throw new ProtocolViolation(`cell length ${len} exceeds body`);
      row[j] = cs[j].read(buf, p, len);
      p += len;
    }
    out[i] = row;
  }
  return out;
}

/** Rows as objects keyed by column name. */
export function decodeRows(res: RowsResult, columns: ColumnSpec[] | null = res.metadata.columns): Row[] {
  if (!columns) throw new Error('rows result carries no metadata and none was supplied');
  return decodeRowArrays(res, columns).map((arr) => {
    const o: Row = {};
    for (let j = 0; j < columns.length; j++) o[columns[j].name] = arr[j];
    return o;
  });
}

/** The raw cells (bytes or null) of each row: what the emulator and differential tests compare. */
export function rawCells(res: RowsResult): (Buffer | null)[][] {
  const buf = res.body;
  let p = res.rowsOffset;
  const n = res.metadata.columnCount;
  const out: (Buffer | null)[][] = [];
  for (let i = 0; i < res.rowCount; i++) {
    const row: (Buffer | null)[] = [];
    for (let j = 0; j < n; j++) {
      if (p + 4 > buf.length) throw new ProtocolViolation('truncated row');
      const len = buf.readInt32BE(p);
      p += 4;
      if (len < 0) { row.push(null); continue; }
      if (p + len > buf.length) throw new ProtocolViolation(`cell length ${len} exceeds body`);
      row.push(buf.subarray(p, p + len));
      p += len;
    }
    out.push(row);
  }
  return out;
}
