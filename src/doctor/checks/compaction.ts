/**
 * Compaction strategy per table against its workload: scylla-reference.md §8's matrix
 * ("Compaction Strategy Matrix" of Scylla's docs). The workload comes from the profile's op mix
 * (read/write ratio, overwrites, TTLs) and the table itself (a first clustering column of a time
 * type with a TTL is a time series); a strategy in the matrix's "avoid" column for that workload
 * is the red line "compaction left untuned". TWCS has two rules of its own: a TTL (without one,
 * windows never expire) and at most 50 windows per TTL (`twcs_max_window_count`).
 */
import { isSystemKeyspace, num, str, textMap } from '../cluster.js';
import type { DoctorContext } from '../context.js';
import { GUIDANCE, type Evidence, type Finding, type Status } from '../types.js';
import { TIME_TYPES, tableKey, type ProfileModel, type TableUse } from '../workload-model.js';

export interface TableFacts {
  keyspace: string;
  table: string;
  /** Where the options were read: the cluster's system_schema, or the profile's DDL. */
  source: string;
  compaction: Record<string, string>;
  defaultTtlSec: number;
  firstClusteringColumn: { name: string; type: string } | null;
}

type Strategy = 'STCS' | 'LCS' | 'ICS' | 'TWCS' | 'other';
type Workload = 'time-series-ttl' | 'read-mostly' | 'read-mostly-many-updates' | 'write-heavy' | 'overwrite-heavy' | 'unknown';

/** At least this share of a table's ops are reads (point reads and scans): read-mostly. */
export const READ_MOSTLY_SHARE = 0.7;
/** UPDATE/DELETE at least this share of all ops: "many updates". */
export const MANY_UPDATES_SHARE = 0.2;
/** twcs_max_window_count's default: Scylla refuses more windows per TTL. */
export const TWCS_MAX_WINDOWS = 50;

const MATRIX: Record<Exclude<Workload, 'unknown'>, { recommended: Strategy[]; avoid: Strategy[]; why: string }> = {
  'time-series-ttl': { recommended: ['TWCS'], avoid: ['STCS', 'ICS', 'LCS'], why: 'time series with TTL: TWCS drops whole expired windows instead of compacting them' },
  'read-mostly': { recommended: ['LCS'], avoid: ['STCS', 'ICS'], why: 'read-mostly with few updates: LCS keeps a row in one sstable per level (STCS/ICS: space and read amplification)' },
  'read-mostly-many-updates': { recommended: ['ICS', 'STCS'], avoid: ['LCS'], why: 'read-mostly with many updates: LCS rewrites every update down the levels (excess write amplification)' },
  'write-heavy': { recommended: ['ICS', 'STCS'], avoid: ['LCS', 'TWCS'], why: 'write-heavy: ICS/STCS write each byte few times (LCS: ~2× write amplification)' },
  'overwrite-heavy': { recommended: ['ICS', 'STCS'], avoid: ['LCS', 'TWCS'], why: 'overwrite-heavy: ICS/STCS (LCS: write amplification; TWCS: overwrites span windows)' },
};

export function strategyOf(cls: string | undefined): Strategy {
  const short = (cls ?? '').split('.').pop() ?? '';
  switch (short) {
    case 'SizeTieredCompactionStrategy': return 'STCS';
    case 'LeveledCompactionStrategy': return 'LCS';
    case 'IncrementalCompactionStrategy': return 'ICS';
    case 'TimeWindowCompactionStrategy': return 'TWCS';
    default: return 'other';
  }
}

const UNIT_SEC: Record<string, number> = { MINUTES: 60, HOURS: 3600, DAYS: 86400 };

function twcsWindowSec(c: Record<string, string>): number {
  const unit = (c.compaction_window_unit ?? 'DAYS').toUpperCase();
  const size = Number(c.compaction_window_size ?? 1);
  return (UNIT_SEC[unit] ?? 86400) * (Number.isFinite(size) && size > 0 ? size : 1);
}

