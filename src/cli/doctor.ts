/**
 * `scylla-bench doctor --target …`: ScyllaDB's production checklist and red lines, checked on a
 * live cluster (src/doctor). Exit 0 when nothing fails, 1 when a check fails, 2 for bad input or
 * a target that does not answer — one line naming the host or the flag.
 */
import { ClusterUnreachable, formatReport, runDoctor, worstFirst, type DoctorReport } from '../doctor/index.js';
import { loadProfile } from '../profile/load.js';
import { FlagError, quoted } from '../profile/errors.js';
import { ResultReadError } from '../results/read.js';
import { credentialsFromEnv, tlsFromFlags } from './credentials.js';
import { ExitCode, UserError } from './exit.js';
import type { Endpoint } from './target.js';

export interface DoctorFlags {
  contacts: Endpoint[];
  profile?: string;
  metricsUrls?: string[];
  result?: string;
  json: boolean;
  metricsWindowMs: number;
  connectTimeoutMs: number;
  tls?: boolean;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
}

/** `--scylla-metrics`: repeatable, each value one URL or a comma-separated list of http(s) URLs. */
export function metricsUrlsFlag(raw: string[] | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const urls = raw.flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
  if (urls.length === 0) throw new FlagError('--scylla-metrics', 'needs a URL, e.g. http://10.0.0.1:9180/metrics');
  for (const u of urls) {
    let ok = false;
    try {
      ok = ['http:', 'https:'].includes(new URL(u).protocol);
    } catch { /* reported below */ }
    if (!ok) throw new FlagError('--scylla-metrics', `expected an http(s) URL such as http://10.0.0.1:9180/metrics, got ${quoted(u)}`);
  }
  return urls;
}

export async function doctorCommand(f: DoctorFlags): Promise<number> {
  const profile = f.profile === undefined ? undefined : await loadProfile(f.profile);
  let report: DoctorReport;
  try {
    report = await runDoctor({
      contacts: f.contacts, credentials: credentialsFromEnv(), tls: tlsFromFlags(f),
      connectTimeoutMs: f.connectTimeoutMs, profile, metricsUrls: f.metricsUrls, metricsWindowMs: f.metricsWindowMs, resultDir: f.result,
    });
  } catch (e) {
    if (e instanceof ClusterUnreachable) throw new UserError(`--target: no contact point answered: ${e.message}`);
    if (e instanceof ResultReadError) throw new UserError(`--result: ${e.message}`);
    throw e;
  }
  const ordered = { ...report, findings: worstFirst(report.findings) };
  process.stdout.write(f.json ? `${JSON.stringify(ordered, null, 2)}\n` : `${formatReport(ordered)}\n`);
  return report.totals.FAIL > 0 ? ExitCode.CHECKS_FAILED : ExitCode.OK;
}
