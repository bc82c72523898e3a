/**
 * Data validation (`run --validate`, `validate: true` per class): every row a read returns is
 * compared with what the generators say the row holds, and a read of a row this run wrote that
 * returns nothing is a `missing`.
 *
 * What the run can know. Values are pure functions of (seed, column, index) (profile/generators.ts),
 * so the expected cells of row (p, r) are known without remembering anything. Whether a row should
 * exist is not: that is what the run's own writes say. Each tracked table has a row-state array in
 * shared memory (4 bits a row, every worker thread sees it): a write acknowledged sets WRITTEN, a
 * row or partition delete acknowledged sets DELETED, anything whose effect is unsure sets UNSURE
 * (a TTL, a range or cell delete, a write that failed or timed out — it may have been applied).
 * A read snapshots its row's state when it is SENT: only a row whose state is exactly WRITTEN then
 * (acknowledged before the read left, never deleted, no TTL) must come back, and only rows this run
 * wrote are compared (a row left by another run with another seed holds other values).
 *
 * Limits (docs/results.md): view reads and scans are not validated (their rows are not addressed by
 * (p, r)); a partition read judges `missing` only without a clustering restriction, and compares the
 * regular columns of a row only when the result names every clustering column (that is how the row
 * is recognised); columns written from a literal, `now` and counters are not compared; a column that
 * some write op of the workload leaves out may be null; writes by other workloads to the same table
 * are unknown. At CL ONE with RF > 1 a real cluster may legitimately miss a just-acknowledged write
 * (R + W ≤ RF): `missing` counts it all the same.
 */
import { Writer } from '../cql/buffer.js';
import { codecFor, type Codec } from '../cql/codecs.js';
import type { PreparedStatement } from '../cql/connection.js';
import type { RowsResult } from '../cql/messages.js';
import { rawCells } from '../cql/rows.js';
import { analyzeStatement, parseSchemaStatement, type TableDef } from '../profile/cql.js';
import { cellIndex, compileKeying, type Keying } from '../profile/keying.js';
import { distMax } from '../profile/sampler.js';
import type { ResolvedProfile, TableModel, WorkloadSpec } from '../profile/types.js';
import { validationTotals, type PhaseResult } from '../results/result.js';

export const ROW_WRITTEN = 1;
export const ROW_DELETED = 2;
export const ROW_UNSURE = 4;

/** Rows a table may have to be tracked (4 bits each: 64 MB of shared memory at most). */
export const MAX_TRACKED_ROWS = 2 ** 27;
/** A partition read recognises its rows through a map of this many rows at most. */
const MAX_ROWS_INDEXED = 1 << 16;
const ROW_INDEX_CACHE = 64;

/** The run's shared row states: `keyspace.table` → 4 bits per (partition, row). */
export interface ValidationPlan {
  tables: Record<string, SharedArrayBuffer>;
  /** Tables read by a validating class but too large to track (values compared, missing not judged). */
  untracked: string[];
}

/** Counts of one op over an interval. */
export interface ValidationCounts {
  /** rows compared with the generators */
  checked: number;
  /** rows with at least one cell that differs from the generator's value (or a deleted row returned) */
  mismatch: number;
  /** reads of a row acknowledged as written (and not deleted, no TTL) that returned nothing */
  missing: number;
}

export const tableKey = (keyspace: string, table: string): string => `${keyspace}.${table}`;

function rowCapOf(t: TableModel): number {
  return Math.max(1, Math.ceil(distMax(t.rowsPerPartition)));
}

