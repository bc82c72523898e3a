/**
 * The section of a capacity sweep (capacity.json): the answer worded as `scylla-bench capacity`
 * prints it, the latency-vs-rate curve over the steps (sorted by rate) with the SLO line, the
 * bracket and the knee, achieved against asked, every step's verdict, and each step's latency
 * spectrum. Then the sweep's own section (its result.json): every step's phases over time, marked
 * by rate, with the loader self-check per phase, which the steps table links to.
 * Cells carry `data-k`, a JSON pointer into capacity.json (the sweep section's into result.json).
 */
import { Charts, spectrumChart, type SeriesSpec } from './charts.js';
import { capacityLines, esc, hueColour, ms, na, pct, rate, sloText } from './format.js';
import type { CapacityData, CapacityInput, RunData } from './input.js';
import { cell, header, overTime, pointer, selfCheck } from './run-section.js';
import { spectrumOfEncoded } from './spectrum.js';

type Step = CapacityData['steps'][number];

const PASS_COLOUR = '#2ca02c';
const FAIL_COLOUR = '#d62728';
const LOADER_COLOUR = '#ff7f0e';
const CURVE_COLOUR = '#1f77b4';
const P99_COLOUR = '#9467bd';

/** The steps in order of rate (as the CLI's table), each with its index in capacity.json. */
function byRate(c: CapacityData): { s: Step; i: number }[] {
  return c.steps.map((s, i) => ({ s, i })).sort((a, b) => a.s.rateOpsPerSec - b.s.rateOpsPerSec || a.s.step - b.s.step);
}

const metricName = (m: string): string => m.replace('Ms', '');

/** Blue (lowest rate) to red (highest): a step's colour wherever it is drawn. */
function stepColours(c: CapacityData): Map<number, string> {
  const sorted = byRate(c);
  return new Map(sorted.map(({ s }, k) => [s.step, hueColour(sorted.length > 1 ? 220 - (220 * k) / (sorted.length - 1) : 220)]));
}

function answerBlock(c: CapacityData): string {
  const words = capacityLines(c);
  const [lo, hi] = c.bracket;
  const big = c.capacityOpsPerSec === null ? 'none' : `${c.limitedBy === 'loader' ? '≥ ' : ''}${rate(c.capacityOpsPerSec)} ops/s`;
  const cls = c.capacityOpsPerSec === null || c.trend?.regressed ? 'bad' : c.limitedBy === 'cluster' ? 'good' : '';
  const lines = [words.answer, words.knee, ...(words.trend ? [words.trend] : [])];
  return `<div class="answer"><div><span class="note">capacity at ${esc(sloText(c.slo))}</span><br><span class="${cls} huge" data-k="/capacityOpsPerSec" data-v="${esc(JSON.stringify(c.capacityOpsPerSec))}">${esc(big)}</span></div>`
    + `<dl class="meta"><dt>bracket</dt><dd>[<span data-k="/bracket/0" data-v="${esc(JSON.stringify(lo))}">${rate(lo)}</span>, <span data-k="/bracket/1" data-v="${esc(JSON.stringify(hi))}">${rate(hi)}</span>] ops/s (last pass, first fail)</dd>`
    + `<dt>limited by</dt><dd class="${c.limitedBy === 'loader' ? 'bad' : ''}" data-k="/limitedBy" data-v="${esc(JSON.stringify(c.limitedBy))}">${esc(c.limitedBy === 'loader' ? 'the loader (not the cluster: the capacity is at least the bracket\'s low end)' : c.limitedBy === 'steps' ? 'the step budget (no rate failed)' : 'the cluster')}</dd>`
    + `<dt>knee</dt><dd>${c.knee ? `<span data-k="/knee/rateOpsPerSec" data-v="${c.knee.rateOpsPerSec}">${rate(c.knee.rateOpsPerSec)}</span> ops/s (p99 <span data-k="/knee/p99Ms" data-v="${c.knee.p99Ms}">${ms(c.knee.p99Ms)}</span> ms, floor <span data-k="/knee/floorP99Ms" data-v="${c.knee.floorP99Ms}">${ms(c.knee.floorP99Ms)}</span> ms)` : 'not reached'}</dd></dl></div>`
    + `<pre class="cli">${lines.map((l) => `<span data-cli>${esc(l)}</span>`).join('')}</pre>`
    + (c.trend?.regressed ? `<p class="banner bad" data-k="/trend/regressed" data-v="true">REGRESSED: the whole bracket lies below the previous night's (${esc(c.trend.previous.date)}: [${c.trend.previous.bracket[0] ?? na}, ${c.trend.previous.bracket[1] ?? na}])</p>` : '');
}

