/**
 * The per-shard capacity model: every request costs shard time, so offered load past a shard's
 * capacity queues (latency grows) and then times out (Read/Write_timeout per the timeouts in
 * force), as on a shard-per-core server.
 *
 * It is a virtual-time model, not real work: each shard keeps `busyUntilNs`, the moment its
 * queue drains. A request arriving at `now` starts at max(now, busyUntilNs), occupies the shard
 * for its cost, and is answered when it finishes. The emulator's own CPU is not the shard: the
 * statement executes at once, only the reply waits. This keeps the emulator cheap while the
 * latency clients see follows the model.
 *
 * Two stages per request: the coordinator shard (the connection's) pays a coordination cost plus
 * the cross-shard hop when the data lives on another shard of this node; then the owner shard
 * pays the operation's cost. Each stage is charged to the lane of the request's service level
 * (qos.ts): levels share a busy shard by their shares.
 */
import { Lane, laneRate } from './qos.js';

/** Costs in microseconds of shard time. */
export interface CostModel {
  /** coordination of any CQL request on the connection's shard */
  coordinatorUs: number;
  /** single-partition read on the owner shard */
  readUs: number;
  /** single-partition write (per partition) on the owner shard */
  writeUs: number;
  /** range scan: base cost plus per row scanned */
  scanUs: number;
  scanRowUs: number;
  /** one extra statement in a batch */
  batchStatementUs: number;
  /** handing a request to another shard of the same node */
  crossShardHopUs: number;
  /** system-table reads (drivers' metadata queries) */
  systemUs: number;
  /** DDL */
  schemaUs: number;
}

/** Documented defaults, roughly a real Scylla shard (tens of thousands of simple ops per second). */
export const DEFAULT_COSTS: CostModel = {
  coordinatorUs: 5,
  readUs: 25,
  writeUs: 20,
  scanUs: 25,
  scanRowUs: 2,
  batchStatementUs: 10,
  crossShardHopUs: 10,
  systemUs: 20,
  schemaUs: 1000,
};

/** scylla.yaml defaults (read_request_timeout_in_ms and siblings, db/config.cc), ms. */
export interface Timeouts {
  readMs: number;
  writeMs: number;
  rangeMs: number;
  counterWriteMs: number;
  otherMs: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = { readMs: 5000, writeMs: 2000, rangeMs: 10000, counterWriteMs: 5000, otherMs: 10000 };

/**
 * A shard's work queue in virtual time: one lane per service level (qos.ts), each served at its
 * level's share of the shard. With a single level (no service levels in use) this is one FIFO.
 */
export class ShardQueue {
  /** when the last queued work of any lane drains, ns on the monotonic clock */
  busyUntilNs = 0;
  /** a stall injected by a fault: nothing runs before this, ns */
  stallUntilNs = 0;
  /** requests admitted and not yet answered */
  pending = 0;
  /** total shard time charged, ns (utilisation = delta / elapsed) */
  busyNs = 0;
  /** service level name → its lane on this shard */
  readonly lanes = new Map<string, Lane>();

  /** The lane of a service level (created on first use; its shares follow the level). */
  lane(level: LevelRef = DEFAULT_LEVEL): Lane {
    let l = this.lanes.get(level.name);
    if (!l) {
      l = new Lane(level.name, level.shares);
      this.lanes.set(level.name, l);
    } else if (l.shares !== level.shares) {
      l.shares = level.shares;
    }
    return l;
  }

  /** When work of `lane` that may start at `readyNs` would start. */
  startAt(readyNs: number, lane: Lane = this.lane()): number {
    let s = readyNs;
    if (lane.busyUntilNs > s) s = lane.busyUntilNs;
    if (this.stallUntilNs > s) s = this.stallUntilNs;
    return s;
  }

  /**
   * Charges `costNs` of shard time to a level's lane, starting no earlier than `readyNs`; returns
   * the finish time. `arrivalNs` is when the request arrived (now): the level's share is judged
   * from the lanes as they are then, even for a stage that starts later.
   */
  charge(readyNs: number, costNs: number, level: LevelRef = DEFAULT_LEVEL, arrivalNs = readyNs): number {
    const lane = this.lane(level);
    const start = this.startAt(readyNs, lane);
    const rate = this.lanes.size === 1 ? 1 : laneRate(this.lanes.values(), lane, arrivalNs);
    const finish = start + costNs / rate;
    lane.busyUntilNs = finish;
    lane.addDemand(arrivalNs, costNs);
    lane.tasks++;
    lane.servedNs += costNs;
    if (finish > this.busyUntilNs) this.busyUntilNs = finish;
    this.busyNs += costNs;
    return finish;
  }
}

/** What the queue needs of a service level. */
export interface LevelRef {
  name: string;
  shares: number;
}

const DEFAULT_LEVEL: LevelRef = { name: 'default', shares: 1000 };

/** Monotonic ns as a double (performance.now() avoids a BigInt per call on the request path). */
export function nowNs(): number {
  return performance.now() * 1e6;
}
