/**
 * `loadProfile`: a profile file (and the workload files it names) → one validated,
 * resolved `ResolvedProfile`, with CLI overrides folded in. Every problem is one
 * `ProfileError` line `file:line:col: message` (exit 2), never a stack trace.
 */
import { GateRuleError, parseRules, type GateRules } from './gate-rules.js';
import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, extname, isAbsolute, join, normalize, relative, resolve } from 'node:path';
import { FlagError, quoted, suggestion } from './errors.js';
import { compileKeying } from './keying.js';
import { classSchema, PHASE_KINDS, ROUTING, withoutExtensions, zodFailure, profileSchema } from './schema.js';
import { YamlSource, type Path } from './source.js';
import type {
  CdcConsumerSpec, ClassSpec, PhaseSpec, ResolvedProfile, RoutingMode, ServiceLevelSpec, SimCostsSpec, SloSpec, TargetSpec, ViewLagSpec, WorkloadSpec,
} from './types.js';
import { describe, describeKind, parseCount } from './units.js';
import { checkWorkers } from './limits.js';
import { parseHosts, parseTarget } from './target.js';
import { loadWorkload } from './workload.js';
import { z } from 'zod';

export { FlagError, ProfileError } from './errors.js';

export interface ProfileOverrides {
  /** `host[:port],...`, `sim` or `sim:127.x.y.z` (the built-in emulator). */
  target?: string;
  routing?: RoutingMode;
  /** Replaces the duration of every measure phase. */
  durationMs?: number;
  /**
   * Total open-loop rate of each warmup/measure phase: open-loop classes are scaled to it
   * in proportion; a phase with a single closed-loop class becomes open loop.
   */
  rateOpsPerSec?: number;
  workers?: number;
  /** Raises the worker limit (default 4 per core, see limits.ts) for the file and the flag. */
  maxWorkers?: number;
  pin?: boolean;
  seed?: number;
  /** --validate: every class checks what its reads return (docs/results.md). */
  validate?: boolean;
}

type ClassInput = z.output<typeof classSchema>;

const DEFAULT_MAX_IN_FLIGHT = 1024;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Loads and validates a profile and its workloads.
 * @param file      the profile, as the user named it (messages use this spelling)
 * @param overrides CLI flags that take precedence over the file
 * @throws ProfileError with one line `file:line:col: message`, or FlagError for a bad override
 */
