/**
 * SELECT: restriction analysis at prepare time (Scylla's rules and messages for what needs
 * ALLOW FILTERING, ORDER BY and token ranges), then execution against the replicas' stores with
 * LIMIT, PER PARTITION LIMIT, paging and count(*).
 */
import { Writer } from '../cql/buffer.js';
import { codecFor } from '../cql/codecs.js';
import type { ColumnSpec } from '../cql/messages.js';
import type { CqlType } from '../cql/types.js';
import type { SelectExpr, SelectStatement, Term } from '../cql/parser/ast.js';
import { partitionKeyBytes, type TokenHalves } from '../routing/murmur3.js';
import type { Cluster } from './cluster.js';
import type { ExecExtras, ExecParams, ExecResult, Plan, Session } from './context.js';
import type { ColumnMeta, KeyspaceMeta, TableMeta } from './schema.js';
import { cellLive, comparePartitions, lowerBound, rowLive, upperBound, type Partition, type Row, type TableStore } from './storage.js';
import { compareFor, InvalidRequest, SyntaxErrorResponse, termToBytes, timeoutGetter, UNSET_VALUE, type Bound, type Comparator } from './values.js';
import { replicasOf } from './locator.js';
import { clusterSource, noteSinglePartition, virtualSource, type PartitionSource } from './proxy.js';

const FILTERING_MSG = 'Cannot execute this query as it might involve data filtering and thus may have unpredictable performance. If you want to execute this query despite the performance unpredictability, use ALLOW FILTERING';

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** A compiled value: the bytes of a term for one execution (a list for IN). */
type Getter = (b: Bound) => Buffer[];

interface Filter {
  column: ColumnMeta;
  op: string;
  values: Getter;
  cmp: Comparator;
  /** element type for CONTAINS / CONTAINS KEY */
  elementType?: CqlType;
}

type OutColumn =
  | { kind: 'pk'; index: number }
  | { kind: 'ck'; index: number }
  | { kind: 'regular'; slot: number }
  | { kind: 'static'; slot: number }
  | { kind: 'writetime'; slot: number; isStatic: boolean }
  | { kind: 'ttl'; slot: number; isStatic: boolean }
  | { kind: 'token' };

export interface SelectPlanOptions {
  /** For system tables: builds the store the query reads. */
  virtualStore?: (session: Session) => TableStore;
}

