/**
 * INSERT, UPDATE, DELETE and BATCH: compiled into functions that produce per-partition
 * mutations, then applied on every live replica (the owner shard of each replica node), with
 * consistency checked against live replicas, LWT conditions evaluated on one replica, and
 * materialized views kept in step.
 */
import { codecFor } from '../cql/codecs.js';
import type { ColumnSpec } from '../cql/messages.js';
import type { CqlType } from '../cql/types.js';
import type { Assignment, BatchStatement, Condition, ModificationStatement, Relation, Term, Using } from '../cql/parser/ast.js';
import { partitionKeyBytes, type TokenHalves } from '../routing/murmur3.js';
import type { Cluster } from './cluster.js';
import type { ExecExtras, ExecParams, ExecResult, Plan, Session } from './context.js';
import type { ColumnMeta, KeyspaceMeta, TableMeta } from './schema.js';
import { cellLive, findRow, rowLive } from './storage.js';
import { compareFor, durationToMs, InvalidRequest, parseDurationLiteral, termToBytes, timeoutGetter, UNSET_VALUE, type Bound } from './values.js';
import { replicasOf } from './locator.js';
import type { CellOp, Mutation, PartitionWrite } from './mutation.js';
import { applyWrites, checkAvailable, readReplica } from './proxy.js';

const MAX_TTL_S = 630720000;
type G = (b: Bound) => Buffer | null | typeof UNSET_VALUE;

interface ModifyCompiled {
  table: TableMeta;
  isCounter: boolean;
  hasConditions: boolean;
  /** Writes for one execution; `tsOverride` is the batch's timestamp. */
  writes(session: Session, bound: Bound, params: ExecParams, tsOverride?: number): PartitionWrite[];
  /** LWT: evaluates the condition on the current row; returns the [applied]=false row or null when it applies. */
  check?(session: Session, bound: Bound, w: PartitionWrite, params: ExecParams): (Buffer | null)[] | null;
  conditionColumns: ColumnSpec[];
  timeout?: Term;
}

export function compileModification(cluster: Cluster, ks: KeyspaceMeta, table: TableMeta, s: ModificationStatement, bindCount: number): Plan {
  const bindSpecs: ColumnSpec[] = new Array(bindCount);
  const c = compileModify(cluster, ks, table, s, bindSpecs);
  for (let i = 0; i < bindSpecs.length; i++) if (!bindSpecs[i]) bindSpecs[i] = { keyspace: ks.name, table: table.name, name: `[bind${i}]`, type: { kind: 'blob' } };
  const pkIndexes = pkMarkerIndexes(table, s);
  const applied: ColumnSpec = { keyspace: ks.name, table: table.name, name: '[applied]', type: { kind: 'boolean' } };
  const timeoutG = timeoutGetter(s.using.timeout);
  return {
    target: { keyspace: ks.name, table: table.name },
    timeoutMs: timeoutG,
    isCounter: c.isCounter,
    opKind: 'write',
    bindSpecs,
    pkIndexes,
    resultColumns: c.hasConditions ? [applied] : [],
    isLwt: c.hasConditions,
    generation: cluster.schema.generation,
    batchable: { keyspace: ks, isCounter: c.isCounter, hasConditions: c.hasConditions, writes: c.writes },
    execute(session, bound, params, extras) {
      const writes = c.writes(session, bound, params);
      if (c.hasConditions) {
        if (writes.length !== 1) throw new InvalidRequest('IN on the partition key is not supported with conditional updates');
        const w = writes[0];
        const failed = c.check!(session, bound, w, params);
        if (failed) return { kind: 'rows', columns: [applied, ...c.conditionColumns], rows: [failed] };
        applyWrites(cluster, session, ks, writes, params.consistency, extras, true);
        return { kind: 'rows', columns: [applied], rows: [[TRUE]] };
      }
      applyWrites(cluster, session, ks, writes, params.consistency, extras, writes.length === 1);
      return { kind: 'void' };
    },
  };
}

