/**
 * Workload prioritization per shard (Scylla's scheduling groups per service level), in the
 * capacity model's virtual time: each shard keeps one lane per service level, and a level's work
 * runs at that level's share of the shard.
 *
 * Scylla divides a shard's CPU and I/O among the scheduling groups that have work pending, in
 * proportion to their shares; idle capacity is not reserved. The emulator answers each request
 * when it arrives (only the reply waits), so it computes the share at arrival:
 *
 *   rate(L) = L's weighted max-min fair share of the shard, where L is backlogged and every other
 *             level M asks for its recent demand d(M) (shard time it was charged per unit time,
 *             an exponentially weighted average over ~50 ms), or for all it can get when its own
 *             queue is longer than 2 ms;
 *   finish  = max(arrival, L's lane drains, stall ends) + cost / rate(L).
 *
 * So a level alone gets the whole shard; two saturating levels split it by shares (their
 * demands converge to their fair shares); a light level (OLTP at a few % of the shard) gets what
 * it asks for at once and the heavy one (OLAP scans) keeps the rest. Within a level, requests
 * are FIFO. The approximation: a share is fixed when work arrives and is not revised by later
 * arrivals, so during a transient (~50 ms) the lanes together may exceed the shard a little.
 *
 * Shedding (transport/server.cc): Scylla puts a connection of an `interactive` session into a shedding state
 * when a request waited more than 50 ms for admission and answers Overloaded ("request shed due
 * to coordinator overload") until admission catches up. The emulator sheds an interactive
 * request when its level's lane on the coordinator shard would make it wait more than 50 ms, so
 * the connection sheds exactly while that backlog lasts; `batch` and unspecified levels queue.
 */
import type { EffectiveLevel } from './service-levels.js';

/** Wait past which an interactive session sheds (transport/server.cc). */
export const SHED_WAIT_MS = 50;
/** Time constant of the demand average, ns. */
const DEMAND_WINDOW_NS = 50e6;
/** Demand below this fraction of a shard does not count (a level gone idle). */
const MIN_DEMAND = 1e-4;
/** A level whose queue is longer than this wants at least its fair share, whatever its recent demand. */
const BACKLOG_NS = 2e6;

/** One service level's queue on one shard. */
export class Lane {
  /** when this level's queued work drains, ns */
  busyUntilNs = 0;
  shares: number;
  /** shard time charged (ns), decayed with DEMAND_WINDOW_NS: demand = acc / window */
  private demandAcc = 0;
  private demandAtNs = 0;
  /** requests coordinated on this shard under this level */
  requests = 0;
  /** work items (coordinator or replica stages) served and the shard time they used, ns */
  tasks = 0;
  servedNs = 0;
  /** requests answered Overloaded by shedding */
  shed = 0;
  /** replies waiting for their modelled completion */
  pending = 0;
  /** requests coordinated here under this level whose data lived on another shard of this node */
  crossShardHops = 0;

  constructor(readonly name: string, shares: number) {
    this.shares = shares;
  }

  /** Recent demand as a fraction of the shard. */
  demand(atNs: number): number {
    if (this.demandAcc === 0) return 0;
    const dt = atNs - this.demandAtNs;
    return (dt > 0 ? this.demandAcc * Math.exp(-dt / DEMAND_WINDOW_NS) : this.demandAcc) / DEMAND_WINDOW_NS;
  }

  addDemand(atNs: number, costNs: number): void {
    const dt = atNs - this.demandAtNs;
    if (dt > 0) {
      this.demandAcc *= Math.exp(-dt / DEMAND_WINDOW_NS);
      this.demandAtNs = atNs;
    }
    this.demandAcc += costNs;
  }
}

/**
 * The fraction of the shard `lane` gets when it is backlogged at `atNs`: weighted max-min
 * fairness (water-filling) against the other lanes' recent demand.
 */