export async function loadProfile(file: string, overrides: ProfileOverrides = {}): Promise<ResolvedProfile> {
  const abs = resolve(file);
  const src: YamlSource = await YamlSource.read(abs, file, undefined, 'profile');
  if (src.value === null || typeof src.value !== 'object' || Array.isArray(src.value)) {
    src.fail([], `expected the profile to be a map (target, service_levels, classes, phases), got ${describeKind(src.value)}`);
  }
  precheckSecrets(src);
  const parsed = profileSchema.safeParse(withoutExtensions(src.value));
  if (!parsed.success) zodFailure(src, parsed.error);
  const p = parsed.data;
  const dir = dirname(abs);
  const shownDir = dirname(file);

  const target = resolveTarget(src, p.target, dir, overrides.target);

  const serviceLevels: Record<string, ServiceLevelSpec> = {};
  for (const [name, sl] of Object.entries(p.service_levels ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) src.fail(['service_levels', name], `service level name ${quoted(name)} must be a CQL identifier (letters, digits, _)`, 'key');
    const spec: ServiceLevelSpec = {};
    if (sl.timeout !== undefined) spec.timeoutMs = sl.timeout;
    if (sl.workload_type !== undefined) spec.workloadType = sl.workload_type;
    if (sl.shares !== undefined) spec.shares = sl.shares;
    serviceLevels[name] = spec;
  }

  // workloads are loaded once per file; the name keys ResolvedProfile.workloads
  const workloads: Record<string, WorkloadSpec> = {};
  const byFile = new Map<string, WorkloadSpec>();
  const workloadOf = async (ref: string, path: Path): Promise<WorkloadSpec> => {
    const wAbs = isAbsolute(ref) ? ref : resolve(dir, ref);
    const known = byFile.get(wAbs);
    if (known) return known;
    const shown = isAbsolute(ref) ? ref : normalize(join(shownDir, ref));
    if (existsSync(wAbs) && statSync(wAbs).isDirectory()) src.fail(path, `workload ${quoted(ref)} is a directory, not a file`);
    if (!existsSync(wAbs)) {
      src.fail(path, `workload file ${quoted(ref)} not found (looked for ${relative(process.cwd(), wAbs) || wAbs}; workloads are relative to the profile)`);
    }
    const w = await loadWorkload(wAbs, shown, src.pos(path));
    const clash = workloads[w.name];
    if (clash && clash.file !== w.file) src.fail(path, `two workload files are named ${quoted(w.name)} (${clash.file} and ${w.file}); set a distinct name: in one of them`);
    workloads[w.name] = w;
    byFile.set(wAbs, w);
    return w;
  };

  const resolveClass = async (name: string, c: ClassInput, path: Path): Promise<ClassSpec> => {
    const w = await workloadOf(c.workload, [...path, 'workload']);
    if (c.kind === 'cdc' || c.cdc !== undefined) return resolveCdcClass(name, c, w, path);
    const mix = resolveMix(src, c.mix, w, [...path, 'mix'], name);
    if (c.rate !== undefined && c.concurrency !== undefined) {
      src.fail([...path, 'concurrency'], `class ${quoted(name)} has both rate (open loop) and concurrency (closed loop); choose one`, 'key');
    }
    if (c.rate === undefined && c.concurrency === undefined) {
      src.fail(path, `class ${quoted(name)} needs rate (open loop, e.g. rate: 1000/s) or concurrency (closed loop, e.g. concurrency: 32)`, 'key');
    }
    if (c.service_level !== undefined && !(c.service_level in serviceLevels)) {
      const declared = Object.keys(serviceLevels);
      src.fail([...path, 'service_level'], `unknown service level ${quoted(c.service_level)}; ${declared.length > 0 ? suggestion(c.service_level, declared, 'one of') : 'declare it under service_levels:'}`);
    }
    if (c.max_in_flight !== undefined && c.concurrency !== undefined && c.max_in_flight < c.concurrency) {
      src.fail([...path, 'max_in_flight'], `max_in_flight (${c.max_in_flight}) is below concurrency (${c.concurrency}); the class could never reach its concurrency`);
    }
    const spec: ClassSpec = {
      name, workload: w.name, mix,
      maxInFlight: c.max_in_flight ?? c.concurrency ?? DEFAULT_MAX_IN_FLIGHT,
      pos: src.pos(path, 'key'),
    };
    if (c.rate !== undefined) spec.rateOpsPerSec = c.rate;
    if (c.concurrency !== undefined) spec.concurrency = c.concurrency;
    if (c.service_level !== undefined) spec.serviceLevel = c.service_level;
    if (c.routing !== undefined) spec.routing = c.routing;
    if (c.validate === true) spec.validate = true;
    if (c.slo !== undefined) spec.slo = sloOf(c.slo);
    if (c.view_lag !== undefined) spec.viewLag = viewLagOf(src, c.view_lag, w, mix, [...path, 'view_lag'], name);
    return spec;
  };

  /** `kind: cdc`: a consumer of the table's CDC log; no mix, rate or concurrency (it follows the writers). */
  const resolveCdcClass = (name: string, c: ClassInput, w: WorkloadSpec, path: Path): ClassSpec => {
    if (c.kind !== 'cdc') src.fail([...path, 'cdc'], `class ${quoted(name)} has cdc: but no kind: cdc`, 'key');
    if (c.cdc === undefined) src.fail(path, `class ${quoted(name)} of kind cdc needs cdc: {table: <a table of ${w.name} with cdc enabled>}`);
    for (const key of ['mix', 'rate', 'concurrency', 'max_in_flight', 'service_level', 'view_lag', 'validate'] as const) {
      if (c[key] !== undefined) src.fail([...path, key], `a cdc class takes no ${key}: it reads the log of what the other classes write`, 'key');
    }
    const d = c.cdc;
    if (!w.tables.some((t) => t.name === d.table)) {
      src.fail([...path, 'cdc', 'table'], `table ${quoted(d.table)} is not a table of workload ${w.name}; ${suggestion(d.table, w.tables.map((t) => t.name), 'one of')}`);
    }
    const confidenceWindowMs = d.confidence_window ?? 30_000;
    const postEmptyQueryDelayMs = d.post_empty_query_delay ?? 30_000;
    const cdc: CdcConsumerSpec = {
      table: d.table,
      confidenceWindowMs,
      queryWindowMs: d.query_window ?? 30_000,
      postNonEmptyQueryDelayMs: d.post_nonempty_query_delay ?? 10_000,
      postEmptyQueryDelayMs,
      postFailedQueryDelayMs: d.post_failed_query_delay ?? 1000,
      maxPostFailedQueryDelayMs: d.max_post_failed_query_delay ?? 30_000,
      postGenerationFetchDelayMs: d.post_generation_fetch_delay ?? 15_000,
      maxPostGenerationFetchDelayMs: d.max_post_generation_fetch_delay ?? 300_000,
      drainMs: d.drain ?? confidenceWindowMs + postEmptyQueryDelayMs + 5000,
      consistency: d.consistency ?? 'ONE',
      pageSize: d.page_size ?? 5000,
    };
    if (cdc.queryWindowMs <= 0) src.fail([...path, 'cdc', 'query_window'], 'query_window must be above 0');
    // no operation of the workload: its one op, `cdc-lag`, is the consumer's (engine/cdc.ts)
    const spec: ClassSpec = { name, kind: 'cdc', cdc, workload: w.name, mix: {}, maxInFlight: 1, pos: src.pos(path, 'key') };
    if (c.routing !== undefined) spec.routing = c.routing;
    if (c.slo !== undefined) spec.slo = sloOf(c.slo);
    return spec;
  };

  const topClasses = new Map<string, ClassSpec>();
  for (const [name, c] of Object.entries(p.classes ?? {})) {
    topClasses.set(name, await resolveClass(name, c, ['classes', name]));
  }

  const phases: PhaseSpec[] = [];
  const names = new Set<string>();
  for (let i = 0; i < p.phases.length; i++) {
    const raw = p.phases[i];
    const path: Path = ['phases', i];
    let kind = raw.kind;
    if (kind === undefined) {
      if (raw.name !== undefined && (PHASE_KINDS as readonly string[]).includes(raw.name)) kind = raw.name as PhaseSpec['kind'];
      else src.fail(path, `phase ${raw.name !== undefined ? `${quoted(raw.name)} ` : ''}needs kind: (${PHASE_KINDS.join(', ')})`);
    }
    let name = raw.name ?? kind;
    if (raw.name === undefined) for (let n = 2; names.has(name); n++) name = `${kind}-${n}`;
    if (names.has(name)) src.fail([...path, 'name'], `phase name ${quoted(name)} is used twice`);
    names.add(name);
    const phase: PhaseSpec = { name, kind, classes: [], pos: src.pos(path) };

    if (kind === 'schema') {
      for (const key of ['duration', 'count', 'classes'] as const) {
        if (raw[key] !== undefined) src.fail([...path, key], `a schema phase takes no ${key}: it applies each workload's schema once`, 'key');
      }
      phases.push(phase);
      continue;
    }
    if (kind === 'load') {
      if (raw.duration !== undefined) src.fail([...path, 'duration'], 'a load phase runs by count, not duration (use a measure phase for a duration)', 'key');
      if (raw.count === undefined) src.fail(path, "a load phase needs count: (operations, e.g. 1M, or 'all')");
    } else {
      if (raw.count !== undefined) src.fail([...path, 'count'], `a ${kind} phase runs for a duration, not a count (use a load phase for a count)`, 'key');
      if (raw.duration === undefined) src.fail(path, `a ${kind} phase needs duration: (e.g. 30s)`);
      if (raw.duration === 0) src.fail([...path, 'duration'], `a ${kind} phase needs a duration above 0`);
      phase.durationMs = raw.duration;
    }

    // classes: default all top-level; a list of names; or inline definitions
    const classesRaw = raw.classes;
    if (classesRaw === undefined) {
      if (topClasses.size === 0) src.fail(path, `phase ${quoted(name)} has no classes: define classes: at the top level or in the phase`);
      phase.classes = [...topClasses.values()];
    } else if (typeof classesRaw === 'string' || Array.isArray(classesRaw)) {
      const list = typeof classesRaw === 'string' ? [classesRaw] : classesRaw;
      if (list.length === 0) src.fail([...path, 'classes'], `phase ${quoted(name)} lists no classes`);
      list.forEach((cn, j) => {
        const at = typeof classesRaw === 'string' ? [...path, 'classes'] : [...path, 'classes', j];
        if (typeof cn !== 'string') src.fail(at, `expected a class name, got ${describe(cn)}`);
        const c = topClasses.get(cn);
        if (!c) src.fail(at, `unknown class ${quoted(cn)}; ${topClasses.size > 0 ? suggestion(cn, [...topClasses.keys()], 'one of') : 'define it under classes: at the top level'}`);
        if (phase.classes.includes(c)) src.fail(at, `class ${quoted(cn)} is listed twice`);
        phase.classes.push(c);
      });
    } else if (typeof classesRaw === 'object' && classesRaw !== null) {
      const inline = z.record(z.string(), classSchema).safeParse(classesRaw);
      if (!inline.success) zodFailure(src, inline.error, [...path, 'classes']);
      for (const [cn, c] of Object.entries(inline.data)) {
        phase.classes.push(await resolveClass(cn, c, [...path, 'classes', cn]));
      }
      if (phase.classes.length === 0) src.fail([...path, 'classes'], `phase ${quoted(name)} defines no classes`);
    } else {
      src.fail([...path, 'classes'], `expected class names or a map of classes, got ${describe(classesRaw)}`);
    }

    const consumer = phase.classes.find((c) => c.kind === 'cdc');
    if (consumer && kind === 'load') src.fail(path, `class ${quoted(consumer.name)} (kind cdc) runs in warmup and measure phases, not in a load phase; list the load phase's classes`);
    if (consumer && phase.classes.every((c) => c.kind === 'cdc')) src.fail(path, `phase ${quoted(name)} has only cdc classes: a consumer follows writer classes of the same phase`);
    if (kind === 'load') phase.count = resolveCount(src, raw.count, [...path, 'count'], phase, workloads, p.seed ?? 1);
    phases.push(phase);
  }

  // ---- gate rules: the shape is the schema's; the direction of each tolerance is checked here
  let gate: GateRules | undefined;
  if (p.gate !== undefined) {
    try {
      gate = parseRules(p.gate, 'gate');
    } catch (e) {
      if (!(e instanceof GateRuleError)) throw e;
      // 'gate: <key>.<metric>: …' → point at the offending value
      const m = /^gate: (.+)\.([A-Za-z0-9]+): /.exec(e.message);
      const at = m && src.has(['gate', m[1], m[2]]) ? ['gate', m[1], m[2]] : ['gate'];
      src.fail(at, e.message.replace(/^gate: /, ''));
    }
  }

  // ---- overrides
  if (overrides.routing !== undefined && !(ROUTING as readonly string[]).includes(overrides.routing)) {
    throw new FlagError('--routing', `unknown mode ${quoted(overrides.routing)}; ${suggestion(overrides.routing, ROUTING, 'one of')}`);
  }
  if (overrides.seed !== undefined && !(Number.isSafeInteger(overrides.seed) && overrides.seed >= 0)) {
    throw new FlagError('--seed', `expected a whole number ≥ 0, got ${overrides.seed}`);
  }
  if (overrides.maxWorkers !== undefined && !(Number.isSafeInteger(overrides.maxWorkers) && overrides.maxWorkers >= 1)) {
    throw new FlagError('--max-workers', `expected a whole number ≥ 1, got ${overrides.maxWorkers}`);
  }
  let workers: number;
  if (overrides.workers !== undefined) {
    const w = checkWorkers(overrides.workers, overrides.maxWorkers);
    if (!w.ok) throw new FlagError('--workers', w.message);
    workers = w.value;
  } else if (p.workers === undefined || p.workers === 'auto') {
    workers = availableParallelism();
  } else {
    const w = checkWorkers(p.workers, overrides.maxWorkers);
    if (!w.ok) src.fail(['workers'], `workers: ${w.message}`);
    workers = w.value;
  }
  const profile: ResolvedProfile = {
    name: p.name ?? basename(file, extname(file)),
    file: abs,
    seed: overrides.seed ?? p.seed ?? 1,
    target,
    routing: overrides.routing ?? p.routing ?? 'shard-aware',
    workers,
    workersAuto: overrides.workers === undefined && (p.workers === undefined || p.workers === 'auto'),
    pin: overrides.pin ?? p.pin ?? false,
    serviceLevels,
    workloads,
    phases,
    ...(gate ? { gate } : {}),
  };
  if (overrides.durationMs !== undefined) {
    if (!(overrides.durationMs > 0) || !Number.isFinite(overrides.durationMs)) throw new FlagError('--duration', `expected a duration above 0, got ${overrides.durationMs} ms`);
    for (const ph of phases) if (ph.kind === 'measure') ph.durationMs = overrides.durationMs;
  }
  if (overrides.rateOpsPerSec !== undefined) applyRate(phases, overrides.rateOpsPerSec);
  if (overrides.validate) for (const ph of phases) ph.classes = ph.classes.map((c) => ({ ...c, validate: true }));
  return profile;
}

