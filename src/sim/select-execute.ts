/**
 * Executing a compiled SELECT: partitions by key (the IN product, in Cassandra's order) or by
 * token range through the storage proxy, rows by clustering prefix and slice, filters, LIMIT,
 * PER PARTITION LIMIT, DISTINCT, count(*), and paging (where it stops and resumes).
 */
import { partitionKeyBytes, type TokenHalves } from '../routing/murmur3.js';
import type { Cluster } from './cluster.js';
import type { ExecExtras, ExecParams, ExecResult, Session } from './context.js';
import { replicasOf } from './locator.js';
import { decodePagingState, encodePagingState, type PagingPosition } from './paging.js';
import { clusterSource, noteSinglePartition, virtualSource, type PartitionSource } from './proxy.js';
import type { KeyspaceMeta, TableMeta } from './schema.js';
import { applyFilter, valueOf, type Restrictions } from './select-restrictions.js';
import { project, type Selection } from './select-selection.js';
import { cellLive, comparePartitions, lowerBound, rowLive, upperBound, type Partition, type Row, type TableStore } from './storage.js';
import { InvalidRequest, type Bound, type Comparator } from './values.js';

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** A SELECT as compiled at prepare time. */
export interface CompiledSelect {
  ks: KeyspaceMeta;
  table: TableMeta;
  restrictions: Restrictions;
  selection: Selection;
  /** ORDER BY reverses the clustering order */
  reversed: boolean;
  distinct: boolean;
  hasOrderBy: boolean;
  limit?: (b: Bound) => number;
  perPartitionLimit?: (b: Bound) => number;
  /** comparator of the sliced clustering column */
  sliceCmp?: Comparator;
  /** system tables: the store the query reads, built per query */
  virtualStore?: (session: Session) => TableStore;
}

export function executeSelect(cluster: Cluster, c: CompiledSelect, session: Session, bound: Bound, params: ExecParams, extras: ExecExtras): ExecResult {
  const source: PartitionSource = c.virtualStore ? virtualSource(c.virtualStore(session)) : clusterSource(cluster, session, c.ks, c.table, params.consistency, extras);
  const run = new SelectRun(c, bound, params);
  if (c.restrictions.byKey) readByKeys(cluster, c, run, source, session, bound, extras);
  else readTokenRange(c, run, source, bound);
  extras.rowsScanned = run.scanned;
  const columns = c.selection.resultColumns;
  if (c.selection.countStar) {
    const b = Buffer.allocUnsafe(8);
    b.writeBigInt64BE(BigInt(run.count));
    return { kind: 'rows', columns, rows: [[b]] };
  }
  const df = cluster.dataFaults;
  if (df?.corrupt && !c.virtualStore) df.corruptRows(c.table.keyspace, c.table.name, columns, c.selection.out.map((o) => o.kind === 'regular' || o.kind === 'static'), run.rows);
  return run.pagingState ? { kind: 'rows', columns, rows: run.rows, pagingState: run.pagingState } : { kind: 'rows', columns, rows: run.rows };
}

/** One execution's state: the rows so far, counts, and where a page ended. */
class SelectRun {
  readonly nowMs = Date.now();
  /** LIMIT caps the rows returned; for count(*) that is the single aggregate row, not the rows counted */
  readonly limit: number;
  readonly perPartitionLimit: number;
  readonly pageSize: number;
  readonly resume: PagingPosition | undefined;
  /** clustering prefixes (cartesian product of the EQ/IN lists), sorted in clustering order */
  readonly prefixes: Buffer[][] | null;
  readonly sliceStart: { v: Buffer; inclusive: boolean } | undefined;
  readonly sliceEnd: { v: Buffer; inclusive: boolean } | undefined;
  readonly filterValues: Buffer[][];
  readonly rows: (Buffer | null)[][] = [];
  total: number;
  count = 0;
  scanned = 0;
  pagingState: Buffer | undefined;

  constructor(readonly c: CompiledSelect, bound: Bound, params: ExecParams) {
    const countStar = c.selection.countStar;
    this.limit = c.limit && !countStar ? c.limit(bound) : Infinity;
    this.perPartitionLimit = c.perPartitionLimit ? c.perPartitionLimit(bound) : Infinity;
    this.pageSize = countStar || !params.pageSize || params.pageSize <= 0 ? Infinity : params.pageSize;
    this.resume = params.pagingState ? decodePagingState(params.pagingState) : undefined;
    this.total = this.resume ? this.resume.total : 0;
    this.prefixes = clusteringPrefixes(c, bound);
    const slice = c.restrictions.ckSlice;
    this.sliceStart = slice?.start ? { v: slice.start.g(bound)[0], inclusive: slice.start.inclusive } : undefined;
    this.sliceEnd = slice?.end ? { v: slice.end.g(bound)[0], inclusive: slice.end.inclusive } : undefined;
    this.filterValues = c.restrictions.filters.map((f) => f.values(bound));
  }

