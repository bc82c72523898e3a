/**
 * `scylla-bench ab`: the same phases once per variant per round, interleaved (A B C A B C …)
 * with the same seed, so drift in the machine or the cluster hits every variant alike. The
 * schema and load phases run once, before the first round; each variant run repeats the
 * profile's warmup and measure phases.
 *
 * Gains are shard-aware over each baseline: p99 ratio (baseline / shard-aware: > 1 means
 * shard-aware is faster) and throughput ratio (shard-aware / baseline), with a 95% interval
 * across rounds (t on log ratios), or over per-second intervals when there is one round.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { decode, mergeInto, newHistogram, summarize } from '../metrics/histogram.js';
import type { ResolvedProfile, RoutingMode } from '../profile/types.js';
import { summarizeRun, summaryPhase, type RunResult, type RunSummary } from '../results/result.js';
import { bootstrapRatio, ratioAcrossRounds, type RatioEstimate } from '../results/stats.js';
import { Coordinator, type RunOptions } from './coordinator.js';

export type AbVary = 'routing' | 'service-levels';

export interface AbOptions extends Omit<RunOptions, 'profile' | 'runId'> {
  profile: ResolvedProfile;
  runId: string;
  vary: AbVary;
  /** routing: the modes; service-levels: ['on', 'off']. */
  variants: string[];
  rounds: number;
  onRound?: (line: string) => void;
}

export interface VariantSummary extends RunSummary {
  /** Loader CPU per op in the measure phases (whole process, µs). */
  cpuUsPerOp: number;
  throughput: number;
  rounds: { round: number; resultDir: string; throughput: number; p99Ms: number; p50Ms: number; p999Ms: number }[];
}

export interface AbResult {
  vary: AbVary;
  runId: string;
  resultDir: string;
  rounds: number;
  variants: Record<string, VariantSummary>;
  /** routing: baseline → gains of shard-aware over it. */
  gain: Record<string, { p99: RatioEstimate; p50: RatioEstimate; throughput: RatioEstimate }>;
  /** service-levels: class → p99/p50 of 'off' over 'on' (> 1: the levels helped that class). */
  classGain?: Record<string, { p99: RatioEstimate; p50: RatioEstimate; throughput: RatioEstimate }>;
  stopped: string | null;
  warnings: string[];
}

function withPhases(p: ResolvedProfile, kinds: string[], routing?: RoutingMode): ResolvedProfile {
  return {
    ...p,
    routing: routing ?? p.routing,
    phases: p.phases.filter((ph) => kinds.includes(ph.kind)).map((ph) => ({
      ...ph, classes: ph.classes.map((c) => ({ ...c, routing: routing ?? c.routing })),
    })),
  };
}

/** The variant's profile: a routing mode, or service levels on/off (off: every class under the default level). */
function variantProfile(p: ResolvedProfile, vary: AbVary, v: string): ResolvedProfile {
  if (vary === 'routing') return withPhases(p, ['warmup', 'measure'], v as RoutingMode);
  const base = withPhases(p, ['warmup', 'measure']);
  if (v === 'on') return base;
  return { ...base, serviceLevels: {}, phases: base.phases.map((ph) => ({ ...ph, classes: ph.classes.map((c) => ({ ...c, serviceLevel: undefined })) })) };
}

/** Per class of a result's measure phase: p50/p99 (of the latency its summary uses) and ops/s. */
function classStats(r: RunResult): Record<string, { p50Ms: number; p99Ms: number; throughput: number }> {
  const ph = summaryPhase(r);
  const out: Record<string, { p50Ms: number; p99Ms: number; throughput: number }> = {};
  for (const [name, c] of Object.entries(ph?.classes ?? {})) {
    const h = newHistogram();
    let ops = 0;
    for (const o of Object.values(c.ops)) {
      const enc = c.latency === 'response' ? o.response.histogram : o.service.histogram;
      if (enc) mergeInto(h, decode(enc));
      ops += o.count;
    }
    const s = summarize(h);
    out[name] = { p50Ms: s.p50Ms, p99Ms: s.p99Ms, throughput: ph ? ops / (ph.durationMs / 1000) : 0 };
  }
  return out;
}

/** Merged latency of all classes and ops of a result's measure phase (the latency its summary uses). */
function measureStats(r: RunResult): { throughput: number; p50Ms: number; p99Ms: number; p999Ms: number; perSecondP99: number[]; cpuUsPerOp: number } {
  const ph = summaryPhase(r);
  const h = newHistogram();
  let ops = 0;
  for (const c of Object.values(ph?.classes ?? {})) {
    for (const o of Object.values(c.ops)) {
      const enc = c.latency === 'response' ? o.response.histogram : o.service.histogram;
      if (enc) mergeInto(h, decode(enc));
      ops += o.count;
    }
  }
  const s = summarize(h);
  const perSecondP99 = (ph?.intervals ?? []).map((iv) => Math.max(0, ...Object.values(iv.classes).flatMap((c) => Object.values(c.ops).map((o) => o.p99Ms)))).filter((x) => x > 0);
  return { throughput: ph ? ops / (ph.durationMs / 1000) : 0, p50Ms: s.p50Ms, p99Ms: s.p99Ms, p999Ms: s.p999Ms, perSecondP99, cpuUsPerOp: ph?.loader.cpuUsPerOp ?? 0 };
}

