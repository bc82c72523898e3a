/**
 * `scylla-bench capacity <profile>`: the max ops/s a class sustains at its SLO, with the bracket
 * the search ended on, the knee, and what stopped the climb; `--history DIR` keeps one line per
 * night and flags a night whose bracket lies wholly below the previous one (exit 1).
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Table from 'cli-table3';
import { runCapacity, sweepClasses } from '../engine/capacity.js';
import { FlagError } from '../profile/errors.js';
import { gitSha } from './git.js';
import { loadProfile } from '../profile/load.js';
import { historyEntrySchema, parseSlo, trendOf, type CapacityResult, type CapacitySlo, type HistoryEntry } from '../results/capacity.js';
import { ExitCode, UserError } from './exit.js';
import { formatProgress } from './progress.js';
import {
  abortOnSignals, checkOutDir, defaultWorkers, engineToUser, newRunId, prepareTarget, profileOverrides, progressPrinter, startExporter,
} from './run.js';
import type { LoaderExporter } from '../metrics/prometheus.js';

export interface CapacityFlags {
  profile: string;
  className?: string;
  slo?: string;
  maxErrorRatio?: number;
  startOpsPerSec?: number;
  factor: number;
  precision: number;
  maxSteps: number;
  warmupMs?: number;
  measureMs?: number;
  history?: string;
  target?: string;
  workers?: number;
  maxWorkers?: number;
  seed?: number;
  out: string;
  json: boolean;
  prometheus?: string;
}

const HISTORY_FILE = 'capacity-history.jsonl';

/** The history file's entries; a line that is not one is bad input (one line naming it). */
export function readHistory(dir: string): HistoryEntry[] {
  const file = path.join(dir, HISTORY_FILE);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l, i) => {
    let v: unknown;
    try { v = JSON.parse(l); } catch { throw new UserError(`${file}:${i + 1}: not a JSON line`); }
    const r = historyEntrySchema.safeParse(v);
    if (!r.success) throw new UserError(`${file}:${i + 1}: not a capacity history entry (${r.error.issues[0].path.join('.')}: ${r.error.issues[0].message})`);
    return r.data;
  });
}

