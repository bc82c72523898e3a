/**
 * The section of a nightly history (`report --history DIR`): capacity at the SLO per night with its
 * bracket [last pass, first fail] as an error bar, one chart and table per (profile, class, SLO).
 * Whether a night regressed is the `capacity` command's own rule (results/capacity.ts trendOf,
 * replayed over the nights before it: the whole new bracket below the previous night's), never
 * recomputed here. Cells carry `data-k`, a JSON pointer into the list of the file's entries
 * (`/<n>/capacityOpsPerSec`: the n-th non-empty line, from 0).
 *
 * Run results kept in the directory are nights at a fixed rate: per profile (hash) and class × op,
 * p99 per night, each night judged against the one before by `gate` itself (compareResults, then
 * evaluateGate with the profile's `gate:` rules or the defaults): a failed p99 rule — beyond its
 * tolerance AND significant — flags the night. Those rows carry `data-night-file` (the night's
 * result.json) and `data-k` pointers into it.
 */
import { trendOf, type CapacityTrend, type HistoryEntry } from '../results/capacity.js';
import { compareResults } from '../results/compare.js';
import { DEFAULT_RULES, evaluateGate, formatChange, GateRuleError, parseRules, type GateReport, type GateRules, type RuleOutcome } from '../results/gate.js';
import { summaryPhase } from '../results/result.js';
import { Charts, type SeriesSpec } from './charts.js';
import { esc, ms, na, rate } from './format.js';
import { ReportInputError, seriesKey, type HistoryInput, type RunInput } from './input.js';
import { cell, pointer } from './run-section.js';

const CAPACITY_COLOUR = '#1f77b4';
const FAIL_COLOUR = '#9467bd';
const REGRESSED_COLOUR = '#d62728';
const LOADER_COLOUR = '#ff7f0e';
/** Up to this many nights a series shows every point and its table is open. */
const SPARSE_NIGHTS = 60;

export interface Night {
  /** Index among the file's entries. */
  i: number;
  e: HistoryEntry;
  /** Against the previous night of the same profile hash, class and SLO (null: the first such night). */
  trend: CapacityTrend | null;
}

/** Every night with its trend, as `capacity --history` judged it when the night was appended. */
export function nights(entries: HistoryEntry[]): Night[] {
  return entries.map((e, i) => ({ i, e, trend: trendOf(entries.slice(0, i), e) }));
}

/** The nights grouped by (profile, class, SLO), in order of first appearance. */
export function seriesOf(all: Night[]): Map<string, Night[]> {
  const out = new Map<string, Night[]>();
  for (const n of all) {
    const k = seriesKey(n.e);
    out.set(k, [...(out.get(k) ?? []), n]);
  }
  return out;
}

function verdict(list: Night[], k: number): { text: string; cls: string } {
  const n = list[k];
  if (n.trend?.regressed) return { text: 'REGRESSED', cls: 'bad' };
  if (n.trend) {
    const prev = list.slice(0, k).reverse().find((h) => h.e.profileHash === n.e.profileHash);
    return n.e.limitedBy === 'loader' || prev?.e.limitedBy === 'loader' ? { text: 'not judged (a loader limit)', cls: '' } : { text: 'held', cls: 'good' };
  }
  return k > 0 ? { text: 'not compared: the profile changed', cls: '' } : { text: 'first night', cls: '' };
}

