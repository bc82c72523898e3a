/**
 * What a profile says about the workload, in the terms the checks need: per table the mix of
 * reads, writes, scans and overwrites (weighted by how often each class runs), TTLs and the
 * table's own DDL; per class whether it is OLTP or OLAP and its service level; the consistency
 * levels each keyspace is used with. Pure: built from the resolved profile (and, when given, the
 * op counts a result measured).
 */
import { parseStatement, type CreateTableStatement, type Property, type PropertyValue, type Term } from '../cql/parser/index.js';
import type { CqlType } from '../cql/types.js';
import type { ConsistencyName, ResolvedProfile } from '../profile/types.js';

export interface TableDdl {
  compaction: Record<string, string> | null;
  defaultTtlSec: number | null;
  /** CQL type of the first clustering column (time series cluster by time). */
  firstClusteringType: string | null;
}

export interface TableUse {
  keyspace: string;
  table: string;
  /** Ops per second (or measured ops) by kind; batches count their rows. */
  reads: number;
  scans: number;
  writes: number;
  /** Of the writes, UPDATE and DELETE: they rewrite or shadow data that exists. */
  overwrites: number;
  /** USING TTL on a write: the literal seconds, or 'bound' when a marker supplies it. */
  opTtl: number | 'bound' | null;
  /** `class.op` names that touch the table, for evidence. */
  ops: string[];
  ddl: TableDdl | null;
}

export interface ClassUse {
  name: string;
  phase: string;
  kind: 'OLTP' | 'OLAP';
  /** Share of the class's mix that is token-range scans. */
  scanShare: number;
  serviceLevel: string | null;
  loop: 'open' | 'closed';
}

export interface OpUse {
  cls: string;
  op: string;
  keyspace: string;
  consistency: ConsistencyName;
  serialConsistency?: ConsistencyName;
}

export interface ProfileModel {
  file: string;
  tables: Map<string, TableUse>;
  classes: ClassUse[];
  ops: OpUse[];
  /** The profile's CREATE KEYSPACE replication per keyspace. */
  keyspaces: Map<string, Record<string, string> | null>;
  /** How the classes were weighed against each other, for evidence. */
  weighting: string;
}

/** A class is OLAP when at least half of its mix is token-range scans. */
export const OLAP_SCAN_SHARE = 0.5;
/** Closed-loop classes, without measured counts, weigh as if each in-flight request took 1 ms. */
export const ASSUMED_CLOSED_LOOP_OPS_PER_SEC_PER_IN_FLIGHT = 1000;

export const tableKey = (ks: string, t: string): string => `${ks}.${t}`;

/**
 * @param measured op counts per class and op (from a result); they replace the profile's
 *   rates as weights when given.
 */