function classify(t: TableFacts, use: TableUse | null): { workload: Workload; detail: string | null } {
  const timeClustered = t.firstClusteringColumn !== null && TIME_TYPES.has(t.firstClusteringColumn.type);
  const hasTtl = t.defaultTtlSec > 0 || (use?.opTtl ?? null) !== null;
  const ops = use ? use.reads + use.scans + use.writes : 0;
  if (!use || ops === 0) return { workload: timeClustered && t.defaultTtlSec > 0 ? 'time-series-ttl' : 'unknown', detail: null };
  const readShare = (use.reads + use.scans) / ops;
  const updShare = use.overwrites / ops;
  const f = (x: number): string => (Math.round(x * 10) / 10).toString();
  const detail = `reads ${f(use.reads)}/s, scans ${f(use.scans)}/s, writes ${f(use.writes)}/s (of them UPDATE/DELETE ${f(use.overwrites)}/s): ${Math.round(readShare * 100)} % reads, ${Math.round(updShare * 100)} % updates${use.opTtl !== null ? `, USING TTL ${use.opTtl}` : ''}`;
  if (timeClustered && use.writes > 0 && hasTtl) return { workload: 'time-series-ttl', detail };
  if (readShare >= READ_MOSTLY_SHARE) return { workload: updShare >= MANY_UPDATES_SHARE ? 'read-mostly-many-updates' : 'read-mostly', detail };
  return { workload: use.writes > 0 && use.overwrites / use.writes >= 0.5 ? 'overwrite-heavy' : 'write-heavy', detail };
}

/** The verdict on one table; `model` null when no profile was given. */
export function judgeTable(t: TableFacts, use: TableUse | null, model: ProfileModel | null): Finding {
  const check = 'compaction' as const;
  const subject = `table ${t.keyspace}.${t.table}`;
  const s = strategyOf(t.compaction.class);
  const opts = Object.entries(t.compaction).map(([k, v]) => `${k}: ${v}`).join(', ');
  const evidence: Evidence[] = [{ source: t.source, detail: `compaction {${opts}}, default_time_to_live ${t.defaultTtlSec}${t.firstClusteringColumn ? `, first clustering column ${t.firstClusteringColumn.name} ${t.firstClusteringColumn.type}` : ', no clustering column'}` }];
  const { workload, detail } = classify(t, use);
  if (model && use && detail) evidence.push({ source: model.file, detail: `${detail} (ops ${use.ops.join(', ')}; weighing ${model.weighting})` });
  const problems: { status: Status; summary: string; fix: string }[] = [];
  if (s === 'TWCS') {
    const windowSec = twcsWindowSec(t.compaction);
    if (t.defaultTtlSec > 0) {
      const windows = Math.ceil(t.defaultTtlSec / windowSec);
      evidence.push({ source: t.source, detail: `TTL ${t.defaultTtlSec} s / window ${windowSec} s = ${windows} windows (Scylla's twcs_max_window_count: ${TWCS_MAX_WINDOWS})` });
      if (windows > TWCS_MAX_WINDOWS) {
        problems.push({ status: 'FAIL', summary: `TWCS with ${windows} windows per TTL (more than ${TWCS_MAX_WINDOWS}): too many sstables to read`, fix: `widen the window to about TTL/${TWCS_MAX_WINDOWS} or less windows (compaction_window_size/unit ≥ ${Math.ceil(t.defaultTtlSec / TWCS_MAX_WINDOWS)} s)` });
      }
    } else if (use?.opTtl !== null && use?.opTtl !== undefined) {
      problems.push({ status: 'WARN', summary: 'TWCS with TTL only from USING TTL, no default_time_to_live (Scylla warns: restrict_twcs_without_default_ttl)', fix: 'set default_time_to_live on the table (one TTL per table) and drop USING TTL from the writes' });
    } else {
      problems.push({
        status: model ? 'FAIL' : 'WARN',
        summary: model ? 'TWCS without any TTL: windows never expire and pile up' : 'TWCS without default_time_to_live (writes may still carry USING TTL: give --profile to know)',
        fix: 'set default_time_to_live (one TTL per table), or use ICS/STCS if the data does not expire',
      });
    }
  }
  if (workload !== 'unknown') {
    const m = MATRIX[workload];
    evidence.push({ source: 'scylla-reference.md §8', detail: `${m.why}; recommended ${m.recommended.join('/')}, avoid ${m.avoid.join('/')}` });
    if (m.avoid.includes(s)) {
      problems.push({ status: 'FAIL', summary: `${s} on a ${workload} table: the compaction matrix says avoid it`, fix: `ALTER TABLE ${t.keyspace}.${t.table} WITH compaction = {'class': '${fullName(m.recommended[0], workload)}'${workload === 'time-series-ttl' ? ", 'compaction_window_unit': 'HOURS', 'compaction_window_size': <TTL/50 in hours>" : ''}}` });
    } else if (!m.recommended.includes(s)) {
      problems.push({ status: 'WARN', summary: `${t.compaction.class ?? 'no class'} is not in the compaction matrix for a ${workload} table`, fix: `use ${m.recommended.join(' or ')}` });
    }
  }
  const worst = problems.find((p) => p.status === 'FAIL') ?? problems[0];
  if (worst) {
    return {
      check, subject, status: worst.status, summary: problems.map((p) => p.summary).join('; '), evidence,
      fix: problems.map((p) => p.fix).join('; '), guidance: GUIDANCE.redLineCompaction,
    };
  }
  if (workload === 'unknown') {
    return {
      check, subject, status: 'SKIP', summary: `${s === 'other' ? t.compaction.class ?? 'default' : s}: the workload is unknown (give --profile with the ops that use this table)`, evidence,
    };
  }
  return { check, subject, status: 'PASS', summary: `${s} fits a ${workload} table${s === 'STCS' ? ' (Scylla 2025.1+: prefer ICS, same behaviour with less space amplification)' : ''}`, evidence };
}

