/**
 * What a loader of a segmented run (`run --segment i/n --start-at T`) needs beyond its share of
 * the schedule (profile/segment.ts): the cluster's clock as this loader sees it, and, for the
 * loaders that do not create the schema, a wait until segment 0's schema is there.
 */
import type { Connection } from '../cql/connection.js';
import { CqlError, describeError } from '../cql/errors.js';
import type { RowsResult } from '../cql/messages.js';
import { decodeRows } from '../cql/rows.js';
import type { ResolvedProfile } from '../profile/types.js';

const nowAbsMs = (): number => performance.timeOrigin + performance.now();

/** The loader's clock against the cluster's (from the best of a few round trips). */
export interface ClusterClock {
  /** Cluster time − loader time at the same instant, ms (positive: the cluster is ahead). */
  offsetMs: number | null;
  /** The round trip of the sample used: the offset is exact to ± rttMs / 2 (plus the server's clock resolution). */
  rttMs: number | null;
  /** The statement the cluster answered, or why it did not. */
  source: string;
}

/** 100 ns intervals between the Gregorian epoch (1582-10-15) and the Unix epoch. */
const GREGORIAN_OFFSET_100NS = 122_192_928_000_000_000n;

/** The time of a version-1 UUID, ms since the Unix epoch. */
export function timeuuidMs(uuid: string): number {
  const h = uuid.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(h) || h[12] !== '1') throw new Error(`not a time UUID: ${uuid}`);
  const t = (BigInt(`0x${h.slice(13, 16)}`) << 48n) | (BigInt(`0x${h.slice(8, 12)}`) << 32n) | BigInt(`0x${h.slice(0, 8)}`);
  return Number(t - GREGORIAN_OFFSET_100NS) / 10_000;
}

/**
 * `SELECT now() FROM system.local`, `samples` times: the offset from the sample with the shortest
 * round trip, taken against the midpoint of its send and receive (NTP's estimate). A target that
 * cannot answer says so in `source`; the run goes on.
 */
export async function clusterClock(control: Connection, samples = 5): Promise<ClusterClock> {
  const cql = 'SELECT now() FROM system.local';
  let best: { offsetMs: number; rttMs: number } | undefined;
  try {
    for (let i = 0; i < samples; i++) {
      const t0 = nowAbsMs();
      const r = await control.query(cql);
      const t1 = nowAbsMs();
      const row = (r as RowsResult).kind === 'rows' ? decodeRows(r as RowsResult)[0] : undefined;
      const v = row ? Object.values(row)[0] : undefined;
      if (typeof v !== 'string') return { offsetMs: null, rttMs: null, source: `${cql}: no time UUID in the answer` };
      const offsetMs = timeuuidMs(v) - (t0 + t1) / 2;
      if (!best || t1 - t0 < best.rttMs) best = { offsetMs, rttMs: t1 - t0 };
    }
  } catch (e) {
    return { offsetMs: null, rttMs: null, source: `${cql}: ${e instanceof CqlError ? describeError(e) : e instanceof Error ? e.message : String(e)}` };
  }
  return { offsetMs: round3(best!.offsetMs), rttMs: round3(best!.rttMs), source: cql };
}

/** The keyspaces, tables and views the schema phase of `profile` creates (its workloads, or all). */
export function schemaObjects(profile: ResolvedProfile, workloads: Iterable<string>): { keyspace: string; tables: string[]; views: string[] }[] {
  return [...workloads].map((name) => {
    const w = profile.workloads[name];
    return { keyspace: w.keyspace, tables: w.tables.map((t) => t.name), views: (w.views ?? []).map((v) => v.name) };
  });
}

/** What of `objects` is not on the cluster yet (`keyspace.table` names); empty when all is there. */
export async function missingSchema(control: Connection, objects: { keyspace: string; tables: string[]; views: string[] }[]): Promise<string[]> {
  const missing: string[] = [];
  for (const o of objects) {
    const names = async (table: 'tables' | 'views'): Promise<Set<string>> => {
      const r = await control.query(`SELECT ${table === 'tables' ? 'table_name' : 'view_name'} AS name FROM system_schema.${table} WHERE keyspace_name = ?`, [o.keyspace]);
      return new Set(((r as RowsResult).kind === 'rows' ? decodeRows(r as RowsResult) : []).map((x) => String(x.name)));
    };
    const tables = await names('tables');
    for (const t of o.tables) if (!tables.has(t)) missing.push(`${o.keyspace}.${t}`);
    if (o.views.length > 0) {
      const views = await names('views');
      for (const v of o.views) if (!views.has(v)) missing.push(`${o.keyspace}.${v}`);
    }
  }
  return missing;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;