/** Credentials are env var names; a value in the file is refused before anything else. */
function precheckSecrets(src: YamlSource): void {
  const creds = ((src.value as Record<string, unknown>).target as Record<string, unknown> | undefined)?.credentials;
  if (creds && typeof creds === 'object') {
    for (const key of ['username', 'password', 'user', 'pass']) {
      if (key in (creds as object)) {
        src.fail(['target', 'credentials', key], `credentials are never written in a profile: put the value in an environment variable and name it with ${key.startsWith('u') ? 'username_env' : 'password_env'}: VAR_NAME`, 'key');
      }
    }
  }
}

type TargetInput = z.output<typeof profileSchema>['target'];

function resolveTarget(src: YamlSource, t: TargetInput, dir: string, override: string | undefined): TargetSpec {
  const hosts: TargetSpec['hosts'] = [];
  (t?.hosts ?? []).forEach((h, i) => {
    const r = parseHosts(h);
    if (!r.ok) {
      const path = typeof (src.value as { target?: { hosts?: unknown } }).target?.hosts === 'string' ? ['target', 'hosts'] : ['target', 'hosts', i];
      src.fail(path, r.message);
    }
    hosts.push(...r.value);
  });
  const spec: TargetSpec = {
    hosts,
    connectTimeoutMs: t?.connect_timeout ?? 5000,
    requestTimeoutMs: t?.request_timeout ?? 12_000,
    sim: { nodes: t?.sim?.nodes ?? 1, shards: t?.sim?.shards ?? 4 },
  };
  const costs = t?.sim?.costs;
  if (costs) {
    const us = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : ms * 1000);
    const c: SimCostsSpec = {};
    const names: [keyof typeof costs, keyof SimCostsSpec][] = [
      ['coordinator', 'coordinatorUs'], ['read', 'readUs'], ['write', 'writeUs'], ['scan', 'scanUs'], ['scan_row', 'scanRowUs'],
      ['batch_statement', 'batchStatementUs'], ['cross_shard_hop', 'crossShardHopUs'], ['system', 'systemUs'], ['schema', 'schemaUs'],
    ];
    for (const [from, to] of names) {
      const v = us(costs[from]);
      if (v !== undefined) c[to] = v;
    }
    spec.sim.costs = c;
  }
  if (t?.datacenter !== undefined) spec.datacenter = t.datacenter;
  const c = t?.credentials;
  if (c) {
    for (const [key, v] of Object.entries(c)) {
      if (v !== undefined && !ENV_NAME.test(v)) src.fail(['target', 'credentials', key], `${quoted(v)} is not an environment variable name (letters, digits, _): credentials come from the environment`);
    }
    if (c.username_env !== undefined) spec.usernameEnv = c.username_env;
    if (c.password_env !== undefined) spec.passwordEnv = c.password_env;
    if (c.password_file_env !== undefined) spec.passwordFileEnv = c.password_file_env;
    if ((c.password_env !== undefined || c.password_file_env !== undefined) && c.username_env === undefined) {
      src.fail(['target', 'credentials'], 'credentials need username_env with password_env or password_file_env');
    }
  }
  if (t?.tls) {
    const tls: NonNullable<TargetSpec['tls']> = {};
    for (const [key, field] of [['ca_file', 'caFile'], ['cert_file', 'certFile'], ['key_file', 'keyFile']] as const) {
      const f = t.tls[key];
      if (f === undefined) continue;
      const fAbs = isAbsolute(f) ? f : resolve(dir, f);
      if (!existsSync(fAbs)) src.fail(['target', 'tls', key], `TLS file ${quoted(f)} not found (paths are relative to the profile)`);
      tls[field] = fAbs;
    }
    if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) src.fail(['target', 'tls'], 'a client certificate needs both cert_file and key_file');
    spec.tls = tls;
  }
  if (override !== undefined) {
    // `sim` forces the emulator; the CLI starts it (and reads sim:<host> from the same parser)
    const r = parseTarget(override);
    if (!r.ok) throw new FlagError('--target', r.message);
    spec.hosts = r.value.kind === 'sim' ? [] : r.value.hosts;
  }
  return spec;
}

