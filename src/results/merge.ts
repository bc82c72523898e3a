/**
 * `scylla-bench merge`: the results of n loaders (`run --segment i/n`) as ONE result, exactly.
 *
 *   - histograms are added — per phase (each loader's phase histogram per class × op) and per
 *     wall-clock second (each loader's `.hlog` intervals) — and every percentile is read from the
 *     sums, never averaged;
 *   - counts, errors (by kind), sends, unsent slots, per-(node, shard) requests and misroutes are
 *     summed; rates are recomputed from the summed sends over the window;
 *   - each loader's own figures stay in `merged.loaders` (a slow loader stays visible), its
 *     warnings in the union of warnings.
 *
 * A loader's second t of a phase is the merged second t + round(its phase start offset / 1 s):
 * with --start-at every loader starts each phase at the same instant and the offsets are 0.
 *
 * Refused (MergeError, one line): results of different profiles (profileHash), of different runs
 * (segment counts or --start-at differ), overlapping segments, a missing segment (unless
 * `partial`), a result that is not a segment's or is itself a merge.
 *
 * Pure computation on result data: the CLI reads the inputs and writes the output.
 */
import { decode, mergeInto, newHistogram, summarize, encode, type Histogram } from '../metrics/histogram.js';
import type { ClassSpec, PhaseSpec } from '../profile/types.js';
import {
  addViewLag, isLagOp,
  type Bottleneck, type ClassResult, type IntervalRecord, type MergedLoader, type NodeResult, type OpResult, type PhaseResult, type RunResult, type ScheduleResult, type ViewLagCounts, type ValidationResult, type CdcResult, type LargePartitionRecord,
} from './result.js';
import { sloChecks } from './slo.js';

export class MergeError extends Error {
  override name = 'MergeError';
}

export interface MergeInput {
  /** Where it was read from (named in messages and in merged.loaders). */
  source: string;
  result: RunResult;
  profileHash: string;
  /** `<class>.hlog` text per class (classes without a file are absent). */
  hlogs: Record<string, string>;
}

export interface MergedInterval {
  tag: string;
  startMs: number;
  endMs: number;
  histogram: Histogram;
}

export interface MergeOutput {
  result: RunResult;
  /** Per class: the merged .hlog (BaseTime = the first merged phase start holding the class), intervals in time order. */
  hlogs: Map<string, { baseTimeMs: number; intervals: MergedInterval[] }>;
  /** Every phase's merged seconds, in order (intervals.jsonl). */
  intervals: IntervalRecord[];
}

const round1 = (x: number): number => Math.round(x * 10) / 10;
const round4 = (x: number): number => Math.round(x * 10000) / 10000;
const sum = (xs: Iterable<number>): number => { let s = 0; for (const x of xs) s += x; return s; };

/** One .hlog line: `Tag=<tag>,<start s>,<length s>,<max ms>,<base64>`. */
const HLOG_LINE = /^Tag=([^,]+),([0-9.]+),([0-9.]+),[0-9.]+,(\S+)$/;
const HLOG_BASE = /^#\[BaseTime: ([0-9.]+) /;

interface HlogInterval { tag: string; startMs: number; lengthMs: number; b64: string }

/** Intervals of an .hlog with absolute start times (BaseTime added back). */
export function parseHlogIntervals(text: string, file: string): HlogInterval[] {
  let baseMs = 0;
  const out: HlogInterval[] = [];
  for (const line of text.split('\n')) {
    const b = HLOG_BASE.exec(line);
    if (b) { baseMs = Math.round(Number(b[1]) * 1000); continue; }
    if (!line.startsWith('Tag=')) continue;
    const m = HLOG_LINE.exec(line);
    if (!m) throw new MergeError(`${file}: not an interval line: ${line.slice(0, 60)}`);
    out.push({ tag: m[1], startMs: baseMs + Math.round(Number(m[2]) * 1000), lengthMs: Math.round(Number(m[3]) * 1000), b64: m[4] });
  }
  return out;
}

const segOf = (x: MergeInput): { index: number; count: number } => x.result.segment!;

