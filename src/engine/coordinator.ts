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
  RESULT_SCHEMA, type ClassResult, type IntervalRecord, type OpResult, type PhaseResult, type RunResult, type SloCheck,
} from '../results/result.js';
import { discoverCluster, keyspaceStrategy, type ClusterFacts } from './cluster.js';
import { ServiceLevelsUnsupported, setupServiceLevels, teardownServiceLevels, type ServiceLevelOutcome } from './service-levels.js';
import type { ClassPlan, CoordinatorToWorker, IntervalReport, PhasePlan, WorkerInit, WorkerToCoordinator } from './messages.js';
import { UserError } from '../cli/exit.js';

const nowAbsMs = (): number => performance.timeOrigin + performance.now();

export interface RunOptions {
  profile: ResolvedProfile;
  /** Contact points; the CLI starts the emulator and passes its address when the profile names none. */
  hosts: { host: string; port: number }[];
  credentials?: Credentials;
  /** Per class credentials (service-level roles); default: `credentials`. */
  classCredentials?: Record<string, Credentials | undefined>;
  tls?: TlsOptions;
  resultsDir: string;
  runId: string;
  toolVersion: string;
  /** Live status line (stderr); called about once a second. */
  onProgress?: (line: string) => void;
  signal?: AbortSignal;
  /** Extra facts merged into the result's cluster section (e.g. "built-in emulator"). */
  targetLabel?: string;
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
}

