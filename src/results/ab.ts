/**
 * The analysis of an `ab` run (the engine only runs its rounds): one figure per variant from the
 * histograms of every round merged (never averaged), per-round figures beside it, and the gains
 * with their 95 % intervals from the shared statistics (significance.ts): Student's t over the
 * per-round ratios (rounds are independent replicates, interleaved so drift hits every variant
 * alike), or, with one round, batch means over blocks of seconds as `compare` does.
 */
import { decode, mergeInto, newHistogram, summarize, type Histogram } from '../metrics/histogram.js';
import { phaseLatency } from './compare.js';
import { readResult } from './read.js';
import { summaryPhase, type PhaseResult, type RunResult } from './result.js';
import { quantileEstimate } from './series.js';
import { ratioAcrossReplicates, ratioOfLogs, type RatioInterval } from './significance.js';

export type AbVary = 'routing' | 'service-levels';

/** One round of one variant: its result and where it lives (with its .hlog files). */
export interface AbRun {
  result: RunResult;
  dir: string;
}

const CONFIDENCE = 0.95;

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

/** A ratio with its 95 % interval and how it was obtained. */
export interface AbRatio extends RatioInterval {
  /** Paired samples behind it: rounds, or blocks of seconds of a single round. */
  samples: number;
  /** 't-rounds': Student's t over per-round ratios; 'blocks-one-round': one round, blocks of seconds (batch means); 'single': no interval. */
  method: 't-rounds' | 'blocks-one-round' | 'single';
}

export interface AbGain { p99: AbRatio; p50: AbRatio; throughput: AbRatio }

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


function replicates(ratios: number[]): AbRatio {
  const r = ratioAcrossReplicates(ratios, CONFIDENCE);
  return { ...r, samples: r.replicates, method: r.replicates >= 2 ? 't-rounds' : 'single' };
}

/** One round each: the percentile's ratio from blocks of seconds (the .hlog series), as compare does. */
function oneRound(baseline: AbRun, candidate: AbRun, p: number): AbRatio {
  try {
    const b = quantileEstimate(phaseLatency(readResult(baseline.dir)), p);
    const c = quantileEstimate(phaseLatency(readResult(candidate.dir)), p);
    const r = ratioOfLogs(c, b, CONFIDENCE);
    return { ...r, samples: Math.min(b.n, c.n), method: r.low === null ? 'single' : 'blocks-one-round' };
  } catch {
    return replicates([]);
  }
}

/**
 * Per variant (rounds in order): the merged figures and the gains — routing: shard-aware over
 * each other mode (p99 = baseline / shard-aware, > 1 means shard-aware is faster; throughput =
 * shard-aware / baseline); service-levels: per class, off over on (> 1: the levels helped).
 */
export function analyzeAb(vary: AbVary, perVariant: Map<string, AbRun[]>): { variants: Record<string, VariantSummary>; gain: Record<string, AbGain>; classGain?: Record<string, AbGain>; warnings: string[] } {
  const warnings: string[] = [];
  const stats = new Map<string, ReturnType<typeof roundStats>[]>();
  const variants: Record<string, VariantSummary> = {};
  for (const [v, runs] of perVariant) {
    const st = runs.map((r, i) => roundStats(r.result, i + 1, r.dir));
    stats.set(v, st);
    if (runs.length > 0) variants[v] = mergeVariant(runs.map((r) => r.result), st);
  }
  const gain: Record<string, AbGain> = {};
  let classGain: Record<string, AbGain> | undefined;
  if (vary === 'service-levels') {
    const on = perVariant.get('on') ?? [];
    const off = perVariant.get('off') ?? [];
    const n = Math.min(on.length, off.length);
    classGain = {};
    const onStats = on.slice(0, n).map((r) => classStats(summaryPhase(r.result)));
    const offStats = off.slice(0, n).map((r) => classStats(summaryPhase(r.result)));
    for (const cls of Object.keys(onStats[0] ?? {})) {
      const pair = (f: (i: number) => number): number[] => Array.from({ length: n }, (_, i) => f(i));
      classGain[cls] = {
        p99: replicates(pair((i) => offStats[i][cls].p99Ms / onStats[i][cls].p99Ms)),
        p50: replicates(pair((i) => offStats[i][cls].p50Ms / onStats[i][cls].p50Ms)),
        throughput: replicates(pair((i) => onStats[i][cls].throughput / offStats[i][cls].throughput)),
      };
    }
    return { variants, gain, classGain, warnings };
  }
  const sa = stats.get('shard-aware');
  if (!sa || sa.length === 0) {
    if (perVariant.size > 0 && [...perVariant.values()].some((r) => r.length > 0)) warnings.push('no shard-aware variant: gains are not computed');
    return { variants, gain, warnings };
  }
  for (const [v, st] of stats) {
    if (v === 'shard-aware' || st.length === 0) continue;
    const n = Math.min(sa.length, st.length);
    const pair = (f: (i: number) => number): number[] => Array.from({ length: n }, (_, i) => f(i));
    gain[v] = n >= 2
      ? {
        p99: replicates(pair((i) => st[i].p99Ms / sa[i].p99Ms)),
        p50: replicates(pair((i) => st[i].p50Ms / sa[i].p50Ms)),
        throughput: replicates(pair((i) => sa[i].throughput / st[i].throughput)),
      }
      : {
        // baseline / shard-aware: the candidate of the ratio is the baseline mode
        p99: oneRound(perVariant.get('shard-aware')![0], perVariant.get(v)![0], 0.99),
        p50: oneRound(perVariant.get('shard-aware')![0], perVariant.get(v)![0], 0.5),
        throughput: replicates([sa[0].throughput / st[0].throughput]),
      };
  }
  return { variants, gain, warnings };
}
