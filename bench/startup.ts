/**
 * Start-up cost of the CLI (issue 17's targets: `--help` and `--version` ≤ 0.2 s CPU; a run's
 * start-up ≤ 0.5 s CPU to its first request against a ready target). Each command runs in its own
 * process with cpu-at-exit preloaded; the run is a single-op load phase against the emulator in
 * its own process against a ready target (its schema made beforehand); cpu-at-first-request reads
 * the loader's CPU when its first load request leaves. Medians of N runs, printed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSim } from '../src/sim/spawn.js';
import { arg } from './args.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');

const PRELOAD = path.join(HERE, 'cpu-at-exit.js');
const FIRST_REQUEST = path.join(HERE, 'cpu-at-first-request.js');


function measure(args: string[]): { cpuMs: number; rssMb: number; firstRequestCpuMs: number } {
  const r = spawnSync(process.execPath, ['--import', `file://${PRELOAD}`, '--import', `file://${FIRST_REQUEST}`, BIN, ...args], { cwd: ROOT, encoding: 'utf8' });
  const m = /CPU_AT_EXIT_US=(\d+) MAXRSS_KB=(\d+)/.exec(r.stderr);
  if (!m) throw new Error(`${args.join(' ')}: no CPU figure (exit ${r.status}): ${r.stderr.slice(-300)}`);
  const first = /CPU_AT_FIRST_REQUEST_US=(\d+)/.exec(r.stderr);
  return { cpuMs: Number(m[1]) / 1000, rssMb: Number(m[2]) / 1024, firstRequestCpuMs: first ? Number(first[1]) / 1000 : NaN };
}

// --bin /other/checkout/bin/scylla-bench.js measures another build the same way (before/after)
const BIN = arg('bin', path.join(ROOT, 'bin/scylla-bench.js'));

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

export async function main(): Promise<void> {
  const n = Number(arg('runs', '5'));
  console.log(`start-up on ${os.availableParallelism()} cores (${os.cpus()[0]?.model ?? '?'}), median of ${n} runs each`);
  for (const args of [['--help'], ['--version']]) {
    const xs = Array.from({ length: n }, () => measure(args));
    console.log(`${args.join(' ').padEnd(10)} ${median(xs.map((x) => x.cpuMs)).toFixed(0).padStart(5)} ms CPU, peak RSS ${median(xs.map((x) => x.rssMb)).toFixed(0)} MiB (target ≤ 200 ms)`);
  }
  const sim = await spawnSim({ nodes: 1, shards: 2, host: '127.79.0.5', capacity: false });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-startup-'));
  try {
    const profile = path.join(dir, 'one.yaml');
    const workload = path.join(ROOT, 'bench/profiles/kv-bench.yaml');
    const yaml = (schema: boolean): string => `name: one\ntarget: {hosts: ['${sim.nodes[0].host}:${sim.nodes[0].port}']}\nworkers: 1\nphases:\n${schema ? '  - schema\n' : ''}  - name: load\n    kind: load\n    count: 1\n    classes:\n      app: {workload: ${JSON.stringify(workload)}, mix: put, concurrency: 1}\n`;
    // a ready target: the schema is made once, then each measured run only loads
    writeFileSync(profile, yaml(true));
    measure(['run', profile, '--out', path.join(dir, 'results')]);
    writeFileSync(profile, yaml(false));
    const xs = Array.from({ length: n }, () => measure(['run', profile, '--out', path.join(dir, 'results')]));
    console.log(`run (1 op)  ${median(xs.map((x) => x.firstRequestCpuMs)).toFixed(0).padStart(5)} ms CPU from exec to the first request sent (target ≤ 500 ms); ${median(xs.map((x) => x.cpuMs)).toFixed(0)} ms with the request and shutdown; peak RSS ${median(xs.map((x) => x.rssMb)).toFixed(0)} MiB; emulator in its own process, load average ${os.loadavg()[0].toFixed(2)}`);
  } finally {
    await sim.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e: unknown) => { console.error(`bench/startup: ${e instanceof Error ? e.message : String(e)}`); process.exitCode = 1; });
}