export function compileSelect(cluster: Cluster, ks: KeyspaceMeta, table: TableMeta, s: SelectStatement, bindCount: number, opts: SelectPlanOptions = {}): Plan {
  const bindSpecs: ColumnSpec[] = new Array(bindCount);
  const spec = (name: string, type: CqlType): ColumnSpec => ({ keyspace: ks.name, table: table.name, name, type });
  const bindAt = (t: Term, name: string, type: CqlType): void => {
    if (t.kind === 'bind') bindSpecs[t.index] = spec(t.name ?? name, type);
  };
  const col = (name: string): ColumnMeta => {
    const c = table.byName.get(name);
    if (!c) throw new InvalidRequest(`Undefined column name ${name} in table ${ks.name}.${table.name}`);
    return c;
  };
  const getter = (t: Term, c: { name: string; type: CqlType }): Getter => {
    bindAt(t, c.name, c.type);
    if (t.kind === 'literal' || t.kind === 'function' || t.kind === 'cast') {
      const v = termToBytes(t, c.type, [], c.name);
      if (v === null) throw new InvalidRequest(`Invalid null value in condition for column ${c.name}`);
      const one = [v as Buffer];
      return () => one;
    }
    return (b) => {
      const v = termToBytes(t, c.type, b, c.name);
      if (v === null) throw new InvalidRequest(`Invalid null value in condition for column ${c.name}`);
      if (v === UNSET_VALUE) throw new InvalidRequest(`Invalid unset value for column ${c.name}`);
      return [v];
    };
  };
  const inGetter = (values: Term[], c: ColumnMeta): Getter => {
    const gs = values.map((v) => getter(v, c));
    return (b) => {
      const out: Buffer[] = [];
      for (const g of gs) out.push(...g(b));
      return out;
    };
  };
  /** `col IN ?`: a list bound as one value. */
  const inMarker = (t: Term, c: ColumnMeta): Getter => {
    const listType: CqlType = { kind: 'list', element: c.type };
    if (t.kind === 'bind') bindSpecs[t.index] = spec(t.name ?? `in(${c.name})`, listType);
    return (b) => {
      const v = termToBytes(t, listType, b, c.name);
      if (v === null || v === UNSET_VALUE) throw new InvalidRequest(`Invalid null value for IN restriction on ${c.name}`);
      const items = codecFor({ kind: 'list', element: { kind: 'blob' } }).read(v, 0, v.length) as (Buffer | null)[];
      return items.filter((x): x is Buffer => x !== null);
    };
  };

  if (s.json) throw new SyntaxErrorResponse('SELECT JSON is not supported by the scylla-bench emulator');
  if (s.groupBy.length > 0) throw new SyntaxErrorResponse('GROUP BY is not supported by the scylla-bench emulator');

  // --- restrictions
  const pkGet: (Getter | undefined)[] = new Array(table.partitionKey.length);
  const pkMarker: (number | undefined)[] = new Array(table.partitionKey.length);
  const ckEq: (Getter | undefined)[] = new Array(table.clustering.length);
  let ckSlice: { index: number; start?: { g: Getter; inclusive: boolean }; end?: { g: Getter; inclusive: boolean } } | undefined;
  const filters: Filter[] = [];
  let tokenStart: { g: (b: Bound) => bigint; inclusive: boolean } | undefined;
  let tokenEnd: { g: (b: Bound) => bigint; inclusive: boolean } | undefined;
  const ckRestricted: ColumnMeta[] = [];

  const tokenGetter = (t: Term): ((b: Bound) => bigint) => {
    const type: CqlType = { kind: 'bigint' };
    if (t.kind === 'bind') bindSpecs[t.index] = spec(t.name ?? 'partition key token', type);
    return (b) => {
      const v = termToBytes(t, type, b, 'partition key token');
      if (v === null || v === UNSET_VALUE) throw new InvalidRequest('Invalid null token value');
      return v.readBigInt64BE(0);
    };
  };

  const isSlice = (op: string): boolean => op === '<' || op === '<=' || op === '>' || op === '>=';

  for (const r of s.where) {
    if (r.kind === 'token') {
      const names = table.partitionKey.map((c) => c.name);
      if (r.columns.length !== names.length || r.columns.some((c, i) => c !== names[i])) {
        throw new InvalidRequest(`The token function arguments must be in the partition key order: ${names.join(', ')}`);
      }
      const g = tokenGetter(r.value);
      if (r.op === '>' || r.op === '>=') tokenStart = { g, inclusive: r.op === '>=' };
      else if (r.op === '<' || r.op === '<=') tokenEnd = { g, inclusive: r.op === '<=' };
      else if (r.op === '=') { tokenStart = { g, inclusive: true }; tokenEnd = { g, inclusive: true }; }
      else throw new InvalidRequest(`Unsupported "${r.op}" relation on the token function`);
      continue;
    }
    if (r.kind === 'multi' || r.kind === 'multi-in') {
      throw new InvalidRequest('Multi-column relations are not supported by the scylla-bench emulator');
    }
    const c = col(r.column);
    const op = r.kind === 'in' ? 'IN' : r.op;
    if (op === 'IS NOT NULL') throw new InvalidRequest('Unsupported restriction: IS NOT NULL is only supported in materialized view definitions');
    const values: Getter = r.kind === 'in' ? inGetter(r.values, c) : op === 'IN' ? inMarker(r.value, c) : (op === 'CONTAINS' || op === 'CONTAINS KEY') ? getter(r.value, { name: c.name, type: elementTypeOf(c.type, op) }) : getter(r.value, c);
    if (r.kind === 'column' && r.mapKey) throw new InvalidRequest('Map-entry restrictions are not supported by the scylla-bench emulator');
    if (c.kind === 'partition_key') {
      if (op !== '=' && op !== 'IN') {
        if (!s.allowFiltering) throw new InvalidRequest('Only EQ and IN relation are supported on the partition key (unless you use the token() function or allow filtering)');
        filters.push({ column: c, op, values, cmp: compareFor(c.type) });
        continue;
      }
      if (pkGet[c.position]) throw new InvalidRequest(`${c.name} cannot be restricted by more than one relation if it includes an Equal`);
      pkGet[c.position] = values;
      if (op === '=' && r.kind === 'column' && r.value.kind === 'bind') pkMarker[c.position] = r.value.index;
    } else if (c.kind === 'clustering') {
      ckRestricted.push(c);
      if (op === '=' || op === 'IN') {
        if (ckEq[c.position]) throw new InvalidRequest(`${c.name} cannot be restricted by more than one relation if it includes an Equal`);
        ckEq[c.position] = values;
      } else if (isSlice(op)) {
        if (ckSlice && ckSlice.index !== c.position) {
          filters.push({ column: c, op, values, cmp: compareFor(c.type) });
          continue;
        }
        ckSlice ??= { index: c.position };
        const bound = { g: values, inclusive: op === '>=' || op === '<=' };
        const lower = op === '>' || op === '>=';
        if (lower) {
          if (ckSlice.start) throw new InvalidRequest(`More than one restriction was found for the start bound on ${c.name}`);
          ckSlice.start = bound;
        } else {
          if (ckSlice.end) throw new InvalidRequest(`More than one restriction was found for the end bound on ${c.name}`);
          ckSlice.end = bound;
        }
      } else {
        filters.push({ column: c, op, values, cmp: compareFor(c.type), elementType: elementTypeOf(c.type, op) });
      }
    } else {
      filters.push({ column: c, op, values, cmp: compareFor(op === 'CONTAINS' || op === 'CONTAINS KEY' ? elementTypeOf(c.type, op) : c.type), elementType: elementTypeOf(c.type, op) });
    }
  }

  const pkCount = pkGet.filter(Boolean).length;
  const pkFull = pkCount === table.partitionKey.length;
  if (pkCount > 0 && !pkFull) {
    if (!s.allowFiltering) {
      const missing = table.partitionKey.filter((c) => !pkGet[c.position]).map((c) => c.name);
      throw new InvalidRequest(`Partition key parts: ${missing.join(', ')} must be restricted as other parts are`);
    }
    // with ALLOW FILTERING the restricted parts become filters over a scan
    for (const c of table.partitionKey) {
      const g = pkGet[c.position];
      if (g) filters.push({ column: c, op: 'IN', values: g, cmp: compareFor(c.type) });
      pkGet[c.position] = undefined;
    }
  }
  const byKey = pkFull;
  if (byKey && (tokenStart || tokenEnd)) {
    throw new InvalidRequest(`Columns "${table.partitionKey.map((c) => c.name).join(', ')}" cannot be restricted by both a normal relation and a token relation`);
  }

  // clustering: an EQ/IN prefix, then at most one slice; anything after a gap is filtering
  let prefixLen = 0;
  while (prefixLen < table.clustering.length && ckEq[prefixLen]) prefixLen++;
  for (let i = prefixLen; i < table.clustering.length; i++) {
    const g = ckEq[i];
    if (g) {
      if (!s.allowFiltering) {
        throw new InvalidRequest(`PRIMARY KEY column "${table.clustering[i].name}" cannot be restricted as preceding column "${table.clustering[i - 1]?.name ?? table.clustering[prefixLen].name}" is not restricted`);
      }
      filters.push({ column: table.clustering[i], op: 'IN', values: g, cmp: compareFor(table.clustering[i].type) });
      ckEq[i] = undefined;
    }
  }
  if (ckSlice && ckSlice.index !== prefixLen) {
    if (!s.allowFiltering) {
      throw new InvalidRequest(`PRIMARY KEY column "${table.clustering[ckSlice.index].name}" cannot be restricted as preceding column "${table.clustering[Math.max(0, ckSlice.index - 1)].name}" is not restricted`);
    }
    const c = table.clustering[ckSlice.index];
    if (ckSlice.start) filters.push({ column: c, op: ckSlice.start.inclusive ? '>=' : '>', values: ckSlice.start.g, cmp: compareFor(c.type) });
    if (ckSlice.end) filters.push({ column: c, op: ckSlice.end.inclusive ? '<=' : '<', values: ckSlice.end.g, cmp: compareFor(c.type) });
    ckSlice = undefined;
  }
  if (!byKey && (prefixLen > 0 || ckSlice) && !s.allowFiltering) throw new InvalidRequest(FILTERING_MSG);
  if (filters.length > 0 && !s.allowFiltering) throw new InvalidRequest(FILTERING_MSG);

  // --- ORDER BY
  let reversed = false;
  if (s.orderBy.length > 0) {
    if (!byKey) throw new InvalidRequest('ORDER BY is only supported when the partition key is restricted by an EQ or an IN.');
    s.orderBy.forEach((o, i) => {
      const c = table.byName.get(o.column);
      if (!c) throw new InvalidRequest(`Order by on unknown column ${o.column}`);
      if (c.kind !== 'clustering' || c.position !== i) {
        throw new InvalidRequest('Order by currently only supports the ordering of columns following their declared order in the PRIMARY KEY');
      }
      const rev = o.desc !== c.desc;
      if (i === 0) reversed = rev;
      else if (rev !== reversed) throw new InvalidRequest('Unsupported order by relation');
    });
  }

  // --- selection
  const resultColumns: ColumnSpec[] = [];
  const out: OutColumn[] = [];
  let countStar = false;
  const addColumn = (c: ColumnMeta, alias?: string): void => {
    resultColumns.push(spec(alias ?? c.name, c.type));
    if (c.kind === 'partition_key') out.push({ kind: 'pk', index: c.position });
    else if (c.kind === 'clustering') out.push({ kind: 'ck', index: c.position });
    else if (c.kind === 'static') out.push({ kind: 'static', slot: c.slot });
    else out.push({ kind: 'regular', slot: c.slot });
  };
  if (s.selectors === null) {
    for (const c of table.partitionKey) addColumn(c);
    for (const c of table.clustering) addColumn(c);
    // then static columns, then regular ones, each by name (Cassandra's SELECT * order)
    const byName = (a: ColumnMeta, b: ColumnMeta): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    const live = (c: ColumnMeta): boolean => table.byName.get(c.name) === c;
    for (const c of table.statics.filter(live).sort(byName)) addColumn(c);
    for (const c of table.regular.filter(live).sort(byName)) addColumn(c);
  } else {
    for (const sel of s.selectors) {
      const e = sel.expr;
      if (e.kind === 'count-star') {
        if (s.selectors.length > 1) throw new InvalidRequest('count(*) cannot be combined with other selectors in the scylla-bench emulator');
        countStar = true;
        resultColumns.push(spec(sel.alias ?? 'count', { kind: 'bigint' }));
      } else if (e.kind === 'column') {
        addColumn(col(e.name), sel.alias);
      } else if (e.kind === 'function') {
        out.push(selectFunction(e, table, col));
        const fname = e.name.toLowerCase();
        const type: CqlType = fname === 'ttl' ? { kind: 'int' } : { kind: 'bigint' };
        const argNames = e.args.map((a) => (a.kind === 'column' ? a.name : '?')).join(', ');
        resultColumns.push(spec(sel.alias ?? (fname === 'token' ? `system.token(${argNames})` : `${fname}(${argNames})`), type));
      } else {
        throw new InvalidRequest('Only column names, count(*), writetime(), ttl() and token() selectors are supported by the scylla-bench emulator');
      }
    }
  }

  const limitG = s.limit ? positiveInt(s.limit, 'LIMIT', '[limit]', bindSpecs, ks, table) : undefined;
  const pplG = s.perPartitionLimit ? positiveInt(s.perPartitionLimit, 'PER PARTITION LIMIT', '[per_partition_limit]', bindSpecs, ks, table) : undefined;
  if (s.using.timeout?.kind === 'bind') bindSpecs[s.using.timeout.index] = spec('[timeout]', { kind: 'duration' });
  if (s.distinct) {
    if (table.clustering.length > 0 && s.selectors?.some((x) => x.expr.kind === 'column' && table.byName.get(x.expr.name)?.kind === 'clustering')) {
      throw new InvalidRequest('SELECT DISTINCT queries must only request partition key columns and/or static columns (not clustering columns)');
    }
  }

  const pkIndexes = pkMarker.every((x) => x !== undefined) && table.partitionKey.length > 0 ? (pkMarker as number[]) : [];
  for (let i = 0; i < bindSpecs.length; i++) if (!bindSpecs[i]) bindSpecs[i] = spec(`[bind${i}]`, { kind: 'blob' });

  const ckEqGetters = ckEq.slice(0, prefixLen) as Getter[];
  const ckSliceFinal = ckSlice;
  const sliceCmp = ckSliceFinal ? compareFor(table.clustering[ckSliceFinal.index].type) : undefined;
  const hasStatics = table.statics.length > 0;
  const virtual = opts.virtualStore;

  const timeoutG = timeoutGetter(s.using.timeout);
  const plan: Plan = {
    target: { keyspace: ks.name, table: table.name },
    timeoutMs: timeoutG,
    opKind: virtual ? 'system' : byKey ? 'read' : 'scan',
    bindSpecs,
    pkIndexes,
    resultColumns,
    isLwt: false,
    generation: cluster.schema.generation,
    execute(session: Session, bound: Bound, params: ExecParams, extras: ExecExtras): ExecResult {
      const nowMs = Date.now();
      const source: PartitionSource = virtual ? virtualSource(virtual(session)) : clusterSource(cluster, session, ks, table, params.consistency, extras);
      // LIMIT caps the rows returned; for count(*) that is the single aggregate row, not the rows counted
      const limit = limitG && !countStar ? limitG(bound) : Infinity;
      const perPartitionLimit = pplG ? pplG(bound) : Infinity;
      const pageSize = countStar || !params.pageSize || params.pageSize <= 0 ? Infinity : params.pageSize;
      const resume = params.pagingState ? decodePagingState(params.pagingState) : undefined;

      // clustering prefixes (cartesian product of EQ/IN lists), sorted in clustering order
      let prefixes: Buffer[][] | null = null;
      if (ckEqGetters.length > 0) {
        prefixes = [[]];
        for (const g of ckEqGetters) {
          const vals = g(bound);
          const next: Buffer[][] = [];
          for (const p of prefixes) for (const v of vals) next.push([...p, v]);
          prefixes = next;
        }
        prefixes.sort((a, b) => table.clusteringComparePrefix(a, b));
        prefixes = prefixes.filter((p, i) => i === 0 || table.clusteringComparePrefix(p, prefixes![i - 1]) !== 0);
      }
      const sliceStart = ckSliceFinal?.start ? { v: ckSliceFinal.start.g(bound)[0], inclusive: ckSliceFinal.start.inclusive } : undefined;
      const sliceEnd = ckSliceFinal?.end ? { v: ckSliceFinal.end.g(bound)[0], inclusive: ckSliceFinal.end.inclusive } : undefined;
      const filterValues = filters.map((f) => f.values(bound));

      const rows: (Buffer | null)[][] = [];
      let total = resume ? resume.total : 0;
      let count = 0;
      let pagingState: Buffer | undefined;
      let done = false;
      let scanned = 0;

      const rowMatches = (p: Partition, r: Row | null): boolean => {
        for (let i = 0; i < filters.length; i++) {
          const f = filters[i];
          const v = valueOf(p, r, f.column, nowMs);
          if (v === null || !applyFilter(f, v, filterValues[i])) return false;
        }
        return true;
      };

      const emit = (p: Partition, r: Row | null): void => {
        if (countStar) { count++; return; }
        const cells: (Buffer | null)[] = new Array(out.length);
        for (let i = 0; i < out.length; i++) cells[i] = project(out[i], p, r, nowMs);
        rows.push(cells);
      };

      /** Emits the partition's matching rows; returns false when the query is complete. */
      const visitPartition = (p: Partition, resumeCk: Buffer[] | null | undefined, inPartitionSoFar: number): boolean => {
        let inPart = inPartitionSoFar;
        const partDel = p.delTs;
        if (s.distinct) {
          if (resumeCk !== undefined) return true; // already emitted before the page break
          const live = p.rows.some((r) => rowLive(r, nowMs, partDel)) || p.statics.some((c) => cellLive(c, nowMs, partDel));
          if (!live || !rowMatches(p, null)) return true;
          emit(p, null);
          total++;
          if (total >= limit) return false;
          if (rows.length >= pageSize) { pagingState = encodePagingState(p, null, total, 1); return false; }
          return true;
        }
        // index ranges of candidate rows, in storage order
        const ranges: [number, number][] = [];
        if (prefixes) for (const pre of prefixes) ranges.push([lowerBound(p, table, pre), upperBound(p, table, pre)]);
        else ranges.push([0, p.rows.length]);
        if (reversed) ranges.reverse();
        let any = false;
        for (const [a, b] of ranges) {
          const step = reversed ? -1 : 1;
          for (let i = reversed ? b - 1 : a; reversed ? i >= a : i < b; i += step) {
            const r = p.rows[i];
            scanned++;
            if (resumeCk) {
              const c = table.clusteringCompare(r.ck, resumeCk);
              if (reversed ? c >= 0 : c <= 0) continue;
            }
            if (!rowLive(r, nowMs, partDel)) continue;
            if (sliceCmp && ckSliceFinal) {
              const v = r.ck[ckSliceFinal.index];
              if (sliceStart) { const c = sliceCmp(v, sliceStart.v); if (c < 0 || (c === 0 && !sliceStart.inclusive)) continue; }
              if (sliceEnd) { const c = sliceCmp(v, sliceEnd.v); if (c > 0 || (c === 0 && !sliceEnd.inclusive)) continue; }
            }
            if (filters.length > 0 && !rowMatches(p, r)) continue;
            // checked before emitting: a page may have ended exactly at the partition's limit
            if (inPart >= perPartitionLimit) return true;
            any = true;
            emit(p, r);
            inPart++;
            total++;
            if (total >= limit) return false;
            if (rows.length >= pageSize) { pagingState = encodePagingState(p, r.ck, total, inPart); return false; }
          }
        }
        // a partition with only static cells shows as one row with null clustering columns
        if (!any && hasStatics && resumeCk === undefined && !prefixes && !ckSliceFinal && p.rows.every((r) => !rowLive(r, nowMs, partDel)) && p.statics.some((c) => cellLive(c, nowMs, partDel))) {
          if (filters.length > 0 && !rowMatches(p, null)) return true;
          emit(p, null);
          total++;
          if (total >= limit) return false;
          if (rows.length >= pageSize) { pagingState = encodePagingState(p, null, total, 1); return false; }
        }
        return true;
      };

      if (byKey) {
        // partition keys: cartesian product of the EQ/IN lists, deduplicated, in ring order
        let keys: Buffer[][] = [[]];
        for (const g of pkGet as Getter[]) {
          const vals = g(bound);
          const next: Buffer[][] = [];
          for (const k of keys) for (const v of vals) next.push([...k, v]);
          keys = next;
        }
        const h: TokenHalves = { hi: 0, lo: 0 };
        const parts = keys.map((comps) => {
          const key = partitionKeyBytes(comps);
          const token = cluster.tokenOf(key, h);
          return { key, keyStr: key.toString('latin1'), token, hi: h.hi, lo: h.lo };
        });
        if (parts.length > 1) {
          // Cassandra orders IN partitions by their serialized key (checked against Cassandra 5 in
          // test/sim/differential.test.ts), not by token
          parts.sort((a, b) => Buffer.compare(a.key, b.key));
          if (s.orderBy.length > 0 && pageSize !== Infinity) {
            throw new InvalidRequest('Cannot page queries with both ORDER BY and a IN restriction on the partition key; you must either remove the ORDER BY or the IN and sort client side, or disable paging for this query');
          }
        }
        if (parts.length === 1 && !virtual) {
          noteSinglePartition(cluster, session, table, parts[0].token, replicasOf(cluster, table, ks, parts[0].token, parts[0]), extras);
        }
        for (let i = 0; i < parts.length && !done; i++) {
          const k = parts[i];
          if (i > 0 && k.keyStr === parts[i - 1].keyStr) continue;
          let resumeCk: Buffer[] | null | undefined;
          let inPart = 0;
          if (resume) {
            const c = parts.length > 1 ? Buffer.compare(k.key, resume.key) : comparePartitions(k, { token: resume.token, key: resume.key });
            if (c < 0) continue;
            if (c === 0) {
              if (resume.ck === null) continue;
              resumeCk = resume.ck;
              inPart = resume.inPartition;
            }
          }
          h.hi = k.hi; h.lo = k.lo;
          const p = source.get(k.key, k.keyStr, k.token, h);
          if (!p) continue;
          if (!visitPartition(p, resumeCk, inPart)) done = true;
        }
      } else {
        let lo: bigint | null = tokenStart ? tokenStart.g(bound) : null;
        const loInclusive = tokenStart?.inclusive ?? true;
        let hi = tokenEnd ? tokenEnd.g(bound) : INT64_MAX;
        if (tokenEnd && !tokenEnd.inclusive) hi = hi - 1n;
        if (lo !== null && loInclusive) lo = lo === INT64_MIN ? null : lo - 1n;
        if (resume) lo = lo === null || resume.token - 1n > lo ? resume.token - 1n : lo;
        if (lo === null || lo < hi) {
          source.scan(lo, hi, (p) => {
            let resumeCk: Buffer[] | null | undefined;
            let inPart = 0;
            if (resume) {
              const c = comparePartitions(p, { token: resume.token, key: resume.key });
              if (c < 0) return true;
              if (c === 0) {
                if (resume.ck === null) return true;
                resumeCk = resume.ck;
                inPart = resume.inPartition;
              }
            }
            if (!visitPartition(p, resumeCk, inPart)) { done = true; return false; }
            return true;
          });
        }
      }
      extras.rowsScanned = scanned;
      if (countStar) {
        const b = Buffer.allocUnsafe(8);
        b.writeBigInt64BE(BigInt(count));
        return { kind: 'rows', columns: resultColumns, rows: [[b]] };
      }
      return pagingState ? { kind: 'rows', columns: resultColumns, rows, pagingState } : { kind: 'rows', columns: resultColumns, rows };
    },
  };
  return plan;
}

