/**
 * A bounded soak: one worker at a fixed rate (default 20 000 ops/s for 60 s) against the emulator
 * in its own process, the loader sampled every few seconds from /proc (resident memory, open file
 * descriptors). Prints start, end and peak, and the result's own loader.maxRssMb: memory must stay
 * flat and descriptors must not leak (issue 17's target: ≤ 64 MiB for coordinator + one worker).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSim } from '../src/sim/spawn.js';
import { arg } from './args.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');


interface Sample { rssMb: number; anonMb: number; fileMb: number; fds: number }

function sample(pid: number): Sample | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) / 1024;
    // RssFile is mostly the node binary's own code pages, shared with every other node process
    return { rssMb: kb('VmRSS'), anonMb: kb('RssAnon'), fileMb: kb('RssFile'), fds: readdirSync(`/proc/${pid}/fd`).length };
  } catch {
    return undefined;
  }
}

interface SoakRun { label: string; code: number | null; achieved: number; cpuUsPerOp: number; maxRssMb: number; samples: ({ t: number } & Sample)[] }

function samplePeaks(pid: number, samples: ({ t: number } & Sample)[], t0: number): NodeJS.Timeout {
  return setInterval(() => { const s = sample(pid); if (s) samples.push({ t: (Date.now() - t0) / 1000, ...s }); }, 1000);
}

async function soakOnce(label: string, bin: string, nodeOptions: string[], profile: string, outDir: string): Promise<SoakRun> {
  const child = spawn(process.execPath, [...nodeOptions, bin, 'run', profile, '--json', '--out', outDir], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  const samples: ({ t: number } & Sample)[] = [];
  const timer = samplePeaks(child.pid!, samples, Date.now());
  const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
  clearInterval(timer);
  const summary = JSON.parse(out) as { resultDir: string; classes: { app: { rate: { achieved: number } } } };
  const result = JSON.parse(readFileSync(path.join(summary.resultDir, 'result.json'), 'utf8')) as { phases: { kind: string; loader: { maxRssMb: number; cpuUsPerOp: number } }[] };
  const m = result.phases.find((p) => p.kind === 'measure')!;
  return { label, code, achieved: summary.classes.app.rate.achieved, cpuUsPerOp: m.loader.cpuUsPerOp, maxRssMb: m.loader.maxRssMb, samples };
}

/** What Node itself holds resident with one idle worker thread: the floor under any Node loader. */
async function nodeFloor(): Promise<{ rssMb: number; anonMb: number; fileMb: number }> {
  const child = spawn(process.execPath, ['-e', "const { Worker } = require('node:worker_threads'); new Worker('setTimeout(() => {}, 3000)', { eval: true });"], { stdio: 'ignore' });
  const samples: ({ t: number } & Sample)[] = [];
  const timer = samplePeaks(child.pid!, samples, Date.now());
  await new Promise((r) => child.on('close', r));
  clearInterval(timer);
  const peak = (k: 'rssMb' | 'anonMb' | 'fileMb'): number => Math.max(...samples.map((x) => x[k]));
  return { rssMb: peak('rssMb'), anonMb: peak('anonMb'), fileMb: peak('fileMb') };
}

/**
 *   node dist/bench/soak.js [--rate 20000] [--seconds 60] [--rounds 1]
 *     [--against /other/checkout/bin/scylla-bench.js]  (another build, run alternately: before/after)
 *     [--node-options '--flag …']                      (this build under other V8 flags)
 */
export async function main(): Promise<void> {
  const rate = Number(arg('rate', '20000'));
  const seconds = Number(arg('seconds', '60'));
  const rounds = Number(arg('rounds', '1'));
  const against = arg('against', '');
  const nodeOptions = arg('node-options', '').split(' ').filter(Boolean);
  const sim = await spawnSim({ nodes: 1, shards: 2, host: '127.80.0.1', capacity: false });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-soak-'));
  try {
    const profile = path.join(dir, 'soak.yaml');
    writeFileSync(profile, `name: soak\ntarget: {hosts: ['${sim.nodes[0].host}:${sim.nodes[0].port}']}\nworkers: 1\nclasses:\n  app: {workload: ${JSON.stringify(path.join(ROOT, 'bench/profiles/kv-bench.yaml'))}, mix: {put: 1, get: 1}, rate: ${rate}/s, max_in_flight: 4096}\nphases:\n  - schema\n  - {kind: measure, duration: ${seconds}s}\n`);
    const floor = await nodeFloor();
    console.log(`soak on ${os.availableParallelism()} cores (load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}): ${rate} ops/s for ${seconds} s, 1 worker, ${rounds} round(s)`);
    console.log(`soak: Node floor (bare node + one idle worker thread) RSS ${floor.rssMb.toFixed(0)} MiB = anonymous ${floor.anonMb.toFixed(0)} + file-backed ${floor.fileMb.toFixed(0)}`);
    for (let r = 1; r <= rounds; r++) {
      const variants: [string, string][] = [['this build', path.join(ROOT, 'bin/scylla-bench.js')]];
      if (against) variants.push([against, against]);
      for (const [label, bin] of variants) {
        const run = await soakOnce(label, bin, label === 'this build' ? nodeOptions : [], profile, path.join(dir, 'results'));
        const s = run.samples;
        const peak = (k: 'rssMb' | 'anonMb' | 'fileMb'): string => Math.max(...s.map((x) => x[k])).toFixed(0);
        // the second half of the run against the first: flat means no growth once warmed up
        const half = (from: number, to: number): string => Math.max(...s.filter((x) => x.t > from && x.t <= to).map((x) => x.rssMb)).toFixed(0);
        console.log(`soak round ${r} ${label}${label === 'this build' && nodeOptions.length ? ` (node ${nodeOptions.join(' ')})` : ''}: exit ${run.code}, achieved ${run.achieved} ops/s, ${run.cpuUsPerOp.toFixed(1)} µs CPU/op; peak RSS ${peak('rssMb')} MiB = anonymous ${peak('anonMb')} + file-backed ${peak('fileMb')}; peak in the first half ${half(0, seconds / 2)} MiB, second half ${half(seconds / 2, Infinity)} MiB; result loader.maxRssMb ${run.maxRssMb} (target ≤ 64 MiB); open fds ${s[0]?.fds} → ${s[s.length - 1]?.fds}`);
      }
    }
  } finally {
    await sim.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e: unknown) => { console.error(`bench/soak: ${e instanceof Error ? e.message : String(e)}`); process.exitCode = 1; });
}
