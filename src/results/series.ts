/**
 * Per-second latency histograms as the statistics use them: each interval's HDR counts
 * (counts-array index → count, the project's HDR layout: 1 µs, 3 significant digits), read from
 * a run's `.hlog` or built from samples. A percentile of any set of intervals is read from their
 * merged counts with HDR's own rule, so `compare` reports exactly the figure `run` reported.
 */
import { decode, newHistogram, type Histogram } from '../metrics/histogram.js';
import { meanEstimate, type SeriesEstimate } from './significance.js';

/** The index arithmetic of hdr-histogram-js's JsHistogram (public methods, absent from its typings). */
interface HdrIndexing {
  countsArrayIndex(value: number): number;
  valueFromIndex(index: number): number;
  highestEquivalentValue(value: number): number;
  getCountAtIndex(index: number): number;
  countsArrayLength: number;
}

const REF = newHistogram() as unknown as HdrIndexing;

/** HDR counts-array index of a latency in µs (values below 1 µs count as 1 µs). */
export function indexOfUs(us: number): number {
  const v = us < 1 ? 1 : Math.round(us);
  // HDR's arithmetic for this layout (unit 1, half a sub-bucket = 2^10), with clz32 for log2
  if (v < 0x80000000) {
    const bucket = Math.max(31 - Math.clz32(v) - 10, 0);
    return ((bucket + 1) << 10) + (Math.floor(v / (1 << bucket)) - 1024);
  }
  return REF.countsArrayIndex(v);
}

/** The value HDR reports for a percentile landing in this index: the highest equivalent value, µs. */
export function valueOfIndex(index: number): number {
  return REF.highestEquivalentValue(REF.valueFromIndex(index));
}

/** One interval (normally one second) of one class×op: sparse HDR counts, indexes ascending. */
export interface IntervalCounts {
  /** Start, seconds since the phase start. */
  t: number;
  /** Length, seconds. */
  lengthSec: number;
  index: Int32Array;
  count: Float64Array;
  total: number;
}

export function intervalFromHistogram(h: Histogram, t: number, lengthSec = 1): IntervalCounts {
  const x = h as unknown as HdrIndexing;
  const idx: number[] = [];
  const cnt: number[] = [];
  let total = 0;
  for (let i = 0; i < x.countsArrayLength; i++) {
    const c = x.getCountAtIndex(i);
    if (c > 0) {
      // re-index through the value, so a histogram of another layout still lands on ours
      idx.push(indexOfUs(x.valueFromIndex(i)));
      cnt.push(c);
      total += c;
    }
  }
  return { t, lengthSec, index: Int32Array.from(idx), count: Float64Array.from(cnt), total };
}

/** An interval from raw latencies in µs (tests and the calibration benchmark). */
export function intervalFromSamples(samplesUs: ArrayLike<number>, t: number, lengthSec = 1): IntervalCounts {
  // counting into a dense scratch array beats sorting: a second's indexes span a few thousand slots
  const keys = new Int32Array(samplesUs.length);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < samplesUs.length; i++) {
    const k = indexOfUs(samplesUs[i]);
    keys[i] = k;
    if (k < lo) lo = k;
    if (k > hi) hi = k;
  }
  if (keys.length === 0) return { t, lengthSec, index: new Int32Array(0), count: new Float64Array(0), total: 0 };
  if (scratch.length < hi - lo + 1) scratch = new Float64Array(hi - lo + 1);
  for (let i = 0; i < keys.length; i++) scratch[keys[i] - lo]++;
  const idx: number[] = [];
  const cnt: number[] = [];
  for (let j = 0; j <= hi - lo; j++) {
    if (scratch[j] > 0) { idx.push(j + lo); cnt.push(scratch[j]); scratch[j] = 0; }
  }
  return { t, lengthSec, index: Int32Array.from(idx), count: Float64Array.from(cnt), total: samplesUs.length };
}

let scratch = new Float64Array(4096);

/** Intervals of several series (e.g. every op of a class) added second by second. */
export function mergeIntervals(series: IntervalCounts[][]): IntervalCounts[] {
  const byT = new Map<number, IntervalCounts[]>();
  for (const s of series) for (const iv of s) { const k = Math.round(iv.t * 1000); byT.set(k, [...(byT.get(k) ?? []), iv]); }
  return [...byT.entries()].sort((a, b) => a[0] - b[0]).map(([, ivs]) => {
    const m = new Map<number, number>();
    for (const iv of ivs) for (let j = 0; j < iv.index.length; j++) m.set(iv.index[j], (m.get(iv.index[j]) ?? 0) + iv.count[j]);
    const keys = [...m.keys()].sort((a, b) => a - b);
    return { t: ivs[0].t, lengthSec: ivs[0].lengthSec, index: Int32Array.from(keys), count: Float64Array.from(keys.map((k) => m.get(k)!)), total: ivs.reduce((a, iv) => a + iv.total, 0) };
  });
}

/** HDR's count rank for a percentile (0 < p ≤ 1): ceil(p·N) guarded against one-ulp overshoot. */
function rankOf(p: number, total: number): number {
  const fp = p * total;
  const ulp = fp > 0 ? 2 ** (Math.floor(Math.log2(fp)) - 52) : 0;
  return Math.max(Math.ceil(fp - ulp), 1);
}

/**
 * Percentiles (0 < p ≤ 1) of the merged counts of `intervals`, in µs (NaN when empty), exactly
 * as HDR's getValueAtPercentile reads a histogram holding the same counts.
 */
