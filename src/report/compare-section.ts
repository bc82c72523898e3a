/**
 * The section of a comparison (`report --baseline A B`): what `scylla-bench compare A B` prints —
 * computed by results/compare.ts, nothing recomputed here — and the two runs overlaid: each
 * class×op's percentile spectrum and its p99 per second, baseline dashed, candidate solid.
 * Cells carry `data-k`, a JSON pointer into the Comparison (the `compare --json` object).
 */
import { METRICS, type Comparison, type Metric, type MetricComparison } from '../results/compare.js';
import { formatChange, formatValue } from '../results/gate.js';
import { summaryPhase } from '../results/result.js';
import { Charts, spectrumChart } from './charts.js';
import { esc } from './format.js';
import type { RunInput } from './input.js';
import { pointer } from './run-section.js';
import { spectrumOfEncoded } from './spectrum.js';

export const BASELINE_COLOUR = '#9467bd';
export const CANDIDATE_COLOUR = '#1f77b4';

const LABEL: Record<Metric, string> = { throughput: 'throughput', errorRate: 'error rate', p50: 'p50', p90: 'p90', p99: 'p99', p999: 'p99.9', max: 'max' };

/** As `compare` words it: "yes, worse" / "yes, better" / "no" / "—" (no interval). */
export function significance(m: MetricComparison): string {
  if (m.significant === null) return '—';
  if (!m.significant) return 'no';
  const up = m.scale === 'ratio' ? m.change! > 1 : m.change! > 0;
  return (m.worse === 'higher' ? up : !up) ? 'yes, worse' : 'yes, better';
}

function p99PerSecond(run: RunInput, cls: string, op: string): { t: number; v: number | null }[] {
  const ph = summaryPhase(run.result);
  return (ph?.intervals ?? []).map((iv) => {
    const o = iv.classes[cls]?.ops[op];
    return { t: iv.t, v: o && o.count > 0 && o.p99Ms > 0 ? o.p99Ms : null };
  });
}

export function compareSection(base: RunInput, cand: RunInput, c: Comparison, charts: Charts): string {
  const pct = Math.round(c.confidence * 100);
  const out: string[] = [];
  const ref = (who: string, r: Comparison['baseline']): string => `<dt>${who}</dt><dd><b>${esc(r.runId)}</b> (<code>${esc(r.source)}</code>), phase ${esc(r.phase)}, ${(r.durationMs / 1000).toFixed(0)} s</dd>`;
  out.push(`<dl class="meta">${ref('baseline', c.baseline)}${ref('candidate', c.candidate)}<dt>profile</dt><dd>${c.sameProfile ? 'the same' : '<span class="bad">different</span>'}</dd><dt>intervals</dt><dd>${pct} %, from each run's per-second series (Welch on logs; see docs/results.md)</dd></dl>`);
  if (c.warnings.length) out.push(`<details class="warnings" open><summary>${c.warnings.length} warning${c.warnings.length === 1 ? '' : 's'}</summary><ul>${c.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul></details>`);
  if (c.ops.length === 0) out.push('<p class="note">No class × op in common.</p>');
  const pb = summaryPhase(base.result);
  const pc = summaryPhase(cand.result);
  c.ops.forEach((o, i) => {
    const rows = METRICS.map((metric) => {
      const m = o.metrics[metric];
      const k = (f: string): string => pointer('ops', i, 'metrics', metric, f);
      const sig = significance(m);
      const cls = sig === 'yes, worse' ? 'bad' : sig === 'yes, better' ? 'good' : '';
      return `<tr><td>${LABEL[metric]}</td><td data-k="${esc(k('baseline'))}" data-v="${esc(JSON.stringify(m.baseline))}">${esc(formatValue(m, m.baseline))}</td>`
        + `<td data-k="${esc(k('candidate'))}" data-v="${esc(JSON.stringify(m.candidate))}">${esc(formatValue(m, m.candidate))}</td>`
        + `<td data-k="${esc(k('change'))}" data-v="${esc(JSON.stringify(m.change))}">${esc(formatChange(m))}</td><td class="${cls}">${esc(sig)}</td><td class="note">${esc(m.note ?? '')}</td></tr>`;
    }).join('');
    out.push(`<h3>${esc(o.cls)}.${esc(o.op)} (${esc(o.latency)} time)</h3><div class="scroll"><table class="figures"><thead><tr><th>metric</th><th>baseline</th><th>candidate</th><th>change [${pct}% interval]</th><th>significant</th><th></th></tr></thead><tbody>${rows}</tbody></table></div>`);
    const ob = pb?.classes[o.cls]?.ops[o.op];
    const oc = pc?.classes[o.cls]?.ops[o.op];
    const figs: string[] = [];
    if (ob && oc) {
      figs.push(charts.figure(spectrumChart(`${o.cls}.${o.op}: ${o.latency} time by percentile`, [
        { label: `baseline ${c.baseline.runId}`, color: BASELINE_COLOUR, dash: [6, 4], spectrum: spectrumOfEncoded([ob[o.latency].histogram]) },
        { label: `candidate ${c.candidate.runId}`, color: CANDIDATE_COLOUR, spectrum: spectrumOfEncoded([oc[o.latency].histogram]) },
      ])));
    }
    const sb = p99PerSecond(base, o.cls, o.op);
    const sc = p99PerSecond(cand, o.cls, o.op);
    const ts = [...new Set([...sb, ...sc].map((x) => x.t))].sort((a, b) => a - b);
    if (ts.length > 0) {
      const at = (s: { t: number; v: number | null }[]): (number | null)[] => ts.map((t) => s.find((x) => x.t === t)?.v ?? null);
      figs.push(charts.figure({
        title: `${o.cls}.${o.op}: p99 per second, ${c.candidate.phase} phase`,
        x: { kind: 'seconds', label: 'time since the phase start' }, y: { label: 'ms (log)', log: true },
        series: [{ label: 'baseline p99', color: BASELINE_COLOUR, dash: [6, 4], width: 2 }, { label: 'candidate p99', color: CANDIDATE_COLOUR, width: 2 }],
        data: [ts, at(sb), at(sc)],
      }));
    }
    if (figs.length) out.push(`<div class="grid2">${figs.join('')}</div>`);
  });
  return out.join('\n');
}
