/**
 * The gate through real runs: N A/A pairs and N A/B pairs of `run` against the emulator, whose
 * reads are delayed by lognormal draws (p50 2 ms, p99 8 ms; the candidate of an A/B pair p99 +20 %),
 * each pair judged by `gate` — the false-alarm rate of the default rules (p99 +10 %) and the
 * detection rate of `p99: +0%`. On a shared 2-core machine the tail also carries the machine's own
 * pauses: the figures are what a noisy CI runner would see (the synthetic calibration is gate.ts).
 * Not a test: a real-run p99 on a loaded box is too noisy to assert.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSim } from '../src/sim/index.js';
import { arg } from './args.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const BIN = path.join(ROOT, 'bin/scylla-bench.js');


/** The CLI in a child process; asynchronous: the emulator lives in this process and must keep answering. */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    c.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    c.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export async function main(): Promise<void> {
  const pairs = Number(arg('pairs', '3'));
  const seconds = Number(arg('seconds', '30'));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-gate-emu-'));
  const profile = path.join(dir, 'p.yaml');
  writeFileSync(profile, `name: gate-emulator\ntarget: {hosts: []}\nseed: 5\nworkers: 1\nclasses:\n  app: {workload: ${JSON.stringify(path.join(ROOT, 'bench/profiles/kv-bench.yaml'))}, mix: get, rate: 1000/s, max_in_flight: 256}\nphases:\n  - schema\n  - {kind: warmup, duration: 2s}\n  - {kind: measure, duration: ${seconds}s}\n`);
  const strict = path.join(dir, 'strict.yaml');
  writeFileSync(strict, "'*': {p99: +0%}\n");
  let seed = 1;
  const runOn = async (p99: number): Promise<string> => {
    const sim = await startSim({ nodes: 1, shards: 2, host: '127.81.0.2', capacity: false, seed: seed++, faults: { latencyMs: { read: { lognormal: { p50: 2, p99 } } } } });
    try {
      const r = await cli(['run', profile, '--target', `${sim.nodes[0].host}:9042`, '--json', '--out', path.join(dir, 'results')]);
      if (r.code !== 0) throw new Error(`run failed (${r.code}): ${r.stderr.slice(-300)}`);
      return (JSON.parse(r.stdout) as { resultDir: string }).resultDir;
    } finally {
      await sim.stop();
    }
  };
  let falseAlarms = 0;
  let detected = 0;
  for (let i = 0; i < pairs; i++) {
    const a = await runOn(8);
    const aa = await runOn(8);
    const ab = await runOn(9.6);
    if ((await cli(['gate', aa, '--baseline', a])).code === 1) falseAlarms++;
    if ((await cli(['gate', ab, '--baseline', a, '--rules', strict])).code === 1) detected++;
    console.log(`gate-emulator pair ${i + 1}/${pairs}: false alarms so far ${falseAlarms}, detected ${detected}`);
  }
  console.log(`gate through real runs on ${os.availableParallelism()} cores (${seconds} s at 1000 reads/s, lognormal p50 2 ms p99 8 ms): A/A false alarms with the default rules ${falseAlarms}/${pairs}; p99 +20 % caught by p99: +0% ${detected}/${pairs}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e: unknown) => { console.error(`bench/gate-emulator: ${e instanceof Error ? e.message : String(e)}`); process.exitCode = 1; });
}