function resolveMix(src: YamlSource, mix: unknown, w: WorkloadSpec, path: Path, className: string): Record<string, number> {
  const ops = Object.keys(w.operations);
  const unknownOp = (op: string, at: Path, which: 'key' | 'value'): never =>
    src.fail(at, `workload ${quoted(w.name)} has no operation ${quoted(op)}; ${suggestion(op, ops, 'one of')}`, which);
  if (mix === undefined) src.fail(path.slice(0, -1), `missing required key 'mix' in class ${quoted(className)}: operation weights, e.g. {read: 9, write: 1} (or kind: cdc for a CDC consumer)`);
  const out: Record<string, number> = {};
  if (typeof mix === 'string') {
    if (!(mix in w.operations)) unknownOp(mix, path, 'value');
    out[mix] = 1;
  } else if (Array.isArray(mix)) {
    if (mix.length === 0) src.fail(path, 'the mix names no operations');
    mix.forEach((op, i) => {
      if (typeof op !== 'string') src.fail([...path, i], `expected an operation name, got ${describe(op)}`);
      if (!(op in w.operations)) unknownOp(op, [...path, i], 'value');
      out[op] = (out[op] ?? 0) + 1;
    });
  } else if (mix !== null && typeof mix === 'object') {
    const entries = Object.entries(mix as Record<string, unknown>);
    if (entries.length === 0) src.fail(path, 'the mix names no operations');
    for (const [op, weight] of entries) {
      if (!(op in w.operations)) unknownOp(op, [...path, op], 'key');
      if (typeof weight !== 'number' || !Number.isFinite(weight)) src.fail([...path, op], `expected a weight (a number > 0), got ${describe(weight)}`);
      if (weight < 0) src.fail([...path, op], `a weight must not be negative (got ${weight})`);
      if (weight === 0) src.fail([...path, op], 'a weight of 0 never runs the operation; remove it from the mix');
      out[op] = weight;
    }
  } else {
    src.fail(path, `expected the mix as {op: weight}, an op name or a list of op names, got ${describe(mix)}`);
  }
  return out;
}

