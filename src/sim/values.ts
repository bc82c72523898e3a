/**
 * Values in the emulator are kept serialized (the bytes a client bound or a literal converts
 * to), so a prepared write stores what it received without decoding. This module converts CQL
 * literals to those bytes, orders serialized values the way Scylla orders clustering keys, and
 * checks bound values for size errors a real server would reject.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { codecFor, serialize, deserialize, parseDecimal, parseDate, parseTime, type CqlDuration } from '../cql/codecs.js';
import { ProtocolViolation, formatUuid } from '../cql/buffer.js';
import { typeToCql, type CqlType } from '../cql/types.js';
import type { Term } from '../cql/parser/ast.js';
import { ErrorCode, ResponseError } from '../cql/errors.js';

/** An Invalid (0x2200) error raised while executing; the server turns it into an ERROR frame. */
export class InvalidRequest extends Error {
  override name = 'InvalidRequest';
}

export class ConfigError extends ResponseError {
  constructor(message: string) {
    super(ErrorCode.CONFIG_ERROR, message);
  }
}
export class SyntaxErrorResponse extends ResponseError {
  constructor(message: string) {
    super(ErrorCode.SYNTAX_ERROR, message);
  }
}
export class UnauthorizedError extends ResponseError {
  constructor(message: string) {
    super(ErrorCode.UNAUTHORIZED, message);
  }
}

export type Comparator = (a: Buffer, b: Buffer) => number;

const bytewise: Comparator = (a, b) => Buffer.compare(a, b);

/** Signed big-endian integers of equal width: compare with the sign bit flipped. */
const signedBE: Comparator = (a, b) => {
  if (a.length === 0 || b.length === 0) return a.length - b.length;
  const x = a[0] ^ 0x80;
  const y = b[0] ^ 0x80;
  if (x !== y) return x - y;
  return Buffer.compare(a.subarray(1), b.subarray(1));
};

function timeuuidTime(b: Buffer): bigint {
  // time_low (4) time_mid (2) time_hi_and_version (2): reassemble the 60-bit timestamp
  const low = BigInt(b.readUInt32BE(0));
  const mid = BigInt(b.readUInt16BE(4));
  const hi = BigInt(b.readUInt16BE(6) & 0x0fff);
  return (hi << 48n) | (mid << 32n) | low;
}

const timeuuidCmp: Comparator = (a, b) => {
  if (a.length !== 16 || b.length !== 16) return a.length - b.length;
  // the 60-bit time, most significant part first: time_hi (12 bits), time_mid, time_low
  const ha = a.readUInt16BE(6) & 0x0fff;
  const hb = b.readUInt16BE(6) & 0x0fff;
  if (ha !== hb) return ha - hb;
  const ma = a.readUInt16BE(4);
  const mb = b.readUInt16BE(4);
  if (ma !== mb) return ma - mb;
  const la = a.readUInt32BE(0);
  const lb = b.readUInt32BE(0);
  if (la !== lb) return la < lb ? -1 : 1;
  // Cassandra's TimeUUIDType compares the remaining bytes as signed
  for (let i = 8; i < 16; i++) {
    const x = (a[i] << 24) >> 24;
    const y = (b[i] << 24) >> 24;
    if (x !== y) return x - y;
  }
  return 0;
};

const uuidCmp: Comparator = (a, b) => {
  if (a.length !== 16 || b.length !== 16) return a.length - b.length;
  const va = a[6] >> 4;
  const vb = b[6] >> 4;
  if (va !== vb) return va - vb;
  if (va === 1) return timeuuidCmp(a, b);
  return Buffer.compare(a, b);
};

/** Java's Double.compare: NaN above everything and equal to itself, -0.0 below 0.0. */
const numericCmp = (type: CqlType): Comparator => (a, b) => {
  const x = deserialize(type, a) as number;
  const y = deserialize(type, b) as number;
  if (x < y) return -1;
  if (x > y) return 1;
  const xn = Number.isNaN(x);
  const yn = Number.isNaN(y);
  if (xn || yn) return xn === yn ? 0 : xn ? 1 : -1;
  const xz = Object.is(x, -0);
  const yz = Object.is(y, -0);
  return xz === yz ? 0 : xz ? -1 : 1;
};

const varintCmp: Comparator = (a, b) => {
  const x = deserialize({ kind: 'varint' }, a) as bigint;
  const y = deserialize({ kind: 'varint' }, b) as bigint;
  return x < y ? -1 : x > y ? 1 : 0;
};

