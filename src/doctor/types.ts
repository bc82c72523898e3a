/**
 * What `doctor` reports: one finding per check and subject (a node, a table, a class…), each
 * with its verdict, the evidence it read (what, and from where) and the fix in a line or two,
 * mapped to ScyllaDB's production guidance (its red lines, common errors and checklist).
 */

/** SKIP: the check does not apply to this target (e.g. service levels on Cassandra); it never fails a run. */
export type Status = 'PASS' | 'WARN' | 'FAIL' | 'SKIP';

export interface Evidence {
  /** Where it was read: `127.0.0.1:9042 system.clients`, `http://…/metrics`, `profiles/x.yaml`, a result dir. */
  source: string;
  /** What was read there, as figures. */
  detail: string;
}

export type CheckId =
  | 'shard-aware' | 'clients' | 'compaction' | 'workload-types' | 'partitions'
  | 'shard-imbalance' | 'replication' | 'prepared-statements' | 'monitoring';

export interface Finding {
  check: CheckId;
  /** What the finding is about: `node 127.0.0.1`, `table ks.t`, `class oltp`, `cluster`. */
  subject: string;
  status: Status;
  /** One line: the verdict in words. */
  summary: string;
  evidence: Evidence[];
  /** The fix, one or two lines; absent on PASS and SKIP. */
  fix?: string;
  /** The guidance item this maps to (a red line, a common error, a checklist entry). */
  guidance?: string;
}

export interface DoctorReport {
  target: string;
  startedAt: string;
  /** What was given: the profile, metrics endpoints, a result. */
  inputs: { profile: string | null; metricsUrls: string[]; result: string | null };
  findings: Finding[];
  /** Counts by status. */
  totals: Record<Status, number>;
}

/** The guidance items (../shared scylla-guidance.md), named once so findings cite them the same way. */
export const GUIDANCE = {
  redLineShardAware: 'red line: clients that are not shard-aware (a 2–4× latency penalty)',
  redLinePartitions: 'red line: partitions larger than 100 MB',
  redLineCompaction: 'red line: compaction left untuned for the workload',
  redLineWorkloadTypes: 'red line: workload types not configured (everything on the default service level)',
  redLineImbalance: 'red line: no monitoring of shard imbalance',
  practicePrepared: 'practice 1: prepared statements',
  practiceReplication: 'checklist: a production keyspace (NetworkTopologyStrategy, RF ≥ 3)',
  errorReadTimeouts: 'common error: read timeouts / a shard reports Overloaded → look at shard balance and hot partitions',
  checklistMonitoring: 'checklist: monitoring in place (Prometheus + Grafana)',
} as const;

export function totalsOf(findings: readonly Finding[]): Record<Status, number> {
  const t: Record<Status, number> = { PASS: 0, WARN: 0, FAIL: 0, SKIP: 0 };
  for (const f of findings) t[f.status]++;
  return t;
}
