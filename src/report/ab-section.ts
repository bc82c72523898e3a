/**
 * The section of an `ab` result: variants side by side (figures from ab.json), the gains with
 * their 95 % intervals worded as the CLI prints them, per-round figures, and each variant's
 * latency spectrum from its rounds' histograms merged (read from the round result directories).
 */
import { Charts, colour, spectrumChart, type SeriesSpec } from './charts.js';
import { esc, fixed, gainText, int, ms, na, pct, type Estimate } from './format.js';
import type { AbInput } from './input.js';
import { cell, pointer, summaryPhaseIndex } from './run-section.js';
import { spectrumOfEncoded } from './spectrum.js';

/** The forest plot's range: ratios from 1/4 to 4 on a log scale; beyond it an arrow shows the bar goes on. */
const FOREST_LOG2 = 2;

function forest(e: Estimate): string {
  if (e.ratio === null || !Number.isFinite(e.ratio) || e.ratio <= 0) return '';
  const pos = (v: number): number => Math.min(100, Math.max(0, ((Math.log2(v) + FOREST_LOG2) / (2 * FOREST_LOG2)) * 100));
  const lo = e.low !== null && e.low > 0 ? e.low : e.ratio;
  const hi = e.high !== null ? e.high : e.ratio;
  const spans = e.low !== null && e.high !== null && e.low <= 1 && e.high >= 1;
  const cls = e.low === null || e.high === null || spans ? 'flat' : e.ratio > 1 ? 'up' : 'down';
  return `<div class="forest ${cls}" title="${esc(`ratio ${e.ratio.toFixed(3)}, 95% interval [${e.low?.toFixed(3) ?? na}, ${e.high?.toFixed(3) ?? na}]`)}">`
    + `<span class="one"></span><span class="bar" style="left:${pos(lo).toFixed(1)}%;width:${Math.max(0.5, pos(hi) - pos(lo)).toFixed(1)}%"></span>`
    + `<span class="dot" style="left:${pos(e.ratio).toFixed(1)}%"></span>${pos(lo) === 0 ? '<span class="more l">◀</span>' : ''}${pos(hi) === 100 ? '<span class="more r">▶</span>' : ''}</div>`;
}

function gainGroup(label: string): string {
  return `<tr class="group"><th colspan="8">${esc(label)}</th></tr>`;
}

function gainRow(metric: string, e: Estimate, k: string, text = gainText(e)): string {
  return `<tr><td>${esc(metric)}</td>${cell(`${k}/ratio`, e.ratio, e.ratio === null ? na : fixed(e.ratio, 3))}${cell(`${k}/low`, e.low, fixed(e.low, 3))}${cell(`${k}/high`, e.high, fixed(e.high, 3))}`
    + `<td>${int(e.samples)}</td><td>${esc(e.method)}</td><td class="verdict" data-k="${esc(k)}" data-text="1">${esc(text)}</td><td class="forestcell">${forest(e)}</td></tr>`;
}

