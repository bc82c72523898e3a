/**
 * Comparison statistics for time series of per-second measurements (the gate's and `compare`'s
 * arithmetic; pure numbers, no I/O).
 *
 * Seconds of one run are not independent: a compaction, a GC pause or a busy neighbour lasts
 * several seconds, so a run of 60 s holds fewer than 60 independent observations. As latte does
 * (src/stats/timeseries.rs), the series is treated by batch means: neighbouring values are
 * averaged in batches of 1, 2, 4, … and the variance of the batch means, compared with the
 * variance of single values, gives the autocorrelation time τ (how many seconds make one
 * independent observation) and the effective sample size n / τ. A mean's standard error is then
 * sd / √ESS, and two runs are compared with Welch's t on ESS − 1 degrees of freedom.
 *
 * Percentiles are not means, but the same idea holds ("sectioning"): the run is cut into blocks
 * of whole seconds, each holding enough requests beyond the percentile to estimate it, and the
 * log of each block's percentile is one observation. Their spread, corrected by τ, is the
 * standard error of the log of the whole run's percentile (the centre is always the percentile
 * of the merged histogram, never an average of block percentiles). Ratios are estimated on a log
 * scale, so ×1.2 and ×1/1.2 are symmetric, and the interval is exp(Δ ± t·se).
 *
 * Why not a block bootstrap: with one interval per ~5 s block a 60 s run has about twelve
 * blocks, and percentile-bootstrap intervals from so few blocks are too narrow (no small-sample
 * correction); Student's t on the effective sample size carries that correction.
 */

// ---------------------------------------------------------------------------------------------
// Student's t distribution (any real df > 0): the CDF through the regularized incomplete beta
// function, the quantile by bisection on it. Accurate to ~1e-10, enough for 99 % intervals.

function lnGamma(x: number): number {
  // Lanczos approximation (g = 7, n = 9)
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d; if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c; if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d; h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d; if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c; if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-14) break;
  }
  return h;
}

/** Regularized incomplete beta I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (front * betaContinuedFraction(a, b, x)) / a : 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom (df may be fractional, as Welch's is). */
export function tCdf(t: number, df: number): number {
  if (!Number.isFinite(df)) return normalCdf(t);
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The quantile of Student's t: tQuantile(0.995, 10) = 3.169. */
export function tQuantile(p: number, df: number): number {
  if (p === 0.5) return 0;
  if (p < 0.5) return -tQuantile(1 - p, df);
  let lo = 0;
  let hi = 1;
  while (tCdf(hi, df) < p) { hi *= 2; if (hi > 1e12) return Infinity; }
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (tCdf(mid, df) < p) lo = mid; else hi = mid;
  }
  return (lo + hi) / 2;
}

function normalCdf(z: number): number {
  // erfc by Numerical Recipes' Chebyshev fit (relative error < 1.2e-7 everywhere)
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  const erfc = t * Math.exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
    + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return z >= 0 ? 1 - erfc / 2 : erfc / 2;
}

// ---------------------------------------------------------------------------------------------
// Batch means (a port of latte's TimeSeriesStats, weighted, for a finished series).

interface WeightedStats { n: number; mean: number; m2: number; weight: number }

function weightedStats(xs: number[], ws: number[]): WeightedStats {
  // Welford with weights, as latte's Stats::record
  const s: WeightedStats = { n: 0, mean: 0, m2: 0, weight: 0 };
  for (let i = 0; i < xs.length; i++) {
    s.n++;
    s.weight += ws[i];
    const d1 = xs[i] - s.mean;
    s.mean += (ws[i] * d1) / s.weight;
    s.m2 += ws[i] * d1 * (xs[i] - s.mean);
  }
  return s;
}

function variance(s: WeightedStats): number {
  return s.n <= 1 ? NaN : (s.m2 / s.weight) * (s.n / (s.n - 1));
}

/**
 * Autocorrelation time of a series (≥ 1): the largest of batchLen · var(batch means) / var(values)
 * over batch lengths 1, 2, 4, … while that figure exceeds a fifth of the batch length (beyond it,
 * too few batches are left for their variance to mean anything) — latte's estimator.
 */
export function autocorrelationTime(xs: number[], ws: number[] = xs.map(() => 1)): number {
  if (xs.length < 2) return 1;
  const v0 = variance(weightedStats(xs, ws));
  if (!(v0 > 0)) return 1;
  let level = xs;
  let weights = ws;
  let batchLen = 1;
  let tau = 1;
  while (level.length >= 2) {
    const v = variance(weightedStats(level, weights));
    const t = (batchLen * v) / v0;
    if (!(t > 0.2 * batchLen)) break;
    tau = Math.max(tau, t);
    // next level: weighted means of neighbouring pairs (an odd last value does not carry up)
    const nx: number[] = [];
    const nw: number[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) {
      const w = weights[i] + weights[i + 1];
      nx.push((level[i] * weights[i] + level[i + 1] * weights[i + 1]) / w);
      nw.push(w);
    }
    level = nx;
    weights = nw;
    batchLen *= 2;
  }
  return tau;
}

