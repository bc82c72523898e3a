/** `scylla-bench ab <profile>`: interleaved A/B rounds; prints per-variant figures and the gains. */
import Table from 'cli-table3';
import { runAb, type AbResult } from '../engine/ab.js';
import { loadProfile } from '../profile/load.js';
import type { RoutingMode } from '../profile/types.js';
import type { AbRatio } from '../results/ab.js';
import { formatProgress } from './progress.js';
import { ExitCode, UserError } from './exit.js';
import type { LoaderExporter } from '../metrics/prometheus.js';
import { abortOnSignals, checkOutDir, startExporter, defaultWorkers, engineToUser, newRunId, prepareTarget, profileOverrides, progressPrinter } from './run.js';

export interface AbFlags {
  profile: string;
  vary: string;
  modes: string;
  rounds: number;
  duration?: string;
  target?: string;
  workers?: number;
  maxWorkers?: number;
  prometheus?: string;
  seed?: number;
  out: string;
  json: boolean;
}

const MODES: RoutingMode[] = ['shard-aware', 'token-aware', 'round-robin', 'driver'];

export function parseModes(s: string): RoutingMode[] {
  const modes = s.split(',').map((x) => x.trim()).filter(Boolean);
  for (const m of modes) {
    if (!MODES.includes(m as RoutingMode)) throw new UserError(`--modes: unknown mode '${m}' (expected ${MODES.join(', ')})`);
  }
  if (modes.length < 2) throw new UserError('--modes: name at least two variants, e.g. shard-aware,token-aware');
  return modes as RoutingMode[];
}

const x2 = (v: number): string => `${v.toFixed(2)}×`;

/** A ratio with its interval; an interval that spans 1 cannot tell better from worse: "inconclusive". */
export function fmtGain(r: AbRatio): string {
  if (!Number.isFinite(r.ratio)) return 'n/a';
  if (r.low === null || r.high === null) return `${x2(r.ratio)} (one sample: no interval)`;
  const interval = `[${r.low.toFixed(2)}, ${r.high.toFixed(2)}]`;
  if (r.low <= 1 && r.high >= 1) return `inconclusive (${x2(r.ratio)}, 95% interval ${interval} spans 1)`;
  return `${x2(r.ratio)} ${interval}`;
}

const pct = (x: number | null): string => (x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`);

export function renderAb(r: AbResult): string {
  const t = new Table({
    head: ['variant', 'ops/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'loader CPU µs/op', 'misroute (client)', 'cross-shard (target)'],
    style: { head: [], border: [] },
  });
  for (const [v, s] of Object.entries(r.variants)) {
    const clientMis = Object.values(s.classes).map((c) => c.misrouteRatio);
    const mis = clientMis.some((m) => m === null) ? null : Math.max(0, ...(clientMis as number[]));
    t.push([v, s.throughput.toFixed(0), s.p50Ms.toFixed(2), s.p99Ms.toFixed(2), s.p999Ms.toFixed(2), s.cpuUsPerOp.toFixed(1), pct(mis), pct(s.targetCrossShardRatio)]);
  }
  const rounds = Object.values(r.variants)[0]?.rounds.length ?? 0;
  const lines = [`ab: vary ${r.vary}, ${rounds} round(s) of ${r.rounds}, interleaved; percentiles from every round's histograms merged`, t.toString()];
  for (const [cls, g] of Object.entries(r.classGain ?? {})) {
    const open = Object.values(r.variants).every((v) => v.classes[cls]?.loop === 'open' && v.classes[cls]?.rate.kept !== false);
    lines.push(`class ${cls}: p99 off/on ${fmtGain(g.p99)}; p50 off/on ${fmtGain(g.p50)}; throughput ${open ? 'fixed by rate' : `on/off ${fmtGain(g.throughput)}`} (> 1: better with service levels)`);
  }
  for (const [base, g] of Object.entries(r.gain)) {
    const fixed = r.variants['shard-aware']?.throughputFixedByRate && r.variants[base]?.throughputFixedByRate;
    lines.push(`shard-aware vs ${base}: p99 ${base}/shard-aware ${fmtGain(g.p99)}; p50 ${base}/shard-aware ${fmtGain(g.p50)}; throughput ${fixed ? 'fixed by rate' : `shard-aware/${base} ${fmtGain(g.throughput)}`} (> 1: shard-aware better; ${g.p99.method})`);
  }
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n');
}

export async function abCommand(f: AbFlags, toolVersion: string): Promise<number> {
  if (f.vary !== 'routing' && f.vary !== 'service-levels') throw new UserError(`--vary: '${f.vary}' is not supported (routing, service-levels)`);
  if (!Number.isInteger(f.rounds) || f.rounds < 1) throw new UserError('--rounds: must be a positive integer');
  const variants: string[] = f.vary === 'routing' ? parseModes(f.modes) : ['on', 'off'];
  checkOutDir(f.out);
  const profile = await loadProfile(f.profile, profileOverrides({ target: f.target, duration: f.duration, workers: f.workers, maxWorkers: f.maxWorkers, seed: f.seed }));
  if (f.vary === 'service-levels' && !profile.phases.some((ph) => ph.classes.some((c) => c.serviceLevel))) {
    throw new UserError(`${f.profile}: --vary service-levels needs classes with a service_level`);
  }
  const target = prepareTarget(profile, f.target);
  const sig = abortOnSignals();
  const progress = progressPrinter();
  let exporter: LoaderExporter | undefined;
  try {
    exporter = await startExporter(f.prometheus);
    const r = await runAb({
      observer: exporter,
      profile: defaultWorkers(profile, target.local), target: target.info, resultsDir: f.out, runId: `ab-${newRunId()}`,
      toolVersion, signal: sig.signal, vary: f.vary, variants, rounds: f.rounds,
      onRound: (line) => process.stderr.write(`${line}\n`), onProgress: (p) => progress.print(formatProgress(p)),
    }).catch(engineToUser);
    progress.clear();
    const text = `${renderAb(r)}\nresult: ${r.resultDir}/ab.json\n`;
    if (f.json) {
      process.stderr.write(text);
      process.stdout.write(`${JSON.stringify({ vary: r.vary, variants: r.variants, gain: r.gain, classGain: r.classGain, stopped: r.stopped, warnings: r.warnings, resultDir: r.resultDir })}\n`);
    } else process.stdout.write(text);
    return r.stopped ? ExitCode.CHECKS_FAILED : ExitCode.OK;
  } finally {
    progress.clear();
    sig.dispose();
    await exporter?.stop();
    await target.stop();
  }
}