/** The cartesian product of the first n value lists; the common single-value case allocates one array. */
function expand(gs: ((b: Bound) => Buffer[])[], n: number, bound: Bound): Buffer[][] {
  const lists: Buffer[][] = new Array(n);
  let product = 1;
  for (let i = 0; i < n; i++) {
    lists[i] = gs[i](bound);
    product *= lists[i].length;
  }
  if (product === 1) {
    const one: Buffer[] = new Array(n);
    for (let i = 0; i < n; i++) one[i] = lists[i][0];
    return [one];
  }
  let out: Buffer[][] = [[]];
  for (let i = 0; i < n; i++) {
    const next: Buffer[][] = [];
    for (const k of out) for (const v of lists[i]) next.push([...k, v]);
    out = next;
  }
  return out;
}

const TRUE = Buffer.from([1]);
const FALSE = Buffer.from([0]);

export function compileBatch(cluster: Cluster, defaultKs: string | undefined, s: BatchStatement, bindCount: number): Plan {
  const bindSpecs: ColumnSpec[] = new Array(bindCount);
  if (s.statements.length === 0) throw new InvalidRequest('Empty batch');
  const parts = s.statements.map((st) => {
    const ks = cluster.keyspace(st.table.keyspace ?? defaultKs);
    const table = ks.relation(st.table.name);
    if (!table) throw new InvalidRequest(`unconfigured table ${st.table.name}`);
    if (table.view) throw new InvalidRequest(`Cannot directly modify a materialized view`);
    if (s.using.timestamp && st.using.timestamp) throw new InvalidRequest('Timestamp must be set either on BATCH or individual statements');
    return { ks, c: compileModify(cluster, ks, table, st, bindSpecs) };
  });
  const anyCounter = parts.some((p) => p.c.isCounter);
  if (s.type === 'counter' && parts.some((p) => !p.c.isCounter)) throw new InvalidRequest('Cannot include non-counter statement in a counter batch');
  if (s.type !== 'counter' && anyCounter) {
    throw new InvalidRequest(s.type === 'logged' ? 'Cannot include a counter statement in a logged batch' : 'Counter and non-counter mutations cannot exist in the same batch');
  }
  if (parts.some((p) => p.c.hasConditions)) throw new InvalidRequest('Conditional batches are not supported by the scylla-bench emulator');
  for (let i = 0; i < bindSpecs.length; i++) if (!bindSpecs[i]) bindSpecs[i] = { keyspace: parts[0].ks.name, table: parts[0].c.table.name, name: `[bind${i}]`, type: { kind: 'blob' } };
  const tsG = s.using.timestamp ? timestampGetter(s.using.timestamp, bindSpecs, parts[0].ks, parts[0].c.table) : undefined;
  const timeoutG = timeoutGetter(s.using.timeout);
  return {
    target: { keyspace: parts[0].ks.name, table: parts[0].c.table.name },
    timeoutMs: timeoutG,
    isCounter: s.type === 'counter',
    opKind: 'batch',
    bindSpecs,
    pkIndexes: [],
    resultColumns: [],
    isLwt: false,
    generation: cluster.schema.generation,
    execute(session, bound, params, extras) {
      const ts = tsG ? tsG(bound) : undefined;
      // one timestamp for the whole batch (the coordinator's, unless the client or USING set it)
      const batchParams = params.timestampUs !== undefined ? params : { ...params, timestampUs: BigInt(cluster.nowMicros()) };
      const writes: PartitionWrite[] = [];
      for (const p of parts) writes.push(...p.c.writes(session, bound, batchParams, ts));
      // group writes per keyspace (a batch may span keyspaces)
      const byKs = new Map<KeyspaceMeta, PartitionWrite[]>();
      parts.forEach((p) => { if (!byKs.has(p.ks)) byKs.set(p.ks, []); });
      for (const w of writes) {
        const ks = parts.find((p) => p.c.table === w.table)!.ks;
        byKs.get(ks)!.push(w);
      }
      const single = new Set(writes.map((w) => `${w.table.id}:${partitionKeyBytes(w.components).toString('latin1')}`)).size === 1;
      for (const [ks, ws] of byKs) if (ws.length > 0) applyWrites(cluster, session, ks, ws, params.consistency, extras, single);
      return { kind: 'void' };
    },
  };
}