/** Checks the inputs form one run's segments; returns them ordered by segment and the missing ones. */
function checkInputs(inputs: MergeInput[], partial: boolean): { ordered: MergeInput[]; count: number; missing: number[] } {
  if (inputs.length === 0) throw new MergeError('name the result directories of the segments to merge');
  for (const x of inputs) {
    if (x.result.merged) throw new MergeError(`${x.source}: is already a merged result; merge the segments' own results`);
    if (!x.result.segment) throw new MergeError(`${x.source}: not a segment's result (it ran without --segment i/n)`);
  }
  const first = inputs[0];
  const n = segOf(first).count;
  const bySegment = new Map<number, MergeInput>();
  for (const x of inputs) {
    const s = segOf(x);
    if (s.count !== n) throw new MergeError(`${x.source} is segment ${s.index}/${s.count} but ${first.source} is ${segOf(first).index}/${n}: not segments of one run`);
    if (x.profileHash !== first.profileHash) throw new MergeError(`${x.source} and ${first.source} ran different profiles (${x.profileHash.slice(0, 19)}… vs ${first.profileHash.slice(0, 19)}…)`);
    if ((x.result.segment!.startAt ?? null) !== (first.result.segment!.startAt ?? null)) {
      throw new MergeError(`${x.source} started at ${x.result.segment!.startAt ?? 'no --start-at'} but ${first.source} at ${first.result.segment!.startAt ?? 'no --start-at'}: not segments of one run`);
    }
    const other = bySegment.get(s.index);
    if (other) throw new MergeError(`${other.source} and ${x.source} are both segment ${s.index}/${n}: overlapping segments`);
    bySegment.set(s.index, x);
  }
  const missing = Array.from({ length: n }, (_, i) => i).filter((i) => !bySegment.has(i));
  if (missing.length > 0 && !partial) {
    throw new MergeError(`segment${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of ${n} missing (--partial merges the ${bySegment.size} there are)`);
  }
  return { ordered: [...bySegment.keys()].sort((a, b) => a - b).map((i) => bySegment.get(i)!), count: n, missing };
}

const decodeOr = (b64: string | undefined): Histogram => (b64 ? decode(b64) : newHistogram());

function latencyOf(h: Histogram): OpResult['response'] {
  return { ...summarize(h), histogram: h.totalCount > 0 ? encode(h) : '' };
}

/** The class spec of the whole run (the profile's: rate and concurrency of all loaders together). */
function classSpecOf(phase: PhaseSpec | undefined, cls: string): ClassSpec | undefined {
  return phase?.classes.find((c) => c.name === cls);
}

