/**
 * The coordinator: discovers the cluster, runs the schema phase, spawns one worker per core,
 * runs each phase (all workers start at one instant), merges the workers' encoded interval
 * histograms (never averaging percentiles), writes intervals as they complete (so a crash
 * loses at most the last second), and builds the result.
 */
import { existsSync, mkdirSync, appendFileSync, writeFileSync, renameSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Connection, Credentials, TlsOptions } from '../cql/connection.js';
import { AlreadyExistsError, CqlError, describeError } from '../cql/errors.js';
import { HlogWriter } from '../metrics/hlog.js';
import { estimatePartitions, type PartitionEstimate } from '../profile/partition-size.js';
import type { PhaseSpec, ResolvedProfile } from '../profile/types.js';
import type { ReplicationStrategy } from '../routing/ring.js';
import { findBottleneck, targetFigures } from '../results/bottleneck.js';
import { PhaseAccumulator, type CompletedSecond, type WorkerInterval } from '../results/phase.js';
import { RESULT_SCHEMA, type LargePartitionRecord, type ClassResult, type IntervalRecord, type NodeResult, type PhaseResult, type RunResult } from '../results/result.js';
import { profileHash } from '../results/profile-hash.js';
import { discoverCluster, keyspaceStrategy, type ClusterFacts } from './cluster.js';
import { ServiceLevelsUnsupported, setupServiceLevels, teardownServiceLevels, type ServiceLevelOutcome } from './service-levels.js';
import type { ClassPlan, CoordinatorToWorker, NodeHealth, PhasePlan, WorkerInit, WorkerToCoordinator } from './messages.js';
import { EngineError, StoppedError } from './errors.js';
import { CROSS_SHARD_METRIC, nodeMetricsUrls, scrapeSum } from './target-metrics.js';
import { SINGLE, segmentLabel, shareOf, type Segment } from '../profile/segment.js';
import { clusterClock, missingSchema, schemaObjects, type ClusterClock } from './segment.js';
import { largePartitionWarnings, readLargePartitions } from './large-partitions.js';
import { MAX_TRACKED_ROWS, planValidation, validationWarnings, type ValidationPlan } from './validate.js';
import { CdcPhase } from './cdc.js';

/** The cap on a worker's young generation, MiB (see spawnWorkers). */
export const WORKER_YOUNG_GENERATION_MB = 8;

const nowAbsMs = (): number => performance.timeOrigin + performance.now();

/** Where the load goes: what the CLI resolved (the profile's hosts, or the emulator it started). */
export interface TargetInfo {
  /** Contact points. */
  hosts: { host: string; port: number }[];
  credentials?: Credentials;
  tls?: TlsOptions;
  /** Extra fact for the result's cluster section (e.g. "built-in emulator …"). */
  label?: string;
  /** The target's own process on this machine (the built-in emulator): its CPU goes into the result. */
  process?: { cpuUsage(): Promise<{ userUs: number; systemUs: number }> };
  /** Prometheus endpoints covering every node (default: each node's :9180/metrics, as Scylla serves them). */
  metricsUrls?: string[];
}

export interface RunOptions {
  profile: ResolvedProfile;
  /**
   * The target, or how to get it (e.g. start the emulator). A function is awaited inside run(),
   * after the stop signal is armed, so Ctrl-C while a target starts still leaves a result.
   */
  target: TargetInfo | (() => Promise<TargetInfo>);
  /** Per class credentials (service-level roles); default: the target's credentials. */
  classCredentials?: Record<string, Credentials | undefined>;
  resultsDir: string;
  runId: string;
  toolVersion: string;
  /** Called once per completed second of a load/warmup/measure phase (the CLI renders it). */
  onProgress?: (p: PhaseProgress) => void;
  /** Sees every phase start, worker report and completed second (e.g. the Prometheus exporter). */
  observer?: RunObserver;
  /**
   * After the profile's phases: asked for one more phase (given every phase so far) until it
   * answers undefined — an adaptive sweep (capacity) runs its steps on the same workers and
   * connections, with no set-up between steps beyond their warmup.
   */
  nextPhase?: (done: readonly PhaseResult[]) => PhaseSpec | undefined;
  signal?: AbortSignal;
  /** Stop when the cluster cannot apply the profile's service levels (default: warn, go on). */
  strict?: boolean;
  /** Drop the service levels and roles the run created, at the end. */
  teardown?: boolean;
  /** `run --segment i/n [--start-at T]`: this loader's share of a run of n loaders (profile/segment.ts). */
  segment?: SegmentRun;
}

export interface SegmentRun {
  segment: Segment;
  /**
   * --start-at, ms since the epoch: the first phase after the load starts at this instant on
   * every loader, each later one PHASE_GAP_MS after the previous one's end. Segment 0 alone runs
   * the schema and the load phases (whole), before it; the others wait for the schema.
   */
  startAtMs?: number;
}