  rowMatches(p: Partition, r: Row | null): boolean {
    const filters = this.c.restrictions.filters;
    for (let i = 0; i < filters.length; i++) {
      const f = filters[i];
      const v = valueOf(p, r, f.column, this.nowMs);
      if (v === null || !applyFilter(f, v, this.filterValues[i])) return false;
    }
    return true;
  }

  emit(p: Partition, r: Row | null): void {
    if (this.c.selection.countStar) { this.count++; return; }
    const out = this.c.selection.out;
    const cells: (Buffer | null)[] = new Array(out.length);
    for (let i = 0; i < out.length; i++) cells[i] = project(out[i], p, r, this.nowMs);
    this.rows.push(cells);
  }

  /** Emits a row that ends the partition's contribution; false when the query or page is complete. */
  private emitWhole(p: Partition): boolean {
    this.emit(p, null);
    this.total++;
    if (this.total >= this.limit) return false;
    if (this.rows.length >= this.pageSize) { this.pagingState = encodePagingState(p, null, this.total, 1); return false; }
    return true;
  }

  /** Emits the partition's matching rows; returns false when the query is complete. */
  visitPartition(p: Partition, resumeCk: Buffer[] | null | undefined, inPartitionSoFar: number): boolean {
    const { table, reversed, restrictions } = this.c;
    const nowMs = this.nowMs;
    let inPart = inPartitionSoFar;
    const partDel = p.delTs;
    if (this.c.distinct) {
      if (resumeCk !== undefined) return true; // already emitted before the page break
      const live = p.rows.some((r) => rowLive(r, nowMs, partDel)) || p.statics.some((c) => cellLive(c, nowMs, partDel));
      if (!live || !this.rowMatches(p, null)) return true;
      return this.emitWhole(p);
    }
    // index ranges of candidate rows, in storage order
    const ranges: [number, number][] = [];
    if (this.prefixes) for (const pre of this.prefixes) ranges.push([lowerBound(p, table, pre), upperBound(p, table, pre)]);
    else ranges.push([0, p.rows.length]);
    if (reversed) ranges.reverse();
    const slice = restrictions.ckSlice;
    const sliceCmp = this.c.sliceCmp;
    const { sliceStart, sliceEnd } = this;
    const filtering = restrictions.filters.length > 0;
    let any = false;
    for (const [a, b] of ranges) {
      const step = reversed ? -1 : 1;
      for (let i = reversed ? b - 1 : a; reversed ? i >= a : i < b; i += step) {
        const r = p.rows[i];
        this.scanned++;
        if (resumeCk) {
          const c = table.clusteringCompare(r.ck, resumeCk);
          if (reversed ? c >= 0 : c <= 0) continue;
        }
        if (!rowLive(r, nowMs, partDel)) continue;
        if (sliceCmp && slice) {
          const v = r.ck[slice.index];
          if (sliceStart) { const c = sliceCmp(v, sliceStart.v); if (c < 0 || (c === 0 && !sliceStart.inclusive)) continue; }
          if (sliceEnd) { const c = sliceCmp(v, sliceEnd.v); if (c > 0 || (c === 0 && !sliceEnd.inclusive)) continue; }
        }
        if (filtering && !this.rowMatches(p, r)) continue;
        // checked before emitting: a page may have ended exactly at the partition's limit
        if (inPart >= this.perPartitionLimit) return true;
        any = true;
        this.emit(p, r);
        inPart++;
        this.total++;
        if (this.total >= this.limit) return false;
        if (this.rows.length >= this.pageSize) { this.pagingState = encodePagingState(p, r.ck, this.total, inPart); return false; }
      }
    }
    // a partition with only static cells shows as one row with null clustering columns
    if (!any && table.statics.length > 0 && resumeCk === undefined && !this.prefixes && !slice && p.rows.every((r) => !rowLive(r, nowMs, partDel)) && p.statics.some((c) => cellLive(c, nowMs, partDel))) {
      if (filtering && !this.rowMatches(p, null)) return true;
      return this.emitWhole(p);
    }
    return true;
  }

