/**
 * A phase's figures computed from what the workers shipped: every second each worker sends
 * encoded histograms and counters (`WorkerInterval`); they are merged per second (a second is
 * complete when every worker reported it) and per phase — histograms added, never percentiles
 * averaged — and turned into the phase's `ClassResult`s (achieved rate from send times, the
 * schedule's punctuality, per-(node, shard) counts, SLO checks).
 *
 * Pure computation, no I/O: the engine feeds it and writes what it returns (intervals.jsonl,
 * .hlog lines), tests feed it synthetic intervals.
 */
import { decode, encode, mergeInto, newHistogram, summarize, type Histogram } from '../metrics/histogram.js';
import type { ClassSpec } from '../profile/types.js';
import { slotsOf, type Segment } from '../profile/segment.js';
import { addViewLag, isLagOp, type ClassResult, type IntervalRecord, type OpResult, type ValidationResult, type ViewLagCounts } from './result.js';
import { sloChecks } from './slo.js';

/** One op's second on one worker. */
export interface OpInterval {
  count: number;
  errors: Record<string, number>;
  /** Response time (from the intended start; = service time in closed loop), encoded. */
  response: string;
  /** Service time (send → reply), encoded. */
  service: string;
  /** Rows the replies carried (reads and scans). */
  rows?: number;
  /** --validate: rows compared with the generators, and the ones that differ or are missing. */
  validation?: ValidationResult;
}

/** One class's second on one worker. */
export interface ClassInterval {
  ops: Record<string, OpInterval>;
  /** requests[node * nrShards + ownerShard] (shard 0 when unsharded). */
  requests: number[];
  /** Of those, the ones sent on a connection of another shard. */
  misrouted: number[];
  /** Requests routed away from a down node to another replica (token-aware fallback). */
  fallbacks: number;
  /** Ops started (handed to a connection) in the interval. */
  started: number;
  /** Of those, sent before the phase end (the achieved rate counts these) and at or after it. */
  sentInWindow: number;
  sentAfterWindow: number;
  /** Open loop: ops sent within 1 ms / 10 ms of their intended start. */
  lagWithin1ms: number;
  lagWithin10ms: number;
  /** Open loop: send time − intended start, encoded (schedule lag). */
  scheduleLag?: string;
  /** `view_lag:` counts of the second (the lags themselves are the `view-lag` op). */
  viewLag?: ViewLagCounts;
}

/** A worker's pools, per node, so far (cumulative). */
export interface NodeHealth {
  /** Connections opened after the first attempt (refills, a node back). */
  reconnects: number;
  /** Connections that closed under the pool. */
  connectionsLost: number;
  /** Time with no live connection to the node, including an outage under way. */
  downMs: number;
  up: boolean;
}

/** What a worker ships every second of a phase. */
export interface WorkerInterval {
  workerIndex: number;
  startAbsMs: number;
  endAbsMs: number;
  /** The last report of the phase (sent when the worker's part is done). */
  final: boolean;
  classes: Record<string, ClassInterval>;
  nodes: NodeHealth[];
  loader: { eventLoopUtilization: number; eventLoopDelayP99Ms: number };
}

/** A class as the phase ran it. */
export interface PhaseClass {
  spec: ClassSpec;
  /** The routing it ran with (after a fallback from shard-aware on a non-Scylla target). */
  routing: 'shard-aware' | 'token-aware' | 'round-robin' | 'driver';
  /** Open loop: ms between intended starts of the global schedule. */
  intervalMs?: number;
  /** Count-bound phases: ops of this class in all (with a segment: of all loaders). */
  countLimit?: number;
  serviceLevelTimeoutMs: number | null;
  /** `run --segment i/n`: this loader owns the global slots ≡ i mod n (its due count is its share). */
  segment?: Segment;
}

/** A second every worker reported: its record for intervals.jsonl and its histograms for the .hlog. */
export interface CompletedSecond {
  record: IntervalRecord;
  histograms: { cls: string; op: string; response: Histogram; service: Histogram }[];
}

interface OpAcc {
  response: Histogram;
  service: Histogram;
  count: number;
  errors: Record<string, number>;
  rows: number;
  validation?: ValidationResult;
}