/** Which classes validate, and the shared row states of the tables they read; undefined when none does. */
export function planValidation(profile: ResolvedProfile): ValidationPlan | undefined {
  const tables: Record<string, SharedArrayBuffer> = {};
  const untracked: string[] = [];
  let any = false;
  for (const ph of profile.phases) {
    for (const c of ph.classes) {
      if (!c.validate) continue;
      any = true;
      const w = profile.workloads[c.workload];
      for (const opName of Object.keys(c.mix)) {
        const op = w.operations[opName];
        if (op.kind !== 'read' || op.view || !op.table) continue;
        const key = tableKey(w.keyspace, op.table);
        if (key in tables || untracked.includes(key)) continue;
        const t = w.tables.find((x) => x.name === op.table);
        if (!t) continue;
        const rows = t.partitions * rowCapOf(t);
        if (rows > MAX_TRACKED_ROWS) untracked.push(key);
        else tables[key] = new SharedArrayBuffer(Math.ceil(rows / 8) * 4);
      }
    }
  }
  return any ? { tables, untracked } : undefined;
}

/** 4-bit row states over an Int32Array in shared memory (Atomics: workers write concurrently). */
class RowStates {
  private readonly words: Int32Array;
  constructor(buf: SharedArrayBuffer, private readonly rowCap: number) {
    this.words = new Int32Array(buf);
  }
  private index(p: number, r: number): number {
    return p * this.rowCap + r;
  }
  get(p: number, r: number): number {
    const i = this.index(p, r);
    return (Atomics.load(this.words, i >>> 3) >>> ((i & 7) * 4)) & 0xf;
  }
  mark(p: number, r: number, flags: number): void {
    const i = this.index(p, r);
    Atomics.or(this.words, i >>> 3, flags << ((i & 7) * 4));
  }
}

type GenFactory = (table: string, column: string) => (index: number, intendedMs: number) => unknown;

/** The write side of an op: which rows an acknowledgement (or a failure) marks, and how. */
export interface WriteTracker {
  acked(p: number, r: number, rows: number): void;
  failed(p: number, r: number, rows: number): void;
}

/** The read side: a state snapshot at send, a check of the reply. */
export interface ReadValidator {
  /** The row's state when the read leaves (or -1 when the table is not tracked). */
  snapshot(p: number, r: number): number;
  check(res: RowsResult, p: number, r: number, state: number, out: ValidationCounts): void;
}

interface ColumnCheck {
  /** index in the result row */
  at: number;
  role: 'partition' | 'clustering' | 'static' | 'regular';
  gen: (index: number, intendedMs: number) => unknown;
  codec: Codec;
  /** null is a valid value: some write op of the workload leaves the column out */
  nullable: boolean;
}

/**
 * One worker's validation: the shared row states and what each table's writes leave behind.
 * Built only when the run validates; a run without it never calls into this file.
 */
export class WorkerValidation {
  private readonly states = new Map<string, RowStates>();
  private readonly tableInfo = new Map<string, { def: TableDef | undefined; defaultTtl: boolean; literal: Set<string>; partial: Set<string> }>();

  constructor(private readonly plan: ValidationPlan, private readonly seed: number) {}

  private statesOf(w: WorkloadSpec, t: TableModel): RowStates | undefined {
    const key = tableKey(w.keyspace, t.name);
    let s = this.states.get(key);
    if (!s && this.plan.tables[key]) {
      s = new RowStates(this.plan.tables[key], rowCapOf(t));
      this.states.set(key, s);
    }
    return s;
  }

  /** What the workload's schema and write ops say about a table's columns. */
  private infoOf(w: WorkloadSpec, table: string) {
    const key = tableKey(w.keyspace, table);
    let info = this.tableInfo.get(key);
    if (info) return info;
    let def: TableDef | undefined;
    let defaultTtl = false;
    for (const text of w.schema) {
      const s = parseSchemaStatement(text);
      if (s.kind === 'table' && s.name === table) {
        def = s;
        const m = /default_time_to_live\s*=\s*(\d+)/i.exec(text);
        defaultTtl = m !== null && Number(m[1]) > 0;
      }
    }
    // a column some write sets from a literal holds no generator value; one a write leaves out may be null
    const literal = new Set<string>();
    const partial = new Set<string>();
    const all = def?.columns.map((c) => c.name) ?? [];
    for (const op of Object.values(w.operations)) {
      if (op.kind !== 'write' || op.table !== table) continue;
      const shape = analyzeStatement(op.cql);
      const bound = new Set((op.markers ?? []).flatMap((m) => (m.kind === 'column' ? [m.column] : [])));
      if (shape.verb === 'delete') {
        // a cell delete nulls the columns it names
        for (const c of shape.columns) if (!def?.partitionKey.includes(c.name) && !def?.clusteringKey.includes(c.name)) partial.add(c.name);
        continue;
      }
      for (const c of shape.columns) if (!bound.has(c.name)) literal.add(c.name);
      for (const c of all) if (!shape.columns.some((x) => x.name === c)) partial.add(c);
    }
    info = { def, defaultTtl, literal, partial };
    this.tableInfo.set(key, info);
    return info;
  }

