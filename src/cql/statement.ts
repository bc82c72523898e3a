/**
 * Statements and their values on the wire: the prepared statement as the client keeps it, the
 * per-request options, and the encoders of EXECUTE and BATCH bodies and QUERY values. Values of
 * prepared statements are written straight from the prepared codecs into the frame: no buffer
 * per value.
 */
import { UNSET_MARK, Writer } from './buffer.js';
import { codecFor, UNSET, type Codec } from './codecs.js';
import { Consistency } from './consistency.js';
import { ValueEncodeError } from './errors.js';
import { writeBatch, BatchType, type ColumnSpec, type QueryParameters, type RawValue } from './messages.js';
import type { CqlType } from './types.js';

export interface PreparedStatement {
  readonly cql: string;
  readonly keyspace: string | undefined;
  id: Buffer;
  readonly bindColumns: ColumnSpec[];
  readonly pkIndexes: number[];
  readonly resultColumns: ColumnSpec[];
  readonly bindCodecs: Codec[];
  /** Scylla's LWT bit from the prepared metadata flags (when the extension was negotiated). */
  readonly isLwt: boolean;
}

export interface QueryOptions {
  consistency?: Consistency;
  serialConsistency?: Consistency;
  pageSize?: number;
  pagingState?: Buffer | null;
  timestampUs?: bigint;
  timeoutMs?: number;
  skipMetadata?: boolean;
  tracing?: boolean;
  /** Types for QUERY values; without them values are inferred (see inferType). */
  types?: CqlType[];
}

export interface BatchEntry {
  statement: PreparedStatement | string;
  values?: unknown[];
}

export type BatchOptions = QueryOptions & { type?: BatchType };

/** EXECUTE body: values encoded by the prepared codecs. Throws ValueEncodeError. */
export function encodeExecute(w: Writer, stmt: PreparedStatement, values: unknown[], opts: QueryOptions, version: number): void {
  const n = values.length;
  if (n !== stmt.bindCodecs.length) throw new ValueEncodeError(`statement expects ${stmt.bindCodecs.length} values, got ${n}: ${stmt.cql}`);
  w.shortBytes(stmt.id);
  let flags = 0;
  if (n > 0) flags |= 0x01;
  if (opts.skipMetadata) flags |= 0x02;
  if (opts.pageSize !== undefined && opts.pageSize > 0) flags |= 0x04;
  if (opts.pagingState) flags |= 0x08;
  if (opts.serialConsistency !== undefined) flags |= 0x10;
  if (opts.timestampUs !== undefined) flags |= 0x20;
  w.short(opts.consistency ?? Consistency.ONE).byte(flags);
  if (n > 0) {
    w.short(n);
    const codecs = stmt.bindCodecs;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (v === null || v === undefined) w.int(-1);
      else if (v === UNSET) {
        if (version < 4) throw new ValueEncodeError('unset values need protocol v4');
        w.int(-2);
      } else {
        try {
          codecs[i].write(w, v);
        } catch (e) {
          throw new ValueEncodeError(`${stmt.bindColumns[i]?.name ?? `value ${i}`}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
    }
  }
  if (flags & 0x04) w.int(opts.pageSize!);
  if (flags & 0x08) w.bytes(opts.pagingState!);
  if (flags & 0x10) w.short(opts.serialConsistency!);
  if (flags & 0x20) w.long(opts.timestampUs!);
}

/** BATCH body of prepared statements and/or query strings. Throws ValueEncodeError. */
export function encodeBatch(w: Writer, entries: readonly BatchEntry[], opts: BatchOptions): void {
  const statements = entries.map((e) => {
    const vals = e.values ?? [];
    if (typeof e.statement === 'string') return { query: e.statement, values: vals.map((v) => serializeFree(v)) };
    const st = e.statement;
    return { query: st.id, values: vals.map((v, i) => serializeWith(st.bindCodecs[i], v)) };
  });
  writeBatch(w, statements, {
    type: opts.type ?? BatchType.LOGGED,
    consistency: opts.consistency ?? Consistency.ONE,
    serialConsistency: opts.serialConsistency,
    timestampUs: opts.timestampUs,
  });
}

/** QUERY parameters, values serialized with `opts.types` or inferred types. */
export function queryParameters(values: unknown[], opts: QueryOptions): QueryParameters {
  return {
    consistency: opts.consistency ?? Consistency.ONE,
    values: values.map((v, i) => serializeFree(v, opts.types?.[i])),
    skipMetadata: opts.skipMetadata,
    pageSize: opts.pageSize,
    pagingState: opts.pagingState,
    serialConsistency: opts.serialConsistency,
    timestampUs: opts.timestampUs,
  };
}

function serializeWith(c: Codec | undefined, v: unknown): RawValue {
  if (v === null || v === undefined) return null;
  if (v === UNSET) return UNSET_MARK;
  if (!c) throw new ValueEncodeError('more values than bind markers');
  const w = new Writer(32);
  c.write(w, v);
  return Buffer.from(w.buf.subarray(4, w.pos));
}

/** Best-effort type for a value bound to a QUERY without type hints. */
export function inferType(v: unknown): CqlType {
  if (typeof v === 'string') return { kind: 'text' };
  if (typeof v === 'bigint') return { kind: 'bigint' };
  if (typeof v === 'boolean') return { kind: 'boolean' };
  if (typeof v === 'number') return Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31 ? { kind: 'int' } : { kind: 'double' };
  if (v instanceof Date) return { kind: 'timestamp' };
  if (v instanceof Uint8Array) return { kind: 'blob' };
  throw new ValueEncodeError(`cannot infer a CQL type for ${typeof v}; pass opts.types`);
}

function serializeFree(v: unknown, t?: CqlType): RawValue {
  if (v === null || v === undefined) return null;
  if (v === UNSET) return UNSET_MARK;
  if (Buffer.isBuffer(v) && !t) return v;
  return serializeWith(codecFor(t ?? inferType(v)), v);
}
