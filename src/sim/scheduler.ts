/**
 * The request scheduler between the protocol server and the statements: for each request it
 * picks the service level's lane on the coordinator shard, injects faults, admits, sheds or drops
 * it (Scylla's admission and shedding, transport/server.cc), executes it, charges the capacity
 * model (coordinator stage, then the replica shards that did the work) and applies the timeout
 * in force. It decides what the client gets and when; the server encodes and sends it.
 *
 * Timeouts: USING TIMEOUT > the service level's timeout (it replaces every per-kind default) >
 * the scylla.yaml default for the kind.
 */
import { ProtocolViolation } from '../cql/buffer.js';
import { consistencyName } from '../cql/consistency.js';
import { ErrorCode, ReadTimeoutError, ResponseError, WriteTimeoutError } from '../cql/errors.js';
import { nowNs, type CostModel, type Timeouts } from './capacity.js';
import type { Cluster, SimShard } from './cluster.js';
import type { ExecExtras, ExecResult, OpKind } from './context.js';
import type { Faults } from './faults.js';
import type { LatencyHistogram } from './latency.js';
import { SHED_WAIT_MS, type Lane } from './qos.js';
import type { EffectiveLevel } from './service-levels.js';
import { InvalidRequest, type Bound } from './values.js';

/** What the scheduler needs of a request: a compiled plan, or a protocol BATCH (no single plan). */
export interface RequestShape {
  opKind: OpKind;
  target?: { keyspace: string; table: string };
  isCounter?: boolean;
  /** statements in a protocol BATCH */
  statements?: number;
  /** USING TIMEOUT of this execution, ms */
  timeoutMs?(bound: Bound): number | undefined;
}

/** What to send, and when (`atNs` on the monotonic clock; `strict`: never before it). */
export type Decision =
  | { kind: 'result'; result: ExecResult; extras: ExecExtras; atNs: number; strict: boolean; latency: LatencyHistogram | null; lane: Lane; t0: number }
  | { kind: 'error'; error: ResponseError; atNs: number; strict: boolean; lane: Lane; t0: number }
  /** an interactive level's request shed at admission: answered at once */
  | { kind: 'shed'; error: ResponseError };

export class Scheduler {
  constructor(private readonly cluster: Cluster, private readonly faults: Faults) {}

  /**
   * Schedules one request coordinated on `shard` for a session running under `sessionLevel`;
   * `run` executes it (synchronously: the emulator's CPU is not the modelled shard).
   */
  schedule(shard: SimShard, sessionLevel: EffectiveLevel, shape: RequestShape, bound: Bound, consistency: number, run: (extras: ExecExtras) => ExecResult): Decision {
    const cluster = this.cluster;
    const costs = cluster.options.costs;
    const kind = shape.opKind;
    const t0 = nowNs();
    // drivers' metadata queries run under the built-in `driver` level, the rest under the session's
    const level = kind === 'system' ? cluster.serviceLevels.driver() : sessionLevel;
    const timeoutMs = shape.timeoutMs?.(bound) ?? level.timeoutMs ?? defaultTimeoutMs(cluster.options.timeouts, kind, shape.isCounter === true);
    const target = shape.target ? `${shape.target.keyspace}.${shape.target.table}` : 'system';
    const q = shard.queue;
    const lane = q.lane(level);
    const injected = this.faults.injected(kind, consistency, target);
    if (injected) {
      const extraMs = this.faults.extraLatencyMs(kind);
      return { kind: 'error', error: injected, atNs: t0 + extraMs * 1e6, strict: extraMs > 0, lane, t0 };
    }
    const waitMs = (q.startAt(t0, lane) - t0) / 1e6;
    if (level.interactive && costs && waitMs > SHED_WAIT_MS) {
      // an interactive session sheds instead of queueing (qos.ts)
      lane.shed++;
      return { kind: 'shed', error: new ResponseError(ErrorCode.OVERLOADED, 'request shed due to coordinator overload') };
    }
    if (waitMs >= timeoutMs && isTimeoutKind(kind)) {
      // the queue is longer than the timeout: Scylla drops it unexecuted
      return { kind: 'error', error: timeoutError(kind, consistency, target, 1), atNs: t0 + timeoutMs * 1e6, strict: false, lane, t0: 0 };
    }
    const extras: ExecExtras = {};
    let result: ExecResult;
    try {
      result = run(extras);
    } catch (e) {
      // a value that fails to decode while executing is bad input, not a broken frame
      if (e instanceof ProtocolViolation) throw new InvalidRequest(e.message);
      throw e;
    }
    lane.requests++;
    if (extras.hop) lane.crossShardHops++;
    let finish = costs ? this.charge(costs, shard, level, kind, extras, shape.statements ?? 1, t0) : q.startAt(t0, lane);
    const extraMs = this.faults.extraLatencyMs(kind);
    finish += extraMs * 1e6;
    let holdMs = 0;
    if (extras.viewUpdates) {
      // view updates land after the reply is ready; a synchronous view holds the reply for its
      // update (the updates of one request go out together: the longest hold counts)
      for (const u of extras.viewUpdates) holdMs = Math.max(holdMs, cluster.viewBacklog.schedule(u, finish / 1e6));
      finish += holdMs * 1e6;
    }
    if ((finish - t0) / 1e6 > timeoutMs && isTimeoutKind(kind)) {
      return { kind: 'error', error: timeoutError(kind, consistency, target, extras.blockFor ?? 1), atNs: t0 + timeoutMs * 1e6, strict: false, lane, t0: 0 };
    }
    const latency = kind === 'write' || kind === 'batch' ? shard.writeLatency : kind === 'read' || kind === 'scan' ? shard.readLatency : null;
    return { kind: 'result', result, extras, atNs: finish, strict: extraMs > 0 || holdMs > 0, latency, lane, t0 };
  }

