/**
 * The result file (results/<run-id>/result.json), schema `scylla-bench/result@1`, and the
 * `run --json` summary derived from it. Results are data first: tables, reports and gates are
 * renderings of this, so every printed figure is traceable to the file. Add fields; never
 * rename (the --json summary is a public contract).
 */
import type { LatencySummary } from '../metrics/histogram.js';
import type { PartitionEstimate } from '../profile/partition-size.js';
import type { ResolvedProfile, SloSpec } from '../profile/types.js';

/** What discovery learnt of the cluster (system.local/peers, SUPPORTED): plain data, tokens as decimal strings. */
export interface ClusterNodeFacts {
  index: number;
  host: string;
  port: number;
  datacenter: string;
  rack: string;
  hostId: string | null;
  releaseVersion: string | null;
  tokens: string[];
}

export interface ClusterFacts {
  clusterName: string | null;
  partitioner: string | null;
  releaseVersion: string | null;
  /** Scylla = SUPPORTED carried SCYLLA_NR_SHARDS. */
  scylla: boolean;
  nrShards: number | null;
  ignoreMsb: number | null;
  shardAwarePort: number | null;
  extensions: string[];
  supportedKeys: string[];
  nodes: ClusterNodeFacts[];
}

export const RESULT_SCHEMA = 'scylla-bench/result@1';

export interface OpResult {
  count: number;
  errors: number;
  errorsByKind: Record<string, number>;
  /** Rows the replies carried (reads and scans: the first page of each); 0 for writes. */
  rows: number;
  /** --validate (reads of a validating class): rows checked against the generators. */
  validation?: ValidationResult;
  /** Response time: from the intended start (open loop); equals service time in closed loop. */
  response: LatencySummary & { histogram: string };
  /** Service time: send → reply. */
  service: LatencySummary & { histogram: string };
}

/** A partition a node recorded in system.large_partitions (engine/large-partitions.ts). */
export interface LargePartitionRecord {
  keyspace: string;
  table: string;
  /** As Scylla records it: `{key: pk{000400000001}, token:…}`. */
  partitionKey: string;
  /** The largest partition_size a replica recorded, bytes. */
  partitionBytes: number;
  rows: number | null;
  /** host:port of the nodes that recorded it. */
  nodes: string[];
}

/** What --validate found in one op's replies (docs/results.md: what it can and cannot know). */
export interface ValidationResult {
  /** rows compared with the values the generators give them */
  checked: number;
  /** rows with a cell that differs (or a row deleted before the read that came back) */
  mismatch: number;
  /** reads of a row this run wrote (acknowledged before the read left) that returned nothing */
  missing: number;
}

export interface ShardResult {
  nrShards: number;
  /** requests[node][shard], counted at the shard that owns the token. */
  requests: number[][];
  misrouted: number[][];
  /** Requests whose replica node was down, sent to another replica (or any live node) instead. */
  fallbacks: number;
  /** Of the requests, the share sent over a connection of another shard; null when the client cannot know (`driver` routing). */
  misrouteRatio: number | null;
  /** max / mean of per-(node, shard) requests over the cells that exist. */
  imbalance: number;
}

export interface SloCheck {
  op: string | '*';
  /** (additive) `cdcMissing` / `cdcDuplicate`: a cdc class's validation (limit 0). */
  metric: 'p50Ms' | 'p99Ms' | 'p999Ms' | 'errorRatio' | 'cdcMissing' | 'cdcDuplicate';
  limit: number;
  actual: number;
  pass: boolean;
}

/**
 * What the loader offered the target, from the actual send time of every op: never completed ops
 * over the nominal phase length (that figure is right by construction and hides a loader that
 * fell behind).
 */
export interface RateResult {
  /** Open loop: the profile's ops/s; null in closed loop. */
  target: number | null;
  /** Ops handed to a connection inside the window ÷ the window. */
  achieved: number;
  /**
   * Open loop: false when achieved < 99 % of target or schedule lag p99 > 10 ms (the latencies
   * then describe a load other than the one asked for); null in closed loop.
   */
  kept: boolean | null;
  /** The scheduling window: the phase length, or up to the stop. */
  windowMs: number;
  /** Ops sent in all; of them inside the window, and after it (intended inside it, sent late by the burst that was under way: still in the response-time histogram). */
  sent: number;
  sentInWindow: number;
  sentAfterWindow: number;
  /** Open loop: scheduled slots inside the window that were never sent (the phase ends at its end). */
  unsent: number | null;
}

