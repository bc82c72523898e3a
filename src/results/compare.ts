/**
 * Baseline vs candidate, per class × op of each run's summary phase (the last measure phase):
 * throughput, error rate and response-time percentiles (service time on request), each with the
 * change candidate / baseline, its interval and whether it is significant. Point figures are the
 * ones result.json holds (HDR of the whole phase); intervals come from the per-second series
 * (significance.ts), centred on those figures.
 */
import type { ClassResult, PhaseResult } from './result.js';
import { summaryPhase } from './result.js';
import type { LoadedResult } from './read.js';
import { mergeIntervals, proportionEstimate, quantileEstimate, rateEstimate, type IntervalCounts } from './series.js';
import { ratioOfLogs, welch, type SeriesEstimate } from './significance.js';

export const METRICS = ['throughput', 'errorRate', 'p50', 'p90', 'p99', 'p999', 'max'] as const;
export type Metric = (typeof METRICS)[number];
export const PERCENTILES: Record<'p50' | 'p90' | 'p99' | 'p999' | 'max', { p: number; field: 'p50Ms' | 'p90Ms' | 'p99Ms' | 'p999Ms' | 'maxMs'; label: string }> = {
  p50: { p: 0.5, field: 'p50Ms', label: 'p50' },
  p90: { p: 0.9, field: 'p90Ms', label: 'p90' },
  p99: { p: 0.99, field: 'p99Ms', label: 'p99' },
  p999: { p: 0.999, field: 'p999Ms', label: 'p99.9' },
  max: { p: 1, field: 'maxMs', label: 'max' },
};

/**
 * Below this, a run has too few independent seconds: on synthetic A/A pairs, 12 s runs gave 99 %
 * intervals that covered the truth only 95 % of the time, and a quarter had none.
 */
export const SHORT_RUN_MS = 30_000;

export interface MetricComparison {
  metric: Metric;
  unit: 'ops/s' | 'ms' | 'fraction';
  baseline: number;
  candidate: number;
  /**
   * 'ratio': change = candidate / baseline, interval of the ratio. 'difference' (error rate,
   * whose baseline is often 0): change = candidate − baseline, interval of the difference.
   */
  scale: 'ratio' | 'difference';
  change: number | null;
  low: number | null;
  high: number | null;
  /** The interval excludes "no change"; null without an interval. */
  significant: boolean | null;
  pValue: number | null;
  /** Which direction is worse. */
  worse: 'higher' | 'lower';
  /** Why there is no interval, when there is none. */
  note?: string;
}

export interface OpComparison {
  cls: string;
  op: string;
  latency: 'response' | 'service';
  metrics: Record<Metric, MetricComparison>;
}

export interface RunRef {
  source: string;
  runId: string;
  profileHash: string;
  phase: string;
  durationMs: number;
}

export interface Comparison {
  baseline: RunRef;
  candidate: RunRef;
  confidence: number;
  sameProfile: boolean;
  ops: OpComparison[];
  warnings: string[];
}

export interface CompareOptions {
  /** Compare service time instead of each class's own latency (response time for open-loop classes). */
  serviceTime?: boolean;
  /** Interval confidence, default 0.99. */
  confidence?: number;
}

/** The per-second histograms of one class×op, or why there are none. */
function latencySeries(r: LoadedResult, phase: PhaseResult, cls: string, op: string, kind: 'response' | 'service'): IntervalCounts[] | string {
  const tags = r.hlog(cls);
  if (!tags) return `no ${cls}.hlog in ${r.dir}: no per-second histograms`;
  const s = tags.get(`${phase.name}.${op}.${kind}`);
  return s && s.length > 0 ? s : `${cls}.hlog has no ${phase.name}.${op}.${kind} intervals`;
}

