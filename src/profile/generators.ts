/**
 * Column value generators. `compileGenerator` turns a spec and a CQL type into a closure
 * `(index) => value` that is a PURE function of (seed, column, index): no RNG state, so any
 * worker can produce any cycle's values, runs are reproducible, and a read recomputes the
 * key a write used. Values use the JS representations of src/cql/codecs.ts (int → number,
 * bigint → bigint, timestamp → Date, blob → Buffer, uuid → string, ...), chosen from the
 * CQL type so the codec takes them as they are.
 *
 * The only impure generator is `now` (the operation's intended start, passed by the caller
 * as `nowMs`, else the wall clock): it may not be used for key columns.
 */
import { parseDate, parseDecimal, parseTime, type CqlDecimal } from '../cql/codecs.js';
import type { CqlType } from '../cql/types.js';
import { typeToCql } from '../cql/types.js';
import { parseCqlType } from './cql.js';
import { quoted } from './errors.js';
import { h1, h2, hashKeys, hi32, lo32, mix32, permute64, type HashKeys } from './hash.js';
import { compileSampler, distMax } from './sampler.js';
import type { Distribution, GeneratorSpec } from './types.js';

// keying builds on the samplers, not on the generators: re-exporting it here is no cycle
export { cellIndex, compileKeying, readRowOf, rowOf, type Keying, type RowRef } from './keying.js';
export { compileSampler, distMax, distMin, type Sampler } from './sampler.js';

/**
 * The name a column's generator is keyed by (the `column` argument of compileGenerator):
 * `table.column` of the BASE table, so a view's column yields what its base column wrote.
 */
export function generatorName(col: { table: string; column: string; baseTable?: string }): string {
  return `${col.baseTable ?? col.table}.${col.column}`;
}

/** A compiled generator; `nowMs` feeds the `now` generator (the op's intended start). */
export type GenFn = (index: bigint | number, nowMs?: number) => unknown;

/** A value or generator spec that cannot work for its column; the loader adds the position. */
export class GeneratorError extends Error {
  override name = 'GeneratorError';
}

/** 2024-01-01T00:00:00Z: the epoch of generated timestamps, dates and timeuuids. */
export const BASE_TIME_MS = 1_704_067_200_000;
const BASE_DAYS = BASE_TIME_MS / 86_400_000;
/** UUID v1 time: 100 ns ticks since 1582-10-15. */
const UUID_EPOCH_OFFSET_MS = 12_219_292_800_000;
const TWO_32 = 4294967296;
const TWO_NEG_32 = 1 / TWO_32;
const MAX_POOL_EXTRA = 65_536;
/** Text and blob values above this size are refused: a generator is not a bulk data source. */
export const MAX_VALUE_BYTES = 16 * 1024 * 1024;

// ---------------------------------------------------------------- values by CQL type

/** Which JS value a number becomes in a column of type `t` (codecs.ts representations). */
function numberTo(t: CqlType): ((v: number) => unknown) | undefined {
  switch (t.kind) {
    case 'int': return clampInt(-2147483648, 2147483647);
    case 'smallint': return clampInt(-32768, 32767);
    case 'tinyint': return clampInt(-128, 127);
    case 'bigint': case 'counter': case 'varint':
      return (v) => BigInt(clampSafe(v));
    case 'float': return (v) => Math.fround(v);
    case 'double': return (v) => v;
    case 'boolean': return (v) => Math.round(v) !== 0;
    case 'text': case 'ascii':
      return (v) => String(v);
    case 'timestamp': return (v) => new Date(Math.round(v));
    case 'date': return (v) => Math.round(v);
    case 'time': return (v) => BigInt(((Math.round(v) % 86_400e9) + 86_400e9) % 86_400e9);
    case 'decimal': return (v): CqlDecimal => ({ unscaled: BigInt(Math.round(v * 100)), scale: 2 });
    case 'duration': return (v) => ({ months: 0, days: 0, nanoseconds: BigInt(clampSafe(v)) });
    case 'inet': return (v) => ipv4(Math.round(v) >>> 0);
    case 'uuid': {
      // a number picks one of a population of uuids: the same number, the same uuid
      const k = hashKeys(0, 'uuid-of-number');
      return (v) => { const n = clampSafe(v); return uuidV4(k, lo32(n), hi32(n)); };
    }
    case 'timeuuid': {
      const k = hashKeys(0, 'timeuuid-of-number');
      return (v) => { const n = clampSafe(v); return timeuuidFromIndex(k, lo32(n), hi32(n)); };
    }
    case 'blob': return (v) => { const b = Buffer.allocUnsafe(8); b.writeDoubleBE(v); return b; };
    default: return undefined;
  }
}