export interface ScheduleResult {
  within1msRatio: number;
  within10msRatio: number;
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
  /** (additive) The counts behind the ratios: ops sent, and of them within 1 ms / 10 ms (exact merges). */
  lagged?: number;
  within1ms?: number;
  within10ms?: number;
}

export interface ClassResult {
  workload: string;
  serviceLevel: string | null;
  /** The level's timeout from the profile (it replaces every per-operation default), null if none. */
  serviceLevelTimeoutMs: number | null;
  routing: string;
  loop: 'open' | 'closed';
  /** Which latency the p…Ms figures of the summary use. */
  latency: 'response' | 'service';
  rate: RateResult;
  concurrency: number | null;
  ops: Record<string, OpResult>;
  shards: ShardResult;
  /** Open loop: send time − intended start; `histogram` (additive) encoded as the ops' are. */
  scheduleLag: (LatencySummary & { histogram?: string }) | null;
  /** Open loop: how punctually the schedule was kept (from every op's send time − intended start). */
  schedule: ScheduleResult | null;
  slo: { spec: SloSpec | null; checks: SloCheck[]; pass: boolean };
  /** (additive) With the class's `view_lag:`: how its sampled writes fared (the lags are the `view-lag` op). */
  viewLag?: ViewLagCounts;
  /** (additive) A `kind: cdc` class: what the consumer read and how it matched the writers' changes. */
  cdc?: CdcResult;
}

/** (additive) View lag of a class (engine/view-lag.ts): counts; the lag histogram is the `view-lag` op. */
export interface ViewLagCounts {
  /** sampled writes acknowledged, each followed into every view it reaches */
  sampled: number;
  /** (write, view) rows seen in the view (= the `view-lag` op's count) */
  seen: number;
  /** rows not seen within the timeout (the `view-lag` op's `view-lag-timeout` errors) */
  timeouts: number;
  /** polls sent, and those that failed (retried at the next poll) */
  polls: number;
  pollErrors: number;
  /** rows still being polled when the phase ended: neither seen nor timed out */
  unresolved: number;
}

/**
 * Ops that measure how far the cluster trails the writes (`view-lag`), recorded next to a
 * class's ops: outside its SLO checks, error ratio and capacity verdict.
 */
export function isLagOp(op: string): boolean {
  return op === 'view-lag';
}

export function addViewLag(a: ViewLagCounts | undefined, b: ViewLagCounts): ViewLagCounts {
  if (!a) return { ...b };
  return {
    sampled: a.sampled + b.sampled, seen: a.seen + b.seen, timeouts: a.timeouts + b.timeouts,
    polls: a.polls + b.polls, pollErrors: a.pollErrors + b.pollErrors, unresolved: a.unresolved + b.unresolved,
  };
}

/**
 * A CDC consumer's phase (engine/cdc*.ts): the changes it read from the phase start until it
 * caught up with the writers (or its drain ran out), matched against the changes the writer
 * classes of the phase made (their write cycles are known: every row key they wrote).
 */
export interface CdcResult {
  /** `ks.table`: the base table whose log was followed. */
  table: string;
  /** 'vnodes' (system_distributed) or 'tablets' (system.cdc_streams). */
  generationSource: 'vnodes' | 'tablets';
  generations: number;
  streams: number;
  /** Stream groups (one reader each: a vnode's streams, or one tablet stream). */
  groups: number;
  /** Log queries sent (one per group per window and page), and those that failed. */
  queries: number;
  failedQueries: number;
  /** Log rows read (delta, pre- and post-images) and, of them, changes (delta rows). */
  rows: number;
  changes: number;
  /** Changes the writer classes made in the phase (one per row written), or null when unknown. */
  expected: number | null;
  /** Written changes never read. */
  missing: number;
  /** Log rows delivered more than once (same stream, cdc$time, batch_seq_no). */
  duplicate: number;
  /** Changes read that no writer class of the phase made (another client, or a write that failed after it was applied). */
  unexpected: number;
  /** Write errors of the validated writer ops: a failed write may have left no change. */
  writeErrors: number;
  /** Every reader's window passed the writers' end before the drain ran out. */
  caughtUp: boolean;
  /** From the writers' end to caught up (or to the drain's end). */
  drainMs: number;
  /** Why the changes could not be validated (null when they were). */
  notValidated: string | null;
}

export interface IntervalRecord {
  phase: string;
  /** Seconds since the phase start. */
  t: number;
  classes: Record<string, { started: number; ops: Record<string, { count: number; errors: number; errorsByKind?: Record<string, number>; p50Ms: number; p99Ms: number; maxMs: number }> }>;
  /** Requests sent to each node (by index) in this second, all classes. */
  nodeRequests: number[];
  /** Of this second's requests, those sent over a connection of another shard. */
  misrouted: number;
}

