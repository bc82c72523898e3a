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
 * pays the operation's cost. A later service-level layer replaces the single FIFO per shard
 * with one queue per service level served by shares (see ShardQueue).
 */

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

/** scylla.yaml defaults (scylla-reference.md §4.4), ms. */
export interface Timeouts {
  readMs: number;
  writeMs: number;
  rangeMs: number;
  counterWriteMs: number;
  otherMs: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = { readMs: 5000, writeMs: 2000, rangeMs: 10000, counterWriteMs: 5000, otherMs: 10000 };

/** A shard's work queue in virtual time. */
export class ShardQueue {
  /** when the queued work drains, ns on the monotonic clock */
  busyUntilNs = 0;
  /** a stall injected by a fault: nothing runs before this, ns */
  stallUntilNs = 0;
  /** requests admitted and not yet answered */
  pending = 0;
  /** total shard time charged, ns (utilisation = delta / elapsed) */
  busyNs = 0;

  /** When work that may start at `readyNs` would start. */
  startAt(readyNs: number): number {
    let s = readyNs;
    if (this.busyUntilNs > s) s = this.busyUntilNs;
    if (this.stallUntilNs > s) s = this.stallUntilNs;
    return s;
  }

  /** Charges `costNs` starting no earlier than `readyNs`; returns the finish time. */
  charge(readyNs: number, costNs: number): number {
    const start = this.startAt(readyNs);
    const finish = start + costNs;
    this.busyUntilNs = finish;
    this.busyNs += costNs;
    return finish;
  }
}

/** Monotonic ns as a double (performance.now() avoids a BigInt per call on the request path). */
export function nowNs(): number {
  return performance.now() * 1e6;
}