  /**
   * Two stages in virtual time: the coordinator shard, then the replica shards that did the work
   * (under the same level: Scylla carries it over RPC). Returns when the reply is ready.
   */
  private charge(costs: CostModel, shard: SimShard, level: EffectiveLevel, kind: OpKind, extras: ExecExtras, statements: number, t0: number): number {
    const coordNs = (costs.coordinatorUs + (extras.hop ? costs.crossShardHopUs : 0)) * 1000;
    const coordDone = shard.queue.charge(t0, coordNs, level, t0);
    const opUs = opCostUs(costs, kind, extras, statements);
    const shards = extras.replicaShards;
    const scanShards = extras.scanShards;
    if (kind === 'scan' && scanShards && scanShards.length > 0) {
      // a range read runs on every shard holding part of the range, in parallel: each pays the
      // base cost and its share of the rows; the reply waits for the last
      const perShardUs = costs.scanUs + ((extras.rowsScanned ?? 0) * costs.scanRowUs) / scanShards.length;
      let finish = coordDone;
      for (const sh of scanShards) finish = Math.max(finish, sh.queue.charge(coordDone, perShardUs * 1000, level, t0));
      return finish;
    }
    if (shards && shards.length > 0) {
      // the reply is ready when the replicas the consistency level waits for are done
      const finishes = shards.map((sh) => sh.queue.charge(coordDone, opUs * 1000, level, t0)).sort((a, b) => a - b);
      return finishes[Math.min(finishes.length, Math.max(1, extras.blockFor ?? 1)) - 1];
    }
    return shard.queue.charge(coordDone, opUs * 1000, level, t0);
  }
}

function isTimeoutKind(kind: OpKind): boolean {
  return kind === 'read' || kind === 'write' || kind === 'scan' || kind === 'batch';
}

function defaultTimeoutMs(t: Timeouts, kind: OpKind, counter: boolean): number {
  switch (kind) {
    case 'read': return t.readMs;
    case 'scan': return t.rangeMs;
    case 'write': case 'batch': return counter ? t.counterWriteMs : t.writeMs;
    default: return t.otherMs;
  }
}

function opCostUs(c: CostModel, kind: OpKind, extras: ExecExtras, statements: number): number {
  switch (kind) {
    case 'read': return c.readUs + (extras.rowsScanned ?? 0) * c.scanRowUs;
    case 'scan': return c.scanUs + (extras.rowsScanned ?? 0) * c.scanRowUs;
    case 'write': return c.writeUs;
    case 'batch': return c.writeUs + Math.max(0, statements - 1) * c.batchStatementUs;
    case 'system': return c.systemUs;
    case 'schema': return c.schemaUs;
    default: return c.coordinatorUs;
  }
}

/** Read_timeout / Write_timeout as Scylla words them (exceptions/exceptions.cc). */
function timeoutError(kind: OpKind, cl: number, target: string, blockFor: number): ResponseError {
  const msg = `Operation timed out for ${target} - received only 0 responses from ${blockFor} CL=${consistencyName(cl)}.`;
  if (kind === 'write' || kind === 'batch') return new WriteTimeoutError(msg, cl as never, 0, blockFor, kind === 'batch' ? 'BATCH' : 'SIMPLE');
  return new ReadTimeoutError(msg, cl as never, 0, blockFor, false);
}
