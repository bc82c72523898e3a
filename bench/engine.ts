/**
 * Engine benchmarks, against the emulator in its own process (so this process's CPU is the
 * loader's alone):
 *   1. loader CPU µs per op at saturation: our engine (shard-aware) vs the stock
 *      cassandra-driver driven by the same engine (routing 'driver'), same workload, same
 *      emulator, same concurrency, interleaved rounds;
 *   2. rate accuracy: achieved / target at 20 000 ops/s with 2 workers for 30 s, schedule lag p99;
 *   3. scaling: ops/s with 1 and 2 workers, closed loop.
 *
 *   4. routing: `ab` shard-aware vs token-aware on 2 nodes × 4 shards with a costly cross-shard hop.
 *
 *   node dist/bench/engine.js [--rounds 2] [--cpu-workers 1] [--rate-seconds 30] [--hop-us 500] [--skip cpu,rate,scaling,routing]
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Coordinator } from '../src/engine/coordinator.js';
import { runAb } from '../src/engine/ab.js';
import type { SimOptions } from '../src/sim/index.js';
import { spawnSim, type SpawnedSim } from '../src/sim/spawn.js';
import { loadProfile } from '../src/profile/load.js';
import type { PhaseResult, RunResult } from '../src/results/result.js';
import { LatencyRecorder, newHistogram, recordNs } from '../src/metrics/histogram.js';
import { loopbackFloor } from './floor.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const PROFILES = path.join(ROOT, 'bench/profiles');
const HOST = '127.77.0.1';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}

/** The emulator in its own process (the same child the CLI starts), so its CPU is not the loader's. */
function startEmulator(shards: number, options: SimOptions = { capacity: false }, host = HOST, nodes = 1): Promise<SpawnedSim> {
  return spawnSim({ nodes, shards, host, ...options });
}

async function run(profile: string, o: { routing?: 'shard-aware' | 'driver'; workers?: number; durationMs?: number }): Promise<PhaseResult> {
  const p = await loadProfile(path.join(PROFILES, profile), { target: `${HOST}:9042`, routing: o.routing, workers: o.workers, durationMs: o.durationMs });
  const { result } = await new Coordinator({
    profile: p, target: { hosts: p.target.hosts }, resultsDir: path.join(ROOT, 'results/bench'), runId: `${profile.replace('.yaml', '')}-${Date.now()}`, toolVersion: 'bench',
  }).run();
  return measure(result);
}

function measure(r: RunResult): PhaseResult {
  const ph = r.phases.find((p) => p.kind === 'measure');
  if (!ph) throw new Error('no measure phase');
  return ph;
}

const opsOf = (ph: PhaseResult): number => Object.values(ph.classes).reduce((a, c) => a + Object.values(c.ops).reduce((x, o) => x + o.count + o.errors, 0), 0);

/**
 * What HDR recording costs per op, measured in this process, modelled on the worker: each op kind
 * (saturate.yaml: put and get, drawn at random 1:1) has a service and a response LatencyRecorder
 * — one and the same in a closed loop, where an op's response time is its service time — and a
 * completion records into them as Worker.complete does; an open loop also records the op's
 * schedule lag. Latencies are spread like the run's (service log-normal around its p50; the open
 * loop's lag log-normal around 0.3 ms, added to the response). Every second's worth of ops at the
 * run's rate, the worker's report: each histogram encoded (shared ones once) and reset. Beside it,
 * the closed loop recorded straight into hdr-histogram-js (service and response), the old path.
 */
