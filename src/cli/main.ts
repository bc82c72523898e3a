/**
 * The command line: yargs wiring and flag validation. Each command parses its flags into an
 * options object and calls into the library. Every bad flag is ONE line naming the flag and
 * what it accepts, exit 2, checked before anything starts; values are parsed with the same
 * grammars as the profile (src/profile/units.ts, target.ts, limits.ts). Errors meant for the
 * user become one line on stderr (exit codes in exit.ts), never a stack trace.
 */
import yargs, { type Argv } from 'yargs';
import { readFileSync } from 'node:fs';
import { CqlError, describeError } from '../cql/errors.js';
import { FlagError, printable, quoted, suggestion } from '../profile/errors.js';
import { checkWorkers } from '../profile/limits.js';
import { ROUTING } from '../profile/routing.js';
import type { RoutingMode } from '../profile/types.js';
import { forFlag, parseDurationMs, parseRateOpsPerSec, parseRatio } from '../profile/units.js';
import { parseSegment, parseStartAt, SINGLE } from '../profile/segment.js';
import { ExitCode, exitCodeOf, UserError } from './exit.js';
import { credentialsFromEnv, tlsFromFlags } from './credentials.js';
import { parseTargetFlag, parseTargets } from './target.js';

export function toolVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

// ---------------------------------------------------------------- flag values

/** The value of a flag that takes one: a flag given twice is refused rather than guessed. */
function single(flag: string, raw: unknown): string | undefined {
  if (raw === undefined) return undefined;
  if (Array.isArray(raw)) throw new FlagError(flag, 'given more than once');
  return String(raw);
}

/** A whole number in [min, max]; `what` names the unit in the message. */
export function wholeFlag(flag: string, raw: unknown, min: number, max = Number.MAX_SAFE_INTEGER, what = 'a whole number'): number | undefined {
  const s = single(flag, raw);
  if (s === undefined) return undefined;
  const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `${min}..${max}`;
  if (s.trim() === '') throw new FlagError(flag, `expected ${what} ${range}, got an empty value`);
  const n = /^\s*\d+\s*$/.test(s) ? Number(s) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new FlagError(flag, `expected ${what} ${range}, got ${quoted(s)}`);
  return n;
}

/** A non-negative number (microseconds of emulated cost and the like). */
function numberFlag(flag: string, raw: unknown, what: string): number | undefined {
  const s = single(flag, raw);
  if (s === undefined) return undefined;
  const n = /^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(s) ? Number(s) : NaN;
  if (!Number.isFinite(n)) throw new FlagError(flag, `expected ${what} (a number ≥ 0), got ${s.trim() === '' ? 'an empty value' : quoted(s)}`);
  return n;
}

/** A duration with a unit, by the profile's grammar (a bare number is refused there too). */
export function durationFlagMs(flag: string, raw: unknown, min = 0): number | undefined {
  const s = single(flag, raw);
  if (s === undefined) return undefined;
  const ms = forFlag(flag, parseDurationMs(s));
  if (ms <= min) throw new FlagError(flag, `expected a duration above ${min === 0 ? '0' : `${min} ms`}, got ${quoted(s)}`);
  return ms;
}

/**
 * `--duration` for run.ts's own parser until it takes the number: the profile grammar's
 * result written as milliseconds, which that parser reads exactly.
 */
function asMsText(ms: number): string {
  return `${ms.toFixed(6).replace(/\.?0+$/, '')}ms`;
}

function rateFlag(flag: string, raw: unknown): number | undefined {
  const s = single(flag, raw);
  if (s === undefined) return undefined;
  // a number reads as it does in the profile (`rate: -5` and `--rate -5`: one message)
  return forFlag(flag, parseRateOpsPerSec(/^\s*-?\d+(\.\d+)?\s*$/.test(s) ? Number(s) : s));
}

function routingFlag(raw: unknown): RoutingMode | undefined {
  const s = single('--routing', raw);
  if (s === undefined) return undefined;
  if (!(ROUTING as readonly string[]).includes(s)) throw new FlagError('--routing', `unknown mode ${quoted(s)}; ${suggestion(s, ROUTING, 'one of')}`);
  return s as RoutingMode;
}

