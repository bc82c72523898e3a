/**
 * Capacity benchmark: what a long sweep pays per step beyond its warmup and measure. A 20-step
 * `capacity` (every step passes: the rate climbs by 10 % from 200 ops/s, far below the emulator's
 * capacity, so the step budget ends it) against one `run` of the same profile, whose set-up
 * (process start, connections, schema, load) each step would pay again if steps were runs.
 * Figures are read from the results (phase starts and wall times), printed, never asserted.
 *
 *   node dist/bench/capacity.js [--steps 20]
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readResult } from '../src/results/read.js';
import type { CapacityResult } from '../src/results/capacity.js';
import type { PhaseResult } from '../src/results/result.js';
import { arg } from './args.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const OUT = path.join(ROOT, 'results/bench-capacity');
const PROFILE = 'bench/profiles/capacity-sweep.yaml';


function cli(args: string[]): { dir: string; wallMs: number; spawnedAtMs: number } {
  const spawnedAtMs = Date.now();
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/scylla-bench.js'), ...args, '--json', '--out', OUT], { cwd: ROOT, encoding: 'utf8' });
  const wallMs = Date.now() - spawnedAtMs;
  if (r.status !== 0 && r.status !== 1) throw new Error(`scylla-bench ${args[0]} failed (${r.status}): ${r.stderr}`);
  return { dir: path.resolve(ROOT, JSON.parse(r.stdout).resultDir as string), wallMs, spawnedAtMs };
}

const start = (p: PhaseResult): number => Date.parse(p.startedAt);
const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[s.length >> 1] : NaN; };
const sec = (ms: number): string => (ms / 1000).toFixed(2);

function main(): void {
  const steps = arg('steps', '20');
  console.log(`capacity sweep set-up (${os.availableParallelism()} cores; ${PROFILE}: schema, 20 000-row load, then ${steps} steps of 1 s warmup + 1 s measure; the emulator spawned by --target sim:)`);
  const sweep = cli(['capacity', PROFILE, '--target', 'sim:127.79.0.3', '--start', '200', '--factor', '1.1', '--precision', '0.1%', '--max-steps', steps, '--warmup', '1s', '--duration', '1s']);
  const r = readResult(sweep.dir).result;
  const ph = r.phases;
  const timed = ph.filter((p) => p.kind === 'warmup' || p.kind === 'measure');
  const setUp = ph.filter((p) => p.kind === 'schema' || p.kind === 'load');
  // between one phase's last reply and the next phase's first slot: the drain, the phase's result, the next go
  const gaps = timed.slice(1).map((p, i) => start(p) - (start(timed[i]) + timed[i].wallMs));
  const measures = timed.filter((p) => p.kind === 'measure').length;
  const stepGaps = timed.slice(1).map((p, i) => ({ p, gap: gaps[i] })).filter((x) => x.p.kind === 'warmup').map((x) => x.gap);
  const firstTimed = start(timed[0]);
  const c = JSON.parse(readFileSync(path.join(sweep.dir, 'capacity.json'), 'utf8')) as CapacityResult;
  console.log(`answer: ${c.capacityOpsPerSec} ops/s, limited by ${c.limitedBy}${c.stoppedBy ? ` (${c.stoppedBy.verdict}: ${c.stoppedBy.why})` : ''}; steps whose lag was the loader's: ${c.steps.filter((s) => s.judgedOn === 'service').length}`);
  console.log(`sweep: ${measures} steps in ${sec(sweep.wallMs)} s wall; set-up once: ${setUp.map((p) => `${p.kind} ×1 ${sec(p.wallMs)} s`).join(', ')} (schema phases ${ph.filter((p) => p.kind === 'schema').length}, load phases ${ph.filter((p) => p.kind === 'load').length}); process start → first step ${sec(firstTimed - sweep.spawnedAtMs)} s`);
  console.log(`  per step: warmup + measure windows ${sec(timed.filter((p) => p.name.startsWith('step1-')).reduce((a, p) => a + p.durationMs, 0))} s; their drains (wall − window) median ${median(timed.map((p) => p.wallMs - p.durationMs)).toFixed(0)} ms; gap from one step's measure to the next step's warmup median ${median(stepGaps).toFixed(0)} ms, max ${Math.max(...stepGaps).toFixed(0)} ms; warmup → measure median ${median(timed.slice(1).map((p, i) => ({ p, gap: gaps[i] })).filter((x) => x.p.kind === 'measure').map((x) => x.gap)).toFixed(0)} ms`);
  const run = cli(['run', PROFILE, '--target', 'sim:127.79.0.4']);
  const rr = readResult(run.dir).result;
  const runFirst = rr.phases.find((p) => p.kind === 'warmup' || p.kind === 'measure')!;
  const runSetUpMs = start(runFirst) - run.spawnedAtMs;
  const stepOverhead = median(stepGaps);
  console.log(`one run of the same profile: ${sec(run.wallMs)} s wall, of which ${sec(runSetUpMs)} s before its warmup (process, emulator, connections, schema, load): ${measures} steps as separate runs would pay ${sec(runSetUpMs * measures)} s of set-up; the sweep paid ${sec(firstTimed - sweep.spawnedAtMs)} s once + ${sec(stepGaps.reduce((a, b) => a + b, 0))} s of gaps between steps (${stepOverhead.toFixed(0)} ms a step)`);
}

main();
