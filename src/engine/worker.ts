/**
 * A load worker (one per core, in a worker thread). It owns its connections — a pool per
 * (class, node), because each class logs in as its own role (its service level) — prepares the
 * operations, runs each phase's schedule, and ships encoded interval histograms every second.
 *
 * Open loop: every worker draws slots from ONE schedule shared through a SharedArrayBuffer
 * (Atomics.add); slot k is due at start + k × interval, so the total rate is exact even when a
 * worker lags, and latency is measured from the intended start (coordinated-omission-correct).
 * Closed loop: N chains per worker, each sending the next op when its previous one completes.
 *
 * With `run --segment i/n` the counters are this loader's: its j-th slot, ticket or write block
 * is the global one j·n + i (profile/segment.ts), so n loaders together run the single schedule.
 */
import { spawnSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { Reader } from '../cql/buffer.js';
import type { Connection, PreparedStatement } from '../cql/connection.js';
import { Consistency, parseConsistency } from '../cql/consistency.js';
import { AuthenticationError, CqlError, NoHostAvailableError, describeError } from '../cql/errors.js';
import { FrameFlag, type Frame } from '../cql/frame.js';
import { readResponseExtras, readResult, type RowsResult } from '../cql/messages.js';
import { LatencyRecorder } from '../metrics/histogram.js';
import { NodePool, allDownForMs } from '../routing/pool.js';
import { Router, type KeyspaceRouting } from '../routing/router.js';
import { TabletCache, TABLETS_PAYLOAD_KEY, parseTabletPayload } from '../routing/tablets.js';
import { bindOperation, type BoundOp, type GeneratorFactory } from './bind.js';
import { VIEW_LAG_OP, ViewLagProbe, type ViewLagSample } from './view-lag.js';
import type { DriverSession } from './driver-session.js';
import { ringOf } from './cluster.js';
import type { ClassInterval, ClassPlan, CoordinatorToWorker, NodeHealth, PhasePlan, WorkerInit, WorkerToCoordinator } from './messages.js';
import { compileGenerator, generatorName } from '../profile/generators.js';
import { WorkerValidation, type ReadValidator, type ValidationCounts, type WriteTracker } from './validate.js';
import { compileKeying, type Keying, type RowRef } from '../profile/keying.js';
import { blockRowsOf, globalCycle, globalSlot } from '../profile/segment.js';
import type { TableModel, WorkloadSpec } from '../profile/types.js';

const nowAbsMs = (): number => performance.timeOrigin + performance.now();

/** With every node down, a request chain waits this long before its next attempt. */
const NO_HOST_RETRY_MS = 50;
/** Every node refusing connections this long: the target is gone, the run stops. */
const TARGET_LOST_MS = 10_000;

/** Small fast PRNG for op picks (not for values: those are pure functions of the cycle). */
function xorshift(seed: number): () => number {
  let s = (seed | 0) || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

interface OpStats {
  /** In a closed loop, `service` itself. */
  response: LatencyRecorder;
  service: LatencyRecorder;
  count: number;
  errors: Record<string, number>;
  /** Rows the replies carried (reads and scans: the first page). */
  rows: number;
  /** --validate: rows checked against the generators, mismatches, missing rows. */
  validation?: ValidationCounts;
}

/** --validate: what an op's replies are checked against, and what its acknowledgements mark. */
interface OpChecks {
  write?: WriteTracker;
  read?: ReadValidator;
}

interface ClassState {
  plan: ClassPlan;
  router: Router;
  keyspace: KeyspaceRouting;
  ops: BoundOp[];
  cumWeights: number[];
  tables: Map<string, TableModel>;
  stats: Map<string, OpStats>;
  requests: number[];
  misrouted: number[];
  scheduleLag: LatencyRecorder;
  started: number;
  /** Ops handed to a connection before the phase end / at or after it (count-bound phases: all "in"). */
  sentInWindow: number;
  sentAfterWindow: number;
  /** Open loop: ops sent within 1 ms / 10 ms of their intended start. */
  lagWithin1ms: number;
  lagWithin10ms: number;
  counters: Int32Array;
  /** Write cycles interleave across segments in blocks of this many rows (a multiple of every batch size). */
  blockRows: number;
  inFlight: number;
  rnd: () => number;
  replicaPick: number;
  done: boolean;
  /** Open loop: a slot taken from the schedule whose intended start is still ahead. */
  pendingSlot?: number;
  /** routing 'driver': the stock cassandra-driver sends instead of our pools. */
  driver?: DriverSession;
  /** A pump timer is pending (at most one per class). */
  timerArmed?: boolean;
  /** Bound once: what a completion calls to keep the loop going. */
  resume: () => void;
  /** router.stats.fallbacks already shipped in an interval report. */
  fallbacksReported: number;
  /** `view_lag:` follows a sample of the writes into their views (view-lag.ts). */
  viewLag?: ViewLagProbe;
}

class LoadWorker {
  private readonly init: WorkerInit;
  private readonly pools = new Map<string, NodePool[]>();
  private readonly drivers = new Map<string, DriverSession>();
  private readonly keyings = new Map<BoundOp, Keying | null>();
  private readonly rowRef: RowRef = { partition: 0, row: 0, rows: 1 };
  /** --validate only (undefined otherwise: the request path then never looks further). */
  private readonly validation: WorkerValidation | undefined;
  private readonly opChecks = new Map<BoundOp, OpChecks>();
  private readonly halves = { hi: 0, lo: 0 };

  private keyingOf(cs: ClassState, op: BoundOp): Keying | null {
    let k = this.keyings.get(op);
    if (k === undefined) {
      const table = cs.tables.get(op.baseTable);
      k = table ? compileKeying(table, this.init.profile.seed, op.rows) : null;
      this.keyings.set(op, k);
    }
    return k;
  }
  private readonly prepared = new Map<string, PreparedStatement>();
  private readonly tabletCache = new TabletCache();
  private readonly nrShards: number;
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 10 });
  private elu = performance.eventLoopUtilization();
  private classes: ClassState[] = [];
  private phase: PhasePlan | undefined;
  private intervalStart = 0;
  private intervalTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private drainTimer: NodeJS.Timeout | undefined;

  /** The outcome of --pin, reported with 'ready'. */
  readonly pinned: string | undefined;

  constructor(init: WorkerInit) {
    this.init = init;
    this.nrShards = init.facts.nrShards ?? 1;
    this.validation = init.validation ? new WorkerValidation(init.validation, init.profile.seed) : undefined;
    if (init.pinCore !== undefined) this.pinned = pinThisThread(init.pinCore);
  }

  private post(m: WorkerToCoordinator): void {
    parentPort!.postMessage(m);
  }

  /**
   * One pool per (login, node): classes sharing a login share connections. A pool never gives up
   * on its node: a node down at start, or lost later, is retried with backoff and rejoins; the
   * router skips it meanwhile (its replicas' other nodes take the load).
   */
  private async poolsFor(className: string): Promise<NodePool[]> {
    const creds = this.init.credentials[className] ?? this.init.defaultCredentials;
    const key = creds?.username ?? '';
    let pools = this.pools.get(key);
    if (pools) return pools;
    const facts = this.init.facts;
    pools = facts.nodes.map((n) => NodePool.create({
      host: n.host,
      port: n.port,
      connection: {
        credentials: creds,
        tls: this.init.tls,
        connectTimeoutMs: this.init.connectTimeoutMs,
        requestTimeoutMs: this.init.requestTimeoutMs,
        maxInFlight: 2048,
      },
    }));
    await Promise.all(pools.map((p) => p.ready));
    // refused credentials will not heal with retries: name the node and stop
    const refused = pools.find((p) => p.lastError instanceof AuthenticationError);
    if (refused || pools.every((p) => p.state !== 'up')) {
      await Promise.all(pools.map((p) => p.close()));
      const failures = (refused ? [refused] : pools).map((p) => `${p.host}:${p.options.port}: ${p.lastError ? describeError(p.lastError) : 'no connection'}`);
      throw new Error(`could not connect${refused ? '' : ' to any node'} as ${key || 'anonymous'} (target.connect_timeout ${this.init.connectTimeoutMs} ms): ${failures.join('; ')}`);
    }
    this.pools.set(key, pools);
    return pools;
  }

  /**
   * Scylla keeps prepared statements per shard: prepare on every live connection up front so the
   * first measured requests do not pay an Unprepared round trip (a pool prepares them again on
   * the connections it opens later).
   */
  private async prepareEverywhere(pools: NodePool[], cql: string): Promise<PreparedStatement> {
    let stmt = this.prepared.get(cql);
    for (const p of pools) {
      if (p.state !== 'up') continue;
      const s = await p.prepare(cql);
      stmt ??= s;
    }
    if (!stmt) throw new Error(`no live connection to prepare ${cql}`);
    this.prepared.set(cql, stmt);
    return stmt;
  }

  private generators(w: WorkloadSpec): GeneratorFactory {
    const seed = this.init.profile.seed;
    const cache = new Map<string, (i: number, t: number) => unknown>();
    return (table, column) => {
      const key = `${table}.${column}`;
      let g = cache.get(key);
      if (g) return g;
      const col = w.columns.find((c) => c.table === table && c.column === column);
      if (!col) throw new Error(`workload ${w.name}: no generator for column ${key}`);
      // a view's column draws from its base column's generator, so view reads find base writes
      const f = compileGenerator(col.gen, col.type, seed, generatorName(col)) as (i: number | bigint, nowMs?: number) => unknown;
      g = col.gen.kind === 'now' ? (_i, t) => new Date(t) : (i) => f(i);
      cache.set(key, g);
      return g;
    };
  }

  async setupPhase(plan: PhasePlan): Promise<void> {
    const init = this.init;
    const ring = ringOf(init.facts);
    const states: ClassState[] = [];
    for (const cp of plan.classes) {
      const pools = await this.poolsFor(cp.name);
      const w = init.profile.workloads[cp.workload];
      const strategy = init.keyspaces[w.keyspace];
      const ks = Router.keyspace(strategy ?? { kind: 'simple', replicationFactor: 1 }, true);
      const localDc = init.profile.target.datacenter ?? init.facts.nodes[0]?.datacenter;
      const router = new Router(cp.routing === 'driver' ? 'token-aware' : cp.routing, pools, ring, init.facts.nodes.map((n) => n.hostId ?? undefined),
        this.tabletCache, init.facts.nodes.map((n) => n.datacenter), localDc);
      let driver: DriverSession | undefined;
      if (cp.routing === 'driver') {
        driver = this.drivers.get(cp.name);
        if (!driver) {
          // the stock driver is loaded only by the runs that use it (it costs ~0.1 s per worker to load)
          const { DriverSession } = await import('./driver-session.js');
          driver = new DriverSession(init.facts, init.credentials[cp.name] ?? init.defaultCredentials, init.tls, init.requestTimeoutMs);
          await driver.connect();
          this.drivers.set(cp.name, driver);
        }
      }
      const gens = this.generators(w);
      const ops: BoundOp[] = [];
      const cum: number[] = [];
      let total = 0;
      for (const o of cp.ops) {
        const spec = w.operations[o.name];
        const stmt = await this.prepareEverywhere(pools, spec.cql);
        const t = w.tables.find((x) => x.name === (spec.table ?? stmt.bindColumns[0]?.table ?? stmt.resultColumns[0]?.table));
        ops.push(bindOperation(spec, stmt, { partition: t?.partitionKey ?? [], clustering: t?.clusteringKey ?? [] }, gens, !init.facts.scylla));
        total += o.weight;
        cum.push(total);
      }
      const stats = new Map<string, OpStats>();
      for (const o of cp.ops) {
        // a closed loop sends an op at its intended start (chain), so its response time is its
        // service time: one recorder holds both, recorded and encoded once
        const service = new LatencyRecorder();
        stats.set(o.name, { response: cp.loop === 'open' ? new LatencyRecorder() : service, service, count: 0, errors: {}, rows: 0 });
      }
      if (this.validation) this.bindChecks(this.validation, cp, w, ops, stats, gens);
      states.push({
        plan: cp, router, keyspace: ks, ops, cumWeights: cum.map((c) => c / total),
        tables: new Map(w.tables.map((t) => [t.name, t])), stats,
        requests: new Array(init.facts.nodes.length * this.nrShards).fill(0),
        misrouted: new Array(init.facts.nodes.length * this.nrShards).fill(0),
        scheduleLag: new LatencyRecorder(), started: 0, sentInWindow: 0, sentAfterWindow: 0, lagWithin1ms: 0, lagWithin10ms: 0,
        counters: new Int32Array(cp.counters), inFlight: 0,
        blockRows: blockRowsOf(ops.filter((o) => o.spec.kind === 'write').map((o) => o.rows)),
        // loaders of other segments draw other picks (segment 0 keeps the lone loader's stream)
        rnd: xorshift(init.profile.seed * 7919 + init.workerIndex * 104729 + plan.segment.index * 15485863 + states.length),
        replicaPick: init.workerIndex, done: false, driver, resume: () => {}, fallbacksReported: 0,
      });
      const cs = states[states.length - 1];
      cs.resume = cp.loop === 'open' ? () => this.pump(cs) : () => this.chain(cs);
      if (cp.viewLag) {
        cs.viewLag = await ViewLagProbe.create(cp.viewLag, ops, w, (cql) => this.prepareEverywhere(pools, cql), router, ks,
          init.profile.seed * 31 + init.workerIndex * 7907 + plan.segment.index * 65537 + states.length);
      }
    }
    // Build keyings and generator pools now, before 'ready': first-use costs must not land
    // inside the timed window as a stall at its start.
    for (const cs of states) {
      for (const op of cs.ops) {
        const k = this.keyingOf(cs, op);
        if (op.spec.kind === 'scan') op.scanValues(0);
        else op.values(k ? k.read(0, undefined, this.rowRef) : { partition: 0, row: 0, rows: 1 }, 0, nowAbsMs());
      }
    }
    this.classes = states;
    this.phase = plan;
    this.stopping = false;
  }

  /** --validate: the trackers of write ops (every class) and validators of a validating class's reads. */
  private bindChecks(v: WorkerValidation, cp: ClassPlan, w: WorkloadSpec, ops: BoundOp[], stats: Map<string, OpStats>, gens: GeneratorFactory): void {
    for (const op of ops) {
      const t = w.tables.find((x) => x.name === op.baseTable);
      if (!t || op.spec.kind === 'scan') continue;
      const checks: OpChecks = {};
      if (op.spec.kind === 'write') checks.write = v.writer(w, t, op.spec);
      else if (cp.validate) {
        // view reads are not validated (their rows are not addressed by (partition, row)): no figures
        checks.read = v.reader(w, t, op.spec, op.stmt, gens);
        if (checks.read) stats.get(op.spec.name)!.validation = { checked: 0, mismatch: 0, missing: 0 };
      }
      if (checks.write || checks.read) this.opChecks.set(op, checks);
      else this.opChecks.delete(op);
    }
  }

  runPhase(): void {
    const plan = this.phase!;
    // with --start-at the start can be minutes away: a stop meanwhile cancels it
    const wait = Math.max(0, plan.startAbsMs - nowAbsMs());
    this.startTimer = setTimeout(() => {
      this.startTimer = undefined;
      this.intervalStart = plan.startAbsMs;
      this.elu = performance.eventLoopUtilization();
      this.loopDelay.reset();
      this.loopDelay.enable();
      this.scheduleInterval();
      for (const cs of this.classes) {
        if (cs.plan.loop === 'open') this.pump(cs);
        else for (let i = 0; i < (cs.plan.concurrency ?? 0); i++) this.chain(cs);
      }
    }, wait);
  }

  private scheduleInterval(): void {
    const next = this.intervalStart + 1000;
    this.intervalTimer = setTimeout(() => {
      this.report(false, next);
      this.scheduleInterval();
    }, Math.max(0, next - nowAbsMs()));
  }

  private pickOp(cs: ClassState): BoundOp {
    const r = cs.rnd();
    const cw = cs.cumWeights;
    for (let i = 0; i < cw.length; i++) if (r < cw[i]) return cs.ops[i];
    return cs.ops[cs.ops.length - 1];
  }

  /**
   * Open loop: take due slots from the global schedule; sleep until the next one.
   *
   * Sleeping uses timers only (libuv: 1 ms granularity). Polling with setImmediate would be
   * more punctual but burns a core per worker, starving the target on small machines. The
   * lateness is measured (schedule lag) and is part of the response time, which counts from
   * the intended start: honest, never hidden.
   *
   * The phase ends at its end: once the clock passes it, no slot is sent any more, however late
   * the schedule is. The slots left behind are the coordinator's `unsent` (due − sent), never
   * sent after the window where they would inflate the "achieved" rate.
   */
  private pump(cs: ClassState): void {
    const plan = this.phase!;
    const interval = cs.plan.intervalMs!;
    let now = nowAbsMs();
    let issued = 0;
    for (;;) {
      if (this.stopping || cs.done) return;
      if (now >= plan.endAbsMs) { this.classDone(cs); return; }
      if (cs.inFlight >= cs.plan.maxInFlight) return; // resumed by a completion
      const slot = cs.pendingSlot ?? globalSlot(Atomics.add(cs.counters, 0, 1), plan.segment);
      const intended = plan.startAbsMs + slot * interval;
      if ((cs.plan.countLimit !== undefined && slot >= cs.plan.countLimit) || intended >= plan.endAbsMs) {
        // no slot of this schedule is left inside the window
        this.classDone(cs);
        return;
      }
      if (intended > now) {
        cs.pendingSlot = slot;
        if (!cs.timerArmed) {
          cs.timerArmed = true;
          // never wake after the end: a slot beyond it must not hold the phase open
          const wakeMs = Math.min(intended, plan.endAbsMs) - now;
          setTimeout(() => { cs.timerArmed = false; this.pump(cs); }, Math.max(1, Math.ceil(wakeMs)));
        }
        return;
      }
      cs.pendingSlot = undefined;
      const lagMs = now - intended;
      cs.scheduleLag.recordNs(lagMs * 1e6);
      if (lagMs <= 1) cs.lagWithin1ms++;
      if (lagMs <= 10) cs.lagWithin10ms++;
      this.issue(cs, intended, slot, cs.resume, now);
      if (++issued >= 1024) { setImmediate(cs.resume); return; }
      // encoding a burst of late slots takes time: keep the send clock honest
      if ((issued & 31) === 0) now = nowAbsMs();
    }
  }

  /** A class has nothing more to send in this phase; the phase ends at its end, not before. */
  private classDone(cs: ClassState): void {
    cs.done = true;
    cs.pendingSlot = undefined;
    this.maybePhaseDone();
  }

  /** Closed loop: one chain; with a count limit, tickets come from the shared counter. */
  private chain(cs: ClassState): void {
    const plan = this.phase!;
    if (this.stopping || cs.done) { this.maybePhaseDone(); return; }
    const now = nowAbsMs();
    if (now >= plan.endAbsMs) { this.classDone(cs); return; }
    const ticket = globalSlot(Atomics.add(cs.counters, 0, 1), plan.segment);
    if (cs.plan.countLimit !== undefined && ticket >= cs.plan.countLimit) { this.classDone(cs); return; }
    // intended start = send time: the op's response recorder is its service recorder (see init)
    this.issue(cs, now, ticket, cs.resume, now);
  }

  private issue(cs: ClassState, intendedAbsMs: number, ticket: number, next: () => void, sendAbs: number): void {
    const op = this.pickOp(cs);
    let values: unknown[];
    let route;
    try {
      if (op.spec.kind === 'scan') {
        const s = op.scanValues(ticket);
        values = s.values;
        const h = { hi: Number(BigInt.asUintN(64, s.routeToken) >> 32n), lo: Number(BigInt.asUintN(64, s.routeToken) & 0xffffffffn) };
        route = cs.router.routeHalves(h.hi, h.lo, cs.keyspace, cs.replicaPick++, op.table);
      } else {
        const keying = this.keyingOf(cs, op);
        let addr: RowRef;
        if (op.spec.kind === 'write') {
          // cycles count rows (a batch advances by its size), shared by all workers and
          // interleaved across segments by whole blocks: no row is written twice
          const cycle = globalCycle(Atomics.add(cs.counters, 1, op.rows), cs.blockRows, this.phase!.segment);
          addr = keying ? keying.write(cycle, this.rowRef) : { partition: cycle, row: 0, rows: 1 };
        } else {
          const cycle = Math.floor(cs.rnd() * 2147483647);
          addr = keying ? keying.read(cycle, undefined, this.rowRef, op.spec.select) : { partition: ticket, row: 0, rows: 1 };
        }
        if (op.rows > 1) {
          // a batch of up to `rows` rows of one partition (the last chunk of a partition may be short)
          const stmts = [];
          for (let r = 0; r < Math.max(1, addr.rows); r++) stmts.push(op.values(addr, r, intendedAbsMs));
          values = stmts[0];
          route = op.tokenOf(values, this.halves) ? cs.router.routeHalves(this.halves.hi, this.halves.lo, cs.keyspace, cs.replicaPick++, op.table) : cs.router.routeAny();
          this.sendBatch(cs, op, stmts, route, intendedAbsMs, next, sendAbs, op.spec.kind === 'write' ? cs.viewLag?.pick(op, op.queryOptions) : undefined, addr.partition, addr.row, Math.max(1, addr.rows));
          return;
        }
        values = op.values(addr, 0, intendedAbsMs);
        route = op.tokenOf(values, this.halves) ? cs.router.routeHalves(this.halves.hi, this.halves.lo, cs.keyspace, cs.replicaPick++, op.table) : cs.router.routeAny();
        if (this.validation && !cs.driver) {
          const checks = this.opChecks.get(op);
          if (checks) { this.sendChecked(cs, op, values, route, intendedAbsMs, next, sendAbs, checks, addr.partition, addr.row); return; }
        }
      }
    } catch (e) {
      this.recordError(cs, op.spec.name, e);
      // no node up: the next attempt waits a little (a closed loop would otherwise spin on errors)
      if (e instanceof NoHostAvailableError) setTimeout(next, NO_HOST_RETRY_MS);
      else setImmediate(next);
      return;
    }
    this.countSend(cs, sendAbs);
    if (cs.driver) {
      // the driver picks the node itself; count where it went, at the token's owner shard
      const owner = route.ownerShard;
      cs.driver.execute(op.spec.cql, values, consistencyOf(op.spec.consistency), (err, node) => {
        if (node >= 0) cs.requests[node * this.nrShards + Math.max(0, owner)]++;
        this.complete(cs, op, err, null, intendedAbsMs, sendAbs);
        next();
      });
      return;
    }
    const idx = this.countRoute(cs, route);
    const formulaMisroute = route.ownerShard >= 0 && route.connShard >= 0 && route.ownerShard !== route.connShard;
    const sample = op.spec.kind === 'write' ? cs.viewLag?.pick(op, op.queryOptions) : undefined;
    const opts = sample ? sample.options : op.queryOptions;
    route.conn.executeFast(op.stmt, values, opts, (err, frame) => {
      if (sample && !err) cs.viewLag!.acked(sample, values);
      if (frame && (frame.flags & FrameFlag.CUSTOM_PAYLOAD) !== 0 && this.learnTablet(frame, op.table)) {
        // Scylla attaches the tablet only when this (node, shard) is not a replica: the server's
        // own word that the request was misrouted, whatever our formula guessed
        if (!formulaMisroute) cs.misrouted[idx]++;
      }
      // reads count the rows they got back (the header says; no value is decoded)
      if (!err && frame && op.spec.kind !== 'write') cs.stats.get(op.spec.name)!.rows += rowsIn(frame);
      this.complete(cs, op, err, null, intendedAbsMs, sendAbs);
      next();
    });
  }

  private sendBatch(cs: ClassState, op: BoundOp, rows: unknown[][], route: ReturnType<Router['routeAny']>, intendedAbsMs: number, next: () => void, sendAbs: number, sample: ViewLagSample | undefined, p: number, r: number, n: number): void {
    this.countRoute(cs, route);
    this.countSend(cs, sendAbs);
    const tracker = this.validation ? this.opChecks.get(op)?.write : undefined;
    route.conn.batch(rows.map((v) => ({ statement: op.stmt, values: v })), {
      type: op.spec.batchType === 'logged' ? 0 : 1, consistency: consistencyOf(op.spec.consistency),
      ...(sample ? { timestampUs: sample.timestampUs } : {}),
    }).then(
      () => { if (sample) cs.viewLag!.acked(sample, rows[rows.length - 1]); tracker?.acked(p, r, n); this.complete(cs, op, null, null, intendedAbsMs, sendAbs); next(); },
      (e: unknown) => { tracker?.failed(p, r, n); this.complete(cs, op, e instanceof CqlError ? e : null, null, intendedAbsMs, sendAbs, e); next(); },
    );
  }

  /**
   * --validate: a single-row op whose acknowledgement marks its row, or whose reply is checked
   * against the generators (the row's state is taken now, as the read leaves).
   */
  private sendChecked(cs: ClassState, op: BoundOp, values: unknown[], route: ReturnType<Router['routeAny']>, intendedAbsMs: number, next: () => void, sendAbs: number, checks: OpChecks, p: number, r: number): void {
    this.countSend(cs, sendAbs);
    const idx = this.countRoute(cs, route);
    const formulaMisroute = route.ownerShard >= 0 && route.connShard >= 0 && route.ownerShard !== route.connShard;
    const state = checks.read ? checks.read.snapshot(p, r) : 0;
    const sample = checks.write ? cs.viewLag?.pick(op, op.queryOptions) : undefined;
    route.conn.executeFast(op.stmt, values, sample ? sample.options : op.queryOptions, (err, frame) => {
      if (sample && !err) cs.viewLag!.acked(sample, values);
      if (frame && (frame.flags & FrameFlag.CUSTOM_PAYLOAD) !== 0 && this.learnTablet(frame, op.table) && !formulaMisroute) cs.misrouted[idx]++;
      if (checks.write) {
        if (err) checks.write.failed(p, r, 1);
        else checks.write.acked(p, r, 1);
      } else if (!err && frame && checks.read) {
        const st = cs.stats.get(op.spec.name)!;
        const res = rowsOf(frame);
        if (res) {
          st.rows += res.rowCount;
          try {
            checks.read.check(res, p, r, state, st.validation!);
          } catch {
            st.validation!.checked++;
            st.validation!.mismatch++; // a reply whose cells do not parse holds no row we wrote
          }
        }
      }
      this.complete(cs, op, err, null, intendedAbsMs, sendAbs);
      next();
    });
  }

  private countSend(cs: ClassState, sendAbs: number): void {
    cs.inFlight++;
    cs.started++;
    if (sendAbs < this.phase!.endAbsMs) cs.sentInWindow++;
    else cs.sentAfterWindow++;
  }

  /** Counts a request at its owner shard (and as misrouted when sent elsewhere); returns its cell. */
  private countRoute(cs: ClassState, route: { node: number; ownerShard: number; connShard: number }): number {
    const shard = route.ownerShard >= 0 ? route.ownerShard : Math.max(0, route.connShard);
    const i = route.node * this.nrShards + shard;
    cs.requests[i]++;
    if (route.ownerShard >= 0 && route.connShard >= 0 && route.ownerShard !== route.connShard) cs.misrouted[i]++;
    return i;
  }

  private complete(cs: ClassState, op: BoundOp, err: CqlError | null, frame: Frame | null, intendedAbsMs: number, sendAbs: number, other?: unknown): void {
    const done = nowAbsMs();
    cs.inFlight--;
    const st = cs.stats.get(op.spec.name)!;
    if (err || other) {
      this.recordError(cs, op.spec.name, err ?? other);
    } else {
      st.count++;
      st.service.recordNs((done - sendAbs) * 1e6);
      if (st.response !== st.service) st.response.recordNs((done - intendedAbsMs) * 1e6);
    }
    if (cs.done || this.stopping) this.maybePhaseDone();
  }

  /** Learns a tablet from a reply's custom payload; true when the reply carried one. */
  private learnTablet(frame: Frame, table: string): boolean {
    try {
      const extras = readResponseExtras(new Reader(frame.body), frame.flags);
      const v = extras?.customPayload?.get(TABLETS_PAYLOAD_KEY);
      if (!v) return false;
      this.tabletCache.add(table, parseTabletPayload(v));
      return true;
    } catch {
      return false; // a malformed payload only costs routing precision
    }
  }

  private recordError(cs: ClassState, op: string, e: unknown): void {
    const st = cs.stats.get(op)!;
    const kind = e instanceof CqlError ? e.kind : 'value-error';
    st.errors[kind] = (st.errors[kind] ?? 0) + 1;
  }

  private phaseDoneSent = false;
  private endTimer: NodeJS.Timeout | undefined;
  private startTimer: NodeJS.Timeout | undefined;

  private maybePhaseDone(): void {
    if (this.phaseDoneSent || !this.phase) return;
    const allDone = this.classes.every((c) => (c.done || this.stopping) && c.inFlight === 0);
    if (!allDone) return;
    const endAbsMs = this.phase.endAbsMs;
    if (!this.stopping && Number.isFinite(endAbsMs) && nowAbsMs() < endAbsMs) {
      // nothing left to send (a tiny rate) but the window is still open: the phase ends at its end
      if (!this.endTimer) this.endTimer = setTimeout(() => { this.endTimer = undefined; this.maybePhaseDone(); }, Math.max(1, Math.ceil(endAbsMs - nowAbsMs())));
      return;
    }
    if (this.endTimer) { clearTimeout(this.endTimer); this.endTimer = undefined; }
    this.phaseDoneSent = true;
    if (this.drainTimer) clearTimeout(this.drainTimer);
    this.finishPhase();
  }

  private finishPhase(): void {
    if (this.intervalTimer) clearTimeout(this.intervalTimer);
    for (const cs of this.classes) cs.viewLag?.close();
    this.report(true, nowAbsMs());
    this.post({ type: 'phase-done', workerIndex: this.init.workerIndex, phaseIndex: this.phase!.phaseIndex });
    this.phase = undefined;
  }

  /** Stop scheduling; give in-flight requests at most `drainMs` to land, then report. */
  stop(drainMs: number): void {
    if (!this.phase || this.phaseDoneSent) return;
    this.stopping = true;
    if (this.startTimer) {
      // stopped before the start: nothing was scheduled; the intervals never began
      clearTimeout(this.startTimer);
      this.startTimer = undefined;
      this.intervalStart = this.phase.startAbsMs;
    }
    this.maybePhaseDone();
    if (!this.phaseDoneSent) {
      this.drainTimer = setTimeout(() => {
        if (this.phaseDoneSent) return;
        this.phaseDoneSent = true;
        this.finishPhase();
      }, drainMs);
    }
  }

  private report(final: boolean, endAbsMs: number): void {
    const classes: Record<string, ClassInterval> = {};
    for (const cs of this.classes) {
      const ops: ClassInterval['ops'] = {};
      for (const [name, st] of cs.stats) {
        const service = st.service.encode();
        ops[name] = { count: st.count, errors: st.errors, response: st.response === st.service ? service : st.response.encode(), service, rows: st.rows };
        if (st.validation) {
          ops[name].validation = { ...st.validation };
          st.validation.checked = st.validation.mismatch = st.validation.missing = 0;
        }
        st.response.reset();
        st.service.reset();
        st.count = 0;
        st.errors = {};
        st.rows = 0;
      }
      const viewLag = cs.viewLag?.drain();
      if (viewLag) ops[VIEW_LAG_OP] = viewLag.op;
      const fallbacks = cs.router.stats.fallbacks - cs.fallbacksReported;
      cs.fallbacksReported = cs.router.stats.fallbacks;
      classes[cs.plan.name] = {
        ops, requests: cs.requests.slice(), misrouted: cs.misrouted.slice(), started: cs.started, fallbacks,
        sentInWindow: cs.sentInWindow, sentAfterWindow: cs.sentAfterWindow,
        lagWithin1ms: cs.lagWithin1ms, lagWithin10ms: cs.lagWithin10ms,
        scheduleLag: cs.plan.loop === 'open' ? cs.scheduleLag.encode() : undefined,
        ...(viewLag ? { viewLag: viewLag.counts } : {}),
      };
      cs.requests.fill(0);
      cs.misrouted.fill(0);
      cs.scheduleLag.reset();
      cs.started = 0;
      cs.sentInWindow = 0;
      cs.sentAfterWindow = 0;
      cs.lagWithin1ms = 0;
      cs.lagWithin10ms = 0;
    }
    const nodes = this.nodeHealth();
    const elu = performance.eventLoopUtilization(this.elu);
    this.elu = performance.eventLoopUtilization();
    const delayP99Ms = this.loopDelay.count > 0 ? this.loopDelay.percentile(99) / 1e6 : 0;
    this.loopDelay.reset();
    this.post({
      type: 'interval', workerIndex: this.init.workerIndex, phaseIndex: this.phase?.phaseIndex ?? -1,
      startAbsMs: this.intervalStart, endAbsMs, final, classes, nodes,
      loader: { eventLoopUtilization: elu.utilization, eventLoopDelayP99Ms: delayP99Ms },
    });
    this.intervalStart = endAbsMs;
  }

  /**
   * Per node, over every login's pool: reconnects and lost connections (summed), time with no
   * live connection (the longest, an outage is the node's), up when any pool has a connection.
   * Also the watchdog of a target that is gone entirely.
   */
  private nodeHealth(): NodeHealth[] {
    const all = [...this.pools.values()];
    const out = this.init.facts.nodes.map((): NodeHealth => ({ reconnects: 0, connectionsLost: 0, downMs: 0, up: false }));
    for (const pools of all) {
      pools.forEach((p, i) => {
        const h = out[i];
        h.reconnects += p.stats.reconnects;
        h.connectionsLost += p.stats.connectionsLost;
        h.downMs = Math.max(h.downMs, Math.round(p.downMs));
        if (p.state === 'up') h.up = true;
      });
    }
    const flat = all.flat();
    if (!this.targetLostSent && flat.length > 0 && allDownForMs(flat) >= TARGET_LOST_MS) {
      this.targetLostSent = true;
      this.post({ type: 'target-lost', workerIndex: this.init.workerIndex, hosts: this.init.facts.nodes.map((n) => `${n.host}:${n.port}`), downMs: allDownForMs(flat) });
    }
    return out;
  }

  private targetLostSent = false;

  async onMessage(m: CoordinatorToWorker): Promise<void> {
    if (m.type === 'phase') {
      this.phaseDoneSent = false;
      await this.setupPhase(m.plan);
      const pools = [...this.pools.values()][0] ?? [];
      this.post({
        type: 'ready', workerIndex: this.init.workerIndex, pinned: this.pinned,
        pools: pools.map((p, node) => ({ node, shardAwarePortUsed: p?.stats.shardAwarePortUsed ?? false, natDetected: p?.stats.natDetected ?? false, connections: p?.connections.length ?? 0 })),
      });
    } else if (m.type === 'go') {
      // a stop between 'ready' and 'go' already ended the phase (and said so): nothing to start
      if (!this.phase) return;
      this.phase.startAbsMs = m.startAbsMs;
      this.phase.endAbsMs = m.endAbsMs;
      this.runPhase();
    } else if (m.type === 'stop') {
      this.stop(1000);
    } else if (m.type === 'shutdown') {
      await Promise.all([...this.pools.values()].flat().map((p) => p?.close()));
      await Promise.all([...this.drivers.values()].map((d) => d.shutdown()));
      process.exit(0);
    }
  }
}