/**
 * A protocol BATCH (opcode 0x0D): each child brings its own plan and bound values; the writes are
 * applied together. Same rules as a CQL BEGIN BATCH (counter mixing, conditions).
 */
export function executeProtocolBatch(cluster: Cluster, session: Session, children: { plan: Plan; bound: Bound }[], type: 'logged' | 'unlogged' | 'counter', params: ExecParams, extras: ExecExtras): ExecResult {
  const bs = children.map((ch) => {
    if (!ch.plan.batchable) throw new InvalidRequest('Only INSERT, UPDATE and DELETE statements are allowed in a BATCH');
    return ch.plan.batchable;
  });
  const anyCounter = bs.some((b) => b.isCounter);
  if (type === 'counter' && bs.some((b) => !b.isCounter)) throw new InvalidRequest('Cannot include non-counter statement in a counter batch');
  if (type !== 'counter' && anyCounter) {
    throw new InvalidRequest(type === 'logged' ? 'Cannot include a counter statement in a logged batch' : 'Counter and non-counter mutations cannot exist in the same batch');
  }
  if (bs.some((b) => b.hasConditions)) throw new InvalidRequest('Conditional batches are not supported by the scylla-bench emulator');
  const byKs = new Map<KeyspaceMeta, PartitionWrite[]>();
  const keys = new Set<string>();
  // one default timestamp for every statement of the batch; a statement's USING TIMESTAMP still wins
  const batchParams = params.timestampUs !== undefined ? params : { ...params, timestampUs: BigInt(cluster.nowMicros()) };
  children.forEach((ch, i) => {
    const ws = bs[i].writes(session, ch.bound, batchParams);
    if (!byKs.has(bs[i].keyspace)) byKs.set(bs[i].keyspace, []);
    for (const w of ws) {
      byKs.get(bs[i].keyspace)!.push(w);
      keys.add(`${w.table.id}:${partitionKeyBytes(w.components).toString('latin1')}`);
    }
  });
  for (const [ks, ws] of byKs) applyWrites(cluster, session, ks, ws, params.consistency, extras, keys.size === 1);
  return { kind: 'void' };
}

/** Indexes of the markers binding the partition key by `=` (for PREPARED pk_indexes). */
function pkMarkerIndexes(table: TableMeta, s: ModificationStatement): number[] {
  const out: (number | undefined)[] = new Array(table.partitionKey.length);
  if (s.kind === 'insert') {
    s.columns.forEach((name, i) => {
      const c = table.byName.get(name);
      const v = s.values[i];
      if (c?.kind === 'partition_key' && v.kind === 'bind') out[c.position] = v.index;
    });
  } else {
    for (const r of s.where) {
      if (r.kind !== 'column' || r.op !== '=' || r.value.kind !== 'bind') continue;
      const c = table.byName.get(r.column);
      if (c?.kind === 'partition_key') out[c.position] = r.value.index;
    }
  }
  return out.every((x) => x !== undefined) && out.length > 0 ? (out as number[]) : [];
}

function timestampGetter(t: Term, specs: ColumnSpec[], ks: KeyspaceMeta, table: TableMeta): (b: Bound) => number | undefined {
  if (t.kind === 'bind') specs[t.index] = { keyspace: ks.name, table: table.name, name: t.name ?? '[timestamp]', type: { kind: 'bigint' } };
  return (b) => {
    const v = termToBytes(t, { kind: 'bigint' }, b, '[timestamp]');
    if (v === null) throw new InvalidRequest('Invalid null value of timestamp');
    if (v === UNSET_VALUE) return undefined;
    return Number(v.readBigInt64BE(0));
  };
}

