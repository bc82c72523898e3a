/**
 * The arithmetic of execution segments (src/profile/segment.ts): n loaders' slots, chains and
 * write cycles are an exact, disjoint partition of the lone loader's — checked here through the
 * real keying (src/profile/keying.ts), batches of several rows of one partition included.
 */
import { describe, expect, it } from 'vitest';
import { compileKeying } from '../../src/profile/keying.js';
import { blockRowsOf, globalCycle, globalSlot, parseSegment, parseStartAt, shareOf, slotsOf } from '../../src/profile/segment.js';
import type { TableModel } from '../../src/profile/types.js';
import { timeuuidMs } from '../../src/engine/segment.js';

const table = (partitions: number, rows: TableModel['rowsPerPartition']): TableModel => ({ name: 't', partitionKey: ['p'], clusteringKey: ['r'], partitions, rowsPerPartition: rows });

/** The rows (partition:row) written by `writes` batch writes of `n` rows from cycle counter 0 of a loader. */
function rowsWritten(t: TableModel, rowsPerWrite: number, writes: number, seg: { index: number; count: number }, blockRows = rowsPerWrite): string[] {
  const k = compileKeying(t, 7, rowsPerWrite);
  const out: string[] = [];
  for (let j = 0; j < writes; j++) {
    const ref = k.write(globalCycle(j * rowsPerWrite, blockRows, seg));
    for (let r = 0; r < ref.rows; r++) out.push(`${ref.partition}:${ref.row + r}`);
  }
  return out;
}

describe('segments', () => {
  it('parses i/n and RFC 3339 times, refusing what is not one', () => {
    expect(parseSegment('2/4')).toEqual({ ok: true, value: { index: 2, count: 4 } });
    expect(parseSegment(' 0 / 1 ')).toEqual({ ok: true, value: { index: 0, count: 1 } });
    for (const bad of ['4/4', '1/0', '-1/3', '1', 'a/b', '', '1/2/3', '0.5/2']) expect(parseSegment(bad).ok, bad).toBe(false);
    expect(parseStartAt('2026-05-01T02:05:00Z')).toEqual({ ok: true, value: Date.UTC(2026, 4, 1, 2, 5, 0) });
    expect(parseStartAt('2026-05-01T04:05:00.250+02:00')).toEqual({ ok: true, value: Date.UTC(2026, 4, 1, 2, 5, 0, 250) });
    for (const bad of ['2026-05-01T02:05:00', '2026-02-30T00:00:00Z', '2026-05-01T24:00:00Z', 'tomorrow', '1714529100', '']) expect(parseStartAt(bad).ok, bad).toBe(false);
  });

  it('open loop: the union of the n loaders\' slots is the single schedule, each slot once', () => {
    for (const n of [1, 2, 3, 4, 7]) {
      for (const total of [0, 1, 5, 1000, 1001]) {
        const seen = new Map<number, number>();
        for (let i = 0; i < n; i++) {
          const mine = slotsOf(total, { index: i, count: n });
          for (let j = 0; j < mine; j++) {
            const k = globalSlot(j, { index: i, count: n });
            expect(k % n).toBe(i);
            seen.set(k, (seen.get(k) ?? 0) + 1);
          }
          // the next local slot is past the end: the loader stops at the same global count
          expect(globalSlot(mine, { index: i, count: n })).toBeGreaterThanOrEqual(total);
        }
        expect([...seen.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, k) => k));
        expect([...seen.values()].every((c) => c === 1)).toBe(true);
      }
    }
  });

  it('closed loop: chain shares add up to the concurrency', () => {
    for (const n of [1, 3, 4, 10]) {
      for (const c of [0, 1, 5, 8, 33]) {
        const shares = Array.from({ length: n }, (_, i) => shareOf(c, { index: i, count: n }));
        expect(shares.reduce((a, b) => a + b, 0)).toBe(c);
        expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
      }
    }
  });

  it('writes: batches of 4 rows of one partition, 4 loaders: the same rows as one loader, none twice', () => {
    // 10 rows per partition: chunks of 4, 4 and a short one of 2
    const t = table(300, { kind: 'fixed', value: 10 });
    const single = rowsWritten(t, 4, 900, { index: 0, count: 1 });
    expect(new Set(single).size).toBe(3000);
    const all: string[] = [];
    for (let i = 0; i < 4; i++) all.push(...rowsWritten(t, 4, slotsOf(900, { index: i, count: 4 }), { index: i, count: 4 }));
    expect(all.length).toBe(3000);
    expect(new Set(all).size).toBe(3000);
    expect([...new Set(all)].sort()).toEqual([...new Set(single)].sort());
  });

  it('writes: variable rows per partition and mixed batch sizes stay disjoint across loaders', () => {
    const t = table(500, { kind: 'uniform', min: 1, max: 30 });
    const block = blockRowsOf([1, 3, 4]);
    expect(block).toBe(12);
    for (const rowsPerWrite of [1, 3, 4]) {
      const owner = new Map<string, number>();
      for (let i = 0; i < 3; i++) {
        for (const row of rowsWritten(t, rowsPerWrite, 200, { index: i, count: 3 }, block)) {
          expect(owner.get(row) ?? i, `${row} written by loaders ${owner.get(row)} and ${i}`).toBe(i);
          owner.set(row, i);
        }
      }
    }
    // a granularity finer than the batch would not be: with blocks of 1 row, a batch of 4 starting
    // in loader 0's block writes rows of loader 1's
    const owner = new Map<string, number>();
    let clash = false;
    for (let i = 0; i < 2; i++) {
      for (const row of rowsWritten(t, 4, 100, { index: i, count: 2 }, 1)) {
        if ((owner.get(row) ?? i) !== i) clash = true;
        owner.set(row, i);
      }
    }
    expect(clash).toBe(true);
  });

  it('reads the time of a version-1 UUID (the cluster clock source)', () => {
    // RFC 4122 test vector: 6ba7b810-9dad-11d1-80b4-00c04fd430c8 is 1998-02-04T22:13:53.151Z
    expect(new Date(timeuuidMs('6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toISOString()).toBe('1998-02-04T22:13:53.151Z');
    expect(() => timeuuidMs('6ba7b810-9dad-41d1-80b4-00c04fd430c8')).toThrow(/time UUID/);
  });
});
