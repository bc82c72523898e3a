/**
 * Distribution samplers: pure functions of (seed, name, index halves), shared by the value
 * generators (generators.ts) and the row keying (keying.ts), which both build on them.
 */
import { h1, hashKeys, u53, u53At, type HashKeys } from './hash.js';
import type { Distribution } from './types.js';

const TWO_32 = 4294967296;
const TWO_NEG_32 = 1 / TWO_32;

/** Samples a distribution from the index's two 32-bit halves. */
export type Sampler = (lo: number, hi: number) => number;

/**
 * A sampler of `dist` keyed by (seed, name). `integer` makes uniform draws inclusive
 * integers and rounds continuous ones, for integer-typed columns and counts.
 */
export function compileSampler(dist: Distribution, seed: number, name: string, integer: boolean): Sampler {
  const k = hashKeys(seed, name);
  switch (dist.kind) {
    case 'fixed': {
      const v = dist.value;
      return () => v;
    }
    case 'sequence': {
      const start = dist.start;
      const span = dist.end - dist.start + 1;
      const repeat = dist.repeat ?? 1;
      return (lo, hi) => start + (Math.floor((hi * TWO_32 + lo) / repeat) % span);
    }
    case 'uniform': {
      const { min, max } = dist;
      if (integer) {
        const span = Math.floor(max) - Math.ceil(min) + 1;
        const base = Math.ceil(min);
        // one 32-bit word is plenty below 2^20 values (bias < 2^-12) and half the hashing
        if (span <= 1 << 20) return (lo, hi) => base + Math.floor(h1(k, lo, hi) * span * TWO_NEG_32);
        return (lo, hi) => base + Math.floor(u53(k, lo, hi) * span);
      }
      const width = max - min;
      return (lo, hi) => min + u53(k, lo, hi) * width;
    }
    case 'gaussian': {
      const { mean, stddev } = dist;
      const min = dist.min ?? -Infinity;
      const max = dist.max ?? Infinity;
      return (lo, hi) => {
        // Box–Muller with two independent uniforms; 1 - u keeps log() away from 0
        const u1 = 1 - u53(k, lo, hi);
        const u2 = u53At(k, lo, hi, 1);
        let v = mean + stddev * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
        if (integer) v = Math.round(v);
        return v < min ? min : v > max ? max : v;
      };
    }
    case 'exponential': {
      const { mean } = dist;
      const max = dist.max ?? Infinity;
      return (lo, hi) => {
        let v = -mean * Math.log(1 - u53(k, lo, hi));
        if (integer) v = Math.round(v);
        return v > max ? max : v;
      };
    }
    case 'zipf': {
      const z = zipfSampler(dist.n, dist.s);
      return (lo, hi) => z(k, lo, hi);
    }
  }
}

/** An upper bound of what a distribution yields (sizes the text/blob pools). */
export function distMax(d: Distribution): number {
  switch (d.kind) {
    case 'fixed': return d.value;
    case 'sequence': return d.end;
    case 'uniform': return d.max;
    case 'gaussian': return d.max ?? d.mean + 6 * d.stddev;
    case 'exponential': return d.max ?? d.mean * 40;
    case 'zipf': return d.n;
  }
}

/** Smallest value a distribution yields. */
export function distMin(d: Distribution): number {
  switch (d.kind) {
    case 'fixed': return d.value;
    case 'sequence': return d.start;
    case 'uniform': return d.min;
    case 'gaussian': return d.min ?? d.mean - 6 * d.stddev;
    case 'exponential': return 0;
    case 'zipf': return 1;
  }
}

/**
 * Zipf over ranks 1..n with exponent s > 0, by rejection-inversion (Hörmann & Derflinger
 * 1996, as in Apache Commons RNG): O(1) memory and ~1.1 uniforms per sample for any n,
 * where a CDF table would cost 8 bytes per rank.
 */
function zipfSampler(n: number, s: number): (k: HashKeys, lo: number, hi: number) => number {
  const helper1 = (x: number) => (Math.abs(x) > 1e-8 ? Math.log1p(x) / x : 1 - x * (0.5 - x * (1 / 3 - 0.25 * x)));
  const helper2 = (x: number) => (Math.abs(x) > 1e-8 ? Math.expm1(x) / x : 1 + x * 0.5 * (1 + (x / 3) * (1 + 0.25 * x)));
  const h = (x: number) => Math.exp(-s * Math.log(x));
  const hIntegral = (x: number) => {
    const logX = Math.log(x);
    return helper2((1 - s) * logX) * logX;
  };
  const hIntegralInverse = (x: number) => {
    let t = x * (1 - s);
    if (t < -1) t = -1; // numerical safety at the far tail
    return Math.exp(helper1(t) * x);
  };
  const hIntegralX1 = hIntegral(1.5) - 1;
  const hIntegralN = hIntegral(n + 0.5);
  const sq = 2 - hIntegralInverse(hIntegral(2.5) - h(2));
  return (k, lo, hi) => {
    for (let attempt = 0; ; attempt++) {
      const r = attempt === 0 ? u53(k, lo, hi) : u53At(k, lo, hi, attempt + 16);
      const u = hIntegralN + r * (hIntegralX1 - hIntegralN);
      const x = hIntegralInverse(u);
      let kk = Math.floor(x + 0.5);
      if (kk < 1) kk = 1;
      else if (kk > n) kk = n;
      if (kk - x <= sq || u >= hIntegral(kk + 0.5) - h(kk) || attempt > 64) return kk;
    }
  };
}
