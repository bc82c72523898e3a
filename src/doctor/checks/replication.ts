/**
 * Replication per keyspace: NetworkTopologyStrategy (rack- and DC-aware; SimpleStrategy ignores
 * both), RF ≥ 3 in each DC (a quorum survives one node down), RF not above the DC's node count,
 * and, with a profile, the consistency level of each op against its keyspace's RF: a CL that
 * needs more replicas than exist fails every request (Unavailable); one that needs all of them
 * fails as soon as one node is down; QUORUM across DCs waits for remote ones.
 */
import { isSystemKeyspace, textMap } from '../cluster.js';
import type { DoctorContext } from '../context.js';
import { GUIDANCE, type Evidence, type Finding, type Status } from '../types.js';
import type { OpUse, ProfileModel } from '../workload-model.js';

export interface KeyspaceFacts {
  name: string;
  source: string;
  replication: Record<string, string>;
}

const short = (cls: string | undefined): string => (cls ?? '?').split('.').pop() ?? '?';

/** RF per DC (SimpleStrategy: one entry under '*'). */
export function rfPerDc(r: Record<string, string>): Map<string, number> {
  const out = new Map<string, number>();
  const cls = short(r.class);
  if (cls === 'SimpleStrategy') out.set('*', Number(r.replication_factor ?? 1));
  else for (const [k, v] of Object.entries(r)) if (k !== 'class' && k !== 'replication_factor' && Number.isFinite(Number(v))) out.set(k, Number(v));
  // NTS written with replication_factor and not expanded (the profile's DDL): every DC
  if (cls === 'NetworkTopologyStrategy' && out.size === 0 && r.replication_factor) out.set('*', Number(r.replication_factor));
  return out;
}

/** Replicas a CL waits for, given the RF of the local DC and the total; null for CLs that do not apply. */
export function replicasNeeded(cl: string, localRf: number, totalRf: number, dcs: number[]): number | null {
  const q = (n: number): number => Math.floor(n / 2) + 1;
  switch (cl) {
    case 'ANY': case 'ONE': case 'LOCAL_ONE': return 1;
    case 'TWO': return 2;
    case 'THREE': return 3;
    case 'QUORUM': case 'SERIAL': return q(totalRf);
    case 'LOCAL_QUORUM': case 'LOCAL_SERIAL': return q(localRf);
    case 'EACH_QUORUM': return Math.max(...dcs.map(q));
    case 'ALL': return totalRf;
    default: return null;
  }
}

