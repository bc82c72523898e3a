/**
 * Start-up cost of the CLI (issue 17's targets: `--help` and `--version` ≤ 0.2 s CPU; a run's
 * start-up ≤ 0.5 s CPU to its first request against a ready target). Each command runs in its own
 * process with cpu-at-exit preloaded; the run is a single-op load phase against the emulator in
 * its own process, so its CPU is start-up + one request + shutdown. Medians of N runs, printed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSim } from '../src/sim/spawn.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const BIN = path.join(ROOT, 'bin/scylla-bench.js');
const PRELOAD = path.join(HERE, 'cpu-at-exit.js');

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}

function measure(args: string[]): { cpuMs: number; rssMb: number } {
  const r = spawnSync(process.execPath, ['--import', `file://${PRELOAD}`, BIN, ...args], { cwd: ROOT, encoding: 'utf8' });
  const m = /CPU_AT_EXIT_US=(\d+) MAXRSS_KB=(\d+)/.exec(r.stderr);
  if (!m) throw new Error(`${args.join(' ')}: no CPU figure (exit ${r.status}): ${r.stderr.slice(-300)}`);
  return { cpuMs: Number(m[1]) / 1000, rssMb: Number(m[2]) / 1024 };
}

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

export async function main(): Promise<void> {
  const n = Number(arg('runs', '5'));
  console.log(`start-up on ${os.availableParallelism()} cores (${os.cpus()[0]?.model ?? '?'}), median of ${n} runs each`);
  for (const args of [['--help'], ['--version']]) {
    const xs = Array.from({ length: n }, () => measure(args));
    console.log(`${args.join(' ').padEnd(10)} ${median(xs.map((x) => x.cpuMs)).toFixed(0).padStart(5)} ms CPU, peak RSS ${median(xs.map((x) => x.rssMb)).toFixed(0)} MiB (target ≤ 200 ms)`);
  }
  const sim = await spawnSim({ nodes: 1, shards: 2, host: '127.79.0.1', capacity: false });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-startup-'));
  try {
    const profile = path.join(dir, 'one.yaml');
    const workload = path.join(ROOT, 'bench/profiles/kv-bench.yaml');
    writeFileSync(profile, `name: one\ntarget: {hosts: ['${sim.nodes[0].host}:${sim.nodes[0].port}']}\nworkers: 1\nphases:\n  - schema\n  - name: load\n    kind: load\n    count: 1\n    classes:\n      app: {workload: ${JSON.stringify(workload)}, mix: put, concurrency: 1}\n`);
    const xs = Array.from({ length: n }, () => measure(['run', profile, '--out', path.join(dir, 'results')]));
    console.log(`run (1 op)  ${median(xs.map((x) => x.cpuMs)).toFixed(0).padStart(5)} ms CPU for start-up + one request + shutdown, peak RSS ${median(xs.map((x) => x.rssMb)).toFixed(0)} MiB (target ≤ 500 ms to the first request)`);
  } finally {
    await sim.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e: unknown) => { console.error(`bench/startup: ${e instanceof Error ? e.message : String(e)}`); process.exitCode = 1; });
}
