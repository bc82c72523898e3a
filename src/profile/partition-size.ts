/**
 * Partition sizes a workload will build, estimated before the run (ScyllaDB's red line: a
 * partition over 100 MB). Rows per partition come from the table's distribution (its mean and
 * its largest value); the row size from the generators themselves: a sample of rows is generated
 * and each value serialized as the native protocol carries it. Cells only — no per-row or sstable
 * overhead — so the figure is a floor, which is what a red line needs.
 */
import { serialize } from '../cql/codecs.js';
import { parseCqlType } from './cql.js';
import { compileGenerator, generatorName } from './generators.js';
import type { Distribution, WorkloadSpec } from './types.js';

/** The red line of ScyllaDB's guidance. */
export const LARGE_PARTITION_BYTES = 100 * 1024 * 1024;
const SAMPLE_ROWS = 200;

export interface PartitionEstimate {
  workload: string;
  table: string;
  /** Mean serialized size of a row's cells (clustering and regular columns; the key is stored once). */
  meanRowBytes: number;
  rowsPerPartition: { mean: number; max: number };
  meanPartitionBytes: number;
  /** The largest partition the workload's distribution allows. */
  maxPartitionBytes: number;
  overRedLine: boolean;
}

/** Mean and largest value of a distribution (∞ maxima are capped by what the index can reach). */
export function distributionBounds(d: Distribution): { mean: number; max: number } {
  switch (d.kind) {
    case 'fixed': return { mean: d.value, max: d.value };
    case 'sequence': return { mean: (d.start + d.end) / 2, max: d.end };
    case 'uniform': return { mean: (d.min + d.max) / 2, max: d.max };
    case 'gaussian': return { mean: d.mean, max: d.max ?? d.mean + 6 * d.stddev };
    case 'zipf': return { mean: d.n / Math.max(1, Math.log(d.n)), max: d.n };
    case 'exponential': return { mean: d.mean, max: d.max ?? d.mean * 20 };
  }
}

export function estimatePartitions(w: WorkloadSpec, seed: number): PartitionEstimate[] {
  const out: PartitionEstimate[] = [];
  for (const t of w.tables) {
    const keyCols = new Set(t.partitionKey);
    const cols = w.columns.filter((c) => c.table === t.name && !keyCols.has(c.column));
    let total = 0;
    for (const c of cols) {
      let gen: (i: number, nowMs?: number) => unknown;
      try {
        gen = compileGenerator(c.gen, c.type, seed, generatorName(c)) as (i: number, nowMs?: number) => unknown;
      } catch {
        continue; // a column the loader never generates (e.g. a counter) adds nothing here
      }
      const type = parseCqlType(c.type);
      for (let i = 0; i < SAMPLE_ROWS; i++) {
        try {
          total += serialize(type, gen(i * 7919 + 1, 0))?.length ?? 0;
        } catch {
          // a value the codec refuses would fail the run itself: the load path reports it
        }
      }
    }
    const meanRowBytes = Math.round(total / SAMPLE_ROWS);
    const rows = distributionBounds(t.rowsPerPartition);
    const maxPartitionBytes = Math.round(meanRowBytes * rows.max);
    out.push({
      workload: w.name, table: t.name, meanRowBytes, rowsPerPartition: rows,
      meanPartitionBytes: Math.round(meanRowBytes * rows.mean), maxPartitionBytes,
      overRedLine: maxPartitionBytes > LARGE_PARTITION_BYTES,
    });
  }
  return out;
}
