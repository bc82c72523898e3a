/**
 * `--target host[:port],...` for commands that take hosts only (probe). The grammar is
 * src/profile/target.ts, shared with profiles; this only names the flag in the error.
 */
import { FlagError } from '../profile/errors.js';
import { parseHosts, parseTarget, type Endpoint, type TargetChoice } from '../profile/target.js';

export type { Endpoint, TargetChoice };

export function parseTargets(spec: string, defaultPort = 9042, flag = '--target'): Endpoint[] {
  const r = parseHosts(spec, defaultPort);
  if (!r.ok) throw new FlagError(flag, r.message);
  return r.value;
}

/** `--target` of run/ab: hosts, `sim` or `sim:127.x.y.z`. */
export function parseTargetFlag(spec: string, flag = '--target'): TargetChoice {
  const r = parseTarget(spec);
  if (!r.ok) throw new FlagError(flag, r.message);
  return r.value;
}
