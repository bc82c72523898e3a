/**
 * Synthetic latency with known truth, for the statistics' tests and the gate's calibration
 * benchmark (bench/gate.ts): a latency model (lognormal, or a mixture of two lognormals), a
 * per-second slowdown shared by every request of that second that follows an AR(1) process
 * (seconds are autocorrelated, as on a real server), and a fixed request rate (open loop).
 * Percentiles of the model are exact (closed-form CDF, bisection), so a test knows the true ratio.
 */
import { intervalFromSamples, type IntervalCounts } from './series.js';

/** Seeded PRNG (mulberry32) with Gaussian draws (Box–Muller, both values used). */
export class Rng {
  private s: number;
  private spare: number | null = null;
  constructor(seed: number) { this.s = seed >>> 0; }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  normal(): number {
    // Marsaglia's polar method: no trigonometry, both values used
    if (this.spare !== null) { const v = this.spare; this.spare = null; return v; }
    let u = 0;
    let v = 0;
    let s = 0;
    do {
      u = 2 * this.next() - 1;
      v = 2 * this.next() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * f;
    return u * f;
  }
}

/** One lognormal component: median (ms) and σ of ln(latency). */
export interface LogNormal { p50Ms: number; sigma: number }

export interface LatencyModel {
  /** Components and their weights (one component: a lognormal). */
  parts: { weight: number; dist: LogNormal }[];
  /** σ of the per-second ln slowdown (stationary), e.g. 0.05 ≈ ±5 % from second to second. */
  secondSigma: number;
  /** AR(1) coefficient of the per-second slowdown (0: independent seconds). */
  secondPhi: number;
}

const Z99 = 2.3263478740408408;

/** A lognormal from its median and p99 (the emulator's `lognormal:p50=2,p99=8`). */
export function lognormal(p50Ms: number, p99Ms: number): LogNormal {
  return { p50Ms, sigma: Math.log(p99Ms / p50Ms) / Z99 };
}

function phi(z: number): number {
  // Φ via erfc (Numerical Recipes, relative error < 1.2e-7)
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  const erfc = t * Math.exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
    + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return z >= 0 ? 1 - erfc / 2 : erfc / 2;
}

/** P(latency ≤ xMs) over all seconds (the slowdown is Gaussian in ln, so it adds to each σ²). */
export function modelCdf(m: LatencyModel, xMs: number): number {
  let c = 0;
  for (const { weight, dist } of m.parts) {
    c += weight * phi((Math.log(xMs) - Math.log(dist.p50Ms)) / Math.sqrt(dist.sigma ** 2 + m.secondSigma ** 2));
  }
  return c;
}

/** The model's true percentile (0 < p < 1), ms. */
export function modelQuantileMs(m: LatencyModel, p: number): number {
  let lo = 1e-6;
  let hi = 1e7;
  for (let i = 0; i < 200; i++) {
    const mid = Math.sqrt(lo * hi);
    if (modelCdf(m, mid) < p) lo = mid; else hi = mid;
  }
  return Math.sqrt(lo * hi);
}

/**
 * The same model with its true p99 multiplied by `factor`, the median kept: a lognormal widens
 * its σ; a mixture slows its last (tail) component.
 */
export function withP99Scaled(m: LatencyModel, factor: number): LatencyModel {
  const target = modelQuantileMs(m, 0.99) * factor;
  const last = m.parts.length - 1;
  const make = (k: number): LatencyModel => ({
    ...m,
    parts: m.parts.map((p, i) => (i !== last ? p : {
      weight: p.weight,
      dist: m.parts.length === 1 ? { p50Ms: p.dist.p50Ms, sigma: p.dist.sigma * k } : { p50Ms: p.dist.p50Ms * k, sigma: p.dist.sigma },
    })),
  });
  let lo = 0.01;
  let hi = 100;
  for (let i = 0; i < 200; i++) {
    const mid = Math.sqrt(lo * hi);
    if (modelQuantileMs(make(mid), 0.99) < target) lo = mid; else hi = mid;
  }
  return make(Math.sqrt(lo * hi));
}

/**
 * A run of `seconds` per-second intervals at `ratePerSec` requests per second. The first
 * slowdown is drawn from the stationary distribution, so every second is alike in law.
 */
export function syntheticRun(m: LatencyModel, seconds: number, ratePerSec: number, rng: Rng): IntervalCounts[] {
  const out: IntervalCounts[] = [];
  const cum: number[] = [];
  let acc = 0;
  for (const p of m.parts) { acc += p.weight; cum.push(acc); }
  const mus = m.parts.map((p) => Math.log(p.dist.p50Ms * 1000));
  const innovation = m.secondSigma * Math.sqrt(1 - m.secondPhi ** 2);
  let slow = m.secondSigma * rng.normal();
  const samples = new Float64Array(ratePerSec);
  for (let s = 0; s < seconds; s++) {
    if (s > 0) slow = m.secondPhi * slow + innovation * rng.normal();
    for (let i = 0; i < ratePerSec; i++) {
      let k = 0;
      if (m.parts.length > 1) { const u = rng.next() * acc; while (k < cum.length - 1 && u > cum[k]) k++; }
      samples[i] = Math.exp(mus[k] + slow + m.parts[k].dist.sigma * rng.normal());
    }
    out.push(intervalFromSamples(samples, s));
  }
  return out;
}
