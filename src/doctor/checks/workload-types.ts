/**
 * Workload types (scylla-reference.md §4): OLTP and OLAP each on a service level of their own,
 * OLTP `interactive` with a tight timeout (shed instead of queue), OLAP `batch` with a long one,
 * and nothing OLAP on the default level, where it competes with OLTP at equal shares. A class
 * is OLAP when half its mix or more is token-range scans. The cluster's levels come from
 * `LIST ALL SERVICE LEVELS` / `LIST ALL ATTACHED SERVICE LEVELS`; who runs where, from the
 * `scheduling_group` of `system.clients`.
 */
import { num, str, type Rows } from '../cluster.js';
import type { DoctorContext } from '../context.js';
import { GUIDANCE, type Evidence, type Finding } from '../types.js';
import type { ProfileModel } from '../workload-model.js';

export interface LevelFacts {
  name: string;
  timeoutMs: number | null;
  workloadType: 'interactive' | 'batch' | null;
  shares: number | null;
}

/** A CQL duration value (months, days, nanoseconds) in milliseconds; null for null. */
function durationMs(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'object' && 'nanoseconds' in (v as object)) {
    const d = v as { months: number; days: number; nanoseconds: bigint };
    return d.months * 30 * 86_400_000 + d.days * 86_400_000 + Number(d.nanoseconds / 1_000_000n);
  }
  return num(v);
}

export function levelRows(rows: Rows): LevelFacts[] {
  return rows.map((r) => {
    const wt = str(r.workload_type);
    return {
      name: String(r.service_level), timeoutMs: durationMs(r.timeout),
      workloadType: wt === 'interactive' || wt === 'batch' ? wt : null, shares: num(r.shares),
    };
  });
}

const BUILT_IN = new Set(['default', 'driver']);
const describe = (l: LevelFacts): string => `${l.name}: workload_type ${l.workloadType ?? 'unspecified'}, timeout ${l.timeoutMs === null ? 'none' : `${l.timeoutMs} ms`}${l.shares !== null ? `, shares ${l.shares}` : ''}`;

/**
 * The verdicts. `levels` null: the cluster has no service levels (not Scylla, or too old).
 * `groups`: client connections per scheduling group, from system.clients (evidence only).
 */
