/** `scylla-bench ab <profile>`: interleaved A/B rounds; prints per-variant figures and the gains. */
import Table from 'cli-table3';
import { runAb, type AbResult } from '../engine/ab.js';
import { loadProfile } from '../profile/load.js';
import type { RoutingMode } from '../profile/types.js';
import type { RatioEstimate } from '../results/stats.js';
import { ExitCode, UserError } from './exit.js';
import { abortOnSignals, newRunId, prepareTarget, profileOverrides, progressPrinter } from './run.js';

export interface AbFlags {
  profile: string;
  vary: string;
  modes: string;
  rounds: number;
  duration?: string;
  target?: string;
  workers?: number;
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

const fmtRatio = (r: RatioEstimate): string =>
  Number.isFinite(r.ratio) ? `${r.ratio.toFixed(2)}×${r.low !== null && r.high !== null ? ` [${r.low.toFixed(2)}, ${r.high.toFixed(2)}]` : ''}` : 'n/a';

export function renderAb(r: AbResult): string {
  const t = new Table({ head: ['variant', 'ops/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'CPU µs/op', 'misroute'], style: { head: [], border: [] } });
  for (const [v, s] of Object.entries(r.variants)) {
    const rounds = s.rounds;
    const avg = (f: (x: (typeof rounds)[number]) => number): number => rounds.reduce((a, x) => a + f(x), 0) / rounds.length;
    const mis = Object.values(s.classes).reduce((a, c) => Math.max(a, c.misrouteRatio), 0);
    t.push([v, s.throughput.toFixed(0), avg((x) => x.p50Ms).toFixed(2), avg((x) => x.p99Ms).toFixed(2), avg((x) => x.p999Ms).toFixed(2), s.cpuUsPerOp.toFixed(1), `${(mis * 100).toFixed(1)}%`]);
  }
  const lines = [`ab: vary ${r.vary}, ${r.rounds} round(s), interleaved`, t.toString()];
  for (const [cls, g] of Object.entries(r.classGain ?? {})) {
    lines.push(`class ${cls}: with service levels p99 ${fmtRatio(g.p99)} lower, p50 ${fmtRatio(g.p50)} lower, throughput ${fmtRatio(g.throughput)} (off / on, 95% interval)`);
  }
  for (const [base, g] of Object.entries(r.gain)) {
    lines.push(`shard-aware vs ${base}: p99 ${fmtRatio(g.p99)} lower, p50 ${fmtRatio(g.p50)} lower, throughput ${fmtRatio(g.throughput)} (95% interval, ${g.p99.method})`);
  }
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n');
}

export async function abCommand(f: AbFlags, toolVersion: string): Promise<number> {
  if (f.vary !== 'routing' && f.vary !== 'service-levels') throw new UserError(`--vary: '${f.vary}' is not supported (routing, service-levels)`);
  if (!Number.isInteger(f.rounds) || f.rounds < 1) throw new UserError('--rounds: must be a positive integer');
  const variants: string[] = f.vary === 'routing' ? parseModes(f.modes) : ['on', 'off'];
  const profile = await loadProfile(f.profile, profileOverrides({ target: f.target, duration: f.duration, workers: f.workers, seed: f.seed }));
  if (f.vary === 'service-levels' && !profile.phases.some((ph) => ph.classes.some((c) => c.serviceLevel))) {
    throw new UserError(`${f.profile}: --vary service-levels needs classes with a service_level`);
  }
  const target = await prepareTarget(profile, f.target);
  const sig = abortOnSignals();
  const progress = progressPrinter();
  try {
    const r = await runAb({
      profile, hosts: target.hosts, credentials: target.credentials, tls: target.tls, resultsDir: f.out, runId: `ab-${newRunId()}`,
      toolVersion, signal: sig.signal, vary: f.vary, variants, rounds: f.rounds, targetLabel: target.label,
      onRound: (line) => process.stderr.write(`${line}\n`), onProgress: progress.print,
    });
    progress.clear();
    const text = `${renderAb(r)}\nresult: ${r.resultDir}/ab.json\n`;
    if (f.json) {
      process.stderr.write(text);
      process.stdout.write(`${JSON.stringify({ vary: r.vary, variants: r.variants, gain: r.gain, classGain: r.classGain, stopped: r.stopped, warnings: r.warnings, resultDir: r.resultDir })}\n`);
    } else process.stdout.write(text);
    return r.stopped ? ExitCode.CHECKS_FAILED : ExitCode.OK;
  } finally {
    sig.dispose();
    await target.stop();
  }
}
