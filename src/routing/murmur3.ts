/**
 * Murmur3Partitioner tokens, exactly as Scylla and Cassandra compute them: h1 of
 * MurmurHash3_x64_128 with seed 0, with the Cassandra quirk that tail bytes are sign-extended
 * (Java's `(long) byte`; Scylla's `bytes` is int8_t, utils/murmur_hash.cc does the same).
 *
 * The hash runs on 32-bit halves (no BigInt inside the block loop): every 64-bit lane is a
 * (hi, lo) pair of uint32 locals, so hashing a key allocates nothing. BigInt is used once, to
 * hand the token out at the API edge (murmur3Token); the hot path stays in halves.
 *
 * The empty key is where the two servers differ. Cassandra's Murmur3Partitioner.getToken
 * returns the minimum token (Long.MIN_VALUE) for a zero-length key. Scylla dropped that special
 * case in 2022 (scylladb#9352, PR #10170: an empty string may be a view's partition key, and
 * that partition needs a real token), so it hashes the empty key like any other: token 0.
 * Base tables refuse an empty partition key on both ("Key may not be empty"); the difference
 * shows on views and secondary indexes, and in `token('')`. The default is Scylla's.
 */

/** Whose partitioner to match where they differ (the empty key). */
export type TokenFlavour = 'scylla' | 'cassandra';

/** A token as two uint32 halves; the hot path (shard-of-token) uses these without BigInt. */
export interface TokenHalves {
  hi: number;
  lo: number;
}

