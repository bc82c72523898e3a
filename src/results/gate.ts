/**
 * The regression gate: rules per class × op, judged on a Comparison (compare.ts).
 *
 * Rules (a gate.yaml, or the profile's `gate:` section), keyed `'*'` (every class × op),
 * `<class>`, `'*.<op>'` or `<class>.<op>`; the more specific key wins per metric:
 *
 *   '*':       { p99: +10%, throughput: -5% }
 *   oltp:      { p99: +5%, p99Ms: 20, errorRate: 0.1% }
 *   oltp.scan: { p99: off }
 *
 * Relative rules (p50, p90, p99, p999: `+N%`; throughput: `-N%`) fail only when the regression
 * is beyond the tolerance AND significant: the whole interval lies beyond it (its lower bound
 * above 1 + N % for latency, its upper bound below 1 − N % for throughput). A noisy runner widens
 * the interval and so cannot fail a build; without an interval the rule is inconclusive.
 * Absolute rules (p50Ms … maxMs: upper limits in ms, errorRate: an upper limit, minThroughput:
 * a lower limit in ops/s) compare the candidate's figure with the limit.
 */
import type { Comparison, MetricComparison, OpComparison } from './compare.js';

export { DEFAULT_RULES, GateRuleError, gateRulesSchema, parseRules, parseRulesYaml, ruleSetSchema, type GateRules, type RuleSet } from '../profile/gate-rules.js';
import { DEFAULT_RULES, GateRuleError, RELATIVE, pct, type AbsoluteMetric, type GateRules, type RelativeMetric, type RuleSet } from '../profile/gate-rules.js';

export type Verdict = 'pass' | 'fail' | 'inconclusive';

export interface RuleOutcome {
  cls: string;
  op: string;
  metric: RelativeMetric | AbsoluteMetric;
  /** The rule as written, e.g. `p99: +10%`. */
  rule: string;
  kind: 'relative' | 'absolute';
  verdict: Verdict;
  /** One line with the numbers (and the interval for relative rules). */
  message: string;
  comparison: MetricComparison;
}

export interface GateReport {
  pass: boolean;
  failures: number;
  inconclusive: number;
  outcomes: RuleOutcome[];
  comparison: Comparison;
}

const fmtMs = (x: number): string => `${x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)} ms`;
const fmtOps = (x: number): string => `${x.toFixed(x >= 100 ? 0 : 1)} ops/s`;
const fmtPct = (x: number): string => `${x >= 0.1 ? (x * 100).toFixed(1) : (x * 100).toPrecision(2)}%`;
const signedPct = (ratio: number): string => `${ratio >= 1 ? '+' : '−'}${Math.abs((ratio - 1) * 100).toFixed(1)}%`;

/** The figure of a metric comparison in its unit. */
export function formatValue(m: MetricComparison, x: number): string {
  return m.unit === 'ms' ? fmtMs(x) : m.unit === 'ops/s' ? fmtOps(x) : fmtPct(x);
}

