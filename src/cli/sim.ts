/**
 * `scylla-bench sim`: flag parsing for the built-in emulator as a standalone server; the body is
 * src/sim/cli.ts (runSimCommand). Faults can be set here and changed later over the admin API.
 */
import { runSimCommand, type SimCommandOptions } from '../sim/cli.js';
import type { FaultConfig } from '../sim/faults.js';
import { UserError } from './exit.js';

export interface SimFlags {
  nodes: number;
  shards: number;
  host: string;
  port: number;
  shardAwarePort: number;
  metricsPort?: number;
  /** each node's own /metrics on its address (Scylla: 9180) */
  nodeMetricsPort?: number;
  auth: boolean;
  tablets: boolean;
  capacity: boolean;
  crossShardUs?: number;
  readUs?: number;
  writeUs?: number;
  /** `read=5`, `all=1` (ms), `read=lognormal:p50=2,p99=8` */
  latency?: string[];
  /** `node:shard:durationMs[:periodMs]` */
  stall?: string[];
  /** `code@rate`, e.g. `0x1001@0.01` */
  error?: string[];
  /** `rate[@[ks.]table[:column]]`: a flipped cell in a fraction of reads */
  corrupt?: string;
  /** a fraction of CL ONE writes acknowledged and not stored */
  loseWrites?: string;
  /** compaction_large_partition_warning_threshold_mb (MB; fractions allowed) */
  largePartitionMb?: number;
  /** compaction_rows_count_warning_threshold */
  largeRowsCount?: number;
  /** how often each node flushes and records large data (ms; 0: never by itself) */
  flushIntervalMs?: number;
  /** asynchronous view updates: base delay and growth per pending update (ms) */
  viewDelayMs?: number;
  viewDelayPerPendingMs?: number;
}

const KINDS = ['all', 'read', 'write', 'scan', 'batch', 'schema', 'system', 'other'];

export function faultsOf(f: Pick<SimFlags, 'latency' | 'stall' | 'error' | 'corrupt' | 'loseWrites'>): FaultConfig | undefined {
  const c: FaultConfig = {};
  for (const l of f.latency ?? []) {
    const num = String.raw`(\d+(?:\.\d+)?)`;
    const m = new RegExp(String.raw`^([a-z]+)=(?:${num}|lognormal:p50=${num},p99=${num})$`).exec(l);
    if (!m || !KINDS.includes(m[1])) throw new UserError(`--latency: expected <kind>=<ms> or <kind>=lognormal:p50=<ms>,p99=<ms> with kind in ${KINDS.join('|')}, got '${l}'`);
    if (m[2] !== undefined) {
      (c.latencyMs ??= {})[m[1] as 'read'] = Number(m[2]);
    } else {
      const p50 = Number(m[3]);
      const p99 = Number(m[4]);
      if (!(p50 > 0) || !(p99 >= p50)) throw new UserError(`--latency: lognormal needs 0 < p50 ≤ p99, got '${l}'`);
      (c.latencyMs ??= {})[m[1] as 'read'] = { lognormal: { p50, p99 } };
    }
  }
  for (const s of f.stall ?? []) {
    const m = /^(\d+):(\d+):(\d+)(?::(\d+))?$/.exec(s);
    if (!m) throw new UserError(`--stall: expected node:shard:durationMs[:periodMs] (node from 0), got '${s}'`);
    (c.stalls ??= []).push({ node: Number(m[1]), shard: Number(m[2]), durationMs: Number(m[3]), periodMs: m[4] ? Number(m[4]) : undefined });
  }
  for (const e of f.error ?? []) {
    const m = /^(0x[0-9a-fA-F]+|\d+)@(0(?:\.\d+)?|1(?:\.0+)?)$/.exec(e);
    if (!m) throw new UserError(`--error: expected <code>@<rate>, e.g. 0x1001@0.01, got '${e}'`);
    (c.errors ??= []).push({ code: Number(m[1]), rate: Number(m[2]) });
  }
  if (f.corrupt !== undefined) {
    const m = /^(0(?:\.\d+)?|1(?:\.0+)?)(?:@([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?)(?::([A-Za-z_]\w*))?)?$/.exec(f.corrupt);
    if (!m) throw new UserError(`--corrupt: expected <rate>[@[ks.]table[:column]] with rate in 0..1, e.g. 0.05@sb_kv.users:email, got '${f.corrupt}'`);
    c.corrupt = { rate: Number(m[1]), ...(m[2] ? { table: m[2] } : {}), ...(m[3] ? { column: m[3] } : {}) };
  }
  if (f.loseWrites !== undefined) {
    if (!/^(0(?:\.\d+)?|1(?:\.0+)?)$/.test(f.loseWrites)) throw new UserError(`--lose-writes: expected a fraction of writes in 0..1, got '${f.loseWrites}'`);
    c.loseWrites = { rate: Number(f.loseWrites) };
  }
  return Object.keys(c).length > 0 ? c : undefined;
}

export function simOptionsOf(f: SimFlags): SimCommandOptions {
  const within = (flag: string, v: number, max: number): void => {
    if (!Number.isInteger(v) || v < 1 || v > max) throw new UserError(`${flag}: expected an integer 1..${max}, got ${v}`);
  };
  within('--nodes', f.nodes, 64);
  within('--shards', f.shards, 256);
  within('--port', f.port, 65535);
  within('--shard-aware-port', f.shardAwarePort, 65535);
  if (f.nodeMetricsPort !== undefined) within('--node-metrics-port', f.nodeMetricsPort, 65535);
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(f.host)) throw new UserError(`--host: the emulator listens on loopback (127.x.y.z) only, got '${f.host}'`);
  const costs: SimCommandOptions['costs'] = {};
  if (f.crossShardUs !== undefined) costs.crossShardHopUs = f.crossShardUs;
  if (f.readUs !== undefined) costs.readUs = f.readUs;
  if (f.writeUs !== undefined) costs.writeUs = f.writeUs;
  const largeData: SimCommandOptions['largeData'] = {};
  if (f.largePartitionMb !== undefined) largeData.partitionMb = f.largePartitionMb;
  if (f.largeRowsCount !== undefined) largeData.rowsCount = f.largeRowsCount;
  return {
    nodes: f.nodes, shards: f.shards, host: f.host, port: f.port, shardAwarePort: f.shardAwarePort,
    metricsPort: f.metricsPort, nodeMetricsPort: f.nodeMetricsPort, auth: f.auth, tablets: f.tablets, capacity: f.capacity, costs, faults: faultsOf(f),
    largeData, ...(f.flushIntervalMs !== undefined ? { flushIntervalMs: f.flushIntervalMs } : {}),
    ...(f.viewDelayMs !== undefined ? { viewDelayMs: f.viewDelayMs } : {}),
    ...(f.viewDelayPerPendingMs !== undefined ? { viewDelayPerPendingMs: f.viewDelayPerPendingMs } : {}),
  };
}

export function simCommand(f: SimFlags): Promise<number> {
  return runSimCommand(simOptionsOf(f));
}
