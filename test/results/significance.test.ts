/**
 * The comparison statistics on synthetic data with known truth (no server): t quantiles against
 * published tables, latte's effective sample size on series of known autocorrelation, exact HDR
 * percentiles, and intervals that cover the true ratio — 1 for two runs of one source, 1.2 when
 * the candidate's true p99 is 20 % higher — even when seconds are strongly autocorrelated.
 */
import { describe, expect, it } from 'vitest';
import { encode, newHistogram, summarize } from '../../src/metrics/histogram.js';
import { decode } from '../../src/metrics/histogram.js';
import { intervalFromHistogram, intervalFromSamples, mergedQuantilesUs, quantileEstimate } from '../../src/results/series.js';
import { autocorrelationTime, effectiveSampleSize, meanEstimate, ratioAcrossReplicates, ratioOfLogs, tCdf, tQuantile } from '../../src/results/significance.js';
import { lognormal, modelQuantileMs, Rng, syntheticRun, withP99Scaled, type LatencyModel } from '../../src/results/synthetic.js';

const lognormalModel = (secondSigma: number, secondPhi: number): LatencyModel => ({ parts: [{ weight: 1, dist: lognormal(2, 8) }], secondSigma, secondPhi });
const bimodalModel: LatencyModel = { parts: [{ weight: 0.95, dist: lognormal(1, 3) }, { weight: 0.05, dist: { p50Ms: 8, sigma: 0.35 } }], secondSigma: 0.05, secondPhi: 0.5 };

describe("Student's t", () => {
  it('matches published quantiles, fractional df included', () => {
    // two-sided 99 % and 95 % critical values from standard tables
    expect(tQuantile(0.995, 1)).toBeCloseTo(63.657, 2);
    expect(tQuantile(0.995, 10)).toBeCloseTo(3.169, 3);
    expect(tQuantile(0.995, 30)).toBeCloseTo(2.750, 3);
    expect(tQuantile(0.975, 5)).toBeCloseTo(2.571, 3);
    expect(tQuantile(0.995, 1e6)).toBeCloseTo(2.576, 3);
    expect(tQuantile(0.025, 5)).toBeCloseTo(-2.571, 3);
    // monotone in df between integers
    expect(tQuantile(0.995, 10.5)).toBeLessThan(tQuantile(0.995, 10));
    expect(tQuantile(0.995, 10.5)).toBeGreaterThan(tQuantile(0.995, 11));
    expect(tCdf(0, 7)).toBeCloseTo(0.5, 12);
  });
});

describe('effective sample size (batch means, as latte)', () => {
  it('independent values: close to n', () => {
    const rng = new Rng(4);
    const xs = Array.from({ length: 1000 }, () => rng.next());
    const ess = effectiveSampleSize(xs);
    expect(ess).toBeGreaterThan(500);
    expect(ess).toBeLessThanOrEqual(1000);
  });

  it.each([[100, 2], [100, 10], [100, 50], [10, 1000]])('%i independent values each repeated %i times: an ESS near the first', (n, repeat) => {
    // latte's test_correlated: clusters of identical values carry one observation each
    const rng = new Rng(1);
    const xs: number[] = [];
    for (let i = 0; i < n; i++) { const v = rng.next(); for (let k = 0; k < repeat; k++) xs.push(v); }
    const ess = effectiveSampleSize(xs);
    expect(ess).toBeGreaterThan(n / 2);
    expect(ess).toBeLessThanOrEqual(n * 2);
  });

  it('AR(1) with φ = 0.8: τ near (1 + φ) / (1 − φ) = 9, so the mean’s se is about 3× the naive one', () => {
    const rng = new Rng(9);
    const xs: number[] = [];
    let x = 0;
    for (let i = 0; i < 20_000; i++) { x = 0.8 * x + rng.normal(); xs.push(x); }
    const tau = autocorrelationTime(xs);
    expect(tau).toBeGreaterThan(6);
    expect(tau).toBeLessThan(13);
    const m = meanEstimate(xs);
    const naive = Math.sqrt(xs.reduce((a, v) => a + (v - m.centre) ** 2, 0) / (xs.length - 1) / xs.length);
    expect(m.se! / naive).toBeGreaterThan(2.4);
  });

  it('a constant series has no spread and ESS n', () => {
    expect(effectiveSampleSize([3, 3, 3, 3, 3])).toBe(5);
    expect(meanEstimate([3, 3, 3, 3, 3]).se).toBe(0);
  });
});

