/**
 * The messages between the coordinator and its workers. Plain structured-clone data only:
 * histograms travel encoded (HdrHistogram compressed base64), shared counters as
 * SharedArrayBuffers.
 */
import type { Credentials, TlsOptions } from '../cql/connection.js';
import type { ReplicationStrategy } from '../routing/ring.js';
import type { ClusterFacts } from './cluster.js';
import type { ResolvedProfile, ViewLagSpec } from '../profile/types.js';
import type { Segment } from '../profile/segment.js';
import type { WorkerInterval } from '../results/phase.js';
import type { ValidationPlan } from './validate.js';

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
  /** --validate: the run's shared row states (absent: nothing is validated or tracked). */
  validation?: ValidationPlan;
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
  /** --validate / `validate: true`: check what this class's reads return. */
  validate?: boolean;
  /** Stop after this many ops across all workers (load phases); with a segment, across all loaders (a global count). */
  countLimit?: number;
  /**
   * Int32Array view: [0] next schedule slot (open loop) or next op ticket (closed loop with
   * countLimit); [1] next write cycle (shared so writes across workers enumerate distinct rows).
   */
  counters: SharedArrayBuffer;
  /** Follow a sample of the class's writes into their views (view-lag.ts). */
  viewLag?: ViewLagSpec;
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
  /**
   * `run --segment i/n`: this loader's share of every class (profile/segment.ts): its slots,
   * tickets and write-cycle blocks are the global ones ≡ i mod n. {0, 1} for a lone loader.
   */
  segment: Segment;
  classes: ClassPlan[];
}

export type { ClassInterval, NodeHealth, OpInterval } from '../results/phase.js';

/** A worker's second of a phase: the data results/phase.ts merges, as a message. */
export interface IntervalReport extends WorkerInterval {
  type: 'interval';
  phaseIndex: number;
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