function recordCostNsPerOp(p50Ms: number, opsPerSec: number, n = 2_000_000): { closed: number; open: number; direct: number } {
  const size = 1 << 16;
  const serviceNs = new Float64Array(size);
  const lagNs = new Float64Array(size);
  const kind = new Uint8Array(size);
  let seed = 12345;
  const rnd = (): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return (seed + 1) / 0x80000000; };
  const gauss = (): number => Math.sqrt(-2 * Math.log(rnd())) * Math.cos(2 * Math.PI * rnd());
  for (let i = 0; i < size; i++) {
    serviceNs[i] = Math.max(1000, p50Ms * 1e6 * Math.exp(gauss()));
    lagNs[i] = 0.3e6 * Math.exp(gauss());
    kind[i] = rnd() < 0.5 ? 0 : 1;
  }
  const perSecond = Math.max(1000, Math.round(opsPerSec));
  let shipped = 0;
  const recorders = (loop: 'closed' | 'open') => {
    const stats = [0, 1].map(() => {
      const service = new LatencyRecorder();
      return { service, response: loop === 'closed' ? service : new LatencyRecorder() };
    });
    return { stats, scheduleLag: new LatencyRecorder() };
  };
  const closed = recorders('closed');
  const open = recorders('open');
  const report = (r: ReturnType<typeof recorders>, loop: 'closed' | 'open'): void => {
    for (const st of r.stats) {
      const service = st.service.encode();
      const response = st.response === st.service ? service : st.response.encode();
      shipped += service.length + response.length;
      st.service.reset();
      st.response.reset();
    }
    if (loop === 'open') shipped += r.scheduleLag.encode().length;
    r.scheduleLag.reset();
  };
  const viaRecorder = (loop: 'closed' | 'open') => (count: number): void => {
    const r = loop === 'closed' ? closed : open;
    let untilReport = perSecond;
    for (let i = 0; i < count; i++) {
      const j = i & (size - 1);
      const st = r.stats[kind[j]];
      if (loop === 'open') r.scheduleLag.recordNs(lagNs[j]);
      st.service.recordNs(serviceNs[j]);
      if (st.response !== st.service) st.response.recordNs(serviceNs[j] + lagNs[j]);
      if (--untilReport === 0) { report(r, loop); untilReport = perSecond; }
    }
  };
  const hs = [newHistogram(), newHistogram(), newHistogram(), newHistogram()];
  const direct = (count: number): void => {
    for (let i = 0; i < count; i++) {
      const j = i & (size - 1);
      recordNs(hs[kind[j] * 2], serviceNs[j]);
      recordNs(hs[kind[j] * 2 + 1], serviceNs[j]);
    }
  };
  const cost = (f: (count: number) => void): number => {
    f(200_000); // JIT and first-use costs outside the measured loop
    const c0 = process.cpuUsage();
    f(n);
    const c = process.cpuUsage(c0);
    return (c.user + c.system) * 1000 / n;
  };
  const r = { closed: cost(viaRecorder('closed')), open: cost(viaRecorder('open')), direct: cost(direct) };
  if (shipped === 0) throw new Error('recorder shipped nothing');
  return r;
}