describe('percentiles from per-second HDR counts', () => {
  it('equal HDR’s own getValueAtPercentile on the same samples, merged or not', () => {
    const rng = new Rng(2);
    const h = newHistogram();
    const seconds = [];
    for (let s = 0; s < 20; s++) {
      const xs = Array.from({ length: 300 }, () => Math.exp(7 + 0.8 * rng.normal()));
      const hs = newHistogram();
      for (const x of xs) { h.recordValue(Math.round(x)); hs.recordValue(Math.round(x)); }
      // through the .hlog encoding, as compare reads them
      seconds.push(intervalFromHistogram(decode(encode(hs)), s));
      expect(intervalFromSamples(xs, s).total).toBe(300);
    }
    const sum = summarize(h);
    const [p50, p90, p99, p999, max] = mergedQuantilesUs(seconds, [0.5, 0.9, 0.99, 0.999, 1]);
    expect([p50, p90, p99, p999].map((x) => x / 1000)).toEqual([sum.p50Ms, sum.p90Ms, sum.p99Ms, sum.p999Ms]);
    // the top is HDR's highest equivalent value of the max's bucket (summaries keep the exact max)
    expect(max).toBe(h.getValueAtPercentile(100));
    expect(max / 1000).toBeGreaterThanOrEqual(sum.maxMs);
  });

  it('blocks hold enough requests beyond the percentile: 1 s at 1000/s for p99, 10 s for p99.9', () => {
    const run = syntheticRun(lognormalModel(0.05, 0.5), 60, 1000, new Rng(3));
    expect(quantileEstimate(run, 0.99).blockSec).toBe(1);
    expect(quantileEstimate(run, 0.999).blockSec).toBe(10);
    expect(quantileEstimate(run, 0.999).n).toBe(6);
    expect(quantileEstimate(run, 1).se).toBeNull();
  });
});

/** Pairs of 60 s runs at 1000 requests/s: how often the 99 % interval of p99(B)/p99(A) covers `truth`. */
function pairs(a: LatencyModel, b: LatencyModel, n: number, seed: number): { covered: number; excludesOne: number; lowAbove1: number } {
  const rng = new Rng(seed);
  const truth = modelQuantileMs(b, 0.99) / modelQuantileMs(a, 0.99);
  let covered = 0;
  let excludesOne = 0;
  let lowAbove1 = 0;
  for (let i = 0; i < n; i++) {
    const r = ratioOfLogs(quantileEstimate(syntheticRun(a, 60, 1000, rng), 0.99), quantileEstimate(syntheticRun(b, 60, 1000, rng), 0.99), 0.99);
    if (r.low! <= truth && truth <= r.high!) covered++;
    if (r.significant) excludesOne++;
    if (r.low! > 1) lowAbove1++;
  }
  return { covered, excludesOne, lowAbove1 };
}

