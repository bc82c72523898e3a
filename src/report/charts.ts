/**
 * Chart specifications: plain data the page's script hands to uPlot. Builders here take lists of
 * labelled curves, so overlays (ab variants now; `compare`'s two runs and capacity sweeps later)
 * reuse them unchanged.
 */
import { esc } from './format.js';
import type { RunData } from './input.js';
import type { Spectrum } from './spectrum.js';

export interface SeriesSpec {
  label: string;
  color: string;
  width?: number;
  dash?: number[];
  /** Draw the points (sparse series: rounds, capacity steps). */
  points?: boolean;
  /** Join across nulls (spectra sampled on different grids); time series keep their gaps. */
  spanGaps?: boolean;
  /** Points only, no line (pass/fail markers over a curve drawn by another series). */
  pointsOnly?: boolean;
}

export interface ChartSpec {
  id: string;
  title: string;
  /** seconds: since the run start (m:ss ticks); nines: the percentile axis (0, 90, 99, 99.9 …); number: plain; date: Unix seconds (nights). */
  x: { kind: 'seconds' | 'nines' | 'number' | 'date'; label: string };
  y: { label: string; log?: boolean };
  series: SeriesSpec[];
  /** uPlot's aligned data: [xs, ys of series 0, ys of series 1, …]; null is a gap. */
  data: (number | null)[][];
  /** Vertical marks: phase starts (a capacity report's knee goes here too). */
  marks?: { x: number; label: string }[];
  /** Horizontal lines: e.g. a capacity report's SLO. */
  hlines?: { y: number; label: string }[];
  /**
   * Error bars between two series (indices into `series`), at every x where the low one has a
   * value: a capacity bracket [last pass, first fail]. A missing high end (no rate failed, or the
   * loader ran out first) is drawn as an arrow up: "at least".
   */
  whiskers?: { low: number; high: number; color: string }[];
}

/** Saturated colours only: the browser test tells series pixels from grey axes by saturation. */
export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22'];

export const colour = (i: number): string => PALETTE[i % PALETTE.length];

/** Collects the charts of a page; sections place them with `figure`. */
export class Charts {
  readonly specs: ChartSpec[] = [];

  add(spec: Omit<ChartSpec, 'id'>): string {
    const id = `c${this.specs.length + 1}`;
    this.specs.push({ id, ...spec });
    return id;
  }

  /** The placeholder the page's script draws into; `note` says how to read the chart. */
  figure(spec: Omit<ChartSpec, 'id'>, note = ''): string {
    const id = this.add(spec);
    return `<figure class="chart" data-chart="${id}"><figcaption>${esc(spec.title)}${note ? ` <span class="note">${esc(note)}</span>` : ''}</figcaption><div class="plot"></div></figure>`;
  }
}

/** Overlaid spectra on the nines axis: one x grid, the union of every curve's points. */
export function spectrumChart(title: string, curves: { label: string; color: string; dash?: number[]; spectrum: Spectrum }[]): Omit<ChartSpec, 'id'> {
  const live = curves.filter((c) => c.spectrum.points.length > 0);
  const xs = [...new Set(live.flatMap((c) => c.spectrum.points.map((p) => p[0])))].sort((a, b) => a - b);
  const at = new Map(xs.map((x, i) => [x, i]));
  const ys = live.map((c) => {
    const col: (number | null)[] = xs.map(() => null);
    for (const [x, v] of c.spectrum.points) col[at.get(x)!] = v;
    return col;
  });
  return {
    title,
    x: { kind: 'nines', label: 'percentile' },
    y: { label: 'ms', log: true },
    series: live.map((c) => ({ label: `${c.label} (${c.spectrum.count.toLocaleString('en-US')} values)`, color: c.color, dash: c.dash, width: 2, spanGaps: true })),
    data: [xs.map((x) => Math.round(x * 10000) / 10000), ...ys],
  };
}

/** Seconds from the run start to a phase's start. */
export function phaseOffset(r: RunData, p: RunData['phases'][number]): number {
  return Math.max(0, (Date.parse(p.startedAt) - Date.parse(r.startedAt)) / 1000);
}

export interface TimeRow {
  x: number;
  phase: string;
  classes: RunData['phases'][number]['intervals'][number]['classes'];
  /** Requests sent to each node (by index) that second, all classes; absent in a gap row. */
  nodeRequests?: number[];
}

/**
 * Every interval of every phase on one time line (x: seconds since the run start, each point the
 * second that starts there), with an empty row between phases so lines do not bridge them.
 */
export function timeline(r: RunData): { rows: TimeRow[]; marks: { x: number; label: string }[] } {
  const rows: (TimeRow | null)[] = [];
  const marks: { x: number; label: string }[] = [];
  const r3 = (x: number): number => Math.round(x * 1000) / 1000;
  for (const p of r.phases) {
    if (p.intervals.length === 0) continue;
    const base = phaseOffset(r, p);
    if (rows.length > 0) rows.push(null);
    marks.push({ x: r3(base), label: p.name });
    for (const iv of p.intervals) rows.push({ x: r3(base + iv.t), phase: p.name, classes: iv.classes, nodeRequests: iv.nodeRequests });
  }
  // a gap row sits halfway between its neighbours
  return { rows: rows.map((row, i) => row ?? { x: r3((rows[i - 1]!.x + rows[i + 1]!.x) / 2), phase: '', classes: {} }), marks };
}
