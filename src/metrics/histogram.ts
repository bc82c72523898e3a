/**
 * HDR histograms for latencies, in microseconds with 3 significant digits (1 µs .. 1 h,
 * auto-resizing beyond). Workers ship them encoded (HdrHistogram's compressed V2 base64, the
 * same bytes a .hlog line holds); the coordinator decodes and adds them: percentiles are read
 * from merged histograms, never averaged.
 */
import type { Histogram } from 'hdr-histogram-js';
import { decodeCompressedBase64, encodeCompressedBase64, newInt32Histogram } from './hdr-codec.js';

export type { Histogram };

export const LOWEST_US = 1;
export const HIGHEST_US = 3_600_000_000;
export const SIGNIFICANT_DIGITS = 3;

export function newHistogram(): Histogram {
  return newInt32Histogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS, true);
}

/** Records a latency given in nanoseconds (sub-µs values count as 1 µs). */
export function recordNs(h: Histogram, latencyNs: number): void {
  const us = Math.round(latencyNs / 1000);
  h.recordValue(us < LOWEST_US ? LOWEST_US : us);
}

/**
 * The hot-path recorder a worker keeps per histogram: hdr-histogram-js' recordValue computes the
 * bucket with Math.log2 and Math.pow (~75 ns a value here, 5–10 % of an op's CPU), so values are
 * counted in a flat array indexed exactly as HdrHistogram indexes them (3 significant digits,
 * unit 1 µs: 1024 half-buckets per power of two), computed with Math.clz32, and added to the
 * histogram only when it is read (once a second). The histogram then holds the same counts — and
 * the same exact min and max — as if every value had been recorded into it directly.
 */
export class LatencyRecorder {
  readonly histogram: Histogram = newHistogram();
  /** Values below 2^32 µs (71 min); larger ones, which never happen in practice, go straight to the histogram. */
  private readonly counts = new Uint32Array(COUNTS_LENGTH);
  private lo = COUNTS_LENGTH;
  private hi = -1;
  private minUs = Infinity;
  private maxUs = 0;

  /** Records a latency given in nanoseconds (sub-µs values count as 1 µs), as recordNs does. */
  recordNs(latencyNs: number): void {
    if (latencyNs >= MAX_COUNTED_NS) { this.histogram.recordValue(Math.round(latencyNs / 1000)); return; }
    // rounds half up like Math.round, at a tenth of its cost (~7 ns a value here); below 1.5 µs,
    // negative or NaN: the lowest value, as recordNs records it
    const us = latencyNs >= 1500 ? ((latencyNs + 500) / 1000) >>> 0 : LOWEST_US;
    const i = countsIndex(us);
    this.counts[i]++;
    if (i < this.lo) this.lo = i;
    if (i > this.hi) this.hi = i;
    if (us < this.minUs) this.minUs = us;
    if (us > this.maxUs) this.maxUs = us;
  }

  /** Moves what was counted into `histogram` (its exact min and max recorded as themselves). */
  flush(): Histogram {
    if (this.hi < 0) return this.histogram;
    const h = this.histogram;
    const c = this.counts;
    const minAt = countsIndex(this.minUs);
    const maxAt = countsIndex(this.maxUs);
    c[minAt]--;
    if (this.maxUs !== this.minUs) c[maxAt]--;
    for (let i = this.lo; i <= this.hi; i++) {
      if (c[i] > 0) { h.recordValueWithCount(valueAt(i), c[i]); c[i] = 0; }
    }
    h.recordValue(this.minUs);
    if (this.maxUs !== this.minUs) h.recordValue(this.maxUs);
    this.lo = COUNTS_LENGTH; this.hi = -1; this.minUs = Infinity; this.maxUs = 0;
    return h;
  }

  encode(): string { return encode(this.flush()); }

  reset(): void {
    this.counts.fill(0, this.lo, this.hi + 1);
    this.lo = COUNTS_LENGTH; this.hi = -1; this.minUs = Infinity; this.maxUs = 0;
    this.histogram.reset();
  }
}

/** HdrHistogram's layout for 3 significant digits and a 1 µs unit: sub-buckets of 2048, half 1024. */
const SUB_BUCKET_HALF_MAGNITUDE = 10;
const SUB_BUCKET_HALF = 1 << SUB_BUCKET_HALF_MAGNITUDE;
/** Latencies from here on round to 2^32 µs or more: the histogram records them itself. */
const MAX_COUNTED_NS = 4294967296 * 1000 - 500;
/** Bucket indexes 0..21 cover every value below 2^32. */
const COUNTS_LENGTH = (32 - SUB_BUCKET_HALF_MAGNITUDE + 1) * SUB_BUCKET_HALF;

/** HdrHistogram's countsArrayIndex for 1 ≤ us < 2^32. */
function countsIndex(us: number): number {
  let bucket = 31 - Math.clz32(us) - SUB_BUCKET_HALF_MAGNITUDE;
  if (bucket < 0) bucket = 0;
  // us < 2^32: >>> is an exact floor(us / 2^bucket)
  return ((bucket + 1) << SUB_BUCKET_HALF_MAGNITUDE) + (us >>> bucket) - SUB_BUCKET_HALF;
}

/** The lowest value counted at `index` (HdrHistogram's valueFromIndex). */
function valueAt(index: number): number {
  let bucket = (index >> SUB_BUCKET_HALF_MAGNITUDE) - 1;
  let sub = (index & (SUB_BUCKET_HALF - 1)) + SUB_BUCKET_HALF;
  if (bucket < 0) { sub -= SUB_BUCKET_HALF; bucket = 0; }
  return sub * 2 ** bucket;
}

export function encode(h: Histogram): string {
  return encodeCompressedBase64(h);
}

export function decode(b64: string): Histogram {
  return decodeCompressedBase64(b64);
}

/** Adds `from` into `into` (exact: bucket counts add). */
export function mergeInto(into: Histogram, from: Histogram): void {
  if (from.totalCount > 0) into.add(from);
}

export interface LatencySummary {
  count: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

const ms = (us: number): number => Math.round(us) / 1000;

export function summarize(h: Histogram): LatencySummary {
  if (h.totalCount === 0) return { count: 0, meanMs: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0 };
  return {
    count: h.totalCount,
    meanMs: Math.round(h.mean) / 1000,
    p50Ms: ms(h.getValueAtPercentile(50)),
    p90Ms: ms(h.getValueAtPercentile(90)),
    p99Ms: ms(h.getValueAtPercentile(99)),
    p999Ms: ms(h.getValueAtPercentile(99.9)),
    maxMs: ms(h.maxValue),
  };
}
