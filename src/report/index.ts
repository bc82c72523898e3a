/**
 * `scylla-bench report`: result data in, one self-contained HTML file out. Rendering only: it
 * reads result files and never talks to a cluster or runs the engine.
 *
 * Each input becomes one section. Extension points: a new kind of input (capacity.json, a
 * --history directory) is recognised in input.ts and rendered by a section function here; an
 * overlay of several inputs (`compare`: two runs) is a section built from several inputs with the
 * chart builders of charts.ts (spectrumChart already overlays labelled curves; ChartSpec carries
 * `marks` for a knee and `hlines` for an SLO line).
 */
import { renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { abSection } from './ab-section.js';
import { Charts } from './charts.js';
import { renderPage, type PageSection } from './html.js';
import { ReportInputError, readInput, type ReportInput } from './input.js';
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

/** The page for inputs already read. */
export function renderReport(inputs: ReportInput[], o: { toolVersion: string; generatedAt?: string }): string {
  const charts = new Charts();
  const sections = inputs.map((x, i) => section(x, i, charts));
  return renderPage({ generatedAt: o.generatedAt ?? new Date().toISOString(), toolVersion: o.toolVersion, sections, charts: charts.specs });
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Reads every argument (throwing ReportInputError on the first bad one), renders, writes atomically. */
export function writeReport(args: string[], out: string, o: { toolVersion: string }): { file: string; bytes: number; inputs: ReportInput[] } {
  // checked before reading anything: a typo in -o should not cost a render
  const dir = path.dirname(out);
  if (!isDir(dir)) throw new ReportInputError(`-o ${out}: directory ${dir} does not exist`);
  if (isDir(out)) throw new ReportInputError(`-o ${out}: is a directory`);
  const inputs = args.map(readInput);
  const html = renderReport(inputs, o);
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