function chart(list: Night[], key: string, charts: Charts): string {
  const xs = list.map((n) => Math.round(Date.parse(n.e.date) / 1000));
  const series: SeriesSpec[] = [
    // a point per night while they can be told apart (uPlot shows them by itself where sparse)
    { label: 'capacity (last pass)', color: CAPACITY_COLOUR, width: 2, points: list.length <= SPARSE_NIGHTS },
    { label: 'first fail', color: FAIL_COLOUR, width: 1, dash: [5, 4], points: list.length <= SPARSE_NIGHTS },
  ];
  const data: (number | null)[][] = [xs, list.map((n) => n.e.bracket[0]), list.map((n) => n.e.bracket[1])];
  const marker = (label: string, color: string, pick: (n: Night) => boolean): void => {
    if (!list.some(pick)) return;
    series.push({ label, color, pointsOnly: true });
    data.push(list.map((n) => (pick(n) ? n.e.bracket[0] : null)));
  };
  marker('REGRESSED', REGRESSED_COLOUR, (n) => n.trend?.regressed === true);
  marker('at least (the loader ran out)', LOADER_COLOUR, (n) => n.e.limitedBy === 'loader');
  const marks: { x: number; label: string }[] = [];
  list.forEach((n, k) => {
    if (n.trend?.regressed) marks.push({ x: xs[k], label: 'REGRESSED' });
    else if (k > 0 && list[k - 1].e.profileHash !== n.e.profileHash) marks.push({ x: xs[k], label: 'profile changed' });
  });
  return charts.figure({
    title: `capacity at the SLO per night: ${key}`,
    x: { kind: 'date', label: 'night (UTC)' }, y: { label: 'ops/s' },
    series, data, marks, whiskers: [{ low: 0, high: 1, color: CAPACITY_COLOUR }],
  }, 'each bar is the bracket the search ended on [last pass, first fail]; an arrow: no rate failed, or the loader ran out first ("at least")');
}

function table(list: Night[], lastNightId: string | undefined): string {
  const rows = list.map((n, k) => {
    const e = n.e;
    const p = (f: string | number, ...more: (string | number)[]): string => pointer(n.i, f, ...more);
    const v = verdict(list, k);
    const last = k === list.length - 1 && lastNightId ? ` <a href="#${esc(lastNightId)}">details</a>` : '';
    return `<tr class="${n.trend?.regressed ? 'regressed' : ''}" data-night="${n.i}" data-regressed="${n.trend?.regressed === true}">${cell(p('date'), e.date, e.date.replace('T', ' ').slice(0, 19))}`
      + `<td><code>${esc(e.gitSha?.slice(0, 12) ?? na)}</code></td>${cell(p('capacityOpsPerSec'), e.capacityOpsPerSec, e.capacityOpsPerSec === null ? 'none' : `${e.limitedBy === 'loader' ? '≥ ' : ''}${rate(e.capacityOpsPerSec)}`, e.capacityOpsPerSec === null ? 'bad' : '')}`
      + `${cell(p('bracket', 0), e.bracket[0], e.bracket[0] === null ? na : rate(e.bracket[0]))}${cell(p('bracket', 1), e.bracket[1], e.bracket[1] === null ? na : rate(e.bracket[1]))}`
      + `${cell(p('limitedBy'), e.limitedBy, e.limitedBy, e.limitedBy === 'loader' ? 'bad' : '')}<td>${n.trend?.ratio === null || n.trend?.ratio === undefined ? na : `${n.trend.ratio}×`}</td>`
      + `<td class="${v.cls}">${esc(v.text)}</td><td class="note"><code>${esc(e.resultDir)}</code>${last}</td></tr>`;
  }).join('');
  return `<details${list.length <= SPARSE_NIGHTS ? ' open' : ''}><summary>${list.length} night${list.length === 1 ? '' : 's'}</summary><div class="scroll"><table class="figures"><thead><tr><th>night (UTC)</th><th>git</th><th>capacity ops/s</th><th>last pass</th><th>first fail</th><th>limited by</th><th>vs previous</th><th>verdict</th><th>results</th></tr></thead><tbody>${rows}</tbody></table></div></details>`;
}

/** One run night: its result, and the gate against the night before (null for the first). */
export interface RunNight { run: RunInput; gate: GateReport | null; rulesFrom: string }

function rulesOf(run: RunInput): { rules: GateRules; from: string } {
  const fromProfile = (run.result.profile as { gate?: unknown }).gate;
  if (fromProfile === undefined || fromProfile === null) return { rules: DEFAULT_RULES, from: 'the default rules' };
  try {
    return { rules: parseRules(fromProfile, `${run.file}: profile gate`), from: 'the profile\'s gate section' };
  } catch (e) {
    if (e instanceof GateRuleError) throw new ReportInputError(e.message);
    throw e;
  }
}

