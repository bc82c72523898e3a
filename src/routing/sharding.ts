/**
 * Token → shard (`biased-token-round-robin`, as Scylla's dht/token.cc `shard_of` and the drivers'
 * shard_info.py / scylla.go `shardOf` compute it) and tablet boundary math (tablet i of c covers
 * (last(i-1), last(i)], the last tokens splitting the ring evenly; Scylla's locator/tablets.cc). The shard computation uses the 32-bit split of the 128-bit product, which is exact
 * for any shard count below 2^20, so the hot path needs no BigInt.
 */
import { tokenToHalves, type TokenHalves } from './murmur3.js';

export const DEFAULT_IGNORE_MSB = 12;
const TWO32 = 4294967296;

/**
 * Shard of a token given as uint32 halves. biased = token + 2^63 (flip the sign bit), shifted
 * left by ignoreMsb (mod 2^64), then (biased × n) >> 64.
 */
export function shardOfHalves(hi: number, lo: number, nrShards: number, ignoreMsb = DEFAULT_IGNORE_MSB): number {
  if (nrShards <= 1) return 0;
  let bh = (hi ^ 0x80000000) >>> 0;
  let bl = lo >>> 0;
  if (ignoreMsb > 0) {
    if (ignoreMsb >= 32) {
      bh = ignoreMsb >= 64 ? 0 : (bl << (ignoreMsb - 32)) >>> 0;
      bl = 0;
    } else {
      bh = ((bh << ignoreMsb) | (bl >>> (32 - ignoreMsb))) >>> 0;
      bl = (bl << ignoreMsb) >>> 0;
    }
  }
  // ((lo*n >> 32) + hi*n) >> 32: both partial products stay below 2^52 for n < 2^20
  return Math.floor((Math.floor((bl * nrShards) / TWO32) + bh * nrShards) / TWO32);
}

const scratch: TokenHalves = { hi: 0, lo: 0 };

/** Shard of a bigint token (API edge; the hot path calls shardOfHalves). */
export function shardOf(token: bigint, nrShards: number, ignoreMsb = DEFAULT_IGNORE_MSB): number {
  tokenToHalves(token, scratch);
  return shardOfHalves(scratch.hi, scratch.lo, nrShards, ignoreMsb);
}

/** The same computation in BigInt, straight from the reference; kept for cross-checking. */
export function shardOfBigint(token: bigint, nrShards: number, ignoreMsb = DEFAULT_IGNORE_MSB): number {
  const mask = (1n << 64n) - 1n;
  const biased = BigInt.asUintN(64, token + (1n << 63n));
  const shifted = (biased << BigInt(ignoreMsb)) & mask;
  return Number((shifted * BigInt(nrShards)) >> 64n);
}

/**
 * The last tokens of `count` uniform tablets (dht/token.cc get_uniform_tokens):
 * last_i = floor(i × (2^64−1) / count) − 2^63, i = 1..count. Tablet i covers (last_{i-1}, last_i],
 * the first one starting after the minimum token.
 */
export function tabletLastTokens(count: number): bigint[] {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`tablet count must be a positive integer, got ${count}`);
  const span = (1n << 64n) - 1n;
  const out: bigint[] = new Array(count);
  for (let i = 1; i <= count; i++) out[i - 1] = (BigInt(i) * span) / BigInt(count) - (1n << 63n);
  return out;
}

/** Index of the tablet holding `token` in a sorted lastTokens list (binary search on last_token). */
export function tabletIndexOf(lastTokens: readonly bigint[], token: bigint): number {
  let lo = 0;
  let hi = lastTokens.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (lastTokens[mid] >= token) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** (first, last] of tablet `index`; the first tablet starts at the minimum token. */
export function tabletRange(lastTokens: readonly bigint[], index: number): { firstToken: bigint; lastToken: bigint } {
  return { firstToken: index === 0 ? -(1n << 63n) : lastTokens[index - 1], lastToken: lastTokens[index] };
}
