/**
 * `scylla-bench run <profile>`: load the profile, start the built-in emulator when no hosts are
 * named, run the phases, print a table (and the --json summary), exit 0 / 1 (SLO failed or the
 * run was stopped) / 2 (bad input).
 */
import { randomBytes } from 'node:crypto';
import { accessSync, appendFileSync, constants as fsConstants, existsSync, mkdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { Coordinator, type SegmentRun, type TargetInfo } from '../engine/coordinator.js';
import { segmentLabel } from '../profile/segment.js';
import { EngineError } from '../engine/errors.js';
// prom-client, the emulator launcher and the result reader/gate load only when a flag asks for
// them: a run pays for neither their start-up CPU nor their heap (issue 17)
import type { LoaderExporter } from '../metrics/prometheus.js';
import { FlagError } from '../profile/errors.js';
import { loadProfile } from '../profile/load.js';
import { parseTarget } from '../profile/target.js';
import { forFlag, parseDurationMs } from '../profile/units.js';
import type { ResolvedProfile, RoutingMode } from '../profile/types.js';
import { summarizeRun, type RunSummary } from '../results/result.js';
import type { SpawnedSim } from '../sim/spawn.js';
import type { Credentials, TlsOptions } from '../cql/connection.js';
import { credentialsFromEnv, DEFAULT_CREDENTIAL_ENV, tlsFromFiles } from './credentials.js';
import { ExitCode, UserError } from './exit.js';
import { renderRunTable } from './table.js';
import { formatProgress } from './progress.js';
import { gitSha } from './git.js';
import { parseTargets } from './target.js';

export interface RunFlags {
  profile: string;
  target?: string;
  routing?: RoutingMode;
  duration?: string;
  rate?: number;
  workers?: number;
  pin?: boolean;
  /** check every read's rows against the generators; a mismatch or a missing row fails the run */
  validate?: boolean;
  seed?: number;
  /** Raises the worker limit (4 per core). */
  maxWorkers?: number;
  out: string;
  json: boolean;
  strict?: boolean;
  teardown?: boolean;
  /** Serve the loader's Prometheus /metrics here while running ([host:]port). */
  prometheus?: string;
  /** Gate the run against this baseline result when it ends (`run --baseline`). */
  baseline?: string;
  rules?: string;
  junit?: string;
  markdown?: string;
  /** `--segment i/n` (parsed) and `--start-at` (ms since the epoch): one loader of n (docs/scale-out.md). */
  segment?: SegmentRun;
  /** A directory of nightly results: the result goes to DIR/runs, a line to DIR/run-history.jsonl. */
  history?: string;
}

/** One line of DIR/run-history.jsonl per night at a fixed rate (`run --history DIR`); `report --history` reads it. */
export const RUN_HISTORY_FILE = 'run-history.jsonl';

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

/** Where a command sends its load: the profile's hosts, or the built-in emulator started here in its own process. */
export interface PreparedTarget {
  /** Resolved lazily inside the engine's run, so a signal while the emulator starts is honoured. */
  info: () => Promise<TargetInfo>;
  /** True when the target is the built-in emulator started by this command. */
  local: boolean;
  /** Called once if the local emulator dies before stop() (the run must end, not fail every op). */
  onLost: (cb: (why: string) => void) => void;
  stop: () => Promise<void>;
}

export function prepareTarget(profile: ResolvedProfile, target: string | undefined): PreparedTarget {
  const credentials = credentialsOf(profile);
  const tls = tlsOf(profile);
  const choice = target === undefined ? undefined : forFlag('--target', parseTarget(target));
  const forceSim = choice?.kind === 'sim';
  if (!forceSim && profile.target.hosts.length > 0) {
    const info: TargetInfo = { hosts: profile.target.hosts, credentials, tls };
    return { info: async () => info, local: false, onLost: () => {}, stop: async () => {} };
  }
  const explicit = choice?.kind === 'sim' ? choice.host : undefined;
  const { nodes, shards, costs } = profile.target.sim;
  // service levels bind to login roles: the emulator then authenticates (its superuser is cassandra/cassandra)
  const auth = Object.keys(profile.serviceLevels).length > 0;
  let spawned: Promise<SpawnedSim> | undefined;
  const lost: ((why: string) => void)[] = [];
  const start = async (): Promise<TargetInfo> => {
    const candidates = explicit ? [explicit] : Array.from({ length: 8 }, (_, i) => `127.0.${i}.1`);
    let lastError = '';
    for (const host of candidates) {
      spawned = import('../sim/spawn.js').then(({ spawnSim }) => spawnSim({ nodes, shards, host, port: 9042, shardAwarePort: 19042, auth, costs, metricsPort: 0 }));
      try {
        const s = await spawned;
        s.onExit((why) => { for (const cb of lost) cb(why); });
        return {
          hosts: [{ host: s.nodes[0].host, port: s.nodes[0].port }], credentials: auth ? { username: 'cassandra', password: 'cassandra' } : undefined,
          label: `built-in emulator (${nodes} nodes × ${shards} shards at ${host}, pid ${s.pid})`, process: s,
          metricsUrls: s.metricsUrl ? [`${s.metricsUrl}/metrics`] : undefined,
        };
      } catch (e) {
        spawned = undefined;
        lastError = e instanceof Error ? e.message : String(e);
        if (!/EADDRINUSE|in use/i.test(lastError)) break;
      }
    }
    throw new UserError(`built-in emulator: ${lastError}`);
  };
  return {
    info: start,
    local: true,
    onLost: (cb) => { lost.push(cb); },
    stop: async () => {
      const s = await spawned?.catch(() => undefined);
      await s?.stop();
    },
  };
}

/**
 * `--prometheus [host:]port`: the loader's /metrics while the command runs (the URL goes to
 * stderr); undefined without the flag.
 */
export async function startExporter(spec: string | undefined): Promise<LoaderExporter | undefined> {
  if (spec === undefined) return undefined;
  const { LoaderExporter, parseListen } = await import('../metrics/prometheus.js');
  let listen: { host: string; port: number };
  try {
    listen = parseListen(spec);
  } catch (e) {
    throw new FlagError('--prometheus', (e as Error).message);
  }
  const exporter = new LoaderExporter();
  try {
    const { url } = await exporter.start(listen);
    process.stderr.write(`prometheus: loader metrics at ${url}\n`);
  } catch (e) {
    throw new FlagError('--prometheus', `cannot listen on ${spec}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return exporter;
}

/**
 * `--out` must be a directory we can write, checked before anything runs: a recursive mkdir
 * under /proc never returns (Node spins at 100 % CPU, deaf to signals), and a file or a
 * read-only place would only fail after the run.
 */
export function checkOutDir(out: string, flag = '--out'): string {
  const abs = path.resolve(out);
  if (/^\/(proc|sys|dev)(\/|$)/.test(abs)) throw new UserError(`${flag}: '${out}' is on a kernel pseudo-filesystem, not a place for results`);
  let probe = abs;
  while (!existsSync(probe)) {
    const parent = path.dirname(probe);
    if (parent === probe) break;
    probe = parent;
  }
  let st;
  try {
    st = statSync(probe);
  } catch (e) {
    throw new UserError(`${flag}: '${out}': ${(e as NodeJS.ErrnoException).code ?? 'cannot be read'}`);
  }
  if (!st.isDirectory()) throw new UserError(`${flag}: '${probe === abs ? out : probe}' is not a directory`);
  try {
    accessSync(probe, fsConstants.W_OK | fsConstants.X_OK);
  } catch {
    throw new UserError(`${flag}: '${probe === abs ? out : probe}' is not writable`);
  }
  try {
    mkdirSync(abs, { recursive: true });
  } catch (e) {
    throw new UserError(`${flag}: cannot create '${out}': ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return abs;
}

/**
 * Workers when neither the flag nor the profile asked for a number: one per core, but the built-in
 * emulator runs on this machine too and needs a core of its own to be a fair target.
 */
export function defaultWorkers(profile: ResolvedProfile, localTarget: boolean): ResolvedProfile {
  if (!profile.workersAuto || !localTarget) return profile;
  return { ...profile, workers: Math.max(1, Math.floor(availableParallelism() / 2)) };
}

/**
 * SIGINT/SIGTERM → abort; the engine stops scheduling and still writes the result. Takes over
 * from the launcher's early handlers (bin/scylla-bench.js): a signal that came while the CLI was
 * loading aborts at once.
 */
export function abortOnSignals(): { signal: AbortSignal; dispose: () => void } {
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const launcher = (globalThis as { __scyllaBenchSignals?: { claim(): string[] } }).__scyllaBenchSignals;
  if (launcher && launcher.claim().length > 0) abort.abort();
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

/**
 * A loader's coordinator thread allocates little per op (a second's histograms), yet V8 grows its
 * young generation to 16–32 MiB a semi-space and keeps it, holding dead buffers until a scavenge.
 * Growth is turned off: the young generation stays at its initial size for the run, 15–30 MiB
 * leaner at no CPU per op we could measure (bench/soak.ts, bench/engine.ts). bin/scylla-bench.js
 * turns it off before the CLI even loads (growth during module loading alone made the peak); this
 * call covers runs started in-process. V8's flags are the process's: the workers started next
 * keep their initial young generation too (under their own cap, WORKER_YOUNG_GENERATION_MB).
 */
export function leanYoungGeneration(): void {
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}

export async function runCommand(f: RunFlags, toolVersion: string): Promise<number> {
  // first: a signal from here on stops the run (and, once the profile is read, leaves a result)
  const sig = abortOnSignals();
  const progress = progressPrinter();
  let target: PreparedTarget | undefined;
  let exporter: LoaderExporter | undefined;
  try {
    if (f.history !== undefined) checkOutDir(f.history, '--history');
    const outDir = f.history !== undefined ? path.join(f.history, 'runs') : f.out;
    checkOutDir(outDir);
    // a baseline that cannot be read fails now, not after the run
    const baseline = f.baseline !== undefined ? (await import('./compare.js')).loadResult(f.baseline) : undefined;
    const loaded = await loadProfile(f.profile, profileOverrides(f));
    target = prepareTarget(loaded, f.target);
    const profile = defaultWorkers(loaded, target.local);
    if (f.segment) checkSegmentable(profile, f.segment);
    exporter = await startExporter(f.prometheus);
    const coordinator = new Coordinator({
      profile, target: target.info, resultsDir: outDir, runId: segmentRunId(f.segment), toolVersion, signal: sig.signal, observer: exporter,
      onProgress: (p) => progress.print(formatProgress(p)), strict: f.strict, teardown: f.teardown, segment: f.segment,
    });
    target.onLost((why) => coordinator.stop(`error: ${why}`));
    leanYoungGeneration();
    const outcome = await coordinator.run().catch(engineToUser);
    progress.clear();
    const summary: RunSummary = summarizeRun(outcome.result, outcome.resultDir);
    if (f.history !== undefined && !outcome.result.stopped) {
      // a stopped run is not a night; the result itself carries the profile hash and the date
      const r = outcome.result;
      const line = { date: r.endedAt, gitSha: gitSha(), profileHash: r.profileHash, profile: r.profile.name, runId: r.runId, resultDir: outcome.resultDir };
      appendFileSync(path.join(f.history, RUN_HISTORY_FILE), `${JSON.stringify(line)}\n`);
    }
    const table = renderRunTable(outcome.result);
    if (f.json) {
      process.stderr.write(`${table}\nresult: ${outcome.resultDir}/result.json\n`);
      process.stdout.write(`${JSON.stringify(summary)}\n`);
    } else {
      process.stdout.write(`${table}\nresult: ${outcome.resultDir}/result.json\n`);
    }
    if (outcome.result.stopped) {
      if (outcome.result.stopped !== 'signal') process.stderr.write(`scylla-bench: run stopped: ${outcome.result.stopped.replace(/^error: /, '')}\n`);
      return ExitCode.CHECKS_FAILED;
    }
    const validationFailed = summary.validation !== null && summary.validation.mismatch + summary.validation.missing > 0;
    if (validationFailed) process.stderr.write(`scylla-bench: --validate: ${summary.validation!.mismatch} mismatch, ${summary.validation!.missing} missing of ${summary.validation!.checked} rows checked\n`);
    const sloPass = Object.values(summary.classes).every((c) => c.slo.pass) && !validationFailed;
    if (!baseline) return sloPass ? ExitCode.OK : ExitCode.CHECKS_FAILED;
    // run then gate in one step: the gate's report goes where the table went
    const [{ gateResults }, { loadResult }] = await Promise.all([import('./gate.js'), import('./compare.js')]);
    const gate = gateResults(baseline, loadResult(outcome.resultDir), {
      rules: f.rules, junit: f.junit, markdown: f.markdown,
      out: (t) => { (f.json ? process.stderr : process.stdout).write(t); },
    });
    return sloPass && gate === ExitCode.OK ? ExitCode.OK : gate === ExitCode.BAD_INPUT ? ExitCode.BAD_INPUT : ExitCode.CHECKS_FAILED;
  } finally {
    progress.clear();
    sig.dispose();
    await exporter?.stop();
    await target?.stop();
  }
}

/** A segment's run id says which segment it is (results of n loaders often share one directory). */
function segmentRunId(seg: SegmentRun | undefined): string {
  const id = newRunId();
  return seg ? `${id}-seg${seg.segment.index}of${seg.segment.count}` : id;
}

/**
 * What a run of several loaders cannot do, refused before anything starts: roles whose
 * passwords each loader would generate differently (and ALTER under the others' feet), and, with
 * --start-at, a load phase after a timed one (segment 0 runs the loads before the common start).
 */
export function checkSegmentable(profile: ResolvedProfile, seg: SegmentRun, env: NodeJS.ProcessEnv = process.env): void {
  if (seg.segment.count > 1) {
    for (const ph of profile.phases) {
      for (const c of ph.classes) {
        const name = `SCYLLA_BENCH_ROLE_PASSWORD_${c.name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
        if (c.serviceLevel && !env[name]) {
          throw new FlagError('--segment', `class ${c.name} runs under service level ${c.serviceLevel}: set ${name} to the same password on every loader (each would otherwise make up its own)`);
        }
      }
    }
  }
  if (seg.startAtMs !== undefined) {
    const firstTimed = profile.phases.findIndex((p) => p.kind === 'warmup' || p.kind === 'measure');
    const lateLoad = firstTimed < 0 ? undefined : profile.phases.slice(firstTimed).find((p) => p.kind === 'load' || p.kind === 'schema');
    if (lateLoad) throw new FlagError('--start-at', `${profile.file}: phase ${lateLoad.name} (${lateLoad.kind}) comes after a timed phase; with --start-at, schema and load phases must come first (segment ${segmentLabel({ index: 0, count: seg.segment.count })} runs them before the common start)`);
  }
}

/** The engine's errors, as the CLI reports them (one line; exit 2 for bad input, 1 otherwise). */
export function engineToUser(e: unknown): never {
  if (e instanceof EngineError) throw new UserError(e.message, e.kind === 'bad-input' ? ExitCode.BAD_INPUT : ExitCode.CHECKS_FAILED);
  throw e;
}

export function profileOverrides(f: Omit<RunFlags, 'profile' | 'out' | 'json' | 'strict' | 'teardown'>): Parameters<typeof loadProfile>[1] {
  const choice = f.target === undefined ? undefined : forFlag('--target', parseTarget(f.target));
  return {
    target: choice?.kind === 'sim' ? undefined : f.target,
    routing: f.routing,
    // the profile's one duration grammar (units required), the same words as in a file
    durationMs: f.duration !== undefined ? forFlag('--duration', parseDurationMs(f.duration)) : undefined,
    rateOpsPerSec: f.rate,
    workers: f.workers,
    maxWorkers: f.maxWorkers,
    pin: f.pin,
    seed: f.seed,
    validate: f.validate,
  };
}