/** Reads 4 bytes little-endian as uint32. */
function le32(b: Uint8Array, i: number): number {
  return (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;
}

/**
 * Hashes key[start..end) and writes the token halves into `out` (hi, lo as uint32 of the signed
 * int64 token). Normalizes INT64_MIN to INT64_MAX as Scylla's dht::token does. An empty key
 * gives token 0 (Scylla), or the minimum token with `emptyKeyMinimum` (Cassandra).
 *
 * Every 64-bit operation is expanded inline on local (hi, lo) uint32 pairs, because helper
 * functions returning two words through shared state were 4-5x slower (V8 boxes uint32 above
 * 2^30 stored outside registers). The recurring shapes:
 *   x *= C (mod 2^64): the low words' full 64-bit product from 16-bit limbs (a0, a1 × C's limbs,
 *     every partial below 2^34 so exact in doubles), plus Math.imul of the cross terms for the
 *     high word;
 *   rotl(x, r): two shifts per word (r ≥ 32 swaps the words first);
 *   x += y: add the low words and carry into the high word.
 * Tail bytes are sign-extended to 64 bits before the shift (Java's (long) byte): the quirk.
 */
export function murmur3Halves(key: Uint8Array, out: TokenHalves, start = 0, end = key.length, emptyKeyMinimum = false): void {
  const len = end - start;
  if (len === 0 && emptyKeyMinimum) {
    out.hi = 0x80000000;
    out.lo = 0;
    return;
  }
  let h1h = 0, h1l = 0, h2h = 0, h2l = 0;
  let k1h = 0, k1l = 0, k2h = 0, k2l = 0;
  let a0 = 0, a1 = 0, p00 = 0, mid = 0, t = 0;
  const nblocks = len >>> 4;
  let i = start;

  for (let b = 0; b < nblocks; b++, i += 16) {
    // k1, k2 = two little-endian uint64 of the block
    k1l = le32(key, i); k1h = le32(key, i + 4); k2l = le32(key, i + 8); k2h = le32(key, i + 12);
    a0 = k1l & 0xffff; a1 = k1l >>> 16;
    p00 = a0 * 21461; mid = a0 * 4418 + a1 * 21461 + (p00 >>> 16);
    t = (a1 * 4418 + ((mid / 65536) | 0) + Math.imul(k1h, 0x114253d5) + Math.imul(k1l, 0x87c37b91)) >>> 0;
    k1l = ((mid << 16) | (p00 & 0xffff)) >>> 0; k1h = t;
    t = ((k1h << 31) | (k1l >>> 1)) >>> 0; k1l = ((k1l << 31) | (k1h >>> 1)) >>> 0; k1h = t;
    a0 = k1l & 0xffff; a1 = k1l >>> 16;
    p00 = a0 * 37759; mid = a0 * 10053 + a1 * 37759 + (p00 >>> 16);
    t = (a1 * 10053 + ((mid / 65536) | 0) + Math.imul(k1h, 0x2745937f) + Math.imul(k1l, 0x4cf5ad43)) >>> 0;
    k1l = ((mid << 16) | (p00 & 0xffff)) >>> 0; k1h = t;
    // k1 *= c1; k1 = rotl(k1, 31); k1 *= c2 (above); h1 ^= k1; h1 = rotl(h1, 27); h1 += h2; h1 = h1*5 + 0x52dce729
    h1h = (h1h ^ k1h) >>> 0; h1l = (h1l ^ k1l) >>> 0;
    t = ((h1h << 27) | (h1l >>> 5)) >>> 0; h1l = ((h1l << 27) | (h1h >>> 5)) >>> 0; h1h = t;
    t = h1l + h2l; h1h = (h1h + h2h + (t >= 4294967296 ? 1 : 0)) >>> 0; h1l = t >>> 0;
    a0 = h1l & 0xffff; a1 = h1l >>> 16;
    p00 = a0 * 5; mid = a0 * 0 + a1 * 5 + (p00 >>> 16);
    t = (a1 * 0 + ((mid / 65536) | 0) + Math.imul(h1h, 0x5) + Math.imul(h1l, 0x0)) >>> 0;
    h1l = ((mid << 16) | (p00 & 0xffff)) >>> 0; h1h = t;
    t = h1l + 0x52dce729; h1h = (h1h + 0 + (t >= 4294967296 ? 1 : 0)) >>> 0; h1l = t >>> 0;
    a0 = k2l & 0xffff; a1 = k2l >>> 16;
    p00 = a0 * 37759; mid = a0 * 10053 + a1 * 37759 + (p00 >>> 16);
    t = (a1 * 10053 + ((mid / 65536) | 0) + Math.imul(k2h, 0x2745937f) + Math.imul(k2l, 0x4cf5ad43)) >>> 0;
    k2l = ((mid << 16) | (p00 & 0xffff)) >>> 0; k2h = t;
    t = ((k2l << 1) | (k2h >>> 31)) >>> 0; k2l = ((k2h << 1) | (k2l >>> 31)) >>> 0; k2h = t;
    a0 = k2l & 0xffff; a1 = k2l >>> 16;
    p00 = a0 * 21461; mid = a0 * 4418 + a1 * 21461 + (p00 >>> 16);
    t = (a1 * 4418 + ((mid / 65536) | 0) + Math.imul(k2h, 0x114253d5) + Math.imul(k2l, 0x87c37b91)) >>> 0;
    k2l = ((mid << 16) | (p00 & 0xffff)) >>> 0; k2h = t;
    // k2 *= c2; k2 = rotl(k2, 33); k2 *= c1 (above); h2 ^= k2; h2 = rotl(h2, 31); h2 += h1; h2 = h2*5 + 0x38495ab5
    h2h = (h2h ^ k2h) >>> 0; h2l = (h2l ^ k2l) >>> 0;
    t = ((h2h << 31) | (h2l >>> 1)) >>> 0; h2l = ((h2l << 31) | (h2h >>> 1)) >>> 0; h2h = t;
    t = h2l + h1l; h2h = (h2h + h1h + (t >= 4294967296 ? 1 : 0)) >>> 0; h2l = t >>> 0;
    a0 = h2l & 0xffff; a1 = h2l >>> 16;
    p00 = a0 * 5; mid = a0 * 0 + a1 * 5 + (p00 >>> 16);
    t = (a1 * 0 + ((mid / 65536) | 0) + Math.imul(h2h, 0x5) + Math.imul(h2l, 0x0)) >>> 0;
    h2l = ((mid << 16) | (p00 & 0xffff)) >>> 0; h2h = t;
    t = h2l + 0x38495ab5; h2h = (h2h + 0 + (t >= 4294967296 ? 1 : 0)) >>> 0; h2l = t >>> 0;
  }
  const tail = len & 15;
  if (tail > 0) {
    k1h = 0; k1l = 0; k2h = 0; k2l = 0;
    for (let j = tail - 1; j >= 0; j--) {
      const sb = (key[i + j] << 24) >> 24;
      const ext = sb < 0 ? 0xffffffff : 0;
      const shift = (j & 7) * 8;
      let vh: number, vl: number;
      if (shift === 0) { vh = ext; vl = sb >>> 0; }
      else if (shift < 32) { vh = ((ext << shift) | ((sb >>> 0) >>> (32 - shift))) >>> 0; vl = (sb << shift) >>> 0; }
      else { vh = (sb << (shift - 32)) >>> 0; vl = 0; }
      if (j >= 8) { k2h = (k2h ^ vh) >>> 0; k2l = (k2l ^ vl) >>> 0; }
      else { k1h = (k1h ^ vh) >>> 0; k1l = (k1l ^ vl) >>> 0; }
    }
    if (tail > 8) {
      a0 = k2l & 0xffff; a1 = k2l >>> 16;
      p00 = a0 * 37759; mid = a0 * 10053 + a1 * 37759 + (p00 >>> 16);
      t = (a1 * 10053 + ((mid / 65536) | 0) + Math.imul(k2h, 0x2745937f) + Math.imul(k2l, 0x4cf5ad43)) >>> 0;
      k2l = ((mid << 16) | (p00 & 0xffff)) >>> 0; k2h = t;
      t = ((k2l << 1) | (k2h >>> 31)) >>> 0; k2l = ((k2h << 1) | (k2l >>> 31)) >>> 0; k2h = t;
      a0 = k2l & 0xffff; a1 = k2l >>> 16;
      p00 = a0 * 21461; mid = a0 * 4418 + a1 * 21461 + (p00 >>> 16);
      t = (a1 * 4418 + ((mid / 65536) | 0) + Math.imul(k2h, 0x114253d5) + Math.imul(k2l, 0x87c37b91)) >>> 0;
      k2l = ((mid << 16) | (p00 & 0xffff)) >>> 0; k2h = t;
      h2h = (h2h ^ k2h) >>> 0; h2l = (h2l ^ k2l) >>> 0;
    }

    a0 = k1l & 0xffff; a1 = k1l >>> 16;
    p00 = a0 * 21461; mid = a0 * 4418 + a1 * 21461 + (p00 >>> 16);
    t = (a1 * 4418 + ((mid / 65536) | 0) + Math.imul(k1h, 0x114253d5) + Math.imul(k1l, 0x87c37b91)) >>> 0;
    k1l = ((mid << 16) | (p00 & 0xffff)) >>> 0; k1h = t;
    t = ((k1h << 31) | (k1l >>> 1)) >>> 0; k1l = ((k1l << 31) | (k1h >>> 1)) >>> 0; k1h = t;
    a0 = k1l & 0xffff; a1 = k1l >>> 16;
    p00 = a0 * 37759; mid = a0 * 10053 + a1 * 37759 + (p00 >>> 16);
    t = (a1 * 10053 + ((mid / 65536) | 0) + Math.imul(k1h, 0x2745937f) + Math.imul(k1l, 0x4cf5ad43)) >>> 0;
    k1l = ((mid << 16) | (p00 & 0xffff)) >>> 0; k1h = t;
    h1h = (h1h ^ k1h) >>> 0; h1l = (h1l ^ k1l) >>> 0;
  }

  // finalization: h ^= len; h1 += h2; h2 += h1; fmix64 both; h1 += h2
  h1l = (h1l ^ len) >>> 0; h2l = (h2l ^ len) >>> 0;
  t = h1l + h2l; h1h = (h1h + h2h + (t >= 4294967296 ? 1 : 0)) >>> 0; h1l = t >>> 0;
  t = h2l + h1l; h2h = (h2h + h1h + (t >= 4294967296 ? 1 : 0)) >>> 0; h2l = t >>> 0;
  h1l = (h1l ^ (h1h >>> 1)) >>> 0;
  a0 = h1l & 0xffff; a1 = h1l >>> 16;
  p00 = a0 * 36045; mid = a0 * 60757 + a1 * 36045 + (p00 >>> 16);
  t = (a1 * 60757 + ((mid / 65536) | 0) + Math.imul(h1h, 0xed558ccd) + Math.imul(h1l, 0xff51afd7)) >>> 0;
  h1l = ((mid << 16) | (p00 & 0xffff)) >>> 0; h1h = t;
  h1l = (h1l ^ (h1h >>> 1)) >>> 0;
  a0 = h1l & 0xffff; a1 = h1l >>> 16;
  p00 = a0 * 60499; mid = a0 * 6789 + a1 * 60499 + (p00 >>> 16);
  t = (a1 * 6789 + ((mid / 65536) | 0) + Math.imul(h1h, 0x1a85ec53) + Math.imul(h1l, 0xc4ceb9fe)) >>> 0;
  h1l = ((mid << 16) | (p00 & 0xffff)) >>> 0; h1h = t;
  h1l = (h1l ^ (h1h >>> 1)) >>> 0;
  h2l = (h2l ^ (h2h >>> 1)) >>> 0;
  a0 = h2l & 0xffff; a1 = h2l >>> 16;
  p00 = a0 * 36045; mid = a0 * 60757 + a1 * 36045 + (p00 >>> 16);
  t = (a1 * 60757 + ((mid / 65536) | 0) + Math.imul(h2h, 0xed558ccd) + Math.imul(h2l, 0xff51afd7)) >>> 0;
  h2l = ((mid << 16) | (p00 & 0xffff)) >>> 0; h2h = t;
  h2l = (h2l ^ (h2h >>> 1)) >>> 0;
  a0 = h2l & 0xffff; a1 = h2l >>> 16;
  p00 = a0 * 60499; mid = a0 * 6789 + a1 * 60499 + (p00 >>> 16);
  t = (a1 * 6789 + ((mid / 65536) | 0) + Math.imul(h2h, 0x1a85ec53) + Math.imul(h2l, 0xc4ceb9fe)) >>> 0;
  h2l = ((mid << 16) | (p00 & 0xffff)) >>> 0; h2h = t;
  h2l = (h2l ^ (h2h >>> 1)) >>> 0;
  t = h1l + h2l; h1h = (h1h + h2h + (t >= 4294967296 ? 1 : 0)) >>> 0; h1l = t >>> 0;
  if (h1h === 0x80000000 && h1l === 0) { h1h = 0x7fffffff; h1l = 0xffffffff; }
  out.hi = h1h;
  out.lo = h1l;
}

/** Token halves → signed int64 bigint. */
export function halvesToToken(hi: number, lo: number): bigint {
  return BigInt.asIntN(64, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0));
}

