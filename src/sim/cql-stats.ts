/**
 * Per-shard CQL counters under Scylla's metric names, for what monitoring and `doctor` read:
 *
 * - `scylla_query_processor_statements_prepared`: statements parsed (cql3/query_processor.cc
 *   `get_statement`): every QUERY, every unprepared statement of a BATCH, and a PREPARE whose
 *   id this shard's prepared cache does not hold yet (each shard has its own cache).
 * - `scylla_cql_{reads,inserts,updates,deletes}_per_ks{ks="system",who="user"}`: client
 *   statements on system keyspaces, prepared or not (drivers' metadata queries); Scylla
 *   Monitoring's `cql:non_prepared` is statements_prepared minus these.
 * - `scylla_transport_cql_requests_count{kind,scheduling_group_name}`: CQL messages by opcode
 *   and the connection's scheduling group (transport/server.cc `cql_sg_stats`; series with a
 *   zero count are skipped, as `set_skip_when_empty`).
 * - `scylla_reactor_utilization`: the shard's busy share (%) as the capacity model charged it,
 *   over the last period (at least `UTILIZATION_PERIOD_MS`, as Seastar refreshes it once a period).
 */
import type { Statement } from '../cql/parser/index.js';
import { Opcode } from '../cql/frame.js';
import type { SimShard } from './cluster.js';

export const UTILIZATION_PERIOD_MS = 1000;

const OPCODE_NAMES = new Map<number, string>(Object.entries(Opcode).map(([k, v]) => [v as number, k]));
const MAX_OPCODE = Math.max(...OPCODE_NAMES.keys());

export interface CqlStats {
  parsed: number;
  /** ids this shard's prepared cache holds (a PREPARE of another id parses) */
  preparedIds: Set<string>;
  /** level name → messages by opcode (an array: no allocation per message) */
  requests: Map<string, number[]>;
  /** user statements on system keyspaces, by statement type */
  systemKs: { reads: number; inserts: number; updates: number; deletes: number };
  utilization: { atNs: bigint; busyNs: number; pct: number };
}

const stats = new WeakMap<SimShard, CqlStats>();

export function cqlStatsOf(shard: SimShard): CqlStats {
  let s = stats.get(shard);
  if (!s) {
    s = {
      parsed: 0, preparedIds: new Set(), requests: new Map(), systemKs: { reads: 0, inserts: 0, updates: 0, deletes: 0 },
      utilization: { atNs: process.hrtime.bigint(), busyNs: shard.queue.busyNs, pct: 0 },
    };
    stats.set(shard, s);
  }
  return s;
}

/** One CQL message of `opcode`, received while the connection ran under level `level`. */
export function countMessage(shard: SimShard, level: string, opcode: number): void {
  if (opcode > MAX_OPCODE) return; // answered as a protocol error; Scylla has no kind for it
  const m = cqlStatsOf(shard).requests;
  let byOpcode = m.get(level);
  if (!byOpcode) m.set(level, (byOpcode = new Array<number>(MAX_OPCODE + 1).fill(0)));
  byOpcode[opcode]++;
}

/** The shard's messages as [scheduling group, kind, count], non-zero only, in a stable order. */
export function messageCounts(shard: SimShard): [string, string, number][] {
  const requests = cqlStatsOf(shard).requests;
  const out: [string, string, number][] = [];
  for (const level of [...requests.keys()].sort()) {
    const mine: [string, string, number][] = [];
    requests.get(level)!.forEach((n, op) => {
      if (n > 0) mine.push([`sl:${level}`, OPCODE_NAMES.get(op) ?? `0x${op.toString(16)}`, n]);
    });
    out.push(...mine.sort((x, y) => (x[1] < y[1] ? -1 : 1)));
  }
  return out;
}

/** A statement parsed on this shard (a QUERY, an unprepared BATCH child). */
export function countParsed(shard: SimShard): void {
  cqlStatsOf(shard).parsed++;
}

/** A PREPARE: parsed only when this shard's cache lacks the id. */
export function countPrepare(shard: SimShard, id: Buffer): void {
  const s = cqlStatsOf(shard);
  const k = id.toString('latin1');
  if (s.preparedIds.has(k)) return;
  s.preparedIds.add(k);
  s.parsed++;
}

/** A statement executed for a client: counted per type when it targets a system keyspace. */
export function countStatement(shard: SimShard, st: Statement, sessionKeyspace: string | undefined): void {
  let kind: keyof CqlStats['systemKs'];
  switch (st.kind) {
    case 'select': kind = 'reads'; break;
    case 'insert': kind = 'inserts'; break;
    case 'update': kind = 'updates'; break;
    case 'delete': kind = 'deletes'; break;
    case 'batch':
      for (const c of st.statements) countStatement(shard, c, sessionKeyspace);
      return;
    default: return;
  }
  const ks = st.table.keyspace ?? sessionKeyspace;
  if (ks !== undefined && ks.startsWith('system')) cqlStatsOf(shard).systemKs[kind]++;
}

/** The shard's busy share (%) over the last period: refreshed when a period has passed since the last refresh. */
export function reactorUtilization(shard: SimShard): number {
  const u = cqlStatsOf(shard).utilization;
  const now = process.hrtime.bigint();
  const elapsedNs = Number(now - u.atNs);
  if (elapsedNs >= UTILIZATION_PERIOD_MS * 1e6) {
    u.pct = Math.min(100, Math.max(0, ((shard.queue.busyNs - u.busyNs) / elapsedNs) * 100));
    u.atNs = now;
    u.busyNs = shard.queue.busyNs;
  }
  return u.pct;
}