export function judgeWorkloadTypes(o: {
  source: string; levels: LevelFacts[]; attached: { role: string; level: string }[];
  model: ProfileModel | null; profileLevels: Record<string, { timeoutMs?: number; workloadType?: 'interactive' | 'batch' }>;
  groups: Evidence | null;
}): Finding[] {
  const check = 'workload-types' as const;
  const out: Finding[] = [];
  const user = o.levels.filter((l) => !BUILT_IN.has(l.name));
  const levelEvidence: Evidence = { source: o.source, detail: o.levels.length ? o.levels.map(describe).join('; ') : 'no service levels' };
  const attachedTo = (name: string): string[] => o.attached.filter((a) => a.level === name).map((a) => a.role);
  const evidence = (extra: Evidence[] = []): Evidence[] => [levelEvidence, ...(o.groups ? [o.groups] : []), ...extra];

  if (!o.model) {
    if (user.length === 0) {
      out.push({
        check, subject: 'cluster', status: 'FAIL', summary: 'no service level besides the built-in ones: every workload runs on the default level',
        evidence: evidence(), fix: "CREATE SERVICE LEVEL oltp WITH timeout = '50ms' AND workload_type = 'interactive'; CREATE SERVICE LEVEL olap WITH timeout = '30s' AND workload_type = 'batch'; ATTACH each to its application's role",
        guidance: GUIDANCE.redLineWorkloadTypes,
      });
      return out;
    }
    for (const l of user) {
      const roles = attachedTo(l.name);
      const ev = evidence([{ source: o.source, detail: `attached roles: ${roles.length ? roles.join(', ') : 'none'}` }]);
      if (l.workloadType === null) {
        out.push({ check, subject: `service level ${l.name}`, status: 'WARN', summary: 'workload_type unspecified: Scylla neither sheds for it (interactive) nor lets it queue as batch', evidence: ev, fix: `ALTER SERVICE LEVEL ${l.name} WITH workload_type = 'interactive' (OLTP) or 'batch' (OLAP)`, guidance: GUIDANCE.redLineWorkloadTypes });
      } else if (l.timeoutMs === null) {
        out.push({ check, subject: `service level ${l.name}`, status: 'WARN', summary: `${l.workloadType} level without a timeout: the scylla.yaml defaults (read 5 s, write 2 s) apply`, evidence: ev, fix: `ALTER SERVICE LEVEL ${l.name} WITH timeout = '${l.workloadType === 'interactive' ? '50ms' : '30s'}'`, guidance: GUIDANCE.redLineWorkloadTypes });
      } else if (roles.length === 0) {
        out.push({ check, subject: `service level ${l.name}`, status: 'WARN', summary: 'no role is attached: nothing runs under this level', evidence: ev, fix: `ATTACH SERVICE LEVEL ${l.name} TO <the application's role>`, guidance: GUIDANCE.redLineWorkloadTypes });
      } else {
        out.push({ check, subject: `service level ${l.name}`, status: 'PASS', summary: `${l.workloadType}, timeout ${l.timeoutMs} ms, attached to ${roles.join(', ')}`, evidence: ev });
      }
    }
    return out;
  }

  const hasOlap = o.model.classes.some((c) => c.kind === 'OLAP');
  for (const c of o.model.classes) {
    const subject = `class ${c.name} (${c.kind}, ${Math.round(c.scanShare * 100)} % scans)`;
    const want = c.kind === 'OLTP' ? 'interactive' : 'batch';
    const profileEv: Evidence = { source: o.model.file, detail: `class ${c.name} in phase ${c.phase}: service_level ${c.serviceLevel ?? 'none'}` };
    if (!c.serviceLevel) {
      if (c.kind === 'OLAP') {
        out.push({ check, subject, status: 'FAIL', summary: 'OLAP on the default service level: its scans take the same shares as OLTP', evidence: evidence([profileEv]), fix: "give the class a batch service level (profile: service_levels: {olap: {workload_type: batch, timeout: 30s, shares: 100}}, and service_level: olap on the class)", guidance: GUIDANCE.redLineWorkloadTypes });
      } else {
        out.push({ check, subject, status: hasOlap ? 'FAIL' : 'WARN', summary: hasOlap ? 'OLTP on the default level next to OLAP work: nothing protects its latency' : 'OLTP on the default level: no interactive level sheds load instead of queueing', evidence: evidence([profileEv]), fix: "give the class an interactive service level with a tight timeout (service_levels: {oltp: {workload_type: interactive, timeout: 50ms}})", guidance: GUIDANCE.redLineWorkloadTypes });
      }
      continue;
    }
    const name = c.serviceLevel.toLowerCase();
    const live = o.levels.find((l) => l.name === name);
    const spec = o.profileLevels[c.serviceLevel] ?? {};
    const facts: LevelFacts = live ?? { name, timeoutMs: spec.timeoutMs ?? null, workloadType: spec.workloadType ?? null, shares: null };
    const where = live ? o.source : `${o.model.file} (service_levels; not on the cluster yet: run creates it)`;
    const ev = evidence([profileEv, { source: where, detail: `${describe(facts)}${live ? `; attached roles: ${attachedTo(name).join(', ') || 'none'}` : ''}` }]);
    if (facts.workloadType !== want) {
      out.push({ check, subject, status: 'FAIL', summary: `its level ${name} has workload_type ${facts.workloadType ?? 'unspecified'}, a ${c.kind} class needs ${want}`, evidence: ev, fix: `ALTER SERVICE LEVEL ${name} WITH workload_type = '${want}' (and the profile's service_levels.${c.serviceLevel}.workload_type)`, guidance: GUIDANCE.redLineWorkloadTypes });
    } else if (facts.timeoutMs === null) {
      out.push({ check, subject, status: 'WARN', summary: `its level ${name} has no timeout: the scylla.yaml defaults apply`, evidence: ev, fix: `ALTER SERVICE LEVEL ${name} WITH timeout = '${want === 'interactive' ? '50ms' : '30s'}'`, guidance: GUIDANCE.redLineWorkloadTypes });
    } else if (!live) {
      out.push({ check, subject, status: 'WARN', summary: `level ${name} (${want}, ${facts.timeoutMs} ms) is in the profile but not on the cluster yet`, evidence: ev, fix: 'run the profile (it creates and attaches the level), or create it: the application needs it too', guidance: GUIDANCE.redLineWorkloadTypes });
    } else {
      out.push({ check, subject, status: 'PASS', summary: `on level ${name}: ${want}, timeout ${facts.timeoutMs} ms`, evidence: ev });
    }
  }
  return out;
}

export async function checkWorkloadTypes(ctx: DoctorContext, profileLevels: Record<string, { timeoutMs?: number; workloadType?: 'interactive' | 'batch' }>): Promise<Finding[]> {
  const check = 'workload-types' as const;
  const c = ctx.cluster;
  const source = `${c.contact.label} LIST ALL SERVICE LEVELS`;
  if (!c.scylla) {
    return [{ check, subject: 'cluster', status: 'SKIP', summary: 'not Scylla: service levels (workload prioritization) exist only on Scylla', evidence: [{ source: `${c.contact.label} SUPPORTED`, detail: 'no SCYLLA_ keys' }] }];
  }
  const levels = await c.query('LIST ALL SERVICE LEVELS');
  if (!levels.ok) {
    return [{ check, subject: 'cluster', status: 'WARN', summary: 'cannot list service levels', evidence: [{ source, detail: levels.error }], fix: 'run doctor as a role that may list service levels (a superuser)', guidance: GUIDANCE.redLineWorkloadTypes }];
  }
  const attached = await c.query('LIST ALL ATTACHED SERVICE LEVELS');
  const groups = new Map<string, number>();
  let groupsSeen = false;
  for (const node of c.nodes) {
    const a = await c.queryNode(node, 'SELECT port, scheduling_group FROM system.clients');
    if (!a.ok) continue;
    groupsSeen = true;
    const own = c.ownPorts(node);
    for (const r of a.rows) {
      if (own.has(num(r.port) ?? -1)) continue;
      const g = str(r.scheduling_group) ?? 'unknown';
      groups.set(g, (groups.get(g) ?? 0) + 1);
    }
  }
  return judgeWorkloadTypes({
    source, levels: levelRows(levels.rows),
    attached: attached.ok ? attached.rows.map((r) => ({ role: String(r.role), level: String(r.service_level) })) : [],
    model: ctx.model, profileLevels,
    groups: groupsSeen ? { source: 'system.clients (every node)', detail: `client connections per scheduling group: ${[...groups].map(([g, n]) => `${g} ${n}`).join(', ') || 'none'}` } : null,
  });
}
