/**
 * The resolved, validated profile: the one typed object the engine consumes. YAML files,
 * defaults and CLI overrides are folded into it by `loadProfile` (src/profile/load.ts).
 * Durations are milliseconds, rates ops/s; names carry units.
 */
import type { GateRules } from './gate-rules.js';

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
  sim: { nodes: number; shards: number; costs?: SimCostsSpec };
}

/**
 * (additive) Shard-time costs of the built-in emulator's capacity model, µs; absent fields keep
 * the emulator's defaults (docs/sim.md). Same names as the emulator's CostModel.
 */
export interface SimCostsSpec {
  coordinatorUs?: number;
  readUs?: number;
  writeUs?: number;
  scanUs?: number;
  scanRowUs?: number;
  batchStatementUs?: number;
  crossShardHopUs?: number;
  systemUs?: number;
  schemaUs?: number;
}

export interface ServiceLevelSpec {
  timeoutMs?: number;
  workloadType?: 'interactive' | 'batch';
  shares?: number;
}

/** A distribution over non-negative integers or reals, sampled by a pure function of (seed, cycle). */
export type Distribution =
  | { kind: 'fixed'; value: number }
  /** start + floor(index / repeat) mod (end - start + 1); `repeat` (≥ 1, default 1) is additive. */
  | { kind: 'sequence'; start: number; end: number; repeat?: number }
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
  | { kind: 'fixed'; value: unknown }
  /**
   * (additive) The index itself, mapped injectively into the column type: distinct indexes give
   * distinct values. The default for primary-key columns (partition index / row index).
   */
  | { kind: 'key' }
  /** (additive) list/set/map of `size` elements, each from its type's default generator. */
  | { kind: 'collection'; size: Distribution };

export interface ColumnGen {
  table: string;
  column: string;
  /** CQL type text as declared in the schema (e.g. 'int', 'frozen<list<text>>'). */
  type: string;
  gen: GeneratorSpec;
  pos: SourcePos;
  /**
   * (additive) For a view's column: the base table it copies. Generators must be keyed by
   * the base column (`generatorName`), so a view read computes the values the base write stored.
   */
  baseTable?: string;
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
  /** (additive) Base table whose rows the op writes or reads (a view's base for view reads). */
  table?: string;
  /** (additive) The table or view named in the CQL, when it differs from `table`. */
  view?: string;
  /** (additive) What each `?` binds, in order (filled by the loader from the CQL). */
  markers?: MarkerSpec[];
  /**
   * (additive) How reads choose among existing rows: absent = uniform; zipf = hot partitions
   * (rank 1 is partition 0), `n` being the table's partition count.
   */
  select?: Distribution;
}

/** (additive) What one `?` marker of an operation binds. */
export type MarkerSpec =
  | { kind: 'column'; column: string; role: 'partition' | 'clustering' | 'static' | 'regular' }
  | { kind: 'token-lower' }
  | { kind: 'token-upper' };

/** (additive) A materialized view: readable by ops, its rows are the base table's rows. */
export interface ViewModel {
  name: string;
  base: string;
  partitionKey: string[];
  clusteringKey: string[];
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
  /** (additive) Materialized views declared in the schema. */
  views?: ViewModel[];
}

export interface SloSpec {
  p50Ms?: number;
  p99Ms?: number;
  p999Ms?: number;
  /** (additive) Limit on the maximum latency. */
  maxMs?: number;
  maxErrorRatio?: number;
}

/** The one op of a `kind: cdc` class: time a change was read − its `cdc$time`. */
export const CDC_LAG_OP = 'cdc-lag';

/**
 * (additive) A `kind: cdc` class: a consumer following one table's CDC log as scylla-cdc-go
 * does (docs/profiles.md). Durations in ms; the defaults are scylla-cdc-go's
 * (`AdvancedReaderConfig.setDefaults`).
 */
export interface CdcConsumerSpec {
  /** The base table (of the class's workload) whose `<table>_scylla_cdc_log` is followed. */
  table: string;
  /** A change is read once it is at least this old (30 s). */
  confidenceWindowMs: number;
  /** Width of one query's `cdc$time` window (30 s). */
  queryWindowMs: number;
  /** Sleep after a window that returned changes (10 s) / none (30 s), from the window's start. */
  postNonEmptyQueryDelayMs: number;
  postEmptyQueryDelayMs: number;
  /** Back-off after a failed query: from 1 s, doubling, up to 30 s. */
  postFailedQueryDelayMs: number;
  maxPostFailedQueryDelayMs: number;
  /** Polls for a new generation every 15 s (backing off to 5 min on errors). */
  postGenerationFetchDelayMs: number;
  maxPostGenerationFetchDelayMs: number;
  /** After the writers stop: read on for at most this long to catch up (default confidence + empty delay + 5 s). */
  drainMs: number;
  consistency: ConsistencyName;
  /** Rows per page of a log query. */
  pageSize: number;
}

export interface ClassSpec {
  name: string;
  /** (additive) Absent: a load class (mix at a rate or concurrency); 'cdc': a CDC consumer (`cdc`). */
  kind?: 'cdc';
  cdc?: CdcConsumerSpec;
  workload: string;
  /** op name → weight (> 0); empty for a cdc class (its one op is `cdc-lag`). */
  mix: Record<string, number>;
  /** Open loop: target ops/s for this class across all workers. */
  rateOpsPerSec?: number;
  /** Closed loop: requests kept in flight across all workers. */
  concurrency?: number;
  maxInFlight: number;
  serviceLevel?: string;
  routing?: RoutingMode;
  slo?: SloSpec;
  /** (additive) Poll the views of a sample of this class's writes: `view-lag` (engine/view-lag.ts). */
  viewLag?: ViewLagSpec;
  /** Check every row this class's reads return against the generators (`--validate` sets it on every class). */
  validate?: boolean;
  pos: SourcePos;
}

/** (additive) How a class measures view lag (docs/profiles.md `view_lag`). */
export interface ViewLagSpec {
  /** Fraction of the class's writes to tables with views that are followed, (0, 1]. */
  sample: number;
  pollMs: number;
  timeoutMs: number;
  consistency: ConsistencyName;
  /** Only these views (default: every view of the written table). */
  views?: string[];
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
  /** No worker count was asked for (flag or profile): `workers` is one per core, and the CLI may lower it to leave room for a local emulator. */
  workersAuto: boolean;
  pin: boolean;
  serviceLevels: Record<string, ServiceLevelSpec>;
  workloads: Record<string, WorkloadSpec>;
  phases: PhaseSpec[];
  /** Regression gate rules (`gate:`), used by `gate` and `run --baseline`. */
  gate?: GateRules;
}
