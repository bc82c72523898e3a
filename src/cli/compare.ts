/**
 * `scylla-bench compare <baseline> <candidate>`: per class × op, the baseline and candidate
 * figures, the change with its 99 % interval and whether it is significant — a rendering of
 * results/compare.ts, nothing computed here. Bad inputs become one line and exit 2.
 */
import Table from 'cli-table3';
import { compareResults, METRICS, type Comparison, type Metric } from '../results/compare.js';
import { formatChange, formatValue } from '../results/gate.js';
import { readResult, ResultReadError, type LoadedResult } from '../results/read.js';
import { ExitCode, UserError } from './exit.js';

export interface CompareFlags {
  baseline: string;
  candidate: string;
  json: boolean;
  serviceTime: boolean;
}

/** readResult with its error turned into the CLI's one-line bad input. */
export function loadResult(source: string): LoadedResult {
  try {
    return readResult(source);
  } catch (e) {
    if (e instanceof ResultReadError) throw new UserError(e.message);
    throw e;
  }
}

const LABEL: Record<Metric, string> = { throughput: 'throughput', errorRate: 'error rate', p50: 'p50', p90: 'p90', p99: 'p99', p999: 'p99.9', max: 'max' };

export function renderComparison(c: Comparison): string {
  const pct = Math.round(c.confidence * 100);
  const lines = [
    `baseline  ${c.baseline.runId} (${c.baseline.source}), phase ${c.baseline.phase}, ${(c.baseline.durationMs / 1000).toFixed(0)} s`,
    `candidate ${c.candidate.runId} (${c.candidate.source}), phase ${c.candidate.phase}, ${(c.candidate.durationMs / 1000).toFixed(0)} s`,
  ];
  for (const o of c.ops) {
    const t = new Table({ head: [`${o.cls}.${o.op} (${o.latency} time)`, 'baseline', 'candidate', `change [${pct}% interval]`, 'significant'], style: { head: [], border: [] }, colAligns: ['left', 'right', 'right', 'right', 'left'] });
    for (const metric of METRICS) {
      const m = o.metrics[metric];
      const sig = m.significant === null ? '—' : m.significant ? (isWorse(m.change!, m) ? 'yes, worse' : 'yes, better') : 'no';
      t.push([LABEL[metric], formatValue(m, m.baseline), formatValue(m, m.candidate), formatChange(m), sig]);
    }
    lines.push('', t.toString());
  }
  if (c.ops.length === 0) lines.push('', 'no class × op in common');
  for (const w of c.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n');
}

function isWorse(change: number, m: { scale: 'ratio' | 'difference'; worse: 'higher' | 'lower' }): boolean {
  const up = m.scale === 'ratio' ? change > 1 : change > 0;
  return m.worse === 'higher' ? up : !up;
}

export function compareCommand(f: CompareFlags): number {
  const b = loadResult(f.baseline);
  const c = loadResult(f.candidate);
  const cmp = compareResults(b, c, { serviceTime: f.serviceTime });
  if (f.json) process.stdout.write(`${JSON.stringify(cmp)}\n`);
  else process.stdout.write(`${renderComparison(cmp)}\n`);
  return ExitCode.OK;
}