function opSeconds(phase: PhaseResult, cls: string, op: string): { completed: number[]; errors: number[] } {
  const completed: number[] = [];
  const errors: number[] = [];
  for (const iv of phase.intervals) {
    if (iv.phase !== phase.name) continue;
    const o = iv.classes[cls]?.ops[op];
    completed.push(o ? o.count + o.errors : 0);
    errors.push(o ? o.errors : 0);
  }
  return { completed, errors };
}

/** A ratio metric from two log-scale estimates, centred on the reported point figures. */
function ratioMetric(metric: Metric, unit: MetricComparison['unit'], worse: MetricComparison['worse'], b: number, c: number, eb: SeriesEstimate | null, ec: SeriesEstimate | null, confidence: number, note?: string): MetricComparison {
  const base: MetricComparison = { metric, unit, baseline: b, candidate: c, scale: 'ratio', change: b > 0 ? c / b : null, low: null, high: null, significant: null, pValue: null, worse };
  if (!(b > 0 && c > 0)) return { ...base, note: note ?? 'a zero figure has no ratio' };
  if (!eb || !ec || eb.se === null || ec.se === null) return { ...base, note: note ?? 'too few seconds (or requests beyond the percentile) for an interval' };
  const r = ratioOfLogs({ ...eb, centre: Math.log(b) }, { ...ec, centre: Math.log(c) }, confidence);
  return { ...base, change: r.ratio, low: r.low, high: r.high, significant: r.significant, pValue: r.pValue };
}

function compareOp(b: LoadedResult, pb: PhaseResult, cb: ClassResult, c: LoadedResult, pc: PhaseResult, cc: ClassResult, cls: string, op: string, kind: 'response' | 'service', confidence: number): OpComparison {
  const ob = cb.ops[op];
  const oc = cc.ops[op];
  const metrics = {} as Record<Metric, MetricComparison>;

  const sb = opSeconds(pb, cls, op);
  const sc = opSeconds(pc, cls, op);
  const tb = (ob.count + ob.errors) / (pb.durationMs / 1000);
  const tc = (oc.count + oc.errors) / (pc.durationMs / 1000);
  const rb = sb.completed.length >= 2 ? rateEstimate(sb.completed, sb.completed.map(() => 1)) : null;
  const rc = sc.completed.length >= 2 ? rateEstimate(sc.completed, sc.completed.map(() => 1)) : null;
  metrics.throughput = ratioMetric('throughput', 'ops/s', 'lower', tb, tc, rb, rc, confidence);

  const eb = ob.count + ob.errors > 0 ? ob.errors / (ob.count + ob.errors) : 0;
  const ec = oc.count + oc.errors > 0 ? oc.errors / (oc.count + oc.errors) : 0;
  const d = welch({ ...proportionEstimate(sb.errors, sb.completed), centre: eb }, { ...proportionEstimate(sc.errors, sc.completed), centre: ec }, confidence);
  metrics.errorRate = {
    metric: 'errorRate', unit: 'fraction', baseline: eb, candidate: ec, scale: 'difference', change: ec - eb, low: d.low, high: d.high,
    significant: d.low === null || d.high === null ? null : d.low > 0 || d.high < 0, pValue: d.pValue, worse: 'higher',
    ...(d.low === null ? { note: 'too few seconds for an interval' } : {}),
  };

  const lb = latencySeries(b, pb, cls, op, kind);
  const lc = latencySeries(c, pc, cls, op, kind);
  for (const [metric, { p, field }] of Object.entries(PERCENTILES) as [keyof typeof PERCENTILES, (typeof PERCENTILES)[keyof typeof PERCENTILES]][]) {
    const vb = ob[kind][field];
    const vc = oc[kind][field];
    const note = typeof lb === 'string' ? lb : typeof lc === 'string' ? lc : p >= 1 ? 'the maximum has no interval (extremes do not average)' : undefined;
    const qb = typeof lb === 'string' ? null : quantileEstimate(lb, p);
    const qc = typeof lc === 'string' ? null : quantileEstimate(lc, p);
    metrics[metric] = ratioMetric(metric, 'ms', 'higher', vb, vc, qb, qc, confidence, note);
  }
  return { cls, op, latency: kind, metrics };
}

