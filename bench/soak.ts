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

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}

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

export async function main(): Promise<void> {
  const rate = Number(arg('rate', '20000'));
  const seconds = Number(arg('seconds', '60'));
  const sim = await spawnSim({ nodes: 1, shards: 2, host: '127.80.0.1', capacity: false });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-soak-'));
  try {
    const profile = path.join(dir, 'soak.yaml');
    writeFileSync(profile, `name: soak\ntarget: {hosts: ['${sim.nodes[0].host}:${sim.nodes[0].port}']}\nworkers: 1\nclasses:\n  app: {workload: ${JSON.stringify(path.join(ROOT, 'bench/profiles/kv-bench.yaml'))}, mix: {put: 1, get: 1}, rate: ${rate}/s, max_in_flight: 4096}\nphases:\n  - schema\n  - {kind: measure, duration: ${seconds}s}\n`);
    // --node-options '…' runs the loader under other V8 flags (to compare memory settings side by side)
    const nodeOptions = arg('node-options', '').split(' ').filter(Boolean);
    const child = spawn(process.execPath, [...nodeOptions, path.join(ROOT, 'bin/scylla-bench.js'), 'run', profile, '--json', '--out', path.join(dir, 'results')], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    const samples: ({ t: number } & Sample)[] = [];
    const t0 = Date.now();
    const timer = setInterval(() => { const s = sample(child.pid!); if (s) samples.push({ t: (Date.now() - t0) / 1000, ...s }); }, 1000);
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    clearInterval(timer);
    const summary = JSON.parse(out) as { resultDir: string; classes: { app: { rate: { achieved: number } } } };
    const result = JSON.parse(readFileSync(path.join(summary.resultDir, 'result.json'), 'utf8')) as { phases: { kind: string; loader: { maxRssMb: number; cpuUsPerOp: number } }[] };
    const m = result.phases.find((p) => p.kind === 'measure')!;
    const first = samples[0];
    const last = samples[samples.length - 1];
    const peak = (k: 'rssMb' | 'anonMb' | 'fileMb'): string => Math.max(...samples.map((s) => s[k])).toFixed(0);
    // the second half of the run against the first: flat means no growth once warmed up
    const half = (from: number, to: number): string => Math.max(...samples.filter((s) => s.t > from && s.t <= to).map((s) => s.rssMb)).toFixed(0);
    console.log(`soak on ${os.availableParallelism()} cores (load average ${os.loadavg()[0].toFixed(2)}): ${rate} ops/s for ${seconds} s, 1 worker${nodeOptions.length ? ` (node ${nodeOptions.join(' ')})` : ''} (exit ${code}), achieved ${summary.classes.app.rate.achieved} ops/s, loader ${m.loader.cpuUsPerOp.toFixed(1)} µs CPU/op`);
    console.log(`soak: RSS ${first?.rssMb.toFixed(0)} MiB at ${first?.t.toFixed(0)} s → ${last?.rssMb.toFixed(0)} MiB at ${last?.t.toFixed(0)} s, peak ${peak('rssMb')} MiB = anonymous ${peak('anonMb')} + file-backed ${peak('fileMb')} (node's code); peak in the first half ${half(0, seconds / 2)} MiB, second half ${half(seconds / 2, Infinity)} MiB (result loader.maxRssMb ${m.loader.maxRssMb}; target ≤ 64 MiB); open fds ${first?.fds} → ${last?.fds}`);
  } finally {
    await sim.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e: unknown) => { console.error(`bench/soak: ${e instanceof Error ? e.message : String(e)}`); process.exitCode = 1; });
}