async function cpu(rounds: number, workers: number): Promise<void> {
  const totals: Record<string, { ops: number; cpuUs: number; wallMs: number; p99: number[] }> = {};
  const floors: number[] = [];
  const floorsUnpaced: number[] = [];
  const records: number[] = [];
  const recordsOpen: number[] = [];
  const recordsDirect: number[] = [];
  for (let r = 1; r <= rounds; r++) {
    for (const routing of ['shard-aware', 'driver'] as const) {
      const ph = await run('saturate.yaml', { routing, workers });
      const ops = opsOf(ph);
      const cpuUs = ph.loader.cpuUsPerOp * ops;
      const t = (totals[routing] ??= { ops: 0, cpuUs: 0, wallMs: 0, p99: [] });
      t.ops += ops; t.cpuUs += cpuUs; t.wallMs += ph.durationMs; t.p99.push(ph.classes.app.ops.get.service.p99Ms);
      console.log(`cpu round ${r} ${routing.padEnd(12)} ${(ops / (ph.durationMs / 1000)).toFixed(0).padStart(7)} ops/s  ${ph.loader.cpuUsPerOp.toFixed(1).padStart(6)} µs CPU/op  get p99 ${ph.classes.app.ops.get.service.p99Ms} ms`);
      if (routing !== 'shard-aware') continue;
      // the floor in the same round, with the same pipelining (256 in flight over one connection
      // per shard) and its server paced to the throughput the engine just reached
      const opsPerSec = ops / (ph.durationMs / 1000);
      const f = await loopbackFloor({ seconds: 3, inFlight: 256, connections: 2, rateOpsPerSec: Math.round(opsPerSec) });
      const fu = await loopbackFloor({ seconds: 2, inFlight: 256, connections: 2 });
      const rec = recordCostNsPerOp(ph.classes.app.ops.get.service.p50Ms, opsPerSec);
      floors.push(f.cpuUsPerOp); floorsUnpaced.push(fu.cpuUsPerOp); records.push(rec.closed); recordsOpen.push(rec.open); recordsDirect.push(rec.direct);
      const pct = (ns: number): string => `${(ns / 10 / ph.loader.cpuUsPerOp).toFixed(2)}%`;
      console.log(`cpu round ${r} floor        ${f.opsPerSec.toFixed(0).padStart(7)} ops/s  ${f.cpuUsPerOp.toFixed(2).padStart(6)} µs CPU/op  (Node framed loopback, server paced to the engine's rate; unpaced ${fu.cpuUsPerOp.toFixed(2)} µs/op at ${(fu.opsPerSec / 1e6).toFixed(1)} M ops/s); HDR record closed loop ${rec.closed.toFixed(1)} ns/op (${pct(rec.closed)} of this round's CPU/op), open loop ${rec.open.toFixed(1)} ns/op (${pct(rec.open)}); straight into hdr-histogram-js ${rec.direct.toFixed(0)} ns/op`);
    }
  }
  const per = (k: string): number => totals[k].cpuUs / totals[k].ops;
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const engine = per('shard-aware');
  const floor = mean(floors);
  const recordNsPerOp = mean(records);
  console.log(`cpu: engine ${engine.toFixed(1)} µs/op, cassandra-driver ${per('driver').toFixed(1)} µs/op, ratio ${(engine / per('driver')).toFixed(3)} (target <= 0.25); concurrency 256, ${workers} worker(s), ${rounds} rounds, ${os.availableParallelism()} cores, load average ${os.loadavg()[0].toFixed(2)}`);
  console.log(`cpu: Node framed-loopback floor ${floor.toFixed(2)} µs/op at the engine's rate (unpaced ${mean(floorsUnpaced).toFixed(2)}); engine − floor ${(engine - floor).toFixed(1)} µs/op, engine / floor ${(engine / floor).toFixed(1)}×`);
  const pct = (ns: number): string => `${(ns / 10 / engine).toFixed(2)}%`;
  console.log(`cpu: HDR recording (the worker's recorders, microbenchmark in this process, with the once-a-second encoding) closed loop ${recordNsPerOp.toFixed(1)} ns/op = ${pct(recordNsPerOp)} of the engine's CPU/op (target <= 2%; 1 record per op: response = service), open loop ${mean(recordsOpen).toFixed(1)} ns/op = ${pct(mean(recordsOpen))} (3 records: service, response, schedule lag); straight into hdr-histogram-js ${mean(recordsDirect).toFixed(0)} ns/op = ${pct(mean(recordsDirect))}`);
}

async function rate(seconds: number): Promise<void> {
  const ph = await run('rate.yaml', { workers: 2, durationMs: seconds * 1000 });
  const c = ph.classes.app;
  const get = c.ops.get.response;
  console.log(`rate: target ${c.rate.target} ops/s, achieved ${c.rate.achieved} ops/s sent inside the window (${((c.rate.achieved / c.rate.target!) * 100).toFixed(2)}%, kept: ${c.rate.kept}, unsent ${c.rate.unsent}), 2 workers, ${seconds}s; sent within 1 ms of schedule ${((c.schedule?.within1msRatio ?? 0) * 100).toFixed(1)}%, within 10 ms ${((c.schedule?.within10msRatio ?? 0) * 100).toFixed(1)}%; schedule lag p50 ${c.scheduleLag?.p50Ms} ms p99 ${c.scheduleLag?.p99Ms} ms max ${c.scheduleLag?.maxMs} ms; get response p50 ${get.p50Ms} p99 ${get.p99Ms} ms; loader CPU ${(ph.loader.cpuFraction * 100).toFixed(0)}% of ${os.availableParallelism()} cores`);
}