export function mergedQuantilesUs(intervals: IntervalCounts[], ps: number[]): number[] {
  let lo = Infinity;
  let hi = -Infinity;
  let total = 0;
  for (const iv of intervals) {
    if (iv.total === 0) continue;
    lo = Math.min(lo, iv.index[0]);
    hi = Math.max(hi, iv.index[iv.index.length - 1]);
    total += iv.total;
  }
  if (total === 0) return ps.map(() => NaN);
  const dense = new Float64Array(hi - lo + 1);
  for (const iv of intervals) for (let j = 0; j < iv.index.length; j++) dense[iv.index[j] - lo] += iv.count[j];
  const order = ps.map((p, i) => ({ rank: rankOf(p, total), i })).sort((a, b) => a.rank - b.rank);
  const out = new Array<number>(ps.length).fill(NaN);
  let cum = 0;
  let k = 0;
  for (let j = 0; j < dense.length && k < order.length; j++) {
    cum += dense[j];
    while (k < order.length && cum >= order[k].rank) { out[order[k].i] = valueOfIndex(j + lo); k++; }
  }
  return out;
}

/** Requests beyond the percentile a block must hold on average for its percentile to mean something. */
export const MIN_TAIL_PER_BLOCK = 10;

export interface QuantileEstimate extends SeriesEstimate {
  /** The percentile, 0 < p ≤ 1. */
  p: number;
  /** The whole run's percentile (merged histogram), µs; the estimate's centre is its ln. */
  valueUs: number;
  /** Seconds per block (each block: one observation of the percentile). */
  blockSec: number;
  /** Requests in the series. */
  count: number;
}

/**
 * The percentile of a run with the standard error of its ln: blocks of whole intervals, each
 * expected to hold MIN_TAIL_PER_BLOCK requests beyond the percentile; the ln of each block's
 * percentile is one observation; batch means over the blocks give se and ESS. p = 1 (the
 * maximum) has no interval: extremes do not average.
 */
export function quantileEstimate(intervals: IntervalCounts[], p: number): QuantileEstimate {
  const ivs = intervals.filter((iv) => iv.total > 0).sort((a, b) => a.t - b.t);
  const count = ivs.reduce((a, iv) => a + iv.total, 0);
  const [valueUs] = mergedQuantilesUs(ivs, [p]);
  const base = { p, valueUs, count, centre: Math.log(valueUs) };
  if (p >= 1 || ivs.length < 2) return { ...base, se: null, ess: ivs.length, n: ivs.length, blockSec: 1 };
  const perInterval = count / ivs.length;
  const blockLen = Math.max(1, Math.ceil(MIN_TAIL_PER_BLOCK / (perInterval * Math.min(p, 1 - p))));
  const logs: number[] = [];
  for (let b = 0; (b + 1) * blockLen <= ivs.length; b++) {
    const [q] = mergedQuantilesUs(ivs.slice(b * blockLen, (b + 1) * blockLen), [p]);
    logs.push(Math.log(q));
  }
  const m = meanEstimate(logs);
  return { ...base, se: m.se, ess: m.ess, n: logs.length, blockSec: blockLen };
}

/** A per-interval rate (e.g. completed ops per second), weighted by interval length; centre = ln(mean rate). */
export function rateEstimate(counts: number[], lengthsSec: number[]): SeriesEstimate & { rate: number } {
  const rates = counts.map((c, i) => c / lengthsSec[i]);
  const m = meanEstimate(rates, lengthsSec);
  // delta method: se(ln x̄) = se(x̄) / x̄
  return { rate: m.centre, centre: Math.log(m.centre), se: m.se === null || !(m.centre > 0) ? null : m.se / m.centre, ess: m.ess, n: m.n };
}

/** A proportion per interval (e.g. errors / completed), weighted by the interval's completed count. */
export function proportionEstimate(hits: number[], totals: number[]): SeriesEstimate {
  const xs: number[] = [];
  const ws: number[] = [];
  hits.forEach((h, i) => { if (totals[i] > 0) { xs.push(h / totals[i]); ws.push(totals[i]); } });
  if (xs.length === 0) return { centre: NaN, se: null, ess: 0, n: 0 };
  return meanEstimate(xs, ws);
}

/**
 * An .hlog (format 1.3, as HlogWriter writes and HdrHistogram's tools read) → intervals per tag.
 * Bad lines throw with their line number.
 */
export function parseHlog(text: string, file: string): Map<string, IntervalCounts[]> {
  const out = new Map<string, IntervalCounts[]>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#') || line.startsWith('"')) continue;
    const parts = line.split(',');
    let tag = '';
    if (parts[0].startsWith('Tag=')) tag = parts.shift()!.slice(4);
    if (parts.length !== 4) throw new Error(`${file}:${i + 1}: not an interval line (expected [Tag=…,]start,length,max,histogram)`);
    const start = Number(parts[0]);
    const length = Number(parts[1]);
    if (!Number.isFinite(start) || !Number.isFinite(length)) throw new Error(`${file}:${i + 1}: bad interval start or length`);
    let h: Histogram;
    try {
      h = decode(parts[3]);
    } catch {
      throw new Error(`${file}:${i + 1}: the histogram does not decode`);
    }
    let list = out.get(tag);
    if (!list) out.set(tag, (list = []));
    list.push(intervalFromHistogram(h, start, length));
  }
  return out;
}
