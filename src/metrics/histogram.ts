/**
 * HDR histograms for latencies, in microseconds with 3 significant digits (1 µs .. 1 h,
 * auto-resizing beyond). Workers ship them encoded (HdrHistogram's compressed V2 base64, the
 * same bytes a .hlog line holds); the coordinator decodes and adds them: percentiles are read
 * from merged histograms, never averaged.
 */
import type { Histogram } from 'hdr-histogram-js';
import { decodeCompressedBase64, encodeCompressedBase64, newInt32Histogram, type EncodableCounts } from './hdr-codec.js';

export type { Histogram };

export const LOWEST_US = 1;
export const HIGHEST_US = 3_600_000_000;
export const SIGNIFICANT_DIGITS = 3;

export function newHistogram(): Histogram {
  return newInt32Histogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS, true);
}

/** Records a latency given in nanoseconds (sub-µs, negative and NaN values count as 1 µs). */
export function recordNs(h: Histogram, latencyNs: number): void {
  const us = Math.round(latencyNs / 1000);
  // NaN fails every comparison: written so that it too lands on the lowest value
  h.recordValue(us >= LOWEST_US ? us : LOWEST_US);
}

/**
 * The hot-path recorder a worker keeps per histogram. hdr-histogram-js' recordValue computes the
 * bucket with Math.log2 and Math.pow (~75 ns a value here, 5–10 % of an op's CPU), so values are
 * counted in a flat array indexed exactly as HdrHistogram indexes them (3 significant digits,
 * unit 1 µs: 1024 half-buckets per power of two), computed with Math.clz32: a record is one
 * increment, nothing else. The worker ships only the encoding, which holds bucket counts alone
 * (every reader decodes it: min and max come back as their buckets' edges), so `encode` has
 * hdr-codec write HdrHistogram's compressed V2 bytes straight from the array — the very bytes
 * hdr-histogram-js writes for a histogram fed the same values — without filling a histogram
 * first (that cost ~0.45 ms a histogram a second).
 */
export class LatencyRecorder {
  /** Values below 1 h (HIGHEST_US); longer ones, which never happen in practice, go to `overflow`. */
  private readonly counts = new Uint32Array(COUNTS_LENGTH);
  /** Values of 1 h or more, in µs (never in practice): a histogram records them at encoding. */
  private readonly overflowUs: number[] = [];
  /** Created for the first of those; kept, as its size grows with them (its header says so). */
  private overflow: Histogram | undefined;

  /** Records a latency given in nanoseconds (sub-µs values count as 1 µs), as recordNs does. */
  recordNs(latencyNs: number): void {
    // below 1.5 µs, negative or NaN: the lowest value, as recordNs records it
    if (!(latencyNs >= 1500)) { this.counts[LOWEST_INDEX]++; return; }
    if (latencyNs >= MAX_COUNTED_NS) { this.overflowUs.push(Math.round(latencyNs / 1000)); return; }
    // rounds half up like Math.round, at a tenth of its cost (~7 ns a value here); < 2^32, so
    // >>> 0 is an exact floor
    this.counts[countsArrayIndex(((latencyNs + 500) / 1000) >>> 0)]++;
  }

  /**
   * HdrHistogram's compressed V2 base64 of what was recorded since the last reset: the bytes
   * `encode(h)` gives for a histogram `h` fed the same values with recordNs (and reset as often).
   */
  encode(): string {
    const c = this.counts;
    let top = COUNTS_LENGTH - 1;
    while (top > 0 && c[top] === 0) top--;
    if (this.overflowUs.length > 0) {
      // a histogram resizes itself for these: let it hold them, and every count, and encode
      const h = (this.overflow ??= newHistogram());
      h.reset();
      for (const us of this.overflowUs) h.recordValue(us);
      for (let i = 1; i <= top; i++) if (c[i] > 0) h.recordValueWithCount(valueAt(i), c[i]);
      return encode(h);
    }
    // the header holds highestTrackableValue, which auto-resizing grew for earlier long values
    const highest = this.overflow ? this.overflow.highestTrackableValue : HIGHEST_US;
    if (top === 0 && highest === HIGHEST_US) return EMPTY_ENCODED;
    return encodeCounts(c, top, highest);
  }

  /** The histogram a reader decodes from `encode()` (min and max at their buckets' edges). */
  snapshot(): Histogram {
    return decode(this.encode());
  }

  reset(): void {
    this.counts.fill(0);
    this.overflowUs.length = 0;
  }
}

/** HdrHistogram's layout for 3 significant digits and a 1 µs unit: sub-buckets of 2048, half 1024. */
const SUB_BUCKET_HALF_MAGNITUDE = 10;
const SUB_BUCKET_HALF = 1 << SUB_BUCKET_HALF_MAGNITUDE;
/** Latencies from here on round to 1 h (HIGHEST_US) or more: a histogram records them itself. */
const MAX_COUNTED_NS = HIGHEST_US * 1000 - 500;
/** Bucket indexes 0..21 cover every value below 2^32 (and so below HIGHEST_US). */
const COUNTS_LENGTH = (32 - SUB_BUCKET_HALF_MAGNITUDE + 1) * SUB_BUCKET_HALF;
/** The index of 1 µs, the lowest value. */
const LOWEST_INDEX = 1;

/** HdrHistogram's countsArrayIndex for 0 ≤ us < 2^32. */
function countsArrayIndex(us: number): number {
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

/**
 * The recorder's counts as hdr-codec's encoder reads a histogram (EncodableCounts), so the bytes
 * come from the one V2 writer, without filling a histogram first.
 */
function encodeCounts(c: Uint32Array, top: number, highestTrackableValue: number): string {
  const view: EncodableCounts = {
    numberOfSignificantValueDigits: SIGNIFICANT_DIGITS,
    lowestDiscernibleValue: LOWEST_US,
    highestTrackableValue,
    // the encoder writes cells up to its max's index: `top`
    maxValue: valueAt(top),
    countsArrayIndex,
    getCountAtIndex: (index: number): number => c[index],
  };
  return encodeCompressedBase64(view);
}

const EMPTY_ENCODED = encode(newHistogram());

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