async function scaling(): Promise<void> {
  const out: string[] = [];
  for (const workers of [1, 2]) {
    const ph = await run('saturate.yaml', { workers });
    out.push(`${workers} worker(s) ${(opsOf(ph) / (ph.durationMs / 1000)).toFixed(0)} ops/s`);
  }
  console.log(`scaling (closed loop, 256 in flight, emulator 1 node × 2 shards in its own process): ${out.join(', ')}`);
}

/**
 * Shard-aware vs token-aware with `ab`, on an emulator whose cross-shard hop costs shard time:
 * the gain with its interval, and what shard-awareness costs the loader in CPU per op.
 */
async function routing(rounds: number, hopUs: number): Promise<void> {
  const host = '127.77.1.1';
  const emu = await startEmulator(4, { costs: { crossShardHopUs: hopUs } }, host, 2);
  try {
    const p = await loadProfile(path.join(PROFILES, 'routing.yaml'), { target: `${host}:9042` });
    const r = await runAb({
      profile: p, target: { hosts: p.target.hosts }, resultsDir: path.join(ROOT, 'results/bench'), runId: `ab-${Date.now()}`, toolVersion: 'bench',
      vary: 'routing', variants: ['shard-aware', 'token-aware'], rounds,
    });
    const sa = r.variants['shard-aware'];
    const ta = r.variants['token-aware'];
    const g = r.gain['token-aware'];
    const ci = (x: { ratio: number; low: number | null; high: number | null }): string => `${x.ratio.toFixed(2)}× [${x.low?.toFixed(2) ?? '?'}, ${x.high?.toFixed(2) ?? '?'}]`;
    const p99 = (v: typeof sa): string => v.p99Ms.toFixed(2);
    console.log(`routing (2 nodes × 4 shards, hop ${hopUs} µs, open loop ${p.phases.find((x) => x.kind === 'measure')!.classes[0].rateOpsPerSec} ops/s, ${rounds} rounds): p99 shard-aware ${p99(sa)} ms vs token-aware ${p99(ta)} ms, gain p99 ${ci(g.p99)}, p50 ${ci(g.p50)}; misroute ${sa.classes.app.misrouteRatio} vs ${ta.classes.app.misrouteRatio}`);
    console.log(`routing: loader CPU per op shard-aware ${sa.cpuUsPerOp.toFixed(1)} µs vs token-aware ${ta.cpuUsPerOp.toFixed(1)} µs (${(((sa.cpuUsPerOp / ta.cpuUsPerOp) - 1) * 100).toFixed(1)}% more; target <= 10%)`);
  } finally {
    await emu.stop();
  }
}

export async function main(): Promise<void> {
  const skip = new Set(arg('skip', '').split(',').filter(Boolean));
  const emu = await startEmulator(2);
  try {
    console.log(`engine benchmarks on ${os.availableParallelism()} cores (${os.cpus()[0]?.model ?? '?'}); emulator: 1 node × 2 shards, capacity model off, separate process`);
    // one worker by default: on a small machine the emulator needs the other core, and a loader
    // fighting its target for CPU measures the scheduler, not the client
    if (!skip.has('cpu')) await cpu(Number(arg('rounds', '2')), Number(arg('cpu-workers', '1')));
    if (!skip.has('rate')) await rate(Number(arg('rate-seconds', '30')));
    if (!skip.has('scaling')) await scaling();
  } finally {
    await emu.stop();
  }
  if (!skip.has('routing')) await routing(Number(arg('rounds', '3')), Number(arg('hop-us', '500')));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e: unknown) => {
    console.error(`bench/engine: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  });
}