function ref(r: LoadedResult, phase: PhaseResult | undefined): RunRef {
  return { source: r.source, runId: r.result.runId, profileHash: r.profileHash, phase: phase?.name ?? '', durationMs: phase?.durationMs ?? 0 };
}

export function compareResults(baseline: LoadedResult, candidate: LoadedResult, o: CompareOptions = {}): Comparison {
  const confidence = o.confidence ?? 0.99;
  const pb = summaryPhase(baseline.result);
  const pc = summaryPhase(candidate.result);
  const warnings: string[] = [];
  const sameProfile = baseline.profileHash === candidate.profileHash;
  if (!sameProfile) warnings.push(`the runs are of different profiles (${baseline.profileHash.slice(0, 19)}… vs ${candidate.profileHash.slice(0, 19)}…): differences may be the workload's, not the build's`);
  for (const [name, r, ph] of [['baseline', baseline, pb], ['candidate', candidate, pc]] as const) {
    if (r.result.stopped) warnings.push(`the ${name} run did not complete (stopped: ${r.result.stopped})`);
    if (ph && ph.durationMs < SHORT_RUN_MS) warnings.push(`the ${name}'s ${ph.name} phase lasted ${(ph.durationMs / 1000).toFixed(0)} s: below ${SHORT_RUN_MS / 1000} s, too few independent seconds for reliable intervals (many are missing or too narrow)`);
  }
  const ops: OpComparison[] = [];
  if (pb && pc) {
    for (const [cls, cb] of Object.entries(pb.classes)) {
      const cc = pc.classes[cls];
      if (!cc) { warnings.push(`class ${cls} is only in the baseline`); continue; }
      const kind = o.serviceTime ? 'service' : cb.latency;
      if (!o.serviceTime && cb.latency !== cc.latency) warnings.push(`class ${cls}: the baseline reports ${cb.latency} time, the candidate ${cc.latency} time; comparing ${kind} time`);
      for (const op of Object.keys(cb.ops)) {
        if (!cc.ops[op]) { warnings.push(`class ${cls}: op ${op} is only in the baseline`); continue; }
        ops.push(compareOp(baseline, pb, cb, candidate, pc, cc, cls, op, kind, confidence));
      }
      for (const op of Object.keys(cc.ops)) if (!cb.ops[op]) warnings.push(`class ${cls}: op ${op} is only in the candidate`);
    }
    for (const cls of Object.keys(pc.classes)) if (!pb.classes[cls]) warnings.push(`class ${cls} is only in the candidate`);
  }
  return { baseline: ref(baseline, pb), candidate: ref(candidate, pc), confidence, sameProfile, ops, warnings };
}

/**
 * The per-second latency histograms of a run's summary phase, every op of the chosen classes
 * (default: all) added together — e.g. for `ab`'s single-round gain:
 * `ratioOfLogs(quantileEstimate(phaseLatency(base), 0.99), quantileEstimate(phaseLatency(cand), 0.99), 0.95)`.
 * Throws ResultReadError (from the .hlog) or returns [] when the run has no histograms.
 */
export function phaseLatency(r: LoadedResult, o: { serviceTime?: boolean; classes?: string[] } = {}): IntervalCounts[] {
  const ph = summaryPhase(r.result);
  if (!ph) return [];
  const lists: IntervalCounts[][] = [];
  for (const [cls, c] of Object.entries(ph.classes)) {
    if (o.classes && !o.classes.includes(cls)) continue;
    const kind = o.serviceTime ? 'service' : c.latency;
    for (const op of Object.keys(c.ops)) {
      const s = latencySeries(r, ph, cls, op, kind);
      if (typeof s !== 'string') lists.push(s);
    }
  }
  return mergeIntervals(lists);
}
