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
import type { ResolvedProfile, RoutingMode } from '../profile/types.js';
import { analyzeAb, type AbResult, type AbRun, type AbVary } from '../results/ab.js';
import { summaryPhase, type RunResult } from '../results/result.js';
import { Coordinator, type RunOptions, type TargetInfo } from './coordinator.js';
import { StoppedError } from './errors.js';

export type { AbResult, AbVary } from '../results/ab.js';

export interface AbOptions extends Omit<RunOptions, 'profile' | 'runId'> {
  profile: ResolvedProfile;
  runId: string;
  vary: AbVary;
  /** routing: the modes; service-levels: ['on', 'off']. */
  variants: string[];
  rounds: number;
  onRound?: (line: string) => void;
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

export async function runAb(o: AbOptions): Promise<AbResult> {
  const root = path.join(o.resultsDir, o.runId);
  const warnings: string[] = [];
  let stopped: string | null = null;
  const perVariant = new Map<string, AbRun[]>();
  for (const v of o.variants) perVariant.set(v, []);
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
      const ph = summaryPhase(r);
      if (ph) {
        perVariant.get(v)!.push({ result: r, dir: path.join(root, name) });
        const ops = Object.values(ph.classes).reduce((a, c) => a + Object.values(c.ops).reduce((x, op) => x + op.count, 0), 0);
        o.onRound?.(`round ${round}/${o.rounds} ${v}: ${(ops / (ph.durationMs / 1000)).toFixed(0)} ops/s`);
      }
      if (r.stopped) { stopped = r.stopped; break; }
    }
  }

  const analysis = analyzeAb(o.vary, perVariant);
  if (!stopped) warnings.push(...analysis.warnings);
  const { variants, gain, classGain } = analysis;
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
