/**
 * `npm run bench`: every benchmark, one after another, each in its own process; figures are
 * printed, never asserted. The client benchmark talks to the emulator in a separate process
 * (SB_BENCH_TARGET=host:port points it at another server, e.g. a real Cassandra, instead).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSim } from '../src/sim/spawn.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');

function node(file: string, args: string[] = [], extraArgs: string[] = []): number {
  console.log(`\n=== ${path.basename(file)} ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [...extraArgs, path.join(HERE, file), ...args], { stdio: 'inherit', cwd: ROOT });
  return r.status ?? 1;
}

async function withEmulator<T>(fn: (target: string) => T): Promise<T> {
  if (process.env.SB_BENCH_TARGET) return fn(process.env.SB_BENCH_TARGET);
  const sim = await spawnSim({ nodes: 1, shards: 2, host: '127.78.0.1', capacity: false });
  try {
    return fn(`${sim.nodes[0].host}:${sim.nodes[0].port}`);
  } finally {
    await sim.stop();
  }
}

async function main(): Promise<void> {
  let failed = 0;
  failed += node('murmur3.js') ? 1 : 0;
  failed += node('generators.js') ? 1 : 0;
  failed += node('sim.js', [], ['--expose-gc']) ? 1 : 0;
  failed += (await withEmulator((target) => node('client.js', ['--target', target, '--seconds', '4', '--rounds', '2']))) ? 1 : 0;
  failed += node('engine.js') ? 1 : 0;
  failed += node('validate.js') ? 1 : 0;
  failed += node('loader.js') ? 1 : 0;
  failed += node('gate.js') ? 1 : 0;
  failed += node('gate-emulator.js', ['--pairs', '2', '--seconds', '20']) ? 1 : 0;
  failed += node('report.js') ? 1 : 0;
  failed += node('capacity.js') ? 1 : 0;
  failed += node('startup.js') ? 1 : 0;
  failed += node('soak.js') ? 1 : 0;
  failed += node('cdc.js') ? 1 : 0;
  if (failed) {
    console.error(`\n${failed} benchmark(s) failed`);
    process.exitCode = 1;
  }
}

void main();