function elementTypeOf(t: CqlType, op: string): CqlType {
  if (op === 'CONTAINS KEY') {
    if (t.kind !== 'map') throw new InvalidRequest(`Cannot use CONTAINS KEY on non-map column`);
    return t.key;
  }
  if (op === 'CONTAINS') {
    if (t.kind === 'list' || t.kind === 'set') return t.element;
    if (t.kind === 'map') return t.value;
    throw new InvalidRequest('Cannot use CONTAINS on non-collection column');
  }
  return t;
}

function positiveInt(t: Term, what: string, bindName: string, specs: ColumnSpec[], ks: KeyspaceMeta, table: TableMeta): (b: Bound) => number {
  if (t.kind === 'bind') specs[t.index] = { keyspace: ks.name, table: table.name, name: t.name ?? bindName, type: { kind: 'int' } };
  return (b) => {
    const v = termToBytes(t, { kind: 'int' }, b, bindName);
    if (v === null) throw new InvalidRequest(`Invalid null value of ${what.toLowerCase()}`);
    if (v === UNSET_VALUE) return Infinity;
    const n = v.readInt32BE(0);
    if (n <= 0) throw new InvalidRequest(`${what} must be strictly positive`);
    return n;
  };
}

function selectFunction(e: SelectExpr & { kind: 'function' }, table: TableMeta, col: (n: string) => ColumnMeta): OutColumn {
  const name = e.name.toLowerCase();
  if (name === 'token') {
    const names = e.args.map((a) => (a.kind === 'column' ? a.name : ''));
    if (names.join(',') !== table.partitionKey.map((c) => c.name).join(',')) {
      throw new InvalidRequest(`The token function arguments must be in the partition key order: ${table.partitionKey.map((c) => c.name).join(', ')}`);
    }
    return { kind: 'token' };
  }
  if (name === 'writetime' || name === 'ttl') {
    const a = e.args[0];
    if (e.args.length !== 1 || a.kind !== 'column') throw new InvalidRequest(`${name}() takes exactly one column argument`);
    const c = col(a.name);
    if (c.kind === 'partition_key' || c.kind === 'clustering') throw new InvalidRequest(`Cannot use selection function ${name} on PRIMARY KEY part ${c.name}`);
    return { kind: name, slot: c.slot, isStatic: c.kind === 'static' };
  }
  throw new InvalidRequest(`Unknown function '${e.name}' (the scylla-bench emulator supports count(*), writetime, ttl and token)`);
}

