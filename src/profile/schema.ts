/**
 * zod schemas of the two file formats, as written in YAML (snake_case keys). They check
 * shape, types and ranges, and turn quantities with units into numbers; cross-references
 * (ops, workloads, service levels, CQL columns) are checked afterwards by the loaders,
 * which know the files. The same schemas produce docs/schemas/*.schema.json.
 *
 * Every message is written for a person reading one line: unknown keys say "did you
 * mean", wrong types say what was expected and what was found.
 */
import { z } from 'zod';
import { gateRulesSchema } from './gate-rules.js';
import { suggestion, quoted } from './errors.js';
import { flowHint, parseDistribution, type DistUnits } from './spec.js';
import type { PathKey, YamlSource } from './source.js';
import { describe, parseCount, parseDurationMs, parseRateOpsPerSec, parseRatio, type Parsed } from './units.js';
import type { Distribution } from './types.js';

/** Marks the issue of a required key that is absent (reported at the parent map). */
const MISSING = '\u0000missing';

import { ROUTING } from './routing.js';
const CONSISTENCY = ['ANY', 'ONE', 'TWO', 'THREE', 'QUORUM', 'ALL', 'LOCAL_QUORUM', 'EACH_QUORUM', 'SERIAL', 'LOCAL_SERIAL', 'LOCAL_ONE'] as const;
const PHASE_KINDS = ['schema', 'load', 'warmup', 'measure'] as const;

/** A strict map: unknown keys are errors with a suggestion from the known ones. */
function strict<S extends z.ZodRawShape>(what: string, shape: S, description?: string, typeMessage?: (input: unknown) => string) {
  const known = Object.keys(shape);
  const s = z.strictObject(shape, {
    error: (iss) => {
      if (iss.code === 'unrecognized_keys') {
        const key = (iss as { keys: string[] }).keys[0];
        return `unknown key ${quoted(key)} in ${what}; ${flowHint(key) ?? suggestion(key, known, 'one of')}`;
      }
      if (iss.code === 'invalid_type') {
        if (iss.input === undefined) return MISSING;
        return typeMessage ? typeMessage(iss.input) : `expected a map (${what}), got ${describe(iss.input)}`;
      }
      return undefined;
    },
  });
  return description ? s.meta({ description }) : s;
}

function record<V extends z.ZodType>(what: string, value: V, description?: string) {
  const s = z.record(z.string(), value, {
    error: (iss) => (iss.code === 'invalid_type' ? (iss.input === undefined ? MISSING : `expected a map (${what}), got ${describe(iss.input)}`) : undefined),
  });
  return description ? s.meta({ description }) : s;
}

function list<V extends z.ZodType>(what: string, value: V) {
  return z.array(value, {
    error: (iss) => (iss.code === 'invalid_type' ? (iss.input === undefined ? MISSING : `expected a list (${what}), got ${describe(iss.input)}`) : undefined),
  });
}

const typeError = (expected: string) => (iss: { code: string; input?: unknown }) =>
  iss.input === undefined ? MISSING : `expected ${expected}, got ${describe(iss.input)}`;

const str = (description?: string) => {
  const s = z.string({ error: typeError('a string') });
  return description ? s.meta({ description }) : s;
};
const bool = (description?: string) => {
  const s = z.boolean({ error: typeError('true or false') });
  return description ? s.meta({ description }) : s;
};

/** A whole number in [min, max]. */
function int(min: number, max: number, description?: string) {
  const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `${min}..${max}`;
  return z.number({ error: typeError(`a whole number ${range}`) })
    .int({ error: (iss) => `expected a whole number ${range}, got ${describe(iss.input)}` })
    .min(min, { error: (iss) => (min === 0 || (min === 1 && Number(iss.input) <= 0) ? `must not be ${Number(iss.input) < 0 ? 'negative' : '0'} (got ${iss.input}; expected ${range})` : `must be ${range} (got ${iss.input})`) })
    .max(max, { error: (iss) => `must be ${range} (got ${iss.input})` })
    .meta(description ? { description } : {});
}

