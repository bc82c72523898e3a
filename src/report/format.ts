/** Text for the report: HTML escaping and number formats (the same wording the CLI tables use). */

export function esc(s: string | number | null | undefined): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export const na = 'n/a';

export function fixed(x: number | null | undefined, digits = 2): string {
  return x === null || x === undefined || !Number.isFinite(x) ? na : x.toFixed(digits);
}

export function pct(x: number | null | undefined, digits = 1): string {
  return x === null || x === undefined || !Number.isFinite(x) ? na : `${(x * 100).toFixed(digits)}%`;
}

export function int(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? na : Math.round(x).toLocaleString('en-US');
}

/** Milliseconds with enough digits to be read: 3 significant below 10 ms, 1 decimal above. */
export function ms(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return na;
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

/** A ratio estimate as ab.json stores it (NaN was written as null). */
export interface Estimate { ratio: number | null; low: number | null; high: number | null; samples: number; method: string }

const x2 = (v: number): string => `${v.toFixed(2)}×`;

/**
 * A gain with its interval, worded exactly as `scylla-bench ab` prints it (src/cli/ab.ts fmtGain;
 * a test holds the two equal): an interval that spans 1 cannot tell better from worse.
 */
export function gainText(r: Estimate): string {
  if (r.ratio === null || !Number.isFinite(r.ratio)) return 'n/a';
  if (r.low === null || r.high === null) return `${x2(r.ratio)} (one sample: no interval)`;
  const interval = `[${r.low.toFixed(2)}, ${r.high.toFixed(2)}]`;
  if (r.low <= 1 && r.high >= 1) return `inconclusive (${x2(r.ratio)}, 95% interval ${interval} spans 1)`;
  return `${x2(r.ratio)} ${interval}`;
}

/** Seconds as m:ss (or h:mm:ss), for time axes and durations. */
export function clock(sec: number): string {
  const s = Math.round(sec);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${r}` : `${m}:${r}`;
}
