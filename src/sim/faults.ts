/**
 * Faults on demand: extra reply latency per op kind, shard stalls (once or periodic), error
 * injection by rate and code, and nodes going down (Sim.setNodeUp). Set by startSim options or
 * flags, and changed at runtime through the admin HTTP endpoint (metrics.ts).
 */
import { ConsistencyName, consistencyName } from '../cql/consistency.js';
import {
  ErrorCode, ReadFailureError, ReadTimeoutError, ResponseError, UnavailableError, WriteFailureError, WriteTimeoutError,
} from '../cql/errors.js';
import { nowNs } from './capacity.js';
import type { Cluster } from './cluster.js';
import type { OpKind } from './context.js';
import { checkDelaySpec, DelaySampler, type DelaySpec } from './delay.js';
import { checkDataFaults, DataFaults, type CorruptSpec, type LoseWritesSpec } from './data-faults.js';

export interface ErrorInjection {
  /** fraction of matching requests, 0..1 */
  rate: number;
  /** protocol error code, e.g. 0x1001 (Overloaded), 0x1200 (Read_timeout) */
  code: number;
  /** op kinds it applies to (default: read, write, scan, batch) */
  kinds?: OpKind[];
}

export interface StallSpec {
  node: number;
  shard: number;
  durationMs: number;
  /** repeat every periodMs (0/undefined: once) */
  periodMs?: number;
}

export interface FaultConfig {
  /** extra latency per op kind, ms or a distribution; 'all' applies to every kind (and adds to the kind's own) */
  latencyMs?: Partial<Record<OpKind | 'all', DelaySpec>>;
  /** seed of the delay draws (default: the cluster's seed) */
  seed?: number;
  errors?: ErrorInjection[];
  stalls?: StallSpec[];
  /** serve a flipped cell in a fraction of reads (data-faults.ts) */
  corrupt?: CorruptSpec;
  /** the acknowledging replica drops a fraction of writes at CL ONE / LOCAL_ONE / ANY */
  loseWrites?: LoseWritesSpec;
}

const DATA_KINDS: OpKind[] = ['read', 'write', 'scan', 'batch'];

