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

/** What capacity.json says, as the fields `capacityLines` words. */
export interface CapacityWords {
  slo: { metric: string; limitMs: number };
  bracket: [number | null, number | null];
  limitedBy: string;
  stoppedBy: { verdict: string; why: string } | null;
  knee: { rateOpsPerSec: number; p99Ms: number; floorP99Ms: number } | null;
  trend: { previous: { date: string; gitSha: string | null; capacityOpsPerSec: number | null; bracket: [number | null, number | null] }; regressed: boolean; ratio: number | null } | null;
}

export const sloText = (slo: { metric: string; limitMs: number }): string => `${slo.metric.replace('Ms', '')} ≤ ${slo.limitMs} ms`;

/**
 * The answer, the knee and the trend worded exactly as `scylla-bench capacity` prints them
 * (src/cli/capacity.ts renderCapacity; a test holds the lines equal): a loader limit is "at least",
 * never the cluster's capacity.
 */
export function capacityLines(c: CapacityWords): { answer: string; knee: string; trend: string | null } {
  const slo = sloText(c.slo);
  const [lo, hi] = c.bracket;
  let answer: string;
  if (c.limitedBy === 'loader') answer = `answer: at least ${lo ?? 0} ops/s — the LOADER ran out first (${c.stoppedBy?.why}); this is not the cluster's capacity: add loaders (run --segment) or workers`;
  else if (lo === null) answer = `answer: no rate held the SLO (the lowest tried failed: ${c.stoppedBy?.why})`;
  else answer = `answer: ${lo} ops/s sustained at ${slo} (bracket [${lo}, ${hi ?? '?'}]${c.limitedBy === 'steps' ? ', the step budget ran out before a rate failed' : ''}); stopped by ${c.stoppedBy ? `${c.stoppedBy.verdict}: ${c.stoppedBy.why}` : 'nothing'}`;
  const knee = c.knee ? `knee: p99 leaves its floor (${c.knee.floorP99Ms} ms) at ${c.knee.rateOpsPerSec} ops/s (p99 ${c.knee.p99Ms} ms)` : 'knee: not reached';
  let trend: string | null = null;
  if (c.trend) {
    const p = c.trend.previous;
    trend = `${c.trend.regressed ? 'REGRESSED' : 'trend'}: previous night ${p.date}${p.gitSha ? ` (${p.gitSha.slice(0, 12)})` : ''} sustained ${p.capacityOpsPerSec ?? 'nothing'} ops/s [${p.bracket[0]}, ${p.bracket[1]}]${c.trend.ratio !== null ? `; now ${c.trend.ratio}×` : ''}${c.trend.regressed ? ': the brackets do not overlap' : ''}`;
  }
  return { answer, knee, trend };
}

/** `#rrggbb` for a hue (0–360) at a saturation and lightness the browser test counts as a drawn series. */
export function hueColour(hue: number): string {
  const s = 0.75;
  const l = 0.45;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number): string => {
    const k = (n + hue / 30) % 12;
    const v = l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(v * 255).toString(16).padStart(2, '0');
  };
  return `#${f(0)}${f(8)}${f(4)}`;
}

/** An ops/s rate as capacity.json has it: grouped digits from 100 up, else the value as written (12.71). */
export function rate(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return na;
  return Math.abs(x) >= 100 ? int(x) : String(x);
}