function choiceFlag<T extends string>(flag: string, raw: unknown, choices: readonly T[]): T | undefined {
  const s = single(flag, raw);
  if (s === undefined) return undefined;
  if (!(choices as readonly string[]).includes(s)) throw new FlagError(flag, `unknown value ${quoted(s)}; ${suggestion(s, choices, 'one of')}`);
  return s as T;
}

/** A repeatable flag: given, it needs at least one value. */
function listFlag(flag: string, raw: unknown): string[] | undefined {
  if (raw === undefined) return undefined;
  const list = (Array.isArray(raw) ? raw : [raw]).map(String);
  if (list.length === 0) throw new FlagError(flag, 'needs a value');
  return list;
}

/** A string flag that must not be empty. */
function textFlag(flag: string, raw: unknown, what: string): string | undefined {
  const s = single(flag, raw);
  if (s !== undefined && s.trim() === '') throw new FlagError(flag, `expected ${what}, got an empty value`);
  return s;
}

/** The worker count and its limit, checked by the profile's one rule (limits.ts). */
function workersFlags(a: { workers?: unknown; maxWorkers?: unknown }): { workers?: number; maxWorkers?: number } {
  const maxWorkers = wholeFlag('--max-workers', a.maxWorkers, 1);
  const workers = wholeFlag('--workers', a.workers, 1);
  if (workers !== undefined) forFlag('--workers', checkWorkers(workers, maxWorkers));
  return { workers, maxWorkers };
}

/** `--out`: not empty here; whether it is a writable directory is run.ts's checkOutDir. */
function outFlag(raw: unknown): string {
  return textFlag('--out', raw, 'a results directory') ?? 'results';
}

// ---------------------------------------------------------------- commands

/** A flag that takes a value: yargs then never takes the next flag as its value. */
const value = <T extends object>(o: T) => ({ ...o, requiresArg: true });

