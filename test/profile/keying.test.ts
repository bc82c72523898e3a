/** rowOf: write cycles enumerate every (partition, row) once; reads find rows that exist. */
import { describe, expect, it } from 'vitest';
import { cellIndex, compileKeying, readRowOf, rowOf } from '../../src/profile/generators.js';
import type { Distribution, TableModel } from '../../src/profile/types.js';

const table = (partitions: number, rows: Distribution, name = 't'): TableModel =>
  ({ name, partitionKey: ['p'], clusteringKey: ['c'], partitions, rowsPerPartition: rows });

function enumerate(t: TableModel, seed: number, n: number) {
  const k = compileKeying(t, seed, n);
  const seen = new Set<number>();
  const problems: string[] = [];
  let rows = 0;
  for (let cycle = 0; cycle < k.totalCycles; cycle += n) {
    const r = k.write(cycle);
    if (r.rows < 1 || r.rows > n) problems.push(`cycle ${cycle}: ${r.rows} rows`);
    for (let i = 0; i < r.rows; i++) {
      if (r.row + i >= k.rowsIn(r.partition)) problems.push(`(${r.partition}, ${r.row + i}) beyond the partition`);
      const key = cellIndex(r.partition, r.row + i);
      if (seen.has(key)) problems.push(`(${r.partition}, ${r.row + i}) written twice`);
      seen.add(key);
    }
    rows += r.rows;
  }
  expect(problems.slice(0, 5)).toEqual([]);
  return { k, seen, rows };
}

describe('rowOf / compileKeying', () => {
  it('fixed rows: cycles 0..P*R-1 write each (partition, row) exactly once, then wrap', () => {
    const t = table(37, { kind: 'fixed', value: 5 });
    const { k, rows } = enumerate(t, 1, 1);
    expect(rows).toBe(37 * 5);
    expect(k.totalRows).toBe(185);
    expect(rowOf(t, 1, 185)).toEqual(rowOf(t, 1, 0));
  });

  it('variable rows: every row of every partition exactly once, consistent with rowsIn', () => {
    const t = table(500, { kind: 'uniform', min: 1, max: 40 });
    const { k, rows } = enumerate(t, 9, 1);
    let expected = 0;
    for (let p = 0; p < 500; p++) expected += k.rowsIn(p);
    expect(rows).toBe(expected);
    expect(k.totalRows).toBe(expected);
    // partitions really differ in size
    expect(new Set(Array.from({ length: 500 }, (_, p) => k.rowsIn(p))).size).toBeGreaterThan(30);
  });

  it('batches: a cycle counter advanced by N writes N-row chunks of one partition, covering every row once', () => {
    const t = table(60, { kind: 'gaussian', mean: 30, stddev: 10, min: 1, max: 80 });
    const { rows, k } = enumerate(t, 3, 7);
    expect(rows).toBe(k.totalRows);
    expect(k.totalCycles % 7).toBe(0);
  });

  it('consecutive write cycles hit different partitions (load spreads over nodes and shards)', () => {
    const t = table(1000, { kind: 'uniform', min: 10, max: 100 });
    const parts = new Set(Array.from({ length: 500 }, (_, c) => rowOf(t, 1, c).partition));
    expect(parts.size).toBe(500);
    // and a partition fills in row order
    const k = compileKeying(t, 1);
    const rowsOf0: number[] = [];
    for (let c = 0; c < k.totalCycles && rowsOf0.length < 10; c++) { const r = k.write(c); if (r.partition === 0) rowsOf0.push(r.row); }
    expect(rowsOf0).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('is a pure function of (seed, table, cycle): a fresh compile agrees', () => {
    const rows: Distribution = { kind: 'exponential', mean: 20, max: 200 };
    const a = Array.from({ length: 300 }, (_, c) => rowOf(table(100, rows), 5, c * 13));
    const b = Array.from({ length: 300 }, (_, c) => rowOf(table(100, rows), 5, c * 13));
    expect(b).toEqual(a);
    expect(Array.from({ length: 300 }, (_, c) => rowOf(table(100, rows), 6, c * 13))).not.toEqual(a);
  });

  it('reads only pick rows that the first W write cycles wrote', () => {
    const t = table(200, { kind: 'uniform', min: 1, max: 30 });
    const k = compileKeying(t, 2);
    const W = 1234;
    const written = new Set<number>();
    for (let c = 0; c < W; c++) { const r = k.write(c); written.add(cellIndex(r.partition, r.row)); }
    let misses = 0;
    for (let c = 0; c < 20_000; c++) {
      const r = k.read(c, W);
      if (!written.has(cellIndex(r.partition, r.row))) misses++;
    }
    expect(misses).toBe(0);
    // with everything written, reads cover the whole table
    const all = new Set<number>();
    let beyond = 0;
    for (let c = 0; c < 100_000; c++) { const r = readRowOf(t, 2, c); if (r.row >= k.rowsIn(r.partition)) beyond++; all.add(cellIndex(r.partition, r.row)); }
    expect(beyond).toBe(0);
    expect(all.size / k.totalRows).toBeGreaterThan(0.99);
  });

  it('zipf selection reads hot partitions: partition 0 is the most read', () => {
    const t = table(10_000, { kind: 'fixed', value: 3 });
    const counts = new Map<number, number>();
    for (let c = 0; c < 50_000; c++) {
      const r = readRowOf(t, 4, c, undefined, { kind: 'zipf', n: 10_000, s: 1.2 });
      if (r.row >= 3) throw new Error(`row ${r.row} beyond the partition`);
      counts.set(r.partition, (counts.get(r.partition) ?? 0) + 1);
    }
    const top = [...counts.entries()].sort((a, b) => b[1] - a[1]);
    expect(top[0][0]).toBe(0);
    expect(top[0][1]).toBeGreaterThan(counts.get(1)!);
  });
});