function mergeClass(name: string, phase: string, spec: ClassSpec | undefined, parts: ClassResult[], warnings: string[]): ClassResult {
  const c0 = parts[0];
  const ops: Record<string, OpResult> = {};
  const opNames = [...new Set(parts.flatMap((p) => Object.keys(p.ops)))];
  let completed = 0;
  let errorsTotal = 0;
  for (const op of opNames) {
    const response = newHistogram();
    const service = newHistogram();
    let count = 0;
    let rows = 0;
    let validation: ValidationResult | undefined;
    const errorsByKind: Record<string, number> = {};
    for (const p of parts) {
      const o = p.ops[op];
      if (!o) continue;
      mergeInto(response, decodeOr(o.response.histogram));
      mergeInto(service, decodeOr(o.service.histogram));
      count += o.count;
      rows += o.rows ?? 0;
      // --validate: each loader checked its own reads; a failure anywhere is the merged run's
      if (o.validation) validation = { checked: (validation?.checked ?? 0) + o.validation.checked, mismatch: (validation?.mismatch ?? 0) + o.validation.mismatch, missing: (validation?.missing ?? 0) + o.validation.missing };
      for (const [k, v] of Object.entries(o.errorsByKind)) errorsByKind[k] = (errorsByKind[k] ?? 0) + v;
    }
    const errors = sum(Object.values(errorsByKind));
    if (!isLagOp(op)) {
      completed += count + errors;
      errorsTotal += errors;
    }
    ops[op] = { count, errors, errorsByKind, rows, response: latencyOf(response), service: latencyOf(service), ...(validation ? { validation } : {}) };
  }
  const open = c0.loop === 'open';
  const windowMs = Math.max(...parts.map((p) => p.rate.windowMs ?? 0));
  const sentInWindow = sum(parts.map((p) => p.rate.sentInWindow ?? p.rate.sent ?? 0));
  const sentAfterWindow = sum(parts.map((p) => p.rate.sentAfterWindow ?? 0));
  const unsentParts = parts.map((p) => p.rate.unsent).filter((u): u is number => typeof u === 'number');
  const target = spec?.rateOpsPerSec ?? (open ? sum(parts.map((p) => p.rate.target ?? 0)) : null);
  const achieved = windowMs > 0 ? round1(sentInWindow / (windowMs / 1000)) : 0;

  // schedule lag: exact from the loaders' lag histograms (results older than merge lack them)
  let scheduleLag: ClassResult['scheduleLag'] = null;
  let schedule: ScheduleResult | null = null;
  const lagParts = parts.filter((p) => p.scheduleLag !== null);
  if (open && lagParts.length > 0) {
    if (lagParts.every((p) => p.scheduleLag!.histogram !== undefined && p.schedule?.lagged !== undefined)) {
      const lag = newHistogram();
      for (const p of lagParts) mergeInto(lag, decodeOr(p.scheduleLag!.histogram));
      const s = summarize(lag);
      scheduleLag = { ...s, histogram: lag.totalCount > 0 ? encode(lag) : '' };
      const lagged = sum(lagParts.map((p) => p.schedule!.lagged!));
      const within1ms = sum(lagParts.map((p) => p.schedule!.within1ms ?? 0));
      const within10ms = sum(lagParts.map((p) => p.schedule!.within10ms ?? 0));
      schedule = {
        within1msRatio: lagged > 0 ? round4(within1ms / lagged) : 0, within10msRatio: lagged > 0 ? round4(within10ms / lagged) : 0,
        lagP50Ms: s.p50Ms, lagP99Ms: s.p99Ms, lagMaxMs: s.maxMs, lagged, within1ms, within10ms,
      };
    } else {
      warnings.push(`phase ${phase}, class ${name}: a loader's result has no schedule-lag histogram (written before merge existed): the merged schedule lag is not given`);
    }
  }
  // the same judgement as a lone loader's (results/phase.ts): short of 99 % of the rate, or lag p99 > 10 ms
  const rateShort = open && target !== null && achieved < target * 0.99;
  const lagLong = open && scheduleLag !== null && scheduleLag.p99Ms > 10;
  const kept = open ? !rateShort && !lagLong : null;
  const unsent = unsentParts.length > 0 ? sum(unsentParts) : null;
  if (rateShort) warnings.push(`phase ${phase}, class ${name}: rate not kept by the loaders together: ${achieved} of ${target} ops/s left inside the window (${unsent ?? 0} scheduled ops unsent)`);
  if (lagLong) warnings.push(`phase ${phase}, class ${name}: schedule lag p99 ${scheduleLag!.p99Ms} ms over all loaders: requests started late (response times include it)`);

  const grid = (pick: (p: ClassResult) => number[][]): number[][] => {
    const out = pick(c0).map((row) => row.map(() => 0));
    for (const p of parts) pick(p).forEach((row, n) => row.forEach((v, s) => { if (out[n]) out[n][s] = (out[n][s] ?? 0) + v; }));
    return out;
  };
  const requests = grid((p) => p.shards.requests);
  const misrouted = grid((p) => p.shards.misrouted);
  const cells = requests.flat();
  const totalReq = sum(cells);
  const mean = totalReq / Math.max(1, cells.length);
  const latency = c0.latency;
  const checks = sloChecks(spec?.slo, Object.fromEntries(Object.entries(ops).filter(([op]) => !isLagOp(op))), latency, completed, errorsTotal);
  const viewLag = parts.reduce<ViewLagCounts | undefined>((a, p) => (p.viewLag ? addViewLag(a, p.viewLag) : a), undefined);
  const cdc = mergeCdc(parts);
  if (cdc && cdc.expected !== null) {
    checks.push({ op: 'cdc-lag', metric: 'cdcMissing', limit: cdc.writeErrors, actual: cdc.missing, pass: cdc.missing <= cdc.writeErrors });
    checks.push({ op: 'cdc-lag', metric: 'cdcDuplicate', limit: 0, actual: cdc.duplicate, pass: cdc.duplicate === 0 });
  }
  return {
    workload: c0.workload, serviceLevel: c0.serviceLevel, serviceLevelTimeoutMs: c0.serviceLevelTimeoutMs ?? null,
    routing: c0.routing, loop: c0.loop, latency,
    rate: {
      target, achieved, kept, windowMs, sent: sentInWindow + sentAfterWindow, sentInWindow, sentAfterWindow, unsent,
    },
    concurrency: spec?.concurrency ?? (c0.loop === 'closed' ? sum(parts.map((p) => p.concurrency ?? 0)) : null),
    ops,
    shards: {
      nrShards: c0.shards.nrShards, requests, misrouted, fallbacks: sum(parts.map((p) => p.shards.fallbacks ?? 0)),
      misrouteRatio: c0.routing === 'driver' ? null : totalReq > 0 ? round4(sum(misrouted.flat()) / totalReq) : 0,
      imbalance: mean > 0 ? round4(Math.max(...cells) / mean) : 0,
    },
    scheduleLag,
    schedule,
    slo: { spec: spec?.slo ?? null, checks, pass: checks.every((x) => x.pass) },
    ...(viewLag ? { viewLag } : {}),
    ...(cdc ? { cdc } : {}),
  };
}