function oneOf<const T extends readonly [string, ...string[]]>(what: string, values: T, description?: string) {
  return z.enum(values, {
    error: (iss) => {
      if (iss.input === undefined) return MISSING;
      if (typeof iss.input !== 'string') return `expected ${what} (${values.join(', ')}), got ${describe(iss.input)}`;
      return `unknown ${what} ${quoted(iss.input)}; ${suggestion(iss.input, values, 'one of')}`;
    },
  }).meta(description ? { description } : {});
}

/** A value parsed by one of the unit parsers; `jsonType` documents the accepted input. */
function leaf<T>(parse: (v: unknown) => Parsed<T>, meta: { type: string | string[]; description: string; pattern?: string }) {
  return z.any().transform((v, ctx): T => {
    if (v === undefined) {
      ctx.issues.push({ code: 'custom', message: MISSING, input: v });
      return z.NEVER;
    }
    const r = parse(v);
    if (!r.ok) {
      ctx.issues.push({ code: 'custom', message: r.message, input: v });
      return z.NEVER;
    }
    return r.value;
  }).meta(meta);
}

const duration = (description: string) => leaf(parseDurationMs, {
  type: ['string', 'number'], description: `${description}. A duration with a unit: '500ms', '30s', '2m', '1h30m' (0 alone needs none)`,
  pattern: '^\\s*((\\d+(\\.\\d+)?|\\.\\d+)\\s*(ns|us|µs|ms|min|s|m|h|d)\\s*)+$',
});
const rate = leaf(parseRateOpsPerSec, {
  type: ['number', 'string'], description: "Open loop: target operations per second across all workers: 1000, '1000/s', '2k/s', '600/min'",
});
const count = (description: string, min = 0) => leaf((v) => parseCount(v, min), { type: ['integer', 'string'], description: `${description}: 1000, '100k', '1M'` });
const ratio = leaf(parseRatio, { type: ['number', 'string'], description: "A ratio in [0, 1]: 0.001 or '0.1%'" });

/** A distribution in `units` (see spec.ts); nested issues keep their sub-path. */
function dist(units: DistUnits, description: string, zipfDefaultN?: number) {
  return z.any().transform((v, ctx): Distribution => {
    if (v === undefined) {
      ctx.issues.push({ code: 'custom', message: MISSING, input: v });
      return z.NEVER;
    }
    const r = parseDistribution(v, units, zipfDefaultN);
    if (!r.ok) {
      ctx.issues.push({ code: 'custom', message: r.message, input: v, path: r.path ?? [], params: { at: r.which ?? 'value' } });
      return z.NEVER;
    }
    return r.value;
  }).meta({
    type: ['number', 'string', 'object'],
    description: `${description}. A number (fixed), a call like uniform(1, 100), gaussian(50, 10), zipf(1000, 1.1), exponential(20), sequence(0, 999), or a map {dist: uniform, min: 1, max: 100}`,
  });
}

// ---------------------------------------------------------------- workload

const operationSchema = strict('an operation', {
  cql: str('CQL with ? markers; each marker binds the column it is compared with or inserted into, or a token(...) range bound'),
  kind: oneOf('operation kind', ['read', 'write', 'scan'] as const, 'read/write/scan; inferred from the CQL when absent (SELECT with token(...) > ? is a scan)').optional(),
  consistency: oneOf('consistency', CONSISTENCY, 'Consistency level (default LOCAL_QUORUM)').optional(),
  serial_consistency: oneOf('serial consistency', ['SERIAL', 'LOCAL_SERIAL'] as const, 'For conditional (IF) statements').optional(),
  page_size: int(1, 1_000_000, 'Rows per page for reads and scans').optional(),
  batch: int(1, 65_535, 'Write a batch of this many rows of one partition per operation').optional(),
  batch_type: oneOf('batch type', ['logged', 'unlogged'] as const, 'Default unlogged (one partition needs no batchlog)').optional(),
  idempotent: bool('May the driver retry it safely? Default: true for reads and scans, false for writes').optional(),
  scan_ranges: int(1, 1_000_000, 'Scans: number of token ranges the ring is split into; cycle i scans range i mod N (default 64)').optional(),
  select: z.any().optional().meta({ type: 'string', description: "Reads: how rows are chosen: 'uniform' (default) or 'zipf(s)' for hot partitions" }),
}, 'A named operation');

const tableSchema = strict('a table', {
  partitions: count('Number of distinct partitions the workload addresses', 1),
  rows_per_partition: dist('rows', 'Rows in each partition (sampled per partition; decides partition size)').optional(),
}, 'Key space of one table');