function project(o: OutColumn, p: Partition, r: Row | null, nowMs: number): Buffer | null {
  switch (o.kind) {
    case 'pk': return p.components[o.index] ?? null;
    case 'ck': return r ? r.ck[o.index] : null;
    case 'regular': {
      if (!r) return null;
      const c = r.cells[o.slot];
      return cellLive(c, nowMs, Math.max(r.delTs, p.delTs)) ? c.v : null;
    }
    case 'static': {
      const c = p.statics[o.slot];
      return cellLive(c, nowMs, p.delTs) ? c.v : null;
    }
    case 'writetime': case 'ttl': {
      const c = o.isStatic ? p.statics[o.slot] : r?.cells[o.slot];
      const shadow = o.isStatic ? p.delTs : Math.max(r?.delTs ?? -Infinity, p.delTs);
      if (!cellLive(c, nowMs, shadow)) return null;
      if (o.kind === 'writetime') {
        const b = Buffer.allocUnsafe(8);
        b.writeBigInt64BE(BigInt(Math.trunc(c.ts)));
        return b;
      }
      if (c.exp === 0) return null;
      const b = Buffer.allocUnsafe(4);
      b.writeInt32BE(Math.max(0, Math.ceil((c.exp - nowMs) / 1000)));
      return b;
    }
    case 'token': {
      const b = Buffer.allocUnsafe(8);
      b.writeBigInt64BE(p.token);
      return b;
    }
  }
}