const decimalCmp: Comparator = (a, b) => {
  const x = deserialize({ kind: 'decimal' }, a) as { unscaled: bigint; scale: number };
  const y = deserialize({ kind: 'decimal' }, b) as { unscaled: bigint; scale: number };
  const s = Math.max(x.scale, y.scale);
  const xs = x.unscaled * 10n ** BigInt(s - x.scale);
  const ys = y.unscaled * 10n ** BigInt(s - y.scale);
  return xs < ys ? -1 : xs > ys ? 1 : 0;
};

/** The order Scylla gives serialized values of `type` (clustering keys, filtering). */
export function compareFor(type: CqlType): Comparator {
  switch (type.kind) {
    case 'int': case 'bigint': case 'smallint': case 'tinyint': case 'timestamp': case 'counter': case 'time':
      return signedBE;
    case 'float': case 'double': return numericCmp(type);
    case 'varint': return varintCmp;
    case 'decimal': return decimalCmp;
    case 'timeuuid': return timeuuidCmp;
    case 'uuid': return uuidCmp;
    default: return bytewise; // text, ascii, blob, boolean, date (unsigned with a 2^31 epoch), inet, frozen composites
  }
}

const FIXED_SIZE: Partial<Record<CqlType['kind'], number>> = {
  int: 4, bigint: 8, smallint: 2, tinyint: 1, boolean: 1, double: 8, float: 4, timestamp: 8, counter: 8,
  uuid: 16, timeuuid: 16, date: 4, time: 8,
};

