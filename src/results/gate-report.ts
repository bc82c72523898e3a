/**
 * The gate's outputs for CI systems: JUnit XML (one testcase per rule per class × op; a failure
 * carries the numbers and the interval) and a markdown summary (for GITHUB_STEP_SUMMARY or a
 * merge-request comment). Pure functions of a GateReport.
 */
import { formatChange, formatValue, type GateReport, type RuleOutcome } from './gate.js';

const xml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

export function renderJunit(r: GateReport, timestamp: string): string {
  const c = r.comparison;
  const skipped = r.inconclusive;
  const name = `scylla-bench gate: ${c.candidate.runId} vs baseline ${c.baseline.runId}`;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="scylla-bench gate" tests="${r.outcomes.length}" failures="${r.failures}" errors="0" skipped="${skipped}" time="0">`,
    `  <testsuite name="${xml(name)}" tests="${r.outcomes.length}" failures="${r.failures}" errors="0" skipped="${skipped}" time="0" timestamp="${xml(timestamp)}">`,
    '    <properties>',
    `      <property name="baseline" value="${xml(c.baseline.source)}"/>`,
    `      <property name="candidate" value="${xml(c.candidate.source)}"/>`,
    `      <property name="confidence" value="${c.confidence}"/>`,
    `      <property name="profileHash" value="${xml(c.candidate.profileHash)}"/>`,
    '    </properties>',
  ];
  for (const o of r.outcomes) {
    const open = `    <testcase classname="${xml(`${o.cls}.${o.op}`)}" name="${xml(o.rule)}" time="0"`;
    if (o.verdict === 'pass') lines.push(`${open}/>`);
    else if (o.verdict === 'inconclusive') lines.push(`${open}>`, `      <skipped message="${xml(o.message)}"/>`, '    </testcase>');
    else lines.push(`${open}>`, `      <failure message="${xml(o.message)}" type="${o.kind === 'relative' ? 'regression' : 'limit'}">${xml(detail(o, r))}</failure>`, '    </testcase>');
  }
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}

function detail(o: RuleOutcome, r: GateReport): string {
  const m = o.comparison;
  const rows = [
    `${o.cls}.${o.op} ${o.rule}`,
    `baseline  ${formatValue(m, m.baseline)} (${r.comparison.baseline.source})`,
    `candidate ${formatValue(m, m.candidate)} (${r.comparison.candidate.source})`,
  ];
  if (o.kind === 'relative') rows.push(`change    ${formatChange(m)} (${Math.round(r.comparison.confidence * 100)}% interval)${m.pValue !== null ? `, p = ${m.pValue.toPrecision(2)}` : ''}`);
  return rows.join('\n');
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const VERDICT = { pass: '✅ pass', fail: '❌ **fail**', inconclusive: '⚪ not judged' } as const;

export function renderMarkdown(r: GateReport): string {
  const c = r.comparison;
  const headline = r.pass
    ? `### scylla-bench gate: ✅ pass${r.inconclusive ? ` (${r.inconclusive} rule${r.inconclusive > 1 ? 's' : ''} not judged)` : ''}`
    : `### scylla-bench gate: ❌ ${r.failures} regression${r.failures > 1 ? 's' : ''}`;
  const latency = [...new Set(c.ops.map((o) => o.latency))].join(', ') || 'response';
  const lines = [
    headline,
    '',
    `Candidate \`${cell(c.candidate.runId)}\` vs baseline \`${cell(c.baseline.runId)}\` · ${latency} time · ${Math.round(c.confidence * 100)} % intervals. A relative rule fails only when the whole interval lies beyond its tolerance.`,
    '',
    '| class.op | rule | baseline | candidate | change [interval] | verdict |',
    '|---|---|---|---|---|---|',
  ];
  for (const o of r.outcomes) {
    const m = o.comparison;
    lines.push(`| ${cell(`${o.cls}.${o.op}`)} | ${cell(o.rule)} | ${formatValue(m, m.baseline)} | ${formatValue(m, m.candidate)} | ${o.kind === 'relative' ? formatChange(m) : '—'} | ${VERDICT[o.verdict]} |`);
  }
  if (r.outcomes.length === 0) lines.push('| — | no rule applies | | | | |');
  if (c.warnings.length > 0) lines.push('', ...c.warnings.map((w) => `> ⚠️ ${cell(w)}`));
  lines.push('');
  return lines.join('\n');
}