  /** Where a partition stands against the page we resume from: skip it, resume inside it, or read it whole. */
  resumeAt(c: number): { skip: true } | { skip: false; ck: Buffer[] | null | undefined; inPartition: number } {
    const resume = this.resume!;
    if (c < 0) return { skip: true };
    if (c === 0) return resume.ck === null ? { skip: true } : { skip: false, ck: resume.ck, inPartition: resume.inPartition };
    return { skip: false, ck: undefined, inPartition: 0 };
  }
}

function clusteringPrefixes(c: CompiledSelect, bound: Bound): Buffer[][] | null {
  const getters = c.restrictions.ckPrefix;
  if (getters.length === 0) return null;
  let prefixes: Buffer[][] = [[]];
  for (const g of getters) {
    const vals = g(bound);
    const next: Buffer[][] = [];
    for (const p of prefixes) for (const v of vals) next.push([...p, v]);
    prefixes = next;
  }
  prefixes.sort((a, b) => c.table.clusteringComparePrefix(a, b));
  return prefixes.filter((p, i) => i === 0 || c.table.clusteringComparePrefix(p, prefixes[i - 1]) !== 0);
}

/** Partitions by key: the cartesian product of the EQ/IN lists, deduplicated. */
function readByKeys(cluster: Cluster, c: CompiledSelect, run: SelectRun, source: PartitionSource, session: Session, bound: Bound, extras: ExecExtras): void {
  let keys: Buffer[][] = [[]];
  for (const g of c.restrictions.pkGet) {
    const vals = g(bound);
    const next: Buffer[][] = [];
    for (const k of keys) for (const v of vals) next.push([...k, v]);
    keys = next;
  }
  const h: TokenHalves = { hi: 0, lo: 0 };
  const parts = keys.map((comps) => {
    const key = partitionKeyBytes(comps);
    const token = cluster.tokenFor(c.table, key, h);
    return { key, keyStr: key.toString('latin1'), token, hi: h.hi, lo: h.lo };
  });
  if (parts.length > 1) {
    // Cassandra orders IN partitions by their serialized key (checked against Cassandra 5 in
    // test/sim/differential.test.ts), not by token
    parts.sort((a, b) => Buffer.compare(a.key, b.key));
    if (c.hasOrderBy && run.pageSize !== Infinity) {
      throw new InvalidRequest('Cannot page queries with both ORDER BY and a IN restriction on the partition key; you must either remove the ORDER BY or the IN and sort client side, or disable paging for this query');
    }
  }
  if (parts.length === 1 && !c.virtualStore) {
    noteSinglePartition(cluster, session, c.table, parts[0].token, replicasOf(cluster, c.table, c.ks, parts[0].token, parts[0]), extras);
  }
  const resume = run.resume;
  for (let i = 0; i < parts.length; i++) {
    const k = parts[i];
    if (i > 0 && k.keyStr === parts[i - 1].keyStr) continue;
    let resumeCk: Buffer[] | null | undefined;
    let inPart = 0;
    if (resume) {
      const at = run.resumeAt(parts.length > 1 ? Buffer.compare(k.key, resume.key) : comparePartitions(k, { token: resume.token, key: resume.key }));
      if (at.skip) continue;
      resumeCk = at.ck;
      inPart = at.inPartition;
    }
    h.hi = k.hi; h.lo = k.lo;
    const p = source.get(k.key, k.keyStr, k.token, h);
    if (!p) continue;
    if (!run.visitPartition(p, resumeCk, inPart)) return;
  }
}

/** Partitions in a token range (the whole ring without token restrictions), in ring order. */
function readTokenRange(c: CompiledSelect, run: SelectRun, source: PartitionSource, bound: Bound): void {
  const { tokenStart, tokenEnd } = c.restrictions;
  const resume = run.resume;
  let lo: bigint | null = tokenStart ? tokenStart.g(bound) : null;
  const loInclusive = tokenStart?.inclusive ?? true;
  let hi = tokenEnd ? tokenEnd.g(bound) : INT64_MAX;
  if (tokenEnd && !tokenEnd.inclusive) hi = hi - 1n;
  if (lo !== null && loInclusive) lo = lo === INT64_MIN ? null : lo - 1n;
  if (resume) lo = lo === null || resume.token - 1n > lo ? resume.token - 1n : lo;
  if (lo !== null && lo >= hi) return;
  source.scan(lo, hi, (p) => {
    let resumeCk: Buffer[] | null | undefined;
    let inPart = 0;
    if (resume) {
      const at = run.resumeAt(comparePartitions(p, { token: resume.token, key: resume.key }));
      if (at.skip) return true;
      resumeCk = at.ck;
      inPart = at.inPartition;
    }
    return run.visitPartition(p, resumeCk, inPart);
  });
}
