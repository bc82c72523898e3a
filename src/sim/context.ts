/**
 * Shapes shared by the statement planners and the protocol layer: the session a request runs in,
 * its parameters, what a plan returns, and the compiled-plan interface.
 */
import type { WriteViewUpdates } from './view-backlog.js';
import type { ColumnSpec, SchemaChange } from '../cql/messages.js';
import type { Cluster, SimNode, SimShard } from './cluster.js';
import type { Bound } from './values.js';
import type { KeyspaceMeta } from './schema.js';
import type { PartitionWrite } from './mutation.js';

/** Connection-level state a statement may read or change (USE). */
export interface Session {
  cluster: Cluster;
  /** The coordinator: the node and shard that accepted the connection. */
  node: SimNode;
  shard: SimShard;
  keyspace?: string;
  user?: string;
  /** SCYLLA_LWT_ADD_METADATA_MARK negotiated */
  lwtMark: boolean;
  /** TABLETS_ROUTING_V1 negotiated */
  tabletsRouting: boolean;
}

export interface ExecParams {
  consistency: number;
  serialConsistency?: number;
  pageSize?: number;
  pagingState?: Buffer | null;
  /** client-supplied default timestamp, µs */
  timestampUs?: bigint;
}

export type ExecResult =
  | { kind: 'void' }
  | { kind: 'rows'; columns: ColumnSpec[]; rows: (Buffer | null)[][]; pagingState?: Buffer }
  | { kind: 'set_keyspace'; keyspace: string }
  | { kind: 'schema_change'; change: SchemaChange };

/** What the protocol layer adds around a result (warnings, tablets payload), and what the capacity model needs. */
export interface ExecExtras {
  warnings?: string[];
  customPayload?: Map<string, Buffer>;
  /** replica shards that did work for this request (capacity model) */
  replicaShards?: SimShard[];
  /** replicas the consistency level waits for */
  blockFor?: number;
  /** the coordinator handed the request to another shard of its node */
  hop?: boolean;
  /** rows visited by a scan */
  rowsScanned?: number;
  /** shards whose stores a range scan read: they share its work (Scylla's multishard reader) */
  scanShards?: SimShard[];
  /** view updates of the base writes, handed to the view backlog once the reply time is known */
  viewUpdates?: WriteViewUpdates[];
}

/** Kinds of work, for per-kind costs and counters. */
export type OpKind = 'read' | 'write' | 'scan' | 'batch' | 'schema' | 'system' | 'other';

/** A statement compiled against the schema; re-compiled when the schema changes. */
export interface Plan {
  readonly opKind: OpKind;
  /** Bind markers as PREPARED metadata describes them. */
  readonly bindSpecs: ColumnSpec[];
  /** Index of the marker binding each partition key column (empty when not all are bound by markers). */
  readonly pkIndexes: number[];
  /** Result columns (empty for non-SELECT). */
  readonly resultColumns: ColumnSpec[];
  /** A conditional (LWT) statement: PREPARED sets the LWT flag bit when negotiated. */
  readonly isLwt: boolean;
  /** Keyspace the statement was compiled in (for the prepared id) and the schema generation. */
  readonly generation: number;
  /** keyspace and table named in timeout messages */
  readonly target?: { keyspace: string; table: string };
  /** USING TIMEOUT of this execution, ms (undefined: the default for the kind) */
  timeoutMs?(bound: Bound): number | undefined;
  /** A counter write (its default timeout differs) */
  readonly isCounter?: boolean;
  execute(session: Session, bound: Bound, params: ExecParams, extras: ExecExtras): ExecResult;
  /** For INSERT/UPDATE/DELETE: what a protocol BATCH needs to combine several statements. */
  readonly batchable?: Batchable;
}

/** A modification statement's write producer, used by protocol-level BATCH. */
export interface Batchable {
  keyspace: KeyspaceMeta;
  isCounter: boolean;
  hasConditions: boolean;
  writes(session: Session, bound: Bound, params: ExecParams, tsOverride?: number): PartitionWrite[];
}

export const LWT_FLAG = 0x80000000 | 0;
