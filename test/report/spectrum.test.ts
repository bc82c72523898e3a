/**
 * The report's numbers against their sources: the nines spectrum read from a real HDR histogram
 * (the same encode/decode path as result.json) matches summarize()'s percentiles, and the gain
 * wording matches what `scylla-bench ab` prints.
 */
import { describe, expect, it } from 'vitest';
import { fmtGain } from '../../src/cli/ab.js';
import { decode, encode, newHistogram, summarize } from '../../src/metrics/histogram.js';
import { gainText } from '../../src/report/format.js';
import { NINES_STEPS, ninesToPercentile, spectrumOfEncoded } from '../../src/report/spectrum.js';
import type { AbRatio } from '../../src/results/ab.js';
import { ratioAcrossReplicates } from '../../src/results/significance.js';

describe('nines spectrum', () => {
  it('is the histogram read at 0, 90, 99, 99.9 … up to the last value, and its end is the maximum', () => {
    const h = newHistogram();
    // a long tail: 1..20000 µs, values near the top rarer
    for (let v = 1; v <= 20_000; v++) h.recordValue(v);
    for (let v = 1; v <= 5_000; v++) h.recordValue(v);
    h.recordValue(2_500_000);
    // result.json's figures come from decoded (merged) histograms: a bucket's highest equivalent value
    const s = summarize(decode(encode(h)));
    const sp = spectrumOfEncoded([encode(h)]);
    expect(sp.count).toBe(25_001);
    const at = (x: number): number | undefined => sp.points.find((p) => p[0] === x)?.[1];
    expect(at(0)).toBe(Math.round(h.getValueAtPercentile(0)) / 1000);
    expect(at(1)).toBe(s.p90Ms);
    expect(at(2)).toBe(s.p99Ms);
    expect(at(3)).toBe(s.p999Ms);
    expect(sp.points[sp.points.length - 1]).toEqual([Math.log10(25_001), s.maxMs]);
    // NINES_STEPS points per decade up to log10(count), then the maximum
    expect(sp.points).toHaveLength(Math.ceil(Math.log10(25_001) * NINES_STEPS) + 1);
    for (let i = 1; i < sp.points.length; i++) {
      expect(sp.points[i][0]).toBeGreaterThan(sp.points[i - 1][0]);
      expect(sp.points[i][1]).toBeGreaterThanOrEqual(sp.points[i - 1][1]);
    }
  });

  it('merges several histograms exactly (bucket counts add)', () => {
    const a = newHistogram();
    const b = newHistogram();
    const both = newHistogram();
    for (let v = 1; v <= 3000; v++) { a.recordValue(v); both.recordValue(v); }
    for (let v = 10_000; v <= 11_000; v++) { b.recordValue(v); both.recordValue(v); }
    expect(spectrumOfEncoded([encode(a), encode(b)])).toEqual(spectrumOfEncoded([encode(both)]));
    expect(spectrumOfEncoded([encode(newHistogram())])).toEqual({ count: 0, points: [] });
  });

  it('integer positions are exactly 90, 99, 99.9, 99.99', () => {
    expect([0, 1, 2, 3, 4, 5].map(ninesToPercentile)).toEqual([0, 90, 99, 99.9, 99.99, 99.999]);
  });
});

describe('gain wording', () => {
  it('is the CLI\'s for every kind of estimate, null ratios (NaN in ab.json) included', () => {
    const est = (ratios: number[]): AbRatio => {
      const r = ratioAcrossReplicates(ratios, 0.95);
      return { ...r, samples: r.replicates, method: r.replicates >= 2 ? 't-rounds' : 'single' };
    };
    const cases = [
      est([1.5, 1.6, 1.55]), // conclusive gain
      est([0.5, 0.52, 0.49]), // conclusive loss
      est([0.8, 1.3]), // spans 1: inconclusive
      est([1.2]), // one sample
      est([]), // NaN
    ];
    for (const e of cases) {
      // ab.json is JSON: NaN was written as null
      const stored = JSON.parse(JSON.stringify(e));
      expect(gainText(stored)).toBe(fmtGain(e));
    }
    expect(gainText(JSON.parse(JSON.stringify(est([0.8, 1.3]))))).toMatch(/^inconclusive \(/);
  });
});