export function renderCapacity(c: CapacityResult): string {
  const t = new Table({ head: ['step', 'ops/s asked', 'ops/s sent', `${c.slo.metric.replace('Ms', '')} ms`, 'p99 ms', 'errors', 'verdict'], style: { head: [], border: [] } });
  for (const s of [...c.steps].sort((a, b) => a.rateOpsPerSec - b.rateOpsPerSec)) {
    t.push([s.step, s.rateOpsPerSec, s.achievedOpsPerSec, s.latencyMs.toFixed(2), s.p99Ms.toFixed(2), `${(s.errorRatio * 100).toFixed(2)}%`, s.verdict === 'pass' ? 'pass' : `FAIL: ${s.why}`]);
  }
  const slo = `${c.slo.metric.replace('Ms', '')} ≤ ${c.slo.limitMs} ms`;
  const [lo, hi] = c.bracket;
  const lines = [`capacity of class ${c.class} at ${slo}${c.heldClasses.length ? ` (held at their rates: ${c.heldClasses.join(', ')})` : ''}`, t.toString()];
  if (c.limitedBy === 'loader') lines.push(`answer: at least ${lo ?? 0} ops/s — the LOADER ran out first (${c.stoppedBy?.why}); this is not the cluster's capacity: add loaders (run --segment) or workers`);
  else if (lo === null) lines.push(`answer: no rate held the SLO (the lowest tried failed: ${c.stoppedBy?.why})`);
  else lines.push(`answer: ${lo} ops/s sustained at ${slo} (bracket [${lo}, ${hi ?? '?'}]${c.limitedBy === 'steps' ? ', the step budget ran out before a rate failed' : ''}); stopped by ${c.stoppedBy ? `${c.stoppedBy.verdict}: ${c.stoppedBy.why}` : 'nothing'}`);
  lines.push(c.knee ? `knee: p99 leaves its floor (${c.knee.floorP99Ms} ms) at ${c.knee.rateOpsPerSec} ops/s (p99 ${c.knee.p99Ms} ms)` : 'knee: not reached');
  if (c.trend) {
    const p = c.trend.previous;
    lines.push(`${c.trend.regressed ? 'REGRESSED' : 'trend'}: previous night ${p.date}${p.gitSha ? ` (${p.gitSha.slice(0, 12)})` : ''} sustained ${p.capacityOpsPerSec ?? 'nothing'} ops/s [${p.bracket[0]}, ${p.bracket[1]}]${c.trend.ratio !== null ? `; now ${c.trend.ratio}×` : ''}${c.trend.regressed ? ': the brackets do not overlap' : ''}`);
  }
  for (const w of c.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n');
}

export async function capacityCommand(f: CapacityFlags, toolVersion: string): Promise<number> {
  const sig = abortOnSignals();
  const progress = progressPrinter();
  let target: ReturnType<typeof prepareTarget> | undefined;
  let exporter: LoaderExporter | undefined;
  try {
    checkOutDir(f.out);
    const history = f.history !== undefined ? readHistoryDir(f.history) : undefined;
    const loaded = await loadProfile(f.profile, profileOverrides({ target: f.target, workers: f.workers, maxWorkers: f.maxWorkers, seed: f.seed }));
    const classes = sweepClasses(loaded);
    const cls = f.className !== undefined ? classes.find((c) => c.name === f.className) : classes.find((c) => c.rateOpsPerSec !== undefined) ?? classes[0];
    if (!cls) {
      throw f.className !== undefined
        ? new FlagError('--class', `no class ${f.className} in the profile's measure phase (classes: ${classes.map((c) => c.name).join(', ') || 'none'})`)
        : new UserError(`${f.profile}: the profile has no measure phase with classes to sweep`);
    }
    let slo: CapacitySlo;
    if (f.slo !== undefined) {
      const s = parseSlo(f.slo);
      if (typeof s === 'string') throw new FlagError('--slo', s);
      slo = s;
    } else {
      const spec = cls.slo;
      const metric = (['p99Ms', 'p999Ms', 'p50Ms'] as const).find((m) => spec?.[m] !== undefined);
      if (!metric) throw new FlagError('--slo', `class ${cls.name} has no latency SLO in the profile: pass one, e.g. --slo p99<=10ms`);
      slo = { metric, limitMs: spec![metric]! };
    }
    const measure = [...loaded.phases].reverse().find((ph) => ph.kind === 'measure');
    const warmup = [...loaded.phases].reverse().find((ph) => ph.kind === 'warmup');
    target = prepareTarget(loaded, f.target);
    const profile = defaultWorkers(loaded, target.local);
    exporter = await startExporter(f.prometheus);
    const runId = `capacity-${newRunId()}`;
    const { capacity, resultDir } = await runCapacity({
      profile, target: target.info, resultsDir: f.out, runId, toolVersion, signal: sig.signal, observer: exporter,
      onProgress: (p) => progress.print(formatProgress(p)),
      className: cls.name, slo, maxErrorRatio: f.maxErrorRatio ?? cls.slo?.maxErrorRatio ?? 0.01,
      search: { startOpsPerSec: f.startOpsPerSec ?? cls.rateOpsPerSec ?? 1000, factor: f.factor, precision: f.precision, maxSteps: f.maxSteps },
      warmupMs: f.warmupMs ?? warmup?.durationMs ?? 5000, measureMs: f.measureMs ?? measure?.durationMs ?? 20_000,
      onStep: (line) => { progress.clear(); process.stderr.write(`${line}\n`); },
    }).catch(engineToUser);
    progress.clear();
    if (history && f.history !== undefined) {
      const entry: HistoryEntry = {
        date: capacity.endedAt, gitSha: gitSha(), profileHash: capacity.profileHash, profile: loaded.name, class: capacity.class,
        slo: capacity.slo, capacityOpsPerSec: capacity.capacityOpsPerSec, bracket: capacity.bracket, limitedBy: capacity.limitedBy, resultDir,
      };
      capacity.trend = capacity.stopped ? null : trendOf(history, entry);
      if (!capacity.stopped) appendFileSync(path.join(f.history, HISTORY_FILE), `${JSON.stringify(entry)}\n`);
      writeFileSync(path.join(resultDir, 'capacity.json'), `${JSON.stringify(capacity, null, 2)}\n`);
    }
    const text = `${renderCapacity(capacity)}\nresult: ${resultDir}/capacity.json\n`;
    if (f.json) {
      process.stderr.write(text);
      process.stdout.write(`${JSON.stringify(capacity)}\n`);
    } else process.stdout.write(text);
    if (capacity.stopped) return ExitCode.CHECKS_FAILED;
    if (capacity.trend?.regressed) return ExitCode.CHECKS_FAILED;
    return capacity.capacityOpsPerSec === null ? ExitCode.CHECKS_FAILED : ExitCode.OK;
  } finally {
    progress.clear();
    sig.dispose();
    await exporter?.stop();
    await target?.stop();
  }
}

function readHistoryDir(dir: string): HistoryEntry[] {
  checkOutDir(dir, '--history');
  return readHistory(dir);
}
