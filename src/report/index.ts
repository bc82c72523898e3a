/**
 * `scylla-bench report`: result data in, one self-contained HTML file out. Rendering only: it
 * reads result files and never talks to a cluster or runs the engine.
 *
 * Each input becomes one section; with a baseline, each run is preceded by its comparison with it
 * (results/compare.ts, the `compare` command's figures, and the two runs overlaid). Extension
 * points: a new kind of input (capacity.json, a --history directory) is recognised in input.ts and
 * rendered by a section function here; charts.ts's ChartSpec carries `marks` (a knee) and `hlines`
 * (an SLO line), and spectrumChart overlays any number of labelled curves.
 */
import { renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { compareResults } from '../results/compare.js';
import { ResultReadError } from '../results/read.js';
import { abSection } from './ab-section.js';
import { Charts } from './charts.js';
import { compareSection } from './compare-section.js';
import { renderPage, type PageSection } from './html.js';
import { ReportInputError, readInput, type ReportInput, type RunInput } from './input.js';
import { runSection } from './run-section.js';

export { ReportInputError, readInput, type ReportInput } from './input.js';

function section(input: ReportInput, i: number, charts: Charts): PageSection {
  const id = `s${i + 1}`;
  switch (input.kind) {
    case 'run':
      return { id, kind: 'run', title: input.result.runId, file: input.file, body: runSection(input.result, charts) };
    case 'ab':
      return { id, kind: 'ab', title: `${input.ab.runId} (vary ${input.ab.vary})`, file: input.file, body: abSection(input, charts) };
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
  for (const x of inputs) {
    if (o.baseline && x.kind === 'run') {
      const cmp = compareResults(o.baseline.loaded, x.loaded);
      sections.push({ id: `s${sections.length + 1}`, kind: 'compare', title: `${o.baseline.result.runId} → ${x.result.runId}`, file: `${o.baseline.file} → ${x.file}`, body: compareSection(o.baseline, x, cmp, charts) });
    }
    sections.push(section(x, sections.length, charts));
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
export function writeReport(args: string[], out: string, o: { toolVersion: string; baseline?: string }): { file: string; bytes: number; inputs: ReportInput[] } {
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
  const inputs = args.map(readInput);
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
