/** Distributions have the right shape on 100k samples (pure hash draws, no RNG state). */
import { describe, expect, it } from 'vitest';
import { compileGenerator, compileSampler } from '../../src/profile/generators.js';
import type { Distribution } from '../../src/profile/types.js';

const N = 100_000;

function samples(d: Distribution, integer: boolean, seed = 11): Float64Array {
  const s = compileSampler(d, seed, 'dist.test', integer);
  const out = new Float64Array(N);
  for (let i = 0; i < N; i++) out[i] = s(i >>> 0, Math.floor(i / 2 ** 32));
  return out;
}

const mean = (xs: Float64Array) => xs.reduce((a, b) => a + b, 0) / xs.length;
const stddev = (xs: Float64Array) => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
};

describe('distributions', () => {
  it('uniform integers cover [min, max] inclusively and evenly', () => {
    const xs = samples({ kind: 'uniform', min: 1, max: 10 }, true);
    const counts = new Array(11).fill(0);
    for (const x of xs) counts[x]++;
    expect(Math.min(...xs)).toBe(1);
    expect(Math.max(...xs)).toBe(10);
    for (let v = 1; v <= 10; v++) expect(Math.abs(counts[v] / N - 0.1)).toBeLessThan(0.006);
    expect(Math.abs(mean(xs) - 5.5)).toBeLessThan(0.05);
  });

  it('uniform reals stay in [min, max) with mean in the middle', () => {
    const xs = samples({ kind: 'uniform', min: -2, max: 6 }, false);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...xs)).toBeLessThan(6);
    expect(Math.abs(mean(xs) - 2)).toBeLessThan(0.03);
    expect(Math.abs(stddev(xs) - 8 / Math.sqrt(12))).toBeLessThan(0.03);
  });

  it('gaussian has its mean and stddev, and respects min/max', () => {
    const xs = samples({ kind: 'gaussian', mean: 100, stddev: 15 }, false);
    expect(Math.abs(mean(xs) - 100)).toBeLessThan(0.3);
    expect(Math.abs(stddev(xs) - 15)).toBeLessThan(0.3);
    // ~68% within one stddev
    const within = xs.filter((x) => Math.abs(x - 100) <= 15).length / N;
    expect(Math.abs(within - 0.6827)).toBeLessThan(0.01);
    const clamped = samples({ kind: 'gaussian', mean: 100, stddev: 15, min: 90, max: 110 }, true);
    expect(Math.min(...clamped)).toBe(90);
    expect(Math.max(...clamped)).toBe(110);
  });

  for (const [n, s] of [[1000, 1.1], [1_000_000, 0.99], [50, 1], [100_000, 2]] as const) {
    it(`zipf(n=${n}, s=${s}): rank-1 frequency is 1/H(n, s), rank 2 is 2^-s of it`, () => {
      const xs = samples({ kind: 'zipf', n, s }, true);
      let h = 0;
      for (let k = 1; k <= n; k++) h += k ** -s;
      const f1 = xs.filter((x) => x === 1).length / N;
      const f2 = xs.filter((x) => x === 2).length / N;
      expect(Math.abs(f1 - 1 / h) / (1 / h)).toBeLessThan(0.04);
      expect(Math.abs(f2 / f1 - 2 ** -s)).toBeLessThan(0.05);
      expect(Math.min(...xs)).toBeGreaterThanOrEqual(1);
      expect(Math.max(...xs)).toBeLessThanOrEqual(n);
    });
  }

  it('exponential has its mean and never exceeds max', () => {
    const xs = samples({ kind: 'exponential', mean: 50 }, false);
    expect(Math.abs(mean(xs) - 50) / 50).toBeLessThan(0.02);
    expect(Math.abs(stddev(xs) - 50) / 50).toBeLessThan(0.03);
    const capped = samples({ kind: 'exponential', mean: 50, max: 60 }, false);
    expect(Math.max(...capped)).toBeLessThanOrEqual(60);
  });

  it('sequence walks start..end, repeating each value `repeat` times, then wraps', () => {
    const s = compileSampler({ kind: 'sequence', start: 5, end: 7, repeat: 2 }, 1, 'x', true);
    expect(Array.from({ length: 8 }, (_, i) => s(i, 0))).toEqual([5, 5, 6, 6, 7, 7, 5, 5]);
  });

  it('fixed is fixed', () => {
    expect(new Set(samples({ kind: 'fixed', value: 3 }, true))).toEqual(new Set([3]));
  });

  it('weighted choice follows its weights', () => {
    const g = compileGenerator({ kind: 'choice', values: ['a', 'b', 'c'], weights: [1, 3, 6] }, 'text', 5, 't.c');
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < N; i++) counts[g(i) as string]++;
    expect(Math.abs(counts.a / N - 0.1)).toBeLessThan(0.006);
    expect(Math.abs(counts.b / N - 0.3)).toBeLessThan(0.008);
    expect(Math.abs(counts.c / N - 0.6)).toBeLessThan(0.008);
  });

  it('text and blob sizes follow their distribution', () => {
    const t = compileGenerator({ kind: 'text', length: { kind: 'uniform', min: 10, max: 20 } }, 'text', 5, 't.t');
    const b = compileGenerator({ kind: 'blob', size: { kind: 'fixed', value: 1024 } }, 'blob', 5, 't.b');
    let sum = 0;
    let outOfRange = 0;
    for (let i = 0; i < 10_000; i++) {
      const len = (t(i) as string).length;
      if (len < 10 || len > 20 || (b(i) as Buffer).length !== 1024) outOfRange++;
      sum += len;
    }
    expect(outOfRange).toBe(0);
    expect(Math.abs(sum / 10_000 - 15)).toBeLessThan(0.15);
    // different rows, different text
    expect(new Set(Array.from({ length: 1000 }, (_, i) => t(i))).size).toBeGreaterThan(990);
  });
});
