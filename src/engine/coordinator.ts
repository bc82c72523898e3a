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
import { decode, encode, mergeInto, newHistogram, summarize, type Histogram } from '../metrics/histogram.js';
import { HlogWriter } from '../metrics/hlog.js';
import type { ClassSpec, PhaseSpec, ResolvedProfile } from '../profile/types.js';
import type { ReplicationStrategy } from '../routing/ring.js';
import {
  RESULT_SCHEMA, type Bottleneck, type TargetCpu, type NodeResult, type ClassResult, type IntervalRecord, type OpResult, type PhaseResult, type RunResult, type SloCheck,
} from '../results/result.js';
import { profileHash } from '../results/profile-hash.js';
import { discoverCluster, keyspaceStrategy, type ClusterFacts } from './cluster.js';
import { ServiceLevelsUnsupported, setupServiceLevels, teardownServiceLevels, type ServiceLevelOutcome } from './service-levels.js';
import type { ClassPlan, CoordinatorToWorker, IntervalReport, NodeHealth, PhasePlan, WorkerInit, WorkerToCoordinator } from './messages.js';
import { EngineError, StoppedError } from './errors.js';
import { CROSS_SHARD_METRIC, nodeMetricsUrls, scrapeSum } from './target-metrics.js';

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
  /** Live status line (stderr); called about once a second. */
  onProgress?: (line: string) => void;
  signal?: AbortSignal;
  /** Stop when the cluster cannot apply the profile's service levels (default: warn, go on). */
  strict?: boolean;
  /** Drop the service levels and roles the run created, at the end. */
  teardown?: boolean;
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

interface Acc {
  response: Histogram;
  service: Histogram;
  count: number;
  errors: Record<string, number>;
}

interface ClassAcc {
  spec: ClassSpec;
  ops: Map<string, Acc>;
  requests: number[];
  misrouted: number[];
  scheduleLag: Histogram;
  started: number;
  sentInWindow: number;
  sentAfterWindow: number;
  lagWithin1ms: number;
  lagWithin10ms: number;
  fallbacks: number;
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

