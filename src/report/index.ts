/**
 * `scylla-bench report`: result data in, one self-contained HTML file out. Rendering only: it
 * reads result files and never talks to a cluster or runs the engine.
 *
 * Each input becomes one section (a capacity sweep two: its answer, then its result.json's
 * phases; a --history directory its trends, then each series' last night); with a baseline, each
 * run is preceded by its comparison with it (results/compare.ts, the `compare` command's figures,
 * and the two runs overlaid). A new kind of input is recognised in input.ts and rendered by a
 * section function here; charts.ts's ChartSpec carries `marks`, `hlines`, `whiskers`, and
 * spectrumChart overlays any number of labelled curves.
 */
import { renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { compareResults } from '../results/compare.js';
import { ResultReadError } from '../results/read.js';
import { abSection } from './ab-section.js';
import { Charts } from './charts.js';
import { compareSection } from './compare-section.js';
import { renderPage, type PageSection } from './html.js';
import { capacitySection, sweepSection } from './capacity-section.js';
import { historySection } from './history-section.js';
import { ReportInputError, readHistoryInput, readInput, type ReportInput, type RunInput } from './input.js';
import { runSection } from './run-section.js';

export { ReportInputError, readHistoryInput, readInput, type ReportInput } from './input.js';

/** The sections of one input: a capacity sweep is two (the answer, then its result.json's phases). */
function sectionsOf(input: ReportInput, next: () => string, charts: Charts): PageSection[] {
  switch (input.kind) {
    case 'run':
      return [{ id: next(), kind: 'run', title: input.result.runId, file: input.file, body: runSection(input.result, charts) }];
    case 'ab':
      return [{ id: next(), kind: 'ab', title: `${input.ab.runId} (vary ${input.ab.vary})`, file: input.file, body: abSection(input, charts) }];
    case 'capacity': {
      const id = next();
      const sweepId = input.sweep ? next() : null;
      const c = input.capacity;
      const out: PageSection[] = [{ id, kind: 'capacity', title: `${c.runId}: class ${c.class}`, file: input.file, body: capacitySection(input, charts, sweepId) }];
      if (input.sweep && sweepId) out.push({ id: sweepId, kind: 'sweep', title: `${c.runId}: every step`, file: input.sweep.file, body: sweepSection(input, charts, sweepId) });
      return out;
    }
    case 'history': {
      const id = next();
      // each series' last night in detail follows the trends; their ids are known before rendering
      const details = [...input.lastNights].map(([key, night]) => ({ key, night, first: night.sweep ? [next(), next()] : [next()] }));
      const out: PageSection[] = [{ id, kind: 'history', title: input.dir, file: input.file, body: historySection(input, charts, new Map(details.map((d) => [d.key, d.first[0]]))) }];
      for (const d of details) {
        const ids = [...d.first];
        out.push(...sectionsOf(d.night, () => ids.shift()!, charts));
      }
      return out;
    }
  }
}

export interface ReportOptions {
  toolVersion: string;
  generatedAt?: string;
  /** Compare every run input with this one (as `compare` does): a section before each run's own. */
  baseline?: RunInput;
}

/** The page for inputs already read. */
export function renderReport(inputs: ReportInput[], o: ReportOptions): string {
  const charts = new Charts();
  const sections: PageSection[] = [];
  let n = 0;
  const next = (): string => `s${++n}`;
  for (const x of inputs) {
    if (o.baseline && x.kind === 'run') {
      const cmp = compareResults(o.baseline.loaded, x.loaded);
      sections.push({ id: next(), kind: 'compare', title: `${o.baseline.result.runId} → ${x.result.runId}`, file: `${o.baseline.file} → ${x.file}`, body: compareSection(o.baseline, x, cmp, charts) });
    }
    sections.push(...sectionsOf(x, next, charts));
  }
  return renderPage({ generatedAt: o.generatedAt ?? new Date().toISOString(), toolVersion: o.toolVersion, sections, charts: charts.specs });
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Reads every argument (throwing ReportInputError on the first bad one), renders, writes atomically.
 * `baseline`: a run every run argument is compared with.
 */
export function writeReport(args: string[], out: string, o: { toolVersion: string; baseline?: string; history?: string }): { file: string; bytes: number; inputs: ReportInput[] } {
  // checked before reading anything: a typo in -o should not cost a render
  const dir = path.dirname(out);
  if (!isDir(dir)) throw new ReportInputError(`-o ${out}: directory ${dir} does not exist`);
  if (isDir(out)) throw new ReportInputError(`-o ${out}: is a directory`);
  let baseline: RunInput | undefined;
  if (o.baseline !== undefined) {
    const b = readInput(o.baseline);
    if (b.kind !== 'run') throw new ReportInputError(`--baseline ${o.baseline}: a run result is needed, not an ab result`);
    baseline = b;
  }
  const inputs = [...(o.history !== undefined ? [readHistoryInput(o.history)] : []), ...args.map(readInput)];
  if (baseline && !inputs.some((x) => x.kind === 'run')) throw new ReportInputError('--baseline: name at least one run to compare with it');
  let html: string;
  try {
    html = renderReport(inputs, { toolVersion: o.toolVersion, baseline });
  } catch (e) {
    // a comparison reads the .hlog files lazily: a broken one is bad input too
    if (e instanceof ResultReadError) throw new ReportInputError(e.message);
    throw e;
  }
  const tmp = `${out}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, html);
    renameSync(tmp, out);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new ReportInputError(`-o ${out}: cannot write it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return { file: out, bytes: Buffer.byteLength(html), inputs };
}
