/**
 * The HDR percentile spectrum on a "nines" axis: x = -log10(1 - q), so 0 → p0, 1 → p90, 2 → p99,
 * 3 → p99.9 … Decoded from the encoded histograms of result.json at report time; only the
 * percentile series goes into the page, never the histogram.
 */
import { decode, mergeInto, newHistogram, type Histogram } from '../metrics/histogram.js';

/** Points per decade of the nines axis. */
export const NINES_STEPS = 40;

export interface Spectrum {
  /** Recorded values. */
  count: number;
  /** [x (nines), value in ms] from p0 up to x = log10(count) (the last value's rank), where the maximum is placed. */
  points: [number, number][];
}

/** Percent for a nines position, rounded so integer positions give exactly 90, 99, 99.9 … */
export function ninesToPercentile(x: number): number {
  return Number((100 - 100 * 10 ** -x).toPrecision(12));
}

/** µs → ms as summarize() rounds them, so p99 on the curve equals p99Ms in result.json. */
const msOf = (us: number): number => Math.round(us) / 1000;

export function spectrumOf(h: Histogram): Spectrum {
  const count = h.totalCount;
  if (count === 0) return { count, points: [] };
  const end = Math.log10(count);
  const points: [number, number][] = [];
  for (let k = 0; k / NINES_STEPS < end; k++) {
    const x = k / NINES_STEPS;
    points.push([x, msOf(h.getValueAtPercentile(ninesToPercentile(x)))]);
  }
  points.push([end, msOf(h.maxValue)]);
  return { count, points };
}

/** The spectrum of one or more encoded histograms merged (bucket counts add: exact). */
export function spectrumOfEncoded(encoded: string[]): Spectrum {
  const h = newHistogram();
  for (const e of encoded) if (e) mergeInto(h, decode(e));
  return spectrumOf(h);
}