function ttlGetter(t: Term, specs: ColumnSpec[], ks: KeyspaceMeta, table: TableMeta): (b: Bound) => number | undefined {
  if (t.kind === 'bind') specs[t.index] = { keyspace: ks.name, table: table.name, name: t.name ?? '[ttl]', type: { kind: 'int' } };
  return (b) => {
    const v = termToBytes(t, { kind: 'int' }, b, '[ttl]');
    if (v === null) throw new InvalidRequest('Invalid null value of TTL');
    if (v === UNSET_VALUE) return undefined;
    const n = v.readInt32BE(0);
    if (n < 0) throw new InvalidRequest(`A TTL must be greater or equal to 0, but was ${n}`);
    if (n > MAX_TTL_S) throw new InvalidRequest(`ttl is too large. requested (${n}) maximum (${MAX_TTL_S})`);
    return n;
  };
}

/** Validates USING TIMEOUT at prepare time when it is a literal (the value itself is not modelled here). */
export function checkTimeout(using: Using, specs: ColumnSpec[], ks: string, table: string): void {
  const t = using.timeout;
  if (!t) return;
  if (t.kind === 'bind') { specs[t.index] = { keyspace: ks, table, name: t.name ?? '[timeout]', type: { kind: 'duration' } }; return; }
  if (t.kind === 'literal' && t.type === 'null') throw new InvalidRequest('Timeout value cannot be null');
  if (t.kind === 'literal' && (t.type === 'duration' || t.type === 'string')) durationToMs(parseDurationLiteral(t.value));
}

