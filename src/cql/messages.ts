/**
 * Message bodies of protocol v4, both directions: the client encodes requests and decodes
 * responses; the emulator decodes requests and encodes responses. Bodies are written into a
 * caller's Writer (the connection puts the 9-byte header in front) so the hot path reuses buffers.
 */
import { ProtocolViolation, Reader, UNSET_MARK, Writer } from './buffer.js';
import type { Consistency } from './consistency.js';
import { readTypeOption, writeTypeOption, type CqlType } from './types.js';

// ---------------------------------------------------------------------------------------------
// Shared shapes

export interface ColumnSpec {
  keyspace: string;
  table: string;
  name: string;
  type: CqlType;
}

export const RowsFlag = { GLOBAL_TABLES_SPEC: 0x0001, HAS_MORE_PAGES: 0x0002, NO_METADATA: 0x0004, METADATA_CHANGED: 0x0008 } as const;

export const QueryFlag = {
  VALUES: 0x01, SKIP_METADATA: 0x02, PAGE_SIZE: 0x04, PAGING_STATE: 0x08, SERIAL_CONSISTENCY: 0x10,
  DEFAULT_TIMESTAMP: 0x20, NAMES_FOR_VALUES: 0x40,
} as const;

export const ResultKind = { VOID: 1, ROWS: 2, SET_KEYSPACE: 3, PREPARED: 4, SCHEMA_CHANGE: 5 } as const;

export const BatchType = { LOGGED: 0, UNLOGGED: 1, COUNTER: 2 } as const;
export type BatchType = (typeof BatchType)[keyof typeof BatchType];

/** Bound values as they travel: already-serialized bytes, null, or unset. */
export type RawValue = Buffer | null | typeof UNSET_MARK;

export interface QueryParameters {
  consistency: Consistency;
  values?: RawValue[];
  /** When set, values are sent with names (NAMES_FOR_VALUES). */
  valueNames?: string[];
  skipMetadata?: boolean;
  pageSize?: number;
  pagingState?: Buffer | null;
  serialConsistency?: Consistency;
  /** Client-side write timestamp in microseconds. */
  timestampUs?: bigint;
}

export interface SchemaChange {
  change: 'CREATED' | 'UPDATED' | 'DROPPED';
  target: 'KEYSPACE' | 'TABLE' | 'TYPE' | 'FUNCTION' | 'AGGREGATE';
  keyspace: string;
  name?: string;
  argTypes?: string[];
}

export interface RowsMetadata {
  flags: number;
  columnCount: number;
  /** null when the server sent NO_METADATA (the client asked to skip it). */
  columns: ColumnSpec[] | null;
  pagingState: Buffer | null;
  newMetadataId?: Buffer;
}

export interface PreparedMetadata {
  flags: number;
  columns: ColumnSpec[];
  pkIndexes: number[];
}

export interface RowsResult {
  kind: 'rows';
  metadata: RowsMetadata;
  rowCount: number;
  /** The undecoded rows: body[rowsOffset..] holds rowCount × columnCount [bytes] cells. */
  body: Buffer;
  rowsOffset: number;
}

export type Result =
  | { kind: 'void' }
  | RowsResult
  | { kind: 'set_keyspace'; keyspace: string }
  | { kind: 'prepared'; id: Buffer; metadata: PreparedMetadata; resultMetadata: RowsMetadata; resultMetadataId?: Buffer }
  | { kind: 'schema_change'; change: SchemaChange };

/** Response frame extras (flags TRACING, WARNING, CUSTOM_PAYLOAD). */
export interface ResponseExtras {
  tracingId?: string;
  warnings?: string[];
  customPayload?: Map<string, Buffer | null>;
}

// ---------------------------------------------------------------------------------------------
// Requests: client encode

export function writeStartup(w: Writer, options: Record<string, string>): void {
  w.stringMap(options);
}