/**
 * A class's `view_lag:` with its defaults; refused when no write of the mix goes to a table with
 * (one of the named) views, or a named view is not one of the workload's.
 */
/** A class's `slo:` as the engine checks it (milliseconds and a ratio); the same for every kind of class. */
function sloOf(slo: NonNullable<ClassInput['slo']>): SloSpec {
  const out: SloSpec = {};
  if (slo.p50 !== undefined) out.p50Ms = slo.p50;
  if (slo.p99 !== undefined) out.p99Ms = slo.p99;
  if (slo.p999 !== undefined) out.p999Ms = slo.p999;
  if (slo.max !== undefined) out.maxMs = slo.max;
  if (slo.max_error_ratio !== undefined) out.maxErrorRatio = slo.max_error_ratio;
  return out;
}

function viewLagOf(src: YamlSource, v: NonNullable<ClassInput['view_lag']>, w: WorkloadSpec, mix: Record<string, number>, path: Path, className: string): ViewLagSpec {
  const views = w.views ?? [];
  for (const [i, name] of (v.views ?? []).entries()) {
    if (!views.some((x) => x.name === name)) {
      src.fail([...path, 'views', i], `workload ${quoted(w.name)} has no view ${quoted(name)}; ${views.length > 0 ? suggestion(name, views.map((x) => x.name), 'one of') : 'its schema creates none'}`, 'value');
    }
  }
  const followed = views.filter((x) => !v.views || v.views.includes(x.name));
  const writes = Object.keys(mix).map((op) => w.operations[op]).filter((op) => op.kind === 'write');
  if (!writes.some((op) => followed.some((x) => x.base === op.table))) {
    src.fail(path, `class ${quoted(className)}: no write of its mix goes to a table with ${v.views ? 'the named views' : 'a materialized view'}; view_lag has nothing to follow`, 'key');
  }
  if (v.sample !== undefined && !(v.sample > 0)) src.fail([...path, 'sample'], `the sample must be above 0 (got ${v.sample})`);
  if (v.poll !== undefined && !(v.poll > 0)) src.fail([...path, 'poll'], 'the poll interval must be above 0');
  if (v.timeout !== undefined && !(v.timeout > 0)) src.fail([...path, 'timeout'], 'the timeout must be above 0');
  return {
    sample: v.sample ?? 0.01, pollMs: v.poll ?? 2, timeoutMs: v.timeout ?? 10_000, consistency: v.consistency ?? 'LOCAL_ONE',
    ...(v.views ? { views: v.views } : {}),
  };
}