export function judgeKeyspace(k: KeyspaceFacts, nodesPerDc: Map<string, number>, ops: OpUse[], modelFile: string | null): Finding {
  const check = 'replication' as const;
  const subject = `keyspace ${k.name}`;
  const cls = short(k.replication.class);
  const rf = rfPerDc(k.replication);
  const evidence: Evidence[] = [{ source: k.source, detail: `replication {${Object.entries(k.replication).map(([a, b]) => `${a}: ${b}`).join(', ')}}; nodes per DC ${[...nodesPerDc].map(([d, n]) => `${d} ${n}`).join(', ')}` }];
  const problems: { status: Status; summary: string; fix: string }[] = [];
  const totalNodes = [...nodesPerDc.values()].reduce((a, b) => a + b, 0);
  if (cls === 'LocalStrategy' || cls === 'EverywhereStrategy') {
    return { check, subject, status: 'SKIP', summary: `${cls}: replicated by the server's own rule`, evidence };
  }
  if (cls !== 'NetworkTopologyStrategy') {
    problems.push({ status: 'WARN', summary: `${cls}: ignores racks and data centers`, fix: `ALTER KEYSPACE ${k.name} WITH replication = {'class': 'NetworkTopologyStrategy', '<dc>': 3}` });
  }
  for (const [dc, n] of rf) {
    const nodes = dc === '*' ? totalNodes : nodesPerDc.get(dc);
    const where = dc === '*' ? '' : ` in ${dc}`;
    if (nodes === undefined) problems.push({ status: 'WARN', summary: `RF ${n} for DC ${dc}, which has no node`, fix: `drop ${dc} from the replication map, or name the DC as the nodes report it (${[...nodesPerDc.keys()].join(', ')})` });
    else if (n > nodes) problems.push({ status: 'FAIL', summary: `RF ${n}${where} but only ${nodes} node${nodes === 1 ? '' : 's'}: writes cannot place every replica`, fix: `add nodes, or ALTER KEYSPACE to RF ≤ ${nodes}` });
    if (n < 3) problems.push({ status: 'FAIL', summary: `RF ${n}${where}: a quorum does not survive a node down (RF ≥ 3 for production)`, fix: `ALTER KEYSPACE ${k.name} WITH replication = {'class': 'NetworkTopologyStrategy', '${dc === '*' ? '<dc>' : dc}': 3} and run a repair` });
  }
  // consistency levels of the profile's ops on this keyspace
  const mine = ops.filter((o) => o.keyspace === k.name);
  if (mine.length && modelFile) {
    const dcRfs = [...rf.values()];
    const totalRf = dcRfs.reduce((a, b) => a + b, 0);
    const localRf = dcRfs[0] ?? 0;
    const byCl = new Map<string, string[]>();
    for (const o of mine) for (const cl of [o.consistency, o.serialConsistency].filter((x): x is NonNullable<typeof x> => !!x)) byCl.set(cl, [...(byCl.get(cl) ?? []), `${o.cls}.${o.op}`]);
    evidence.push({ source: modelFile, detail: [...byCl].map(([cl, names]) => `${cl}: ${names.join(', ')}`).join('; ') });
    for (const [cl, names] of byCl) {
      const need = replicasNeeded(cl, localRf, totalRf, dcRfs);
      if (need === null) continue;
      const rfText = rf.size > 1 ? `RF ${dcRfs.join('+')}` : `RF ${totalRf}`;
      if (need > totalRf || (cl.startsWith('LOCAL_') && need > localRf)) {
        problems.push({ status: 'FAIL', summary: `${cl} needs ${need} replicas, ${rfText} has fewer: every such request is Unavailable (${names.join(', ')})`, fix: `lower the ops' consistency (LOCAL_QUORUM) or raise the RF` });
      } else if (need === (cl.startsWith('LOCAL_') ? localRf : totalRf) && need > 1) {
        problems.push({ status: 'WARN', summary: `${cl} waits for all ${need} replicas (${rfText}): one node down fails ${names.join(', ')}`, fix: 'use LOCAL_QUORUM with RF 3 (survives a node down)' });
      } else if ((cl === 'QUORUM' || cl === 'SERIAL' || cl === 'EACH_QUORUM') && rf.size > 1) {
        problems.push({ status: 'WARN', summary: `${cl} on a keyspace in ${rf.size} DCs: every request waits for remote replicas (${names.join(', ')})`, fix: `use LOCAL_QUORUM${cl === 'SERIAL' ? ' / LOCAL_SERIAL' : ''}` });
      }
    }
  }
  const worst = problems.find((p) => p.status === 'FAIL') ?? problems[0];
  if (worst) return { check, subject, status: worst.status, summary: problems.map((p) => p.summary).join('; '), evidence, fix: problems.map((p) => p.fix).join('; '), guidance: GUIDANCE.practiceReplication };
  return { check, subject, status: 'PASS', summary: `${cls}, ${[...rf].map(([d, n]) => (d === '*' ? `RF ${n}` : `${d}: ${n}`)).join(', ')}${mine.length ? '; the profile\'s consistency levels fit' : ''}`, evidence };
}

export async function checkReplication(ctx: DoctorContext): Promise<Finding[]> {
  const check = 'replication' as const;
  const c = ctx.cluster;
  const a = await c.query('SELECT keyspace_name, replication FROM system_schema.keyspaces');
  if (!a.ok) return [{ check, subject: 'cluster', status: 'WARN', summary: 'cannot read system_schema.keyspaces', evidence: [{ source: `${c.contact.label} system_schema.keyspaces`, detail: a.error }], fix: 'grant SELECT on system_schema to the doctor\'s login' }];
  const nodesPerDc = new Map<string, number>();
  for (const n of c.nodes) nodesPerDc.set(n.datacenter ?? '?', (nodesPerDc.get(n.datacenter ?? '?') ?? 0) + 1);
  const live = new Map<string, KeyspaceFacts>();
  for (const r of a.rows) {
    const name = String(r.keyspace_name);
    if (isSystemKeyspace(name)) continue;
    live.set(name, { name, source: `${c.contact.label} system_schema.keyspaces`, replication: textMap(r.replication) });
  }
  const m: ProfileModel | null = ctx.model;
  const out: Finding[] = [];
  if (m) {
    for (const [ks, repl] of m.keyspaces) {
      const facts = live.get(ks) ?? (repl ? { name: ks, source: `${m.file} (CREATE KEYSPACE; not on the cluster yet)`, replication: repl } : undefined);
      if (!facts) continue;
      out.push(judgeKeyspace(facts, nodesPerDc, m.ops, m.file));
    }
  } else {
    for (const k of live.values()) out.push(judgeKeyspace(k, nodesPerDc, [], null));
  }
  if (out.length === 0) out.push({ check, subject: 'cluster', status: 'SKIP', summary: 'no user keyspace to judge', evidence: [{ source: `${c.contact.label} system_schema.keyspaces`, detail: `${a.rows.length} keyspaces, all system` }] });
  return out;
}
