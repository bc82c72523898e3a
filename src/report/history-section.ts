/**
 * The section of a nightly history (`report --history DIR`): capacity at the SLO per night with its
 * bracket [last pass, first fail] as an error bar, one chart and table per (profile, class, SLO).
 * Whether a night regressed is the `capacity` command's own rule (results/capacity.ts trendOf,
 * replayed over the nights before it: the whole new bracket below the previous night's), never
 * recomputed here. Cells carry `data-k`, a JSON pointer into the list of the file's entries
 * (`/<n>/capacityOpsPerSec`: the n-th non-empty line, from 0).
 */
import { trendOf, type CapacityTrend, type HistoryEntry } from '../results/capacity.js';
import { Charts, type SeriesSpec } from './charts.js';
import { esc, na, rate } from './format.js';
import { seriesKey, type HistoryInput } from './input.js';
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

/** `lastNightIds`: per series key, the id of the section detailing its last night (when found). */
export function historySection(input: HistoryInput, charts: Charts, lastNightIds: Map<string, string>): string {
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
  return out.join('\n');
}