function clampInt(min: number, max: number): (v: number) => number {
  return (v) => { const r = Math.round(v); return r < min ? min : r > max ? max : r; };
}

function clampSafe(v: number): number {
  const r = Math.round(v);
  return r > Number.MAX_SAFE_INTEGER ? Number.MAX_SAFE_INTEGER : r < -Number.MAX_SAFE_INTEGER ? -Number.MAX_SAFE_INTEGER : r;
}

function isIntegerType(t: CqlType): boolean {
  switch (t.kind) {
    case 'int': case 'smallint': case 'tinyint': case 'bigint': case 'counter': case 'varint':
    case 'timestamp': case 'date': case 'time': case 'duration': case 'inet': case 'uuid':
    case 'timeuuid': case 'boolean': case 'text': case 'ascii':
      return true;
    default:
      return false;
  }
}

/**
 * uuid text is written as ASCII into one scratch buffer and decoded once: a template
 * literal of 8+ pieces builds a rope of cons-strings that costs 2–4× more in allocation
 * and GC than one flat latin1 decode.
 */
const HEX_CODES = new Uint8Array(512);
for (let i = 0; i < 256; i++) {
  const h = i.toString(16).padStart(2, '0');
  HEX_CODES[2 * i] = h.charCodeAt(0);
  HEX_CODES[2 * i + 1] = h.charCodeAt(1);
}
const uuidScratch = Buffer.alloc(36, 0x2d); // '-' stays at 8, 13, 18, 23

function putHex8(x: number, at: number): void {
  const b = uuidScratch;
  let v = (x >>> 24) * 2; b[at] = HEX_CODES[v]; b[at + 1] = HEX_CODES[v + 1];
  v = ((x >>> 16) & 0xff) * 2; b[at + 2] = HEX_CODES[v]; b[at + 3] = HEX_CODES[v + 1];
  v = ((x >>> 8) & 0xff) * 2; b[at + 4] = HEX_CODES[v]; b[at + 5] = HEX_CODES[v + 1];
  v = (x & 0xff) * 2; b[at + 6] = HEX_CODES[v]; b[at + 7] = HEX_CODES[v + 1];
}

function putHex4(x: number, at: number): void {
  const b = uuidScratch;
  let v = ((x >>> 8) & 0xff) * 2; b[at] = HEX_CODES[v]; b[at + 1] = HEX_CODES[v + 1];
  v = (x & 0xff) * 2; b[at + 2] = HEX_CODES[v]; b[at + 3] = HEX_CODES[v + 1];
}

/** The uuid text of 128 bits given as four 32-bit words (big-endian order). */
function formatUuidWords(w0: number, w1: number, w2: number, w3: number): string {
  putHex8(w0, 0);
  putHex4(w1 >>> 16, 9);
  putHex4(w1 & 0xffff, 14);
  putHex4(w2 >>> 16, 19);
  putHex4(w2 & 0xffff, 24);
  putHex8(w3, 28);
  return uuidScratch.toString('latin1', 0, 36);
}

const perm = new Uint32Array(2);

/**
 * A v4-layout uuid. Bytes 0–3 and 12–15 are an injective image of the index, so distinct
 * indexes never give the same uuid; the rest is hash, with version 4 and variant 10.
 */
function uuidV4(k: HashKeys, lo: number, hi: number): string {
  permute64(k, lo, hi, perm);
  // the middle words only need to look random: one mix of the (already mixed) image each
  const b = mix32(perm[0] ^ k.c);
  const c = mix32(perm[1] ^ k.d);
  return formatUuidWords(perm[0], ((b & 0xffff0fff) | 0x4000) >>> 0, ((c & 0x3fffffff) | 0x80000000) >>> 0, perm[1]);
}