/** Signed int64 bigint → token halves (uint32 each). */
export function tokenToHalves(token: bigint, out: TokenHalves): void {
  const u = BigInt.asUintN(64, token);
  out.hi = Number(u >> 32n);
  out.lo = Number(u & 0xffffffffn);
}

const scratch: TokenHalves = { hi: 0, lo: 0 };

/** The Murmur3Partitioner token of a serialized partition key, as `flavour`'s server computes it. */
export function murmur3Token(key: Uint8Array, flavour: TokenFlavour = 'scylla'): bigint {
  murmur3Halves(key, scratch, 0, key.length, flavour === 'cassandra');
  return halvesToToken(scratch.hi, scratch.lo);
}

/**
 * The bytes Scylla hashes for a partition key (keys/compound_compat.hh, the legacy compound form): one column → its serialized value as is;
 * a composite key → per component `uint16 BE length, bytes, 0x00`.
 */
export function partitionKeyBytes(components: readonly Uint8Array[]): Buffer {
  if (components.length === 1) return Buffer.from(components[0].buffer, components[0].byteOffset, components[0].byteLength);
  let size = 0;
  for (const c of components) size += 3 + c.length;
  const out = Buffer.allocUnsafe(size);
  let p = 0;
  for (const c of components) {
    if (c.length > 0xffff) throw new RangeError(`partition key component longer than 65535 bytes (${c.length})`);
    out.writeUInt16BE(c.length, p);
    out.set(c, p + 2);
    p += 2 + c.length;
    out[p++] = 0;
  }
  return out;
}

export const MIN_TOKEN = -(1n << 63n);
export const MAX_TOKEN = (1n << 63n) - 1n;