export function modelProfile(p: ResolvedProfile, measured?: Record<string, Record<string, number>>): ProfileModel {
  const tables = new Map<string, TableUse>();
  const keyspaces = new Map<string, Record<string, string> | null>();
  const ddlByTable = new Map<string, TableDdl>();
  for (const w of Object.values(p.workloads)) {
    for (const src of w.schema) {
      let st;
      try {
        st = parseStatement(src).statement;
      } catch {
        continue; // the profile loader already accepted it; what the parser cannot read carries no option we judge
      }
      if (st.kind === 'create-keyspace') keyspaces.set(st.name, propMap(st.properties, 'replication'));
      if (st.kind === 'create-table') ddlByTable.set(tableKey(st.table.keyspace ?? w.keyspace, st.table.name), tableDdl(st));
    }
    if (!keyspaces.has(w.keyspace)) keyspaces.set(w.keyspace, null);
  }
  // measure/warmup classes are the production mix; a profile without them is judged on what it has
  const running = p.phases.filter((ph) => (ph.kind === 'measure' || ph.kind === 'warmup') && ph.classes.length > 0);
  const phases = running.length > 0 ? running : p.phases.filter((ph) => ph.classes.length > 0);
  const seen = new Set<string>();
  const classes: ClassUse[] = [];
  const ops: OpUse[] = [];
  let assumed = false;
  for (const ph of phases) {
    for (const c of ph.classes) {
      if (seen.has(c.name)) continue;
      seen.add(c.name);
      const w = p.workloads[c.workload];
      const mixTotal = Object.values(c.mix).reduce((a, b) => a + b, 0) || 1;
      const open = c.rateOpsPerSec !== undefined;
      const classRate = open ? c.rateOpsPerSec! : (c.concurrency ?? 1) * ASSUMED_CLOSED_LOOP_OPS_PER_SEC_PER_IN_FLIGHT;
      if (!open && !measured) assumed = true;
      let scanWeight = 0;
      for (const [opName, weight] of Object.entries(c.mix)) {
        const op = w?.operations[opName];
        if (!op) continue;
        if (op.kind === 'scan') scanWeight += weight;
        let stmt;
        try {
          stmt = parseStatement(op.cql).statement;
        } catch {
          continue;
        }
        if (stmt.kind === 'batch' || !('table' in stmt)) continue;
        const ks = stmt.table.keyspace ?? w!.keyspace;
        ops.push({ cls: c.name, op: opName, keyspace: ks, consistency: op.consistency, serialConsistency: op.serialConsistency });
        const key = tableKey(ks, stmt.table.name);
        let t = tables.get(key);
        if (!t) {
          t = { keyspace: ks, table: stmt.table.name, reads: 0, scans: 0, writes: 0, overwrites: 0, opTtl: null, ops: [], ddl: ddlByTable.get(key) ?? null };
          tables.set(key, t);
        }
        const rate = measured ? measured[c.name]?.[opName] ?? 0 : (classRate * weight) / mixTotal;
        const rows = op.batchRows ?? 1;
        if (op.kind === 'scan') t.scans += rate;
        else if (op.kind === 'read') t.reads += rate;
        else {
          t.writes += rate * rows;
          if (stmt.kind === 'update' || stmt.kind === 'delete') t.overwrites += rate * rows;
        }
        if ((stmt.kind === 'insert' || stmt.kind === 'update') && stmt.using.ttl) {
          const ttl = ttlSeconds(stmt.using.ttl);
          t.opTtl = ttl === 'bound' || t.opTtl === null || t.opTtl === 'bound' ? (t.opTtl === null ? ttl : t.opTtl) : Math.max(t.opTtl, ttl);
        }
        t.ops.push(`${c.name}.${opName}`);
      }
      const scanShare = scanWeight / mixTotal;
      classes.push({
        name: c.name, phase: ph.name, kind: scanShare >= OLAP_SCAN_SHARE ? 'OLAP' : 'OLTP', scanShare,
        serviceLevel: c.serviceLevel ?? null, loop: open ? 'open' : 'closed',
      });
    }
  }
  // tables the workloads declare but no running class touches are still the user's tables
  for (const [key, ddl] of ddlByTable) {
    if (tables.has(key)) continue;
    const [ks, table] = [key.slice(0, key.indexOf('.')), key.slice(key.indexOf('.') + 1)];
    tables.set(key, { keyspace: ks, table, reads: 0, scans: 0, writes: 0, overwrites: 0, opTtl: null, ops: [], ddl });
  }
  const weighting = measured
    ? 'op counts measured by the result'
    : assumed
      ? `open-loop classes by their rate; closed-loop classes as ${ASSUMED_CLOSED_LOOP_OPS_PER_SEC_PER_IN_FLIGHT} ops/s per request in flight (assumed: give --result for measured counts)`
      : 'classes by their rate';
  return { file: p.file, tables, classes, ops, keyspaces, weighting };
}

function tableDdl(st: CreateTableStatement): TableDdl {
  const ttlProp = st.properties.find((x) => x.name === 'default_time_to_live');
  const ck = st.clusteringKey[0];
  const col = ck === undefined ? undefined : st.columns.find((c) => c.name === ck);
  return {
    compaction: propMap(st.properties, 'compaction'),
    defaultTtlSec: ttlProp && ttlProp.value.kind !== 'map' ? Number(scalar(ttlProp.value)) : null,
    firstClusteringType: col ? typeName(col.type) : null,
  };
}

function typeName(t: CqlType): string {
  return t.kind;
}

function propMap(props: Property[], name: string): Record<string, string> | null {
  const p = props.find((x) => x.name === name);
  if (!p || p.value.kind !== 'map') return null;
  return Object.fromEntries(p.value.entries.map(([k, v]) => [k, scalar(v)]));
}

function scalar(v: PropertyValue): string {
  switch (v.kind) {
    case 'map': return JSON.stringify(Object.fromEntries(v.entries.map(([k, x]) => [k, scalar(x)])));
    case 'boolean': return String(v.value);
    default: return v.value;
  }
}

function ttlSeconds(t: Term): number | 'bound' {
  if (t.kind === 'literal' && t.type === 'integer') return Number(t.value);
  return 'bound';
}

/** Time types that make a clustering key a time line. */
export const TIME_TYPES = new Set(['timestamp', 'timeuuid', 'date', 'time']);