/** `count: all` writes every row of the load class's table exactly once. */
function resolveCount(src: YamlSource, raw: unknown, path: Path, phase: PhaseSpec, workloads: Record<string, WorkloadSpec>, seed: number): number {
  if (raw === 'all') {
    const ops = phase.classes.flatMap((c) => Object.keys(c.mix).map((op) => ({ c, op: workloads[c.workload].operations[op] })));
    if (ops.length !== 1 || ops[0].op.kind !== 'write') {
      src.fail(path, "count: all needs exactly one class with exactly one write operation (it writes every row once)");
    }
    const { c, op } = ops[0];
    const table = workloads[c.workload].tables.find((t) => t.name === op.table)!;
    const keying = compileKeying(table, seed, op.batchRows ?? 1);
    return keying.totalCycles / keying.rowsPerCycle;
  }
  const r = parseCount(raw, 1);
  if (!r.ok) src.fail(path, `${r.message} (or 'all')`);
  return r.value;
}

/** --rate: the total open-loop rate of each warmup/measure phase. */
function applyRate(phases: PhaseSpec[], rate: number): void {
  if (!(rate > 0) || !Number.isFinite(rate)) throw new FlagError('--rate', `expected a rate above 0 ops/s, got ${rate}`);
  for (const ph of phases) {
    if (ph.kind !== 'warmup' && ph.kind !== 'measure') continue;
    const open = ph.classes.filter((c) => c.rateOpsPerSec !== undefined);
    if (open.length > 0) {
      const total = open.reduce((s, c) => s + c.rateOpsPerSec!, 0);
      ph.classes = ph.classes.map((c) => (c.rateOpsPerSec !== undefined ? { ...c, rateOpsPerSec: (c.rateOpsPerSec * rate) / total } : c));
    } else if (ph.classes.length === 1) {
      const c = ph.classes[0];
      const { concurrency: _closed, ...rest } = c;
      ph.classes = [{ ...rest, rateOpsPerSec: rate, maxInFlight: Math.max(c.maxInFlight, DEFAULT_MAX_IN_FLIGHT) }];
    } else {
      throw new FlagError('--rate', `phase ${quoted(ph.name)} has ${ph.classes.length} closed-loop classes and no open-loop one; set rate: per class in the profile`);
    }
  }
}

