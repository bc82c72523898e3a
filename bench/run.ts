/**
 * `npm run bench`: every benchmark, one after another, each in its own process; figures are
 * printed, never asserted. The client benchmark talks to the emulator in a separate process
 * (SB_BENCH_TARGET=host:port points it at another server, e.g. a real Cassandra, instead).
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');

function node(file: string, args: string[] = [], extraArgs: string[] = []): number {
  console.log(`\n=== ${path.basename(file)} ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [...extraArgs, path.join(HERE, file), ...args], { stdio: 'inherit', cwd: ROOT });
  return r.status ?? 1;
}

async function withEmulator<T>(fn: (target: string) => T): Promise<T> {
  if (process.env.SB_BENCH_TARGET) return fn(process.env.SB_BENCH_TARGET);
  const host = '127.78.0.1';
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/scylla-bench.js'), 'sim', '--nodes', '1', '--shards', '2', '--host', host, '--no-capacity'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('ready')) resolve(); });
    child.once('exit', (c) => reject(new Error(`emulator exited with ${c}`)));
  });
  try {
    return fn(`${host}:9042`);
  } finally {
    child.kill('SIGTERM');
  }
}

async function main(): Promise<void> {
  let failed = 0;
  failed += node('murmur3.js') ? 1 : 0;
  failed += node('generators.js') ? 1 : 0;
  failed += node('sim.js', [], ['--expose-gc']) ? 1 : 0;
  failed += (await withEmulator((target) => node('client.js', ['--target', target, '--seconds', '4', '--rounds', '2']))) ? 1 : 0;
  failed += node('engine.js') ? 1 : 0;
  if (failed) {
    console.error(`\n${failed} benchmark(s) failed`);
    process.exitCode = 1;
  }
}

void main();
