/**
 * The changes the writer classes of a phase made to a CDC table, as row keys: write cycles come
 * from a shared counter (rows handed out, 0..n-1), the keying maps each to its (partition, row),
 * and the generators give the key values — the same pure functions the workers bound. Keys are
 * compared as the bytes the log row carries (the base key columns are log columns of the same
 * type), so no value is decoded on either side.
 */
import { serialize } from '../cql/codecs.js';
import { compileGenerator, generatorName } from '../profile/generators.js';
import { compileKeying } from '../profile/keying.js';
import { parseCqlType } from '../profile/cql.js';
import { blockRowsOf, globalCycle, type Segment } from '../profile/segment.js';
import type { ClassSpec, WorkloadSpec } from '../profile/types.js';

/** A writer class of the phase and how far its write counter went (rows handed out). */
export interface WriterShare {
  cls: ClassSpec;
  rowsWritten: number;
}

export interface ExpectedChanges {
  /** Key (hex bytes of the key columns, `|`-joined) → changes made to it. */
  keys: Map<string, number>;
  total: number;
  /** Ops of the writer classes that wrote to the table. */
  ops: { cls: string; op: string }[];
  /** Why the changes cannot be known (then `keys` is empty). */
  notValidated: string | null;
}

/** The key string of one row from its key cells' bytes (as read from the log). */
export function keyOfCells(cells: (Buffer | null)[], idx: number[]): string {
  let s = '';
  for (const i of idx) s += `${cells[i]?.toString('hex') ?? '-'}|`;
  return s;
}

export function expectedChanges(
  workloads: Record<string, WorkloadSpec>, cdc: { workload: string; table: string }, writers: WriterShare[], seed: number, seg: Segment,
): ExpectedChanges {
  const out: ExpectedChanges = { keys: new Map(), total: 0, ops: [], notValidated: null };
  const w = workloads[cdc.workload];
  const table = w.tables.find((t) => t.name === cdc.table)!;
  const keyCols = [...table.partitionKey, ...table.clusteringKey];
  const gens = new Map<string, { f: (i: number) => unknown; type: ReturnType<typeof parseCqlType> }>();
  for (const c of keyCols) {
    const col = w.columns.find((x) => x.table === table.name && x.column === c);
    if (!col) return { ...out, notValidated: `no generator for key column ${table.name}.${c}` };
    const f = compileGenerator(col.gen, col.type, seed, generatorName(col));
    gens.set(c, { f: (i) => f(i), type: parseCqlType(col.type) });
  }
  const pk = new Set(table.partitionKey);
  for (const { cls, rowsWritten } of writers) {
    const cw = workloads[cls.workload];
    if (cw.keyspace !== w.keyspace) continue;
    const writes = Object.keys(cls.mix).map((n) => cw.operations[n]).filter((op) => op?.kind === 'write');
    const mine = writes.filter((op) => (op.table ?? '') === table.name);
    if (mine.length === 0) continue;
    out.ops.push(...mine.map((op) => ({ cls: cls.name, op: op.name })));
    // cycles are shared by a class's write ops and picked at random per op: with two of them,
    // which row each cycle wrote to which table is not known afterwards
    if (writes.length !== 1) return { ...out, keys: new Map(), total: 0, notValidated: `class ${cls.name} mixes ${writes.length} write operations: the rows each cycle wrote are not known` };
    const op = mine[0];
    const rows = Math.max(1, op.batchRows ?? 1);
    const keying = compileKeying(table, seed, rows);
    const block = blockRowsOf([rows]);
    for (let local = 0; local < rowsWritten; local += rows) {
      const ref = keying.write(globalCycle(local, block, seg));
      for (let r = 0; r < Math.max(1, ref.rows); r++) {
        let k = '';
        for (const c of keyCols) {
          const g = gens.get(c)!;
          const v = g.f(pk.has(c) ? ref.partition : ref.row + r);
          k += `${serialize(g.type, v)?.toString('hex') ?? '-'}|`;
        }
        out.keys.set(k, (out.keys.get(k) ?? 0) + 1);
        out.total++;
      }
    }
  }
  return out;
}
