/** `scylla-bench report [result dir | result.json | capacity.json | ab.json …] [--baseline <run>] [--history DIR] -o report.html`: one self-contained HTML page. */
import { ReportInputError, writeReport } from '../report/index.js';
import { ExitCode, UserError } from './exit.js';

export interface ReportFlags {
  inputs: string[];
  out: string;
  baseline?: string;
  /** A directory with capacity-history.jsonl: the trends over nights come first. */
  history?: string;
}

export function reportCommand(f: ReportFlags, toolVersion: string): number {
  if (f.inputs.length === 0 && f.history === undefined) throw new UserError('report: name at least one result directory, result.json, capacity.json or ab.json, or --history DIR');
  try {
    const r = writeReport(f.inputs, f.out, { toolVersion, baseline: f.baseline, history: f.history });
    const kinds = [...(f.baseline ? ['compare'] : []), ...r.inputs.map((x) => x.kind)].join(', ');
    process.stdout.write(`report: ${r.file} (${(r.bytes / 1024).toFixed(0)} KiB; ${kinds})\n`);
    return ExitCode.OK;
  } catch (e) {
    if (e instanceof ReportInputError) throw new UserError(e.message);
    throw e;
  }
}