export interface PhaseResult {
  name: string;
  kind: 'schema' | 'load' | 'warmup' | 'measure';
  startedAt: string;
  /** The scheduling window (the phase length, or up to a stop). */
  durationMs: number;
  /** Wall time from the phase start until its last in-flight op landed (window + drain). */
  wallMs: number;
  classes: Record<string, ClassResult>;
  intervals: IntervalRecord[];
  loader: {
    eventLoopUtilizationMax: number;
    /** Mean over every worker's per-second samples. */
    eventLoopUtilizationMean: number;
    eventLoopDelayP99MsMax: number;
    /** Whole-process CPU (all threads) over the phase's wall time. */
    cpuSec: number;
    /** cpuSec as a fraction of the machine's cores. */
    cpuFraction: number;
    cpuUsPerOp: number;
    /** Resident memory of the loader process (coordinator + workers) at the phase end, and its peak so far, MiB. */
    rssMb: number;
    maxRssMb: number;
  };
  /** The target's CPU when it is the built-in emulator in its own process; null for a real cluster. */
  target: TargetCpu | null;
  /** What limited the phase, when it was limited (schedule not kept, or a closed loop); null otherwise. */
  bottleneck: Bottleneck | null;
  /**
   * Requests that crossed a shard inside the cluster during the phase, by the target's own counter
   * (scylla_storage_proxy_replica_cross_shard_ops over every node); null when its metrics were not reachable.
   */
  targetCrossShardOps: number | null;
  /** Per node, what the loader's pools went through during the phase. */
  nodes: NodeResult[];
  /** (additive) Why this loader did not run the phase (`run --segment` with --start-at: another segment ran it). */
  skipped?: string;
}

export interface NodeResult {
  host: string;
  /** Requests routed to the node during the phase (all classes). */
  requests: number;
  /** Connections opened after the first attempt: refills after a loss, or the node back. */
  reconnects: number;
  connectionsLost: number;
  /** Time with no live connection to the node (the longest any worker saw). */
  downMs: number;
}

export interface TargetCpu {
  cpuSec: number;
  cpuUsPerOp: number;
  /** cpuSec over the phase's wall time: the emulator runs on one thread, so 1.0 is its ceiling. */
  coresUsed: number;
}

export interface Bottleneck {
  kind: 'loader' | 'target' | 'machine';
  evidence: string;
}

export interface RunResult {
  schema: typeof RESULT_SCHEMA;
  runId: string;
  tool: { name: 'scylla-bench'; version: string };
  startedAt: string;
  endedAt: string;
  /** null when the run completed; 'signal' after Ctrl-C/SIGTERM; 'error: …' after a fatal error. */
  stopped: string | null;
  profile: ResolvedProfile;
  /** sha256 of the resolved profile without where it ran: `gate` refuses to compare runs of different profiles. */
  profileHash: string;
  environment: { node: string; platform: string; arch: string; cpus: number; cpuModel: string; workers: number; pinned: boolean | string; seed: number };
  cluster: ClusterFacts;
  /** Partition sizes the workloads build, estimated from their generators before the run (cells only: a floor). */
  partitions: PartitionEstimate[];
  /**
   * After the run: the run's tables' partitions every node recorded in system.large_partitions
   * (over the cluster's threshold); absent when the target has no such table (Cassandra).
   */
  largePartitionRecords?: LargePartitionRecord[];
  /** What the target was when the CLI started it (e.g. "built-in emulator (3 nodes × 4 shards at 127.0.0.1)"); null for named hosts. */
  targetLabel: string | null;
  /** Service levels as the cluster lists them after setup (LIST ALL [ATTACHED] SERVICE LEVELS). */
  serviceLevels: { applied: boolean; levels: Record<string, unknown>[]; attached: Record<string, unknown>[]; roles: Record<string, string> } | null;
  phases: PhaseResult[];
  warnings: string[];
  /** (additive) `run --segment i/n`: which share of a run of n loaders this is, where it ran, its clock. */
  segment?: SegmentInfo;
  /** (additive) `merge`: the loaders this result was merged from, each with its own figures. */
  merged?: MergedInfo;
}

export interface SegmentInfo {
  /** 0-based. */
  index: number;
  count: number;
  /** The loader's host name (a Kubernetes pod's name). */
  host: string;
  /** --start-at (ISO 8601), or null. */
  startAt: string | null;
  /** The cluster's clock against this loader's: `SELECT now() FROM system.local`, best of 5 round trips. */
  clock: { offsetMs: number | null; rttMs: number | null; source: string };
}

