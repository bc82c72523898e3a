/**
 * `scylla-bench ab`: the same phases once per variant per round, interleaved (A B C A B C …)
 * with the same seed, so drift in the machine or the cluster hits every variant alike. The
 * schema and load phases run once, before the first round; each variant run repeats the
 * profile's warmup and measure phases.
 *
 * One figure per variant: its percentiles come from the histograms of every round merged
 * (never averaged), in the table and the JSON alike; per-round figures sit under `rounds[]`.
 * Gains are shard-aware over each baseline: p99 ratio (baseline / shard-aware: > 1 means
 * shard-aware is faster) and throughput ratio (shard-aware / baseline), with a 95 % interval
 * from the per-round ratios (t on log ratios), or over per-second intervals with one round.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { decode, mergeInto, newHistogram, summarize, type Histogram } from '../metrics/histogram.js';
import type { ResolvedProfile, RoutingMode } from '../profile/types.js';
import { summaryPhase, type PhaseResult, type RunResult } from '../results/result.js';
import { bootstrapRatio, ratioAcrossRounds, type RatioEstimate } from '../results/stats.js';
import { Coordinator, type RunOptions, type TargetInfo } from './coordinator.js';
import { StoppedError } from './errors.js';

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

export interface AbOpFigures { count: number; errors: number; p50Ms: number; p99Ms: number; p999Ms: number; maxMs: number }

export interface AbClassFigures {
  serviceLevel: string | null;
  routing: string;
  loop: 'open' | 'closed';
  latency: 'response' | 'service';
  /** target ops/s, achieved = ops sent inside the windows ÷ the windows (all rounds), kept = every round kept its schedule. */
  rate: { target: number | null; achieved: number; kept: boolean | null };
  /** Client's count (null for `driver`: the stock driver does not say which shard it used). */
  misrouteRatio: number | null;
  /** Merged over every round. */
  ops: Record<string, AbOpFigures>;
}

export interface AbRound {
  round: number;
  resultDir: string;
  throughput: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  cpuUsPerOp: number;
  misrouteRatio: number | null;
  targetCrossShardRatio: number | null;
}

export interface VariantSummary {
  /** Ops completed ÷ measure windows, all rounds. */
  throughput: number;
  /** Every class and op of the variant, every round merged. */
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  /** Loader CPU ÷ ops, all rounds (whole loader process, µs). */
  cpuUsPerOp: number;
  /** Requests that crossed a shard by the target's own counter ÷ requests sent; null when its metrics were not readable. */
  targetCrossShardRatio: number | null;
  /** True when every class ran open loop: throughput is then fixed by the rate, not a result. */
  throughputFixedByRate: boolean;
  classes: Record<string, AbClassFigures>;
  rounds: AbRound[];
}

export interface AbGain { p99: RatioEstimate; p50: RatioEstimate; throughput: RatioEstimate }