function valueOf(p: Partition, r: Row | null, c: ColumnMeta, nowMs: number): Buffer | null {
  switch (c.kind) {
    case 'partition_key': return p.components[c.position] ?? null;
    case 'clustering': return r ? r.ck[c.position] : null;
    case 'static': { const x = p.statics[c.slot]; return cellLive(x, nowMs, p.delTs) ? x.v : null; }
    default: {
      if (!r) return null;
      const x = r.cells[c.slot];
      return cellLive(x, nowMs, Math.max(r.delTs, p.delTs)) ? x.v : null;
    }
  }
}

function applyFilter(f: Filter, v: Buffer, values: Buffer[]): boolean {
  switch (f.op) {
    case '=': return f.cmp(v, values[0]) === 0;
    case '!=': return f.cmp(v, values[0]) !== 0;
    case '<': return f.cmp(v, values[0]) < 0;
    case '<=': return f.cmp(v, values[0]) <= 0;
    case '>': return f.cmp(v, values[0]) > 0;
    case '>=': return f.cmp(v, values[0]) >= 0;
    case 'IN': return values.some((x) => f.cmp(v, x) === 0);
    case 'CONTAINS': case 'CONTAINS KEY': {
      const t = f.column.type;
      const decoded = codecFor(t.kind === 'map' ? { kind: 'map', key: { kind: 'blob' }, value: { kind: 'blob' } } : { kind: 'list', element: { kind: 'blob' } }).read(v, 0, v.length);
      const items: Buffer[] = decoded instanceof Map ? [...(f.op === 'CONTAINS KEY' ? decoded.keys() : decoded.values())] as Buffer[] : decoded as Buffer[];
      return items.some((x) => x !== null && f.cmp(x, values[0]) === 0);
    }
    case 'LIKE': {
      const pat = values[0].toString('utf8');
      const re = new RegExp(`^${pat.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.')}$`, 's');
      return re.test(v.toString('utf8'));
    }
    default: return false;
  }
}

