/**
 * Large partitions (scylla-reference.md §7): every node records the partitions, rows and cells
 * of its own sstables that crossed a threshold in `system.large_partitions` / `large_rows` /
 * `large_cells`, so each node is asked. The guidance's red line is 100 MB per partition (the
 * Cassandra-derived rule; Scylla's own warning default is 1000 MB, so the table may hold only
 * partitions far past the line, or smaller ones when the node's thresholds were lowered or a
 * partition has more than 100 000 rows).
 */
import { estimatePartitions, LARGE_PARTITION_BYTES, type PartitionEstimate } from '../../profile/partition-size.js';
import type { ResolvedProfile } from '../../profile/types.js';
import { num, str } from '../cluster.js';
import type { DoctorContext } from '../context.js';
import { GUIDANCE, type Evidence, type Finding } from '../types.js';
import { isSystemKeyspace, missingTable } from '../cluster.js';

/** The guidance's line (the same one the loader warns at before a run). */
export const RED_LINE_PARTITION_BYTES = LARGE_PARTITION_BYTES;

export interface LargeRecord {
  kind: 'partition' | 'row' | 'cell';
  keyspace: string;
  table: string;
  partitionKey: string;
  sizeBytes: number;
  rows: number | null;
  node: string;
  source: string;
}

export const LARGE_QUERIES = {
  partition: 'SELECT keyspace_name, table_name, partition_size, partition_key, rows FROM system.large_partitions',
  row: 'SELECT keyspace_name, table_name, row_size, partition_key, clustering_key FROM system.large_rows',
  cell: 'SELECT keyspace_name, table_name, cell_size, partition_key, column_name FROM system.large_cells',
} as const;

const mb = (b: number): string => `${(b / (1024 * 1024)).toFixed(1)} MB`;

/** The verdicts per table, from the records of every node (a partition is listed by each replica). */
export function judgeLarge(records: readonly LargeRecord[], nodesAsked: readonly Evidence[]): Finding[] {
  const check = 'partitions' as const;
  if (records.length === 0) {
    return [{ check, subject: 'cluster', status: 'PASS', summary: 'no large partition, row or cell recorded on any node', evidence: [...nodesAsked] }];
  }
  const byTable = new Map<string, LargeRecord[]>();
  for (const r of records) {
    const k = `${r.keyspace}.${r.table}`;
    byTable.set(k, [...(byTable.get(k) ?? []), r]);
  }
  const out: Finding[] = [];
  for (const [table, rs] of byTable) {
    // one line per distinct (kind, key): the largest size any replica recorded, and where
    const distinct = new Map<string, { r: LargeRecord; nodes: Set<string> }>();
    for (const r of rs) {
      const k = `${r.kind}\u0000${r.partitionKey}`;
      const d = distinct.get(k);
      if (!d) distinct.set(k, { r, nodes: new Set([r.node]) });
      else { d.nodes.add(r.node); if (r.sizeBytes > d.r.sizeBytes) d.r = r; }
    }
    const items = [...distinct.values()].sort((a, b) => b.r.sizeBytes - a.r.sizeBytes);
    const overLine = items.filter((d) => d.r.kind === 'partition' && d.r.sizeBytes > RED_LINE_PARTITION_BYTES);
    const evidence: Evidence[] = items.slice(0, 5).map((d) => ({
      source: d.r.source,
      detail: `${d.r.kind} ${d.r.partitionKey}: ${mb(d.r.sizeBytes)}${d.r.rows !== null ? `, ${d.r.rows} rows` : ''} (on ${[...d.nodes].sort().join(', ')})`,
    }));
    if (items.length > 5) evidence.push({ source: 'system.large_*', detail: `and ${items.length - 5} more` });
    const largest = items[0].r;
    if (overLine.length > 0) {
      out.push({
        check, subject: `table ${table}`, status: 'FAIL',
        summary: `${overLine.length} partition${overLine.length === 1 ? '' : 's'} over 100 MB (largest ${mb(overLine[0].r.sizeBytes)})`,
        evidence, fix: 'redesign the partition key: add a bucket (e.g. a time bucket or a hash of the clustering key) so each partition stays well under 100 MB',
        guidance: GUIDANCE.redLinePartitions,
      });
    } else {
      out.push({
        check, subject: `table ${table}`, status: 'WARN',
        summary: `large data recorded (largest ${largest.kind} ${mb(largest.sizeBytes)}${largest.rows !== null ? `, ${largest.rows} rows` : ''}), under the 100 MB line`,
        evidence, fix: 'watch its growth; a partition that keeps growing needs a bucket in its key (large rows/cells: split the value)',
        guidance: GUIDANCE.redLinePartitions,
      });
    }
  }
  return out;
}