export interface AbResult {
  vary: AbVary;
  runId: string;
  resultDir: string;
  rounds: number;
  variants: Record<string, VariantSummary>;
  /** routing: baseline → gains of shard-aware over it. */
  gain: Record<string, AbGain>;
  /** service-levels: class → p99/p50 of 'off' over 'on' (> 1: the levels helped that class). */
  classGain?: Record<string, AbGain>;
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

/** The histogram a class reports (response time open loop, service time closed loop) of one op. */
function reported(c: PhaseResult['classes'][string], op: string): string {
  const o = c.ops[op];
  return c.latency === 'response' ? o.response.histogram : o.service.histogram;
}

const round4 = (x: number): number => Math.round(x * 10000) / 10000;

/** Per class of one measure phase: p50/p99 and ops/s (for the per-round ratios). */
function classStats(ph: PhaseResult | undefined): Record<string, { p50Ms: number; p99Ms: number; throughput: number }> {
  const out: Record<string, { p50Ms: number; p99Ms: number; throughput: number }> = {};
  for (const [name, c] of Object.entries(ph?.classes ?? {})) {
    const h = newHistogram();
    let ops = 0;
    for (const op of Object.keys(c.ops)) {
      const enc = reported(c, op);
      if (enc) mergeInto(h, decode(enc));
      ops += c.ops[op].count;
    }
    const s = summarize(h);
    out[name] = { p50Ms: s.p50Ms, p99Ms: s.p99Ms, throughput: ph ? ops / (ph.durationMs / 1000) : 0 };
  }
  return out;
}

/** One round of one variant: its merged latency, throughput, CPU and routing figures. */
function roundStats(r: RunResult, round: number, resultDir: string): AbRound & { perSecondP99: number[]; hist: Histogram; ops: number; done: number; windowSec: number; cpuUs: number; sent: number; hops: number | null; misrouted: number; clientKnows: boolean } {
  const ph = summaryPhase(r);
  const h = newHistogram();
  let ops = 0;
  let done = 0;
  let sent = 0;
  let misrouted = 0;
  let clientKnows = true;
  for (const c of Object.values(ph?.classes ?? {})) {
    for (const op of Object.keys(c.ops)) {
      const enc = reported(c, op);
      if (enc) mergeInto(h, decode(enc));
      ops += c.ops[op].count;
      done += c.ops[op].count + c.ops[op].errors;
    }
    sent += c.rate.sent;
    misrouted += c.shards.misrouted.flat().reduce((a, b) => a + b, 0);
    if (c.shards.misrouteRatio === null) clientKnows = false;
  }
  const s = summarize(h);
  const windowSec = ph ? ph.durationMs / 1000 : 0;
  const perSecondP99 = (ph?.intervals ?? []).map((iv) => Math.max(0, ...Object.values(iv.classes).flatMap((c) => Object.values(c.ops).map((o) => o.p99Ms)))).filter((x) => x > 0);
  const cpuUs = (ph?.loader.cpuSec ?? 0) * 1e6;
  const hops = ph?.targetCrossShardOps ?? null;
  return {
    round, resultDir, throughput: windowSec > 0 ? ops / windowSec : 0, p50Ms: s.p50Ms, p99Ms: s.p99Ms, p999Ms: s.p999Ms,
    cpuUsPerOp: ph?.loader.cpuUsPerOp ?? 0,
    misrouteRatio: clientKnows && sent > 0 ? round4(misrouted / sent) : clientKnows ? 0 : null,
    targetCrossShardRatio: hops !== null && sent > 0 ? round4(hops / sent) : null,
    perSecondP99, hist: h, ops, done, windowSec, cpuUs, sent, hops, misrouted, clientKnows,
  };
}

/** Every round of a variant merged: histograms added per class and op, counts summed. */
function mergeVariant(results: RunResult[], rounds: ReturnType<typeof roundStats>[]): VariantSummary {
  const all = newHistogram();
  for (const r of rounds) mergeInto(all, r.hist);
  const classes: Record<string, AbClassFigures> = {};
  const acc = new Map<string, { hists: Map<string, Histogram>; counts: Map<string, { count: number; errors: number }>; sentInWindow: number; windowMs: number; kept: boolean | null; misrouted: number; sent: number; knows: boolean }>();
  for (const r of results) {
    const ph = summaryPhase(r);
    for (const [name, c] of Object.entries(ph?.classes ?? {})) {
      let a = acc.get(name);
      if (!a) {
        a = { hists: new Map(), counts: new Map(), sentInWindow: 0, windowMs: 0, kept: c.rate.kept, misrouted: 0, sent: 0, knows: true };
        acc.set(name, a);
        classes[name] = {
          serviceLevel: c.serviceLevel, routing: c.routing, loop: c.loop, latency: c.latency,
          rate: { target: c.rate.target, achieved: 0, kept: c.rate.kept }, misrouteRatio: null, ops: {},
        };
      }
      a.sentInWindow += c.rate.sentInWindow;
      a.windowMs += c.rate.windowMs;
      if (c.rate.kept === false) a.kept = false;
      a.misrouted += c.shards.misrouted.flat().reduce((x, y) => x + y, 0);
      a.sent += c.rate.sent;
      if (c.shards.misrouteRatio === null) a.knows = false;
      for (const op of Object.keys(c.ops)) {
        let h = a.hists.get(op);
        if (!h) { h = newHistogram(); a.hists.set(op, h); }
        const enc = reported(c, op);
        if (enc) mergeInto(h, decode(enc));
        const n = a.counts.get(op) ?? { count: 0, errors: 0 };
        n.count += c.ops[op].count;
        n.errors += c.ops[op].errors;
        a.counts.set(op, n);
      }
    }
  }
  for (const [name, a] of acc) {
    const cf = classes[name];
    cf.rate = { target: cf.rate.target, achieved: a.windowMs > 0 ? Math.round(a.sentInWindow / (a.windowMs / 1000) * 10) / 10 : 0, kept: a.kept };
    cf.misrouteRatio = a.knows ? (a.sent > 0 ? round4(a.misrouted / a.sent) : 0) : null;
    for (const [op, h] of a.hists) {
      const s = summarize(h);
      const n = a.counts.get(op)!;
      cf.ops[op] = { count: n.count, errors: n.errors, p50Ms: s.p50Ms, p99Ms: s.p99Ms, p999Ms: s.p999Ms, maxMs: s.maxMs };
    }
  }
  const s = summarize(all);
  const ops = rounds.reduce((x, r) => x + r.ops, 0);
  const windowSec = rounds.reduce((x, r) => x + r.windowSec, 0);
  const sent = rounds.reduce((x, r) => x + r.sent, 0);
  const hopsKnown = rounds.every((r) => r.hops !== null);
  const hops = rounds.reduce((x, r) => x + (r.hops ?? 0), 0);
  return {
    throughput: windowSec > 0 ? ops / windowSec : 0,
    p50Ms: s.p50Ms, p99Ms: s.p99Ms, p999Ms: s.p999Ms, maxMs: s.maxMs,
    cpuUsPerOp: rounds.reduce((x, r) => x + r.done, 0) > 0 ? rounds.reduce((x, r) => x + r.cpuUs, 0) / rounds.reduce((x, r) => x + r.done, 0) : 0,
    targetCrossShardRatio: hopsKnown && sent > 0 ? round4(hops / sent) : null,
    throughputFixedByRate: Object.values(classes).every((c) => c.loop === 'open' && c.rate.kept !== false),
    classes,
    rounds: rounds.map(({ round, resultDir, throughput, p50Ms, p99Ms, p999Ms, cpuUsPerOp, misrouteRatio, targetCrossShardRatio }) => ({
      round, resultDir, throughput, p50Ms, p99Ms, p999Ms, cpuUsPerOp, misrouteRatio, targetCrossShardRatio,
    })),
  };
}

export async function runAb(o: AbOptions): Promise<AbResult> {
  const root = path.join(o.resultsDir, o.runId);
  const warnings: string[] = [];
  let stopped: string | null = null;
  const perVariant = new Map<string, { results: RunResult[]; stats: ReturnType<typeof roundStats>[] }>();
  for (const v of o.variants) perVariant.set(v, { results: [], stats: [] });
  // the target is started once, for every variant and round
  let target: TargetInfo | undefined;
  try {
    target = typeof o.target === 'function' ? await untilAborted(o.target(), o.signal) : o.target;
  } catch (e) {
    if (!(e instanceof StoppedError)) throw e;
    stopped = 'signal';
  }
  const run = async (profile: ResolvedProfile, name: string, label: string): Promise<RunResult> => {
    const { result } = await new Coordinator({ ...o, target: target!, profile, resultsDir: root, runId: name }).run();
    // a warning says which run it came from
    for (const w of result.warnings) {
      const named = `${label}: ${w}`;
      if (!warnings.includes(named)) warnings.push(named);
    }
    return result;
  };
  const prep = withPhases(o.profile, ['schema', 'load']);
  if (target && prep.phases.length > 0) {
    o.onRound?.('preparing: schema and load phases');
    stopped = (await run(prep, 'prepare', 'prepare')).stopped;
  }
  for (let round = 1; target && round <= o.rounds && !stopped; round++) {
    for (const v of o.variants) {
      if (o.signal?.aborted) { stopped = 'signal'; break; }
      const name = `round${round}-${v}`;
      const r = await run(variantProfile(o.profile, o.vary, v), name, `round ${round} ${v}`);
      const slot = perVariant.get(v)!;
      if (summaryPhase(r)) {
        const st = roundStats(r, round, path.join(root, name));
        slot.results.push(r);
        slot.stats.push(st);
        o.onRound?.(`round ${round}/${o.rounds} ${v}: ${st.throughput.toFixed(0)} ops/s, p50 ${st.p50Ms} ms, p99 ${st.p99Ms} ms`);
      }
      if (r.stopped) { stopped = r.stopped; break; }
    }
  }

  const variants: Record<string, VariantSummary> = {};
  for (const [v, slot] of perVariant) {
    if (slot.results.length > 0) variants[v] = mergeVariant(slot.results, slot.stats);
  }
  const gain: AbResult['gain'] = {};
  let classGain: AbResult['classGain'];
  const sa = perVariant.get('shard-aware');
  if (o.vary === 'service-levels') {
    const on = perVariant.get('on')?.results ?? [];
    const off = perVariant.get('off')?.results ?? [];
    const n = Math.min(on.length, off.length);
    classGain = {};
    const onStats = on.slice(0, n).map((r) => classStats(summaryPhase(r)));
    const offStats = off.slice(0, n).map((r) => classStats(summaryPhase(r)));
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
  } else if (!stopped) {
    warnings.push('no shard-aware variant: gains are not computed');
  }
  mkdirSync(root, { recursive: true });
  const out: AbResult = { vary: o.vary, runId: o.runId, resultDir: root, rounds: o.rounds, variants, gain, classGain, stopped, warnings };
  writeFileSync(path.join(root, 'ab.json'), `${JSON.stringify(out, null, 2)}\n`);
  return out;
}

function untilAborted<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) { p.catch(() => {}); return Promise.reject(new StoppedError('signal')); }
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(new StoppedError('signal'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then((v) => { signal.removeEventListener('abort', onAbort); resolve(v); }, (e: unknown) => { signal.removeEventListener('abort', onAbort); reject(e); });
  });
}
