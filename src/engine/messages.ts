/**
 * The messages between the coordinator and its workers. Plain structured-clone data only:
 * histograms travel encoded (HdrHistogram compressed base64), shared counters as
 * SharedArrayBuffers.
 */
import type { Credentials, TlsOptions } from '../cql/connection.js';
import type { ReplicationStrategy } from '../routing/ring.js';
import type { ClusterFacts } from './cluster.js';
import type { ResolvedProfile } from '../profile/types.js';

export type ClassRouting = 'shard-aware' | 'token-aware' | 'round-robin' | 'driver';

export interface WorkerInit {
  workerIndex: number;
  workers: number;
  profile: ResolvedProfile;
  facts: ClusterFacts;
  /** Keyspace name → replication strategy (read once by the coordinator). */
  keyspaces: Record<string, ReplicationStrategy>;
  /** Per class: the login it runs under (its service level binds to that role). */
  credentials: Record<string, Credentials | undefined>;
  defaultCredentials?: Credentials;
  tls?: TlsOptions;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  /** --pin: the core this worker's thread is pinned to. */
  pinCore?: number;
}

export interface ClassPlan {
  name: string;
  workload: string;
  routing: ClassRouting;
  /** ops and their cumulative weights, for a weighted pick. */
  ops: { name: string; weight: number }[];
  loop: 'open' | 'closed';
  /** Open loop: ms between consecutive intended starts of the global schedule. */
  intervalMs?: number;
  /** Closed loop: chains this worker runs. */
  concurrency?: number;
  maxInFlight: number;
  /** Stop after this many ops across all workers (load phases). */
  countLimit?: number;
  /**
   * Int32Array view: [0] next schedule slot (open loop) or next op ticket (closed loop with
   * countLimit); [1] next write cycle (shared so writes across workers enumerate distinct rows).
   */
  counters: SharedArrayBuffer;
}

export interface PhasePlan {
  phaseIndex: number;
  name: string;
  kind: 'load' | 'warmup' | 'measure';
  /** Absolute start, ms since the epoch (performance.timeOrigin + performance.now()); set by 'go'. */
  startAbsMs: number;
  /** Absolute end of scheduling (no new ops at or after it); Infinity for count-bound phases; set by 'go'. */
  endAbsMs: number;
  /** Scheduling window length; undefined for count-bound phases. */
  durationMs?: number;
  classes: ClassPlan[];
}

export interface OpInterval {
  count: number;
  errors: Record<string, number>;
  /** Response time (from the intended start; = service time in closed loop), encoded. */
  response: string;
  /** Service time (send → reply), encoded. */
  service: string;
}

export interface ClassInterval {
  ops: Record<string, OpInterval>;
  /** requests[node * nrShards + ownerShard] (shard 0 when unsharded). */
  requests: number[];
  /** Of those, the ones sent on a connection of another shard. */
  misrouted: number[];
  /** Open loop: send time − intended start, encoded (schedule lag). */
  scheduleLag?: string;
  /** Requests routed away from a down node to another replica (token-aware fallback). */
  fallbacks: number;
  /** Ops started (handed to a connection) in the interval. */
  started: number;
  /** Of those, sent before the phase end (the achieved rate counts these) and at or after it. */
  sentInWindow: number;
  sentAfterWindow: number;
  /** Open loop: ops sent within 1 ms / 10 ms of their intended start. */
  lagWithin1ms: number;
  lagWithin10ms: number;
}

export interface IntervalReport {
  type: 'interval';
  workerIndex: number;
  phaseIndex: number;
  startAbsMs: number;
  endAbsMs: number;
  final: boolean;
  classes: Record<string, ClassInterval>;
  /** Per node (by index): the worker's pools so far (cumulative). */
  nodes: NodeHealth[];
  loader: { eventLoopUtilization: number; eventLoopDelayP99Ms: number };
}

export interface NodeHealth {
  /** Connections opened after the first attempt (refills, a node back). */
  reconnects: number;
  /** Connections that closed under the pool. */
  connectionsLost: number;
  /** Time with no live connection to the node, including an outage under way. */
  downMs: number;
  up: boolean;
}

export type WorkerToCoordinator =
  | { type: 'ready'; workerIndex: number; pinned?: string; pools: { node: number; shardAwarePortUsed: boolean; natDetected: boolean; connections: number }[] }
  | IntervalReport
  | { type: 'phase-done'; workerIndex: number; phaseIndex: number }
  | { type: 'fatal'; workerIndex: number; message: string }
  /** Every node has refused connections for a while: the target is gone. */
  | { type: 'target-lost'; workerIndex: number; hosts: string[]; downMs: number };

export type CoordinatorToWorker =
  /** Set up (connect, prepare) and answer 'ready'; nothing is sent to the cluster yet. */
  | { type: 'phase'; plan: PhasePlan }
  /** Start at the common instant (every worker set up), stop scheduling at endAbsMs. */
  | { type: 'go'; startAbsMs: number; endAbsMs: number }
  | { type: 'stop'; reason: string }
  | { type: 'shutdown' };
