/**
 * Stateless hashing for generators: every value is a pure function of (seed, column, index),
 * so any worker computes any cycle's values and a read recomputes what a write wrote.
 *
 * Why 32-bit words and not splitmix64: BigInt arithmetic costs tens of ns per operation and
 * allocates; `Math.imul` on two 32-bit halves stays in registers. `mix32` is Wellons'
 * "lowbias32" (a bijection on 32 bits with near-ideal avalanche), applied in Feistel-like
 * rounds over the index's two halves so (lo, hi) → output keeps full 64-bit input sensitivity.
 */

/** A 32-bit bijective mixer (lowbias32). */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** FNV-1a over UTF-16 code units: stable column name → 32 bits. */
export function hashString32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h >>> 0);
}

const TWO_32 = 4294967296;
const TWO_NEG_53 = 2 ** -53;

/** Keys derived once per (seed, column): four independent 32-bit words. */
export interface HashKeys {
  a: number;
  b: number;
  c: number;
  d: number;
}

export function hashKeys(seed: number, name: string): HashKeys {
  const sLo = seed >>> 0;
  const sHi = Math.floor(seed / TWO_32) >>> 0;
  const n = hashString32(name);
  const a = mix32(sLo ^ mix32(n ^ 0x9e3779b9));
  const b = mix32(sHi ^ mix32(a + 0x632be5ab));
  const c = mix32(a ^ mix32(b + 0x85ebca6b));
  const d = mix32(b ^ mix32(c + 0xc2b2ae35));
  return { a, b, c, d };
}

/** Low 32 bits of a non-negative index (exact for numbers below 2^53). */
export function lo32(index: number): number {
  return index >>> 0;
}

/** High bits of a non-negative index above the low 32. */
export function hi32(index: number): number {
  return Math.floor(index / TWO_32) >>> 0;
}

/** First 32-bit hash word of (keys, lo, hi). */
export function h1(k: HashKeys, lo: number, hi: number): number {
  return mix32(mix32(lo ^ k.a) ^ hi ^ k.b);
}

/** A second word independent of h1 (different keys, same input). */
export function h2(k: HashKeys, lo: number, hi: number): number {
  return mix32(mix32(lo ^ k.c) ^ hi ^ k.d);
}

/** Uniform double in [0, 1) with 53 random bits. */
export function u53(k: HashKeys, lo: number, hi: number): number {
  return ((h1(k, lo, hi) * 2097152) + (h2(k, lo, hi) >>> 11)) * TWO_NEG_53;
}

/** A further uniform in [0, 1) for attempt `stream` (rejection sampling, 2nd normal variate). */
export function u53At(k: HashKeys, lo: number, hi: number, stream: number): number {
  const s = mix32(stream + 0x27d4eb2f);
  return ((mix32(h1(k, lo ^ s, hi) ^ s) * 2097152) + (mix32(h2(k, lo, hi ^ s) + s) >>> 11)) * TWO_NEG_53;
}

/**
 * An injective 64-bit image of (lo, hi) as two words: four Feistel rounds keyed by `k`.
 * Key columns use it so distinct indexes never collide (unique text/uuid/blob keys).
 */
export function permute64(k: HashKeys, lo: number, hi: number, out: Uint32Array): void {
  let l = lo >>> 0;
  let r = hi >>> 0;
  // round keys differ from h1/h2's use of a/b, so the image is not correlated with them
  r = (r ^ mix32((l ^ k.d) + 0x9e3779b9)) >>> 0;
  l = (l ^ mix32((r ^ k.c) + 0x7f4a7c15)) >>> 0;
  r = (r ^ mix32((l ^ k.b) + 0x6a09e667)) >>> 0;
  l = (l ^ mix32((r ^ k.a) + 0x3c6ef372)) >>> 0;
  out[0] = l;
  out[1] = r;
}
