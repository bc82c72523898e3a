/**
 * Value codecs for every CQL type, compiled once per type into a pair of closures.
 *
 * JS representations (what `read` returns; `write` accepts these and a few conveniences):
 *   ascii/text → string; bigint/counter → bigint (number accepted); int/smallint/tinyint → number;
 *   float/double → number; boolean → boolean; blob → Buffer (any Uint8Array accepted);
 *   uuid/timeuuid → lowercase string; inet → string; varint → bigint;
 *   decimal → { unscaled: bigint, scale: number } (a decimal string accepted);
 *   timestamp → Date (number/bigint ms accepted); date → days since 1970-01-01 as number
 *   ('YYYY-MM-DD' accepted); time → nanoseconds since midnight as bigint ('hh:mm:ss[.fffffffff]' accepted);
 *   duration → { months, days, nanoseconds: bigint }; list/set/tuple → array; map → Map
 *   (a plain object accepted); udt → object keyed by field name.
 *
 * `write` appends the whole [value] (int32 length + bytes) into a Writer, so encoding a
 * request allocates nothing per value.
 */
import { ProtocolViolation, Writer, formatInet, formatUuid, parseInet, parseUuid } from './buffer.js';
import type { CqlType } from './types.js';
import { typeToCql } from './types.js';

export interface CqlDecimal { unscaled: bigint; scale: number }
export interface CqlDuration { months: number; days: number; nanoseconds: bigint }

/** A bound value that leaves the column untouched (protocol v4 "unset", length -2). */
export const UNSET: unique symbol = Symbol.for('scylla-bench.unset');
export type Unset = typeof UNSET;

export interface Codec {
  readonly type: CqlType;
  /** Appends [value] (length + bytes) for a non-null, non-unset value. */
  write(w: Writer, v: unknown): void;
  /** Decodes the len bytes at buf[start..]. */
  read(buf: Buffer, start: number, len: number): unknown;
}

/** A value that does not fit its column type; the message names the type and the value. */
export class ValueError extends TypeError {
  override name = 'ValueError';
}

function bad(t: string, v: unknown): never {
  let shown: string;
  try {
    shown = typeof v === 'bigint' ? `${v}n` : JSON.stringify(v) ?? String(v);
  } catch {
    shown = String(v);
  }
  if (shown.length > 60) shown = `${shown.slice(0, 57)}...`;
  throw new ValueError(`expected a ${t} value, got ${typeof v} ${shown}`);
}

function fixedLen(buf: Buffer, len: number, want: number, t: string): void {
  if (len !== want) throw new ProtocolViolation(`${t} value must be ${want} bytes, got ${len}`);
}

const intCodec = (kind: 'int' | 'smallint' | 'tinyint'): Codec => {
  const size = kind === 'int' ? 4 : kind === 'smallint' ? 2 : 1;
  const min = -(2 ** (size * 8 - 1));
  const max = 2 ** (size * 8 - 1) - 1;
  return {
    type: { kind },
    write(w, v) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) bad(kind, v);
      w.int(size);
      w.ensure(size);
      if (size === 4) w.buf.writeInt32BE(v, w.pos);
      else if (size === 2) w.buf.writeInt16BE(v, w.pos);
      else w.buf.writeInt8(v, w.pos);
      w.pos += size;
    },
    read(buf, start, len) {
      fixedLen(buf, len, size, kind);
      return size === 4 ? buf.readInt32BE(start) : size === 2 ? buf.readInt16BE(start) : buf.readInt8(start);
    },
  };
};

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

function toInt64(kind: string, v: unknown): bigint {
  if (typeof v === 'bigint') {
    if (v < INT64_MIN || v > INT64_MAX) bad(kind, v);
    return v;
  }
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  return bad(kind, v);
}

