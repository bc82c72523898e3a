/**
 * Our V2 codec against hdr-histogram-js, the library it replaces on the hot paths: the same
 * histogram encodes to the very same base64 text, and each side decodes what the other wrote to
 * the same counts. (HdrHistogram's Java log processor reading our .hlog is in histogram.test.ts.)
 */
import hdr from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { decodeCompressedBase64, decodeUncompressed, encodeCompressedBase64, encodeUncompressed, newInt32Histogram } from '../../src/metrics/hdr-codec.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

const theirs = (): Histogram => hdr.build({ bitBucketSize: 32, lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, autoResize: true, useWebAssembly: false });
const ours = (): Histogram => newInt32Histogram(1, 3_600_000_000, 3, true);

/** Every non-empty bucket as [value, count]. */
function buckets(h: Histogram): [number, number][] {
  const out: [number, number][] = [];
  const j = h as unknown as { countsArrayLength: number; getCountAtIndex(i: number): number; valueFromIndex(i: number): number };
  for (let i = 0; i < j.countsArrayLength; i++) { const c = j.getCountAtIndex(i); if (c !== 0) out.push([j.valueFromIndex(i), c]); }
  return out;
}

/** Value sets that exercise the encoding: single cells, long zero runs, big counts (multi-byte words). */
const cases: [string, (h: Histogram) => void][] = [
  ['empty', () => undefined],
  ['one value', (h) => h.recordValue(1)],
  ['edges', (h) => { for (const v of [1, 2, 1023, 1024, 1025, 2047, 2048, 4096, 65_535, 2 ** 20, 2 ** 31, 2 ** 32 - 1, 3_600_000_000]) h.recordValue(v); }],
  ['large counts', (h) => { h.recordValueWithCount(150, 2 ** 31); h.recordValueWithCount(151, 2 ** 20 + 3); h.recordValueWithCount(90_000, 127); h.recordValueWithCount(90_100, 128); }],
  ['long tail', (h) => { const r = rng(7); for (let i = 0; i < 100_000; i++) h.recordValue(Math.round(r() < 0.001 ? 1e6 * (1 + r() * 5) : 100 * (1 + 20 * r() ** 3))); }],
  ['beyond the range (auto-resize)', (h) => { h.recordValue(5); h.recordValue(7_200_000_000); }],
];

describe('HdrHistogram V2 codec', () => {
  for (const [name, fill] of cases) {
    it(`${name}: the same base64 as hdr-histogram-js, and each decodes the other`, () => {
      const a = ours(); const b = theirs();
      fill(a); fill(b);
      const mine = encodeCompressedBase64(a);
      const reference = hdr.encodeIntoCompressedBase64(b);
      expect(mine).toBe(reference);
      const back = decodeCompressedBase64(reference);
      const theirBack = hdr.decodeFromCompressedBase64(mine, 32, false);
      expect(buckets(back)).toEqual(buckets(b));
      expect(buckets(theirBack)).toEqual(buckets(a));
      expect(back.totalCount).toBe(b.totalCount);
      expect(back.maxValue).toBe(theirBack.maxValue);
      expect(back.minNonZeroValue).toBe(theirBack.minNonZeroValue);
      for (const p of [50, 90, 99, 99.9, 100]) expect(back.getValueAtPercentile(p)).toBe(b.getValueAtPercentile(p));
      // the uncompressed form round-trips too
      expect(buckets(decodeUncompressed(encodeUncompressed(a)))).toEqual(buckets(a));
    });
  }

  it('a decoded histogram takes wider ones added into it', () => {
    const small = ours(); small.recordValue(10);
    const back = decodeCompressedBase64(encodeCompressedBase64(small));
    const wide = ours(); wide.recordValue(7_200_000_000);
    back.add(wide);
    expect(back.totalCount).toBe(2);
    expect(back.maxValue).toBeGreaterThanOrEqual(7_200_000_000);
  });

  it('refuses what is not a V2 histogram, whole', () => {
    expect(() => decodeCompressedBase64('aGVsbG8gd29ybGQ=')).toThrow(/not a compressed V2/);
    const good = Buffer.from(hdr.encodeIntoCompressedBase64(theirs()), 'base64');
    expect(() => decodeCompressedBase64(good.subarray(0, good.length - 3).toString('base64'))).toThrow(/truncated/);
    const h = ours(); h.recordValue(3); h.recordValue(3000);
    const raw = encodeUncompressed(h);
    expect(() => decodeUncompressed(raw.subarray(0, raw.length - 1))).toThrow(/truncated/);
  });
});