function fullName(s: Strategy, _w: Workload): string {
  return { STCS: 'SizeTieredCompactionStrategy', LCS: 'LeveledCompactionStrategy', ICS: 'IncrementalCompactionStrategy', TWCS: 'TimeWindowCompactionStrategy', other: '' }[s];
}

export async function checkCompaction(ctx: DoctorContext): Promise<Finding[]> {
  const check = 'compaction' as const;
  const c = ctx.cluster;
  const tables = await c.query('SELECT keyspace_name, table_name, compaction, default_time_to_live FROM system_schema.tables');
  if (!tables.ok) {
    return [{ check, subject: 'cluster', status: 'WARN', summary: 'cannot read system_schema.tables', evidence: [{ source: `${c.contact.label} system_schema.tables`, detail: tables.error }], fix: 'grant SELECT on system_schema to the doctor\'s login', guidance: GUIDANCE.redLineCompaction }];
  }
  const cols = await c.query('SELECT keyspace_name, table_name, column_name, kind, position, type FROM system_schema.columns');
  const firstCk = new Map<string, { name: string; type: string }>();
  for (const r of cols.ok ? cols.rows : []) {
    if (str(r.kind) !== 'clustering' || num(r.position) !== 0) continue;
    firstCk.set(tableKey(String(r.keyspace_name), String(r.table_name)), { name: String(r.column_name), type: String(r.type) });
  }
  const live = new Map<string, TableFacts>();
  for (const r of tables.rows) {
    const ks = String(r.keyspace_name);
    if (isSystemKeyspace(ks)) continue;
    const key = tableKey(ks, String(r.table_name));
    live.set(key, {
      keyspace: ks, table: String(r.table_name), source: `${c.contact.label} system_schema.tables`,
      compaction: textMap(r.compaction), defaultTtlSec: num(r.default_time_to_live) ?? 0, firstClusteringColumn: firstCk.get(key) ?? null,
    });
  }
  const m = ctx.model;
  const out: Finding[] = [];
  if (m) {
    for (const [key, use] of m.tables) {
      let facts = live.get(key);
      if (!facts) {
        if (!use.ddl) continue; // a view or a table the profile only reads: nothing to judge it by
        facts = {
          keyspace: use.keyspace, table: use.table, source: `${m.file} (CREATE TABLE; not on the cluster yet)`,
          compaction: use.ddl.compaction ?? { class: c.scylla ? 'IncrementalCompactionStrategy' : 'SizeTieredCompactionStrategy' },
          defaultTtlSec: use.ddl.defaultTtlSec ?? 0,
          firstClusteringColumn: use.ddl.firstClusteringType ? { name: '(first)', type: use.ddl.firstClusteringType } : null,
        };
      }
      out.push(judgeTable(facts, use, m));
    }
  } else {
    for (const facts of live.values()) out.push(judgeTable(facts, null, null));
  }
  if (out.length === 0) out.push({ check, subject: 'cluster', status: 'SKIP', summary: 'no user table to judge', evidence: [{ source: `${c.contact.label} system_schema.tables`, detail: `${tables.rows.length} tables, all in system keyspaces` }] });
  return out;
}