function curve(c: CapacityData, charts: Charts): string {
  const sorted = byRate(c);
  const xs = sorted.map(({ s }) => s.rateOpsPerSec);
  const metric = metricName(c.slo.metric);
  const positive = (v: number): number | null => (v > 0 ? v : null);
  const series: SeriesSpec[] = [{ label: `${metric} (the SLO's)`, color: CURVE_COLOUR, width: 2, points: true }];
  const data: (number | null)[][] = [xs, sorted.map(({ s }) => positive(s.latencyMs))];
  if (c.slo.metric !== 'p99Ms') {
    series.push({ label: 'p99', color: P99_COLOUR, width: 1.5, dash: [5, 4] });
    data.push(sorted.map(({ s }) => positive(s.p99Ms)));
  }
  const marker = (label: string, color: string, pick: (s: Step) => boolean): void => {
    if (!sorted.some(({ s }) => pick(s))) return;
    series.push({ label, color, pointsOnly: true });
    data.push(sorted.map(({ s }) => (pick(s) ? positive(s.latencyMs) : null)));
  };
  marker('pass', PASS_COLOUR, (s) => s.verdict === 'pass');
  marker('fail (cluster)', FAIL_COLOUR, (s) => s.verdict !== 'pass' && s.verdict !== 'loader');
  marker('loader limit', LOADER_COLOUR, (s) => s.verdict === 'loader');
  const marks: { x: number; label: string }[] = [];
  if (c.bracket[0] !== null) marks.push({ x: c.bracket[0], label: `last pass ${c.bracket[0]}/s` });
  if (c.bracket[1] !== null) marks.push({ x: c.bracket[1], label: `first fail ${c.bracket[1]}/s` });
  if (c.knee) marks.push({ x: c.knee.rateOpsPerSec, label: `knee ${c.knee.rateOpsPerSec}/s` });
  marks.sort((a, b) => a.x - b.x);
  const figs = [charts.figure({
    title: `${metric} of class ${c.class} by rate (response time, every op)`,
    x: { kind: 'number', label: 'ops/s asked' }, y: { label: 'ms (log)', log: true },
    series, data, marks, hlines: [{ y: c.slo.limitMs, label: `SLO ${sloText(c.slo)}` }],
  }, 'one point per step; the dashed red line is the SLO, the grey marks the bracket and the knee (where p99 leaves its floor)')];
  figs.push(charts.figure({
    title: 'ops/s sent against ops/s asked',
    x: { kind: 'number', label: 'ops/s asked' }, y: { label: 'ops/s' },
    series: [{ label: 'sent (achieved)', color: CURVE_COLOUR, width: 2, points: true }, { label: 'asked', color: P99_COLOUR, width: 1, dash: [5, 4] }],
    data: [xs, sorted.map(({ s }) => s.achievedOpsPerSec), xs],
  }, 'below the dashed line: the schedule was not kept (by the cluster, or by the loader)'));
  return `<h3>Latency against rate</h3><div class="grid2">${figs.join('')}</div>`;
}