// ---------------------------------------------------------------------------------------------
// paging state: [long token][short bytes key][int total][int inPartition][short ck count or -1][short bytes ck...]

export function encodePagingState(p: Partition, ck: Buffer[] | null, total: number, inPartition: number): Buffer {
  const w = new Writer(64);
  w.long(p.token).shortBytes(p.key).int(total).int(inPartition);
  if (ck === null) w.short(0xffff);
  else {
    w.short(ck.length);
    for (const c of ck) w.shortBytes(c);
  }
  return w.toBuffer();
}

interface PagingPosition { token: bigint; key: Buffer; total: number; inPartition: number; ck: Buffer[] | null }

export function decodePagingState(b: Buffer): PagingPosition {
  try {
    const token = b.readBigInt64BE(0);
    const klen = b.readUInt16BE(8);
    let p = 10;
    const key = b.subarray(p, p + klen);
    p += klen;
    const total = b.readInt32BE(p);
    const inPartition = b.readInt32BE(p + 4);
    const n = b.readUInt16BE(p + 8);
    p += 10;
    let ck: Buffer[] | null = null;
    if (n !== 0xffff) {
      ck = [];
      for (let i = 0; i < n; i++) {
        const l = b.readUInt16BE(p);
        ck.push(b.subarray(p + 2, p + 2 + l));
        p += 2 + l;
      }
      if (p > b.length) throw new RangeError('truncated');
    }
    return { token, key, total, inPartition, ck };
  } catch {
    throw new InvalidRequest('Invalid value for the paging state');
  }
}