export class Coordinator {
  private workers: Worker[] = [];
  private facts!: ClusterFacts;
  private control!: Connection;
  private readonly warnings: string[] = [];
  private stopped: string | null = null;
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
    mkdirSync(this.resultDir, { recursive: true });
    const contact = this.o.hosts[0];
    try {
      const d = await discoverCluster(contact, {
        credentials: this.o.credentials, tls: this.o.tls,
        connectTimeoutMs: p.target.connectTimeoutMs, requestTimeoutMs: p.target.requestTimeoutMs,
      });
      this.facts = d.facts;
      this.control = d.control;
    } catch (e) {
      throw new UserError(describeError(e));
    }
    if (!this.facts.scylla && p.routing === 'shard-aware') {
      this.warnings.push(`${contact.host}:${contact.port} is not Scylla (no sharding information): shard-aware routing falls back to token-aware`);
    }
    const phases: PhaseResult[] = [];
    const onAbort = (): void => this.stop('signal');
    this.o.signal?.addEventListener('abort', onAbort);
    try {
      for (const ph of p.phases) {
        if (this.stopped) break;
        if (ph.kind === 'schema') {
          phases.push(await this.schemaPhase(ph));
          continue;
        }
        if (this.workers.length === 0) {
          await this.applyServiceLevels();
          await this.spawnWorkers();
        }
        phases.push(await this.loadPhase(ph));
      }
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
      environment: {
        node: process.version, platform: process.platform, arch: process.arch, cpus: os.availableParallelism(),
        cpuModel: os.cpus()[0]?.model ?? 'unknown', workers: p.workers, pinned: p.pin ? this.pinning.join('; ') || 'requested' : false, seed: p.seed,
      },
      cluster: this.facts,
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

  /** Ctrl-C / SIGTERM: stop scheduling, let workers drain ≤ 1 s; the result is still written. */
  stop(reason: string): void {
    if (this.stopped) return;
    this.stopped = reason;
    this.stopAbsMs = nowAbsMs();
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
          await this.control.query(cql);
        } catch (e) {
          if (e instanceof AlreadyExistsError) continue;
          if (e instanceof CqlError) throw new UserError(`${path.relative(process.cwd(), w.file) || w.file}: the target rejected: ${oneLine(cql)} — ${describeError(e)}`);
          throw e;
        }
      }
    }
    const tookMs = nowAbsMs() - t0;
    return { name: ph.name, kind: 'schema', startedAt: new Date(t0).toISOString(), durationMs: tookMs, wallMs: Math.round(tookMs), classes: {}, intervals: [], loader: { eventLoopUtilizationMax: 0, eventLoopDelayP99MsMax: 0, cpuFraction: 0, cpuUsPerOp: 0 } };
  }

  /** Creates the profile's service levels and per-class roles (once, before workers connect). */
  private async applyServiceLevels(): Promise<void> {
    try {
      this.serviceLevels = await setupServiceLevels(this.control, this.o.profile, { strict: this.o.strict ?? false, authenticated: this.control.authenticator !== undefined });
    } catch (e) {
      if (e instanceof ServiceLevelsUnsupported) throw new UserError(`${this.o.profile.file}: ${e.message}`);
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
        throw new UserError(`${w.file}: keyspace ${w.keyspace} is not on the target (${e instanceof Error ? e.message : String(e)}); add a schema phase`);
      }
    }
    return out;
  }

  private async spawnWorkers(): Promise<void> {
    const p = this.o.profile;
    const keyspaces = await this.keyspaces();
    const script = workerScript();
    const credentials: Record<string, Credentials | undefined> = {};
    for (const ph of p.phases) for (const c of ph.classes) credentials[c.name] = this.classCredentials[c.name] ?? this.o.classCredentials?.[c.name] ?? this.o.credentials;
    for (let i = 0; i < p.workers; i++) {
      const init: WorkerInit = {
        workerIndex: i, workers: p.workers, profile: p, facts: this.facts, keyspaces, credentials,
        defaultCredentials: this.o.credentials, tls: this.o.tls,
        connectTimeoutMs: p.target.connectTimeoutMs, requestTimeoutMs: p.target.requestTimeoutMs,
        pinCore: p.pin ? i % os.availableParallelism() : undefined,
      };
      const w = new Worker(script, { workerData: init });
      w.on('message', (m: WorkerToCoordinator) => { for (const l of this.listeners) l(m); });
      w.on('error', (e) => { for (const l of this.listeners) l({ type: 'fatal', workerIndex: i, message: e.message }); });
      this.workers.push(w);
    }
  }

  private async shutdown(): Promise<void> {
    this.broadcast({ type: 'shutdown' });
    await Promise.all(this.workers.map((w) => new Promise<void>((r) => {
      const t = setTimeout(() => { void w.terminate(); r(); }, 3000);
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
          reject(new UserError(`worker ${m.workerIndex}: ${m.message}`));
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

  private async loadPhase(ph: PhaseSpec): Promise<PhaseResult> {
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
    const readies = await ready;
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
        scheduleLag: newHistogram(), started: 0, sentInWindow: 0, sentAfterWindow: 0, lagWithin1ms: 0, lagWithin10ms: 0,
      });
    }
    const seconds = new Map<number, { reports: number; data: Map<string, { started: number; ops: Map<string, Acc> }> }>();
    const intervals: IntervalRecord[] = [];
    let eluMax = 0;
    let delayMax = 0;
    const startAbs = nowAbsMs() + 200;
    const endAbs = ph.durationMs !== undefined ? startAbs + ph.durationMs : Infinity;
    const cpu0 = process.cpuUsage();
    const hlogFor = (cls: string): HlogWriter => {
      let h = this.hlogs.get(cls);
      if (!h) {
        h = new HlogWriter(path.join(this.resultDir, `${cls}.hlog`), startAbs, `scylla-bench run ${this.o.runId} class ${cls} (values in microseconds)`);
        this.hlogs.set(cls, h);
      }
      return h;
    };
    const flushSecond = (k: number): void => {
      const sec = seconds.get(k);
      if (!sec) return;
      seconds.delete(k);
      const rec: IntervalRecord = { phase: ph.name, t: k, classes: {} };
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
      this.o.onProgress?.(progressLine(ph.name, k + 1, rec));
    };

    const onInterval = (m: WorkerToCoordinator): void => {
      if (m.type !== 'interval') return;
      const r = m as IntervalReport;
      eluMax = Math.max(eluMax, r.loader.eventLoopUtilization);
      delayMax = Math.max(delayMax, r.loader.eventLoopDelayP99Ms);
      const k = Math.max(0, Math.floor((r.startAbsMs - startAbs) / 1000 + 0.001));
      let sec = seconds.get(k);
      if (!sec) { sec = { reports: 0, data: new Map() }; seconds.set(k, sec); }
      sec.reports++;
      for (const [cls, ci] of Object.entries(r.classes)) {
        const acc = accs.get(cls);
        if (!acc) continue;
        acc.started += ci.started;
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

    const classes: Record<string, ClassResult> = {};
    let totalOps = 0;
    for (const [name, acc] of accs) {
      const cr = this.classResult(acc, measuredMs, ph, planClasses.find((x) => x.name === name)!);
      classes[name] = cr;
      totalOps += Object.values(cr.ops).reduce((x, o) => x + o.count + o.errors, 0);
    }
    const cpuFraction = (cpu.user + cpu.system) / 1000 / wallMs / os.availableParallelism();
    if (cpuFraction > 0.9) this.warnings.push(`phase ${ph.name}: the loader used ${(cpuFraction * 100).toFixed(0)}% of the machine's CPU; latencies may include loader queueing`);
    return {
      name: ph.name, kind: ph.kind, startedAt: new Date(startAbs).toISOString(), durationMs: measuredMs, wallMs: Math.round(wallMs), classes, intervals,
      loader: { eventLoopUtilizationMax: eluMax, eventLoopDelayP99MsMax: delayMax, cpuFraction, cpuUsPerOp: totalOps > 0 ? (cpu.user + cpu.system) / totalOps : 0 },
    };
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
      shards: { nrShards: S, requests: grid(acc.requests), misrouted: grid(acc.misrouted), misrouteRatio: totalReq > 0 ? round4(totalMis / totalReq) : 0, imbalance: round4(imbalance) },
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