export async function runAb(o: AbOptions): Promise<AbResult> {
  const root = path.join(o.resultsDir, o.runId);
  const warnings: string[] = [];
  const run = async (profile: ResolvedProfile, name: string): Promise<RunResult> => {
    const { result } = await new Coordinator({ ...o, profile, resultsDir: root, runId: name }).run();
    for (const w of result.warnings) if (!warnings.includes(w)) warnings.push(w);
    return result;
  };
  let stopped: string | null = null;
  const prep = withPhases(o.profile, ['schema', 'load']);
  if (prep.phases.length > 0) {
    o.onRound?.('preparing: schema and load phases');
    stopped = (await run(prep, 'prepare')).stopped;
  }
  const perVariant = new Map<string, { results: RunResult[]; stats: ReturnType<typeof measureStats>[]; dirs: string[] }>();
  for (const v of o.variants) perVariant.set(v, { results: [], stats: [], dirs: [] });
  for (let round = 1; round <= o.rounds && !stopped; round++) {
    for (const v of o.variants) {
      if (o.signal?.aborted) { stopped = 'signal'; break; }
      const name = `round${round}-${v}`;
      const r = await run(variantProfile(o.profile, o.vary, v), name);
      const st = measureStats(r);
      const slot = perVariant.get(v)!;
      slot.results.push(r);
      slot.stats.push(st);
      slot.dirs.push(path.join(root, name));
      o.onRound?.(`round ${round}/${o.rounds} ${v}: ${st.throughput.toFixed(0)} ops/s, p50 ${st.p50Ms} ms, p99 ${st.p99Ms} ms`);
      if (r.stopped) { stopped = r.stopped; break; }
    }
  }

  const variants: Record<string, VariantSummary> = {};
  for (const [v, slot] of perVariant) {
    if (slot.results.length === 0) continue;
    const last = slot.results[slot.results.length - 1];
    variants[v] = {
      ...summarizeRun(last, slot.dirs[slot.dirs.length - 1]),
      cpuUsPerOp: slot.stats.reduce((a, s) => a + s.cpuUsPerOp, 0) / slot.stats.length,
      throughput: slot.stats.reduce((a, s) => a + s.throughput, 0) / slot.stats.length,
      rounds: slot.stats.map((s, i) => ({ round: i + 1, resultDir: slot.dirs[i], throughput: s.throughput, p99Ms: s.p99Ms, p50Ms: s.p50Ms, p999Ms: s.p999Ms })),
    };
  }
  const gain: AbResult['gain'] = {};
  let classGain: AbResult['classGain'];
  const sa = perVariant.get('shard-aware');
  if (o.vary === 'service-levels') {
    const on = perVariant.get('on')?.results ?? [];
    const off = perVariant.get('off')?.results ?? [];
    const n = Math.min(on.length, off.length);
    classGain = {};
    const onStats = on.slice(0, n).map(classStats);
    const offStats = off.slice(0, n).map(classStats);
    for (const cls of Object.keys(onStats[0] ?? {})) {
      const pair = (f: (i: number) => number): number[] => Array.from({ length: n }, (_, i) => f(i));
      classGain[cls] = {
        p99: ratioAcrossRounds(pair((i) => offStats[i][cls].p99Ms / onStats[i][cls].p99Ms)),
        p50: ratioAcrossRounds(pair((i) => offStats[i][cls].p50Ms / onStats[i][cls].p50Ms)),
        throughput: ratioAcrossRounds(pair((i) => onStats[i][cls].throughput / offStats[i][cls].throughput)),
      };
    }
  } else if (sa && sa.stats.length > 0) {
    for (const [v, slot] of perVariant) {
      if (v === 'shard-aware' || slot.stats.length === 0) continue;
      const n = Math.min(sa.stats.length, slot.stats.length);
      const pair = <T>(f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));
      gain[v] = n >= 2
        ? {
          p99: ratioAcrossRounds(pair((i) => slot.stats[i].p99Ms / sa.stats[i].p99Ms)),
          p50: ratioAcrossRounds(pair((i) => slot.stats[i].p50Ms / sa.stats[i].p50Ms)),
          throughput: ratioAcrossRounds(pair((i) => sa.stats[i].throughput / slot.stats[i].throughput)),
        }
        : {
          p99: bootstrapRatio(slot.stats[0].perSecondP99, sa.stats[0].perSecondP99),
          p50: ratioAcrossRounds([slot.stats[0].p50Ms / sa.stats[0].p50Ms]),
          throughput: ratioAcrossRounds([sa.stats[0].throughput / slot.stats[0].throughput]),
        };
    }
  } else {
    warnings.push('no shard-aware variant: gains are not computed');
  }
  const out: AbResult = { vary: o.vary, runId: o.runId, resultDir: root, rounds: o.rounds, variants, gain, classGain, stopped, warnings };
  writeFileSync(path.join(root, 'ab.json'), `${JSON.stringify(out, null, 2)}\n`);
  return out;
}