/** Between two timed phases of a run with --start-at: the drain, the result and the next set-up. */
export const PHASE_GAP_MS = 2000;
/** A fixed start is waited for until this long before it; the target's counters are read then. */
const PRE_START_MS = 1500;

/** What an observer of a run is told, as it happens (metrics/prometheus.ts `LoaderExporter` fits). */
export interface RunObserver {
  startPhase(p: { name: string; kind: string; nodes: string[]; nrShards: number; classes: { name: string; rateOpsPerSec?: number }[] }): void;
  update(r: WorkerInterval): void;
  updateSecond(s: CompletedSecond): void;
}

/** A completed second of a phase, and how far the phase is. */
export interface PhaseProgress {
  phase: string;
  /** Seconds of the phase completed. */
  second: number;
  record: IntervalRecord;
  /** Ops completed (or failed) in the phase so far. */
  doneOps: number;
  /** Count-bound phases: ops in all. */
  count?: number;
  durationMs?: number;
}

export interface RunOutcome {
  result: RunResult;
  resultDir: string;
}

/** worker.js next to this file, or the compiled one under dist/ when running from TypeScript sources. */
export function workerScript(): URL {
  const here = new URL('./worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  const src = fileURLToPath(new URL('.', import.meta.url));
  const dist = src.replace(`${path.sep}src${path.sep}`, `${path.sep}dist${path.sep}src${path.sep}`);
  const compiled = path.join(dist, 'worker.js');
  if (!existsSync(compiled)) throw new Error(`compiled worker not found at ${compiled}: run npm run build`);
  return new URL(`file://${compiled}`);
}

export class Coordinator {
  private workers: Worker[] = [];
  /** Set by connect(); read only after it. */
  private facts!: ClusterFacts;
  private control!: Connection;
  private readonly warnings: string[] = [];
  private stopped: string | null = null;
  private resolveStopped!: (reason: string) => void;
  private readonly stoppedPromise = new Promise<string>((r) => { this.resolveStopped = r; });
  private target!: TargetInfo;
  private stopAbsMs: number | undefined;
  private readonly listeners = new Set<(m: WorkerToCoordinator) => void>();
  private readonly resultDir: string;
  private readonly hlogs = new Map<string, HlogWriter>();
  private readonly startAbsMs = nowAbsMs();
  /** What --pin did per worker. */
  private readonly pinning: string[] = [];
  private serviceLevels: ServiceLevelOutcome | undefined;
  /** --validate: the shared row states every worker marks and reads (undefined: nothing validates). */
  private readonly validation: ValidationPlan | undefined;

  constructor(private readonly o: RunOptions) {
    this.resultDir = path.join(o.resultsDir, o.runId);
    this.validation = planValidation(o.profile);
    for (const t of this.validation?.untracked ?? []) {
      this.warnings.push(`--validate: table ${t} has more than ${MAX_TRACKED_ROWS} rows to track: its rows' values are compared, but no read of it can be judged missing`);
    }
  }

  async run(): Promise<RunOutcome> {
    const p = this.o.profile;
    // armed first: a signal at any moment from here on stops the run and still writes a result
    const onAbort = (): void => this.stop('signal');
    this.o.signal?.addEventListener('abort', onAbort);
    if (this.o.signal?.aborted) this.stop('signal');
    mkdirSync(this.resultDir, { recursive: true });
    const phases: PhaseResult[] = [];
    try {
      this.estimatePartitions();
      await this.connect();
      const next = (): PhaseSpec | undefined => {
        const i = phases.length;
        return i < p.phases.length ? p.phases[i] : this.o.nextPhase?.(phases);
      };
      for (let ph = next(); ph && !this.stopped; ph = next()) {
        if (ph.kind === 'schema') {
          phases.push(await this.schemaPhase(ph));
          continue;
        }
        if (this.workers.length === 0) {
          await this.untilStopped(this.applyServiceLevels());
          await this.untilStopped(this.spawnWorkers());
        }
        const r = await this.loadPhase(ph);
        if (!r) break;
        phases.push(r);
      }
      if (!this.stopped && this.facts) await this.untilStopped(this.recordLargePartitions());
    } catch (e) {
      if (!(e instanceof StoppedError)) throw e;
    } finally {
      this.o.signal?.removeEventListener('abort', onAbort);
      if (this.o.teardown && this.serviceLevels && this.control && !this.control.closed) {
        this.warnings.push(...await teardownServiceLevels(this.control, this.serviceLevels.created));
      }
      await this.shutdown();
    }
    this.warnings.push(...validationWarnings(phases));
    const result: RunResult = {
      schema: RESULT_SCHEMA,
      runId: this.o.runId,
      tool: { name: 'scylla-bench', version: this.o.toolVersion },
      startedAt: new Date(this.startAbsMs).toISOString(),
      endedAt: new Date().toISOString(),
      stopped: this.stopped,
      profile: p,
      profileHash: profileHash(p),
      environment: {
        node: process.version, platform: process.platform, arch: process.arch, cpus: os.availableParallelism(),
        cpuModel: os.cpus()[0]?.model ?? 'unknown', workers: p.workers, pinned: p.pin ? this.pinning.join('; ') || 'requested' : false, seed: p.seed,
      },
      partitions: this.partitionEstimates,
      ...(this.largePartitionRecords ? { largePartitionRecords: this.largePartitionRecords } : {}),
      cluster: this.facts ?? UNKNOWN_CLUSTER,
      targetLabel: this.target?.label ?? null,
      serviceLevels: this.serviceLevels && this.serviceLevels.applied
        ? {
          applied: true, levels: this.serviceLevels.levels, attached: this.serviceLevels.attached,
          roles: Object.fromEntries(Object.entries(this.serviceLevels.classCredentials).map(([c, cr]) => [c, cr.username])),
        }
        : this.serviceLevels ? { applied: false, levels: [], attached: [], roles: {} } : null,
      phases,
      warnings: this.warnings,
      ...(this.o.segment ? { segment: {
        index: this.o.segment.segment.index, count: this.o.segment.segment.count, host: os.hostname(),
        startAt: this.o.segment.startAtMs !== undefined ? new Date(this.o.segment.startAtMs).toISOString() : null,
        clock: this.clock ?? { offsetMs: null, rttMs: null, source: 'not measured (the run stopped before its first phase)' },
      } } : {}),
    };
    writeJsonAtomic(path.join(this.resultDir, 'result.json'), result);
    return { result, resultDir: this.resultDir };
  }

  private partitionEstimates: PartitionEstimate[] = [];
  private largePartitionRecords: LargePartitionRecord[] | undefined;

  /** The run's partitions each node recorded in system.large_partitions, with a warning per table. */
  private async recordLargePartitions(): Promise<void> {
    const p = this.o.profile;
    const used = new Set(p.phases.flatMap((ph) => ph.classes.map((c) => c.workload)));
    const tables = [...used].flatMap((name) => {
      const w = p.workloads[name];
      return w ? w.tables.map((t) => ({ keyspace: w.keyspace, table: t.name })) : [];
    });
    if (tables.length === 0) return;
    this.largePartitionRecords = await readLargePartitions({
      nodes: this.facts.nodes, credentials: this.target.credentials, tls: this.target.tls,
      connectTimeoutMs: p.target.connectTimeoutMs, requestTimeoutMs: p.target.requestTimeoutMs, tables,
    });
    this.warnings.push(...largePartitionWarnings(this.largePartitionRecords ?? []));
  }

  /**
   * Partition sizes the workloads will build, before anything runs: over ScyllaDB's 100 MB red
   * line is a warning, with the fix.
   */
  private estimatePartitions(): void {
    const p = this.o.profile;
    const used = new Set(p.phases.flatMap((ph) => ph.classes.map((c) => c.workload)));
    for (const name of used) {
      const w = p.workloads[name];
      if (!w) continue;
      for (const e of estimatePartitions(w, p.seed)) {
        this.partitionEstimates.push(e);
        if (e.overRedLine) {
          this.warnings.push(`workload ${e.workload}, table ${e.table}: partitions up to ~${(e.maxPartitionBytes / 1048576).toFixed(0)} MB (up to ${e.rowsPerPartition.max} rows × ${e.meanRowBytes} B): over ScyllaDB's 100 MB red line — add a bucket (e.g. a time window) to the partition key`);
        }
      }
    }
  }

  /** Resolves the target (starting it if need be) and discovers the cluster through one control connection. */
  private async connect(): Promise<void> {
    const p = this.o.profile;
    if (this.stopped) throw new StoppedError(this.stopped); // never start a target for a run already stopped
    const t = typeof this.o.target === 'function' ? await this.untilStopped(this.o.target()) : this.o.target;
    this.target = t;
    const contact = t.hosts[0];
    const discovery = discoverCluster(contact, {
      credentials: t.credentials, tls: t.tls,
      connectTimeoutMs: p.target.connectTimeoutMs, requestTimeoutMs: p.target.requestTimeoutMs,
    });
    // a discovery that completes after a stop must not leak its connection
    discovery.then((d) => { if (this.stopped && d.control !== this.control) void d.control.close(); }, () => {});
    try {
      const d = await this.untilStopped(discovery);
      this.facts = d.facts;
      this.control = d.control;
    } catch (e) {
      if (e instanceof StoppedError) throw e;
      const why = describeError(e);
      // a timeout the profile set is the user's to change: name the setting
      throw new EngineError(/timeout/i.test(why) ? `${why} (target.connect_timeout ${p.target.connectTimeoutMs} ms)` : why);
    }
    if (!this.facts.scylla && p.routing === 'shard-aware') {
      this.warnings.push(`${contact.host}:${contact.port} is not Scylla (no sharding information): shard-aware routing falls back to token-aware`);
    }
  }

  /** Rejects with StoppedError as soon as the run is stopped; `p` goes on in the background. */
  private untilStopped<T>(p: Promise<T>): Promise<T> {
    if (this.stopped) { p.catch(() => {}); return Promise.reject(new StoppedError(this.stopped)); }
    return Promise.race([p, this.stoppedPromise.then((r) => { throw new StoppedError(r); })]);
  }

  /** Ctrl-C / SIGTERM: stop scheduling, let workers drain ≤ 1 s; the result is still written. */
  stop(reason: string): void {
    if (this.stopped) return;
    this.stopped = reason;
    this.stopAbsMs = nowAbsMs();
    this.resolveStopped(reason);
    this.broadcast({ type: 'stop', reason });
  }

  private broadcast(m: CoordinatorToWorker): void {
    for (const w of this.workers) w.postMessage(m);
  }

  private async schemaPhase(ph: PhaseSpec): Promise<PhaseResult> {
    const t0 = nowAbsMs();
    const workloads = new Set(ph.classes.map((c) => c.workload));
    if (workloads.size === 0) for (const k of Object.keys(this.o.profile.workloads)) workloads.add(k);
    if (this.followsSegment0()) await this.awaitSchema(workloads);
    else for (const name of workloads) {
      const w = this.o.profile.workloads[name];
      for (const cql of w.schema) {
        try {
          await this.untilStopped(this.control.query(cql));
        } catch (e) {
          if (e instanceof AlreadyExistsError) continue;
          if (e instanceof StoppedError) throw e;
          if (e instanceof CqlError) throw new EngineError(`${path.relative(process.cwd(), w.file) || w.file}: the target rejected: ${oneLine(cql)} — ${describeError(e)}`);
          throw e;
        }
      }
    }
    return emptyPhase(ph, t0, nowAbsMs() - t0);
  }

  /** --start-at on a segment other than 0: segment 0 runs the schema (and the load) phases. */
  private followsSegment0(): boolean {
    return this.o.segment?.startAtMs !== undefined && this.o.segment.segment.index !== 0;
  }

  /** Until segment 0's schema is on the cluster (at the latest 60 s past --start-at). */
  private async awaitSchema(workloads: Set<string>): Promise<void> {
    const objects = schemaObjects(this.o.profile, workloads);
    const deadline = this.o.segment!.startAtMs! + 60_000;
    for (;;) {
      const missing = await this.untilStopped(missingSchema(this.control, objects)).catch((e: unknown) => {
        if (e instanceof StoppedError) throw e;
        return [`(system_schema not readable: ${describeError(e)})`];
      });
      if (missing.length === 0) return;
      if (nowAbsMs() > deadline) throw new EngineError(`segment ${segmentLabel(this.o.segment!.segment)}: segment 0 has not created ${missing.join(', ')} 60 s past --start-at`, 'failed');
      await this.untilStopped(new Promise((r) => setTimeout(r, 500)));
    }
  }

  /** The loader's clock against the cluster's (segmented runs), measured before the first phase. */
  private clock: ClusterClock | undefined;

  /**
   * The fixed start of a timed phase under --start-at: --start-at for the first one after the
   * load, then the previous one's end + PHASE_GAP_MS. Undefined: start when ready.
   */
  private fixedStartMs(ph: PhaseSpec): number | undefined {
    const startAt = this.o.segment?.startAtMs;
    if (startAt === undefined || ph.kind === 'schema' || ph.kind === 'load') return undefined;
    let t = startAt;
    for (const x of this.o.profile.phases) {
      if (x === ph) return t;
      if (x.kind === 'warmup' || x.kind === 'measure') t += (x.durationMs ?? 0) + PHASE_GAP_MS;
    }
    return undefined;
  }

  /** Creates the profile's service levels and per-class roles (once, before workers connect). */
  private async applyServiceLevels(): Promise<void> {
    try {
      this.serviceLevels = await setupServiceLevels(this.control, this.o.profile, { strict: this.o.strict ?? false, authenticated: this.control.authenticator !== undefined });
    } catch (e) {
      if (e instanceof ServiceLevelsUnsupported) throw new EngineError(`${this.o.profile.file}: ${e.message}`);
      throw e;
    }
    this.warnings.push(...this.serviceLevels.warnings);
    this.classCredentials = { ...this.serviceLevels.classCredentials, ...this.o.classCredentials };
  }

  private classCredentials: Record<string, Credentials | undefined> = {};

  private async keyspaces(): Promise<Record<string, ReplicationStrategy>> {
    const out: Record<string, ReplicationStrategy> = {};
    for (const w of Object.values(this.o.profile.workloads)) {
      if (out[w.keyspace]) continue;
      try {
        out[w.keyspace] = await keyspaceStrategy(this.control, w.keyspace);
      } catch (e) {
        throw new EngineError(`${w.file}: keyspace ${w.keyspace} is not on the target (${e instanceof Error ? e.message : String(e)}); add a schema phase`);
      }
    }
    return out;
  }

  private async spawnWorkers(): Promise<void> {
    const p = this.o.profile;
    const keyspaces = await this.keyspaces();
    const script = workerScript();
    const credentials: Record<string, Credentials | undefined> = {};
    for (const ph of p.phases) for (const c of ph.classes) credentials[c.name] = this.classCredentials[c.name] ?? this.o.classCredentials?.[c.name] ?? this.target.credentials;
    for (let i = 0; i < p.workers; i++) {
      const init: WorkerInit = {
        workerIndex: i, workers: p.workers, profile: p, facts: this.facts, keyspaces, credentials,
        defaultCredentials: this.target.credentials, tls: this.target.tls,
        connectTimeoutMs: p.target.connectTimeoutMs, requestTimeoutMs: p.target.requestTimeoutMs,
        pinCore: p.pin ? i % os.availableParallelism() : undefined,
        ...(this.validation ? { validation: this.validation } : {}),
      };
      // a worker's young generation grows to 16 MiB a semi-space by default; its per-op garbage is
      // short-lived and small, and capped at 8 MiB (both semi-spaces) no CPU per op difference
      // showed at saturation (bench/engine.ts) while the worker keeps ~10 MiB less resident
      const w = new Worker(script, { workerData: init, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
      w.on('message', (m: WorkerToCoordinator) => {
        if (m.type === 'target-lost') {
          this.stop(`error: every node refused connections for ${(m.downMs / 1000).toFixed(0)} s (${m.hosts.join(', ')}): the target is gone`);
          return;
        }
        for (const l of this.listeners) l(m);
      });
      w.on('error', (e) => { for (const l of this.listeners) l({ type: 'fatal', workerIndex: i, message: e.message }); });
      this.workers.push(w);
    }
  }

  private async shutdown(): Promise<void> {
    this.broadcast({ type: 'shutdown' });
    // a stopped run must end within a second or two: workers still connecting are terminated
    const graceMs = this.stopped ? 1000 : 3000;
    await Promise.all(this.workers.map((w) => new Promise<void>((r) => {
      const t = setTimeout(() => { void w.terminate(); r(); }, graceMs);
      w.once('exit', () => { clearTimeout(t); r(); });
    })));
    this.workers = [];
    await this.control?.close();
  }

  /** Waits for one message per worker matching `pred`; a fatal message rejects. */
  private awaitAll(pred: (m: WorkerToCoordinator) => boolean, onOther?: (m: WorkerToCoordinator) => void): Promise<WorkerToCoordinator[]> {
    return new Promise((resolve, reject) => {
      const got = new Map<number, WorkerToCoordinator>();
      const l = (m: WorkerToCoordinator): void => {
        if (m.type === 'fatal') {
          this.listeners.delete(l);
          reject(new EngineError(`worker ${m.workerIndex}: ${m.message}`));
          return;
        }
        if (pred(m)) {
          got.set(m.workerIndex, m);
          if (got.size === this.workers.length) {
            this.listeners.delete(l);
            resolve([...got.values()]);
          }
        } else onOther?.(m);
      };
      this.listeners.add(l);
    });
  }

  /** Load/warmup/measure phases run so far (their index in messages to workers). */
  private phaseSeq = 0;

  /** Runs one load/warmup/measure phase; undefined when the run was stopped before it began. */
  private async loadPhase(whole: PhaseSpec): Promise<PhaseResult | undefined> {
    const p = this.o.profile;
    // kind: cdc classes run here, on this thread (engine/cdc.ts); the workers run the others
    const cdcClasses = whole.classes.filter((c) => c.kind === 'cdc');
    const ph = cdcClasses.length > 0 ? { ...whole, classes: whole.classes.filter((c) => c.kind !== 'cdc') } : whole;
    this.phaseSeq++;
    const W = this.workers.length;
    if (ph.kind === 'load' && this.followsSegment0()) {
      // on the record, so the phase sequence stays the profile's (merge takes segment 0's)
      return { ...emptyPhase(ph, nowAbsMs(), 0), skipped: `run by segment 0 alone (--start-at)` };
    }
    // --start-at: segment 0 runs the load whole, before the common start
    const seg: Segment = this.o.segment && !(ph.kind === 'load' && this.o.segment.startAtMs !== undefined) ? this.o.segment.segment : SINGLE;
    const planClasses: ClassPlan[] = ph.classes.map((c) => {
      const ops = Object.entries(c.mix).map(([name, weight]) => ({ name, weight }));
      const open = c.rateOpsPerSec !== undefined;
      return {
        name: c.name, workload: c.workload, routing: routingOf(c.routing ?? p.routing, this.facts.scylla), ops,
        loop: open ? 'open' : 'closed',
        intervalMs: open ? 1000 / c.rateOpsPerSec! : undefined,
        concurrency: undefined,
        maxInFlight: Math.max(1, Math.ceil(Math.ceil(c.maxInFlight / seg.count) / W)),
        ...(c.validate ? { validate: true } : {}),
        countLimit: ph.count !== undefined ? Math.ceil(ph.count / ph.classes.length) : undefined,
        counters: new SharedArrayBuffer(8),
        ...(c.viewLag ? { viewLag: c.viewLag } : {}),
      };
    });
    const plans = this.workers.map((_, wi): PhasePlan => ({
      phaseIndex: this.phaseSeq, name: ph.name, kind: ph.kind as PhasePlan['kind'], startAbsMs: 0, endAbsMs: Infinity,
      durationMs: ph.durationMs, segment: seg,
      classes: planClasses.map((cp, ci) => {
        const all = ph.classes[ci].concurrency;
        const total = all === undefined ? undefined : shareOf(all, seg);
        const share = total === undefined ? undefined : Math.floor(total / W) + (wi < total % W ? 1 : 0);
        return { ...cp, concurrency: share };
      }),
    }));
    const ready = this.awaitAll((m) => m.type === 'ready');
    this.workers.forEach((w, i) => w.postMessage({ type: 'phase', plan: plans[i] } satisfies CoordinatorToWorker));
    let readies: WorkerToCoordinator[];
    try {
      readies = await this.untilStopped(ready);
    } catch (e) {
      if (e instanceof StoppedError) return undefined;
      throw e;
    }
    for (const r of readies) {
      if (r.type === 'ready' && r.pinned && r.pinned.startsWith('not pinned') && !this.warnings.some((w) => w.startsWith('--pin'))) {
        this.warnings.push(`--pin: worker ${r.workerIndex} ${r.pinned}`);
      }
      if (r.type === 'ready' && r.pinned) this.pinning[r.workerIndex] = r.pinned;
      if (r.type === 'ready' && r.workerIndex === 0) {
        for (const pool of r.pools) if (pool.natDetected) this.warnings.push(`node ${this.facts.nodes[pool.node]?.host}: shard-aware port answered from the wrong shard (NAT?); fell back to the regular port`);
      }
    }

    let cdc: CdcPhase | undefined;
    if (cdcClasses.length > 0) {
      cdc = new CdcPhase({
        profile: p, classes: cdcClasses, facts: this.facts, control: this.control, keyspaces: await this.keyspaces(),
        credentials: this.target.credentials, tls: this.target.tls, reporterIndex: W, stopped: () => this.stopped !== null,
        emit: (r) => { for (const l of this.listeners) l({ ...r, type: 'interval', phaseIndex: this.phaseSeq }); },
      });
      try {
        await this.untilStopped(cdc.setup());
      } catch (e) {
        await cdc.finish();
        if (e instanceof StoppedError) return undefined;
        throw new EngineError(`phase ${ph.name}: ${describeError(e)}`);
      }
    }

    if (this.o.segment && !this.clock) this.clock = await this.untilStopped(clusterClock(this.control)).catch((e: unknown) => { if (e instanceof StoppedError) throw e; return undefined; });
    const fixedStart = this.fixedStartMs(ph);
    if (fixedStart !== undefined && fixedStart - nowAbsMs() > PRE_START_MS) {
      // the wait for --start-at is here, set up and connected: a stop meanwhile leaves no phase behind
      let timer: NodeJS.Timeout | undefined;
      try {
        await this.untilStopped(new Promise((r) => { timer = setTimeout(r, fixedStart - PRE_START_MS - nowAbsMs()); }));
      } catch (e) {
        if (e instanceof StoppedError) return undefined;
        throw e;
      } finally {
        clearTimeout(timer);
      }
    }
    // the target's counters are read before the start is set: a slow scrape must not eat into
    // the window (every worker would begin with a backlog of late slots)
    const hops0 = await this.targetCrossShardOps();
    const targetCpu0 = await this.targetCpu();
    // A stop during those scrapes already ended the workers' phase (set up, never started: they
    // answered 'phase-done' at once, before anyone listened for it): sending 'go' now would wait
    // for a second 'phase-done' that never comes. The phase did not begin, as when stopped before 'ready'.
    if (this.stopped) return undefined;
    const startAbs = fixedStart ?? nowAbsMs() + 200;
    if (fixedStart !== undefined && fixedStart < nowAbsMs()) {
      this.warnings.push(`phase ${ph.name}: segment ${segmentLabel(seg)} was ready ${((nowAbsMs() - fixedStart) / 1000).toFixed(1)} s after the phase's fixed start (--start-at): its schedule still counts from that start, so the late slots went out at once and their lag is in the response times`);
    }
    const endAbs = ph.durationMs !== undefined ? startAbs + ph.durationMs : Infinity;
    const acc = new PhaseAccumulator({
      phase: ph.name, startAbsMs: startAbs, workers: W + (cdc ? 1 : 0), nodes: this.facts.nodes.length, nrShards: this.facts.nrShards ?? 1,
      classes: [...cdcClasses.map((spec) => ({ spec, routing: routingOf(spec.routing ?? p.routing, this.facts.scylla), serviceLevelTimeoutMs: null })), ...planClasses.map((cp, i) => {
        const whole = ph.classes[i];
        // this loader's result states its own share (the merge states the whole)
        const spec = seg.count === 1 ? whole : {
          ...whole, rateOpsPerSec: whole.rateOpsPerSec === undefined ? undefined : whole.rateOpsPerSec / seg.count,
          concurrency: whole.concurrency === undefined ? undefined : shareOf(whole.concurrency, seg),
        };
        return {
          spec, routing: cp.routing, intervalMs: cp.intervalMs, countLimit: cp.countLimit, segment: seg,
          serviceLevelTimeoutMs: spec.serviceLevel ? p.serviceLevels[spec.serviceLevel]?.timeoutMs ?? null : null,
        };
      })],
    });
    // node health at the phase start: the phase reports what happened during it
    const healthAtStart = new Map([...this.nodeHealth].map(([w, h]) => [w, h.map((x) => ({ ...x }))]));
    const cpu0 = process.cpuUsage();
    let doneOps = 0;
    this.o.observer?.startPhase({
      name: ph.name, kind: ph.kind, nodes: this.facts.nodes.map((n) => `${n.host}:${n.port}`), nrShards: this.facts.nrShards ?? 1,
      classes: ph.classes.map((c) => ({ name: c.name, rateOpsPerSec: c.rateOpsPerSec })),
    });
    const write = (done: CompletedSecond[]): void => {
      for (const second of done) {
        this.o.observer?.updateSecond(second);
        const { record, histograms } = second;
        const t0 = startAbs + record.t * 1000;
        for (const h of histograms) {
          const log = this.hlogFor(h.cls, startAbs);
          h.response.tag = `${ph.name}.${h.op}.response`;
          h.service.tag = `${ph.name}.${h.op}.service`;
          log.interval(h.response.tag, t0, t0 + 1000, h.response);
          log.interval(h.service.tag, t0, t0 + 1000, h.service);
        }
        appendFileSync(path.join(this.resultDir, 'intervals.jsonl'), `${JSON.stringify(record)}\n`);
        for (const c of Object.values(record.classes)) for (const o of Object.values(c.ops)) doneOps += o.count + o.errors;
        this.o.onProgress?.({ phase: ph.name, second: record.t + 1, record, doneOps, count: ph.count, durationMs: ph.durationMs });
      }
    };
    const onInterval = (m: WorkerToCoordinator): void => {
      if (m.type !== 'interval') return;
      this.nodeHealth.set(m.workerIndex, m.nodes);
      this.o.observer?.update(m);
      write(acc.add(m));
    };
    this.listeners.add(onInterval);
    const done = this.awaitAll((m) => m.type === 'phase-done');
    this.broadcast({ type: 'go', startAbsMs: startAbs, endAbsMs: endAbs });
    cdc?.start(startAbs, endAbs);
    try {
      await done;
      // the consumers read on until they caught up with what the writers wrote (bounded)
      await cdc?.drain(nowAbsMs());
    } finally {
      await cdc?.finish();
      this.listeners.delete(onInterval);
    }
    write(acc.flush());
    const wallMs = Math.max(1, nowAbsMs() - startAbs);
    // the window is what the schedule covered: the phase length, cut short by a stop
    const stoppedAtMs = this.stopAbsMs !== undefined && this.stopAbsMs < endAbs ? Math.max(1, this.stopAbsMs - startAbs) : undefined;
    const windowMs = ph.durationMs !== undefined ? Math.min(ph.durationMs, stoppedAtMs ?? ph.durationMs) : (stoppedAtMs ?? wallMs);
    const cpu = process.cpuUsage(cpu0);
    const targetCpu1 = await this.targetCpu();
    const hops1 = hops0 === null ? null : await this.targetCrossShardOps();

    const { classes, warnings } = acc.classResults(windowMs, { countBound: ph.durationMs === undefined, stopped: this.stopped !== null });
    cdc?.annotate(classes, planClasses.map((cp, i) => ({ cls: ph.classes[i], rowsWritten: new Int32Array(cp.counters)[1] })), seg, warnings, ph.name);
    this.warnings.push(...warnings);
    const totalOps = Object.values(classes).reduce((a, c) => a + Object.values(c.ops).reduce((x, o) => x + o.count + o.errors, 0), 0);
    const cores = os.availableParallelism();
    const loaderCpuSec = (cpu.user + cpu.system) / 1e6;
    const target = targetCpu0 !== undefined && targetCpu1 !== undefined ? targetFigures(targetCpu1 - targetCpu0, wallMs, totalOps) : null;
    const loader = {
      ...acc.loaderStats(),
      cpuSec: round4(loaderCpuSec), cpuFraction: loaderCpuSec * 1000 / wallMs / cores, cpuUsPerOp: totalOps > 0 ? (cpu.user + cpu.system) / totalOps : 0,
      // the whole loader process (coordinator and every worker thread), at the phase end and its peak so far
      rssMb: Math.round(process.memoryUsage().rss / 1048576), maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    };
    const bottleneck = findBottleneck(loader, target, cores, Object.values(classes));
    const nodes = this.facts.nodes.map((n, i): NodeResult => {
      const sum = { reconnects: 0, connectionsLost: 0, downMs: 0 };
      for (const [w, h] of this.nodeHealth) {
        const now = h[i];
        const was = healthAtStart.get(w)?.[i];
        if (!now) continue;
        sum.reconnects += now.reconnects - (was?.reconnects ?? 0);
        sum.connectionsLost += now.connectionsLost - (was?.connectionsLost ?? 0);
        sum.downMs = Math.max(sum.downMs, now.downMs - (was?.downMs ?? 0));
      }
      return { host: `${n.host}:${n.port}`, requests: classesRequestsOfNode(Object.values(classes), i), ...sum };
    });
    for (const n of nodes) if (n.downMs > 0) this.warnings.push(`phase ${ph.name}: node ${n.host} had no live connection for ${(n.downMs / 1000).toFixed(1)} s (${n.reconnects} reconnects); its replicas' other nodes took its load`);
    if (bottleneck) this.warnings.push(`phase ${ph.name}: ${bottleneck.kind} is the bottleneck: ${bottleneck.evidence}`);
    return {
      name: ph.name, kind: ph.kind, startedAt: new Date(startAbs).toISOString(), durationMs: windowMs, wallMs: Math.round(wallMs), classes,
      intervals: [...acc.intervals], loader, target, bottleneck, nodes,
      // the cluster's own count of requests that crossed shards during the phase (every client, every mode)
      targetCrossShardOps: hops0 !== null && hops1 !== null ? hops1 - hops0 : null,
    };
  }

  /** The class's .hlog writer; its BaseTime is the start of the first phase that wrote to it. */
  private hlogFor(cls: string, startAbs: number): HlogWriter {
    let h = this.hlogs.get(cls);
    if (!h) {
      h = new HlogWriter(path.join(this.resultDir, `${cls}.hlog`), startAbs, `scylla-bench run ${this.o.runId} class ${cls} (values in microseconds)`);
      this.hlogs.set(cls, h);
    }
    return h;
  }

  private metricsUnavailable = false;
  /** The latest cumulative node health each worker reported. */
  private readonly nodeHealth = new Map<number, NodeHealth[]>();

  /** The target's cross-shard counter (all nodes); null when its metrics cannot be read. */
  private async targetCrossShardOps(): Promise<number | null> {
    if (this.metricsUnavailable) return null;
    const urls = this.target.metricsUrls ?? nodeMetricsUrls(this.facts.nodes.map((n) => n.host));
    const v = await scrapeSum(urls, CROSS_SHARD_METRIC);
    // asked once per run: a cluster without reachable metrics costs one timeout, not one per phase
    if (v === null) this.metricsUnavailable = true;
    return v;
  }

  /** The local emulator's CPU so far (µs), when it runs in its own process; undefined otherwise. */
  private async targetCpu(): Promise<number | undefined> {
    const proc = this.target?.process;
    if (!proc) return undefined;
    try {
      const u = await proc.cpuUsage();
      return u.userUs + u.systemUs;
    } catch {
      return undefined; // the emulator is gone: its own exit handler says so
    }
  }
}

/** A phase that ran no classes (schema, or a load another segment ran). */
function emptyPhase(ph: PhaseSpec, startAbs: number, tookMs: number): PhaseResult {
  return { name: ph.name, kind: ph.kind, startedAt: new Date(startAbs).toISOString(), durationMs: tookMs, wallMs: Math.round(tookMs), classes: {}, intervals: [], loader: { eventLoopUtilizationMax: 0, eventLoopUtilizationMean: 0, eventLoopDelayP99MsMax: 0, cpuSec: 0, cpuFraction: 0, cpuUsPerOp: 0, rssMb: 0, maxRssMb: 0 }, target: null, bottleneck: null, targetCrossShardOps: null, nodes: [] };
}

function routingOf(mode: string, scylla: boolean): ClassPlan['routing'] {
  if (mode === 'round-robin') return 'round-robin';
  if (mode === 'driver') return 'driver';
  if (mode === 'token-aware' || !scylla) return 'token-aware';
  return 'shard-aware';
}

const round4 = (x: number): number => Math.round(x * 10000) / 10000;
const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim().slice(0, 160);

function writeJsonAtomic(file: string, data: unknown): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(data, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Map ? Object.fromEntries(v) : v), 2)}\n`);
  renameSync(tmp, file);
}

/** The cluster section of a run stopped before discovery answered. */
const UNKNOWN_CLUSTER: ClusterFacts = {
  clusterName: null, partitioner: null, releaseVersion: null, scylla: false, nrShards: null, ignoreMsb: null,
  shardAwarePort: null, extensions: [], supportedKeys: [], nodes: [],
};

function classesRequestsOfNode(classes: ClassResult[], node: number): number {
  return classes.reduce((a, c) => a + (c.shards.requests[node] ?? []).reduce((x, y) => x + y, 0), 0);
}