/**
 * A `kind: cdc` class run by n loaders: each loader's consumer reads the whole log and checks the
 * changes of its own segment's writers. So the changes it read are the same log (the largest
 * count is taken, not a sum), while what each expected, missed, saw twice or had fail adds up;
 * unexpected is what the log held beyond every loader's writers.
 */
function mergeCdc(parts: ClassResult[]): CdcResult | undefined {
  const cs = parts.map((p) => p.cdc).filter((c): c is CdcResult => c !== undefined);
  if (cs.length === 0) return undefined;
  const c0 = cs[0];
  const validated = cs.every((c) => c.expected !== null);
  const expected = validated ? sum(cs.map((c) => c.expected!)) : null;
  const missing = sum(cs.map((c) => c.missing));
  const changes = Math.max(...cs.map((c) => c.changes));
  return {
    ...c0,
    queries: sum(cs.map((c) => c.queries)), failedQueries: sum(cs.map((c) => c.failedQueries)),
    rows: Math.max(...cs.map((c) => c.rows)), changes, expected, missing,
    duplicate: sum(cs.map((c) => c.duplicate)),
    unexpected: expected === null ? c0.unexpected : Math.max(0, changes - (expected - missing)),
    writeErrors: sum(cs.map((c) => c.writeErrors)),
    caughtUp: cs.every((c) => c.caughtUp), drainMs: Math.max(...cs.map((c) => c.drainMs)),
    notValidated: cs.find((c) => c.notValidated !== null)?.notValidated ?? null,
  };
}

/** The loaders' records of one partition are one record: the largest size any replica recorded, every node that did. */
function mergeLargePartitions(inputs: MergeInput[]): LargePartitionRecord[] | undefined {
  const all = inputs.flatMap((x) => x.result.largePartitionRecords ?? []);
  if (!inputs.some((x) => x.result.largePartitionRecords !== undefined)) return undefined;
  const byKey = new Map<string, LargePartitionRecord>();
  for (const r of all) {
    const k = `${r.keyspace}\u0000${r.table}\u0000${r.partitionKey}`;
    const m = byKey.get(k);
    if (!m) { byKey.set(k, { ...r, nodes: [...r.nodes] }); continue; }
    m.partitionBytes = Math.max(m.partitionBytes, r.partitionBytes);
    m.rows = m.rows === null ? r.rows : r.rows === null ? m.rows : Math.max(m.rows, r.rows);
    m.nodes = [...new Set([...m.nodes, ...r.nodes])].sort();
  }
  return [...byKey.values()].sort((a, b) => b.partitionBytes - a.partitionBytes);
}

interface PhasePart { input: MergeInput; phase: PhaseResult; startMs: number }