/** A v1 (time-based) uuid from a 60-bit count of 100 ns ticks, given as two words. */
function timeuuidFromTicks(tLo: number, tHi: number, clockSeq: number, nodeHi: number, nodeLo: number): string {
  const timeMid = tHi & 0xffff;
  const timeHi = ((tHi >>> 16) & 0x0fff) | 0x1000;
  const cs = (clockSeq & 0x3fff) | 0x8000;
  return formatUuidWords(tLo >>> 0, ((timeMid << 16) | timeHi) >>> 0, ((cs << 16) | (nodeHi & 0xffff)) >>> 0, nodeLo >>> 0);
}

const BASE_TICKS = (BASE_TIME_MS + UUID_EPOCH_OFFSET_MS) * 10_000; // < 2^57, exact in a double
const BASE_TICKS_HI = Math.floor(BASE_TICKS / TWO_32);
const BASE_TICKS_LO = BASE_TICKS % TWO_32;

/** Ticks = base + index × 1 ms (in 100 ns units), so index order is time order. */
function timeuuidFromIndex(k: HashKeys, lo: number, hi: number): string {
  const low = lo * 10_000 + BASE_TICKS_LO; // < 2^46: exact
  const carry = Math.floor(low / TWO_32);
  const tLo = low % TWO_32;
  const tHi = (hi * 10_000 + BASE_TICKS_HI + carry) % 268_435_456; // 28 high bits of 60
  return timeuuidFromTicks(tLo, tHi, h1(k, lo, hi), k.c, h2(k, lo, hi));
}

function timeuuidFromMs(k: HashKeys, ms: number, lo: number, hi: number): string {
  const ticks = (ms + UUID_EPOCH_OFFSET_MS) * 10_000 + (h1(k, lo, hi) % 10_000);
  return timeuuidFromTicks(ticks % TWO_32, Math.floor(ticks / TWO_32), h2(k, lo, hi), k.c, mix32(lo ^ k.d));
}

function ipv4(x: number): string {
  return `${x >>> 24}.${(x >>> 16) & 0xff}.${(x >>> 8) & 0xff}.${x & 0xff}`;
}

// ---------------------------------------------------------------- literals

/**
 * A YAML literal (from `fixed`/`choice`) as the JS value of a column of type `t`.
 * Throws GeneratorError naming the type when it does not fit.
 */