function stepsTable(c: CapacityData, sweepAnchor: string | null): string {
  const metric = metricName(c.slo.metric);
  const rows = byRate(c).map(({ s, i }) => {
    const k = (f: string): string => pointer('steps', i, f);
    const kinds = Object.entries(s.errorsByKind).map(([kind, n]) => `${n} ${kind}`).join(', ');
    const bad = s.verdict !== 'pass';
    const phase = sweepAnchor ? `<a href="#${esc(`${sweepAnchor}-${s.phase}`)}">${esc(s.phase)}</a>` : esc(s.phase);
    return `<tr class="${s.verdict === 'pass' ? 'pass' : 'fail'}">${cell(k('step'), s.step, String(s.step))}${cell(k('rateOpsPerSec'), s.rateOpsPerSec, String(s.rateOpsPerSec))}${cell(k('achievedOpsPerSec'), s.achievedOpsPerSec, String(s.achievedOpsPerSec))}`
      + `${cell(k('latencyMs'), s.latencyMs, s.latencyMs.toFixed(2), s.latencyMs > c.slo.limitMs ? 'bad' : '')}${c.slo.metric === 'p99Ms' ? '' : cell(k('p99Ms'), s.p99Ms, s.p99Ms.toFixed(2))}`
      + `${cell(k('errorRatio'), s.errorRatio, pct(s.errorRatio, 2), s.errorRatio > c.maxErrorRatio ? 'bad' : '')}<td class="wrap">${esc(kinds)}</td>`
      + `${cell(k('kept'), s.kept, s.kept === null ? na : s.kept ? 'kept' : s.judgedOn === 'service' ? `NOT kept: the loader's lag (p99 ${ms(s.loaderLagMs ?? 0)} ms), judged on service time` : 'NOT kept', s.kept === false ? 'bad' : '')}<td>${esc(s.bottleneck ?? 'none')}</td>`
      + `<td class="verdict ${bad ? 'bad' : 'good'}" data-k="${esc(k('verdict'))}" data-v="${esc(JSON.stringify(s.verdict))}">${esc(s.verdict === 'pass' ? 'pass' : `FAIL: ${s.why}`)}</td><td>${phase}</td></tr>`;
  }).join('');
  return `<h3>Steps</h3><p class="note">In order of rate (the step number is the order run: a geometric climb, then bisection). A step fails on the cluster's account (the SLO, errors above ${pct(c.maxErrorRatio, 2)}, a schedule the target did not absorb) or on the loader's, which is never taken for the cluster's capacity.${sweepAnchor ? ' The phase links to its row of the sweep\'s self-check.' : ''}</p>`
    + `<div class="scroll"><table class="figures steps"><thead><tr><th>step</th><th>ops/s asked</th><th>ops/s sent</th><th>${esc(metric)} ms</th>${c.slo.metric === 'p99Ms' ? '' : '<th>p99 ms</th>'}<th>errors</th><th>by kind</th><th>schedule</th><th>bottleneck</th><th>verdict</th><th>phase</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

/**
 * Each step's latency spectrum (its ops merged), from the sweep's measure phases: the latency the
 * step was judged on — response time, or service time when its schedule lag was the loader's.
 */
function stepSpectra(c: CapacityData, sweep: RunData, charts: Charts): string {
  const colours = stepColours(c);
  const curves = byRate(c).flatMap(({ s }) => {
    const ph = sweep.phases.find((p) => p.name === s.phase);
    const cls = ph?.classes[c.class];
    if (!cls) return [];
    const service = s.judgedOn === 'service';
    return [{ label: `${s.rateOpsPerSec} ops/s (step ${s.step}, ${s.verdict}${service ? ', service time' : ''})`, color: colours.get(s.step)!, spectrum: spectrumOfEncoded(Object.values(cls.ops).map((o) => (service ? o.service : o.response).histogram)) }];
  });
  if (curves.every((x) => x.spectrum.count === 0)) return '';
  const anyService = c.steps.some((s) => s.judgedOn === 'service');
  return `<h3>Latency spectrum per step</h3><div class="grid1">${charts.figure(spectrumChart(`class ${c.class}: ${anyService ? 'latency (response time; service time where the loader\'s lag was its own)' : 'response time'} by percentile, one curve per step`, curves), 'blue: the lowest rate, red: the highest; where the curves lift off is where the shard queues grow')}</div>`;
}

function meta(c: CapacityData): string {
  const held = c.heldClasses.length ? c.heldClasses.join(', ') : 'none';
  return `<dl class="meta"><dt>profile</dt><dd>${esc(c.profile)} <span class="note">${esc(c.profileHash.slice(0, 19))}</span></dd><dt>class swept</dt><dd>${esc(c.class)} (others held at their profile rates: ${esc(held)})</dd>`
    + `<dt>SLO</dt><dd>${esc(sloText(c.slo))}, errors ≤ ${pct(c.maxErrorRatio, 2)}</dd>`
    + `<dt>search</dt><dd>from ${c.search.startOpsPerSec} ops/s, ×${c.search.factor} per climb, bisection to ${pct(c.search.precision, 1)}, at most ${c.search.maxSteps} steps (${c.steps.length} run)</dd>`
    + `<dt>when</dt><dd>${esc(c.startedAt)} → ${esc(c.endedAt)}</dd></dl>`
    + (c.stopped ? `<p class="banner bad" data-k="/stopped" data-v="${esc(JSON.stringify(c.stopped))}">Stopped early: ${esc(c.stopped)}</p>` : '')
    + (c.warnings.length === 0 ? '' : `<details class="warnings"><summary>${c.warnings.length} warning${c.warnings.length === 1 ? '' : 's'} from the sweep</summary><ul>${c.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul></details>`);
}

/** `sweepAnchor`: the id prefix of the sweep section's self-check rows (null: the sweep was not found). */
export function capacitySection(input: CapacityInput, charts: Charts, sweepAnchor: string | null): string {
  const c = input.capacity;
  const parts = [meta(c), answerBlock(c), c.steps.length > 0 ? curve(c, charts) : '<p class="note">No step ran.</p>', stepsTable(c, input.sweep ? sweepAnchor : null)];
  if (input.sweep) parts.push(stepSpectra(c, input.sweep.result, charts));
  else parts.push(`<p class="note">The sweep's result.json was not found (looked for ${esc(input.sweepMissing ?? '')}): no per-step spectra or phases.</p>`);
  return parts.join('\n');
}

/**
 * The sweep's result.json: every step's warmup and measure over time (the measure phases marked
 * by their rate), the nodes, and the loader self-check per phase with `anchor`-prefixed row ids.
 */
export function sweepSection(input: CapacityInput, charts: Charts, anchor: string): string {
  const r = input.sweep!.result;
  const rateOf = new Map(input.capacity.steps.map((s) => [s.phase, s.rateOpsPerSec]));
  return [
    header(r),
    overTime(r, charts, { markLabel: (phase) => (rateOf.has(phase) ? `${rateOf.get(phase)}/s` : null) }),
    selfCheck(r, anchor),
  ].join('\n');
}
