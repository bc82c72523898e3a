/** The final table of a run: a rendering of the result file, nothing computed here. */
import Table from 'cli-table3';
import type { ClassResult, RunResult } from '../results/result.js';
import { summaryPhase, validationTotals } from '../results/result.js';

export function renderRunTable(r: RunResult): string {
  const phase = summaryPhase(r);
  if (!phase) return 'no load phase ran';
  const t = new Table({
    head: ['class', 'op', 'latency', 'ops', 'errors', 'rows', 'ops/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'misroute'],
    style: { head: [], border: [] },
  });
  for (const [cls, c] of Object.entries(phase.classes)) {
    for (const [op, o] of Object.entries(c.ops)) {
      const l = c.latency === 'response' ? o.response : o.service;
      t.push([
        `${cls}${c.serviceLevel ? ` (sl ${c.serviceLevel}${c.serviceLevelTimeoutMs !== null && c.serviceLevelTimeoutMs !== undefined ? `, timeout ${c.serviceLevelTimeoutMs} ms` : ''})` : ''}`, op, c.latency, o.count, o.errors, o.rows ?? 0,
        ((o.count + o.errors) / (phase.durationMs / 1000)).toFixed(0),
        l.p50Ms.toFixed(2), l.p99Ms.toFixed(2), l.p999Ms.toFixed(2), l.maxMs.toFixed(2),
        c.shards.misrouteRatio === null ? 'n/a' : `${(c.shards.misrouteRatio * 100).toFixed(1)}%`,
      ]);
    }
  }
  const lines = [`phase ${phase.name} (${(phase.durationMs / 1000).toFixed(1)} s), routing ${Object.values(phase.classes)[0]?.routing ?? '?'}`, t.toString()];
  for (const [cls, c] of Object.entries(phase.classes)) {
    const rate = c.cdc ? `CDC consumer of ${c.cdc.table}: ${c.cdc.changes} changes read${c.cdc.expected !== null ? ` of ${c.cdc.expected} written, ${c.cdc.missing} missing, ${c.cdc.duplicate} duplicate` : ''}, ${c.cdc.caughtUp ? `caught up ${c.cdc.drainMs} ms after the writers` : 'NOT caught up'}; ${c.rate.achieved} log queries/s`
      : c.rate.target !== null ? `${c.rate.achieved}/${c.rate.target} ops/s ${rateVerdict(c)}` : `${c.rate.achieved} ops/s (closed loop, ${c.concurrency} in flight)`;
    const failed = c.slo.checks.filter((x) => !x.pass).map((x) => `${x.op} ${x.metric} ${x.actual} > ${x.limit}`);
    lines.push(`${cls}: ${rate}; shard imbalance ${c.shards.imbalance.toFixed(2)}${c.slo.checks.length ? `; SLO ${c.slo.pass ? 'pass' : `FAIL (${failed.join(', ')})`}` : ''}`);
    const v = c.viewLag;
    if (v) lines.push(`${cls}: view lag (write acknowledged → row in the view; op view-lag): ${v.sampled} writes sampled, ${v.seen} view rows seen, ${v.timeouts} not seen in time, ${v.unresolved} still followed at the end; ${v.polls} polls (${v.pollErrors} failed)`);
  }
  for (const e of Object.entries(phase.classes).flatMap(([cls, c]) => Object.entries(c.ops).flatMap(([op, o]) => Object.entries(o.errorsByKind).map(([k, n]) => `${cls}/${op}: ${n} × ${k}`)))) lines.push(`errors ${e}`);
  const v = validationTotals(r.phases);
  if (v) {
    for (const [op, x] of Object.entries(v.byOp)) lines.push(`validate ${op}: ${x.checked} rows checked, ${x.mismatch} mismatch, ${x.missing} missing${x.mismatch + x.missing > 0 ? ' — FAIL' : ''}`);
  }
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n');
}

/** The open-loop schedule in words: kept, or why not, with what was left unsent. */
function rateVerdict(c: ClassResult): string {
  const parts: string[] = [];
  const sch = c.schedule;
  if (sch) parts.push(`${(sch.within1msRatio * 100).toFixed(1)}% sent within 1 ms of schedule, lag p99 ${sch.lagP99Ms.toFixed(2)} ms`);
  if (c.rate.unsent) parts.push(`${c.rate.unsent} unsent`);
  if (c.rate.sentAfterWindow) parts.push(`${c.rate.sentAfterWindow} sent after the window`);
  const verdict = c.rate.kept === false ? 'schedule NOT kept' : 'schedule kept';
  return `(${verdict}${parts.length ? `: ${parts.join(', ')}` : ''})`;
}