export function literalToCql(v: unknown, t: CqlType): unknown {
  if (v === null || v === undefined) return null;
  const fail = (): never => {
    throw new GeneratorError(`value ${shown(v)} does not fit type ${typeToCql(t)}`);
  };
  switch (t.kind) {
    case 'int': case 'smallint': case 'tinyint': {
      const n = typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
      if (typeof n !== 'number' || !Number.isInteger(n)) return fail();
      const bits = t.kind === 'int' ? 32 : t.kind === 'smallint' ? 16 : 8;
      if (n < -(2 ** (bits - 1)) || n > 2 ** (bits - 1) - 1) return fail();
      return n;
    }
    case 'bigint': case 'counter': case 'varint': {
      if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
      if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return BigInt(v.trim());
      return fail();
    }
    case 'float': case 'double':
      if (typeof v === 'number') return t.kind === 'float' ? Math.fround(v) : v;
      if (typeof v === 'string' && /^\s*-?(\d+(\.\d*)?|\.\d+)(e[-+]?\d+)?\s*$/i.test(v)) return Number(v);
      return fail();
    case 'boolean':
      if (typeof v === 'boolean') return v;
      return fail();
    case 'text': case 'ascii':
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
        const s = String(v);
        if (t.kind === 'ascii' && !/^[\x00-\x7f]*$/.test(s)) return fail();
        return s;
      }
      return fail();
    case 'blob':
      if (typeof v === 'string' && /^0x([0-9a-fA-F]{2})*$/.test(v)) return Buffer.from(v.slice(2), 'hex');
      return fail();
    case 'uuid': case 'timeuuid':
      if (typeof v === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v)) {
        if (t.kind === 'timeuuid' && v[14] !== '1') throw new GeneratorError(`value ${quoted(v)} is not a version 1 (time-based) uuid`);
        return v.toLowerCase();
      }
      return fail();
    case 'timestamp': {
      if (typeof v === 'number' && Number.isInteger(v)) return new Date(v);
      if (typeof v === 'string') {
        const d = new Date(v);
        if (!Number.isNaN(d.getTime()) && /^\d{4}-\d{2}-\d{2}/.test(v)) return d;
      }
      return fail();
    }
    case 'date':
      if (typeof v === 'number' && Number.isInteger(v)) return v;
      if (typeof v === 'string') { try { return parseDate(v); } catch { return fail(); } }
      return fail();
    case 'time':
      if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 86_400e9) return BigInt(v);
      if (typeof v === 'string') { try { return parseTime(v); } catch { return fail(); } }
      return fail();
    case 'decimal':
      if (typeof v === 'number' || typeof v === 'string') { try { return parseDecimal(String(v)); } catch { return fail(); } }
      return fail();
    case 'inet':
      if (typeof v === 'string' && /^[0-9a-fA-F.:]+$/.test(v)) return v;
      return fail();
    case 'duration': {
      if (typeof v === 'object' && !Array.isArray(v)) {
        const o = v as Record<string, unknown>;
        const ints = ['months', 'days', 'nanoseconds'].every((f) => o[f] === undefined || Number.isSafeInteger(o[f]));
        if (!ints) return fail();
        return { months: Number(o.months ?? 0), days: Number(o.days ?? 0), nanoseconds: BigInt(Number(o.nanoseconds ?? 0)) };
      }
      return fail();
    }
    case 'list': case 'set':
      if (!Array.isArray(v)) return fail();
      return v.map((e) => literalToCql(e, t.element));
    case 'map': {
      if (typeof v !== 'object' || Array.isArray(v)) return fail();
      const m = new Map<unknown, unknown>();
      for (const [key, val] of Object.entries(v as Record<string, unknown>)) {
        const keyLit = t.key.kind === 'text' || t.key.kind === 'ascii' ? key : /^-?\d+(\.\d+)?$/.test(key) ? Number(key) : key;
        m.set(literalToCql(keyLit, t.key), literalToCql(val, t.value));
      }
      return m;
    }
    case 'tuple':
      if (!Array.isArray(v) || v.length !== t.elements.length) return fail();
      return v.map((e, i) => literalToCql(e, t.elements[i]));
    case 'udt':
      // fields are unknown here (the server checks them); pass the object through
      if (typeof v !== 'object' || Array.isArray(v)) return fail();
      return v;
    case 'custom':
      return fail();
  }
}

function shown(v: unknown): string {
  const s = typeof v === 'string' ? quoted(v) : JSON.stringify(v) ?? String(v);
  return s.length > 50 ? `${s.slice(0, 47)}...` : s;
}

// ---------------------------------------------------------------- compile

const TEXT_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** Deterministic filler for text values: values are O(1) slices of it. */
function textPool(k: HashKeys, alphabet: string, length: number): string {
  const n = alphabet.length;
  if (/^[\x00-\xff]*$/.test(alphabet)) {
    // one latin1 decode of a byte buffer: no per-character string building
    const codes = new Uint8Array(n);
    for (let i = 0; i < n; i++) codes[i] = alphabet.charCodeAt(i);
    const b = Buffer.allocUnsafe(length);
    for (let i = 0; i < length; i++) b[i] = codes[mix32(i ^ k.a) % n];
    return b.toString('latin1');
  }
  const chars = Array.from(alphabet);
  const parts: string[] = [];
  for (let i = 0; i < length; i++) parts.push(chars[mix32(i ^ k.a) % chars.length]);
  return parts.join(''); // one flat string: slices of it are O(1)
}

function blobPool(k: HashKeys, length: number): Buffer {
  const b = Buffer.allocUnsafe(length + 3);
  for (let i = 0; i < length; i += 4) b.writeUInt32LE(mix32(i ^ k.b), i);
  return b.subarray(0, length);
}

/** Turns an index (number or bigint) into its two 32-bit halves, into `out`. */
function split(index: bigint | number, out: Uint32Array): void {
  if (typeof index === 'number') {
    out[0] = index >>> 0;
    out[1] = Math.floor(index / TWO_32) >>> 0;
  } else {
    out[0] = Number(index & 0xffffffffn);
    out[1] = Number((index >> 32n) & 0xffffffffn);
  }
}

