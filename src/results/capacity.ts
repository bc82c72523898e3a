/**
 * The capacity search's decisions, on result data only: whether a step held the SLO (and if not,
 * what stopped it), which rate to try next (geometric climb, then bisection to a precision), the
 * knee, the answer, and the nightly comparison. The engine runs the steps (engine/capacity.ts).
 *
 * A step fails on the cluster's account (the SLO broke, errors passed their threshold, or the
 * schedule could not be kept because the target did not absorb it) or on the loader's (its own
 * bottleneck): a loader limit is never reported as the cluster's capacity — the answer then says
 * "at least".
 *
 * In open loop the cluster can hold the loader back only through the class's max_in_flight: a
 * send waits for a free slot when that many ops are outstanding. When the step's slowest op could
 * not have filled it (see `couldFillInFlight`), every millisecond of schedule lag was the loader's
 * own (a busy machine delaying its event loop), never the cluster's: the step is then judged on
 * what the cluster did with the ops it was sent (service time), and a rate the loader failed to
 * send is a loader limit.
 */
import { z } from 'zod';
import { isLagOp, type PhaseResult } from './result.js';

export const CAPACITY_SCHEMA = 'scylla-bench/capacity@1';

export interface CapacitySlo {
  metric: 'p50Ms' | 'p90Ms' | 'p99Ms' | 'p999Ms';
  limitMs: number;
}

/** `p99<=10ms` (also `p99=10ms`, `p999 <= 250ms`, `p50<=2ms`): the SLO a capacity is measured at. */
export function parseSlo(text: string): CapacitySlo | string {
  const m = /^\s*(p50|p90|p99|p999)\s*(<=|=)\s*(\d+(?:\.\d+)?)\s*(us|µs|ms|s)\s*$/.exec(text);
  if (!m) return `expected a percentile and a limit like p99<=10ms (p50, p90, p99, p999), got '${text.slice(0, 40)}'`;
  const unit = { us: 0.001, 'µs': 0.001, ms: 1, s: 1000 }[m[4]]!;
  const limitMs = Number(m[3]) * unit;
  if (!(limitMs > 0)) return `the limit must be above 0, got '${text.slice(0, 40)}'`;
  return { metric: `${m[1]}Ms` as CapacitySlo['metric'], limitMs };
}

export type StepVerdict = 'pass' | 'slo' | 'errors' | 'not-kept' | 'loader';

export interface CapacityStep {
  /** 1-based, in the order run. */
  step: number;
  rateOpsPerSec: number;
  achievedOpsPerSec: number;
  /** The SLO's percentile of the class's latency (the worst op), ms: response time, or service time when `judgedOn` says so. */
  latencyMs: number;
  p99Ms: number;
  /**
   * (additive) 'service' when the schedule lag was the loader's own (`loaderLagMs`): the response
   * time, which counts from the intended start, then holds the loader's lateness too.
   */
  judgedOn?: 'response' | 'service';
  /** (additive) Schedule lag p99 (ms) found to be the loader's, not the cluster's; null when none was. */
  loaderLagMs?: number | null;
  errorRatio: number;
  errorsByKind: Record<string, number>;
  kept: boolean | null;
  bottleneck: string | null;
  verdict: StepVerdict;
  /** Why it failed, in words (empty when it passed). */
  why: string;
  /** The step's measure phase in result.json. */
  phase: string;
}

/**
 * Whether the cluster could have held the loader back in this step: ops sent in any window of
 * length L were intended within L + (max schedule lag), so at most rate × (slowest service time +
 * max lag) were ever in flight. Below max_in_flight no send ever waited for the cluster.
 */
export function couldFillInFlight(rateOpsPerSec: number, serviceMaxMs: number, lagMaxMs: number, maxInFlight: number): boolean {
  return (rateOpsPerSec * (serviceMaxMs + lagMaxMs)) / 1000 + 1 >= maxInFlight;
}

/**
 * One step's verdict from its measure phase. Order matters: a loader that could not send the
 * rate says nothing about the cluster, so it is judged first. `maxInFlight` is ONE worker's cap
 * (the class's max_in_flight ÷ workers): the workers share the schedule and any of them may take
 * every due slot while the others stall, so the whole rate is held against one worker's cap.
 * Unknown: no lag is attributed to the loader.
 */
