/**
 * Small, honest statistics for A/B gains: ratios are compared on a log scale (a 2× gain and a
 * 0.5× loss are symmetric), intervals come from Student's t across rounds, or from a bootstrap
 * over per-second samples when there is a single round.
 */

/** Two-sided 95% Student t quantiles by degrees of freedom (1..30); 1.96 beyond. */
const T95 = [NaN, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

export function t95(df: number): number {
  return df >= T95.length ? 1.96 : T95[df];
}

export interface RatioEstimate {
  /** Geometric mean of the ratios. */
  ratio: number;
  /** 95% interval; null when it cannot be computed (a single sample). */
  low: number | null;
  high: number | null;
  samples: number;
  method: 't-rounds' | 'bootstrap-intervals' | 'single';
}

export function geometricMean(xs: number[]): number {
  return Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);
}

/** Ratio per round (paired A/B within a round), with a t interval on log ratios. */
export function ratioAcrossRounds(ratios: number[]): RatioEstimate {
  const xs = ratios.filter((r) => Number.isFinite(r) && r > 0);
  if (xs.length === 0) return { ratio: NaN, low: null, high: null, samples: 0, method: 'single' };
  if (xs.length === 1) return { ratio: xs[0], low: null, high: null, samples: 1, method: 'single' };
  const logs = xs.map(Math.log);
  const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
  const sd = Math.sqrt(logs.reduce((a, b) => a + (b - mean) ** 2, 0) / (logs.length - 1));
  const half = t95(logs.length - 1) * sd / Math.sqrt(logs.length);
  return { ratio: Math.exp(mean), low: Math.exp(mean - half), high: Math.exp(mean + half), samples: xs.length, method: 't-rounds' };
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/**
 * Bootstrap of stat(a)/stat(b) over per-interval samples (e.g. per-second p99s of each
 * variant): resample each side with replacement, 2000 times, take the 2.5/97.5 percentiles.
 */
export function bootstrapRatio(a: number[], b: number[], stat: (xs: number[]) => number = median, seed = 1): RatioEstimate {
  if (a.length === 0 || b.length === 0) return { ratio: NaN, low: null, high: null, samples: 0, method: 'single' };
  const point = stat(a) / stat(b);
  const r = rng(seed);
  const draws: number[] = [];
  const pick = (xs: number[]): number[] => xs.map(() => xs[Math.floor(r() * xs.length)]);
  for (let i = 0; i < 2000; i++) {
    const v = stat(pick(a)) / stat(pick(b));
    if (Number.isFinite(v)) draws.push(v);
  }
  draws.sort((x, y) => x - y);
  return { ratio: point, low: draws[Math.floor(draws.length * 0.025)] ?? null, high: draws[Math.floor(draws.length * 0.975)] ?? null, samples: Math.min(a.length, b.length), method: 'bootstrap-intervals' };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