/**
 * Compiles a generator for one column.
 *
 * @param spec    how values are made
 * @param cqlType the column's CQL type text (`int`, `frozen<list<text>>`): it decides the JS type
 * @param seed    the run's seed
 * @param column  a stable name (e.g. `table.column`): different columns draw independent values
 * @returns `(index, nowMs?) => value`, pure in (seed, column, index) except for `now`
 * @throws GeneratorError when the spec cannot produce values of this type
 */
export function compileGenerator(spec: GeneratorSpec, cqlType: string, seed: number, column: string): GenFn {
  const t = parseCqlType(cqlType);
  return compileFor(spec, t, seed, column);
}

/**
 * Checks that `spec` can fill a column of `cqlType` (the loader's check) without building
 * the text/blob pools a real generator needs.
 * @throws GeneratorError naming the problem
 */
export function checkGenerator(spec: GeneratorSpec, cqlType: string): void {
  compileFor(spec, parseCqlType(cqlType), 0, 'check', true)(0, 0);
}

function compileFor(spec: GeneratorSpec, t: CqlType, seed: number, column: string, checkOnly = false): GenFn {
  const k = hashKeys(seed, column);
  const w = new Uint32Array(2);
  const typeName = typeToCql(t);
  switch (spec.kind) {
    case 'fixed': {
      const v = literalToCql(spec.value, t);
      return () => v;
    }
    case 'choice': {
      if (spec.values.length === 0) throw new GeneratorError('choice needs at least one value');
      const values = spec.values.map((v) => literalToCql(v, t));
      const weights = spec.weights ?? values.map(() => 1);
      if (weights.length !== values.length) throw new GeneratorError(`choice has ${values.length} values but ${weights.length} weights`);
      const cum = new Float64Array(weights.length);
      let total = 0;
      for (let i = 0; i < weights.length; i++) {
        if (!(weights[i] >= 0)) throw new GeneratorError('choice weights must not be negative');
        total += weights[i];
        cum[i] = total;
      }
      if (total <= 0) throw new GeneratorError('choice weights must not all be 0');
      const last = values.length - 1;
      return (index) => {
        split(index, w);
        const x = h1(k, w[0], w[1]) * TWO_NEG_32 * total;
        let lo = 0;
        let hi = last;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (cum[mid] > x) hi = mid;
          else lo = mid + 1;
        }
        return values[lo];
      };
    }
    case 'dist': {
      const to = numberTo(t);
      if (!to) throw new GeneratorError(`a numeric distribution cannot fill type ${typeName}; use fixed or choice`);
      const sample = compileSampler(spec.dist, seed, column, isIntegerType(t));
      return (index) => {
        split(index, w);
        return to(sample(w[0], w[1]));
      };
    }
    case 'text': {
      if (t.kind !== 'text' && t.kind !== 'ascii') throw new GeneratorError(`text generator on a ${typeName} column`);
      const alphabet = spec.alphabet ?? TEXT_ALPHABET;
      if (alphabet.length === 0) throw new GeneratorError('alphabet must not be empty');
      if (t.kind === 'ascii' && !/^[\x00-\x7f]*$/.test(alphabet)) throw new GeneratorError('alphabet of an ascii column must be ASCII');
      const maxLen = Math.min(Math.ceil(distMax(spec.length)), MAX_VALUE_BYTES);
      if (maxLen < 0) throw new GeneratorError('text length must not be negative');
      if (checkOnly) return () => '';
      const spread = MAX_POOL_EXTRA;
      const pool = textPool(k, alphabet, maxLen + spread);
      const len = compileSampler(spec.length, seed, `${column}#length`, true);
      return (index) => {
        split(index, w);
        let n = len(w[0], w[1]);
        n = n < 0 ? 0 : n > maxLen ? maxLen : n;
        const off = h1(k, w[0], w[1]) % spread;
        return pool.slice(off, off + n);
      };
    }
    case 'blob': {
      if (t.kind !== 'blob') throw new GeneratorError(`blob generator on a ${typeName} column`);
      const maxLen = Math.min(Math.ceil(distMax(spec.size)), MAX_VALUE_BYTES);
      if (maxLen < 0) throw new GeneratorError('blob size must not be negative');
      if (checkOnly) return () => Buffer.alloc(0);
      const spread = MAX_POOL_EXTRA;
      const pool = blobPool(k, maxLen + spread);
      const { buffer, byteOffset } = pool;
      const size = compileSampler(spec.size, seed, `${column}#size`, true);
      return (index) => {
        split(index, w);
        let n = size(w[0], w[1]);
        n = n < 0 ? 0 : n > maxLen ? maxLen : n;
        const off = h1(k, w[0], w[1]) % spread;
        // a view of the shared pool (nothing copied); Buffer.from(arrayBuffer) is cheaper than subarray
        return Buffer.from(buffer, byteOffset + off, n);
      };
    }
    case 'uuid': {
      if (t.kind === 'timeuuid') return compileFor({ kind: 'timeuuid' }, t, seed, column);
      if (t.kind !== 'uuid') throw new GeneratorError(`uuid generator on a ${typeName} column`);
      return (index) => { split(index, w); return uuidV4(k, w[0], w[1]); };
    }
    case 'timeuuid': {
      if (t.kind !== 'timeuuid' && t.kind !== 'uuid') throw new GeneratorError(`timeuuid generator on a ${typeName} column`);
      return (index) => { split(index, w); return timeuuidFromIndex(k, w[0], w[1]); };
    }
    case 'now': {
      switch (t.kind) {
        case 'timestamp': return (_i, nowMs) => new Date(nowMs ?? Date.now());
        case 'bigint': return (_i, nowMs) => BigInt(Math.round(nowMs ?? Date.now()));
        case 'date': return (_i, nowMs) => Math.floor((nowMs ?? Date.now()) / 86_400_000);
        case 'timeuuid': case 'uuid':
          return (index, nowMs) => { split(index, w); return timeuuidFromMs(k, Math.floor(nowMs ?? Date.now()), w[0], w[1]); };
        default: throw new GeneratorError(`now cannot fill type ${typeName} (timestamp, bigint, date or timeuuid)`);
      }
    }
    case 'key':
      return keyGenerator(t, k, w);
    case 'collection':
      return collectionGenerator(spec.size, t, seed, column, checkOnly);
  }
}