export class Faults {
  latencyMs = new Map<string, DelaySpec>();
  private seed: number | undefined;
  private sampler: DelaySampler;
  errors: ErrorInjection[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private stallSpecs: StallSpec[] = [];
  private random: () => number = Math.random;

  constructor(private readonly cluster: Cluster) {
    this.sampler = new DelaySampler(cluster.options.seed);
  }

  /** Replaces the whole fault configuration. Throws RangeError on a bad value (message names it). */
  configure(c: FaultConfig): void {
    const latency = new Map<string, DelaySpec>();
    for (const [k, v] of Object.entries(c.latencyMs ?? {})) {
      if (!['all', 'read', 'write', 'scan', 'batch', 'schema', 'system', 'other'].includes(k)) throw new RangeError(`latencyMs: unknown op kind '${k}'`);
      checkDelaySpec(`latencyMs.${k}`, v);
      latency.set(k, v);
    }
    if (c.seed !== undefined && !Number.isSafeInteger(c.seed)) throw new RangeError(`seed must be an integer, got ${c.seed}`);
    for (const e of c.errors ?? []) {
      if (!(e.rate >= 0 && e.rate <= 1)) throw new RangeError(`errors: rate must be within 0..1, got ${e.rate}`);
      if (!Number.isInteger(e.code)) throw new RangeError(`errors: code must be an integer, got ${e.code}`);
    }
    for (const s of c.stalls ?? []) this.checkStall(s);
    checkDataFaults(c.corrupt, c.loseWrites);
    this.clearStalls();
    this.cluster.dataFaults = c.corrupt || c.loseWrites
      ? new DataFaults(c.corrupt ? { ...c.corrupt } : undefined, c.loseWrites ? { ...c.loseWrites } : undefined, (...a) => this.random(...a))
      : undefined;
    this.latencyMs = latency;
    // a new configuration restarts the draws, so the same config and requests give the same delays
    this.seed = c.seed;
    this.sampler = new DelaySampler(c.seed ?? this.cluster.options.seed);
    this.errors = (c.errors ?? []).map((e) => ({ ...e }));
    for (const s of c.stalls ?? []) this.stall(s);
  }

  state(): FaultConfig & { nodesDown: number[]; dataFaultCounts?: { corruptedReads: number; lostWrites: number } } {
    const d = this.cluster.dataFaults;
    return {
      ...(d?.corrupt ? { corrupt: d.corrupt } : {}),
      ...(d?.loseWrites ? { loseWrites: d.loseWrites } : {}),
      ...(d ? { dataFaultCounts: { ...d.counts } } : {}),
      latencyMs: Object.fromEntries(this.latencyMs),
      ...(this.seed !== undefined ? { seed: this.seed } : {}),
      errors: this.errors,
      stalls: this.stallSpecs,
      nodesDown: this.cluster.nodes.filter((n) => !n.up).map((n) => n.index),
    };
  }

  private checkStall(s: StallSpec): void {
    const node = this.cluster.nodes[s.node];
    if (!node) throw new RangeError(`stall: no node ${s.node} (nodes are 0..${this.cluster.nodes.length - 1})`);
    if (!node.shards[s.shard]) throw new RangeError(`stall: no shard ${s.shard} (shards are 0..${node.shards.length - 1})`);
    if (!(s.durationMs > 0)) throw new RangeError('stall: durationMs must be > 0');
    if (s.periodMs !== undefined && s.periodMs !== 0 && !(s.periodMs > s.durationMs)) throw new RangeError('stall: periodMs must exceed durationMs');
  }

  /** Freezes a shard: nothing it queues runs until the stall ends (now, then every periodMs). */
  stall(s: StallSpec): void {
    this.checkStall(s);
    const q = this.cluster.nodes[s.node].shards[s.shard].queue;
    const apply = (): void => {
      const until = nowNs() + s.durationMs * 1e6;
      if (until > q.stallUntilNs) q.stallUntilNs = until;
    };
    apply();
    if (s.periodMs) {
      const t = setInterval(apply, s.periodMs);
      t.unref();
      this.timers.add(t);
    }
    this.stallSpecs.push(s);
  }

  clearStalls(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers.clear();
    this.stallSpecs = [];
    for (const n of this.cluster.nodes) for (const sh of n.shards) sh.queue.stallUntilNs = 0;
  }

  /** The extra latency of one request of this kind, ms (a fresh draw for a distribution). */
  extraLatencyMs(kind: OpKind): number {
    if (this.latencyMs.size === 0) return 0;
    const own = this.latencyMs.get(kind);
    const all = this.latencyMs.get('all');
    return (own === undefined ? 0 : this.sampler.draw(own)) + (all === undefined ? 0 : this.sampler.draw(all));
  }

  /** An injected error for this request, or undefined. */
  injected(kind: OpKind, consistency: number, target: string): ResponseError | undefined {
    for (const e of this.errors) {
      if (!(e.kinds ?? DATA_KINDS).includes(kind)) continue;
      if (this.random() >= e.rate) continue;
      return injectedError(e.code, consistency, target, kind);
    }
    return undefined;
  }

  /** Test hook: a deterministic random source. */
  setRandom(r: () => number): void {
    this.random = r;
  }

  stop(): void {
    this.clearStalls();
  }
}

function injectedError(code: number, cl: number, target: string, kind: OpKind): ResponseError {
  const c = cl as never;
  const clName = consistencyName(cl) as ConsistencyName | string;
  switch (code) {
    case ErrorCode.UNAVAILABLE: return new UnavailableError(`Cannot achieve consistency level for cl ${clName}. Requires 1, alive 0`, c, 1, 0);
    case ErrorCode.OVERLOADED: return new ResponseError(code, 'request shed due to coordinator overload');
    case ErrorCode.READ_TIMEOUT: return new ReadTimeoutError(`Operation timed out for ${target} - received only 0 responses from 1 CL=${clName}.`, c, 0, 1, false);
    case ErrorCode.WRITE_TIMEOUT: return new WriteTimeoutError(`Operation timed out for ${target} - received only 0 responses from 1 CL=${clName}.`, c, 0, 1, kind === 'batch' ? 'BATCH' : 'SIMPLE');
    case ErrorCode.READ_FAILURE: return new ReadFailureError(`Operation failed for ${target} - received 0 responses and 1 failures from 1 CL=${clName}.`, c, 0, 1, 1, false);
    case ErrorCode.WRITE_FAILURE: return new WriteFailureError(`Operation failed for ${target} - received 0 responses and 1 failures from 1 CL=${clName}.`, c, 0, 1, 1, 'SIMPLE');
    case ErrorCode.SERVER_ERROR: return new ResponseError(code, 'injected server error');
    default: return new ResponseError(code, `injected error 0x${code.toString(16).padStart(4, '0')}`);
  }
}