/** Rejects a bound value whose size cannot be of its type (Scylla: Invalid, "Expected 4 or 0 byte int (2)"). */
export function checkBoundValue(type: CqlType, v: Buffer, column: string): void {
  const size = FIXED_SIZE[type.kind];
  if (size !== undefined) {
    if (v.length !== size && v.length !== 0) {
      throw new InvalidRequest(`Exception while binding column ${column}: marshaling error: Expected ${size} or 0 byte ${type.kind} (${v.length})`);
    }
    return;
  }
  if (type.kind === 'list' || type.kind === 'set' || type.kind === 'map' || type.kind === 'tuple' || type.kind === 'udt' || type.kind === 'text' || type.kind === 'ascii') {
    try {
      codecFor(type).read(v, 0, v.length);
    } catch (e) {
      const why = e instanceof ProtocolViolation || e instanceof TypeError ? e.message : String(e);
      throw new InvalidRequest(`Exception while binding column ${column}: marshaling error: ${why}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// literals → bytes

/** Parses a CQL duration literal (`1h30m`, `2000ms`, `-5s`, ISO `PT2S`) into months/days/ns. */
export function parseDurationLiteral(text: string): CqlDuration {
  let s = text.trim().toLowerCase();
  let sign = 1n;
  if (s.startsWith('-')) { sign = -1n; s = s.slice(1); }
  const d = { months: 0, days: 0, nanoseconds: 0n };
  if (s.startsWith('p')) {
    const m = /^p(?:(\d+)y)?(?:(\d+)m)?(?:(\d+)w)?(?:(\d+)d)?(?:t(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?)?$/.exec(s);
    if (!m || s === 'p') throw new InvalidRequest(`Unable to convert '${text}' to a duration`);
    d.months = Number(m[1] ?? 0) * 12 + Number(m[2] ?? 0);
    d.days = Number(m[3] ?? 0) * 7 + Number(m[4] ?? 0);
    d.nanoseconds = (BigInt(m[5] ?? 0) * 3600n + BigInt(m[6] ?? 0) * 60n + BigInt(m[7] ?? 0)) * 1_000_000_000n;
  } else {
    const re = /(\d+)(y|mo|w|d|h|ms|m|us|µs|ns|s)/g;
    let consumed = 0;
    for (let m = re.exec(s); m; m = re.exec(s)) {
      if (m.index !== consumed) break;
      consumed += m[0].length;
      const n = BigInt(m[1]);
      switch (m[2]) {
        case 'y': d.months += Number(n) * 12; break;
        case 'mo': d.months += Number(n); break;
        case 'w': d.days += Number(n) * 7; break;
        case 'd': d.days += Number(n); break;
        case 'h': d.nanoseconds += n * 3_600_000_000_000n; break;
        case 'm': d.nanoseconds += n * 60_000_000_000n; break;
        case 's': d.nanoseconds += n * 1_000_000_000n; break;
        case 'ms': d.nanoseconds += n * 1_000_000n; break;
        case 'us': case 'µs': d.nanoseconds += n * 1000n; break;
        case 'ns': d.nanoseconds += n; break;
      }
    }
    if (consumed !== s.length || s.length === 0) throw new InvalidRequest(`Unable to convert '${text}' to a duration`);
  }
  if (sign < 0n) return { months: -d.months, days: -d.days, nanoseconds: -d.nanoseconds };
  return d;
}

/** Milliseconds of a duration literal used as a timeout (USING TIMEOUT 2000ms). */
export function durationToMs(d: CqlDuration, what = 'Timeout'): number {
  if (d.months !== 0 || d.days !== 0) throw new InvalidRequest(`${what} values cannot be expressed in days/months`);
  if (d.nanoseconds % 1_000_000n !== 0n) throw new InvalidRequest(`${what} values cannot have granularity finer than milliseconds`);
  if (d.nanoseconds < 0n) throw new InvalidRequest(`${what} values must be non-negative`);
  return Number(d.nanoseconds / 1_000_000n);
}

const TIMESTAMP_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?)?\s*(z|[+-]\d{2}:?\d{2})?$/i;

export function parseTimestampLiteral(s: string): Date {
  const m = TIMESTAMP_RE.exec(s.trim());
  if (!m) throw new InvalidRequest(`Unable to coerce '${s}' to a formatted date (long)`);
  let ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0), Number((m[7] ?? '0').padEnd(3, '0')));
  const tz = m[8];
  if (tz && tz.toLowerCase() !== 'z') {
    const sign = tz[0] === '-' ? -1 : 1;
    const digits = tz.slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return new Date(ms);
}

let clockSeqNode: Buffer | undefined;
let lastUuidTime = 0n;

/** A version-1 time UUID for `ms` (now() and friends). Monotonic within this process. */
export function timeuuidFor(ms: number, unique = true): Buffer {
  // 100 ns intervals since 1582-10-15
  let t = BigInt(ms) * 10_000n + 0x01b21dd213814000n;
  if (unique) {
    if (t <= lastUuidTime) t = lastUuidTime + 1n;
    lastUuidTime = t;
  }
  const b = Buffer.alloc(16);
  b.writeUInt32BE(Number(t & 0xffffffffn), 0);
  b.writeUInt16BE(Number((t >> 32n) & 0xffffn), 4);
  b.writeUInt16BE(Number((t >> 48n) & 0x0fffn) | 0x1000, 6);
  if (!clockSeqNode) {
    clockSeqNode = randomBytes(8);
    clockSeqNode[0] = (clockSeqNode[0] & 0x3f) | 0x80;
  }
  clockSeqNode.copy(b, 8);
  return b;
}

function timeuuidMs(b: Buffer): number {
  return Number((timeuuidTime(b) - 0x01b21dd213814000n) / 10_000n);
}

/** Bound values of one execution (by marker index); `UNSET` marks a value left unset. */
export type Bound = readonly (Buffer | null | symbol)[];

export const UNSET_VALUE: unique symbol = Symbol('unset-value');

/**
 * Converts a term to the serialized bytes for a receiver of `type`. Returns null for null and
 * UNSET_VALUE for an unset bind marker. `receiver` names the column in error messages.
 */
export function termToBytes(term: Term, type: CqlType, bound: Bound, receiver: string): Buffer | null | typeof UNSET_VALUE {
  switch (term.kind) {
    case 'bind': {
      const v = bound[term.index];
      if (v === undefined) throw new InvalidRequest(`There were ${bound.length} markers(?) in CQL but ${term.index + 1} or more were expected`);
      if (v === null) return null;
      if (typeof v === 'symbol') return UNSET_VALUE;
      checkBoundValue(type, v, receiver);
      return v;
    }
    case 'literal':
      if (term.type === 'null') return null;
      return serializeOrInvalid(type, literalToJs(term.type, term.value, type, receiver), receiver, term.value);
    case 'function':
      return functionToBytes(term.name, term.args, type, bound, receiver);
    case 'cast':
      return termToBytes(term.term, type, bound, receiver);
    default:
      return serializeOrInvalid(type, termToJs(term, type, bound, receiver), receiver, '(collection)');
  }
}

function serializeOrInvalid(type: CqlType, v: unknown, receiver: string, shown: string): Buffer | null {
  try {
    return serialize(type, v);
  } catch (e) {
    throw new InvalidRequest(`Invalid ${typeToCql(type)} constant (${shown}) for "${receiver}": ${(e as Error).message}`);
  }
}

/** A literal as the JS value codecs accept for `type`. */
function literalToJs(kind: string, text: string, type: CqlType, receiver: string): unknown {
  const bad = (): never => {
    throw new InvalidRequest(`Invalid ${kind === 'string' ? 'STRING' : kind.toUpperCase()} constant (${text}) for "${receiver}" of type ${typeToCql(type)}`);
  };
  switch (type.kind) {
    case 'ascii': case 'text':
      if (kind !== 'string') bad();
      return text;
    case 'int': case 'smallint': case 'tinyint': {
      if (kind !== 'integer') bad();
      const n = Number(text);
      const bits = type.kind === 'int' ? 32 : type.kind === 'smallint' ? 16 : 8;
      if (n < -(2 ** (bits - 1)) || n >= 2 ** (bits - 1)) throw new InvalidRequest(`Invalid INTEGER constant (${text}) for "${receiver}" of type ${type.kind}: out of range`);
      return n;
    }
    case 'bigint': case 'counter': case 'varint':
      if (kind !== 'integer') bad();
      return BigInt(text);
    case 'float': case 'double':
      if (kind === 'nan') return NaN;
      if (kind === 'infinity') return text.startsWith('-') ? -Infinity : Infinity;
      if (kind !== 'integer' && kind !== 'float') bad();
      return Number(text);
    case 'decimal':
      if (kind !== 'integer' && kind !== 'float' && kind !== 'string') bad();
      return parseDecimal(text);
    case 'boolean':
      if (kind !== 'boolean') bad();
      return text === 'true';
    case 'uuid': case 'timeuuid':
      if (kind !== 'uuid' && kind !== 'string') bad();
      return text.toLowerCase();
    case 'blob':
      if (kind !== 'hex') bad();
      if (text.length % 2 !== 0) throw new InvalidRequest(`Invalid hex blob 0x${text}: odd number of digits`);
      return Buffer.from(text, 'hex');
    case 'timestamp':
      if (kind === 'integer') return BigInt(text);
      if (kind !== 'string') bad();
      return parseTimestampLiteral(text);
    case 'date':
      if (kind === 'integer') return Number(BigInt(text) - 2n ** 31n);
      if (kind !== 'string') bad();
      try { return parseDate(text); } catch { return bad(); }
    case 'time':
      if (kind === 'integer') return BigInt(text);
      if (kind !== 'string') bad();
      try { return parseTime(text); } catch { return bad(); }
    case 'inet':
      if (kind !== 'string') bad();
      return text;
    case 'duration':
      if (kind !== 'duration' && kind !== 'string' && kind !== 'integer') bad();
      return parseDurationLiteral(text);
    default:
      return bad();
  }
}

function termToJs(term: Term, type: CqlType, bound: Bound, receiver: string): unknown {
  const sub = (t: Term, ty: CqlType): unknown => {
    const b = termToBytes(t, ty, bound, receiver);
    if (b === UNSET_VALUE) throw new InvalidRequest(`Invalid unset value in collection for "${receiver}"`);
    return b === null ? null : deserialize(ty, b);
  };
  switch (term.kind) {
    case 'list':
      if (type.kind === 'list' || type.kind === 'set') return term.items.map((t) => sub(t, type.element));
      break;
    case 'set':
      if (type.kind === 'set' || type.kind === 'list') return term.items.map((t) => sub(t, type.element));
      if (type.kind === 'map' && term.items.length === 0) return new Map();
      break;
    case 'map':
      if (type.kind === 'map') return new Map(term.entries.map(([k, v]) => [sub(k, type.key), sub(v, type.value)]));
      if ((type.kind === 'set' || type.kind === 'list') && term.entries.length === 0) return [];
      break;
    case 'tuple':
      if (type.kind === 'tuple') {
        if (term.items.length > type.elements.length) break;
        return term.items.map((t, i) => sub(t, type.elements[i]));
      }
      break;
    case 'udt':
      if (type.kind === 'udt') {
        const o: Record<string, unknown> = {};
        for (const [name, t] of term.fields) {
          const f = type.fields.find((x) => x.name === name);
          if (!f) throw new InvalidRequest(`Unknown field '${name}' in value of user defined type ${type.name}`);
          o[name] = sub(t, f.type);
        }
        return o;
      }
      break;
    default: break;
  }
  throw new InvalidRequest(`Invalid ${term.kind} literal for "${receiver}" of type ${typeToCql(type)}`);
}

function functionToBytes(name: string, args: Term[], type: CqlType, bound: Bound, receiver: string): Buffer | null {
  const nowMs = Date.now();
  switch (name.toLowerCase()) {
    case 'now': case 'currenttimeuuid':
      return timeuuidFor(nowMs);
    case 'uuid':
      return Buffer.from(randomUUID().replace(/-/g, ''), 'hex');
    case 'currenttimestamp':
      return serialize({ kind: 'timestamp' }, new Date(nowMs));
    case 'currentdate':
      return serialize({ kind: 'date' }, Math.floor(nowMs / 86_400_000));
    case 'currenttime':
      return serialize({ kind: 'time' }, BigInt(nowMs % 86_400_000) * 1_000_000n);
    case 'totimestamp': case 'dateof': case 'tounixtimestamp': case 'todate': case 'unixtimestampof': {
      if (args.length !== 1) throw new InvalidRequest(`Invalid number of arguments in call to function system.${name}: 1 required but ${args.length} provided`);
      const inner = args[0];
      let ms: number;
      if (inner.kind === 'function' && ['now', 'currenttimeuuid'].includes(inner.name.toLowerCase())) ms = nowMs;
      else {
        const b = termToBytes(inner, { kind: 'timeuuid' }, bound, receiver);
        if (!(b instanceof Buffer)) return null;
        ms = timeuuidMs(b);
      }
      const ln = name.toLowerCase();
      if (ln === 'todate') return serialize({ kind: 'date' }, Math.floor(ms / 86_400_000));
      if (ln === 'tounixtimestamp' || ln === 'unixtimestampof') return serialize({ kind: 'bigint' }, BigInt(ms));
      return serialize({ kind: 'timestamp' }, new Date(ms));
    }
    case 'mintimeuuid': case 'maxtimeuuid': {
      const b = args.length === 1 ? termToBytes(args[0], { kind: 'timestamp' }, bound, receiver) : null;
      if (!(b instanceof Buffer)) return null;
      const ms = Number(b.readBigInt64BE(0));
      const u = timeuuidFor(ms, false);
      // the smallest and largest clock-seq/node bytes under TimeUUIDType's signed comparison
      if (name.toLowerCase() === 'mintimeuuid') u.fill(0x80, 8, 16);
      else u.fill(0x7f, 8, 16);
      return u;
    }
    case 'blobasint': case 'blobastext': case 'blobasbigint': {
      const b = args.length === 1 ? termToBytes(args[0], { kind: 'blob' }, bound, receiver) : null;
      return b instanceof Buffer ? b : null;
    }
    case 'textasblob': case 'intasblob': case 'bigintasblob': case 'varcharasblob': {
      const from = name.toLowerCase().replace('asblob', '');
      const t: CqlType = from === 'varchar' ? { kind: 'text' } : ({ kind: from } as CqlType);
      const b = args.length === 1 ? termToBytes(args[0], t, bound, receiver) : null;
      return b instanceof Buffer ? b : null;
    }
    default:
      throw new InvalidRequest(`Unknown function '${name}'`);
  }
}

/** Renders serialized bytes as CQL literal text (used for view where_clause and messages). */
export function bytesToCqlLiteral(type: CqlType, b: Buffer | null): string {
  if (b === null) return 'null';
  const v = deserialize(type, b);
  switch (type.kind) {
    case 'text': case 'ascii': case 'inet': return `'${String(v).replace(/'/g, "''")}'`;
    case 'blob': return `0x${b.toString('hex')}`;
    case 'uuid': case 'timeuuid': return formatUuid(b, 0);
    case 'timestamp': return String((v as Date).getTime());
    default: return typeof v === 'bigint' ? v.toString() : JSON.stringify(v) ?? String(v);
  }
}

/** USING TIMEOUT as a per-execution getter (ms); undefined when the statement has none or it is unset. */
export function timeoutGetter(t: Term | undefined): ((b: Bound) => number | undefined) | undefined {
  if (!t) return undefined;
  if (t.kind === 'literal') {
    if (t.type === 'null') throw new InvalidRequest('Timeout value cannot be null');
    const ms = durationToMs(parseDurationLiteral(t.value));
    return () => ms;
  }
  return (b) => {
    const v = termToBytes(t, { kind: 'duration' }, b, '[timeout]');
    if (v === null) throw new InvalidRequest('Timeout value cannot be null');
    if (v === UNSET_VALUE) return undefined;
    return durationToMs(deserialize({ kind: 'duration' }, v) as CqlDuration);
  };
}