export function writeQueryParameters(w: Writer, p: QueryParameters): void {
  let flags = 0;
  if (p.values && p.values.length > 0) flags |= QueryFlag.VALUES;
  if (p.valueNames) flags |= QueryFlag.NAMES_FOR_VALUES;
  if (p.skipMetadata) flags |= QueryFlag.SKIP_METADATA;
  if (p.pageSize !== undefined && p.pageSize > 0) flags |= QueryFlag.PAGE_SIZE;
  if (p.pagingState) flags |= QueryFlag.PAGING_STATE;
  if (p.serialConsistency !== undefined) flags |= QueryFlag.SERIAL_CONSISTENCY;
  if (p.timestampUs !== undefined) flags |= QueryFlag.DEFAULT_TIMESTAMP;
  w.short(p.consistency).byte(flags);
  if (flags & QueryFlag.VALUES) {
    const values = p.values!;
    w.short(values.length);
    for (let i = 0; i < values.length; i++) {
      if (p.valueNames) w.string(p.valueNames[i]);
      writeRawValue(w, values[i]);
    }
  }
  if (flags & QueryFlag.PAGE_SIZE) w.int(p.pageSize!);
  if (flags & QueryFlag.PAGING_STATE) w.bytes(p.pagingState!);
  if (flags & QueryFlag.SERIAL_CONSISTENCY) w.short(p.serialConsistency!);
  if (flags & QueryFlag.DEFAULT_TIMESTAMP) w.long(p.timestampUs!);
}

export function writeRawValue(w: Writer, v: RawValue): void {
  if (v === null) w.int(-1);
  else if (v === UNSET_MARK) w.int(-2);
  else w.bytes(v);
}

export function writeQuery(w: Writer, cql: string, p: QueryParameters): void {
  w.longString(cql);
  writeQueryParameters(w, p);
}

export function writePrepare(w: Writer, cql: string): void {
  w.longString(cql);
}

export function writeExecute(w: Writer, id: Buffer, p: QueryParameters, resultMetadataId?: Buffer): void {
  w.shortBytes(id);
  if (resultMetadataId) w.shortBytes(resultMetadataId);
  writeQueryParameters(w, p);
}

export interface BatchStatement {
  /** A query string, or a prepared statement id. */
  query: string | Buffer;
  values: RawValue[];
}

export interface BatchParameters {
  type: BatchType;
  consistency: Consistency;
  serialConsistency?: Consistency;
  timestampUs?: bigint;
}

export function writeBatch(w: Writer, statements: BatchStatement[], p: BatchParameters): void {
  w.byte(p.type).short(statements.length);
  for (const s of statements) {
    if (typeof s.query === 'string') w.byte(0).longString(s.query);
    else w.byte(1).shortBytes(s.query);
    w.short(s.values.length);
    for (const v of s.values) writeRawValue(w, v);
  }
  let flags = 0;
  if (p.serialConsistency !== undefined) flags |= QueryFlag.SERIAL_CONSISTENCY;
  if (p.timestampUs !== undefined) flags |= QueryFlag.DEFAULT_TIMESTAMP;
  w.short(p.consistency).byte(flags);
  if (p.serialConsistency !== undefined) w.short(p.serialConsistency);
  if (p.timestampUs !== undefined) w.long(p.timestampUs);
}

export function writeRegister(w: Writer, events: string[]): void {
  w.stringList(events);
}

export function writeAuthResponse(w: Writer, token: Buffer | null): void {
  w.bytes(token);
}

// ---------------------------------------------------------------------------------------------
// Requests: server decode