export const workloadSchema = strict('the workload', {
  name: str('Name used in results (default: the file name without extension)').optional(),
  description: str().optional(),
  keyspace: str('Keyspace the schema creates and the operations use'),
  schema: z.any().meta({ type: ['array', 'string'], description: "CQL DDL (CREATE KEYSPACE / TYPE / TABLE / MATERIALIZED VIEW ...): a list of statements, or one block string; either is split on ';'" }),
  tables: record('tables', tableSchema, 'Per table: partitions and rows per partition'),
  columns: record('columns', record('columns of a table', z.any().meta({ description: 'A generator' })), 'Per table, per column: how values are generated (unlisted columns get defaults)').optional(),
  operations: record('operations', operationSchema, 'Named operations the profiles mix'),
}, 'A scylla-bench workload: data model and operations');

// ---------------------------------------------------------------- profile

const sloSchema = strict('slo', {
  p50: duration('Median latency limit').optional(),
  p99: duration('p99 latency limit').optional(),
  p999: duration('p99.9 latency limit').optional(),
  max: duration('Maximum latency limit').optional(),
  max_error_ratio: ratio.optional(),
}, 'Service level objectives checked by gate and capacity');

const cdcConsumerSchema = strict('cdc', {
  table: str('The base table (with cdc enabled) whose <table>_scylla_cdc_log the consumer follows'),
  confidence_window: duration("Minimal age of a change before it is read (scylla-cdc-go's ConfidenceWindowSize, default 30s)").optional(),
  query_window: duration('Width of one query\'s cdc$time window (QueryTimeWindowSize, default 30s)').optional(),
  post_nonempty_query_delay: duration('Sleep after a window that returned changes (PostNonEmptyQueryDelay, default 10s)').optional(),
  post_empty_query_delay: duration('Sleep after a window that returned none (PostEmptyQueryDelay, default 30s)').optional(),
  post_failed_query_delay: duration('First back-off after a failed query, doubling (PostFailedQueryDelay, default 1s)').optional(),
  max_post_failed_query_delay: duration('Back-off limit (MaxPostFailedQueryDelay, default 30s)').optional(),
  post_generation_fetch_delay: duration('Poll for new generations (PostGenerationFetchDelay, default 15s)').optional(),
  max_post_generation_fetch_delay: duration('Generation poll back-off limit (MaxPostGenerationFetchDelay, default 5m)').optional(),
  drain: duration('After the writers stop, read on at most this long to catch up (default confidence_window + post_empty_query_delay + 5s)').optional(),
  consistency: oneOf('consistency', CONSISTENCY, 'Consistency of the log queries (default ONE, as scylla-cdc-go)').optional(),
  page_size: int(1, 1_000_000, 'Rows per page of a log query (default 5000)').optional(),
}, 'kind: cdc: how the consumer follows the log (scylla-cdc-go\'s reader; defaults are its own)');

export const classSchema = strict('a class', {
  kind: oneOf('class kind', ['cdc'] as const, "Absent: a load class (mix at a rate or concurrency); 'cdc': a consumer following a table's CDC log (needs cdc:)").optional(),
  cdc: cdcConsumerSchema.optional(),
  workload: str('Workload file, relative to this profile'),
  mix: z.any().optional().meta({ type: ['object', 'string', 'array'], description: 'Operation weights {op: weight}, or one op name, or a list of op names (equal weights); required except for kind: cdc' }),
  rate: rate.optional(),
  concurrency: int(1, 1_000_000, 'Closed loop: requests kept in flight across all workers').optional(),
  max_in_flight: int(1, 1_000_000, 'Cap on requests in flight for an open-loop class (default 1024, or the concurrency)').optional(),
  service_level: str('A service level declared in service_levels').optional(),
  routing: oneOf('routing', ROUTING, 'Overrides the profile routing for this class').optional(),
  slo: sloSchema.optional(),
  view_lag: strict('view_lag', {
    sample: ratio.optional().meta({ description: "Fraction of the class's writes to a table with views whose view rows are polled (default 0.01)" }),
    poll: duration('Time between two polls of the view for one row (default 2ms)').optional(),
    timeout: duration('A row not visible in the view by then counts as a view-lag timeout (default 10s)').optional(),
    consistency: oneOf('consistency', CONSISTENCY, 'Consistency level of the polls (default LOCAL_ONE)').optional(),
    views: list('views', z.string({ error: typeError('a view name') })).optional().meta({ description: 'Only these views of the written tables (default: all)' }),
  }, "Measure view lag: after a sampled write is acknowledged, poll each view of its table by the row's view key until the row is there; `view-lag` (ack → visible) is recorded as an op of the class").optional(),
  validate: bool('Check every row the reads return against the generators (mismatch/missing counts; run --validate sets it on every class)').optional(),
}, 'A class of traffic: a workload mix at a rate (open loop) or a concurrency (closed loop)');

