/**
 * `scylla-bench run <profile>`: load the profile, start the built-in emulator when no hosts are
 * named, run the phases, print a table (and the --json summary), exit 0 / 1 (SLO failed or the
 * run was stopped) / 2 (bad input).
 */
import { randomBytes } from 'node:crypto';
import { Coordinator } from '../engine/coordinator.js';
import { loadProfile } from '../profile/load.js';
import type { ResolvedProfile, RoutingMode } from '../profile/types.js';
import { summarizeRun, type RunSummary } from '../results/result.js';
import { startSim } from '../sim/index.js';
import type { Credentials, TlsOptions } from '../cql/connection.js';
import { credentialsFromEnv, DEFAULT_CREDENTIAL_ENV, tlsFromFiles } from './credentials.js';
import { ExitCode, UserError } from './exit.js';
import { renderRunTable } from './table.js';
import { parseTargets } from './target.js';

export interface RunFlags {
  profile: string;
  target?: string;
  routing?: RoutingMode;
  duration?: string;
  rate?: number;
  workers?: number;
  pin?: boolean;
  seed?: number;
  out: string;
  json: boolean;
  strict?: boolean;
  teardown?: boolean;
}

export function parseDurationMs(s: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s.trim());
  if (!m) throw new UserError(`${flag}: expected a duration like 30s, 500ms, 2m; got '${s}'`);
  const n = Number(m[1]);
  const mult = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's']!;
  return n * mult;
}

function credentialsOf(p: ResolvedProfile): Credentials | undefined {
  const t = p.target;
  return credentialsFromEnv(process.env, {
    username: t.usernameEnv ?? DEFAULT_CREDENTIAL_ENV.username,
    password: t.passwordEnv ?? DEFAULT_CREDENTIAL_ENV.password,
    passwordFile: t.passwordFileEnv ?? DEFAULT_CREDENTIAL_ENV.passwordFile,
  });
}

function tlsOf(p: ResolvedProfile): TlsOptions | undefined {
  const t = p.target.tls;
  if (!t) return undefined;
  return tlsFromFiles({ ca: t.caFile, cert: t.certFile, key: t.keyFile }, (k) => `${p.file}: target.tls.${k}`);
}

export function newRunId(): string {
  return `${new Date().toISOString().replace(/[:.]/g, '-').replace(/-\d{3}Z$/, 'Z')}-${randomBytes(2).toString('hex')}`;
}

/** Where a command sends its load: the profile's hosts, or the built-in emulator started here. */
export interface PreparedTarget {
  hosts: { host: string; port: number }[];
  credentials: Credentials | undefined;
  tls: TlsOptions | undefined;
  label: string | undefined;
  stop: () => Promise<void>;
}

/**
 * `--target sim` or `sim:<host>` (the emulator's node-1 address). Without a host, the emulator
 * takes 127.0.0.1 and moves to 127.0.1.1, 127.0.2.1, ... when port 9042 there is taken (a local
 * Scylla, another run).
 */
export function simHostOf(target: string | undefined): string | undefined {
  if (!target?.startsWith('sim:')) return undefined;
  const host = target.slice(4);
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) throw new UserError(`--target: the emulator listens on loopback only: expected sim:127.x.y.z, got '${target}'`);
  return host;
}

export async function prepareTarget(profile: ResolvedProfile, target: string | undefined): Promise<PreparedTarget> {
  const credentials = credentialsOf(profile);
  const tls = tlsOf(profile);
  const forceSim = target === 'sim' || target?.startsWith('sim:');
  if (!forceSim && profile.target.hosts.length > 0) {
    return { hosts: profile.target.hosts, credentials, tls, label: undefined, stop: async () => {} };
  }
  const { nodes, shards, costs } = profile.target.sim;
  // service levels bind to login roles: the emulator then authenticates (its superuser is cassandra/cassandra)
  const auth = Object.keys(profile.serviceLevels).length > 0;
  const explicit = simHostOf(target);
  const candidates = explicit ? [explicit] : Array.from({ length: 8 }, (_, i) => `127.0.${i}.1`);
  let lastError = '';
  for (const host of candidates) {
    try {
      const s = await startSim({ nodes, shards, host, port: 9042, shardAwarePort: 19042, auth, costs });
      return {
        hosts: [{ host: s.nodes[0].host, port: s.nodes[0].port }], credentials: auth ? { username: 'cassandra', password: 'cassandra' } : undefined, tls: undefined,
        label: `built-in emulator (${nodes} nodes × ${shards} shards at ${host})`, stop: () => s.stop(),
      };
    } catch (e) {
      lastError = e instanceof Error ? e.message : String(e);
      if (!/EADDRINUSE|in use/i.test(lastError)) break;
    }
  }
  throw new UserError(`built-in emulator: ${lastError}`);
}

/** SIGINT/SIGTERM → abort; the engine stops scheduling and still writes the result. */
export function abortOnSignals(): { signal: AbortSignal; dispose: () => void } {
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return { signal: abort.signal, dispose: () => { process.off('SIGINT', onSignal); process.off('SIGTERM', onSignal); } };
}

/** Live status on stderr: rewritten in place on a terminal, one line per 5 s otherwise (CI logs). */
export function progressPrinter(): { print: (line: string) => void; clear: () => void } {
  const tty = process.stderr.isTTY;
  let lastPrint = 0;
  return {
    print: (line) => {
      if (tty) process.stderr.write(`\r\x1b[K${line}`);
      else if (Date.now() - lastPrint >= 5000) { lastPrint = Date.now(); process.stderr.write(`${line}\n`); }
    },
    clear: () => { if (tty) process.stderr.write('\r\x1b[K'); },
  };
}

export async function runCommand(f: RunFlags, toolVersion: string): Promise<number> {
  const profile = await loadProfile(f.profile, profileOverrides(f));
  const target = await prepareTarget(profile, f.target);
  const sig = abortOnSignals();
  const progress = progressPrinter();
  try {
    const outcome = await new Coordinator({
      profile, hosts: target.hosts, credentials: target.credentials, tls: target.tls,
      resultsDir: f.out, runId: newRunId(), toolVersion, signal: sig.signal, targetLabel: target.label,
      onProgress: progress.print, strict: f.strict, teardown: f.teardown,
    }).run();
    progress.clear();
    const summary: RunSummary = summarizeRun(outcome.result, outcome.resultDir);
    const table = renderRunTable(outcome.result);
    if (f.json) {
      process.stderr.write(`${table}\nresult: ${outcome.resultDir}/result.json\n`);
      process.stdout.write(`${JSON.stringify(summary)}\n`);
    } else {
      process.stdout.write(`${table}\nresult: ${outcome.resultDir}/result.json\n`);
    }
    if (outcome.result.stopped) return ExitCode.CHECKS_FAILED;
    return Object.values(summary.classes).every((c) => c.slo.pass) ? ExitCode.OK : ExitCode.CHECKS_FAILED;
  } finally {
    sig.dispose();
    await target.stop();
  }
}

export function profileOverrides(f: Omit<RunFlags, 'profile' | 'out' | 'json' | 'strict' | 'teardown'>): Parameters<typeof loadProfile>[1] {
  return {
    target: f.target === 'sim' || f.target?.startsWith('sim:') ? undefined : f.target,
    routing: f.routing,
    durationMs: f.duration !== undefined ? parseDurationMs(f.duration, '--duration') : undefined,
    rateOpsPerSec: f.rate,
    workers: f.workers,
    pin: f.pin,
    seed: f.seed,
  };
}