/**
 * Pins the calling thread to `core` (Linux). /proc/thread-self names this very thread
 * (<pid>/task/<tid>), so `taskset -p` can target it rather than the whole process.
 */
function pinThisThread(core: number): string {
  if (process.platform !== 'linux') return `not pinned: --pin needs Linux (this is ${process.platform})`;
  let tid: string;
  try {
    tid = readlinkSync('/proc/thread-self').split('/').pop() ?? '';
  } catch {
    return 'not pinned: /proc/thread-self is unavailable';
  }
  const r = spawnSync('taskset', ['-pc', String(core), tid], { encoding: 'utf8' });
  if (r.error) return `not pinned: taskset not found (${r.error.message})`;
  if (r.status !== 0) return `not pinned: taskset failed: ${(r.stderr || r.stdout).trim().split('\n')[0]}`;
  return `pinned thread ${tid} to cpu ${core}`;
}

/** The ROWS result of a frame (undefined for any other result, or one that does not parse). */
function rowsOf(frame: Frame): RowsResult | undefined {
  try {
    const r = new Reader(frame.body);
    readResponseExtras(r, frame.flags);
    const res = readResult(r);
    return res.kind === 'rows' ? res : undefined;
  } catch {
    return undefined;
  }
}

/** Rows in a RESULT frame (0 for any other result); a reply that does not parse counts none. */
function rowsIn(frame: Frame): number {
  try {
    const r = new Reader(frame.body);
    readResponseExtras(r, frame.flags);
    const res = readResult(r);
    return res.kind === 'rows' ? res.rowCount : 0;
  } catch {
    return 0;
  }
}

const CONSISTENCY_CACHE = new Map<string, Consistency>();
function consistencyOf(name: string): Consistency {
  let c = CONSISTENCY_CACHE.get(name);
  if (c === undefined) {
    c = parseConsistency(name) ?? Consistency.ONE;
    CONSISTENCY_CACHE.set(name, c);
  }
  return c;
}

if (parentPort) {
  const w = new LoadWorker(workerData as WorkerInit);
  parentPort.on('message', (m: CoordinatorToWorker) => {
    w.onMessage(m).catch((e: unknown) => {
      parentPort!.postMessage({ type: 'fatal', workerIndex: (workerData as WorkerInit).workerIndex, message: e instanceof Error ? e.message : String(e) } satisfies WorkerToCoordinator);
    });
  });
}