function mergePhase(name: string, spec: PhaseSpec | undefined, parts: PhasePart[], warnings: string[], hlogs: Map<string, Map<string, HlogInterval[]>>): { phase: PhaseResult; seconds: Map<string, MergedInterval[]> } {
  const startMs = Math.min(...parts.map((p) => p.startMs));
  const offsetSec = (p: PhasePart): number => Math.round((p.startMs - startMs) / 1000);
  const p0 = parts[0].phase;
  const classNames = [...new Set(parts.flatMap((p) => Object.keys(p.phase.classes)))];
  const classes: Record<string, ClassResult> = {};
  for (const cls of classNames) {
    classes[cls] = mergeClass(cls, name, classSpecOf(spec, cls), parts.map((p) => p.phase.classes[cls]).filter((c): c is ClassResult => c !== undefined), warnings);
  }

  // per second: the loaders' .hlog intervals of this phase, added where their seconds coincide
  const seconds = new Map<string, MergedInterval[]>();
  const perSecond = new Map<string, Histogram>(); // `${cls}\0${tag}\0${t}`
  for (const cls of classNames) {
    const ops = Object.keys(classes[cls].ops);
    const tags = new Set(ops.flatMap((op) => [`${name}.${op}.response`, `${name}.${op}.service`]));
    const out: MergedInterval[] = [];
    const at = new Map<string, MergedInterval>();
    for (const p of parts) {
      const lines = hlogs.get(p.input.source)?.get(cls) ?? [];
      for (const l of lines) {
        if (!tags.has(l.tag)) continue;
        const t = Math.round((l.startMs - p.startMs) / 1000) + offsetSec(p);
        const key = `${l.tag}\0${t}`;
        let m = at.get(key);
        if (!m) {
          m = { tag: l.tag, startMs: startMs + t * 1000, endMs: startMs + t * 1000 + 1000, histogram: newHistogram() };
          at.set(key, m);
          out.push(m);
        }
        mergeInto(m.histogram, decode(l.b64));
        perSecond.set(`${cls}\0${l.tag}\0${t}`, m.histogram);
      }
    }
    out.sort((a, b) => a.startMs - b.startMs || (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
    seconds.set(cls, out);
  }
  const records = new Map<number, IntervalRecord>();
  for (const p of parts) {
    const off = offsetSec(p);
    for (const r of p.phase.intervals) {
      const t = r.t + off;
      let m = records.get(t);
      if (!m) { m = { phase: name, t, classes: {}, nodeRequests: [], misrouted: 0 }; records.set(t, m); }
      (r.nodeRequests ?? []).forEach((v, i) => { m!.nodeRequests[i] = (m!.nodeRequests[i] ?? 0) + v; });
      m.misrouted += r.misrouted ?? 0;
      for (const [cls, c] of Object.entries(r.classes)) {
        const mc = (m.classes[cls] ??= { started: 0, ops: {} });
        mc.started += c.started;
        for (const [op, o] of Object.entries(c.ops)) {
          const mo = (mc.ops[op] ??= { count: 0, errors: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 });
          mo.count += o.count;
          mo.errors += o.errors;
        }
      }
    }
  }
  const intervals = [...records.values()].sort((a, b) => a.t - b.t);
  for (const r of intervals) {
    for (const [cls, c] of Object.entries(r.classes)) {
      for (const [op, o] of Object.entries(c.ops)) {
        const h = perSecond.get(`${cls}\0${name}.${op}.response\0${r.t}`);
        if (h && h.totalCount > 0) {
          const s = summarize(h);
          o.p50Ms = s.p50Ms;
          o.p99Ms = s.p99Ms;
          o.maxMs = s.maxMs;
        }
      }
    }
  }

  const cpuSec = sum(parts.map((p) => p.phase.loader.cpuSec ?? 0));
  const coreSec = sum(parts.map((p) => (p.phase.wallMs ?? p.phase.durationMs) / 1000 * p.input.result.environment.cpus));
  const totalOps = sum(Object.values(classes).flatMap((c) => Object.values(c.ops).map((o) => o.count + o.errors)));
  const weights = parts.map((p) => p.input.result.environment.workers);
  const nodes: NodeResult[] = (p0.nodes ?? []).map((n, i) => ({
    host: n.host,
    requests: sum(parts.map((p) => p.phase.nodes?.[i]?.requests ?? 0)),
    reconnects: sum(parts.map((p) => p.phase.nodes?.[i]?.reconnects ?? 0)),
    connectionsLost: sum(parts.map((p) => p.phase.nodes?.[i]?.connectionsLost ?? 0)),
    downMs: Math.max(...parts.map((p) => p.phase.nodes?.[i]?.downMs ?? 0)),
  }));
  const limited = parts.find((p) => p.phase.bottleneck);
  const bottleneck: Bottleneck | null = limited
    ? { kind: limited.phase.bottleneck!.kind, evidence: `segment ${limited.input.result.segment!.index}/${limited.input.result.segment!.count}: ${limited.phase.bottleneck!.evidence}` }
    : null;
  const crossShard = parts.map((p) => p.phase.targetCrossShardOps).filter((x): x is number => typeof x === 'number');
  const phase: PhaseResult = {
    name, kind: p0.kind, startedAt: new Date(startMs).toISOString(),
    durationMs: Math.max(...parts.map((p) => p.phase.durationMs)),
    wallMs: Math.round(Math.max(...parts.map((p) => p.startMs - startMs + (p.phase.wallMs ?? p.phase.durationMs)))),
    classes, intervals,
    loader: {
      eventLoopUtilizationMax: Math.max(...parts.map((p) => p.phase.loader.eventLoopUtilizationMax)),
      eventLoopUtilizationMean: round4(sum(parts.map((p, i) => (p.phase.loader.eventLoopUtilizationMean ?? 0) * weights[i])) / Math.max(1, sum(weights))),
      eventLoopDelayP99MsMax: Math.max(...parts.map((p) => p.phase.loader.eventLoopDelayP99MsMax)),
      cpuSec: round4(cpuSec), cpuFraction: coreSec > 0 ? cpuSec / coreSec : 0, cpuUsPerOp: totalOps > 0 ? cpuSec * 1e6 / totalOps : 0,
      // memory is per process: the largest loader's (each one's is in merged.loaders)
      rssMb: Math.max(...parts.map((p) => p.phase.loader.rssMb ?? 0)),
      maxRssMb: Math.max(...parts.map((p) => p.phase.loader.maxRssMb ?? 0)),
    },
    // each loader ran the target's CPU probe on its own machine: there is no one figure for all
    target: null,
    bottleneck,
    // the cluster's own counter covers every client: each loader read (nearly) the same window of it
    targetCrossShardOps: crossShard.length > 0 ? Math.max(...crossShard) : null,
    nodes,
  };
  return { phase, seconds };
}

function loaderBreakdown(x: MergeInput, mergedStarts: Map<string, number>): MergedLoader {
  const r = x.result;
  return {
    segment: r.segment!.index, host: r.segment!.host, runId: r.runId, source: x.source, startedAt: r.startedAt, stopped: r.stopped,
    clock: r.segment!.clock ?? null, warnings: r.warnings,
    phases: r.phases.map((ph) => ({
      name: ph.name, startedAt: ph.startedAt, startOffsetMs: Date.parse(ph.startedAt) - (mergedStarts.get(ph.name) ?? Date.parse(ph.startedAt)),
      durationMs: ph.durationMs, wallMs: ph.wallMs ?? ph.durationMs, loader: ph.loader, bottleneck: ph.bottleneck ?? null,
      classes: Object.fromEntries(Object.entries(ph.classes).map(([cls, c]) => [cls, {
        rate: c.rate, concurrency: c.concurrency, schedule: c.schedule ?? null,
        ops: Object.fromEntries(Object.entries(c.ops).map(([op, o]) => {
          const l = c.latency === 'response' ? o.response : o.service;
          return [op, { count: o.count, errors: o.errors, p50Ms: l.p50Ms, p99Ms: l.p99Ms, p999Ms: l.p999Ms, maxMs: l.maxMs }];
        })),
      }])),
    })),
  };
}

/** Merges the segments' results (see the header); throws MergeError for inputs that are not one run's segments. */
export function mergeResults(inputs: MergeInput[], o: { partial?: boolean; runId: string }): MergeOutput {
  const { ordered, count, missing } = checkInputs(inputs, o.partial ?? false);
  const lead = ordered[0];
  const profile = lead.result.profile;
  const warnings: string[] = [];
  const hlogs = new Map<string, Map<string, HlogInterval[]>>();
  for (const x of ordered) {
    const m = new Map<string, HlogInterval[]>();
    for (const [cls, text] of Object.entries(x.hlogs)) m.set(cls, parseHlogIntervals(text, `${x.source}/${cls}.hlog`));
    hlogs.set(x.source, m);
  }
  // phases in the profile's order; a phase only some loaders ran (schema, load: segment 0 with --start-at) merges theirs
  const names = [...new Set([...profile.phases.map((p) => p.name), ...ordered.flatMap((x) => x.result.phases.map((p) => p.name))])];
  const phases: PhaseResult[] = [];
  const intervals: IntervalRecord[] = [];
  const outHlogs = new Map<string, { baseTimeMs: number; intervals: MergedInterval[] }>();
  const mergedStarts = new Map<string, number>();
  for (const name of names) {
    const parts: PhasePart[] = ordered.flatMap((x) => x.result.phases.filter((p) => p.name === name && p.skipped === undefined).map((phase) => ({ input: x, phase, startMs: Date.parse(phase.startedAt) })));
    if (parts.length === 0) continue;
    const { phase, seconds } = mergePhase(name, profile.phases.find((p) => p.name === name), parts, warnings, hlogs);
    phases.push(phase);
    mergedStarts.set(name, Date.parse(phase.startedAt));
    intervals.push(...phase.intervals);
    for (const [cls, lines] of seconds) {
      if (lines.length === 0) continue;
      const h = outHlogs.get(cls) ?? { baseTimeMs: Date.parse(phase.startedAt), intervals: [] };
      h.intervals.push(...lines);
      outHlogs.set(cls, h);
    }
  }
  if (missing.length > 0) warnings.push(`merged ${ordered.length} of ${count} segments (--partial): segment${missing.length > 1 ? 's' : ''} ${missing.join(', ')} missing, so the totals are short of the profile's`);
  const stopped = ordered.filter((x) => x.result.stopped !== null).map((x) => `segment ${x.result.segment!.index}/${count}: ${x.result.stopped}`);
  const largePartitionRecords = mergeLargePartitions(ordered);
  const env0 = lead.result.environment;
  const models = [...new Set(ordered.map((x) => x.result.environment.cpuModel))];
  const result: RunResult = {
    schema: lead.result.schema,
    runId: o.runId,
    tool: lead.result.tool,
    startedAt: new Date(Math.min(...ordered.map((x) => Date.parse(x.result.startedAt)))).toISOString(),
    endedAt: new Date(Math.max(...ordered.map((x) => Date.parse(x.result.endedAt)))).toISOString(),
    stopped: stopped.length > 0 ? stopped.join('; ') : null,
    profile,
    profileHash: lead.profileHash,
    environment: {
      ...env0, cpus: sum(ordered.map((x) => x.result.environment.cpus)), workers: sum(ordered.map((x) => x.result.environment.workers)),
      cpuModel: models.join(' | '),
    },
    cluster: lead.result.cluster,
    // estimated from the profile before the run: the same on every loader
    partitions: lead.result.partitions ?? [],
    targetLabel: lead.result.targetLabel,
    serviceLevels: lead.result.serviceLevels,
    phases,
    // the union: each loader's own (naming it), then what the merge found about all of them
    warnings: [...new Set([...ordered.flatMap((x) => x.result.warnings.map((w) => `segment ${x.result.segment!.index}/${count}: ${w}`)), ...warnings])],
    ...(largePartitionRecords ? { largePartitionRecords } : {}),
    merged: {
      segments: count, merged: ordered.map((x) => x.result.segment!.index), missing,
      loaders: ordered.map((x) => loaderBreakdown(x, mergedStarts)),
    },
  };
  return { result, hlogs: outHlogs, intervals };
}