export function judgeStep(ph: PhaseResult, cls: string, slo: CapacitySlo, maxErrorRatio: number, step: number, rate: number, maxInFlight?: number): CapacityStep {
  const c = ph.classes[cls];
  if (!c) throw new Error(`phase ${ph.name} has no class ${cls}`);
  let count = 0;
  let errors = 0;
  const errorsByKind: Record<string, number> = {};
  let responseMs = 0;
  let responseP99Ms = 0;
  let serviceMs = 0;
  let serviceP99Ms = 0;
  let serviceMaxMs = 0;
  for (const [op, o] of Object.entries(c.ops)) {
    if (isLagOp(op)) continue;
    count += o.count;
    errors += o.errors;
    for (const [k, n] of Object.entries(o.errorsByKind)) errorsByKind[k] = (errorsByKind[k] ?? 0) + n;
    // the worst op decides: an SLO holds for every operation of the class
    responseMs = Math.max(responseMs, o.response[slo.metric]);
    responseP99Ms = Math.max(responseP99Ms, o.response.p99Ms);
    serviceMs = Math.max(serviceMs, o.service[slo.metric]);
    serviceP99Ms = Math.max(serviceP99Ms, o.service.p99Ms);
    serviceMaxMs = Math.max(serviceMaxMs, o.service.maxMs);
  }
  const errorRatio = count + errors > 0 ? errors / (count + errors) : 0;
  const lag = c.scheduleLag;
  // the schedule was late and the cluster cannot have caused it: the loader's own lag
  const loaderLate = c.rate.kept === false && lag !== null && maxInFlight !== undefined
    && c.loop === 'open' && !couldFillInFlight(rate, serviceMaxMs, lag.maxMs, maxInFlight);
  const inFlightWords = loaderLate
    ? `at most ${Math.ceil((rate * (serviceMaxMs + lag!.maxMs)) / 1000)} ops could be in flight, below a worker's max_in_flight of ${maxInFlight}, so the cluster never held a send back; schedule lag p99 ${lag!.p99Ms} ms, loader event-loop delay p99 up to ${Math.round(ph.loader.eventLoopDelayP99MsMax * 10) / 10} ms`
    : '';
  const latencyMs = loaderLate ? serviceMs : responseMs;
  const base = {
    step, rateOpsPerSec: rate, achievedOpsPerSec: c.rate.achieved, latencyMs, p99Ms: loaderLate ? serviceP99Ms : responseP99Ms,
    judgedOn: loaderLate ? 'service' as const : 'response' as const, loaderLagMs: loaderLate ? lag!.p99Ms : null,
    errorRatio: Math.round(errorRatio * 1e6) / 1e6,
    // the loader's lateness: its own, or its machine's (results/bottleneck.ts), never the cluster's
    errorsByKind, kept: c.rate.kept, bottleneck: loaderLate && ph.bottleneck?.kind !== 'machine' ? 'loader' : ph.bottleneck?.kind ?? null, phase: ph.name,
  };
  if (c.rate.kept === false && ph.bottleneck?.kind === 'loader') {
    return { ...base, verdict: 'loader', why: `the loader could not send ${rate} ops/s (${ph.bottleneck.evidence})` };
  }
  if (loaderLate && c.rate.achieved < 0.99 * rate) {
    return { ...base, verdict: 'loader', why: `the loader sent only ${c.rate.achieved} of ${rate} ops/s and ${inFlightWords}` };
  }
  if (errorRatio > maxErrorRatio) {
    const kinds = Object.entries(errorsByKind).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n} ${k}`).join(', ');
    return { ...base, verdict: 'errors', why: `error ratio ${(errorRatio * 100).toFixed(2)} % > ${(maxErrorRatio * 100).toFixed(2)} % (${kinds})` };
  }
  if (latencyMs > slo.limitMs) {
    return { ...base, verdict: 'slo', why: `${slo.metric.replace('Ms', '')} ${latencyMs} ms > ${slo.limitMs} ms${loaderLate ? ` (service time: the schedule lag was the loader's — ${inFlightWords})` : ''}` };
  }
  if (c.rate.kept === false && !loaderLate) {
    return { ...base, verdict: 'not-kept', why: `only ${c.rate.achieved} of ${rate} ops/s left inside the window${ph.bottleneck ? ` (${ph.bottleneck.kind}: ${ph.bottleneck.evidence})` : ''}` };
  }
  return { ...base, verdict: 'pass', why: '' };
}

export interface SearchOptions {
  startOpsPerSec: number;
  /** Climb factor (default 2). */
  factor: number;
  /** Stop bisecting when (firstFail − lastPass) / lastPass ≤ this (default 0.05). */
  precision: number;
  maxSteps: number;
}

/** How often a step the loader's own stalls cut short is run again before the loader is the limit. */
export const LOADER_STALL_RETRIES = 2;

/**
 * Geometric climb from the start rate until a step fails (or, if the first one fails, descent
 * until one passes), then bisection between the last pass and the first fail. A loader limit
 * ends the search: the cluster was not the limit, there is nothing to bisect. A loader whose
 * machine stalled it (its lag, not the cluster's, cost it the rate: `judgedOn: service`) is given
 * the same rate again, LOADER_STALL_RETRIES times: a busy machine's stall passes, a loader that
 * cannot send the rate does not.
 */
export class CapacitySearch {
  readonly steps: CapacityStep[] = [];
  #lo: number | undefined;
  #hi: number | undefined;
  #loaderLimited = false;
  #again: number | undefined;
  readonly #retries = new Map<number, number>();

  constructor(readonly o: SearchOptions) {}

  /** The next rate to try, or undefined when the answer is known. */
  next(): number | undefined {
    if (this.#loaderLimited || this.steps.length >= this.o.maxSteps) return undefined;
    if (this.#again !== undefined) return this.#again;
    const lo = this.#lo;
    const hi = this.#hi;
    if (lo === undefined && hi === undefined) return this.o.startOpsPerSec;
    if (hi === undefined) return round(lo! * this.o.factor);
    if (lo === undefined) {
      const r = round(hi / this.o.factor);
      return r >= 1 && r < hi ? r : undefined;
    }
    if ((hi - lo) / lo <= this.o.precision) return undefined;
    const mid = round((lo + hi) / 2);
    return mid > lo && mid < hi ? mid : undefined;
  }

  record(s: CapacityStep): void {
    this.steps.push(s);
    this.#again = undefined;
    if (s.verdict === 'loader') {
      const tried = this.#retries.get(s.rateOpsPerSec) ?? 0;
      if (s.judgedOn === 'service' && tried < LOADER_STALL_RETRIES) {
        this.#retries.set(s.rateOpsPerSec, tried + 1);
        this.#again = s.rateOpsPerSec;
      } else this.#loaderLimited = true;
      return;
    }
    if (s.verdict === 'pass') this.#lo = Math.max(this.#lo ?? 0, s.rateOpsPerSec);
    else this.#hi = Math.min(this.#hi ?? Infinity, s.rateOpsPerSec);
  }

  get lastPass(): number | undefined { return this.#lo; }
  get firstFail(): number | undefined { return this.#hi; }
  get loaderLimited(): boolean { return this.#loaderLimited; }
}

const round = (x: number): number => (x >= 100 ? Math.round(x) : Math.round(x * 100) / 100);

export interface CapacityAnswer {
  /** Max sustainable ops/s at the SLO (the last passing rate); null when no rate passed. */
  capacityOpsPerSec: number | null;
  /** [last pass, first fail]: the capacity lies in it; first fail null when none failed. */
  bracket: [number | null, number | null];
  /** 'cluster': a failing step bounded it; 'loader': the loader ran out first (the capacity is at least the bracket's low end); 'steps': the step budget ran out. */
  limitedBy: 'cluster' | 'loader' | 'steps';
  /** What stopped the climb (the verdict and words of the lowest failing step). */
  stoppedBy: { verdict: StepVerdict; why: string } | null;
  /** Where p99 leaves its floor: the lowest rate whose p99 exceeds twice the lowest p99 seen at a passing step. */
  knee: { rateOpsPerSec: number; p99Ms: number; floorP99Ms: number } | null;
}

export function answer(search: CapacitySearch): CapacityAnswer {
  const steps = search.steps;
  const lo = search.lastPass ?? null;
  const hi = search.firstFail ?? null;
  // a stalled loader's step that was run again decided nothing
  const failing = steps.filter((s) => s.verdict !== 'pass' && s.verdict !== 'loader').sort((a, b) => a.rateOpsPerSec - b.rateOpsPerSec);
  const stop = search.loaderLimited ? [...steps].reverse().find((s) => s.verdict === 'loader')! : failing.find((s) => s.rateOpsPerSec === hi) ?? failing[0];
  const passing = steps.filter((s) => s.verdict === 'pass');
  const floor = passing.length > 0 ? Math.min(...passing.map((s) => s.p99Ms)) : null;
  const byRate = [...steps].sort((a, b) => a.rateOpsPerSec - b.rateOpsPerSec);
  const kneeStep = floor !== null ? byRate.find((s) => s.p99Ms > 2 * floor && s.verdict !== 'loader') : undefined;
  return {
    capacityOpsPerSec: lo,
    bracket: [lo, hi],
    limitedBy: search.loaderLimited ? 'loader' : hi !== null ? 'cluster' : 'steps',
    stoppedBy: stop ? { verdict: stop.verdict, why: stop.why } : null,
    knee: kneeStep && floor !== null ? { rateOpsPerSec: kneeStep.rateOpsPerSec, p99Ms: kneeStep.p99Ms, floorP99Ms: floor } : null,
  };
}

/** capacity.json: the answer, every step, and where the steps' results are. */
export interface CapacityResult extends CapacityAnswer {
  schema: typeof CAPACITY_SCHEMA;
  runId: string;
  startedAt: string;
  endedAt: string;
  profile: string;
  profileHash: string;
  class: string;
  slo: CapacitySlo;
  maxErrorRatio: number;
  search: SearchOptions;
  /** Other classes ran at their profile rates meanwhile. */
  heldClasses: string[];
  steps: CapacityStep[];
  /** result.json of the sweep (every step's warmup and measure phase). */
  resultDir: string;
  stopped: string | null;
  /** The previous night with the same profile, class and SLO, and whether this one regressed. */
  trend: CapacityTrend | null;
  warnings: string[];
}

export interface CapacityTrend {
  previous: { date: string; gitSha: string | null; capacityOpsPerSec: number | null; bracket: [number | null, number | null] };
  /** The brackets do not overlap and this one is lower: a real drop, not noise of the search. */
  regressed: boolean;
  /** this / previous capacity. */
  ratio: number | null;
}

/** One line of a history file (capacity-history.jsonl). */
export const historyEntrySchema = z.object({
  date: z.string(),
  gitSha: z.string().nullable(),
  profileHash: z.string(),
  profile: z.string(),
  class: z.string(),
  slo: z.object({ metric: z.string(), limitMs: z.number() }),
  capacityOpsPerSec: z.number().nullable(),
  bracket: z.tuple([z.number().nullable(), z.number().nullable()]),
  limitedBy: z.string(),
  resultDir: z.string(),
});
export type HistoryEntry = z.infer<typeof historyEntrySchema>;

/**
 * Tonight against the previous night of the same profile, class and SLO: regressed when the whole
 * new bracket lies below the old one (first fail now ≤ last pass then). Overlapping brackets are
 * within the search's precision: not a regression.
 */
export function trendOf(history: HistoryEntry[], now: Omit<HistoryEntry, 'date' | 'gitSha' | 'resultDir'>): CapacityTrend | null {
  const same = history.filter((h) => h.profileHash === now.profileHash && h.class === now.class && h.slo.metric === now.slo.metric && h.slo.limitMs === now.slo.limitMs);
  const prev = same[same.length - 1];
  if (!prev) return null;
  const [, newHi] = now.bracket;
  const [oldLo] = prev.bracket;
  const regressed = now.limitedBy !== 'loader' && prev.limitedBy !== 'loader'
    && ((newHi !== null && oldLo !== null && newHi <= oldLo) || (now.capacityOpsPerSec === null && prev.capacityOpsPerSec !== null));
  return {
    previous: { date: prev.date, gitSha: prev.gitSha, capacityOpsPerSec: prev.capacityOpsPerSec, bracket: prev.bracket },
    regressed,
    ratio: now.capacityOpsPerSec !== null && prev.capacityOpsPerSec ? Math.round((now.capacityOpsPerSec / prev.capacityOpsPerSec) * 1000) / 1000 : null,
  };
}
