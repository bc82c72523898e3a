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

function sample(pid: number): { rssMb: number; fds: number } | undefined {
  try {
    const rss = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
    return { rssMb: rss, fds: readdirSync(`/proc/${pid}/fd`).length };
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
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/scylla-bench.js'), 'run', profile, '--json', '--out', path.join(dir, 'results')], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    const samples: { t: number; rssMb: number; fds: number }[] = [];
    const t0 = Date.now();
    const timer = setInterval(() => { const s = sample(child.pid!); if (s) samples.push({ t: (Date.now() - t0) / 1000, ...s }); }, 5000);
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    clearInterval(timer);
    const summary = JSON.parse(out) as { resultDir: string; classes: { app: { rate: { achieved: number } } } };
    const result = JSON.parse(readFileSync(path.join(summary.resultDir, 'result.json'), 'utf8')) as { phases: { kind: string; loader: { maxRssMb: number; cpuUsPerOp: number } }[] };
    const m = result.phases.find((p) => p.kind === 'measure')!;
    const first = samples[0];
    const last = samples[samples.length - 1];
    const peak = Math.max(...samples.map((s) => s.rssMb));
    console.log(`soak on ${os.availableParallelism()} cores: ${rate} ops/s for ${seconds} s, 1 worker (exit ${code}), achieved ${summary.classes.app.rate.achieved} ops/s, loader ${m.loader.cpuUsPerOp.toFixed(1)} µs CPU/op`);
    console.log(`soak: RSS ${first?.rssMb.toFixed(0)} MiB at ${first?.t.toFixed(0)} s → ${last?.rssMb.toFixed(0)} MiB at ${last?.t.toFixed(0)} s, peak ${peak.toFixed(0)} MiB (result loader.maxRssMb ${m.loader.maxRssMb}; target ≤ 64 MiB); open fds ${first?.fds} → ${last?.fds}`);
  } finally {
    await sim.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e: unknown) => { console.error(`bench/soak: ${e instanceof Error ? e.message : String(e)}`); process.exitCode = 1; });
}