function compileModify(cluster: Cluster, ks: KeyspaceMeta, table: TableMeta, s: ModificationStatement, bindSpecs: ColumnSpec[]): ModifyCompiled {
  if (table.view) throw new InvalidRequest(`Cannot directly modify a materialized view`);
  const spec = (name: string, type: CqlType): ColumnSpec => ({ keyspace: ks.name, table: table.name, name, type });
  const col = (name: string): ColumnMeta => {
    const c = table.byName.get(name);
    if (!c) throw new InvalidRequest(`Unknown identifier ${name}`);
    return c;
  };
  const value = (t: Term, c: { name: string; type: CqlType }, bindName = c.name): G => {
    if (t.kind === 'bind') bindSpecs[t.index] = spec(t.name ?? bindName, c.type);
    if (t.kind === 'literal' && t.type !== 'null') {
      const v = termToBytes(t, c.type, [], c.name);
      return () => v;
    }
    return (b) => termToBytes(t, c.type, b, c.name);
  };
  checkTimeout(s.using, bindSpecs, ks.name, table.name);
  const tsG = s.using.timestamp ? timestampGetter(s.using.timestamp, bindSpecs, ks, table) : undefined;
  const ttlG = s.kind !== 'delete' && s.using.ttl ? ttlGetter(s.using.ttl, bindSpecs, ks, table) : undefined;
  if (s.kind === 'delete' && s.using.ttl) throw new InvalidRequest('DELETE statements cannot have a TTL');
  const defaultTtl = Number(table.options.get('default_time_to_live') ?? 0);

  // partition key and clustering restrictions (INSERT: from the column list)
  const pk: ((b: Bound) => Buffer[])[] = new Array(table.partitionKey.length);
  const ck: ((b: Bound) => Buffer[])[] = [];
  let ckSlice: { start?: { g: G; inclusive: boolean }; end?: { g: G; inclusive: boolean }; index: number } | undefined;
  const keyVal = (g: G, name: string): ((b: Bound) => Buffer[]) => (b) => {
    const v = g(b);
    if (v === null) throw new InvalidRequest(`Invalid null value in condition for column ${name}`);
    if (v === UNSET_VALUE) throw new InvalidRequest(`Invalid unset value for column ${name}`);
    return [v];
  };
  const ops: { col: ColumnMeta; op: CellOp['op']; g: G; key?: G }[] = [];
  const deleteCols: { col: ColumnMeta; key?: G }[] = [];

  if (s.kind === 'insert') {
    if (s.json) throw new InvalidRequest('INSERT JSON is not supported by the scylla-bench emulator');
    const seen = new Set<string>();
    s.columns.forEach((name, i) => {
      const c = col(name);
      if (seen.has(name)) throw new InvalidRequest(`Multiple definitions found for column ${name}`);
      seen.add(name);
      const g = value(s.values[i], c);
      if (c.kind === 'partition_key') pk[c.position] = keyVal(g, c.name);
      else if (c.kind === 'clustering') ck[c.position] = keyVal(g, c.name);
      else {
        if (c.type.kind === 'counter') throw new InvalidRequest('INSERT statements are not allowed on counter tables, use UPDATE instead');
        ops.push({ col: c, op: 'set', g });
      }
    });
    const missingPk = table.partitionKey.filter((c) => !pk[c.position]).map((c) => c.name);
    if (missingPk.length) throw new InvalidRequest(`Some partition key parts are missing: ${missingPk.join(', ')}`);
    const missingCk = table.clustering.filter((c) => !ck[c.position]).map((c) => c.name);
    // an INSERT of static columns only may leave the clustering key out
    const staticOnly = ops.length > 0 && ops.every((o) => o.col.kind === 'static') && ck.every((g) => g === undefined);
    if (missingCk.length && !staticOnly) throw new InvalidRequest(`Some clustering keys are missing: ${missingCk.join(', ')}`);
  } else {
    for (const r of s.where) whereRelation(r);
    const missingPk = table.partitionKey.filter((c) => !pk[c.position]).map((c) => c.name);
    if (missingPk.length) throw new InvalidRequest(`Some partition key parts are missing: ${missingPk.join(', ')}`);
    if (s.kind === 'update') {
      for (const a of s.assignments) assignment(a);
      const onlyStatic = ops.every((o) => o.col.kind === 'static');
      const missingCk = table.clustering.filter((c) => !ck[c.position]).map((c) => c.name);
      if (missingCk.length && !onlyStatic) throw new InvalidRequest(`Some clustering keys are missing: ${missingCk.join(', ')}`);
      if (ckSlice) throw new InvalidRequest(`Invalid operator in where clause: slices are not allowed in UPDATE`);
    } else {
      for (const d of s.columns) {
        const c = col(d.name);
        if (c.kind === 'partition_key' || c.kind === 'clustering') throw new InvalidRequest(`Invalid identifier ${d.name} for deletion (should not be a PRIMARY KEY part)`);
        deleteCols.push(d.key ? { col: c, key: value(d.key, { name: c.name, type: c.type.kind === 'map' ? c.type.key : { kind: 'int' } }) } : { col: c });
      }
      if (deleteCols.length > 0 && deleteCols.some((d) => d.col.kind !== 'static') && ck.length < table.clustering.length) {
        const missingCk = table.clustering.filter((c) => !ck[c.position]).map((c) => c.name);
        throw new InvalidRequest(`Some clustering keys are missing: ${missingCk.join(', ')}`);
      }
    }
  }

  function whereRelation(r: Relation): void {
    if (r.kind === 'token' || r.kind === 'multi' || r.kind === 'multi-in') throw new InvalidRequest(`Invalid relation in the WHERE clause of a ${s.kind.toUpperCase()}`);
    const c = col(r.column);
    if (c.kind !== 'partition_key' && c.kind !== 'clustering') {
      throw new InvalidRequest(`Non PRIMARY KEY columns found in where clause: ${c.name}`);
    }
    const target = c.kind === 'partition_key' ? pk : ck;
    if (r.kind === 'in') {
      const gs = r.values.map((v) => keyVal(value(v, c), c.name));
      target[c.position] = (b) => gs.flatMap((g) => g(b));
      return;
    }
    if (r.op === '=') { target[c.position] = keyVal(value(r.value, c), c.name); return; }
    if (r.op === 'IN') {
      const listType: CqlType = { kind: 'list', element: c.type };
      const g = value(r.value, { name: c.name, type: listType }, `in(${c.name})`);
      target[c.position] = (b) => {
        const v = g(b);
        if (v === null || v === UNSET_VALUE) throw new InvalidRequest(`Invalid null value for IN restriction on ${c.name}`);
        return (codecFor({ kind: 'list', element: { kind: 'blob' } }).read(v, 0, v.length) as (Buffer | null)[]).filter((x): x is Buffer => x !== null);
      };
      return;
    }
    if (c.kind === 'clustering' && s.kind === 'delete' && ['<', '<=', '>', '>='].includes(r.op)) {
      ckSlice ??= { index: c.position };
      if (ckSlice.index !== c.position) throw new InvalidRequest('Range deletions must restrict a single clustering column after an equality prefix');
      const bound = { g: value(r.value, c), inclusive: r.op === '<=' || r.op === '>=' };
      if (r.op === '>' || r.op === '>=') ckSlice.start = bound;
      else ckSlice.end = bound;
      return;
    }
    throw new InvalidRequest(c.kind === 'partition_key' ? `Only EQ and IN relation are supported on the partition key (unless you use the token() function)` : `Invalid operator ${r.op} for PRIMARY KEY part ${c.name}`);
  }

  function assignment(a: Assignment): void {
    const c = col(a.column);
    if (c.kind === 'partition_key' || c.kind === 'clustering') throw new InvalidRequest(`PRIMARY KEY part ${c.name} found in SET part`);
    const t = c.type;
    if (a.kind === 'set') {
      if (t.kind === 'counter') throw new InvalidRequest(`Cannot set the value of counter column ${c.name} (counters can only be incremented/decremented, not set)`);
      ops.push({ col: c, op: 'set', g: value(a.value, c) });
    } else if (a.kind === 'add' || a.kind === 'remove') {
      if (t.kind === 'counter') {
        const g = value(a.value, { name: c.name, type: { kind: 'bigint' } });
        const neg = a.kind === 'remove';
        ops.push({ col: c, op: 'counter', g: neg ? (b) => { const v = g(b); if (!(v instanceof Buffer)) return v; const o = Buffer.allocUnsafe(8); o.writeBigInt64BE(-v.readBigInt64BE(0)); return o; } : g });
        return;
      }
      if ((t.kind !== 'list' && t.kind !== 'set' && t.kind !== 'map') || t.frozen) throw new InvalidRequest(`Invalid operation (${c.name} = ${c.name} ${a.kind === 'add' ? '+' : '-'} ?) for non counter column ${c.name}`);
      const argType: CqlType = a.kind === 'remove' && t.kind === 'map' ? { kind: 'set', element: t.key } : t;
      ops.push({ col: c, op: a.kind, g: value(a.value, { name: c.name, type: argType }) });
    } else if (a.kind === 'prepend') {
      if (t.kind !== 'list' || t.frozen) throw new InvalidRequest(`Invalid operation (${c.name} = ? + ${c.name}) for non list column ${c.name}`);
      ops.push({ col: c, op: 'prepend', g: value(a.value, c) });
    } else if (a.kind === 'set-element') {
      if (t.kind === 'map' && !t.frozen) ops.push({ col: c, op: 'set-element', key: value(a.key, { name: c.name, type: t.key }), g: value(a.value, { name: c.name, type: t.value }) });
      else if (t.kind === 'list' && !t.frozen) ops.push({ col: c, op: 'set-element', key: value(a.key, { name: c.name, type: { kind: 'int' } }), g: value(a.value, { name: c.name, type: t.element }) });
      else throw new InvalidRequest(`Invalid operation (${c.name}[?] = ?) for non collection column ${c.name}`);
    } else {
      throw new InvalidRequest('UDT field updates are not supported by the scylla-bench emulator');
    }
  }

  const isCounter = table.isCounter;
  if (isCounter && s.kind === 'update' && ops.some((o) => o.op !== 'counter')) throw new InvalidRequest('Cannot mix counter and non counter columns in the same table');
  if (isCounter && ttlG) throw new InvalidRequest('Cannot provide custom TTL for counter updates');

  // LWT conditions
  const conditions: Condition[] = s.kind === 'insert' ? [] : s.conditions;
  const ifExists = s.kind !== 'insert' && s.ifExists;
  const ifNotExists = s.kind === 'insert' && s.ifNotExists;
  const hasConditions = ifExists || ifNotExists || conditions.length > 0;
  if (hasConditions && isCounter) throw new InvalidRequest('Conditional updates are not supported on counter tables');
  if (hasConditions && s.using.timestamp) throw new InvalidRequest('Cannot provide custom timestamp for conditional updates');
  const condGetters = conditions.map((cd) => {
    const c = col(cd.column);
    if (cd.mapKey) throw new InvalidRequest('Conditions on map elements are not supported by the scylla-bench emulator');
    if (cd.op === 'IN') {
      const items = cd.value.kind === 'tuple' ? cd.value.items : [cd.value];
      return { c, op: cd.op, gs: items.map((it) => value(it, c)) };
    }
    return { c, op: cd.op, gs: [value(cd.value, c)] };
  });
  const conditionColumns: ColumnSpec[] = ifNotExists ? table.columns.map((c) => spec(c.name, c.type)) : condGetters.map((x) => spec(x.c.name, x.c.type));

  const writes = (session: Session, bound: Bound, params: ExecParams, tsOverride?: number): PartitionWrite[] => {
    let ts = tsOverride ?? (tsG ? tsG(bound) : undefined);
    if (ts === undefined) ts = params.timestampUs !== undefined ? Number(params.timestampUs) : session.cluster.nowMicros();
    let ttlS = ttlG ? ttlG(bound) : undefined;
    if (ttlS === undefined) ttlS = defaultTtl;
    // partition keys and clustering prefixes (IN expands)
    const keys = expand(pk, pk.length, bound);
    let ckLen = 0;
    while (ckLen < ck.length && ck[ckLen]) ckLen++;
    const cks = expand(ck, ckLen, bound);
    const fullCk = table.clustering.length === 0 || (cks[0].length === table.clustering.length);
    const muts: Mutation[] = [];
    if (s.kind === 'delete') {
      if (deleteCols.length > 0) {
        const columns = deleteCols.map((d) => {
          if (!d.key) return { col: d.col };
          const k = d.key(bound);
          if (!(k instanceof Buffer)) throw new InvalidRequest(`Invalid null value for element of ${d.col.name}`);
          return { col: d.col, key: k };
        });
        const onlyStatic = deleteCols.every((d) => d.col.kind === 'static');
        if (onlyStatic && !fullCk) muts.push({ kind: 'delete-cells', ck: null, columns });
        else for (const k of cks) muts.push({ kind: 'delete-cells', ck: k, columns });
      } else if (ckSlice) {
        const sl = ckSlice;
        for (const pre of cks) {
          const bnd = (x: { g: G; inclusive: boolean } | undefined): { prefix: Buffer[]; inclusive: boolean } | undefined => {
            if (!x) return { prefix: pre, inclusive: true };
            const v = x.g(bound);
            if (!(v instanceof Buffer)) throw new InvalidRequest(`Invalid null value in condition for column ${table.clustering[sl.index].name}`);
            return { prefix: [...pre, v], inclusive: x.inclusive };
          };
          let start = bnd(sl.start);
          let end = bnd(sl.end);
          if (table.clustering[sl.index].desc) [start, end] = [end, start];
          if (pre.length === 0) {
            if (!sl.start) table.clustering[sl.index].desc ? (end = undefined) : (start = undefined);
            if (!sl.end) table.clustering[sl.index].desc ? (start = undefined) : (end = undefined);
          }
          muts.push({ kind: 'delete-range', start, end });
        }
      } else if (cks[0].length === 0) {
        muts.push({ kind: 'delete-partition' });
      } else if (fullCk) {
        for (const k of cks) muts.push({ kind: 'delete-row', ck: k });
      } else {
        for (const pre of cks) muts.push({ kind: 'delete-range', start: { prefix: pre, inclusive: true }, end: { prefix: pre, inclusive: true } });
      }
    } else {
      const cellOps: CellOp[] = [];
      for (const o of ops) {
        const v = o.g(bound);
        if (v === UNSET_VALUE) continue;
        let key: Buffer | undefined;
        if (o.key) {
          const k = o.key(bound);
          if (!(k instanceof Buffer)) throw new InvalidRequest(`Invalid null value for key of ${o.col.name}`);
          key = k;
        }
        if (o.op === 'counter' && v === null) throw new InvalidRequest(`Invalid null value for counter increment`);
        cellOps.push(key ? { col: o.col, op: o.op, v, key } : { col: o.col, op: o.op, v });
      }
      const marker = s.kind === 'insert';
      const staticOnly = cellOps.length > 0 && cellOps.every((o) => o.col.kind === 'static') && !fullCk;
      if (staticOnly) muts.push({ kind: 'upsert', ck: null, marker: false, ops: cellOps });
      else for (const k of cks) muts.push({ kind: 'upsert', ck: table.clustering.length === 0 ? [] : k, marker, ops: cellOps });
    }
    const out: PartitionWrite[] = [];
    for (const k of keys) for (const m of muts) out.push({ table, components: k, mutation: m, ts, ttlS });
    return out;
  };

  const check = hasConditions ? (session: Session, bound: Bound, w: PartitionWrite, params: ExecParams): (Buffer | null)[] | null => {
    const h: TokenHalves = { hi: 0, lo: 0 };
    const key = partitionKeyBytes(w.components);
    const token = session.cluster.tokenFor(table, key, h);
    const reps = replicasOf(session.cluster, table, ks, token, h);
    const serial = params.serialConsistency ?? 8; // SERIAL
    checkAvailable(session.cluster, ks, reps, serial === 9 ? 9 : 8, true);
    const r = readReplica(reps, session.node)!;
    const p = r.node.shards[r.shard].store.tables.get(table.id)?.get(key.toString('latin1'));
    const nowMs = Date.now();
    const ckv = w.mutation.kind === 'upsert' || w.mutation.kind === 'delete-cells' || w.mutation.kind === 'delete-row' ? w.mutation.ck : null;
    const row = p && ckv && ckv.length > 0 ? findRow(p, table, ckv) : undefined;
    const exists = p !== undefined && (ckv && ckv.length > 0 ? row !== undefined && rowLive(row, nowMs, p.delTs) : p.rows.some((x) => rowLive(x, nowMs, p.delTs)) || p.statics.some((c) => cellLive(c, nowMs, p.delTs)));
    const cellValue = (c: ColumnMeta): Buffer | null => {
      if (!p) return null;
      if (c.kind === 'partition_key') return w.components[c.position];
      if (c.kind === 'clustering') return ckv ? ckv[c.position] ?? null : null;
      if (c.kind === 'static') { const x = p.statics[c.slot]; return cellLive(x, nowMs, p.delTs) ? x.v : null; }
      const x = row?.cells[c.slot];
      return row && cellLive(x, nowMs, Math.max(row.delTs, p.delTs)) ? x.v : null;
    };
    if (ifNotExists) return exists ? [FALSE, ...table.columns.map(cellValue)] : null;
    if (ifExists) return exists ? null : [FALSE, ...condGetters.map((g) => cellValue(g.c))];
    let ok = true;
    for (const g of condGetters) {
      const cur = cellValue(g.c);
      const vals = g.gs.map((x) => x(bound)).map((v) => (v === UNSET_VALUE ? null : v));
      const cmp = compareFor(g.c.type);
      const test = (v: Buffer | null): boolean => {
        if (cur === null || v === null) {
          if (g.op === '=') return cur === v;
          if (g.op === '!=') return cur !== v;
          return false;
        }
        const r2 = cmp(cur, v);
        switch (g.op) {
          case '=': case 'IN': return r2 === 0;
          case '!=': return r2 !== 0;
          case '<': return r2 < 0;
          case '<=': return r2 <= 0;
          case '>': return r2 > 0;
          case '>=': return r2 >= 0;
          default: throw new InvalidRequest(`Unsupported operator ${g.op} in a condition`);
        }
      };
      const pass = g.op === 'IN' ? vals.some(test) : test(vals[0]);
      if (!pass) { ok = false; break; }
    }
    return ok ? null : [FALSE, ...condGetters.map((g) => cellValue(g.c))];
  } : undefined;

  return { table, isCounter, hasConditions, writes, check, conditionColumns, timeout: s.using.timeout };
}