  constructor(private readonly o: RunOptions) {
    this.resultDir = path.join(o.resultsDir, o.runId);
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
      await this.connect();
      for (const ph of p.phases) {
        if (this.stopped) break;
        if (ph.kind === 'schema') {
          phases.push(await this.schemaPhase(ph));
          continue;
        }
        if (this.workers.length === 0) {
          await this.untilStopped(this.applyServiceLevels());
          await this.untilStopped(this.spawnWorkers());
        }
        const r = await this.loadPhase(ph);
        if (r) phases.push(r);
      }
    } catch (e) {
      if (!(e instanceof StoppedError)) throw e;
    } finally {
      this.o.signal?.removeEventListener('abort', onAbort);
      if (this.o.teardown && this.serviceLevels && this.control && !this.control.closed) {
        this.warnings.push(...await teardownServiceLevels(this.control, this.serviceLevels.created));
      }
      await this.shutdown();
    }
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
    };
    writeJsonAtomic(path.join(this.resultDir, 'result.json'), result);
    return { result, resultDir: this.resultDir };
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
    for (const name of workloads) {
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
    const tookMs = nowAbsMs() - t0;
    return { name: ph.name, kind: 'schema', startedAt: new Date(t0).toISOString(), durationMs: tookMs, wallMs: Math.round(tookMs), classes: {}, intervals: [], loader: { eventLoopUtilizationMax: 0, eventLoopUtilizationMean: 0, eventLoopDelayP99MsMax: 0, cpuSec: 0, cpuFraction: 0, cpuUsPerOp: 0 }, target: null, bottleneck: null, targetCrossShardOps: null, nodes: [] };
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
      };
      const w = new Worker(script, { workerData: init });
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

  /** Runs one load/warmup/measure phase; undefined when the run was stopped before it began. */
  private async loadPhase(ph: PhaseSpec): Promise<PhaseResult | undefined> {
    const p = this.o.profile;
    const W = this.workers.length;
    const planClasses: ClassPlan[] = ph.classes.map((c) => {
      const ops = Object.entries(c.mix).map(([name, weight]) => ({ name, weight }));
      const open = c.rateOpsPerSec !== undefined;
      return {
        name: c.name, workload: c.workload, routing: routingOf(c.routing ?? p.routing, this.facts.scylla), ops,
        loop: open ? 'open' : 'closed',
        intervalMs: open ? 1000 / c.rateOpsPerSec! : undefined,
        concurrency: undefined,
        maxInFlight: Math.max(1, Math.ceil(c.maxInFlight / W)),
        countLimit: ph.count !== undefined ? Math.ceil(ph.count / ph.classes.length) : undefined,
        counters: new SharedArrayBuffer(8),
      };
    });
    const plans = this.workers.map((_, wi): PhasePlan => ({
      phaseIndex: p.phases.indexOf(ph), name: ph.name, kind: ph.kind as PhasePlan['kind'], startAbsMs: 0, endAbsMs: Infinity,
      durationMs: ph.durationMs,
      classes: planClasses.map((cp, ci) => {
        const total = ph.classes[ci].concurrency;
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

    const accs = new Map<string, ClassAcc>();
    for (const c of ph.classes) {
      accs.set(c.name, {
        spec: c, ops: new Map(Object.keys(c.mix).map((op) => [op, { response: newHistogram(), service: newHistogram(), count: 0, errors: {} }])),
        requests: new Array(this.facts.nodes.length * (this.facts.nrShards ?? 1)).fill(0),
        misrouted: new Array(this.facts.nodes.length * (this.facts.nrShards ?? 1)).fill(0),
        scheduleLag: newHistogram(), started: 0, sentInWindow: 0, sentAfterWindow: 0, lagWithin1ms: 0, lagWithin10ms: 0, fallbacks: 0,
      });
    }
    const seconds = new Map<number, { reports: number; nodeRequests: number[]; misrouted: number; data: Map<string, { started: number; ops: Map<string, Acc> }> }>();
    // node health at the phase start: the phase reports what happened during it
    const healthAtStart = new Map([...this.nodeHealth].map(([w, h]) => [w, h.map((x) => ({ ...x }))]));
    const intervals: IntervalRecord[] = [];
    let eluMax = 0;
    let eluSum = 0;
    let eluN = 0;
    let delayMax = 0;
    const startAbs = nowAbsMs() + 200;
    const endAbs = ph.durationMs !== undefined ? startAbs + ph.durationMs : Infinity;
    const hops0 = await this.targetCrossShardOps();
    const targetCpu0 = await this.targetCpu();
    const cpu0 = process.cpuUsage();
    const hlogFor = (cls: string): HlogWriter => {
      let h = this.hlogs.get(cls);
      if (!h) {
        h = new HlogWriter(path.join(this.resultDir, `${cls}.hlog`), startAbs, `scylla-bench run ${this.o.runId} class ${cls} (values in microseconds)`);
        this.hlogs.set(cls, h);
      }
      return h;
    };
    let doneOps = 0;
    const flushSecond = (k: number): void => {
      const sec = seconds.get(k);
      if (!sec) return;
      seconds.delete(k);
      const rec: IntervalRecord = { phase: ph.name, t: k, classes: {}, nodeRequests: sec.nodeRequests, misrouted: sec.misrouted };
      for (const [cls, d] of sec.data) {
        const ops: IntervalRecord['classes'][string]['ops'] = {};
        for (const [op, a] of d.ops) {
          const s = summarize(a.response);
          ops[op] = { count: a.count, errors: Object.values(a.errors).reduce((x, y) => x + y, 0), p50Ms: s.p50Ms, p99Ms: s.p99Ms, maxMs: s.maxMs };
          const h = hlogFor(cls);
          const t0 = startAbs + k * 1000;
          a.response.tag = `${ph.name}.${op}.response`;
          a.service.tag = `${ph.name}.${op}.service`;
          h.interval(a.response.tag, t0, t0 + 1000, a.response);
          h.interval(a.service.tag, t0, t0 + 1000, a.service);
        }
        rec.classes[cls] = { started: d.started, ops };
      }
      intervals.push(rec);
      appendFileSync(path.join(this.resultDir, 'intervals.jsonl'), `${JSON.stringify(rec)}\n`);
      for (const c of Object.values(rec.classes)) for (const o of Object.values(c.ops)) doneOps += o.count + o.errors;
      this.o.onProgress?.(`${progressLine(ph.name, k + 1, rec)}${progressOf(ph, k + 1, doneOps)}`);
    };

    const onInterval = (m: WorkerToCoordinator): void => {
      if (m.type !== 'interval') return;
      const r = m as IntervalReport;
      eluMax = Math.max(eluMax, r.loader.eventLoopUtilization);
      eluSum += r.loader.eventLoopUtilization;
      eluN++;
      delayMax = Math.max(delayMax, r.loader.eventLoopDelayP99Ms);
      const k = Math.max(0, Math.floor((r.startAbsMs - startAbs) / 1000 + 0.001));
      let sec = seconds.get(k);
      if (!sec) { sec = { reports: 0, nodeRequests: new Array(this.facts.nodes.length).fill(0), misrouted: 0, data: new Map() }; seconds.set(k, sec); }
      sec.reports++;
      this.nodeHealth.set(r.workerIndex, r.nodes);
      const S = this.facts.nrShards ?? 1;
      for (const [cls, ci] of Object.entries(r.classes)) {
        const acc = accs.get(cls);
        if (!acc) continue;
        acc.started += ci.started;
        acc.fallbacks += ci.fallbacks;
        ci.requests.forEach((v, i) => { sec!.nodeRequests[Math.floor(i / S)] += v; });
        sec.misrouted += ci.misrouted.reduce((x, y) => x + y, 0);
        acc.sentInWindow += ci.sentInWindow;
        acc.sentAfterWindow += ci.sentAfterWindow;
        acc.lagWithin1ms += ci.lagWithin1ms;
        acc.lagWithin10ms += ci.lagWithin10ms;
        ci.requests.forEach((v, i) => { acc.requests[i] += v; });
        ci.misrouted.forEach((v, i) => { acc.misrouted[i] += v; });
        if (ci.scheduleLag) mergeInto(acc.scheduleLag, decode(ci.scheduleLag));
        let sd = sec.data.get(cls);
        if (!sd) { sd = { started: 0, ops: new Map() }; sec.data.set(cls, sd); }
        sd.started += ci.started;
        for (const [op, oi] of Object.entries(ci.ops)) {
          const resp = decode(oi.response);
          const serv = decode(oi.service);
          const a = acc.ops.get(op)!;
          mergeInto(a.response, resp);
          mergeInto(a.service, serv);
          a.count += oi.count;
          for (const [kind, n] of Object.entries(oi.errors)) a.errors[kind] = (a.errors[kind] ?? 0) + n;
          let so = sd.ops.get(op);
          if (!so) { so = { response: newHistogram(), service: newHistogram(), count: 0, errors: {} }; sd.ops.set(op, so); }
          mergeInto(so.response, resp);
          mergeInto(so.service, serv);
          so.count += oi.count;
          for (const [kind, n] of Object.entries(oi.errors)) so.errors[kind] = (so.errors[kind] ?? 0) + n;
        }
      }
      // a second is complete when every worker reported it; flush it and every older one
      if (sec.reports >= this.workers.length && !r.final) {
        for (const key of [...seconds.keys()].sort((a, b) => a - b)) { if (key <= k) flushSecond(key); }
      }
    };
    this.listeners.add(onInterval);
    const done = this.awaitAll((m) => m.type === 'phase-done');
    this.broadcast({ type: 'go', startAbsMs: startAbs, endAbsMs: endAbs });
    try {
      await done;
    } finally {
      this.listeners.delete(onInterval);
    }
    for (const key of [...seconds.keys()].sort((a, b) => a - b)) flushSecond(key);
    const wallMs = Math.max(1, nowAbsMs() - startAbs);
    // the window is what the schedule covered: the phase length, cut short by a stop
    const stoppedAtMs = this.stopAbsMs !== undefined && this.stopAbsMs < endAbs ? Math.max(1, this.stopAbsMs - startAbs) : undefined;
    const measuredMs = ph.durationMs !== undefined ? Math.min(ph.durationMs, stoppedAtMs ?? ph.durationMs) : (stoppedAtMs ?? wallMs);
    const cpu = process.cpuUsage(cpu0);
    const targetCpu1 = await this.targetCpu();
    const hops1 = hops0 === null ? null : await this.targetCrossShardOps();

    const classes: Record<string, ClassResult> = {};
    let totalOps = 0;
    for (const [name, acc] of accs) {
      const cr = this.classResult(acc, measuredMs, ph, planClasses.find((x) => x.name === name)!);
      classes[name] = cr;
      totalOps += Object.values(cr.ops).reduce((x, o) => x + o.count + o.errors, 0);
    }
    const cores = os.availableParallelism();
    const loaderCpuSec = (cpu.user + cpu.system) / 1e6;
    const cpuFraction = loaderCpuSec * 1000 / wallMs / cores;
    const target = targetCpu0 !== undefined && targetCpu1 !== undefined
      ? targetFigures(targetCpu1 - targetCpu0, wallMs, totalOps)
      : null;
    const loader = {
      eventLoopUtilizationMax: eluMax, eventLoopUtilizationMean: eluN > 0 ? round4(eluSum / eluN) : 0, eventLoopDelayP99MsMax: delayMax,
      cpuSec: round4(loaderCpuSec), cpuFraction, cpuUsPerOp: totalOps > 0 ? (cpu.user + cpu.system) / totalOps : 0,
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
      const requests = classesRequestsOfNode(Object.values(classes), i);
      return { host: `${n.host}:${n.port}`, requests, ...sum };
    });
    for (const n of nodes) if (n.downMs > 0) this.warnings.push(`phase ${ph.name}: node ${n.host} had no live connection for ${(n.downMs / 1000).toFixed(1)} s (${n.reconnects} reconnects); its replicas' other nodes took its load`);
    if (bottleneck) this.warnings.push(`phase ${ph.name}: ${bottleneck.kind} is the bottleneck: ${bottleneck.evidence}`);
    return {
      name: ph.name, kind: ph.kind, startedAt: new Date(startAbs).toISOString(), durationMs: measuredMs, wallMs: Math.round(wallMs), classes, intervals,
      loader, target, bottleneck, nodes,
      // the cluster's own count of requests that crossed shards during the phase (every client, every mode)
      targetCrossShardOps: hops0 !== null && hops1 !== null ? hops1 - hops0 : null,
    };
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

  private classResult(acc: ClassAcc, windowMs: number, ph: PhaseSpec, plan: ClassPlan): ClassResult {
    const c = acc.spec;
    const phase = ph.name;
    const open = c.rateOpsPerSec !== undefined;
    const ops: Record<string, OpResult> = {};
    let completed = 0;
    let errorsTotal = 0;
    for (const [op, a] of acc.ops) {
      const errors = Object.values(a.errors).reduce((x, y) => x + y, 0);
      completed += a.count + errors;
      errorsTotal += errors;
      ops[op] = {
        count: a.count, errors, errorsByKind: a.errors,
        response: { ...summarize(a.response), histogram: encodeOf(a.response) },
        service: { ...summarize(a.service), histogram: encodeOf(a.service) },
      };
    }
    // achieved = ops that actually left inside the window ÷ the window: what the target was offered
    const achieved = Math.round((acc.sentInWindow / (windowMs / 1000)) * 10) / 10;
    const sent = acc.sentInWindow + acc.sentAfterWindow;
    let unsent: number | null = null;
    if (open) {
      // slots k with start + k × interval inside the window, capped by the phase's count
      let due = Math.ceil(windowMs / plan.intervalMs! - 1e-9);
      if (plan.countLimit !== undefined) due = Math.min(due, plan.countLimit);
      if (ph.durationMs === undefined && !this.stopped) due = plan.countLimit ?? sent;
      unsent = Math.max(0, due - sent);
    }
    const S = this.facts.nrShards ?? 1;
    const grid = (xs: number[]): number[][] => this.facts.nodes.map((_, n) => xs.slice(n * S, n * S + S));
    const totalReq = acc.requests.reduce((x, y) => x + y, 0);
    const totalMis = acc.misrouted.reduce((x, y) => x + y, 0);
    const mean = totalReq / Math.max(1, acc.requests.length);
    const imbalance = mean > 0 ? Math.max(...acc.requests) / mean : 0;
    const lag = acc.scheduleLag.totalCount > 0 ? summarize(acc.scheduleLag) : null;
    const lagged = acc.scheduleLag.totalCount;
    const schedule = open && lag ? {
      within1msRatio: round4(acc.lagWithin1ms / lagged), within10msRatio: round4(acc.lagWithin10ms / lagged),
      lagP50Ms: lag.p50Ms, lagP99Ms: lag.p99Ms, lagMaxMs: lag.maxMs,
    } : null;
    const rateShort = open && achieved < c.rateOpsPerSec! * 0.99;
    const lagLong = open && lag !== null && lag.p99Ms > 10;
    const kept = open ? !rateShort && !lagLong : null;
    if (rateShort) {
      this.warnings.push(`phase ${phase}, class ${c.name}: rate not kept: ${achieved} of ${c.rateOpsPerSec} ops/s left inside the window (${unsent ?? 0} scheduled ops unsent)`);
    }
    if (lagLong) this.warnings.push(`phase ${phase}, class ${c.name}: schedule lag p99 ${lag!.p99Ms} ms: the loader started requests late (response times include it)`);
    const checks = sloChecks(c, ops, open ? 'response' : 'service', completed, errorsTotal);
    return {
      workload: c.workload, serviceLevel: c.serviceLevel ?? null,
      serviceLevelTimeoutMs: c.serviceLevel ? this.o.profile.serviceLevels[c.serviceLevel]?.timeoutMs ?? null : null, routing: routingOf(c.routing ?? this.o.profile.routing, this.facts.scylla),
      loop: open ? 'open' : 'closed', latency: open ? 'response' : 'service',
      rate: {
        target: c.rateOpsPerSec ?? null, achieved, kept, windowMs: Math.round(windowMs),
        sent, sentInWindow: acc.sentInWindow, sentAfterWindow: acc.sentAfterWindow, unsent,
      },
      concurrency: c.concurrency ?? null, ops,
      shards: {
        nrShards: S, requests: grid(acc.requests), misrouted: grid(acc.misrouted), fallbacks: acc.fallbacks,
        // the stock driver does not say which connection (shard) it used: the client cannot know
        misrouteRatio: plan.routing === 'driver' ? null : totalReq > 0 ? round4(totalMis / totalReq) : 0,
        imbalance: round4(imbalance),
      },
      scheduleLag: lag,
      schedule,
      slo: { spec: c.slo ?? null, checks, pass: checks.every((x) => x.pass) },
    };
  }
}

function sloChecks(c: ClassSpec, ops: Record<string, OpResult>, latency: 'response' | 'service', completed: number, errors: number): SloCheck[] {
  const out: SloCheck[] = [];
  if (!c.slo) return out;
  for (const [op, o] of Object.entries(ops)) {
    const l = latency === 'response' ? o.response : o.service;
    for (const metric of ['p50Ms', 'p99Ms', 'p999Ms'] as const) {
      const limit = c.slo[metric];
      if (limit !== undefined && o.count > 0) out.push({ op, metric, limit, actual: l[metric], pass: l[metric] <= limit });
    }
  }
  if (c.slo.maxErrorRatio !== undefined) {
    const ratio = completed > 0 ? errors / completed : 0;
    out.push({ op: '*', metric: 'errorRatio', limit: c.slo.maxErrorRatio, actual: round4(ratio), pass: ratio <= c.slo.maxErrorRatio });
  }
  return out;
}

function routingOf(mode: string, scylla: boolean): ClassPlan['routing'] {
  if (mode === 'round-robin') return 'round-robin';
  if (mode === 'driver') return 'driver';
  if (mode === 'token-aware' || !scylla) return 'token-aware';
  return 'shard-aware';
}

function encodeOf(h: Histogram): string {
  return h.totalCount > 0 ? encode(h) : '';
}

const round4 = (x: number): number => Math.round(x * 10000) / 10000;
const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim().slice(0, 160);

/**
 * How far the phase is: a count-bound phase (a bulk load) shows done/total, its mean rate and an
 * ETA from that rate; a timed phase its elapsed/total seconds.
 */
export function progressOf(ph: PhaseSpec, elapsedSec: number, doneOps: number): string {
  if (ph.count !== undefined && ph.count > 0) {
    const rate = doneOps / Math.max(1, elapsedSec);
    const left = Math.max(0, ph.count - doneOps);
    const eta = rate > 0 ? formatSeconds(left / rate) : '?';
    return ` — ${doneOps}/${ph.count} (${((doneOps / ph.count) * 100).toFixed(1)}%), ${rate.toFixed(0)} ops/s, ETA ${eta}`;
  }
  if (ph.durationMs !== undefined) return ` — ${elapsedSec}/${Math.ceil(ph.durationMs / 1000)} s`;
  return '';
}

function formatSeconds(sec: number): string {
  const s = Math.ceil(sec);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function progressLine(phase: string, second: number, rec: IntervalRecord): string {
  const parts = Object.entries(rec.classes).map(([cls, c]) => {
    let count = 0;
    let errors = 0;
    let p50 = 0;
    let p99 = 0;
    for (const o of Object.values(c.ops)) {
      count += o.count;
      errors += o.errors;
      p50 = Math.max(p50, o.p50Ms);
      p99 = Math.max(p99, o.p99Ms);
    }
    return `${cls} ${count} ops/s p50 ${p50.toFixed(2)} p99 ${p99.toFixed(2)} ms${errors ? ` errors ${errors}` : ''}`;
  });
  return `[${phase} ${second}s] ${parts.join(' | ')}`;
}

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

function targetFigures(cpuUs: number, wallMs: number, ops: number): TargetCpu {
  return { cpuSec: round4(cpuUs / 1e6), cpuUsPerOp: ops > 0 ? round4(cpuUs / ops) : 0, coresUsed: round4(cpuUs / 1000 / wallMs) };
}

/**
 * Who limited this phase, from what was measured: a worker whose event loop is busy nearly all
 * the time cannot send more (loader); the emulator runs on one thread, so one core's worth of
 * CPU is its ceiling (target); both together using every core means they starve each other
 * (machine). Only reported when it mattered: a schedule not kept, or a closed loop (whose
 * throughput is always limited by something).
 */
export function findBottleneck(loader: PhaseResult['loader'], target: TargetCpu | null, cores: number, classes: ClassResult[]): Bottleneck | null {
  const behind = classes.some((c) => c.rate.kept === false);
  const closed = classes.some((c) => c.loop === 'closed');
  if (!behind && !closed) return null;
  const elu = loader.eventLoopUtilizationMean;
  const loaderCores = loader.cpuFraction * cores;
  if (target && target.coresUsed >= 0.9) {
    return { kind: 'target', evidence: `the built-in emulator used ${(target.coresUsed * 100).toFixed(0)}% of its one core (${target.cpuUsPerOp.toFixed(1)} µs CPU per op)` };
  }
  if (elu >= 0.9) {
    return { kind: 'loader', evidence: `worker event loops were busy ${(elu * 100).toFixed(0)}% of the time (${loader.cpuUsPerOp.toFixed(1)} µs loader CPU per op)` };
  }
  if (target && loaderCores + target.coresUsed >= 0.9 * cores) {
    return { kind: 'machine', evidence: `loader ${loaderCores.toFixed(2)} + emulator ${target.coresUsed.toFixed(2)} cores of ${cores}: they compete for CPU` };
  }
  if (behind) {
    return { kind: target ? 'machine' : 'target', evidence: target
      ? `neither process saturated its CPU (loader ${loaderCores.toFixed(2)}, emulator ${target.coresUsed.toFixed(2)} cores): scheduling delays on a busy machine`
      : `the loader had CPU to spare (event loops ${(elu * 100).toFixed(0)}% busy): the cluster did not keep up` };
  }
  return null;
}