export function laneRate(lanes: Iterable<Lane>, lane: Lane, atNs: number): number {
  let others: { d: number; w: number }[] | undefined;
  let weights = lane.shares;
  for (const l of lanes) {
    if (l === lane) continue;
    const d = l.busyUntilNs - atNs > BACKLOG_NS ? Infinity : l.demand(atNs);
    if (d < MIN_DEMAND) continue;
    (others ??= []).push({ d, w: l.shares });
    weights += l.shares;
  }
  if (!others) return 1;
  let cap = 1;
  // a level asking for less than its fair share gets what it asks; the rest is shared again
  for (let changed = true; changed && others.length > 0;) {
    changed = false;
    for (let i = others.length - 1; i >= 0; i--) {
      const o = others[i];
      if (o.d <= (cap * o.w) / weights) {
        cap -= o.d;
        weights -= o.w;
        others.splice(i, 1);
        changed = true;
      }
    }
  }
  return Math.max(1e-3, (cap * lane.shares) / weights);
}

/** What the per-level statistics read of a cluster: its nodes, their shards and those shards' lanes. */
export interface LanesView {
  nodes: readonly NodeLanes[];
}
export interface NodeLanes {
  index: number;
  address: string;
  shards: readonly { id: number; queue: { lanes: Map<string, Lane> } }[];
}

export interface LaneStats {
  node: number;
  shard: number;
  serviceLevel: string;
  shares: number;
  requests: number;
  tasks: number;
  servedMs: number;
  shed: number;
  pending: number;
}

/** Per (node, shard, service level) counters, for tests, /metrics and /admin/stats. */
export function serviceLevelStats(cluster: LanesView): LaneStats[] {
  const out: LaneStats[] = [];
  for (const n of cluster.nodes) {
    for (const s of n.shards) {
      for (const l of s.queue.lanes.values()) {
        out.push({ node: n.index, shard: s.id, serviceLevel: l.name, shares: l.shares, requests: l.requests, tasks: l.tasks, servedMs: l.servedNs / 1e6, shed: l.shed, pending: l.pending });
      }
    }
  }
  return out;
}

/** Totals per service level over the whole cluster. */
export function servedByLevel(cluster: LanesView): Record<string, { requests: number; servedMs: number; shed: number }> {
  const out: Record<string, { requests: number; servedMs: number; shed: number }> = {};
  for (const s of serviceLevelStats(cluster)) {
    const t = (out[s.serviceLevel] ??= { requests: 0, servedMs: 0, shed: 0 });
    t.requests += s.requests;
    t.servedMs += s.servedMs;
    t.shed += s.shed;
  }
  return out;
}

/**
 * Prometheus families per shard and service level, named as Scylla's scheduler exports them
 * (`group="sl:<name>"`), plus the emulator's request and shed counters.
 */
export function renderQosMetrics(cluster: LanesView, scope?: NodeLanes): string {
  const fams: [string, 'counter' | 'gauge', string, (l: Lane) => number | string][] = [
    ['scylla_scheduler_runtime_ms', 'counter', 'Shard time used by the scheduling group (capacity model), ms.', (l) => (l.servedNs / 1e6).toFixed(3)],
    ['scylla_scheduler_tasks_processed', 'counter', 'Work items (coordinator or replica stages) the scheduling group ran.', (l) => l.tasks],
    ['scylla_scheduler_queue_length', 'gauge', 'Replies of the scheduling group waiting for their modelled completion.', (l) => l.pending],
    ['scylla_scheduler_shares', 'gauge', 'Shares of the scheduling group.', (l) => l.shares],
    ['sim_service_level_requests_served', 'counter', 'Requests coordinated on this shard under the service level.', (l) => l.requests],
    ['sim_service_level_requests_shed', 'counter', 'Requests of interactive sessions answered Overloaded (shed) under the service level.', (l) => l.shed],
  ];
  let out = '';
  for (const [name, type, help, value] of fams) {
    out += `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
    for (const n of scope ? [scope] : cluster.nodes) {
      for (const s of n.shards) {
        for (const l of s.queue.lanes.values()) {
          const v = labelValue(l.name);
          const group = name.startsWith('scylla_') ? `group="sl:${v}"` : `service_level="${v}"`;
          out += `${name}{${scope ? '' : `instance="${n.address}",`}shard="${s.id}",${group}} ${value(l)}\n`;
        }
      }
    }
  }
  return out;
}

/** A Prometheus label value with `\` and `"` escaped. */
export function labelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

export type { EffectiveLevel };
