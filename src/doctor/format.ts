/** The doctor's report as text: one block per finding, its evidence, its fix, the guidance it maps to. */
import type { DoctorReport, Finding } from './types.js';

const ORDER = { FAIL: 0, WARN: 1, PASS: 2, SKIP: 3 } as const;

export function formatReport(r: DoctorReport): string {
  const lines: string[] = [];
  const inputs = [
    r.inputs.profile ? `profile ${r.inputs.profile}` : 'no profile',
    r.inputs.metricsUrls.length ? `metrics ${r.inputs.metricsUrls.join(', ')}` : 'no metrics',
    r.inputs.result ? `result ${r.inputs.result}` : null,
  ].filter(Boolean).join('; ');
  lines.push(`doctor: ${r.target} (${inputs})`, '');
  for (const f of r.findings) lines.push(...block(f));
  const t = r.totals;
  lines.push(`${t.PASS} pass, ${t.WARN} warn, ${t.FAIL} fail, ${t.SKIP} skipped`);
  return lines.join('\n');
}

function block(f: Finding): string[] {
  const out = [`${f.status.padEnd(4)}  ${f.check}: ${f.subject}: ${f.summary}`];
  for (const e of f.evidence) out.push(`        ${e.source}: ${e.detail}`);
  if (f.fix) out.push(`        fix: ${f.fix}`);
  if (f.guidance) out.push(`        (${f.guidance})`);
  out.push('');
  return out;
}

/** Findings worst first, stable within a status (the check order stays). */
export function worstFirst(findings: readonly Finding[]): Finding[] {
  return findings.map((f, i) => ({ f, i })).sort((a, b) => ORDER[a.f.status] - ORDER[b.f.status] || a.i - b.i).map((x) => x.f);
}
