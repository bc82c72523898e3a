/**
 * The command line: yargs wiring only. Each command parses its flags into an options object
 * and calls into the library; errors meant for the user (UserError) become one line on stderr
 * and exit code 2, never a stack trace.
 */
import yargs from 'yargs';
import { readFileSync } from 'node:fs';
import { CqlError, describeError } from '../cql/errors.js';
import { ExitCode, UserError } from './exit.js';
import { credentialsFromEnv, tlsFromFlags } from './credentials.js';
import { formatProbe, probe } from './probe.js';
import { parseTargets } from './target.js';
import { runCommand } from './run.js';
import { abCommand } from './ab.js';
import { simCommand } from './sim.js';
import { compareCommand } from './compare.js';
import { gateCommand } from './gate.js';

export function toolVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Runs the CLI; resolves to the exit code (the launcher sets process.exitCode). */
export async function main(argv: string[]): Promise<number> {
  let exitCode: number = ExitCode.OK;
  const parser = yargs(argv)
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
        .option('target', { type: 'string', demandOption: true, describe: 'host[:port] of one node' })
        .option('json', { type: 'boolean', default: false, describe: 'print JSON on stdout' })
        .option('tls', { type: 'boolean', describe: 'use TLS (system CAs unless --tls-ca)' })
        .option('tls-ca', { type: 'string', describe: 'CA bundle (PEM file)' })
        .option('tls-cert', { type: 'string', describe: 'client certificate (PEM file)' })
        .option('tls-key', { type: 'string', describe: 'client key (PEM file)' })
        .option('connect-timeout', { type: 'number', default: 5000, describe: 'connect timeout in ms' })
        .epilog('Credentials: SCYLLA_BENCH_USERNAME and SCYLLA_BENCH_PASSWORD (or SCYLLA_BENCH_PASSWORD_FILE).'),
      async (a) => {
        const [ep] = parseTargets(a.target, 9042, '--target');
        const report = await probe(ep, {
          credentials: credentialsFromEnv(),
          tls: tlsFromFlags({ tls: a.tls, tlsCa: a.tlsCa, tlsCert: a.tlsCert, tlsKey: a.tlsKey }),
          connectTimeoutMs: a.connectTimeout,
        });
        process.stdout.write(a.json ? `${JSON.stringify(report)}\n` : `${formatProbe(report)}\n`);
      },
    )
    .command(
      'run <profile>',
      'run a profile: schema, load, warmup and measure phases; results in results/<run-id>/',
      (y) => y
        .positional('profile', { type: 'string', demandOption: true, describe: 'profiles/*.yaml' })
        .option('target', { type: 'string', describe: "host[:port],... or 'sim' / 'sim:127.x.y.z' (the built-in emulator; also the default when the profile names no hosts)" })
        .option('routing', { choices: ['shard-aware', 'token-aware', 'round-robin', 'driver'] as const, describe: "routing for every class ('driver': the stock cassandra-driver, token-aware)" })
        .option('duration', { type: 'string', describe: 'length of measure phases (e.g. 30s)' })
        .option('rate', { type: 'number', describe: 'ops/s for open-loop classes (overrides the profile)' })
        .option('workers', { type: 'number', describe: 'worker threads (default: one per core)' })
        .option('pin', { type: 'boolean', describe: 'pin each worker thread to a core (Linux)' })
        .option('seed', { type: 'number', describe: 'seed for generators and op picks' })
        .option('out', { type: 'string', default: 'results', describe: 'results directory' })
        .option('json', { type: 'boolean', default: false, describe: 'print the summary as JSON on stdout' })
        .option('strict', { type: 'boolean', default: false, describe: 'stop when the cluster cannot apply the service levels' })
        .option('teardown', { type: 'boolean', default: false, describe: 'drop the service levels and roles the run created' }),
      async (a) => {
        if (a.rate !== undefined && !(a.rate > 0)) throw new UserError('--rate: must be a positive number of ops/s');
        if (a.workers !== undefined && !(Number.isInteger(a.workers) && a.workers > 0)) throw new UserError('--workers: must be a positive integer');
        if (a.target && a.target !== 'sim' && !a.target.startsWith('sim:')) parseTargets(a.target, 9042, '--target');
        exitCode = await runCommand({
          profile: a.profile as string, target: a.target, routing: a.routing, duration: a.duration, rate: a.rate,
          workers: a.workers, pin: a.pin, seed: a.seed, out: a.out, json: a.json, strict: a.strict, teardown: a.teardown,
        }, toolVersion());
      },
    )
    .command(
      'ab <profile>',
      'A/B the same workload across routing modes in interleaved rounds; report the shard-aware gain with its 95% interval',
      (y) => y
        .positional('profile', { type: 'string', demandOption: true })
        .option('vary', { type: 'string', default: 'routing', describe: "what differs between variants: 'routing' (see --modes) or 'service-levels' (variants on and off)" })
        .option('modes', { type: 'string', default: 'shard-aware,token-aware', describe: 'variants for --vary routing' })
        .option('rounds', { type: 'number', default: 3, describe: 'rounds (A B A B ...)' })
        .option('duration', { type: 'string', describe: 'measure phase length per variant run' })
        .option('target', { type: 'string', describe: "host[:port],... or 'sim'" })
        .option('workers', { type: 'number' })
        .option('seed', { type: 'number' })
        .option('out', { type: 'string', default: 'results' })
        .option('json', { type: 'boolean', default: false }),
      async (a) => {
        exitCode = await abCommand({
          profile: a.profile as string, vary: a.vary, modes: a.modes, rounds: a.rounds, duration: a.duration,
          target: a.target, workers: a.workers, seed: a.seed, out: a.out, json: a.json,
        }, toolVersion());
      },
    )
    .command(
      'sim',
      'run the built-in Scylla emulator (N nodes × S shards on 127.0.0.x) until Ctrl-C',
      (y) => y
        .option('nodes', { type: 'number', default: 3 })
        .option('shards', { type: 'number', default: 4 })
        .option('host', { type: 'string', default: '127.0.0.1', describe: 'address of node 1; node i is +i-1 in the last octet' })
        .option('port', { type: 'number', default: 9042 })
        .option('shard-aware-port', { type: 'number', default: 19042 })
        .option('metrics-port', { type: 'number', describe: 'serve Prometheus /metrics and the admin API here' })
        .option('auth', { type: 'boolean', default: false, describe: 'PasswordAuthenticator (superuser cassandra/cassandra)' })
        .option('tablets', { type: 'boolean', default: false, describe: 'new NetworkTopologyStrategy keyspaces use tablets' })
        .option('capacity', { type: 'boolean', default: true, describe: 'per-shard capacity model (--no-capacity: answer at once)' })
        .option('cross-shard-us', { type: 'number', describe: 'shard time charged for a cross-shard hop (µs)' })
        .option('read-us', { type: 'number', describe: 'shard time of a point read (µs)' })
        .option('write-us', { type: 'number', describe: 'shard time of a write (µs)' })
        .option('latency', { type: 'string', array: true, describe: 'extra reply latency, <kind>=<ms> (kind: all, read, write, scan, batch, …)' })
        .option('stall', { type: 'string', array: true, describe: 'stall a shard, node:shard:durationMs[:periodMs] (node from 0)' })
        .option('error', { type: 'string', array: true, describe: 'inject errors, <code>@<rate> (e.g. 0x1001@0.01 for Overloaded)' }),
      async (a) => {
        exitCode = await simCommand({
          nodes: a.nodes, shards: a.shards, host: a.host, port: a.port, shardAwarePort: a.shardAwarePort, metricsPort: a.metricsPort,
          auth: a.auth, tablets: a.tablets, capacity: a.capacity, crossShardUs: a.crossShardUs, readUs: a.readUs, writeUs: a.writeUs,
          latency: a.latency, stall: a.stall, error: a.error,
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
      (a) => {
        exitCode = compareCommand({ baseline: a.baseline as string, candidate: a.candidate as string, json: a.json, serviceTime: a.serviceTime });
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
      (a) => {
        exitCode = gateCommand({
          candidate: a.candidate as string, baseline: a.baseline, rules: a.rules, junit: a.junit, markdown: a.markdown,
          force: a.force, serviceTime: a.serviceTime, json: a.json,
        });
      },
    )
    .fail((msg, err) => {
      // yargs validation failures (unknown flag, missing option) are bad input
      throw err ?? new UserError(msg);
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

function reportError(e: unknown): number {
  if (e instanceof UserError) {
    process.stderr.write(`scylla-bench: ${e.message}\n`);
    return e.exitCode;
  }
  if (e instanceof CqlError) {
    process.stderr.write(`scylla-bench: ${describeError(e)}\n`);
    return ExitCode.BAD_INPUT;
  }
  // A bug: still one line for the user, the stack only on request.
  process.stderr.write(`scylla-bench: internal error: ${e instanceof Error ? e.message : String(e)}${process.env.SCYLLA_BENCH_DEBUG ? `\n${(e as Error).stack}` : ' (set SCYLLA_BENCH_DEBUG=1 for details)'}\n`);
  return ExitCode.CHECKS_FAILED;
}
