/**
 * The resolved, validated profile: the one typed object the engine consumes. YAML files,
 * defaults and CLI overrides are folded into it by `loadProfile` (src/profile/load.ts).
 * Durations are milliseconds, rates ops/s; names carry units.
 */

export type RoutingMode = 'shard-aware' | 'token-aware' | 'round-robin' | 'driver';
export type ConsistencyName =
  | 'ANY' | 'ONE' | 'TWO' | 'THREE' | 'QUORUM' | 'ALL' | 'LOCAL_QUORUM' | 'EACH_QUORUM'
  | 'SERIAL' | 'LOCAL_SERIAL' | 'LOCAL_ONE';

/** Where a value came from in a YAML file, for one-line errors (`file:line:col`). */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

export interface TargetSpec {
  /** Empty means: start the built-in emulator in-process. */
  hosts: { host: string; port: number }[];
  datacenter?: string;
  /** Names of the env vars holding credentials; the values are read at connect time only. */
  usernameEnv?: string;
  passwordEnv?: string;
  passwordFileEnv?: string;
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  /** Emulator shape when hosts is empty. */
  sim: { nodes: number; shards: number };
}

export interface ServiceLevelSpec {
  timeoutMs?: number;
  workloadType?: 'interactive' | 'batch';
  shares?: number;
}

/** A distribution over non-negative integers or reals, sampled by a pure function of (seed, cycle). */
export type Distribution =
  | { kind: 'fixed'; value: number }
  | { kind: 'sequence'; start: number; end: number }
  | { kind: 'uniform'; min: number; max: number }
  | { kind: 'gaussian'; mean: number; stddev: number; min?: number; max?: number }
  | { kind: 'zipf'; n: number; s: number }
  | { kind: 'exponential'; mean: number; max?: number };

/**
 * How one column's values are made. Every generator is a pure function of
 * (seed, key index or cycle, column): the same inputs always give the same value.
 */
export type GeneratorSpec =
  | { kind: 'dist'; dist: Distribution }                  // numbers (int, bigint, double...) drawn from a distribution
  | { kind: 'text'; length: Distribution; alphabet?: string }
  | { kind: 'blob'; size: Distribution }
  | { kind: 'uuid' }
  | { kind: 'timeuuid' }
  | { kind: 'now' }                                       // timestamp of the operation's intended start
  | { kind: 'choice'; values: unknown[]; weights?: number[] }
  | { kind: 'fixed'; value: unknown };

export interface ColumnGen {
  table: string;
  column: string;
  /** CQL type text as declared in the schema (e.g. 'int', 'frozen<list<text>>'). */
  type: string;
  gen: GeneratorSpec;
  pos: SourcePos;
}

export interface TableModel {
  name: string;
  /** Partition-key and clustering-key column names, in order. */
  partitionKey: string[];
  clusteringKey: string[];
  /**
   * Number of distinct partitions the workload addresses, and rows per partition (a
   * distribution: it decides partition size, a red line).
   */
  partitions: number;
  rowsPerPartition: Distribution;
}

export interface OperationSpec {
  name: string;
  /** CQL with `?` markers; each marker is filled from the generator of the column it binds. */
  cql: string;
  consistency: ConsistencyName;
  serialConsistency?: ConsistencyName;
  pageSize?: number;
  /** Batch of N rows of one partition (same statement, N clustering rows). */
  batchRows?: number;
  batchType?: 'logged' | 'unlogged';
  idempotent: boolean;
  /** 'write' ops decide which rows exist; 'read' and 'scan' target them. */
  kind: 'read' | 'write' | 'scan';
  /** For scans: split the token ring into this many ranges (`token(pk) > ? AND token(pk) <= ?`). */
  scanRanges?: number;
  pos: SourcePos;
}

export interface WorkloadSpec {
  name: string;
  file: string;
  keyspace: string;
  /** CQL DDL as written by the user (keyspace, types, tables, views), in order. */
  schema: string[];
  tables: TableModel[];
  columns: ColumnGen[];
  operations: Record<string, OperationSpec>;
}

export interface SloSpec {
  p50Ms?: number;
  p99Ms?: number;
  p999Ms?: number;
  maxErrorRatio?: number;
}

export interface ClassSpec {
  name: string;
  workload: string;
  /** op name → weight (> 0). */
  mix: Record<string, number>;
  /** Open loop: target ops/s for this class across all workers. */
  rateOpsPerSec?: number;
  /** Closed loop: requests kept in flight across all workers. */
  concurrency?: number;
  maxInFlight: number;
  serviceLevel?: string;
  routing?: RoutingMode;
  slo?: SloSpec;
  pos: SourcePos;
}

export interface PhaseSpec {
  name: string;
  kind: 'schema' | 'load' | 'warmup' | 'measure';
  durationMs?: number;
  /** For load phases: total operations (split across classes by their mix). */
  count?: number;
  classes: ClassSpec[];
  pos: SourcePos;
}

export interface ResolvedProfile {
  name: string;
  file: string;
  seed: number;
  target: TargetSpec;
  routing: RoutingMode;
  workers: number;
  pin: boolean;
  serviceLevels: Record<string, ServiceLevelSpec>;
  workloads: Record<string, WorkloadSpec>;
  phases: PhaseSpec[];
}