export function readQueryParameters(r: Reader): QueryParameters {
  const consistency = r.short() as Consistency;
  const flags = r.byte();
  const p: QueryParameters = { consistency };
  if (flags & QueryFlag.VALUES) {
    const n = r.short();
    const values: RawValue[] = [];
    const names: string[] = [];
    for (let i = 0; i < n; i++) {
      if (flags & QueryFlag.NAMES_FOR_VALUES) names.push(r.string());
      values.push(r.value());
    }
    p.values = values;
    if (flags & QueryFlag.NAMES_FOR_VALUES) p.valueNames = names;
  }
  if (flags & QueryFlag.SKIP_METADATA) p.skipMetadata = true;
  if (flags & QueryFlag.PAGE_SIZE) p.pageSize = r.int();
  if (flags & QueryFlag.PAGING_STATE) p.pagingState = r.bytes();
  if (flags & QueryFlag.SERIAL_CONSISTENCY) p.serialConsistency = r.short() as Consistency;
  if (flags & QueryFlag.DEFAULT_TIMESTAMP) p.timestampUs = r.long();
  return p;
}

export function readQuery(body: Buffer): { cql: string; params: QueryParameters } {
  const r = new Reader(body);
  return { cql: r.longString(), params: readQueryParameters(r) };
}

export function readExecute(body: Buffer, withResultMetadataId = false): { id: Buffer; resultMetadataId?: Buffer; params: QueryParameters } {
  const r = new Reader(body);
  const id = r.shortBytes();
  const resultMetadataId = withResultMetadataId ? r.shortBytes() : undefined;
  return { id, resultMetadataId, params: readQueryParameters(r) };
}

export function readBatch(body: Buffer): { statements: BatchStatement[]; params: BatchParameters } {
  const r = new Reader(body);
  const type = r.byte();
  if (type > 2) throw new ProtocolViolation(`invalid batch type ${type}`);
  const n = r.short();
  const statements: BatchStatement[] = [];
  for (let i = 0; i < n; i++) {
    const kind = r.byte();
    let query: string | Buffer;
    if (kind === 0) query = r.longString();
    else if (kind === 1) query = r.shortBytes();
    else throw new ProtocolViolation(`invalid batch statement kind ${kind}`);
    const nv = r.short();
    const values: RawValue[] = [];
    for (let j = 0; j < nv; j++) values.push(r.value());
    statements.push({ query, values });
  }
  const consistency = r.short() as Consistency;
  const flags = r.byte();
  const params: BatchParameters = { type: type as BatchType, consistency };
  if (flags & QueryFlag.SERIAL_CONSISTENCY) params.serialConsistency = r.short() as Consistency;
  if (flags & QueryFlag.DEFAULT_TIMESTAMP) params.timestampUs = r.long();
  return { statements, params };
}

// ---------------------------------------------------------------------------------------------
// Responses: client decode

/** Reads the tracing id / warnings / custom payload that precede a response body. */
export function readResponseExtras(r: Reader, flags: number): ResponseExtras | undefined {
  if ((flags & 0x0e) === 0) return undefined;
  const extras: ResponseExtras = {};
  if (flags & 0x02) extras.tracingId = r.uuid();
  if (flags & 0x08) extras.warnings = r.stringList();
  if (flags & 0x04) extras.customPayload = r.bytesMap();
  return extras;
}

function readColumnSpecs(r: Reader, flags: number, count: number): ColumnSpec[] {
  let gks = '';
  let gtable = '';
  const global = (flags & RowsFlag.GLOBAL_TABLES_SPEC) !== 0;
  if (global) {
    gks = r.string();
    gtable = r.string();
  }
  // every column spec needs at least 2 bytes (its type id): reject impossible counts early
  if (count < 0 || count * 2 > r.remaining()) throw new ProtocolViolation(`column count ${count} exceeds body`);
  const cols: ColumnSpec[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const keyspace = global ? gks : r.string();
    const table = global ? gtable : r.string();
    const name = r.string();
    cols[i] = { keyspace, table, name, type: readTypeOption(r) };
  }
  return cols;
}

export function readRowsMetadata(r: Reader): RowsMetadata {
  const flags = r.int();
  const columnCount = r.int();
  if (columnCount < 0) throw new ProtocolViolation(`negative column count ${columnCount}`);
  const pagingState = flags & RowsFlag.HAS_MORE_PAGES ? r.bytes() : null;
  const newMetadataId = flags & RowsFlag.METADATA_CHANGED ? r.shortBytes() : undefined;
  const columns = flags & RowsFlag.NO_METADATA ? null : readColumnSpecs(r, flags, columnCount);
  return { flags, columnCount, columns, pagingState, newMetadataId };
}