/** Runs the CLI; resolves to the exit code (the launcher sets process.exitCode). */
export async function main(argv: string[]): Promise<number> {
  let exitCode: number = ExitCode.OK;
  const parser: Argv = yargs(argv)
    .scriptName('scylla-bench')
    .usage('$0 <command> [options]\n\nLoad testing and workload simulation for ScyllaDB.')
    .version(toolVersion())
    .strict()
    .recommendCommands()
    .demandCommand(1, 'name a command; see --help')
    .command(
      'probe',
      'connect to a target and show what it is (release, sharding, extensions)',
      (y) => y
        .option('target', value({ type: 'string', demandOption: true, describe: 'host[:port] of one node' }))
        .option('json', { type: 'boolean', default: false, describe: 'print JSON on stdout' })
        .option('tls', { type: 'boolean', describe: 'use TLS (system CAs unless --tls-ca)' })
        .option('tls-ca', value({ type: 'string', describe: 'CA bundle (PEM file)' }))
        .option('tls-cert', value({ type: 'string', describe: 'client certificate (PEM file)' }))
        .option('tls-key', value({ type: 'string', describe: 'client key (PEM file)' }))
        .option('connect-timeout', value({ type: 'string', default: '5s', describe: 'connect timeout, a duration with a unit (e.g. 500ms, 5s)' }))
        .epilog('Credentials: SCYLLA_BENCH_USERNAME and SCYLLA_BENCH_PASSWORD (or SCYLLA_BENCH_PASSWORD_FILE).'),
      async (a) => {
        const [ep] = parseTargets(single('--target', a.target) ?? '', 9042, '--target');
        const connectTimeoutMs = durationFlagMs('--connect-timeout', a.connectTimeout)!;
        const tlsCa = textFlag('--tls-ca', a.tlsCa, 'a PEM file');
        const tlsCert = textFlag('--tls-cert', a.tlsCert, 'a PEM file');
        const tlsKey = textFlag('--tls-key', a.tlsKey, 'a PEM file');
        const { formatProbe, probe } = await import('./probe.js');
        const report = await probe(ep, {
          credentials: credentialsFromEnv(),
          tls: tlsFromFlags({ tls: a.tls, tlsCa, tlsCert, tlsKey }),
          connectTimeoutMs,
        });
        process.stdout.write(a.json ? `${JSON.stringify(report)}\n` : `${formatProbe(report)}\n`);
      },
    )
    .command(
      'run <profile>',
      'run a profile: schema, load, warmup and measure phases; results in results/<run-id>/',
      (y) => y
        .positional('profile', { type: 'string', demandOption: true, describe: 'profiles/*.yaml' })
        .option('target', value({ type: 'string', describe: "host[:port],... or 'sim' / 'sim:127.x.y.z' (the built-in emulator; also the default when the profile names no hosts)" }))
        .option('routing', value({ type: 'string', describe: `routing for every class: ${ROUTING.join(', ')} ('driver': the stock cassandra-driver, token-aware)` }))
        .option('duration', value({ type: 'string', describe: 'length of measure phases, a duration with a unit (e.g. 30s, 2m)' }))
        .option('rate', value({ type: 'string', describe: 'ops/s for open-loop classes (overrides the profile), e.g. 5000 or 5k/s' }))
        .option('workers', value({ type: 'string', describe: 'worker threads (default: one per core; at most 4 per core unless --max-workers)' }))
        .option('max-workers', value({ type: 'string', describe: 'allow more worker threads than 4 per core' }))
        .option('pin', { type: 'boolean', describe: 'pin each worker thread to a core (Linux)' })
        .option('seed', value({ type: 'string', describe: 'seed for generators and op picks (a whole number)' }))
        .option('validate', { type: 'boolean', describe: 'check every row the reads return against the generators; a mismatch or a missing row fails the run (exit 1)' })
        .option('out', value({ type: 'string', default: 'results', describe: 'results directory' }))
        .option('json', { type: 'boolean', default: false, describe: 'print the summary as JSON on stdout' })
        .option('strict', { type: 'boolean', default: false, describe: 'stop when the cluster cannot apply the service levels' })
        .option('teardown', { type: 'boolean', default: false, describe: 'drop the service levels and roles the run created' })
        .option('prometheus', value({ type: 'string', describe: "serve the loader's Prometheus /metrics on [host:]port while running (monitoring/ scrapes it)" }))
        .option('baseline', value({ type: 'string', describe: 'gate the run against this baseline result directory when it ends (exit 1 on a significant regression)' }))
        .option('rules', value({ type: 'string', describe: "with --baseline: gate rules file (default: the profile's gate: section, else p99 +10%, throughput -5%)" }))
        .option('junit', value({ type: 'string', describe: 'with --baseline: write the gate as JUnit XML here' }))
        .option('markdown', value({ type: 'string', describe: 'with --baseline: write the gate as markdown here' }))
        .option('segment', value({ type: 'string', describe: 'i/n: be loader i (from 0) of n running this profile together: an exact share of every class (merge the n results with `merge`)' }))
        .option('start-at', value({ type: 'string', describe: 'RFC 3339 time (e.g. 2026-05-01T02:05:00Z): start the timed phases at this instant; schema and load run on segment 0 only, before it' }))
        .option('history', value({ type: 'string', describe: 'a directory of nightly results: the result goes to DIR/runs (instead of --out) and the night (date, git sha, profile hash) to DIR/run-history.jsonl; report --history draws p99 at this rate over nights' })),
      async (a) => {
        const target = single('--target', a.target);
        const segText = single('--segment', a.segment);
        const startText = single('--start-at', a.startAt);
        const segment = segText === undefined ? undefined : forFlag('--segment', parseSegment(segText));
        const startAtMs = startText === undefined ? undefined : forFlag('--start-at', parseStartAt(startText));
        const gateFlags = {
          baseline: single('--baseline', a.baseline), rules: single('--rules', a.rules),
          junit: single('--junit', a.junit), markdown: single('--markdown', a.markdown),
        };
        for (const k of ['rules', 'junit', 'markdown'] as const) {
          if (gateFlags[k] !== undefined && gateFlags.baseline === undefined) throw new FlagError(`--${k}`, 'only goes with --baseline <result dir>');
        }
        if (segment && segment.count > 1 && gateFlags.baseline !== undefined) {
          throw new FlagError('--baseline', `a segment runs 1/${segment.count} of the load: merge the segments (scylla-bench merge) and gate the merged result`);
        }
        if (target !== undefined) parseTargetFlag(target);
        const durationMs = durationFlagMs('--duration', a.duration);
        const flags = {
          profile: profileArg(a.profile), target, routing: routingFlag(a.routing),
          duration: durationMs === undefined ? undefined : asMsText(durationMs), rate: rateFlag('--rate', a.rate),
          ...workersFlags(a), pin: a.pin, seed: wholeFlag('--seed', a.seed, 0), out: outFlag(a.out), json: a.json, validate: a.validate,
          strict: a.strict, teardown: a.teardown, ...gateFlags, prometheus: single('--prometheus', a.prometheus),
          segment: segment || startAtMs !== undefined ? { segment: segment ?? SINGLE, startAtMs } : undefined,
          history: textFlag('--history', a.history, 'a directory'),
        };
        exitCode = await (await import('./run.js')).runCommand(flags, toolVersion());
      },
    )
    .command(
      'ab <profile>',
      'A/B the same workload across routing modes in interleaved rounds; report the shard-aware gain with its 95% interval',
      (y) => y
        .positional('profile', { type: 'string', demandOption: true })
        .option('vary', value({ type: 'string', default: 'routing', describe: "what differs between variants: 'routing' (see --modes) or 'service-levels' (variants on and off)" }))
        .option('modes', value({ type: 'string', default: 'shard-aware,token-aware', describe: `variants for --vary routing (comma-separated: ${ROUTING.join(', ')})` }))
        .option('rounds', value({ type: 'string', default: '3', describe: 'rounds (A B A B ...)' }))
        .option('duration', value({ type: 'string', describe: 'measure phase length per variant run, a duration with a unit (e.g. 10s)' }))
        .option('target', value({ type: 'string', describe: "host[:port],... or 'sim'" }))
        .option('workers', value({ type: 'string', describe: 'worker threads (at most 4 per core unless --max-workers)' }))
        .option('max-workers', value({ type: 'string', describe: 'allow more worker threads than 4 per core' }))
        .option('seed', value({ type: 'string' }))
        .option('out', value({ type: 'string', default: 'results' }))
        .option('prometheus', value({ type: 'string', describe: "serve the loader's Prometheus /metrics on [host:]port while running" }))
        .option('json', { type: 'boolean', default: false }),
      async (a) => {
        const target = single('--target', a.target);
        if (target !== undefined) parseTargetFlag(target);
        const durationMs = durationFlagMs('--duration', a.duration);
        const flags = {
          profile: profileArg(a.profile), vary: choiceFlag('--vary', a.vary, ['routing', 'service-levels'] as const)!,
          modes: textFlag('--modes', a.modes, 'routing modes, e.g. shard-aware,token-aware')!, rounds: wholeFlag('--rounds', a.rounds, 1)!,
          duration: durationMs === undefined ? undefined : asMsText(durationMs), target, ...workersFlags(a),
          prometheus: single('--prometheus', a.prometheus), seed: wholeFlag('--seed', a.seed, 0), out: outFlag(a.out), json: a.json,
        };
        exitCode = await (await import('./ab.js')).abCommand(flags, toolVersion());
      },
    )
    .command(
      'sim',
      'run the built-in Scylla emulator (N nodes × S shards on 127.0.0.x) until Ctrl-C',
      (y) => y
        .option('nodes', value({ type: 'string', default: '3', describe: 'nodes, 1..64' }))
        .option('shards', value({ type: 'string', default: '4', describe: 'shards per node, 1..256' }))
        .option('host', value({ type: 'string', default: '127.0.0.1', describe: 'address of node 1; node i is +i-1 in the last octet' }))
        .option('port', value({ type: 'string', default: '9042' }))
        .option('shard-aware-port', value({ type: 'string', default: '19042' }))
        .option('metrics-port', value({ type: 'string', describe: 'serve Prometheus /metrics and the admin API here' }))
        .option('node-metrics-port', value({ type: 'string', describe: "serve each node's own /metrics on its address at this port (Scylla: 9180)" }))
        .option('auth', { type: 'boolean', default: false, describe: 'PasswordAuthenticator (superuser cassandra/cassandra)' })
        .option('tablets', { type: 'boolean', default: false, describe: 'new NetworkTopologyStrategy keyspaces use tablets' })
        .option('capacity', { type: 'boolean', default: true, describe: 'per-shard capacity model (--no-capacity: answer at once)' })
        .option('cross-shard-us', value({ type: 'string', describe: 'shard time charged for a cross-shard hop (µs)' }))
        .option('read-us', value({ type: 'string', describe: 'shard time of a point read (µs)' }))
        .option('write-us', value({ type: 'string', describe: 'shard time of a write (µs)' }))
        .option('latency', { type: 'string', array: true, describe: 'extra reply latency, <kind>=<ms> or <kind>=lognormal:p50=<ms>,p99=<ms> (kind: all, read, write, scan, batch, …)' })
        .option('stall', { type: 'string', array: true, describe: 'stall a shard, node:shard:durationMs[:periodMs] (node from 0)' })
        .option('error', { type: 'string', array: true, describe: 'inject errors, <code>@<rate> (e.g. 0x1001@0.01 for Overloaded)' })
        .option('corrupt', value({ type: 'string', describe: 'serve a flipped cell in a fraction of reads, <rate>[@[ks.]table[:column]] (e.g. 0.05@sb_kv.users:email)' }))
        .option('lose-writes', value({ type: 'string', describe: 'the acknowledging replica drops this fraction of writes at CL ONE/LOCAL_ONE/ANY (0..1)' }))
        .option('large-partition-mb', value({ type: 'string', describe: 'record partitions above this size in system.large_partitions (Scylla: 1000)' }))
        .option('large-rows-count', value({ type: 'string', describe: 'record partitions with more rows (Scylla: 100000)' }))
        .option('flush-interval', value({ type: 'string', describe: 'how often nodes flush and record large data, a duration (default 5s; 0s: never)' }))
        .option('view-delay-ms', value({ type: 'string', describe: 'asynchronous view updates land this long after the base write (ms, default 2; 0 with --view-delay-per-pending-ms 0: with the base write)' }))
        .option('view-delay-per-pending-ms', value({ type: 'string', describe: 'plus this much per view update already pending on the base replica shard (ms, default 0.01)' })),
      async (a) => {
        const host = textFlag('--host', a.host, 'a loopback address 127.x.y.z')!;
        if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || host.split('.').some((o) => Number(o) > 255)) {
          throw new FlagError('--host', `the emulator listens on loopback (127.x.y.z) only, got ${quoted(host)}`);
        }
        exitCode = await (await import('./sim.js')).simCommand({
          nodes: wholeFlag('--nodes', a.nodes, 1, 64)!, shards: wholeFlag('--shards', a.shards, 1, 256)!, host,
          port: wholeFlag('--port', a.port, 1, 65535, 'a port')!, shardAwarePort: wholeFlag('--shard-aware-port', a.shardAwarePort, 1, 65535, 'a port')!,
          metricsPort: wholeFlag('--metrics-port', a.metricsPort, 1, 65535, 'a port'),
          nodeMetricsPort: wholeFlag('--node-metrics-port', a.nodeMetricsPort, 1, 65535, 'a port'),
          auth: a.auth, tablets: a.tablets, capacity: a.capacity,
          crossShardUs: numberFlag('--cross-shard-us', a.crossShardUs, 'microseconds'), readUs: numberFlag('--read-us', a.readUs, 'microseconds'),
          writeUs: numberFlag('--write-us', a.writeUs, 'microseconds'),
          latency: listFlag('--latency', a.latency), stall: listFlag('--stall', a.stall), error: listFlag('--error', a.error),
          corrupt: single('--corrupt', a.corrupt), loseWrites: single('--lose-writes', a.loseWrites),
          largePartitionMb: numberFlag('--large-partition-mb', a.largePartitionMb, 'megabytes'),
          largeRowsCount: wholeFlag('--large-rows-count', a.largeRowsCount, 1),
          flushIntervalMs: durationFlagMs('--flush-interval', a.flushInterval),
          viewDelayMs: numberFlag('--view-delay-ms', a.viewDelayMs, 'milliseconds'),
          viewDelayPerPendingMs: numberFlag('--view-delay-per-pending-ms', a.viewDelayPerPendingMs, 'milliseconds'),
        });
      },
    )
    .command(
      'compare <baseline> <candidate>',
      'compare two results per class × op: figures, change with its 99% interval, significance',
      (y) => y
        .positional('baseline', { type: 'string', demandOption: true, describe: 'a result directory (or its result.json)' })
        .positional('candidate', { type: 'string', demandOption: true, describe: 'a result directory (or its result.json)' })
        .option('json', { type: 'boolean', default: false, describe: 'print the comparison as JSON on stdout' })
        .option('service-time', { type: 'boolean', default: false, describe: 'compare service time (send → reply) instead of response time' }),
      async (a) => {
        exitCode = (await import('./compare.js')).compareCommand({ baseline: a.baseline as string, candidate: a.candidate as string, json: a.json, serviceTime: a.serviceTime });
      },
    )
    .command(
      'gate <candidate>',
      'judge a result against a baseline: exit 0 pass, 1 regression (beyond tolerance and significant), 2 bad input',
      (y) => y
        .positional('candidate', { type: 'string', demandOption: true, describe: 'the result directory to judge' })
        .option('baseline', { type: 'string', demandOption: true, describe: 'the baseline result directory' })
        .option('rules', { type: 'string', describe: "gate rules (YAML; default: the profile's gate: section, else p99 +10%, throughput -5%)" })
        .option('junit', { type: 'string', describe: 'write JUnit XML here (one testcase per rule per class.op)' })
        .option('markdown', { type: 'string', describe: 'write a markdown summary here (also appended to $GITHUB_STEP_SUMMARY when set)' })
        .option('force', { type: 'boolean', default: false, describe: 'gate runs of different profiles, or runs that were stopped' })
        .option('service-time', { type: 'boolean', default: false, describe: 'judge service time instead of response time' })
        .option('json', { type: 'boolean', default: false, describe: 'print the verdicts as JSON on stdout' }),
      async (a) => {
        exitCode = (await import('./gate.js')).gateCommand({
          candidate: a.candidate as string, baseline: a.baseline, rules: a.rules, junit: a.junit, markdown: a.markdown,
          force: a.force, serviceTime: a.serviceTime, json: a.json,
        });
      },
    )
    .command(
      'merge <results..>',
      'merge the results of n loaders (run --segment i/n) into one result, exactly: histograms added per second and per phase, counts summed',
      (y) => y
        .positional('results', { type: 'string', array: true, demandOption: true, describe: 'result directories (or result.json files), one per segment' })
        .option('out', { alias: 'o', type: 'string', demandOption: true, requiresArg: true, describe: 'the directory to write the merged result to' })
        .option('partial', { type: 'boolean', default: false, describe: 'merge even when segments are missing (they are named in the result)' })
        .option('json', { type: 'boolean', default: false, describe: 'print the merged summary as JSON on stdout' }),
      async (a) => {
        exitCode = (await import('./merge.js')).mergeCommand({ inputs: a.results as string[], out: textFlag('--out', a.out, 'a directory')!, partial: a.partial, json: a.json });
      },
    )
    .command(
      'report [inputs..]',
      'render results (result dirs, result.json, capacity.json, ab.json) as one self-contained HTML page',
      (y) => y
        .positional('inputs', { type: 'string', array: true, describe: 'result directories or files (result.json, capacity.json, ab.json), one section each' })
        .option('out', { alias: 'o', type: 'string', default: 'report.html', describe: 'the HTML file to write' })
        .option('baseline', { type: 'string', describe: 'a run to compare every run input with (as `compare`), both overlaid' })
        .option('history', value({ type: 'string', describe: 'a directory holding capacity-history.jsonl (capacity --history) and/or run results: capacity at the SLO and p99 at a fixed rate over nights, regressions flagged' })),
      async (a) => {
        exitCode = (await import('./report.js')).reportCommand({ inputs: (a.inputs as string[] | undefined) ?? [], out: a.out, baseline: a.baseline, history: textFlag('--history', a.history, 'a directory') }, toolVersion());
      },
    )
    .command(
      'capacity <profile>',
      'the max ops/s a class sustains at its SLO: open-loop steps up until it breaks, then bisection; --history flags a night that regressed',
      (y) => y
        .positional('profile', { type: 'string', demandOption: true })
        .option('class', value({ type: 'string', describe: "the class to sweep (default: the measure phase's first open-loop class); the others keep their rates" }))
        .option('slo', value({ type: 'string', describe: "the SLO, e.g. p99<=10ms (default: the class's slo in the profile)" }))
        .option('max-error-ratio', value({ type: 'string', describe: "a step with more errors fails (default: the class's max_error_ratio, else 1%)" }))
        .option('start', value({ type: 'string', describe: "first rate, e.g. 1000 or 2k/s (default: the class's rate, else 1000/s)" }))
        .option('factor', value({ type: 'string', default: '2', describe: 'climb factor between steps' }))
        .option('precision', value({ type: 'string', default: '5%', describe: 'bisect until the bracket is this narrow' }))
        .option('max-steps', value({ type: 'string', default: '20', describe: 'step budget' }))
        .option('warmup', value({ type: 'string', describe: "warmup per step (default: the profile's warmup, else 5s)" }))
        .option('duration', value({ type: 'string', describe: "measure per step (default: the profile's measure, else 20s)" }))
        .option('history', value({ type: 'string', describe: 'a directory of nightly results: appends this night and flags a regression (exit 1)' }))
        .option('target', value({ type: 'string', describe: "host[:port],... or 'sim'" }))
        .option('workers', value({ type: 'string', describe: 'worker threads (at most 4 per core unless --max-workers)' }))
        .option('max-workers', value({ type: 'string', describe: 'allow more worker threads than 4 per core' }))
        .option('seed', value({ type: 'string' }))
        .option('prometheus', value({ type: 'string', describe: "serve the loader's Prometheus /metrics on [host:]port while running" }))
        .option('out', value({ type: 'string', default: 'results' }))
        .option('json', { type: 'boolean', default: false, describe: 'print capacity.json on stdout' }),
      async (a) => {
        const target = single('--target', a.target);
        if (target !== undefined) parseTargetFlag(target);
        const ratio = (flag: string, raw: unknown): number | undefined => {
          const v = single(flag, raw);
          return v === undefined ? undefined : forFlag(flag, parseRatio(v));
        };
        const factor = Number(single('--factor', a.factor));
        if (!(factor > 1) || !Number.isFinite(factor)) throw new FlagError('--factor', `expected a number above 1, got ${quoted(String(a.factor))}`);
        exitCode = await (await import('./capacity.js')).capacityCommand({
          profile: profileArg(a.profile), className: textFlag('--class', a.class, 'a class name'), slo: single('--slo', a.slo),
          maxErrorRatio: ratio('--max-error-ratio', a.maxErrorRatio), startOpsPerSec: rateFlag('--start', a.start), factor,
          precision: ratio('--precision', a.precision)!, maxSteps: wholeFlag('--max-steps', a.maxSteps, 1, 1000)!,
          warmupMs: durationFlagMs('--warmup', a.warmup), measureMs: durationFlagMs('--duration', a.duration),
          history: textFlag('--history', a.history, 'a directory'), target, ...workersFlags(a), seed: wholeFlag('--seed', a.seed, 0),
          out: outFlag(a.out), json: a.json, prometheus: single('--prometheus', a.prometheus),
        }, toolVersion());
      },
    )
    .command(
      'doctor',
      "check a live cluster against ScyllaDB's production checklist and red lines: exit 0 all pass, 1 a check failed, 2 bad input or unreachable",
      (y) => y
        .option('target', value({ type: 'string', demandOption: true, describe: 'host[:port],... of the cluster (contact points)' }))
        .option('profile', value({ type: 'string', describe: "profiles/*.yaml: judge compaction, service levels and consistency against its op mix" }))
        .option('scylla-metrics', { type: 'string', array: true, requiresArg: true, describe: "Scylla Prometheus endpoints (default: each node's :9180/metrics)" })
        .option('result', value({ type: 'string', describe: "a result directory: its per-(node, shard) counts and measured op mix" }))
        .option('metrics-window', value({ type: 'string', default: '5s', describe: 'time between the two metric scrapes, a duration with a unit' }))
        .option('connect-timeout', value({ type: 'string', default: '5s', describe: 'connect timeout, a duration with a unit' }))
        .option('json', { type: 'boolean', default: false, describe: 'print the findings as JSON on stdout' })
        .option('tls', { type: 'boolean', describe: 'use TLS (system CAs unless --tls-ca)' })
        .option('tls-ca', value({ type: 'string', describe: 'CA bundle (PEM file)' }))
        .option('tls-cert', value({ type: 'string', describe: 'client certificate (PEM file)' }))
        .option('tls-key', value({ type: 'string', describe: 'client key (PEM file)' }))
        .epilog('Credentials: SCYLLA_BENCH_USERNAME and SCYLLA_BENCH_PASSWORD (or SCYLLA_BENCH_PASSWORD_FILE). Checks: docs/doctor.md.'),
      async (a) => {
        const { doctorCommand, metricsUrlsFlag } = await import('./doctor.js');
        exitCode = await doctorCommand({
          contacts: parseTargets(single('--target', a.target) ?? '', 9042, '--target'),
          profile: textFlag('--profile', a.profile, 'a profile file'),
          metricsUrls: metricsUrlsFlag(listFlag('--scylla-metrics', a.scyllaMetrics)),
          result: textFlag('--result', a.result, 'a result directory'),
          metricsWindowMs: durationFlagMs('--metrics-window', a.metricsWindow)!,
          connectTimeoutMs: durationFlagMs('--connect-timeout', a.connectTimeout)!,
          json: a.json, tls: a.tls, tlsCa: textFlag('--tls-ca', a.tlsCa, 'a PEM file'),
          tlsCert: textFlag('--tls-cert', a.tlsCert, 'a PEM file'), tlsKey: textFlag('--tls-key', a.tlsKey, 'a PEM file'),
        });
      },
    )
    .fail((msg, err) => {
      // yargs validation failures (unknown flag, missing value) are bad input; ours pass through
      if (err && !/^Not enough arguments following: /.test(err.message)) throw err;
      throw yargsFailure(msg ?? err?.message ?? 'bad arguments', argv);
    })
    .help()
    .wrap(Math.min(100, process.stdout.columns || 100));

  try {
    await parser.parseAsync();
  } catch (e) {
    exitCode = reportError(e);
  }
  return exitCode;
}