/** `+22.4% [+15.0%, +30.1%]` (ratios) or `+0.20 pp [..]` (error rate). */
export function formatChange(m: MetricComparison): string {
  if (m.change === null) return 'n/a';
  if (m.scale === 'difference') {
    const pp = (x: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(2)} pp`;
    return `${pp(m.change)}${m.low !== null && m.high !== null ? ` [${pp(m.low)}, ${pp(m.high)}]` : ''}`;
  }
  return `${signedPct(m.change)}${m.low !== null && m.high !== null ? ` [${signedPct(m.low)}, ${signedPct(m.high)}]` : ''}`;
}

/**
 * A relative rule on one metric: fail iff the whole interval of the ratio lies beyond the
 * tolerance in the worse direction (exported for the calibration benchmark).
 */
export function relativeVerdict(m: MetricComparison, tolerance: number): Verdict {
  if (m.low === null || m.high === null) return 'inconclusive';
  return m.worse === 'higher' ? (m.low > 1 + tolerance ? 'fail' : 'pass') : (m.high < 1 - tolerance ? 'fail' : 'pass');
}

function matchRules(rules: GateRules, cls: string, op: string): Map<string, { value: string | number; key: string }> {
  const out = new Map<string, { value: string | number; key: string }>();
  for (const key of ['*', `*.${op}`, cls, `${cls}.${op}`]) {
    const set = rules[key];
    if (!set) continue;
    for (const [m, v] of Object.entries(set)) {
      if (v === undefined) continue;
      if (v === 'off') out.delete(m);
      else out.set(m, { value: v, key });
    }
  }
  return out;
}

/** Every rule key must name a class (and op) both runs have: a typo must not pass silently. */
function checkKeys(rules: GateRules, ops: OpComparison[], where: string): void {
  const classes = new Set(ops.map((o) => o.cls));
  const opNames = new Set(ops.map((o) => o.op));
  for (const key of Object.keys(rules)) {
    if (key === '*') continue;
    const dot = key.indexOf('.');
    const cls = dot < 0 ? key : key.slice(0, dot);
    const op = dot < 0 ? undefined : key.slice(dot + 1);
    if (cls !== '*' && !classes.has(cls)) throw new GateRuleError(`${where}: '${key}': unknown class '${cls}' (the runs have: ${[...classes].join(', ') || 'none'})`);
    if (op !== undefined && !(cls === '*' ? opNames.has(op) : ops.some((o) => o.cls === cls && o.op === op))) {
      throw new GateRuleError(`${where}: '${key}': unknown op '${op}'${cls === '*' ? '' : ` in class ${cls}`}`);
    }
  }
}

export function evaluateGate(cmp: Comparison, rules: GateRules, where: string): GateReport {
  checkKeys(rules, cmp.ops, where);
  const outcomes: RuleOutcome[] = [];
  for (const o of cmp.ops) {
    for (const [metric, { value }] of matchRules(rules, o.cls, o.op)) {
      const rule = `${metric}: ${value}`;
      if ((RELATIVE as readonly string[]).includes(metric)) {
        const m = o.metrics[metric as RelativeMetric];
        const tolerance = Number(pct.exec(String(value))![2]) / 100;
        const verdict = relativeVerdict(m, tolerance);
        const label = metric === 'throughput' ? 'throughput' : metric === 'p999' ? 'p99.9' : metric;
        const figures = `${label} ${formatValue(m, m.baseline)} → ${formatValue(m, m.candidate)}, ${formatChange(m)} (${Math.round(cmp.confidence * 100)}% interval)`;
        const message = verdict === 'fail'
          ? `${figures}: regression beyond ${value}, significant`
          : verdict === 'inconclusive'
            ? `${figures}: no interval (${m.note ?? 'too little data'}); not judged`
            : `${figures}: within ${value} or not significant`;
        outcomes.push({ cls: o.cls, op: o.op, metric: metric as RelativeMetric, rule, kind: 'relative', verdict, message, comparison: m });
      } else {
        const am = metric as AbsoluteMetric;
        const m = am === 'errorRate' ? o.metrics.errorRate : am === 'minThroughput' ? o.metrics.throughput : o.metrics[am.replace(/Ms$/, '') as 'p50' | 'p90' | 'p99' | 'p999' | 'max'];
        const limit = am === 'errorRate' && typeof value === 'string' ? Number(value.replace('%', '')) / 100 : Number(value);
        const fail = am === 'minThroughput' ? m.candidate < limit : m.candidate > limit;
        const label = am === 'minThroughput' ? 'throughput' : am === 'errorRate' ? 'error rate' : am.replace(/Ms$/, '').replace('p999', 'p99.9');
        const message = `${label} ${formatValue(m, m.candidate)} ${fail ? (am === 'minThroughput' ? 'is below' : 'exceeds') : (am === 'minThroughput' ? 'meets' : 'is within')} the limit ${formatValue(m, limit)}`;
        outcomes.push({ cls: o.cls, op: o.op, metric: am, rule, kind: 'absolute', verdict: fail ? 'fail' : 'pass', message, comparison: m });
      }
    }
  }
  const failures = outcomes.filter((x) => x.verdict === 'fail').length;
  return { pass: failures === 0, failures, inconclusive: outcomes.filter((x) => x.verdict === 'inconclusive').length, outcomes, comparison: cmp };
}
