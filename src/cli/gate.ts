/**
 * `scylla-bench gate <candidate> --baseline <dir>`: judge a run against a baseline with the
 * rules of --rules, else the profile's `gate:` section, else the defaults (p99 +10 %, throughput
 * −5 %, every class × op). Exit 0 pass, 1 regression, 2 bad input (a missing or unreadable
 * result, an unknown class in the rules, runs of different profiles without --force).
 * Writes --junit and --markdown files, and appends the markdown to $GITHUB_STEP_SUMMARY.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { compareResults } from '../results/compare.js';
import { DEFAULT_RULES, evaluateGate, GateRuleError, parseRules, parseRulesYaml, type GateReport, type GateRules } from '../results/gate.js';
import { renderJunit, renderMarkdown } from '../results/gate-report.js';
import type { LoadedResult } from '../results/read.js';
import { loadResult } from './compare.js';
import { ExitCode, UserError } from './exit.js';

export interface GateOptions {
  /** A gate.yaml (or any YAML with a `gate:` section). */
  rules?: string;
  junit?: string;
  markdown?: string;
  /** Gate runs of different profiles, or a run that was stopped. */
  force?: boolean;
  serviceTime?: boolean;
  json?: boolean;
  /** Where the report goes (stdout; `run --baseline` sends it to stderr when printing --json). */
  out?: (text: string) => void;
  env?: NodeJS.ProcessEnv;
}

function rulesFor(candidate: LoadedResult, o: GateOptions): { rules: GateRules; where: string } {
  try {
    if (o.rules) {
      let text: string;
      try {
        text = readFileSync(o.rules, 'utf8');
      } catch (e) {
        throw new UserError(`--rules: cannot read ${o.rules}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      return { rules: parseRulesYaml(text, o.rules), where: o.rules };
    }
    const fromProfile = (candidate.result.profile as { gate?: unknown }).gate;
    if (fromProfile !== undefined && fromProfile !== null) return { rules: parseRules(fromProfile, `${candidate.file}: profile gate`), where: 'the profile\'s gate section' };
    return { rules: DEFAULT_RULES, where: 'the default rules' };
  } catch (e) {
    if (e instanceof GateRuleError) throw new UserError(e.message);
    throw e;
  }
}

function write(file: string, text: string, flag: string): void {
  try {
    writeFileSync(file, text);
  } catch (e) {
    throw new UserError(`${flag}: cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export function renderGate(r: GateReport, rulesFrom: string): string {
  const tag = { pass: 'pass', fail: 'FAIL', inconclusive: 'n/j ' } as const;
  const lines = [`gate: candidate ${r.comparison.candidate.runId} vs baseline ${r.comparison.baseline.runId}, rules from ${rulesFrom}`];
  for (const o of r.outcomes) lines.push(`  ${tag[o.verdict]}  ${o.cls}.${o.op}  ${o.rule}  ${o.message}`);
  lines.push(r.pass
    ? `gate: pass (${r.outcomes.length} rule checks${r.inconclusive ? `, ${r.inconclusive} not judged (n/j)` : ''})`
    : `gate: FAIL (${r.failures} of ${r.outcomes.length} rule checks)`);
  for (const w of r.comparison.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n');
}

/**
 * Gate a loaded candidate against a loaded baseline and write the outputs; resolves to the exit
 * code. `run --baseline <dir>` calls this after its run with the result it just wrote.
 */
export function gateResults(baseline: LoadedResult, candidate: LoadedResult, o: GateOptions = {}): number {
  const out = o.out ?? ((s: string) => { process.stdout.write(s); });
  const env = o.env ?? process.env;
  if (baseline.profileHash !== candidate.profileHash && !o.force) {
    throw new UserError(`${candidate.source} and ${baseline.source} are runs of different profiles (${candidate.profileHash.slice(0, 19)}… vs ${baseline.profileHash.slice(0, 19)}…): pass --force to gate them anyway`);
  }
  for (const [name, r] of [['baseline', baseline], ['candidate', candidate]] as const) {
    if (r.result.stopped && !o.force) throw new UserError(`${r.source}: the ${name} run did not complete (stopped: ${r.result.stopped}); pass --force to gate it anyway`);
  }
  const { rules, where } = rulesFor(candidate, o);
  const cmp = compareResults(baseline, candidate, { serviceTime: o.serviceTime });
  // a result.json copied without its .hlog files would leave every percentile rule unjudged
  for (const cls of new Set(cmp.ops.map((x) => x.cls))) {
    for (const r of [baseline, candidate]) {
      let present = false;
      try {
        present = r.hlog(cls) !== null;
      } catch (e) {
        throw new UserError((e as Error).message);
      }
      if (!present) throw new UserError(`${r.dir}: no ${cls}.hlog beside result.json: the gate needs the per-second histograms (keep the whole result directory)`);
    }
  }
  let report: GateReport;
  try {
    report = evaluateGate(cmp, rules, where);
  } catch (e) {
    if (e instanceof GateRuleError) throw new UserError(e.message);
    throw e;
  }
  const markdown = renderMarkdown(report);
  if (o.junit) write(o.junit, renderJunit(report, new Date().toISOString()), '--junit');
  if (o.markdown) write(o.markdown, markdown, '--markdown');
  if (env.GITHUB_STEP_SUMMARY) {
    try {
      appendFileSync(env.GITHUB_STEP_SUMMARY, `${markdown}\n`);
    } catch (e) {
      throw new UserError(`GITHUB_STEP_SUMMARY: cannot append to ${env.GITHUB_STEP_SUMMARY}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  out(o.json ? `${JSON.stringify({ pass: report.pass, failures: report.failures, inconclusive: report.inconclusive, rulesFrom: where, outcomes: report.outcomes.map(({ comparison, ...rest }) => ({ ...rest, comparison })), comparison: report.comparison })}\n` : `${renderGate(report, where)}\n`);
  return report.pass ? ExitCode.OK : ExitCode.CHECKS_FAILED;
}

export interface GateFlags extends GateOptions {
  candidate: string;
  baseline: string;
}

export function gateCommand(f: GateFlags): number {
  return gateResults(loadResult(f.baseline), loadResult(f.candidate), f);
}
