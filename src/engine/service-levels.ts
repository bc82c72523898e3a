/**
 * Service levels (workload prioritization): each class that names a service level runs as its
 * own login role, attached to that level, so its requests are scheduled under the level's shares
 * and timeout (Scylla: service/qos/service_level_controller.cc; the timeout replaces every
 * per-operation default, service/client_state.cc update_per_service_level_params).
 *
 *   CREATE SERVICE LEVEL IF NOT EXISTS oltp WITH timeout = 50ms AND workload_type = 'interactive' AND shares = 1000
 *   ALTER SERVICE LEVEL oltp WITH ...                 (so an existing level matches the profile)
 *   CREATE ROLE IF NOT EXISTS sb_oltp WITH PASSWORD = '…' AND LOGIN = true; ALTER ROLE … PASSWORD
 *   GRANT SELECT/MODIFY ON KEYSPACE ks TO sb_oltp
 *   ATTACH SERVICE LEVEL oltp TO sb_oltp
 *
 * Passwords come from SCYLLA_BENCH_ROLE_PASSWORD_<CLASS> or are generated per run; they are
 * never printed nor written to results. A cluster without service levels (Apache Cassandra, or
 * Scylla without shares) gets one clear warning and the run goes on without them — or stops with
 * --strict.
 */
import { randomBytes } from 'node:crypto';
import type { Connection, Credentials } from '../cql/connection.js';
import { CqlError, describeError, ResponseError } from '../cql/errors.js';
import { decodeRows } from '../cql/rows.js';
import type { RowsResult } from '../cql/messages.js';
import type { ResolvedProfile, ServiceLevelSpec } from '../profile/types.js';

export interface ServiceLevelOutcome {
  /** class → the login it runs under (absent: the run's default credentials). */
  classCredentials: Record<string, Credentials>;
  /** LIST ALL SERVICE LEVELS, as rows. */
  levels: Record<string, unknown>[];
  /** LIST ALL ATTACHED SERVICE LEVELS, as rows. */
  attached: Record<string, unknown>[];
  /** What the run created, for an optional teardown. */
  created: { levels: string[]; roles: string[] };
  warnings: string[];
  /** false when service levels could not be applied (the run goes on without them). */
  applied: boolean;
}

/** CQL identifiers as Scylla folds them: quote anything that is not a plain lower-case name. */
export function cqlName(s: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(s) ? s : `"${s.replace(/"/g, '""')}"`;
}

export function roleNameOf(cls: string): string {
  return `sb_${cls.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`;
}

export function optionsCql(spec: ServiceLevelSpec, withShares: boolean): string {
  const parts: string[] = [];
  if (spec.timeoutMs !== undefined) parts.push(`timeout = ${Math.round(spec.timeoutMs)}ms`);
  if (spec.workloadType) parts.push(`workload_type = '${spec.workloadType}'`);
  if (withShares && spec.shares !== undefined) parts.push(`shares = ${spec.shares}`);
  return parts.length ? ` WITH ${parts.join(' AND ')}` : '';
}

function rows(r: unknown): Record<string, unknown>[] {
  return (r as RowsResult).kind === 'rows' ? decodeRows(r as RowsResult) : [];
}

/** Why a statement failed, in a form fit for one line. */
function why(e: unknown): string {
  return e instanceof CqlError ? describeError(e) : e instanceof Error ? e.message : String(e);
}

export class ServiceLevelsUnsupported extends Error {}

/**
 * Creates/aligns the profile's service levels and one login role per class that uses one.
 * `authenticated` is false when the target lets anyone in (AllowAllAuthenticator): roles
 * cannot then bind connections to levels.
 */
