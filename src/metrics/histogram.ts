/**
 * HDR histograms for latencies, in microseconds with 3 significant digits (1 µs .. 1 h,
 * auto-resizing beyond). Workers ship them encoded (HdrHistogram's compressed V2 base64, the
 * same bytes a .hlog line holds); the coordinator decodes and adds them: percentiles are read
 * from merged histograms, never averaged.
 */
import hdr from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';

export type { Histogram };

export const LOWEST_US = 1;
export const HIGHEST_US = 3_600_000_000;
export const SIGNIFICANT_DIGITS = 3;

export function newHistogram(): Histogram {
  return hdr.build({
    bitBucketSize: 32,
    lowestDiscernibleValue: LOWEST_US,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: SIGNIFICANT_DIGITS,
    autoResize: true,
    useWebAssembly: false,
  });
}

/** Records a latency given in nanoseconds (sub-µs values count as 1 µs). */
export function recordNs(h: Histogram, latencyNs: number): void {
  const us = Math.round(latencyNs / 1000);
  h.recordValue(us < LOWEST_US ? LOWEST_US : us);
}

export function encode(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function decode(b64: string): Histogram {
  const h = hdr.decodeFromCompressedBase64(b64, 32, false);
  return h;
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