interface ClassAcc {
  cls: PhaseClass;
  ops: Map<string, OpAcc>;
  requests: number[];
  misrouted: number[];
  scheduleLag: Histogram;
  started: number;
  sentInWindow: number;
  sentAfterWindow: number;
  lagWithin1ms: number;
  lagWithin10ms: number;
  fallbacks: number;
  viewLag?: ViewLagCounts;
}

interface SecondAcc {
  reports: number;
  nodeRequests: number[];
  misrouted: number;
  data: Map<string, { started: number; ops: Map<string, OpAcc> }>;
}

const newOp = (): OpAcc => ({ response: newHistogram(), service: newHistogram(), count: 0, errors: {}, rows: 0 });
const round4 = (x: number): number => Math.round(x * 10000) / 10000;
const sum = (xs: Iterable<number>): number => { let s = 0; for (const x of xs) s += x; return s; };

export class PhaseAccumulator {
  readonly #classes = new Map<string, ClassAcc>();
  readonly #seconds = new Map<number, SecondAcc>();
  readonly #intervals: IntervalRecord[] = [];
  #eluMax = 0;
  #eluSum = 0;
  #eluN = 0;
  #delayMax = 0;

  constructor(private readonly o: { phase: string; startAbsMs: number; workers: number; nodes: number; nrShards: number; classes: PhaseClass[] }) {
    const cells = o.nodes * o.nrShards;
    for (const c of o.classes) {
      this.#classes.set(c.spec.name, {
        cls: c, ops: new Map(Object.keys(c.spec.mix).map((op) => [op, newOp()])),
        requests: new Array(cells).fill(0), misrouted: new Array(cells).fill(0), scheduleLag: newHistogram(),
        started: 0, sentInWindow: 0, sentAfterWindow: 0, lagWithin1ms: 0, lagWithin10ms: 0, fallbacks: 0,
      });
    }
  }

  /** Every second flushed so far, in order. */
  get intervals(): readonly IntervalRecord[] {
    return this.#intervals;
  }

  /** Adds one worker's report; returns the seconds it completed (every worker reported them). */
  add(r: WorkerInterval): CompletedSecond[] {
    this.#eluMax = Math.max(this.#eluMax, r.loader.eventLoopUtilization);
    this.#eluSum += r.loader.eventLoopUtilization;
    this.#eluN++;
    this.#delayMax = Math.max(this.#delayMax, r.loader.eventLoopDelayP99Ms);
    const k = Math.max(0, Math.floor((r.startAbsMs - this.o.startAbsMs) / 1000 + 0.001));
    let sec = this.#seconds.get(k);
    if (!sec) { sec = { reports: 0, nodeRequests: new Array(this.o.nodes).fill(0), misrouted: 0, data: new Map() }; this.#seconds.set(k, sec); }
    sec.reports++;
    const S = this.o.nrShards;
    for (const [name, ci] of Object.entries(r.classes)) {
      const acc = this.#classes.get(name);
      if (!acc) continue;
      acc.started += ci.started;
      acc.fallbacks += ci.fallbacks;
      acc.sentInWindow += ci.sentInWindow;
      acc.sentAfterWindow += ci.sentAfterWindow;
      acc.lagWithin1ms += ci.lagWithin1ms;
      acc.lagWithin10ms += ci.lagWithin10ms;
      ci.requests.forEach((v, i) => { acc.requests[i] += v; sec.nodeRequests[Math.floor(i / S)] += v; });
      ci.misrouted.forEach((v, i) => { acc.misrouted[i] += v; });
      sec.misrouted += sum(ci.misrouted);
      if (ci.scheduleLag) mergeInto(acc.scheduleLag, decode(ci.scheduleLag));
      if (ci.viewLag) acc.viewLag = addViewLag(acc.viewLag, ci.viewLag);
      let sd = sec.data.get(name);
      if (!sd) { sd = { started: 0, ops: new Map() }; sec.data.set(name, sd); }
      sd.started += ci.started;
      for (const [op, oi] of Object.entries(ci.ops)) {
        const response = decode(oi.response);
        const service = decode(oi.service);
        let so = sd.ops.get(op);
        if (!so) { so = newOp(); sd.ops.set(op, so); }
        for (const a of [acc.ops.get(op) ?? acc.ops.set(op, newOp()).get(op)!, so]) {
          mergeInto(a.response, response);
          mergeInto(a.service, service);
          a.count += oi.count;
          a.rows += oi.rows ?? 0;
          if (oi.validation) {
            const v = (a.validation ??= { checked: 0, mismatch: 0, missing: 0 });
            v.checked += oi.validation.checked;
            v.mismatch += oi.validation.mismatch;
            v.missing += oi.validation.missing;
          }
          for (const [kind, n] of Object.entries(oi.errors)) a.errors[kind] = (a.errors[kind] ?? 0) + n;
        }
      }
    }
    // a second is complete when every worker reported it: it and every older one go out
    if (sec.reports < this.o.workers || r.final) return [];
    return [...this.#seconds.keys()].sort((a, b) => a - b).filter((key) => key <= k).map((key) => this.#flush(key));
  }

  /** The seconds still open when the phase ended (a worker's last partial second). */
  flush(): CompletedSecond[] {
    return [...this.#seconds.keys()].sort((a, b) => a - b).map((key) => this.#flush(key));
  }

  #flush(k: number): CompletedSecond {
    const sec = this.#seconds.get(k)!;
    this.#seconds.delete(k);
    const record: IntervalRecord = { phase: this.o.phase, t: k, classes: {}, nodeRequests: sec.nodeRequests, misrouted: sec.misrouted };
    const histograms: CompletedSecond['histograms'] = [];
    for (const [cls, d] of sec.data) {
      const ops: IntervalRecord['classes'][string]['ops'] = {};
      for (const [op, a] of d.ops) {
        const s = summarize(a.response);
        ops[op] = { count: a.count, errors: sum(Object.values(a.errors)), errorsByKind: { ...a.errors }, p50Ms: s.p50Ms, p99Ms: s.p99Ms, maxMs: s.maxMs };
        histograms.push({ cls, op, response: a.response, service: a.service });
      }
      record.classes[cls] = { started: d.started, ops };
    }
    this.#intervals.push(record);
    return { record, histograms };
  }

  /** Worker event loops over the phase. */
  loaderStats(): { eventLoopUtilizationMax: number; eventLoopUtilizationMean: number; eventLoopDelayP99MsMax: number } {
    return { eventLoopUtilizationMax: this.#eluMax, eventLoopUtilizationMean: this.#eluN > 0 ? round4(this.#eluSum / this.#eluN) : 0, eventLoopDelayP99MsMax: this.#delayMax };
  }

  /**
   * The classes' results over a window of `windowMs` (the phase length, or up to a stop), with
   * the warnings they call for. `countBound`: the phase ran by count (a load), not by time.
   */
  classResults(windowMs: number, o: { countBound: boolean; stopped: boolean }): { classes: Record<string, ClassResult>; warnings: string[] } {
    const classes: Record<string, ClassResult> = {};
    const warnings: string[] = [];
    for (const [name, acc] of this.#classes) classes[name] = this.#classResult(acc, windowMs, o, warnings);
    return { classes, warnings };
  }

  #classResult(acc: ClassAcc, windowMs: number, o: { countBound: boolean; stopped: boolean }, warnings: string[]): ClassResult {
    const c = acc.cls.spec;
    const open = c.rateOpsPerSec !== undefined;
    const ops: Record<string, OpResult> = {};
    let completed = 0;
    let errorsTotal = 0;
    for (const [op, a] of acc.ops) {
      const errors = sum(Object.values(a.errors));
      // lags are measurements of the cluster, not the class's requests
      if (!isLagOp(op)) {
        completed += a.count + errors;
        errorsTotal += errors;
      }
      ops[op] = {
        count: a.count, errors, errorsByKind: a.errors, rows: a.rows,
        ...(a.validation ? { validation: { ...a.validation } } : {}),
        response: { ...summarize(a.response), histogram: encodeOf(a.response) },
        service: { ...summarize(a.service), histogram: encodeOf(a.service) },
      };
    }
    // achieved = ops that actually left inside the window ÷ the window: what the target was offered
    const achieved = Math.round((acc.sentInWindow / (windowMs / 1000)) * 10) / 10;
    const sent = acc.sentInWindow + acc.sentAfterWindow;
    let unsent: number | null = null;
    if (open) {
      // slots k with start + k × interval inside the window, capped by the phase's count; of
      // them, a segment's own (k ≡ i mod n)
      const mine = (n: number): number => (acc.cls.segment ? slotsOf(n, acc.cls.segment) : n);
      let due = Math.ceil(windowMs / acc.cls.intervalMs! - 1e-9);
      if (acc.cls.countLimit !== undefined) due = Math.min(due, acc.cls.countLimit);
      due = mine(due);
      if (o.countBound && !o.stopped) due = acc.cls.countLimit !== undefined ? mine(acc.cls.countLimit) : sent;
      unsent = Math.max(0, due - sent);
    }
    const S = this.o.nrShards;
    const grid = (xs: number[]): number[][] => Array.from({ length: this.o.nodes }, (_, n) => xs.slice(n * S, n * S + S));
    const totalReq = sum(acc.requests);
    const totalMis = sum(acc.misrouted);
    const mean = totalReq / Math.max(1, acc.requests.length);
    const imbalance = mean > 0 ? Math.max(...acc.requests) / mean : 0;
    const lag = acc.scheduleLag.totalCount > 0 ? summarize(acc.scheduleLag) : null;
    const lagged = acc.scheduleLag.totalCount;
    const schedule = open && lag ? {
      within1msRatio: round4(acc.lagWithin1ms / lagged), within10msRatio: round4(acc.lagWithin10ms / lagged),
      lagP50Ms: lag.p50Ms, lagP99Ms: lag.p99Ms, lagMaxMs: lag.maxMs,
      // the counts behind the ratios, so results of several loaders merge exactly (results/merge.ts)
      lagged, within1ms: acc.lagWithin1ms, within10ms: acc.lagWithin10ms,
    } : null;
    const rateShort = open && achieved < c.rateOpsPerSec! * 0.99;
    const lagLong = open && lag !== null && lag.p99Ms > 10;
    const kept = open ? !rateShort && !lagLong : null;
    const phase = this.o.phase;
    if (rateShort) warnings.push(`phase ${phase}, class ${c.name}: rate not kept: ${achieved} of ${c.rateOpsPerSec} ops/s left inside the window (${unsent ?? 0} scheduled ops unsent)`);
    if (lagLong) warnings.push(`phase ${phase}, class ${c.name}: schedule lag p99 ${lag!.p99Ms} ms: the loader started requests late (response times include it)`);
    const checks = sloChecks(c.slo, Object.fromEntries(Object.entries(ops).filter(([op]) => !isLagOp(op))), open ? 'response' : 'service', completed, errorsTotal);
    return {
      workload: c.workload, serviceLevel: c.serviceLevel ?? null, serviceLevelTimeoutMs: acc.cls.serviceLevelTimeoutMs, routing: acc.cls.routing,
      loop: open ? 'open' : 'closed', latency: open ? 'response' : 'service',
      rate: {
        target: c.rateOpsPerSec ?? null, achieved, kept, windowMs: Math.round(windowMs),
        sent, sentInWindow: acc.sentInWindow, sentAfterWindow: acc.sentAfterWindow, unsent,
      },
      concurrency: c.concurrency ?? null, ops,
      shards: {
        nrShards: S, requests: grid(acc.requests), misrouted: grid(acc.misrouted), fallbacks: acc.fallbacks,
        // the stock driver does not say which connection (shard) it used: the client cannot know
        misrouteRatio: acc.cls.routing === 'driver' ? null : totalReq > 0 ? round4(totalMis / totalReq) : 0,
        imbalance: round4(imbalance),
      },
      scheduleLag: lag ? { ...lag, histogram: encodeOf(acc.scheduleLag) } : null,
      schedule,
      slo: { spec: c.slo ?? null, checks, pass: checks.every((x) => x.pass) },
      ...(c.viewLag ? { viewLag: acc.viewLag ?? { sampled: 0, seen: 0, timeouts: 0, polls: 0, pollErrors: 0, unresolved: 0 } } : {}),
    };
  }
}

function encodeOf(h: Histogram): string {
  return h.totalCount > 0 ? encode(h) : '';
}