export function abSection(input: AbInput, charts: Charts): string {
  const a = input.ab;
  const variants = Object.entries(a.variants);
  const rounds = variants[0]?.[1].rounds.length ?? 0;
  const out: string[] = [];
  out.push(`<dl class="meta"><dt>vary</dt><dd>${esc(a.vary)}</dd><dt>rounds</dt><dd>${rounds} of ${a.rounds}, interleaved (A B A B …); percentiles from every round's histograms merged</dd><dt>variants</dt><dd>${variants.map(([v]) => esc(v)).join(', ')}</dd></dl>`);
  if (a.stopped) out.push(`<p class="banner bad" data-k="/stopped" data-v="${esc(JSON.stringify(a.stopped))}">Stopped early: ${esc(a.stopped)}</p>`);
  if (a.warnings.length) out.push(`<details class="warnings"><summary>${a.warnings.length} warning${a.warnings.length === 1 ? '' : 's'}</summary><ul>${a.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul></details>`);

  const vrows = variants.map(([v, s]) => {
    const k = (f: string): string => pointer('variants', v, f);
    const mis = Object.values(s.classes).map((c) => c.misrouteRatio);
    const misAll = mis.some((m) => m === null) ? null : Math.max(0, ...(mis as number[]));
    const kept = Object.values(s.classes).map((c) => c.rate.kept);
    const keptText = kept.every((x) => x === null) ? na : kept.every((x) => x !== false) ? 'kept' : 'NOT kept';
    return `<tr><td><b>${esc(v)}</b></td>${cell(k('throughput'), s.throughput, fixed(s.throughput, 0))}${cell(k('p50Ms'), s.p50Ms, ms(s.p50Ms))}${cell(k('p99Ms'), s.p99Ms, ms(s.p99Ms))}${cell(k('p999Ms'), s.p999Ms, ms(s.p999Ms))}${cell(k('maxMs'), s.maxMs, ms(s.maxMs))}`
      + `${cell(k('cpuUsPerOp'), s.cpuUsPerOp, fixed(s.cpuUsPerOp, 1))}<td>${pct(misAll)}</td>${cell(k('targetCrossShardRatio'), s.targetCrossShardRatio, pct(s.targetCrossShardRatio))}<td class="${keptText === 'NOT kept' ? 'bad' : ''}">${keptText}</td></tr>`;
  }).join('');
  out.push(`<h3>Variants side by side</h3><div class="scroll"><table class="figures"><thead><tr><th>variant</th><th>ops/s</th><th>p50 ms</th><th>p99 ms</th><th>p99.9 ms</th><th>max ms</th><th>loader CPU µs/op</th><th>misroute (client)</th><th>cross-shard (target)</th><th>schedule</th></tr></thead><tbody>${vrows}</tbody></table></div>`);

  // gains, in the CLI's words (src/cli/ab.ts renderAb)
  const grows: string[] = [];
  for (const [base, g] of Object.entries(a.gain)) {
    const fixedByRate = a.variants['shard-aware']?.throughputFixedByRate && a.variants[base]?.throughputFixedByRate;
    const k = (m: string): string => pointer('gain', base, m);
    grows.push(gainGroup(`shard-aware vs ${base}`), gainRow(`p99 ${base}/shard-aware`, g.p99, k('p99')), gainRow(`p50 ${base}/shard-aware`, g.p50, k('p50')),
      gainRow(`throughput shard-aware/${base}`, g.throughput, k('throughput'), fixedByRate ? 'fixed by rate' : gainText(g.throughput)));
  }
  for (const [cls, g] of Object.entries(a.classGain ?? {})) {
    const open = variants.every(([, v]) => v.classes[cls]?.loop === 'open' && v.classes[cls]?.rate.kept !== false);
    const k = (m: string): string => pointer('classGain', cls, m);
    grows.push(gainGroup(`class ${cls}: service levels on vs off`), gainRow('p99 off/on', g.p99, k('p99')), gainRow('p50 off/on', g.p50, k('p50')),
      gainRow('throughput on/off', g.throughput, k('throughput'), open ? 'fixed by rate' : gainText(g.throughput)));
  }
  out.push(`<h3>Gain with its 95 % interval</h3><p class="note">${a.vary === 'routing' ? '&gt; 1: shard-aware better.' : '&gt; 1: better with service levels.'} "inconclusive" when the interval spans 1. Bars: the interval on a log scale from ¼× to 4×, the dot the ratio, the line 1×.</p>`
    + (grows.length ? `<div class="scroll"><table class="figures gains"><thead><tr><th>metric</th><th>ratio</th><th>95% low</th><th>95% high</th><th>samples</th><th>method</th><th>reading</th><th>¼× … 1× … 4×</th></tr></thead><tbody>${grows.join('')}</tbody></table></div>` : '<p class="note">No gains computed (see the warnings).</p>'));

  // per round, and each variant's spectrum from its rounds merged
  const roundXs = Array.from({ length: rounds }, (_, i) => i + 1);
  const perRound = (f: 'p99Ms' | 'throughput'): { series: SeriesSpec[]; data: (number | null)[][] } => ({
    series: variants.map(([v], i) => ({ label: v, color: colour(i), width: 2, points: true })),
    data: [roundXs, ...variants.map(([, s]) => roundXs.map((r) => s.rounds.find((x) => x.round === r)?.[f] ?? null))],
  });
  out.push('<h3>Rounds and spectra</h3><div class="grid2">');
  out.push(charts.figure({ title: 'p99 per round', x: { kind: 'number', label: 'round' }, y: { label: 'ms' }, ...perRound('p99Ms') }));
  out.push(charts.figure({ title: 'throughput per round', x: { kind: 'number', label: 'round' }, y: { label: 'ops/s' }, ...perRound('throughput') }));
  const curves = variants.map(([v, s], i) => {
    const encoded: string[] = [];
    for (const rd of input.rounds.filter((x) => x.variant === v)) {
      const pi = summaryPhaseIndex(rd.result);
      if (pi < 0) continue;
      for (const c of Object.values(rd.result.phases[pi].classes)) for (const o of Object.values(c.ops)) encoded.push(o[c.latency].histogram);
    }
    return { label: v, color: colour(i), spectrum: spectrumOfEncoded(encoded), p99: s.p99Ms };
  });
  out.push(charts.figure(spectrumChart('latency by percentile, every round and op merged', curves), 'response time for open-loop classes, service time for closed-loop ones (as the variant figures)'));
  out.push('</div>');
  out.push(`<details><summary>round result files</summary><div class="scroll"><table class="figures"><thead><tr><th>round</th><th>variant</th><th>result</th></tr></thead><tbody>${input.rounds.map((r) => `<tr><td>${r.round}</td><td>${esc(r.variant)}</td><td><code>${esc(r.file)}</code></td></tr>`).join('')}</tbody></table></div></details>`);
  return out.join('\n');
}