/** n / τ, as latte rounds it (down, at least 1 for a non-empty series). */
export function effectiveSampleSize(xs: number[], ws?: number[]): number {
  if (xs.length < 2) return xs.length;
  return Math.max(1, Math.floor(xs.length / autocorrelationTime(xs, ws)));
}

/** A centre with its standard error and the effective number of independent observations. */
export interface SeriesEstimate {
  /** The estimate (on the scale compared: ln for percentiles and rates). */
  centre: number;
  /** Standard error of `centre`; null when fewer than 2 effective observations. */
  se: number | null;
  /** Effective sample size (observations / autocorrelation time). */
  ess: number;
  /** Observations in the series (seconds or blocks of seconds). */
  n: number;
}

/**
 * Fewer than 2 effective observations give no interval. With 2 or 3 the t quantile (63.7 or 9.9 at
 * 99 %) makes the interval wide, which is honest: a small shift then stays "not significant", but
 * a large one is still seen. (Refusing an interval below 4 left a 7.5× p50 change unjudged when a
 * steady series drifted slowly: its autocorrelation time was long, its spread tiny.)
 */
export const MIN_ESS = 2;

/** Weighted mean of a series with its autocorrelation-corrected standard error. */
export function meanEstimate(xs: number[], ws: number[] = xs.map(() => 1)): SeriesEstimate {
  const s = weightedStats(xs, ws);
  const ess = effectiveSampleSize(xs, ws);
  const v = variance(s);
  return { centre: s.n > 0 ? s.mean : NaN, se: ess >= MIN_ESS && Number.isFinite(v) ? Math.sqrt(v / ess) : null, ess, n: xs.length };
}

// ---------------------------------------------------------------------------------------------
// Comparing two estimates

export interface Difference {
  /** candidate − baseline on the compared scale. */
  delta: number;
  low: number | null;
  high: number | null;
  /** Welch–Satterthwaite degrees of freedom. */
  df: number | null;
  /** Two-sided p-value of "no difference". */
  pValue: number | null;
}

/** Welch's t interval for candidate − baseline at the given confidence (e.g. 0.99). */
export function welch(baseline: SeriesEstimate, candidate: SeriesEstimate, confidence: number): Difference {
  const delta = candidate.centre - baseline.centre;
  if (baseline.se === null || candidate.se === null || !Number.isFinite(delta)) return { delta, low: null, high: null, df: null, pValue: null };
  const vb = baseline.se ** 2;
  const vc = candidate.se ** 2;
  const v = vb + vc;
  if (v === 0) {
    // both series constant: the difference is exact
    return { delta, low: delta, high: delta, df: Infinity, pValue: delta === 0 ? 1 : 0 };
  }
  const df = (v * v) / ((vb * vb) / (baseline.ess - 1) + (vc * vc) / (candidate.ess - 1));
  const se = Math.sqrt(v);
  const t = tQuantile(1 - (1 - confidence) / 2, df);
  const pValue = 2 * (1 - tCdf(Math.abs(delta) / se, df));
  return { delta, low: delta - t * se, high: delta + t * se, df, pValue };
}

/** A ratio candidate / baseline with its interval (from a difference of logs). */
export interface RatioInterval {
  ratio: number;
  low: number | null;
  high: number | null;
  confidence: number;
  /** The interval excludes 1; null when there is no interval. */
  significant: boolean | null;
  pValue: number | null;
  df: number | null;
}

export function ratioOfLogs(baseline: SeriesEstimate, candidate: SeriesEstimate, confidence: number): RatioInterval {
  const d = welch(baseline, candidate, confidence);
  const low = d.low === null ? null : Math.exp(d.low);
  const high = d.high === null ? null : Math.exp(d.high);
  return {
    ratio: Math.exp(d.delta), low, high, confidence,
    significant: low === null || high === null ? null : low > 1 || high < 1,
    pValue: d.pValue, df: d.df,
  };
}

/**
 * Ratios from independent replicates (e.g. `ab` rounds: one candidate/baseline ratio per round,
 * each round interleaved so drift hits both alike): Student's t on the log ratios, n − 1 df.
 * Replicates need no autocorrelation correction; one replicate gives no interval.
 */
export function ratioAcrossReplicates(ratios: number[], confidence: number): RatioInterval & { replicates: number } {
  const logs = ratios.filter((r) => Number.isFinite(r) && r > 0).map(Math.log);
  const n = logs.length;
  const mean = n > 0 ? logs.reduce((a, b) => a + b, 0) / n : NaN;
  if (n < 2) return { ratio: Math.exp(mean), low: null, high: null, confidence, significant: null, pValue: null, df: null, replicates: n };
  const sd = Math.sqrt(logs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
  const se = sd / Math.sqrt(n);
  const df = n - 1;
  if (se === 0) return { ratio: Math.exp(mean), low: Math.exp(mean), high: Math.exp(mean), confidence, significant: mean !== 0, pValue: mean === 0 ? 1 : 0, df, replicates: n };
  const t = tQuantile(1 - (1 - confidence) / 2, df);
  const low = Math.exp(mean - t * se);
  const high = Math.exp(mean + t * se);
  return { ratio: Math.exp(mean), low, high, confidence, significant: low > 1 || high < 1, pValue: 2 * (1 - tCdf(Math.abs(mean) / se, df)), df, replicates: n };
}
