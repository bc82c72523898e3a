/**
 * `scylla-bench merge <result dirs…> -o DIR [--partial]`: the n loaders of a segmented run
 * (`run --segment i/n`) as one result — results/merge.ts computes, this reads the inputs and
 * writes result.json, intervals.jsonl and one merged `.hlog` per class into DIR (a result any
 * command reads: compare, gate, report). Bad input: one line, exit 2.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { HlogWriter } from '../metrics/hlog.js';
import { MergeError, mergeResults, type MergeInput } from '../results/merge.js';
import { readResult, ResultReadError } from '../results/read.js';
import { summarizeRun } from '../results/result.js';
import { ExitCode, UserError } from './exit.js';
import { checkOutDir, newRunId } from './run.js';
import { renderRunTable } from './table.js';

export interface MergeFlags {
  inputs: string[];
  out: string;
  partial: boolean;
  json: boolean;
}

function load(source: string): MergeInput {
  try {
    const r = readResult(source);
    const classes = new Set(r.result.phases.flatMap((p) => Object.keys(p.classes)));
    const hlogs: Record<string, string> = {};
    for (const cls of classes) {
      const f = path.join(r.dir, `${cls}.hlog`);
      if (existsSync(f)) hlogs[cls] = readFileSync(f, 'utf8');
    }
    return { source, result: r.result, profileHash: r.profileHash, hlogs };
  } catch (e) {
    if (e instanceof ResultReadError) throw new UserError(e.message);
    throw e;
  }
}

export function mergeCommand(f: MergeFlags): number {
  const inputs = f.inputs.map(load);
  const out = path.resolve(f.out);
  for (const x of inputs) {
    if (path.resolve(x.source).replace(/\/result\.json$/, '') === out) throw new UserError(`-o ${f.out}: is one of the inputs`);
  }
  if (existsSync(path.join(out, 'result.json'))) {
    // a previous merge may be replaced; a loader's own result never
    let prior: { merged?: unknown } = {};
    try { prior = JSON.parse(readFileSync(path.join(out, 'result.json'), 'utf8')) as { merged?: unknown }; } catch { /* unreadable: refused below */ }
    if (!prior.merged) throw new UserError(`-o ${f.out}: already holds a result that is not a merge; name another directory`);
  }
  let merged;
  try {
    merged = mergeResults(inputs, { partial: f.partial, runId: `merged-${newRunId()}` });
  } catch (e) {
    if (e instanceof MergeError) throw new UserError(e.message);
    throw e;
  }
  checkOutDir(f.out);
  mkdirSync(out, { recursive: true });
  for (const [cls, h] of merged.hlogs) {
    const w = new HlogWriter(path.join(out, `${cls}.hlog`), h.baseTimeMs, `scylla-bench merge ${merged.result.runId} class ${cls}: ${merged.result.merged!.merged.length} loaders (values in microseconds)`);
    for (const i of h.intervals) w.interval(i.tag, i.startMs, i.endMs, i.histogram);
  }
  writeFileSync(path.join(out, 'intervals.jsonl'), merged.intervals.map((r) => `${JSON.stringify(r)}\n`).join(''));
  const tmp = path.join(out, 'result.json.tmp');
  writeFileSync(tmp, `${JSON.stringify(merged.result, null, 2)}\n`);
  renameSync(tmp, path.join(out, 'result.json'));
  // what we wrote is a result like any other: read it back through the one reader
  try {
    readResult(out);
  } catch (e) {
    throw new Error(`the merged result does not read back: ${(e as Error).message}`);
  }
  const m = merged.result.merged!;
  const lines = m.loaders.map((l) => {
    const phase = l.phases.filter((p) => Object.keys(p.classes).length > 0).at(-1);
    const ops = phase ? Object.values(phase.classes).reduce((a, c) => a + Object.values(c.ops).reduce((x, o) => x + o.count + o.errors, 0), 0) : 0;
    const clock = l.clock?.offsetMs !== null && l.clock?.offsetMs !== undefined
      ? `cluster clock ${l.clock.offsetMs >= 0 ? '+' : ''}${l.clock.offsetMs.toFixed(1)} ms ±${((l.clock.rttMs ?? 0) / 2).toFixed(1)}`
      : `cluster clock unknown (${l.clock?.source ?? 'not recorded'})`;
    return `segment ${l.segment}/${m.segments} ${l.host}: ${ops} ops in ${phase?.name ?? 'no phase'}, start ${phase ? `${phase.startOffsetMs >= 0 ? '+' : ''}${phase.startOffsetMs} ms` : '-'}, ${clock}${l.stopped ? `, stopped: ${l.stopped}` : ''}`;
  });
  const text = `${renderRunTable(merged.result)}\n${lines.join('\n')}\nmerged: ${out}/result.json (${m.merged.length} of ${m.segments} segments)\n`;
  if (f.json) {
    process.stderr.write(text);
    process.stdout.write(`${JSON.stringify(summarizeRun(merged.result, out))}\n`);
  } else {
    process.stdout.write(text);
  }
  return ExitCode.OK;
}