describe('p99 ratio intervals on synthetic runs with known truth', () => {
  it('two runs of one lognormal source: the interval covers 1', () => {
    const m = lognormalModel(0.05, 0.5);
    const rng = new Rng(11);
    const r = ratioOfLogs(quantileEstimate(syntheticRun(m, 60, 1000, rng), 0.99), quantileEstimate(syntheticRun(m, 60, 1000, rng), 0.99), 0.99);
    expect(r.low!).toBeLessThan(1);
    expect(r.high!).toBeGreaterThan(1);
    expect(r.significant).toBe(false);
    // and over many pairs, about 99 % do (binomial slack: 200 pairs, expect ~2 misses)
    const p = pairs(m, m, 200, 12);
    expect(p.covered).toBeGreaterThanOrEqual(194);
  });

  it('candidate p99 +20 % (lognormal and bimodal): the interval excludes 1 and covers 1.2', () => {
    for (const m of [lognormalModel(0.05, 0.5), bimodalModel]) {
      const b = withP99Scaled(m, 1.2);
      expect(modelQuantileMs(b, 0.99) / modelQuantileMs(m, 0.99)).toBeCloseTo(1.2, 6);
      expect(modelQuantileMs(b, 0.5) / modelQuantileMs(m, 0.5)).toBeCloseTo(1, 1);
      const p = pairs(m, b, 100, 13);
      expect(p.lowAbove1).toBeGreaterThanOrEqual(95);
      expect(p.covered).toBeGreaterThanOrEqual(95);
    }
  });

  it('autocorrelated seconds: the batch-means interval still covers; treating seconds as independent would not', () => {
    // slowdowns of ±15 % lasting several seconds (τ ≈ 5.7 s): a 60 s run holds ~10 independent seconds
    const m = lognormalModel(0.15, 0.7);
    const rng = new Rng(21);
    let ours = 0;
    let naive = 0;
    let judged = 0;
    for (let i = 0; i < 150; i++) {
      const a = quantileEstimate(syntheticRun(m, 60, 1000, rng), 0.99);
      const b = quantileEstimate(syntheticRun(m, 60, 1000, rng), 0.99);
      const r = ratioOfLogs(a, b, 0.99);
      if (r.low === null || r.high === null) continue;
      judged++;
      if (r.low <= 1 && 1 <= r.high) ours++;
      // the same blocks taken as independent (ESS = blocks): the interval a naive analysis gives
      const shrink = (e: typeof a): typeof a => ({ ...e, se: e.se! * Math.sqrt(e.ess / e.n), ess: e.n });
      const rn = ratioOfLogs(shrink(a), shrink(b), 0.99);
      if (rn.low! <= 1 && 1 <= rn.high!) naive++;
    }
    expect(judged).toBeGreaterThan(140);
    expect(ours / judged).toBeGreaterThanOrEqual(0.96);
    expect(naive / judged).toBeLessThan(0.85);
  });
});

describe('ratios across independent replicates (ab rounds)', () => {
  it('Student t on the log ratios, n − 1 degrees of freedom (t quantiles from tables)', () => {
    // two-sided 95 %: t(0.975; 1) = 12.7062, t(0.975; 2) = 4.3027, t(0.975; 4) = 2.7764
    const T = { 1: 12.7062047, 2: 4.30265273, 4: 2.77644511 } as Record<number, number>;
    for (const xs of [[1.1, 1.2, 1.15], [0.9, 1.3], [2, 2.2, 1.8, 2.1, 1.9]]) {
      const logs = xs.map(Math.log);
      const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
      const sd = Math.sqrt(logs.reduce((a, x) => a + (x - mean) ** 2, 0) / (logs.length - 1));
      const half = T[logs.length - 1] * sd / Math.sqrt(logs.length);
      const ours = ratioAcrossReplicates(xs, 0.95);
      expect(ours.ratio).toBeCloseTo(Math.exp(mean), 12);
      expect(ours.low!).toBeCloseTo(Math.exp(mean - half), 5);
      expect(ours.high!).toBeCloseTo(Math.exp(mean + half), 5);
    }
    expect(ratioAcrossReplicates([1.3], 0.99).low).toBeNull();
    expect(ratioAcrossReplicates([2, 2, 2], 0.99)).toMatchObject({ ratio: 2, low: 2, high: 2, significant: true });
  });
});

describe('a steady series that drifts slowly', () => {
  it('still gets an interval: a 7.5× shift is judged significant, not left unjudged', () => {
    // per-second p50s (µs) of a real A/B on the emulator (+5 ms injected on reads): the candidate
    // settles slowly from 6.0 to 5.7 ms — a long autocorrelation time, a tiny spread
    const baseUs = [1045, 850, 858, 715, 709, 709, 742, 676, 745, 778, 917, 778, 799, 710, 654, 672, 731, 723, 746, 941, 885, 680, 692, 736, 750, 703, 698, 671, 749, 763];
    const candUs = [6011, 5979, 5919, 5935, 5819, 5895, 5771, 5875, 5775, 5735, 5751, 5707, 5703, 5695, 5659, 5687, 5699, 5715, 5691, 5691, 5847, 5723, 5691, 5855, 5871, 5751, 5691, 5651, 5711, 5707, 5923];
    const b = meanEstimate(baseUs.map(Math.log));
    const c = meanEstimate(candUs.map(Math.log));
    expect(c.ess).toBeLessThan(4);
    expect(c.se).not.toBeNull();
    const r = ratioOfLogs(b, c, 0.99);
    expect(r.significant).toBe(true);
    expect(r.low!).toBeGreaterThan(5);
  });
});