const longCodec = (kind: 'bigint' | 'counter'): Codec => ({
  type: { kind },
  write(w, v) {
    const n = toInt64(kind, v);
    w.int(8).long(n);
  },
  read(buf, start, len) {
    fixedLen(buf, len, 8, kind);
    return buf.readBigInt64BE(start);
  },
});

const textCodec = (kind: 'text' | 'ascii'): Codec => ({
  type: { kind },
  write(w, v) {
    if (typeof v !== 'string') bad(kind, v);
    if (kind === 'ascii' && !/^[\x00-\x7f]*$/.test(v)) bad('ascii (7-bit)', v);
    w.longString(v);
  },
  read(buf, start, len) {
    return buf.toString(kind === 'ascii' ? 'latin1' : 'utf8', start, start + len);
  },
});

const blobCodec: Codec = {
  type: { kind: 'blob' },
  write(w, v) {
    if (!(v instanceof Uint8Array)) bad('blob', v);
    w.bytes(v);
  },
  read(buf, start, len) {
    return Buffer.from(buf.subarray(start, start + len));
  },
};

const booleanCodec: Codec = {
  type: { kind: 'boolean' },
  write(w, v) {
    if (typeof v !== 'boolean') bad('boolean', v);
    w.int(1).byte(v ? 1 : 0);
  },
  read(buf, start, len) {
    fixedLen(buf, len, 1, 'boolean');
    return buf[start] !== 0;
  },
};

const doubleCodec: Codec = {
  type: { kind: 'double' },
  write(w, v) {
    if (typeof v !== 'number') bad('double', v);
    w.int(8);
    w.ensure(8);
    w.buf.writeDoubleBE(v, w.pos);
    w.pos += 8;
  },
  read(buf, start, len) {
    fixedLen(buf, len, 8, 'double');
    return buf.readDoubleBE(start);
  },
};

const floatCodec: Codec = {
  type: { kind: 'float' },
  write(w, v) {
    if (typeof v !== 'number') bad('float', v);
    w.int(4);
    w.ensure(4);
    w.buf.writeFloatBE(v, w.pos);
    w.pos += 4;
  },
  read(buf, start, len) {
    fixedLen(buf, len, 4, 'float');
    return buf.readFloatBE(start);
  },
};

const uuidCodec = (kind: 'uuid' | 'timeuuid'): Codec => ({
  type: { kind },
  write(w, v) {
    let b: Buffer;
    if (typeof v === 'string') {
      try { b = parseUuid(v); } catch { return bad(kind, v); }
    } else if (v instanceof Uint8Array && v.length === 16) b = Buffer.from(v);
    else return bad(kind, v);
    if (kind === 'timeuuid' && (b[6] >> 4) !== 1) bad('timeuuid (version 1)', v);
    w.int(16).raw(b);
  },
  read(buf, start, len) {
    fixedLen(buf, len, 16, kind);
    return formatUuid(buf, start);
  },
});

const inetCodec: Codec = {
  type: { kind: 'inet' },
  write(w, v) {
    if (typeof v !== 'string') bad('inet', v);
    let b: Buffer;
    try { b = parseInet(v); } catch { return bad('inet', v); }
    w.bytes(b);
  },
  read(buf, start, len) {
    if (len !== 4 && len !== 16) throw new ProtocolViolation(`inet value must be 4 or 16 bytes, got ${len}`);
    return formatInet(buf.subarray(start, start + len));
  },
};

/** Two's-complement big-endian, minimal length (as Java's BigInteger.toByteArray). */
export function varintToBytes(n: bigint): Buffer {
  if (n === 0n) return Buffer.from([0]);
  const bytes: number[] = [];
  let v = n;
  // emit bytes until the remaining value is pure sign extension of the last byte emitted
  for (;;) {
    const b = Number(BigInt.asUintN(8, v));
    bytes.push(b);
    v >>= 8n;
    if ((v === 0n && (b & 0x80) === 0) || (v === -1n && (b & 0x80) !== 0)) break;
  }
  return Buffer.from(bytes.reverse());
}