const phaseObject = strict('a phase', {
  name: str('Phase name (default: its kind)').optional(),
  kind: oneOf('phase kind', PHASE_KINDS, 'schema: create the schema; load: run a count of operations; warmup/measure: run for a duration').optional(),
  duration: duration('How long a warmup or measure phase runs').optional(),
  count: z.any().optional().meta({ type: ['integer', 'string'], description: "Load phases: total operations ('1M'), or 'all' to write every row of the table once" }),
  classes: z.any().optional().meta({ type: ['array', 'object'], description: 'Names of top-level classes, or inline classes (name → class). Default: every top-level class' }),
}, 'One step of the run', (input) => (typeof input === 'string'
  ? `unknown phase ${quoted(input)}; ${suggestion(input, PHASE_KINDS, 'one of')} (or a map with kind:)`
  : `expected a phase (a map with kind:, or the word 'schema'), got ${describe(input)}`));

/** `- schema` is short for `- {kind: schema}`. */
const phaseSchema = z.preprocess((v) => (typeof v === 'string' && (PHASE_KINDS as readonly string[]).includes(v) ? { kind: v } : v), phaseObject);

export const profileSchema = strict('the profile', {
  name: str('Run name (default: the file name)').optional(),
  description: str().optional(),
  target: strict('target', {
    hosts: z.preprocess((v) => (typeof v === 'string' ? v.split(',').map((h) => h.trim()).filter((h) => h !== '') : v),
      list('hosts', z.string({ error: typeError("a host like '10.0.0.1' or '10.0.0.1:9042'") })))
      .optional().meta({ type: ['array', 'string'], description: "Contact points host[:port] (a list, or one comma-separated string); empty or absent: the built-in emulator" }),
    datacenter: str('Local datacenter for LOCAL_* consistency and routing').optional(),
    credentials: strict('credentials', {
      username_env: str('NAME of the env var holding the user name').optional(),
      password_env: str('NAME of the env var holding the password').optional(),
      password_file_env: str('NAME of the env var holding the path of a file containing the password').optional(),
    }, 'Credentials come from environment variables, never from the file').optional(),
    tls: strict('tls', {
      ca_file: str('CA certificate (PEM), relative to the profile').optional(),
      cert_file: str('Client certificate (PEM)').optional(),
      key_file: str('Client key (PEM)').optional(),
    }).optional(),
    connect_timeout: duration('Connect timeout (default 5s)').optional(),
    request_timeout: duration('Client-side request timeout (default 12s)').optional(),
    sim: strict('sim', {
      nodes: int(1, 64, 'Emulated nodes (default 1)').optional(),
      shards: int(1, 256, 'Shards per emulated node (default 4)').optional(),
      costs: strict('costs', {
        coordinator: duration('Coordination of any request on the connection\'s shard (default 5us)').optional(),
        read: duration('Single-partition read on a replica shard (default 25us)').optional(),
        write: duration('Write of one partition on a replica shard (default 20us)').optional(),
        scan: duration('Range scan, base cost (default 25us)').optional(),
        scan_row: duration('Range scan, per row visited (default 2us)').optional(),
        batch_statement: duration('Each extra statement of a batch (default 10us)').optional(),
        cross_shard_hop: duration('Handing a request to another shard of the node (default 10us)').optional(),
        system: duration('System-table read (default 20us)').optional(),
        schema: duration('DDL statement (default 1ms)').optional(),
      }, 'Shard time each operation costs in the emulator\'s capacity model (durations like 25us, 2ms)').optional(),
    }, 'Shape of the built-in emulator when no hosts are given').optional(),
  }, 'Where to send the load').optional(),
  routing: oneOf('routing', ROUTING, 'shard-aware (default), token-aware, round-robin, or driver (cassandra-driver)').optional(),
  // the upper limit depends on the machine (limits.ts): the loader checks it, not the schema
  workers: z.union([z.literal('auto'), int(1, Number.MAX_SAFE_INTEGER)], {
    error: (iss) => `expected a number of workers ≥ 1 or 'auto', got ${describe(iss.input)}`,
  }).optional().meta({ description: "Worker threads ('auto' = one per core); at most 4 per core unless --max-workers allows more" }),
  pin: bool('Pin each worker thread to a core (Linux)').optional(),
  seed: int(0, Number.MAX_SAFE_INTEGER, 'Seed of every generator (default 1)').optional(),
  service_levels: record('service levels', strict('a service level', {
    timeout: duration('Server-side timeout of the level').optional(),
    workload_type: oneOf('workload type', ['interactive', 'batch'] as const, 'interactive or batch').optional(),
    shares: int(1, 1000, 'Scheduling shares 1..1000').optional(),
  }), 'Scylla service levels: name → settings; a class binds to one (its own role and connections)').optional(),
  classes: record('classes', classSchema, 'Classes that phases refer to by name').optional(),
  phases: list('phases', phaseSchema).min(1, { error: 'a profile needs at least one phase' }),
  gate: gateRulesSchema.optional().meta({ description: "Regression gate rules per '*', class, '*.op' or class.op: relative (p99: +10%, throughput: -5%) and absolute (p99Ms: 20, errorRate: 0.1%); used by gate and run --baseline" }),
}, 'A scylla-bench run profile');

