/**
 * The CDC consumer at a fixed write rate (default 10 000 writes/s for 30 s, one worker) against
 * the emulator in its own process: prints the consumer's `cdc-lag` p50/p99 (read time − the
 * change's cdc$time), per second at the start and the end of the window, how long it needed to
 * catch up after the writers stopped, and whether it kept up (caught up within its drain, every
 * change read once, no backlog left at the end). Figures only; nothing is asserted.
 *
 * The consumer's windows default to profiles/cdc.yaml's (confidence 1 s, query window 5 s,
 * sleeps 250 ms / 500 ms); `--go-defaults` uses scylla-cdc-go's own (30 s, 30 s, 10 s / 30 s),
 * which needs a window well over a minute to say anything (`--seconds 120`).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSim } from '../src/sim/spawn.js';
import type { RunResult } from '../src/results/result.js';
import { arg } from './args.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');


export async function main(): Promise<void> {
  const rate = Number(arg('rate', '10000'));
  const seconds = Number(arg('seconds', '30'));
  const goDefaults = process.argv.includes('--go-defaults');
  const noView = process.argv.includes('--no-view');
  const windows = goDefaults ? '' : ', confidence_window: 1s, query_window: 5s, post_nonempty_query_delay: 250ms, post_empty_query_delay: 500ms';
  const sim = await spawnSim({ nodes: 1, shards: 2, host: '127.81.0.1', capacity: false });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-cdc-bench-'));
  try {
    const profile = path.join(dir, 'cdc.yaml');
    // the shipped workload, at replication factor 1: one emulated node holds every replica
    const wl = path.join(dir, 'cdc-workload.yaml');
    let wlText = readFileSync(path.join(ROOT, 'workloads/cdc.yaml'), 'utf8').replace("'replication_factor': 3", "'replication_factor': 1");
    // --no-view: the consumer's own figure, without the view's updates competing for the
    // emulator's one thread (with the view the emulator, not the consumer, saturates first)
    if (noView) {
      wlText = wlText.replace(/\n  CREATE MATERIALIZED VIEW[\s\S]*?PRIMARY KEY \(\(status\), customer_id, order_id\);\n/, '\n')
        .replace(/\n  orders_by_status:\n    cql: [^\n]*\n/, '\n');
    }
    writeFileSync(wl, wlText);
    const workload = JSON.stringify(wl);
    writeFileSync(profile, [
      'name: cdc-bench',
      `target: {hosts: ['${sim.nodes[0].host}:${sim.nodes[0].port}']}`,
      'workers: 1',
      'classes:',
      `  shop: {workload: ${workload}, mix: place_order, rate: ${rate}/s, max_in_flight: 4096}`,
      `  follower: {kind: cdc, workload: ${workload}, cdc: {table: orders${windows}}}`,
      'phases:',
      '  - schema',
      `  - {kind: measure, duration: ${seconds}s}`,
      '',
    ].join('\n'));
    const load0 = os.loadavg()[0];
    const simCpu0 = await sim.cpuUsage();
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/scylla-bench.js'), 'run', profile, '--json', '--out', path.join(dir, 'results')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    const simCpu1 = await sim.cpuUsage();
    const simCpuSec = (simCpu1.userUs + simCpu1.systemUs - simCpu0.userUs - simCpu0.systemUs) / 1e6;
    const summary = JSON.parse(out) as { resultDir: string };
    const result = JSON.parse(readFileSync(path.join(summary.resultDir, 'result.json'), 'utf8')) as RunResult;
    const m = result.phases.find((p) => p.kind === 'measure')!;
    const f = m.classes.follower;
    const cdc = f.cdc!;
    const lag = f.ops['cdc-lag'].service;
    const shop = m.classes.shop;
    // seconds inside the window that read changes: the first and last five show a growing backlog
    const secs = m.intervals.filter((i) => i.t < seconds && (i.classes.follower?.ops['cdc-lag']?.count ?? 0) > 0).map((i) => i.classes.follower.ops['cdc-lag']);
    const p99s = (xs: typeof secs): string => xs.map((x) => x.p99Ms.toFixed(0)).join(' ');
    const spec = result.profile.phases.find((p) => p.kind === 'measure')!.classes.find((c) => c.kind === 'cdc')!.cdc!;
    // a consumer that keeps up reads a change between confidence and confidence + one sleep
    // (+ the query) after it was written; a backlog shows as a lag past that at the window's end
    const steadyMs = spec.confidenceWindowMs + Math.max(spec.postEmptyQueryDelayMs, spec.postNonEmptyQueryDelayMs) + 1000;
    const lastP99 = Math.max(0, ...secs.slice(-5).map((x) => x.p99Ms));
    const keptUp = cdc.caughtUp && cdc.missing === 0 && cdc.duplicate === 0 && lastP99 <= steadyMs;
    console.log(`cdc consumer on ${os.availableParallelism()} cores (load average ${load0.toFixed(1)} before): writers ${rate}/s for ${seconds} s on 1 worker, emulator 1 node × 2 shards in its own process${noView ? ', the workload without its view' : ''} (exit ${code}); windows: ${goDefaults ? "scylla-cdc-go's defaults" : 'profiles/cdc.yaml\'s'} (confidence ${spec.confidenceWindowMs} ms, query window ${spec.queryWindowMs} ms, sleeps ${spec.postNonEmptyQueryDelayMs}/${spec.postEmptyQueryDelayMs} ms)`);
    console.log(`cdc writers: achieved ${shop.rate.achieved} of ${rate} writes/s (schedule ${shop.rate.kept ? 'kept' : 'NOT kept'}), ${shop.ops.place_order.count} writes, ${shop.ops.place_order.errors} errors, p99 ${shop.ops.place_order.response.p99Ms} ms`);
    console.log(`cdc lag: p50 ${lag.p50Ms} ms, p99 ${lag.p99Ms} ms, max ${lag.maxMs} ms over ${cdc.changes} changes; per-second p99 first 5 s: ${p99s(secs.slice(0, 5))}; last 5 s: ${p99s(secs.slice(-5))}`);
    console.log(`cdc consumer: ${cdc.groups} readers (${cdc.streams} streams), ${cdc.queries} log queries (${cdc.failedQueries} failed), caught up ${cdc.drainMs} ms after the writers stopped; missing ${cdc.missing}, duplicate ${cdc.duplicate}, unexpected ${cdc.unexpected}; kept up: ${keptUp ? 'yes' : 'no'} (last 5 s p99 ${lastP99.toFixed(0)} ms vs the ${steadyMs} ms a consumer with no backlog stays under); loader ${m.loader.cpuSec} CPU-s, emulator ${simCpuSec.toFixed(1)} CPU-s (whole run); load average ${os.loadavg()[0].toFixed(1)} after`);
  } finally {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e: unknown) => { console.error(`bench/cdc: ${e instanceof Error ? e.message : String(e)}`); process.exitCode = 1; });
}