export function readPreparedMetadata(r: Reader): PreparedMetadata {
  const flags = r.int();
  const columnCount = r.int();
  const pkCount = r.int();
  if (pkCount < 0 || pkCount * 2 > r.remaining()) throw new ProtocolViolation(`pk count ${pkCount} exceeds body`);
  const pkIndexes: number[] = [];
  for (let i = 0; i < pkCount; i++) pkIndexes.push(r.short());
  return { flags, columns: readColumnSpecs(r, flags, columnCount), pkIndexes };
}

function readSchemaChange(r: Reader): SchemaChange {
  const change = r.string() as SchemaChange['change'];
  const target = r.string() as SchemaChange['target'];
  const keyspace = r.string();
  if (target === 'KEYSPACE') return { change, target, keyspace };
  const name = r.string();
  if (target === 'TABLE' || target === 'TYPE') return { change, target, keyspace, name };
  return { change, target, keyspace, name, argTypes: r.stringList() };
}

/** Decodes a RESULT body starting at r.pos (after any response extras). */
export function readResult(r: Reader, withResultMetadataId = false): Result {
  const kind = r.int();
  switch (kind) {
    case ResultKind.VOID: return { kind: 'void' };
    case ResultKind.ROWS: {
      const metadata = readRowsMetadata(r);
      const rowCount = r.int();
      if (rowCount < 0 || (metadata.columnCount > 0 && rowCount * metadata.columnCount * 4 > r.remaining())) {
        throw new ProtocolViolation(`row count ${rowCount} exceeds body`);
      }
      return { kind: 'rows', metadata, rowCount, body: r.buf, rowsOffset: r.pos };
    }
    case ResultKind.SET_KEYSPACE: return { kind: 'set_keyspace', keyspace: r.string() };
    case ResultKind.PREPARED: {
      const id = Buffer.from(r.shortBytes());
      const resultMetadataId = withResultMetadataId ? Buffer.from(r.shortBytes()) : undefined;
      const metadata = readPreparedMetadata(r);
      const resultMetadata = readRowsMetadata(r);
      return { kind: 'prepared', id, metadata, resultMetadata, resultMetadataId };
    }
    case ResultKind.SCHEMA_CHANGE: return { kind: 'schema_change', change: readSchemaChange(r) };
    default: throw new ProtocolViolation(`unknown result kind ${kind}`);
  }
}

export type ServerEvent =
  | { type: 'TOPOLOGY_CHANGE' | 'STATUS_CHANGE'; change: string; address: string; port: number }
  | { type: 'SCHEMA_CHANGE'; change: SchemaChange };

export function readEvent(body: Buffer): ServerEvent {
  const r = new Reader(body);
  const type = r.string();
  if (type === 'TOPOLOGY_CHANGE' || type === 'STATUS_CHANGE') {
    const change = r.string();
    const { address, port } = r.inet();
    return { type, change, address, port };
  }
  if (type === 'SCHEMA_CHANGE') return { type, change: readSchemaChange(r) };
  throw new ProtocolViolation(`unknown event type ${type}`);
}

// ---------------------------------------------------------------------------------------------
// Responses: server encode

export function writeResponseExtras(w: Writer, extras: ResponseExtras | undefined): number {
  let flags = 0;
  if (!extras) return flags;
  if (extras.tracingId) { flags |= 0x02; w.raw(Buffer.from(extras.tracingId.replace(/-/g, ''), 'hex')); }
  if (extras.warnings && extras.warnings.length > 0) { flags |= 0x08; w.stringList(extras.warnings); }
  if (extras.customPayload && extras.customPayload.size > 0) { flags |= 0x04; w.bytesMap(extras.customPayload); }
  return flags;
}