export function bytesToVarint(buf: Buffer, start: number, len: number): bigint {
  if (len === 0) return 0n;
  let v = 0n;
  for (let i = 0; i < len; i++) v = (v << 8n) | BigInt(buf[start + i]);
  return BigInt.asIntN(len * 8, v);
}

const varintCodec: Codec = {
  type: { kind: 'varint' },
  write(w, v) {
    let n: bigint;
    if (typeof v === 'bigint') n = v;
    else if (typeof v === 'number' && Number.isSafeInteger(v)) n = BigInt(v);
    else return bad('varint', v);
    w.bytes(varintToBytes(n));
  },
  read(buf, start, len) {
    return bytesToVarint(buf, start, len);
  },
};

export function parseDecimal(s: string): CqlDecimal {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s.trim());
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw new ValueError(`not a decimal: ${JSON.stringify(s)}`);
  const frac = m[3] ?? '';
  const digits = `${m[2]}${frac}` || '0';
  const exp = m[4] ? Number(m[4]) : 0;
  const unscaled = BigInt(digits) * (m[1] === '-' ? -1n : 1n);
  return { unscaled, scale: frac.length - exp };
}

export function formatDecimal(d: CqlDecimal): string {
  const neg = d.unscaled < 0n;
  let digits = (neg ? -d.unscaled : d.unscaled).toString();
  if (d.scale <= 0) return `${neg ? '-' : ''}${digits}${'0'.repeat(-d.scale)}`;
  if (digits.length <= d.scale) digits = '0'.repeat(d.scale - digits.length + 1) + digits;
  return `${neg ? '-' : ''}${digits.slice(0, digits.length - d.scale)}.${digits.slice(digits.length - d.scale)}`;
}

const decimalCodec: Codec = {
  type: { kind: 'decimal' },
  write(w, v) {
    let d: CqlDecimal;
    if (typeof v === 'string') d = parseDecimal(v);
    else if (typeof v === 'number' && Number.isFinite(v)) d = parseDecimal(String(v));
    else if (v && typeof v === 'object' && typeof (v as CqlDecimal).unscaled === 'bigint' && Number.isInteger((v as CqlDecimal).scale)) d = v as CqlDecimal;
    else return bad('decimal', v);
    const mag = varintToBytes(d.unscaled);
    w.int(4 + mag.length).int(d.scale).raw(mag);
  },
  read(buf, start, len) {
    if (len < 4) throw new ProtocolViolation(`decimal value must be at least 4 bytes, got ${len}`);
    return { scale: buf.readInt32BE(start), unscaled: bytesToVarint(buf, start + 4, len - 4) };
  },
};

const timestampCodec: Codec = {
  type: { kind: 'timestamp' },
  write(w, v) {
    let ms: bigint;
    if (v instanceof Date) {
      const t = v.getTime();
      if (Number.isNaN(t)) bad('timestamp', v);
      ms = BigInt(t);
    } else ms = toInt64('timestamp', v);
    w.int(8).long(ms);
  },
  read(buf, start, len) {
    fixedLen(buf, len, 8, 'timestamp');
    return new Date(Number(buf.readBigInt64BE(start)));
  },
};

const DATE_EPOCH = 2 ** 31;
const MS_PER_DAY = 86_400_000;

export function parseDate(s: string): number {
  const m = /^(-?\d{1,7})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) throw new ValueError(`not a date (YYYY-MM-DD): ${JSON.stringify(s)}`);
  const d = new Date(0);
  d.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Math.floor(d.getTime() / MS_PER_DAY);
}

export function formatDate(days: number): string {
  const d = new Date(days * MS_PER_DAY);
  const y = d.getUTCFullYear();
  const ys = y < 0 ? `-${String(-y).padStart(4, '0')}` : String(y).padStart(4, '0');
  return `${ys}-${String(d.getUTCMonth() + 1).padStart(2, '0')}-${String(d.getUTCDate()).padStart(2, '0')}`;
}