/** list/set/map of `size` elements from the element types' default generators. */
function collectionGenerator(sizeDist: Distribution, t: CqlType, seed: number, column: string, checkOnly: boolean): GenFn {
  const size = compileSampler(sizeDist, seed, `${column}#size`, true);
  const maxSize = Math.min(Math.ceil(distMax(sizeDist)), 65_536);
  const w = new Uint32Array(2);
  // element i of the value at index x draws from index x * stride + i: distinct per value
  const stride = maxSize + 1;
  const count = (index: bigint | number): number => {
    split(index, w);
    const n = size(w[0], w[1]);
    return n < 0 ? 0 : n > maxSize ? maxSize : n;
  };
  const at = (index: bigint | number, i: number): bigint => BigInt(index) * BigInt(stride) + BigInt(i);
  if (t.kind === 'list' || t.kind === 'set') {
    const spec = defaultFor(t.element);
    if (!spec) throw new GeneratorError(`no default generator for the elements of ${typeToCql(t)}; use fixed or choice`);
    const el = compileFor(spec, t.element, seed, `${column}#element`, checkOnly);
    return (index) => {
      const n = count(index);
      const out: unknown[] = [];
      for (let i = 0; i < n; i++) out.push(el(at(index, i)));
      return out;
    };
  }
  if (t.kind === 'map') {
    const ks = t.key.kind === 'text' || t.key.kind === 'ascii' || t.key.kind === 'uuid' ? { kind: 'key' as const } : defaultFor(t.key);
    const vs = defaultFor(t.value);
    if (!ks || !vs) throw new GeneratorError(`no default generator for the entries of ${typeToCql(t)}; use fixed or choice`);
    const kg = compileFor(ks, t.key, seed, `${column}#key`, checkOnly);
    const vg = compileFor(vs, t.value, seed, `${column}#value`, checkOnly);
    return (index) => {
      const n = count(index);
      const m = new Map<unknown, unknown>();
      for (let i = 0; i < n; i++) { const j = at(index, i); m.set(kg(j), vg(j)); }
      return m;
    };
  }
  throw new GeneratorError(`collection generator on a ${typeToCql(t)} column (list, set or map)`);
}