function writeColumnSpecs(w: Writer, cols: ColumnSpec[], version: number): number {
  const global = cols.length > 0 && cols.every((c) => c.keyspace === cols[0].keyspace && c.table === cols[0].table);
  if (global) w.string(cols[0].keyspace).string(cols[0].table);
  for (const c of cols) {
    if (!global) w.string(c.keyspace).string(c.table);
    w.string(c.name);
    writeTypeOption(w, c.type, version);
  }
  return global ? RowsFlag.GLOBAL_TABLES_SPEC : 0;
}

/** Writes rows metadata; the flags int is patched after the column specs decide GLOBAL_TABLES_SPEC. */
export function writeRowsMetadata(w: Writer, cols: ColumnSpec[], opts: { pagingState?: Buffer | null; noMetadata?: boolean; version?: number }): void {
  const flagsAt = w.pos;
  w.int(0).int(cols.length);
  let flags = 0;
  if (opts.pagingState) { flags |= RowsFlag.HAS_MORE_PAGES; w.bytes(opts.pagingState); }
  if (opts.noMetadata) flags |= RowsFlag.NO_METADATA;
  else flags |= writeColumnSpecs(w, cols, opts.version ?? 4);
  w.buf.writeInt32BE(flags, flagsAt);
}

export function writeRowsResult(w: Writer, cols: ColumnSpec[], rows: (Buffer | null)[][], opts: { pagingState?: Buffer | null; noMetadata?: boolean; version?: number } = {}): void {
  w.int(ResultKind.ROWS);
  writeRowsMetadata(w, cols, opts);
  w.int(rows.length);
  for (const row of rows) for (const cell of row) w.bytes(cell);
}

export function writeVoidResult(w: Writer): void {
  w.int(ResultKind.VOID);
}

export function writeSetKeyspaceResult(w: Writer, keyspace: string): void {
  w.int(ResultKind.SET_KEYSPACE).string(keyspace);
}

export function writePreparedResult(w: Writer, id: Buffer, bindColumns: ColumnSpec[], pkIndexes: number[], resultColumns: ColumnSpec[], opts: { extraFlags?: number; version?: number } = {}): void {
  w.int(ResultKind.PREPARED).shortBytes(id);
  const flagsAt = w.pos;
  w.int(0).int(bindColumns.length).int(pkIndexes.length);
  for (const i of pkIndexes) w.short(i);
  const flags = writeColumnSpecs(w, bindColumns, opts.version ?? 4) | (opts.extraFlags ?? 0);
  w.buf.writeInt32BE(flags | 0, flagsAt);
  writeRowsMetadata(w, resultColumns, { version: opts.version });
}

function writeSchemaChangeBody(w: Writer, c: SchemaChange): void {
  w.string(c.change).string(c.target).string(c.keyspace);
  if (c.target === 'KEYSPACE') return;
  w.string(c.name ?? '');
  if (c.target === 'FUNCTION' || c.target === 'AGGREGATE') w.stringList(c.argTypes ?? []);
}

export function writeSchemaChangeResult(w: Writer, c: SchemaChange): void {
  w.int(ResultKind.SCHEMA_CHANGE);
  writeSchemaChangeBody(w, c);
}

export function writeEvent(w: Writer, e: ServerEvent): void {
  w.string(e.type);
  if (e.type === 'SCHEMA_CHANGE') writeSchemaChangeBody(w, e.change);
  else w.string(e.change).inet(e.address, e.port);
}

export function writeSupported(w: Writer, options: Map<string, string[]>): void {
  // Scylla builds SUPPORTED from a std::multimap: keys leave in byte-wise sorted order.
  const sorted = new Map([...options.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  w.stringMultimap(sorted);
}

export function writeAuthenticate(w: Writer, authenticatorClass: string): void {
  w.string(authenticatorClass);
}

export function writeAuthSuccess(w: Writer, token: Buffer | null): void {
  w.bytes(token);
}
