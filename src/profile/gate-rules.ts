/**
 * The regression gate's rules: configuration, so they live with the profile (a profile's `gate:`
 * section is checked when it loads; `gate --rules file.yaml` reads the same grammar). The judging
 * is results/gate.ts.
 */
import { LineCounter, parseDocument, isMap, type Node } from 'yaml';
import { z } from 'zod';

/** A rule file or section that cannot be used: one line (file:line:col when known). */
export class GateRuleError extends Error {
  override name = 'GateRuleError';
}

export const RELATIVE = ['p50', 'p90', 'p99', 'p999', 'throughput'] as const;
export const ABSOLUTE_MS = ['p50Ms', 'p90Ms', 'p99Ms', 'p999Ms', 'maxMs'] as const;
export type RelativeMetric = (typeof RELATIVE)[number];
export type AbsoluteMetric = (typeof ABSOLUTE_MS)[number] | 'errorRate' | 'minThroughput';

export const pct = /^\s*([+-])?\s*(\d+(?:\.\d+)?)\s*%\s*$/;
const relativeValue = z.union([z.literal('off'), z.string().regex(pct, "a relative change like '+10%'")]);
const fractionValue = z.union([z.literal('off'), z.string().regex(/^\s*\d+(?:\.\d+)?\s*%\s*$/, "a percentage like '0.1%'"), z.number().min(0).max(1)]);
const limitValue = z.union([z.literal('off'), z.number().positive()]);

export const ruleSetSchema = z.strictObject({
  p50: relativeValue.optional(),
  p90: relativeValue.optional(),
  p99: relativeValue.optional(),
  p999: relativeValue.optional(),
  throughput: relativeValue.optional(),
  p50Ms: limitValue.optional(),
  p90Ms: limitValue.optional(),
  p99Ms: limitValue.optional(),
  p999Ms: limitValue.optional(),
  maxMs: limitValue.optional(),
  errorRate: fractionValue.optional(),
  minThroughput: limitValue.optional(),
});
export type RuleSet = z.infer<typeof ruleSetSchema>;

/** `gate:` in a profile, or a gate.yaml: key ('*', class, '*.op', class.op) → rules. */
export const gateRulesSchema = z.record(z.string(), ruleSetSchema);
export type GateRules = z.infer<typeof gateRulesSchema>;

export const DEFAULT_RULES: GateRules = { '*': { p99: '+10%', throughput: '-5%' } };

/** Validates rules already parsed (e.g. a profile's `gate:` section); `where` names them in errors. */
export function parseRules(value: unknown, where: string): GateRules {
  const r = gateRulesSchema.safeParse(value);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new GateRuleError(`${where}: ${i.path.map(String).join('.') || '(top level)'}: ${i.message}`);
  }
  checkDirections(r.data, where);
  return r.data;
}

function checkDirections(rules: GateRules, where: string): void {
  for (const [key, set] of Object.entries(rules)) {
    for (const m of RELATIVE) {
      const v = set[m];
      if (v === undefined || v === 'off') continue;
      const sign = pct.exec(v)![1];
      if (m === 'throughput' ? sign === '+' : sign === '-') {
        throw new GateRuleError(`${where}: ${key}.${m}: '${v}': a tolerance says how much worse is allowed: ${m === 'throughput' ? "throughput: -5%" : `${m}: +10%`}`);
      }
    }
  }
}

/** Reads a gate.yaml (or any YAML with a `gate:` section, e.g. a profile). */
export function parseRulesYaml(text: string, file: string): GateRules {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const pos = lc.linePos(e.pos[0]);
    throw new GateRuleError(`${file}${pos ? `:${pos.line}:${pos.col}` : ''}: ${e.message.split('\n')[0]}`);
  }
  let root: unknown = doc.contents;
  let prefix: (string | number)[] = [];
  if (isMap(root) && root.has('gate')) { root = root.get('gate', true); prefix = ['gate']; }
  const value = (root as Node | null)?.toJSON?.() ?? null;
  const r = gateRulesSchema.safeParse(value);
  if (!r.success) {
    const i = r.error.issues[0];
    const path = [...prefix, ...i.path.map((p) => (typeof p === 'number' ? p : String(p)))];
    // point at the deepest node that exists
    let node: unknown;
    for (let n = path.length; n >= 0 && !node; n--) node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    const range = (node as Node | undefined)?.range;
    const pos = range ? lc.linePos(range[0]) : undefined;
    throw new GateRuleError(`${file}${pos ? `:${pos.line}:${pos.col}` : ''}: ${i.path.map(String).join('.') || 'gate'}: ${i.message}`);
  }
  checkDirections(r.data, file);
  return r.data;
}