  /** The tracker of a write op; undefined when its table is not tracked. */
  writer(w: WorkloadSpec, t: TableModel, op: { cql: string; markers?: { kind: string; role?: string }[] }): WriteTracker | undefined {
    const states = this.statesOf(w, t);
    if (!states) return undefined;
    const info = this.infoOf(w, t.name);
    const shape = analyzeStatement(op.cql);
    const ttl = info.defaultTtl || /\bUSING\b[^;]*\bTTL\b/i.test(op.cql);
    const clusteringBound = (op.markers ?? []).filter((m) => m.kind === 'column' && m.role === 'clustering').length;
    const keying: Keying = compileKeying(t, this.seed, 1);
    let flags: number;
    let wholePartition = false;
    if (shape.verb === 'delete') {
      const rowDelete = /^\s*DELETE\s+FROM\b/i.test(op.cql);
      wholePartition = clusteringBound === 0 && t.clusteringKey.length > 0;
      const exact = rowDelete && (wholePartition || clusteringBound >= t.clusteringKey.length) && !/[<>]/.test(op.cql.replace(/'[^']*'/g, ''));
      flags = exact ? ROW_DELETED : ROW_UNSURE;
      if (!rowDelete) wholePartition = false;
    } else {
      flags = ttl ? ROW_UNSURE : ROW_WRITTEN;
    }
    const markRows = (p: number, r: number, rows: number, f: number): void => {
      if (wholePartition) {
        const n = keying.rowsIn(p);
        for (let i = 0; i < n; i++) states.mark(p, i, f);
      } else {
        for (let i = 0; i < Math.max(1, rows); i++) states.mark(p, r + i, f);
      }
    };
    return {
      acked: (p, r, rows) => markRows(p, r, rows, flags),
      // it may or may not have been applied
      failed: (p, r, rows) => markRows(p, r, rows, ROW_UNSURE),
    };
  }

  /** The validator of a read op; undefined for what cannot be validated (views). */
  reader(w: WorkloadSpec, t: TableModel, op: { cql: string; view?: string; markers?: { kind: string; role?: string }[] }, stmt: PreparedStatement, gens: GenFactory): ReadValidator | undefined {
    if (op.view) return undefined;
    const states = this.statesOf(w, t);
    const info = this.infoOf(w, t.name);
    const gen = w.columns;
    const checks: ColumnCheck[] = [];
    stmt.resultColumns.forEach((c, at) => {
      const g = gen.find((x) => x.table === t.name && x.column === c.name);
      if (!g || g.gen.kind === 'now' || c.type.kind === 'counter' || info.literal.has(c.name)) return;
      const role = t.partitionKey.includes(c.name) ? 'partition' : t.clusteringKey.includes(c.name) ? 'clustering'
        : info.def?.columns.find((x) => x.name === c.name)?.isStatic ? 'static' : 'regular';
      checks.push({ at, role, gen: gens(t.name, c.name), codec: codecFor(c.type), nullable: info.partial.has(c.name) });
    });
    const clusteringBound = (op.markers ?? []).filter((m) => m.kind === 'column' && m.role === 'clustering').length;
    const pointRead = clusteringBound >= t.clusteringKey.length;
    // rows of a partition read are recognised by their clustering values
    const ckChecks = t.clusteringKey.map((k) => checks.find((c) => c.role === 'clustering' && stmt.resultColumns[c.at].name === k));
    const canRecognise = !pointRead && ckChecks.every((c) => c !== undefined);
    const judgesMissing = pointRead || clusteringBound === 0;
    const keying = compileKeying(t, this.seed, 1);
    const scratch = new Writer(256);
    const rowIndexCache = new Map<number, Map<string, number>>();

    const expectedBytes = (c: ColumnCheck, p: number, r: number): Buffer | null => {
      const index = c.role === 'partition' || c.role === 'static' ? p : c.role === 'clustering' ? r : cellIndex(p, r);
      const v = c.gen(index, 0);
      if (v === null || v === undefined) return null;
      scratch.reset();
      c.codec.write(scratch, v);
      return scratch.buf.subarray(4, scratch.pos);
    };
    const rowIndexOf = (p: number): Map<string, number> | undefined => {
      let m = rowIndexCache.get(p);
      if (m) return m;
      const n = keying.rowsIn(p);
      if (n > MAX_ROWS_INDEXED) return undefined;
      m = new Map();
      for (let r = 0; r < n; r++) {
        let k = '';
        for (const c of ckChecks) k += `${expectedBytes(c!, p, r)!.toString('latin1')}\u0000`;
        m.set(k, r);
      }
      if (rowIndexCache.size >= ROW_INDEX_CACHE) rowIndexCache.delete(rowIndexCache.keys().next().value!);
      rowIndexCache.set(p, m);
      return m;
    };
    /** Does the row hold the generators' values? `partitionOnly`: only the partition-wide columns (the row is not recognised). */
    const matches = (cells: (Buffer | null)[], p: number, r: number, partitionOnly: boolean): boolean => {
      for (const c of checks) {
        if (partitionOnly && c.role !== 'partition' && c.role !== 'static') continue;
        const got = cells[c.at];
        if (got === null) {
          if (c.nullable || c.role === 'static') continue;
          return false;
        }
        const want = expectedBytes(c, p, r);
        if (want === null || !got.equals(want)) return false;
      }
      return true;
    };

    return {
      snapshot: (p, r) => (states ? states.get(p, r) : -1),
      check: (res, p, r, state, out) => {
        if (res.rowCount === 0) {
          if (judgesMissing && state === ROW_WRITTEN) out.missing++;
          return;
        }
        const rows = rawCells(res);
        for (const cells of rows) {
          let rowIdx = r;
          let partitionOnly = false;
          if (!pointRead) {
            if (canRecognise) {
              let k = '';
              for (const c of ckChecks) k += `${cells[c!.at]?.toString('latin1') ?? ''}\u0000`;
              const found = rowIndexOf(p)?.get(k);
              // a clustering value no row of this partition has: the row is not one the generators made
              if (found === undefined) {
                if (rowIndexCache.has(p)) { out.checked++; out.mismatch++; }
                continue;
              }
              rowIdx = found;
            } else {
              partitionOnly = true;
            }
          }
          const s = states ? (rowIdx === r ? state : states.get(p, rowIdx)) : ROW_WRITTEN;
          if ((s & ROW_WRITTEN) === 0 && (s & ROW_UNSURE) === 0) {
            // a row deleted (and acknowledged) before the read left came back
            if (s === ROW_DELETED && pointRead) { out.checked++; out.mismatch++; }
            continue; // not written by this run: another run's values are not ours to judge
          }
          out.checked++;
          if (!matches(cells, p, rowIdx, partitionOnly)) out.mismatch++;
        }
      },
    };
  }
}

/** One line naming what --validate found wrong over the run, with the op that found it. */
export function validationWarnings(phases: PhaseResult[]): string[] {
  const v = validationTotals(phases);
  if (!v || v.mismatch + v.missing === 0) return [];
  const bad = Object.entries(v.byOp).filter(([, x]) => x.mismatch + x.missing > 0).map(([op, x]) => `${op}: ${x.mismatch} mismatch, ${x.missing} missing of ${x.checked} checked`);
  return [`--validate: ${v.mismatch} rows differ from what was written and ${v.missing} written rows were not found (${bad.join('; ')})`];
}