export { CONSISTENCY, PHASE_KINDS, ROUTING };

/**
 * Top-level keys starting with `x-` are ignored: a place for anchors (`x-base: &base {...}`)
 * reused with `<<: *base`, as docker-compose allows.
 */
export function withoutExtensions(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
  return Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([k]) => !k.startsWith('x-')));
}

/**
 * Turns the zod issues into ONE error: the first in file order, except that an unknown key
 * wins over a missing key of the same map (the unknown one is usually its misspelling).
 * Leaf messages are prefixed with their key (`concurrency: must not be negative`).
 */
export function zodFailure(src: YamlSource, error: z.ZodError, base: PathKey[] = []): never {
  type Located = { line: number; col: number; message: string; path: PathKey[]; which: 'key' | 'value'; missing: boolean };
  const located: Located[] = [];
  const unknownIn = new Set<string>();
  for (const iss of error.issues) {
    const path = [...base, ...(iss.path as PathKey[])];
    let message = iss.message;
    let which: 'key' | 'value' = (iss as { params?: { at?: string } }).params?.at === 'key' ? 'key' : 'value';
    let at = path;
    let missing = false;
    if (iss.code === 'unrecognized_keys') {
      at = [...path, (iss as { keys: string[] }).keys[0]];
      which = 'key';
      unknownIn.add(JSON.stringify(path));
    } else if (iss.code === 'invalid_type' && (iss as { expected?: string }).expected === 'nonoptional') {
      message = MISSING;
    } else if (/^Invalid input/.test(message)) {
      message = 'value does not match any accepted form';
    }
    if (message === MISSING || (!src.has(at) && iss.code !== 'unrecognized_keys')) {
      message = `missing required key ${quoted(String(at[at.length - 1]))}`;
      at = at.slice(0, -1);
      which = 'value';
      missing = true;
    } else if (iss.code !== 'unrecognized_keys' && which === 'value') {
      const key = at[at.length - 1];
      if (typeof key === 'string' && !/^(unknown|missing|expected a (map|list))/.test(message) && !message.includes(`${quoted(key)}`)) {
        message = `${key}: ${message}`;
      }
    }
    const pos = src.pos(at, which);
    located.push({ line: pos.line, col: pos.col, message, path: at, which, missing });
  }
  const candidates = located.filter((l) => !(l.missing && unknownIn.has(JSON.stringify(l.path))));
  candidates.sort((a, b) => a.line - b.line || a.col - b.col);
  const first = candidates[0] ?? located[0];
  src.fail(first.path, first.message, first.which);
}
