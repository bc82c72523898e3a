/**
 * Injected reply delays: a fixed number of ms, or a lognormal distribution given by its median
 * and 99th percentile (what a latency SLO states), drawn from a seeded generator so that the same
 * seed and the same request order give the same delays.
 *
 *   ln X ~ N(mu, sigma²),  mu = ln p50,  sigma = (ln p99 − ln p50) / z(0.99),  z(0.99) = 2.3263
 */

/** A delay spec as startSim options, the admin API (JSON) and `--latency` take it. */
export type DelaySpec = number | { lognormal: { p50: number; p99: number } };

/** The standard normal's 99th percentile. */
const Z99 = 2.326348;

/** Throws RangeError naming `what` on a bad spec. */
export function checkDelaySpec(what: string, v: unknown): asserts v is DelaySpec {
  if (typeof v === 'number') {
    if (!(v >= 0) || !Number.isFinite(v)) throw new RangeError(`${what} must be a non-negative number of ms, got ${v}`);
    return;
  }
  const ln = (v as { lognormal?: { p50?: unknown; p99?: unknown } } | null)?.lognormal;
  if (typeof v !== 'object' || v === null || Object.keys(v).length !== 1 || !ln) {
    throw new RangeError(`${what} must be a number of ms or {"lognormal": {"p50": ms, "p99": ms}}, got ${JSON.stringify(v)}`);
  }
  const { p50, p99 } = ln;
  if (typeof p50 !== 'number' || !(p50 > 0) || !Number.isFinite(p50)) throw new RangeError(`${what}.lognormal.p50 must be a positive number of ms, got ${String(p50)}`);
  if (typeof p99 !== 'number' || !(p99 >= p50) || !Number.isFinite(p99)) throw new RangeError(`${what}.lognormal.p99 must be a number of ms ≥ p50 (${p50}), got ${String(p99)}`);
}

/** Parameters of the normal distribution of ln(delay ms). */
export function lognormalParams(p50: number, p99: number): { mu: number; sigma: number } {
  return { mu: Math.log(p50), sigma: (Math.log(p99) - Math.log(p50)) / Z99 };
}

/** A seeded uniform generator on [0, 1) (mulberry32): reproducible, and fast enough per request. */
export function seededRandom(seed: number): () => number {
  let a = (seed >>> 0) ^ 0x9e3779b9;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Draws delays (ms) from specs with one seeded generator. */
export class DelaySampler {
  private readonly random: () => number;

  constructor(seed: number) {
    this.random = seededRandom(seed);
  }

  /** One draw: the fixed value, or exp(mu + sigma·Z) with Z standard normal (Box–Muller). */
  draw(spec: DelaySpec): number {
    if (typeof spec === 'number') return spec;
    const { mu, sigma } = lognormalParams(spec.lognormal.p50, spec.lognormal.p99);
    if (sigma === 0) return spec.lognormal.p50;
    // 1 - u keeps the log argument in (0, 1]
    const z = Math.sqrt(-2 * Math.log(1 - this.random())) * Math.cos(2 * Math.PI * this.random());
    return Math.exp(mu + sigma * z);
  }
}
