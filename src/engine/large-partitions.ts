/**
 * After a run: the partitions the cluster itself recorded as large. Scylla writes
 * `system.large_partitions` when it writes an sstable (a memtable flush or a compaction), one
 * record per partition over `compaction_large_partition_warning_threshold_mb` (or with more rows
 * than `compaction_rows_count_warning_threshold`); the table is node-local, so every node is
 * asked on its own connection. Cassandra has no such table: then there is nothing to report
 * (undefined, no warning). The engine triggers no flush: a run shorter than the cluster's flush
 * cycle may find nothing yet.
 */
import { Connection, type Credentials, type TlsOptions } from '../cql/connection.js';
import { decodeRows } from '../cql/rows.js';
import { LARGE_PARTITION_BYTES } from '../profile/partition-size.js';
import type { LargePartitionRecord } from '../results/result.js';

export interface LargePartitionQuery {
  nodes: { host: string; port: number }[];
  credentials?: Credentials;
  tls?: TlsOptions;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  /** The run's tables: keyspace → table names. */
  tables: { keyspace: string; table: string }[];
}

const quote = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/**
 * Every node's records for the run's tables, one entry per (table, partition) with the largest
 * size any replica recorded and the nodes that recorded it; undefined when the target has no
 * system.large_partitions (Cassandra) or no node could be asked.
 */
export async function readLargePartitions(q: LargePartitionQuery): Promise<LargePartitionRecord[] | undefined> {
  const byKey = new Map<string, LargePartitionRecord>();
  let asked = 0;
  for (const n of q.nodes) {
    let c: Connection | undefined;
    try {
      c = await Connection.connect({
        host: n.host, port: n.port, credentials: q.credentials, tls: q.tls,
        connectTimeoutMs: q.connectTimeoutMs, requestTimeoutMs: q.requestTimeoutMs,
      });
      for (const t of q.tables) {
        const r = await c.query(`SELECT partition_key, partition_size, rows FROM system.large_partitions WHERE keyspace_name = ${quote(t.keyspace)} AND table_name = ${quote(t.table)}`);
        if (r.kind !== 'rows') continue;
        for (const row of decodeRows(r)) {
          const partitionKey = String(row.partition_key);
          const bytes = Number(row.partition_size as bigint);
          const rows = row.rows === null || row.rows === undefined ? null : Number(row.rows as bigint);
          const key = `${t.keyspace}.${t.table}\u0000${partitionKey}`;
          const rec = byKey.get(key);
          const node = `${n.host}:${n.port}`;
          if (!rec) byKey.set(key, { keyspace: t.keyspace, table: t.table, partitionKey, partitionBytes: bytes, rows, nodes: [node] });
          else {
            if (bytes > rec.partitionBytes) rec.partitionBytes = bytes;
            if (rows !== null && (rec.rows === null || rows > rec.rows)) rec.rows = rows;
            if (!rec.nodes.includes(node)) rec.nodes.push(node);
          }
        }
      }
      asked++;
    } catch {
      // Cassandra (no such table), or a node that is down: the others may still answer
    } finally {
      await c?.close().catch(() => {});
    }
  }
  if (asked === 0) return undefined;
  return [...byKey.values()].sort((a, b) => b.partitionBytes - a.partitionBytes);
}

/** One warning per table with records: how many, the largest, and whether it passes 100 MB. */
export function largePartitionWarnings(records: LargePartitionRecord[]): string[] {
  const byTable = new Map<string, LargePartitionRecord[]>();
  for (const r of records) {
    const k = `${r.keyspace}.${r.table}`;
    byTable.set(k, [...(byTable.get(k) ?? []), r]);
  }
  return [...byTable].map(([t, rs]) => {
    const top = rs[0];
    const mb = (top.partitionBytes / 1048576).toFixed(top.partitionBytes < 10 * 1048576 ? 1 : 0);
    const over = rs.filter((r) => r.partitionBytes > LARGE_PARTITION_BYTES).length;
    return `table ${t}: ${rs.length} partition${rs.length === 1 ? '' : 's'} recorded in system.large_partitions (over the cluster's threshold; largest ${mb} MB${top.rows !== null ? `, ${top.rows} rows` : ''}, key ${top.partitionKey})${over > 0 ? `; ${over} over ScyllaDB's 100 MB red line` : ''}`;
  });
}