/** `key`: the index mapped injectively into the type (distinct indexes, distinct values). */
function keyGenerator(t: CqlType, k: HashKeys, w: Uint32Array): GenFn {
  const num = (index: bigint | number) => (typeof index === 'number' ? index : Number(index));
  switch (t.kind) {
    case 'int': case 'smallint': case 'tinyint': {
      // the loader refuses more keys than the type holds; wrapping keeps stray indexes encodable
      const span = t.kind === 'int' ? 2 ** 31 : t.kind === 'smallint' ? 32_768 : 128;
      return (index) => num(index) % span;
    }
    case 'float': case 'double':
      return (index) => num(index);
    case 'bigint': case 'counter': case 'varint':
      return (index) => (typeof index === 'bigint' ? index : BigInt(index));
    case 'text': case 'ascii':
      return (index) => String(index);
    case 'timestamp': return (index) => new Date(BASE_TIME_MS + num(index) * 1000);
    case 'date': return (index) => BASE_DAYS + num(index);
    case 'time': return (index) => BigInt(num(index) % 86_400_000) * 1_000_000n;
    case 'boolean': return (index) => (num(index) & 1) === 1;
    case 'decimal': return (index) => ({ unscaled: typeof index === 'bigint' ? index : BigInt(index), scale: 0 });
    case 'inet': return (index) => ipv4(num(index) >>> 0);
    case 'uuid': return (index) => { split(index, w); return uuidV4(k, w[0], w[1]); };
    case 'timeuuid': return (index) => { split(index, w); return timeuuidFromIndex(k, w[0], w[1]); };
    case 'blob':
      return (index) => {
        split(index, w);
        permute64(k, w[0], w[1], perm);
        const b = Buffer.allocUnsafe(8);
        b.writeUInt32BE(perm[1], 0);
        b.writeUInt32BE(perm[0], 4);
        return b;
      };
    default:
      throw new GeneratorError(`a ${typeToCql(t)} key column needs an explicit generator (fixed or choice)`);
  }
}

/**
 * The generator used when a column names none: `key` for primary-key columns, otherwise a
 * type-appropriate random value. Returns undefined for types that need an explicit one.
 */
export function defaultGenerator(cqlType: string, isKey: boolean): GeneratorSpec | undefined {
  const t = parseCqlType(cqlType);
  if (isKey) {
    return ['list', 'set', 'map', 'tuple', 'udt', 'custom', 'duration'].includes(t.kind) ? undefined : { kind: 'key' };
  }
  if (t.kind === 'list' || t.kind === 'set' || t.kind === 'map') return { kind: 'collection', size: { kind: 'uniform', min: 0, max: 3 } };
  return defaultFor(t);
}

function defaultFor(t: CqlType): GeneratorSpec | undefined {
  const dist = (d: Distribution): GeneratorSpec => ({ kind: 'dist', dist: d });
  switch (t.kind) {
    case 'int': return dist({ kind: 'uniform', min: 0, max: 2147483647 });
    case 'smallint': return dist({ kind: 'uniform', min: 0, max: 32767 });
    case 'tinyint': return dist({ kind: 'uniform', min: 0, max: 127 });
    case 'bigint': case 'varint': return dist({ kind: 'uniform', min: 0, max: Number.MAX_SAFE_INTEGER });
    case 'counter': return { kind: 'fixed', value: 1 };
    case 'float': case 'double': case 'decimal': return dist({ kind: 'uniform', min: 0, max: 1_000_000 });
    case 'boolean': return dist({ kind: 'uniform', min: 0, max: 1 });
    case 'text': case 'ascii': return { kind: 'text', length: { kind: 'fixed', value: 16 } };
    case 'blob': return { kind: 'blob', size: { kind: 'fixed', value: 64 } };
    case 'uuid': return { kind: 'uuid' };
    case 'timeuuid': return { kind: 'timeuuid' };
    // deterministic (unlike `now`), within the year after the base time
    case 'timestamp': return dist({ kind: 'uniform', min: BASE_TIME_MS, max: BASE_TIME_MS + 365 * 86_400_000 - 1 });
    case 'date': return dist({ kind: 'uniform', min: BASE_DAYS, max: BASE_DAYS + 364 });
    case 'time': return dist({ kind: 'uniform', min: 0, max: 86_400e9 - 1 });
    case 'inet': return dist({ kind: 'uniform', min: 0, max: 0xffffffff });
    case 'duration': return dist({ kind: 'uniform', min: 0, max: 3_600e9 });
    default: return undefined;
  }
}