export interface MergedInfo {
  segments: number;
  /** The segments merged (0-based), ascending. */
  merged: number[];
  /** --partial: the segments that were missing. */
  missing: number[];
  loaders: MergedLoader[];
}

/** One loader's own figures in a merged result: a slow loader stays visible. */
export interface MergedLoader {
  segment: number;
  host: string;
  runId: string;
  /** The directory it was read from. */
  source: string;
  startedAt: string;
  stopped: string | null;
  clock: SegmentInfo['clock'] | null;
  warnings: string[];
  phases: {
    name: string;
    startedAt: string;
    /** This loader's phase start − the merged phase start, ms. */
    startOffsetMs: number;
    durationMs: number;
    wallMs: number;
    loader: PhaseResult['loader'];
    bottleneck: Bottleneck | null;
    classes: Record<string, {
      rate: RateResult;
      concurrency: number | null;
      schedule: ScheduleResult | null;
      ops: Record<string, { count: number; errors: number; p50Ms: number; p99Ms: number; p999Ms: number; maxMs: number }>;
    }>;
  }[];
}

/** The `run --json` summary: a public contract. */
export interface RunSummary {
  runId: string;
  resultDir: string;
  stopped: string | null;
  classes: Record<string, {
    serviceLevel: string | null;
    serviceLevelTimeoutMs: number | null;
    routing: string;
    rate: RateResult;
    misrouteRatio: number | null;
    slo: { pass: boolean };
    ops: Record<string, { count: number; errors: number; rows: number; p50Ms: number; p99Ms: number; p999Ms: number; maxMs: number }>;
  }>;
  warnings: string[];
  /** Tables whose estimated partitions pass ScyllaDB's 100 MB red line (empty: none). */
  largePartitions: { workload: string; table: string; maxPartitionBytes: number }[];
  /** --validate: totals over every phase (null when nothing was validated); any mismatch or missing fails the run. */
  validation: (ValidationResult & { byOp: Record<string, ValidationResult> }) | null;
}

/**
 * --validate over the whole run, per `class/op` (every phase: a load's reads count too); null
 * when no op was validated.
 */
export function validationTotals(phases: PhaseResult[]): (ValidationResult & { byOp: Record<string, ValidationResult> }) | null {
  const byOp: Record<string, ValidationResult> = {};
  const total: ValidationResult = { checked: 0, mismatch: 0, missing: 0 };
  for (const ph of phases) {
    for (const [cls, c] of Object.entries(ph.classes)) {
      for (const [op, o] of Object.entries(c.ops)) {
        if (!o.validation) continue;
        const v = (byOp[`${cls}/${op}`] ??= { checked: 0, mismatch: 0, missing: 0 });
        for (const k of ['checked', 'mismatch', 'missing'] as const) { v[k] += o.validation[k]; total[k] += o.validation[k]; }
      }
    }
  }
  return Object.keys(byOp).length > 0 ? { ...total, byOp } : null;
}

/** The phase a summary reports: the last measure phase, else the last phase with classes. */
export function summaryPhase(r: RunResult): PhaseResult | undefined {
  const withClasses = r.phases.filter((p) => Object.keys(p.classes).length > 0);
  return [...withClasses].reverse().find((p) => p.kind === 'measure') ?? withClasses[withClasses.length - 1];
}

export function summarizeRun(r: RunResult, resultDir: string): RunSummary {
  const phase = summaryPhase(r);
  const classes: RunSummary['classes'] = {};
  for (const [name, c] of Object.entries(phase?.classes ?? {})) {
    const ops: RunSummary['classes'][string]['ops'] = {};
    for (const [op, o] of Object.entries(c.ops)) {
      const lat = c.latency === 'response' ? o.response : o.service;
      ops[op] = { count: o.count, errors: o.errors, rows: o.rows ?? 0, p50Ms: lat.p50Ms, p99Ms: lat.p99Ms, p999Ms: lat.p999Ms, maxMs: lat.maxMs };
    }
    classes[name] = { serviceLevel: c.serviceLevel, serviceLevelTimeoutMs: c.serviceLevelTimeoutMs ?? null, routing: c.routing, rate: c.rate, misrouteRatio: c.shards.misrouteRatio, slo: { pass: c.slo.pass }, ops };
  }
  const largePartitions = (r.partitions ?? []).filter((p) => p.overRedLine).map((p) => ({ workload: p.workload, table: p.table, maxPartitionBytes: p.maxPartitionBytes }));
  return { runId: r.runId, resultDir, stopped: r.stopped, classes, warnings: r.warnings, largePartitions, validation: validationTotals(r.phases) };
}
