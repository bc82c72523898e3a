/**
 * Calibration of the regression gate on synthetic data with known truth (issue 12's proof):
 * for each latency model, N pairs of runs (default 10 000, 60 s at 1000 requests/s, seconds
 * autocorrelated) are judged exactly as `gate` judges p99 — sectioned percentiles, batch-means
 * ESS, Welch on logs, 99 % interval, the relative rule's verdict (results/series.ts,
 * significance.ts, gate.ts) — for
 *   A/A: baseline and candidate from the same model → false-alarm rate;
 *   A/B: the candidate's true p99 20 % higher, median kept → detection rate;
 * under the rule `p99: +0%` (fail on any significant regression) and the default `p99: +10%`.
 * Prints figures (with 95 % Wilson intervals for the rates); asserts nothing.
 *
 *   node dist/bench/gate.js [--pairs 10000] [--seconds 60] [--rate 1000] [--seed 1]
 */
import type { MetricComparison } from '../src/results/compare.js';
import { relativeVerdict } from '../src/results/gate.js';
import { quantileEstimate } from '../src/results/series.js';
import { ratioOfLogs, type RatioInterval } from '../src/results/significance.js';
import { lognormal, modelQuantileMs, Rng, syntheticRun, withP99Scaled, type LatencyModel } from '../src/results/synthetic.js';
import { positiveArg } from './args.js';

const pairs = positiveArg('pairs', 10_000);
const seconds = positiveArg('seconds', 60);
const rate = positiveArg('rate', 1000);
const seed = positiveArg('seed', 1);

const slowdown = { secondSigma: 0.05, secondPhi: 0.5 };
const models: Record<string, { model: LatencyModel; text: string }> = {
  lognormal: {
    model: { parts: [{ weight: 1, dist: lognormal(2, 8) }], ...slowdown },
    text: 'lognormal p50 2 ms, p99 8 ms',
  },
  bimodal: {
    model: { parts: [{ weight: 0.95, dist: lognormal(1, 3) }, { weight: 0.05, dist: { p50Ms: 8, sigma: 0.35 } }], ...slowdown },
    text: '95 % lognormal (p50 1 ms, p99 3 ms) + 5 % lognormal (p50 8 ms, σ 0.35)',
  },
};

/** The gate's view of a p99 ratio (what compare builds for the rule). */
function asMetric(r: RatioInterval): MetricComparison {
  return { metric: 'p99', unit: 'ms', baseline: 1, candidate: r.ratio, scale: 'ratio', change: r.ratio, low: r.low, high: r.high, significant: r.significant, pValue: r.pValue, worse: 'higher' };
}

function wilson(k: number, n: number): string {
  const z = 1.96;
  const p = k / n;
  const d = 1 + (z * z) / n;
  const c = (p + (z * z) / (2 * n)) / d;
  const h = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;
  return `${pct(p).padStart(7)} [${pct(Math.max(0, c - h))}, ${pct(Math.min(1, c + h))}] (${k}/${n})`;
}

console.log(`gate calibration: ${pairs} pairs per model, ${seconds} s runs at ${rate} requests/s, per-second slowdown σ ${slowdown.secondSigma} AR(1) φ ${slowdown.secondPhi}, 99 % intervals, seed ${seed}`);
const t0 = Date.now();
for (const [name, { model, text }] of Object.entries(models)) {
  const slower = withP99Scaled(model, 1.2);
  const truth = modelQuantileMs(slower, 0.99) / modelQuantileMs(model, 0.99);
  const rng = new Rng(seed);
  const n = { aaFail0: 0, aaFail10: 0, aaSig: 0, aaCover: 0, abFail0: 0, abFail10: 0, abCover: 0, noInterval: 0 };
  const t1 = Date.now();
  for (let i = 0; i < pairs; i++) {
    const base = quantileEstimate(syntheticRun(model, seconds, rate, rng), 0.99);
    const aa = ratioOfLogs(base, quantileEstimate(syntheticRun(model, seconds, rate, rng), 0.99), 0.99);
    const ab = ratioOfLogs(base, quantileEstimate(syntheticRun(slower, seconds, rate, rng), 0.99), 0.99);
    if (aa.low === null || ab.low === null) n.noInterval++;
    if (relativeVerdict(asMetric(aa), 0) === 'fail') n.aaFail0++;
    if (relativeVerdict(asMetric(aa), 0.1) === 'fail') n.aaFail10++;
    if (aa.significant) n.aaSig++;
    if (aa.low !== null && aa.low <= 1 && aa.high! >= 1) n.aaCover++;
    if (relativeVerdict(asMetric(ab), 0) === 'fail') n.abFail0++;
    if (relativeVerdict(asMetric(ab), 0.1) === 'fail') n.abFail10++;
    if (ab.low !== null && ab.low <= truth && ab.high! >= truth) n.abCover++;
  }
  console.log(`\n${name}: ${text}; true p99 ${modelQuantileMs(model, 0.99).toFixed(3)} ms → ${modelQuantileMs(slower, 0.99).toFixed(3)} ms (×${truth.toFixed(4)}), p50 ${modelQuantileMs(model, 0.5).toFixed(3)} → ${modelQuantileMs(slower, 0.5).toFixed(3)} ms`);
  console.log(`  A/A false alarm, rule p99: +0%    ${wilson(n.aaFail0, pairs)}`);
  console.log(`  A/A false alarm, rule p99: +10%   ${wilson(n.aaFail10, pairs)}`);
  console.log(`  A/A interval excludes 1 (2-sided) ${wilson(n.aaSig, pairs)}`);
  console.log(`  A/A interval covers 1             ${wilson(n.aaCover, pairs)}`);
  console.log(`  A/B detected, rule p99: +0%       ${wilson(n.abFail0, pairs)}`);
  console.log(`  A/B detected, rule p99: +10%      ${wilson(n.abFail10, pairs)}`);
  console.log(`  A/B interval covers ×${truth.toFixed(2)}          ${wilson(n.abCover, pairs)}`);
  console.log(`  pairs without an interval: ${n.noInterval}; ${((Date.now() - t1) / 1000).toFixed(0)} s`);
}
console.log(`\ntotal ${((Date.now() - t0) / 1000).toFixed(0)} s`);