const dateCodec: Codec = {
  type: { kind: 'date' },
  write(w, v) {
    let days: number;
    if (typeof v === 'number' && Number.isInteger(v)) days = v;
    else if (typeof v === 'string') days = parseDate(v);
    else if (v instanceof Date) days = Math.floor(v.getTime() / MS_PER_DAY);
    else return bad('date', v);
    const raw = days + DATE_EPOCH;
    if (raw < 0 || raw > 0xffffffff) bad('date', v);
    w.int(4);
    w.ensure(4);
    w.buf.writeUInt32BE(raw, w.pos);
    w.pos += 4;
  },
  read(buf, start, len) {
    fixedLen(buf, len, 4, 'date');
    return buf.readUInt32BE(start) - DATE_EPOCH;
  },
};

const NS_PER_DAY = 86_400_000_000_000n;

export function parseTime(s: string): bigint {
  const m = /^(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/.exec(s);
  if (!m) throw new ValueError(`not a time (hh:mm:ss[.fffffffff]): ${JSON.stringify(s)}`);
  const frac = (m[4] ?? '').padEnd(9, '0');
  return ((BigInt(m[1]) * 60n + BigInt(m[2])) * 60n + BigInt(m[3])) * 1_000_000_000n + BigInt(frac);
}

const timeCodec: Codec = {
  type: { kind: 'time' },
  write(w, v) {
    const ns = typeof v === 'string' ? parseTime(v) : toInt64('time', v);
    if (ns < 0n || ns >= NS_PER_DAY) bad('time (0 <= ns < 86400e9)', v);
    w.int(8).long(ns);
  },
  read(buf, start, len) {
    fixedLen(buf, len, 8, 'time');
    return buf.readBigInt64BE(start);
  },
};

// Cassandra's VIntCoding: the count of leading 1-bits of the first byte gives the extra bytes.
function writeUnsignedVint(out: number[], v: bigint): void {
  v = BigInt.asUintN(64, v);
  let size = 1;
  while (size < 9 && v >= 1n << BigInt(7 * size)) size++;
  if (size === 9) {
    out.push(0xff);
    for (let i = 7; i >= 0; i--) out.push(Number((v >> BigInt(8 * i)) & 0xffn));
    return;
  }
  const extra = size - 1;
  const first = Number((v >> BigInt(8 * extra)) & 0xffn) | ((0xff << (8 - extra)) & 0xff);
  out.push(first);
  for (let i = extra - 1; i >= 0; i--) out.push(Number((v >> BigInt(8 * i)) & 0xffn));
}

function readUnsignedVint(buf: Buffer, pos: { p: number }, end: number): bigint {
  if (pos.p >= end) throw new ProtocolViolation('truncated vint');
  const first = buf[pos.p++];
  let extra = 0;
  while (extra < 8 && (first & (0x80 >> extra)) !== 0) extra++;
  if (pos.p + extra > end) throw new ProtocolViolation('truncated vint');
  let v = extra === 8 ? 0n : BigInt(first & (0xff >> (extra + 1)));
  for (let i = 0; i < extra; i++) v = (v << 8n) | BigInt(buf[pos.p++]);
  return v;
}

const zigzag = (n: bigint): bigint => BigInt.asUintN(64, (n << 1n) ^ (n >> 63n));
const unzigzag = (n: bigint): bigint => BigInt.asIntN(64, (n >> 1n) ^ -(n & 1n));

const durationCodec: Codec = {
  type: { kind: 'duration' },
  write(w, v) {
    const d = v as CqlDuration;
    if (!d || typeof d !== 'object' || !Number.isInteger(d.months) || !Number.isInteger(d.days)) bad('duration', v);
    const ns = toInt64('duration', d.nanoseconds);
    const signs = [Math.sign(d.months), Math.sign(d.days), ns > 0n ? 1 : ns < 0n ? -1 : 0].filter((s) => s !== 0);
    if (signs.some((s) => s !== signs[0])) throw new ValueError('duration months, days and nanoseconds must share one sign');
    const out: number[] = [];
    writeUnsignedVint(out, zigzag(BigInt(d.months)));
    writeUnsignedVint(out, zigzag(BigInt(d.days)));
    writeUnsignedVint(out, zigzag(ns));
    w.bytes(Buffer.from(out));
  },
  read(buf, start, len) {
    const pos = { p: start };
    const end = start + len;
    const months = Number(unzigzag(readUnsignedVint(buf, pos, end)));
    const days = Number(unzigzag(readUnsignedVint(buf, pos, end)));
    const nanoseconds = unzigzag(readUnsignedVint(buf, pos, end));
    if (pos.p !== end) throw new ProtocolViolation('trailing bytes after duration');
    return { months, days, nanoseconds };
  },
};

/** Writes a [value] whose length is only known after the content: reserve, write, patch. */
function withLength(w: Writer, body: () => void): void {
  w.ensure(4);
  const at = w.pos;
  w.pos += 4;
  body();
  w.buf.writeInt32BE(w.pos - at - 4, at);
}

function writeElement(w: Writer, c: Codec, v: unknown): void {
  if (v === null || v === undefined) w.int(-1);
  else c.write(w, v);
}

function readElement(c: Codec, buf: Buffer, pos: { p: number }, end: number): unknown {
  if (pos.p + 4 > end) throw new ProtocolViolation('truncated collection element length');
  const n = buf.readInt32BE(pos.p);
  pos.p += 4;
  if (n < 0) return null;
  if (pos.p + n > end) throw new ProtocolViolation(`collection element length ${n} exceeds value`);
  const v = c.read(buf, pos.p, n);
  pos.p += n;
  return v;
}

function readCount(buf: Buffer, pos: { p: number }, end: number, minBytesEach: number): number {
  if (pos.p + 4 > end) throw new ProtocolViolation('truncated collection size');
  const n = buf.readInt32BE(pos.p);
  pos.p += 4;
  if (n < 0 || n * minBytesEach > end - pos.p) throw new ProtocolViolation(`collection size ${n} exceeds value`);
  return n;
}

function listCodec(type: CqlType & { kind: 'list' | 'set' }): Codec {
  const elem = codecFor(type.element);
  return {
    type,
    write(w, v) {
      const arr = v instanceof Set ? [...v] : v;
      if (!Array.isArray(arr)) bad(typeToCql(type), v);
      withLength(w, () => {
        w.int(arr.length);
        for (const e of arr) {
          if (e === null || e === undefined) throw new ValueError(`${type.kind} elements cannot be null`);
          elem.write(w, e);
        }
      });
    },
    read(buf, start, len) {
      const pos = { p: start };
      const end = start + len;
      const n = readCount(buf, pos, end, 4);
      const out: unknown[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = readElement(elem, buf, pos, end);
      return out;
    },
  };
}

function mapCodec(type: CqlType & { kind: 'map' }): Codec {
  const kc = codecFor(type.key);
  const vc = codecFor(type.value);
  return {
    type,
    write(w, v) {
      let entries: [unknown, unknown][];
      if (v instanceof Map) entries = [...v.entries()];
      else if (v && typeof v === 'object' && !Array.isArray(v)) entries = Object.entries(v);
      else return bad(typeToCql(type), v);
      withLength(w, () => {
        w.int(entries.length);
        for (const [k, val] of entries) {
          if (k === null || k === undefined) throw new ValueError('map keys cannot be null');
          kc.write(w, k);
          writeElement(w, vc, val);
        }
      });
    },
    read(buf, start, len) {
      const pos = { p: start };
      const end = start + len;
      const n = readCount(buf, pos, end, 8);
      const out = new Map<unknown, unknown>();
      for (let i = 0; i < n; i++) out.set(readElement(kc, buf, pos, end), readElement(vc, buf, pos, end));
      return out;
    },
  };
}

function tupleCodec(type: CqlType & { kind: 'tuple' }): Codec {
  const cs = type.elements.map(codecFor);
  return {
    type,
    write(w, v) {
      if (!Array.isArray(v) || v.length > cs.length) bad(typeToCql(type), v);
      withLength(w, () => cs.forEach((c, i) => writeElement(w, c, v[i])));
    },
    read(buf, start, len) {
      const pos = { p: start };
      const end = start + len;
      // a tuple may be shorter than its type (missing trailing elements read as null)
      return cs.map((c) => (pos.p < end ? readElement(c, buf, pos, end) : null));
    },
  };
}

function udtCodec(type: CqlType & { kind: 'udt' }): Codec {
  const fields = type.fields.map((f) => ({ name: f.name, codec: codecFor(f.type) }));
  return {
    type,
    write(w, v) {
      if (!v || typeof v !== 'object' || Array.isArray(v)) bad(type.name, v);
      const o = v as Record<string, unknown>;
      for (const k of Object.keys(o)) {
        if (!fields.some((f) => f.name === k)) throw new ValueError(`unknown field ${k} for type ${type.name}`);
      }
      withLength(w, () => { for (const f of fields) writeElement(w, f.codec, o[f.name]); });
    },
    read(buf, start, len) {
      const pos = { p: start };
      const end = start + len;
      const out: Record<string, unknown> = {};
      for (const f of fields) out[f.name] = pos.p < end ? readElement(f.codec, buf, pos, end) : null;
      return out;
    },
  };
}

const customCodec = (type: CqlType & { kind: 'custom' }): Codec => ({
  type,
  write(w, v) {
    if (!(v instanceof Uint8Array)) bad(`custom ${type.className} (raw bytes)`, v);
    w.bytes(v);
  },
  read(buf, start, len) {
    return Buffer.from(buf.subarray(start, start + len));
  },
});

const NATIVE: Record<string, Codec> = {
  ascii: textCodec('ascii'), text: textCodec('text'), bigint: longCodec('bigint'), counter: longCodec('counter'),
  blob: blobCodec, boolean: booleanCodec, date: dateCodec, decimal: decimalCodec, double: doubleCodec,
  duration: durationCodec, float: floatCodec, inet: inetCodec, int: intCodec('int'), smallint: intCodec('smallint'),
  tinyint: intCodec('tinyint'), time: timeCodec, timestamp: timestampCodec, timeuuid: uuidCodec('timeuuid'),
  uuid: uuidCodec('uuid'), varint: varintCodec,
};

/** The codec for a type; native codecs are shared singletons, composite ones are built per call. */
export function codecFor(t: CqlType): Codec {
  switch (t.kind) {
    case 'list':
    case 'set': return listCodec(t);
    case 'map': return mapCodec(t);
    case 'tuple': return tupleCodec(t);
    case 'udt': return udtCodec(t);
    case 'custom': return customCodec(t);
    default: return NATIVE[t.kind];
  }
}

/** Writes a bound [value]: null → -1, UNSET → -2, else the codec's bytes. */
export function writeValue(w: Writer, c: Codec, v: unknown): void {
  if (v === null || v === undefined) w.int(-1);
  else if (v === UNSET) w.int(-2);
  else c.write(w, v);
}

/** Serializes one value to its bytes (no length prefix); null for null. Handy off the hot path. */
export function serialize(t: CqlType, v: unknown): Buffer | null {
  if (v === null || v === undefined) return null;
  const w = new Writer(64);
  codecFor(t).write(w, v);
  return Buffer.from(w.buf.subarray(4, w.pos));
}

export function deserialize(t: CqlType, b: Buffer | null): unknown {
  if (b === null) return null;
  return codecFor(t).read(b, 0, b.length);
}