/** The runs grouped by profile hash, each in order of start, each night gated against the one before (as `gate` would). */
export function runNights(runs: RunInput[]): Map<string, RunNight[]> {
  const groups = new Map<string, RunInput[]>();
  for (const r of [...runs].sort((a, b) => Date.parse(a.result.startedAt) - Date.parse(b.result.startedAt))) {
    const key = r.result.profileHash ?? r.file;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const out = new Map<string, RunNight[]>();
  for (const [key, list] of groups) {
    out.set(key, list.map((run, k) => {
      const { rules, from } = rulesOf(run);
      if (k === 0) return { run, gate: null, rulesFrom: from };
      try {
        return { run, gate: evaluateGate(compareResults(list[k - 1].loaded, run.loaded), rules, `${run.file}: ${from}`), rulesFrom: from };
      } catch (e) {
        if (e instanceof GateRuleError) throw new ReportInputError(e.message);
        throw e;
      }
    }));
  }
  return out;
}

/** The night's p99 rule outcome for a class × op (null: no p99 rule, or the first night). */
export function p99Outcome(n: RunNight, cls: string, op: string): RuleOutcome | null {
  return n.gate?.outcomes.find((x) => x.cls === cls && x.op === op && x.metric === 'p99') ?? null;
}

function runTrends(input: HistoryInput, charts: Charts): string {
  const groups = runNights(input.runs);
  const flagged = [...groups.values()].flat().filter((n) => n.gate?.outcomes.some((x) => x.metric === 'p99' && x.verdict === 'fail'));
  const out = flagged.length === 0 ? [] : [`<p class="banner bad" data-regressed-runs="${flagged.length}">${flagged.length} run night${flagged.length === 1 ? '' : 's'} REGRESSED at a fixed rate (the gate's p99 rule): ${flagged.map((n) => esc(n.run.result.runId)).join(', ')}</p>`];
  out.push('<h3>p99 at a fixed rate over nights (run results)</h3><p class="note">The run results kept in the history directory, per profile and class × op: p99 of the summary phase per night (response time in open loop, service time in closed loop), and each night judged against the one before exactly as <code>gate</code> judges (the profile\'s <code>gate:</code> rules, else p99 +10 %, throughput −5 %): a p99 rule fails only when the whole 99 % interval of the change lies beyond its tolerance.</p>');
  for (const list of groups.values()) {
    const first = list[0].run.result;
    const ph = summaryPhase(first);
    for (const [cls, c] of Object.entries(ph?.classes ?? {})) {
      for (const op of Object.keys(c.ops)) {
        const xs = list.map((n) => Math.round(Date.parse(n.run.result.startedAt) / 1000));
        const p99 = list.map((n) => {
          const o = summaryPhase(n.run.result)?.classes[cls]?.ops[op];
          return o ? o[c.latency].p99Ms : null;
        });
        const failed = list.map((n) => p99Outcome(n, cls, op)?.verdict === 'fail');
        const series: SeriesSpec[] = [{ label: `p99 (${c.latency} time)`, color: CAPACITY_COLOUR, width: 2, points: list.length <= SPARSE_NIGHTS }];
        const data: (number | null)[][] = [xs, p99];
        if (failed.some(Boolean)) {
          series.push({ label: 'REGRESSED (gate)', color: REGRESSED_COLOUR, pointsOnly: true });
          data.push(p99.map((v, i) => (failed[i] ? v : null)));
        }
        const target = c.rate.target;
        const title = `${first.profile.name} · ${cls}.${op}: p99 ${target === null ? '(closed loop)' : `at ${rate(target)} ops/s`} per night`;
        const marks = xs.flatMap((x, i) => (failed[i] ? [{ x, label: 'REGRESSED' }] : []));
        const rows = list.map((n, i) => {
          const phase = summaryPhase(n.run.result);
          const pi = phase ? n.run.result.phases.indexOf(phase) : -1;
          const cr = phase?.classes[cls];
          const outcome = p99Outcome(n, cls, op);
          const others = n.gate?.outcomes.filter((x) => x.verdict === 'fail' && !(x.cls === cls && x.op === op && x.metric === 'p99')).map((x) => `${x.cls}.${x.op} ${x.rule}`) ?? [];
          const v = outcome === null ? (i === 0 ? 'first night' : 'no p99 rule') : outcome.verdict === 'fail' ? 'REGRESSED' : outcome.verdict === 'pass' ? 'held' : 'not judged (no interval)';
          return `<tr class="${failed[i] ? 'regressed' : ''}" data-night-file="${esc(n.run.file)}" data-run-night="${i}" data-gate="${outcome?.verdict ?? ''}">`
            + `<td>${esc(n.run.result.startedAt.replace('T', ' ').slice(0, 19))}</td><td><code>${esc(n.run.result.runId)}</code></td><td data-git-sha="${esc(n.run.gitSha ?? '')}"><code>${esc(n.run.gitSha?.slice(0, 12) ?? na)}</code></td>`
            + (cr ? `${cell(pointer('phases', pi, 'classes', cls, 'rate', 'achieved'), cr.rate.achieved, rate(cr.rate.achieved))}${cell(pointer('phases', pi, 'classes', cls, 'ops', op, c.latency, 'p99Ms'), cr.ops[op]?.[c.latency].p99Ms, ms(cr.ops[op]?.[c.latency].p99Ms))}` : `<td>${na}</td><td>${na}</td>`)
            + `<td data-change>${outcome ? esc(formatChange(outcome.comparison)) : na}</td><td class="${failed[i] ? 'bad' : outcome?.verdict === 'pass' ? 'good' : ''}">${esc(v)}</td><td class="wrap">${esc(outcome?.message ?? '')}${others.length ? ` <span class="bad">also failed: ${esc(others.join(', '))}</span>` : ''}</td></tr>`;
        }).join('');
        out.push(`<h3>${esc(title)}</h3><div class="grid1">${charts.figure({ title, x: { kind: 'date', label: 'night (UTC)' }, y: { label: 'ms' }, series, data, marks }, `rules from ${list[list.length - 1].rulesFrom}`)}</div>`
          + `<div class="scroll"><table class="figures"><thead><tr><th>night (UTC)</th><th>run</th><th>commit</th><th>ops/s achieved</th><th>p99 ms</th><th>change vs previous [99% interval]</th><th>gate (p99)</th><th></th></tr></thead><tbody>${rows}</tbody></table></div>`);
      }
    }
  }
  return out.join('\n');
}

/** `lastNightIds`: per series key, the id of the section detailing its last night (when found). */
export function historySection(input: HistoryInput, charts: Charts, lastNightIds: Map<string, string>): string {
  const runs = input.runs.length > 0 ? runTrends(input, charts) : '';
  if (input.entries.length === 0) return `<dl class="meta"><dt>history</dt><dd><code>${esc(input.dir)}</code>: no capacity-history.jsonl; ${input.runs.length} run result${input.runs.length === 1 ? '' : 's'}</dd></dl>${runs}`;
  const all = nights(input.entries);
  const groups = seriesOf(all);
  const regressed = all.filter((n) => n.trend?.regressed);
  const dates = input.entries.map((e) => e.date).sort();
  const out = [`<dl class="meta"><dt>history</dt><dd><code>${esc(input.file)}</code>: ${input.entries.length} night${input.entries.length === 1 ? '' : 's'} (lines), ${groups.size} series, ${esc(dates[0])} → ${esc(dates[dates.length - 1])}</dd>`
    + '<dt>regression</dt><dd>a night whose whole bracket lies below the previous night\'s of the same profile, class and SLO (the rule <code>capacity --history</code> exits 1 on); overlapping brackets are within the search\'s precision; a loader limit is not judged</dd></dl>'];
  out.push(regressed.length === 0
    ? '<p class="good">No night regressed.</p>'
    : `<p class="banner bad" data-regressed-nights="${regressed.length}">${regressed.length} night${regressed.length === 1 ? '' : 's'} REGRESSED: ${regressed.map((n) => esc(`${n.e.date} (${seriesKey(n.e)}: ${n.e.capacityOpsPerSec ?? 'none'} ops/s [${n.e.bracket[0]}, ${n.e.bracket[1]}] after ${n.trend!.previous.capacityOpsPerSec ?? 'none'} [${n.trend!.previous.bracket[0]}, ${n.trend!.previous.bracket[1]}])`)).join('; ')}</p>`);
  for (const [key, list] of groups) {
    out.push(`<h3>${esc(key)}</h3><div class="grid1">${chart(list, key, charts)}</div>${table(list, lastNightIds.get(key))}`);
  }
  out.push(runs);
  return out.join('\n');
}