export async function checkPartitions(ctx: DoctorContext): Promise<Finding[]> {
  const check = 'partitions' as const;
  const c = ctx.cluster;
  if (!c.scylla) {
    return [{ check, subject: 'cluster', status: 'SKIP', summary: 'not Scylla: Cassandra only logs large partitions (no system.large_partitions)', evidence: [{ source: `${c.contact.label} SUPPORTED`, detail: 'no SCYLLA_ keys' }] }];
  }
  const records: LargeRecord[] = [];
  const asked: Evidence[] = [];
  const out: Finding[] = [];
  for (const node of c.nodes) {
    if (!node.conn) continue;
    const counts: string[] = [];
    const failed: Evidence[] = [];
    for (const kind of ['partition', 'row', 'cell'] as const) {
      const table = `system.large_${kind}s`;
      const source = `${node.label} ${table}`;
      const a = await c.queryNode(node, LARGE_QUERIES[kind]);
      if (!a.ok) {
        failed.push({ source, detail: a.error });
        continue;
      }
      let n = 0;
      for (const r of a.rows) {
        const ks = String(r.keyspace_name);
        if (isSystemKeyspace(ks)) continue;
        n++;
        records.push({
          kind, keyspace: ks, table: String(r.table_name), partitionKey: str(r.partition_key) ?? '?',
          sizeBytes: num(r[`${kind}_size`]) ?? 0, rows: kind === 'partition' ? num(r.rows) : null, node: node.label, source,
        });
      }
      counts.push(`${table} ${n}`);
    }
    if (failed.length) {
      out.push({
        check, subject: `node ${node.label}`, status: 'WARN',
        summary: `cannot read ${failed.map((f) => f.source.split(' ').pop()).join(', ')}: partition sizes on this node are not known from here`,
        evidence: failed,
        fix: failed.every((f) => missingTable(f.detail))
          ? "this server keeps no large-data tables (Scylla fills system.large_* at flush and compaction): watch partition sizes another way (nodetool tablehistograms)"
          : "grant SELECT on system.large_partitions/large_rows/large_cells to the doctor's login",
        guidance: GUIDANCE.redLinePartitions,
      });
    }
    if (counts.length) asked.push({ source: `${node.label} system.large_*`, detail: `user rows: ${counts.join(', ')}` });
  }
  if (asked.length === 0) return out;
  return [...out, ...judgeLarge(records, asked)];
}

/**
 * The partitions the profile's workloads will build (profile/partition-size.ts: rows per
 * partition from the table's distribution × the row size its generators produce; a floor), per
 * table of the workloads its classes use: over the line FAIL before a single row is written.
 */
export function judgeEstimates(file: string, estimates: readonly (PartitionEstimate & { keyspace: string })[]): Finding[] {
  const check = 'partitions' as const;
  return estimates.map((e) => {
    const subject = `table ${e.keyspace}.${e.table} (profile estimate)`;
    const evidence: Evidence[] = [{
      source: file,
      detail: `workload ${e.workload}: rows per partition mean ${Math.round(e.rowsPerPartition.mean)}, max ${Math.round(e.rowsPerPartition.max)} × ${e.meanRowBytes} bytes per row (cells only) → mean ${mb(e.meanPartitionBytes)}, largest ${mb(e.maxPartitionBytes)}`,
    }];
    if (e.overRedLine) {
      return {
        check, subject, status: 'FAIL' as const, summary: `the profile builds partitions up to ${mb(e.maxPartitionBytes)}: over the 100 MB line`, evidence,
        fix: 'lower rows_per_partition (or the row size), or add a bucket to the partition key so each partition stays well under 100 MB',
        guidance: GUIDANCE.redLinePartitions,
      };
    }
    return { check, subject, status: 'PASS' as const, summary: `the profile builds partitions up to ${mb(e.maxPartitionBytes)}`, evidence };
  });
}

/** The estimates for the workloads the profile's classes use. */
export function profileEstimates(p: ResolvedProfile): Finding[] {
  const used = new Set(p.phases.flatMap((ph) => ph.classes.map((c) => c.workload)));
  const estimates = [...used].flatMap((name) => {
    const w = p.workloads[name];
    return w ? estimatePartitions(w, p.seed).map((e) => ({ ...e, keyspace: w.keyspace })) : [];
  });
  return judgeEstimates(p.file, estimates);
}