export async function setupServiceLevels(control: Connection, profile: ResolvedProfile, o: { strict: boolean; authenticated: boolean; env?: NodeJS.ProcessEnv }): Promise<ServiceLevelOutcome> {
  const env = o.env ?? process.env;
  const out: ServiceLevelOutcome = { classCredentials: {}, levels: [], attached: [], created: { levels: [], roles: [] }, warnings: [], applied: false };
  const classes = new Map<string, { level: string; keyspaces: Set<string> }>();
  for (const ph of profile.phases) {
    for (const c of ph.classes) {
      if (!c.serviceLevel) continue;
      const entry = classes.get(c.name) ?? { level: c.serviceLevel, keyspaces: new Set<string>() };
      entry.keyspaces.add(profile.workloads[c.workload].keyspace);
      classes.set(c.name, entry);
    }
  }
  const names = Object.keys(profile.serviceLevels);
  if (names.length === 0 && classes.size === 0) return out;

  const unsupported = (msg: string): ServiceLevelOutcome => {
    if (o.strict) throw new ServiceLevelsUnsupported(msg);
    out.warnings.push(`${msg}; running without service levels (--strict would stop here)`);
    return out;
  };

  let withShares = true;
  for (const name of names) {
    const spec = profile.serviceLevels[name];
    try {
      await control.query(`CREATE SERVICE LEVEL IF NOT EXISTS ${cqlName(name)}${optionsCql(spec, withShares)}`);
    } catch (e) {
      // Scylla OSS before 2025.1 knows timeout and workload_type but not shares
      if (withShares && spec.shares !== undefined && e instanceof ResponseError && /shares/i.test(e.message)) {
        withShares = false;
        out.warnings.push(`the target does not support service level shares (${why(e)}): levels get their timeout and workload type only`);
        try {
          await control.query(`CREATE SERVICE LEVEL IF NOT EXISTS ${cqlName(name)}${optionsCql(spec, false)}`);
        } catch (e2) {
          return unsupported(`service levels are not supported by the target (${why(e2)})`);
        }
      } else {
        return unsupported(`service levels are not supported by the target (CREATE SERVICE LEVEL: ${why(e)})`);
      }
    }
    out.created.levels.push(name);
    const opts = optionsCql(spec, withShares);
    if (opts) {
      try {
        await control.query(`ALTER SERVICE LEVEL ${cqlName(name)}${opts}`);
      } catch (e) {
        return unsupported(`cannot align service level ${name} with the profile (${why(e)})`);
      }
    }
  }

  if (!o.authenticated) {
    out.warnings.push('the target does not authenticate (AllowAllAuthenticator): classes cannot log in as their own roles, so their service levels do not apply');
  } else {
    for (const [cls, { level, keyspaces }] of classes) {
      const role = roleNameOf(cls);
      const password = env[`SCYLLA_BENCH_ROLE_PASSWORD_${cls.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`] ?? randomBytes(18).toString('base64url');
      const pw = password.replace(/'/g, "''");
      try {
        await control.query(`CREATE ROLE IF NOT EXISTS ${role} WITH PASSWORD = '${pw}' AND LOGIN = true`);
        // an existing role keeps its old password otherwise
        await control.query(`ALTER ROLE ${role} WITH PASSWORD = '${pw}' AND LOGIN = true`);
        for (const ks of keyspaces) {
          for (const perm of ['SELECT', 'MODIFY']) await control.query(`GRANT ${perm} ON KEYSPACE ${cqlName(ks)} TO ${role}`);
        }
        await control.query(`ATTACH SERVICE LEVEL ${cqlName(level)} TO ${role}`);
      } catch (e) {
        // never echo the statement: it holds the password
        return unsupported(`cannot set up role ${role} for class ${cls} (${why(e).replaceAll(pw, '***')})`);
      }
      out.created.roles.push(role);
      out.classCredentials[cls] = { username: role, password };
    }
  }

  try {
    out.levels = rows(await control.query('LIST ALL SERVICE LEVELS'));
    out.attached = rows(await control.query('LIST ALL ATTACHED SERVICE LEVELS'));
  } catch (e) {
    out.warnings.push(`LIST ALL SERVICE LEVELS failed (${why(e)})`);
  }
  out.applied = true;
  return out;
}

/** Removes what setupServiceLevels created (roles first: a level cannot go while attached). */
export async function teardownServiceLevels(control: Connection, created: ServiceLevelOutcome['created']): Promise<string[]> {
  const problems: string[] = [];
  for (const role of created.roles) {
    try {
      await control.query(`DETACH SERVICE LEVEL FROM ${role}`);
      await control.query(`DROP ROLE IF EXISTS ${role}`);
    } catch (e) {
      problems.push(`teardown of role ${role}: ${why(e)}`);
    }
  }
  for (const level of created.levels) {
    try {
      await control.query(`DROP SERVICE LEVEL IF EXISTS ${cqlName(level)}`);
    } catch (e) {
      problems.push(`teardown of service level ${level}: ${why(e)}`);
    }
  }
  return problems;
}