function profileArg(raw: unknown): string {
  const s = single('<profile>', raw);
  if (s === undefined || s.trim() === '') throw new UserError('<profile>: name a profile file, e.g. profiles/quickstart.yaml');
  return s;
}

/** yargs' own messages as one line naming the flag. */
function yargsFailure(msg: string, argv: string[]): Error {
  const missing = /^Not enough arguments following: (.+)$/.exec(msg);
  if (missing) {
    const flag = `--${missing[1]}`;
    const i = argv.findIndex((x) => x === flag || x === `-${missing[1]}`);
    const next = i >= 0 ? argv[i + 1] : undefined;
    return new FlagError(flag, `needs a value${next !== undefined ? `, got the flag ${quoted(next)}` : ''}`);
  }
  if (/^Not enough non-option arguments/.test(msg)) return new UserError(`name a profile file, e.g. ${argv[0] ?? 'run'} profiles/quickstart.yaml`);
  const unknown = /^Unknown arguments?: (.+)$/.exec(msg);
  if (unknown) return new UserError(`unknown argument${unknown[1].includes(',') ? 's' : ''} ${unknown[1].split(', ').map((x) => quoted(x)).join(', ')}; see --help`);
  return new UserError(msg.replace(/\s*\n\s*/g, '; '));
}

/** One line on stderr for any error that ends a command; returns the exit code. */
function reportError(e: unknown): number {
  const code = exitCodeOf(e);
  if (code !== undefined) {
    process.stderr.write(`scylla-bench: ${oneLine(e instanceof CqlError ? describeError(e) : (e as Error).message)}\n`);
    return code;
  }
  // A bug: still one line for the user, the stack only on request.
  process.stderr.write(`scylla-bench: internal error: ${oneLine(e instanceof Error ? e.message : String(e))}${process.env.SCYLLA_BENCH_DEBUG ? `\n${(e as Error).stack}` : ' (set SCYLLA_BENCH_DEBUG=1 for details)'}\n`);
  return ExitCode.CHECKS_FAILED;
}

/** Whatever reached here came from a file, a flag or a server: no control bytes reach the terminal. */
function oneLine(s: string): string {
  return printable(s.replace(/\s*\n\s*/g, ' '));
}
