/**
 * Loader CPU per op with --validate on and off, side by side: the same profile (closed-loop point
 * reads of rows the run loaded, 1 worker, concurrency 256) against the emulator in its own
 * process, interleaved rounds; the measure phase's loader CPU µs per op, rows checked, and ops/s.
 *
 *   node dist/bench/validate.js [--rounds 3] [--seconds 5]
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Coordinator } from '../src/engine/coordinator.js';
import { loadProfile } from '../src/profile/load.js';
import { spawnSim } from '../src/sim/spawn.js';
import { arg } from './args.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const HOST = '127.79.0.6';


async function main(): Promise<void> {
  const rounds = Number(arg('rounds', '3'));
  const seconds = Number(arg('seconds', '5'));
  const sim = await spawnSim({ nodes: 1, shards: 2, host: HOST, capacity: false });
  const totals: Record<string, { ops: number; cpuUs: number; checked: number; windowMs: number }> = {};
  try {
    for (let r = 1; r <= rounds; r++) {
      for (const validate of [false, true]) {
        const p = await loadProfile(path.join(ROOT, 'bench/profiles/validate.yaml'), { target: `${HOST}:9042`, validate, durationMs: seconds * 1000 });
        const { result } = await new Coordinator({
          profile: p, target: { hosts: p.target.hosts }, resultsDir: path.join(ROOT, 'results/bench'), runId: `validate-${validate ? 'on' : 'off'}-${Date.now()}`, toolVersion: 'bench',
        }).run();
        const ph = result.phases.find((x) => x.kind === 'measure')!;
        const get = ph.classes.app.ops.get;
        const ops = get.count + get.errors;
        const key = validate ? 'on' : 'off';
        const t = (totals[key] ??= { ops: 0, cpuUs: 0, checked: 0, windowMs: 0 });
        t.ops += ops;
        t.cpuUs += ph.loader.cpuUsPerOp * ops;
        t.checked += get.validation?.checked ?? 0;
        t.windowMs += ph.durationMs;
        console.log(`round ${r} validate ${key.padEnd(3)} ${(ops / (ph.durationMs / 1000)).toFixed(0).padStart(7)} ops/s  ${ph.loader.cpuUsPerOp.toFixed(1).padStart(6)} µs CPU/op  rows checked ${get.validation?.checked ?? '-'} (mismatch ${get.validation?.mismatch ?? '-'}, missing ${get.validation?.missing ?? '-'})`);
      }
    }
  } finally {
    await sim.stop();
  }
  const per = (k: string): number => totals[k].cpuUs / totals[k].ops;
  console.log(`validate: loader ${per('off').toFixed(1)} µs CPU/op off, ${per('on').toFixed(1)} µs CPU/op on (×${(per('on') / per('off')).toFixed(2)}); ${(totals.off.ops / (totals.off.windowMs / 1000)).toFixed(0)} vs ${(totals.on.ops / (totals.on.windowMs / 1000)).toFixed(0)} ops/s; ${totals.on.checked} rows checked; point reads, closed loop 256, 1 worker, ${rounds} rounds × ${seconds} s; ${os.availableParallelism()} cores (${os.cpus()[0]?.model ?? '?'}), load average ${os.loadavg()[0].toFixed(1)}`);
}

void main().catch((e: unknown) => { console.error(e); process.exitCode = 1; });
