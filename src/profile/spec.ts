/**
 * The YAML forms of distributions and generators, parsed into the typed specs of types.ts.
 *
 * A distribution is a number (fixed), a compact call `uniform(1, 100)`, or a map
 * `{dist: uniform, min: 1, max: 100}`. A generator is a keyword (`uuid`, `now`, ...), a
 * distribution, a list (choice), a literal (fixed), or a map `{gen: text, length: ...}`.
 * Failures carry a sub-path (and whether the key or the value is wrong) so the caller
 * reports the exact spot.
 */
import type { CqlType } from '../cql/types.js';
import { suggestion, quoted } from './errors.js';
import { parseCqlType } from './cql.js';
import type { PathKey } from './source.js';
import type { Distribution, GeneratorSpec } from './types.js';
import { describe, parseCount, parseDurationMs, parseSizeBytes } from './units.js';

export type Result<T> =
  | { ok: true; value: T }
  | { ok: false; message: string; path?: PathKey[]; which?: 'key' | 'value' };

const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const no = (message: string, path?: PathKey[], which?: 'key' | 'value'): Result<never> => ({ ok: false, message, path, which });

/**
 * What the numbers of a distribution mean, which decides the units accepted:
 * `number` any real; `count` whole ≥ 0 (`10k`); `rows` whole ≥ 1; `size` bytes (`4KiB`);
 * `timestamp` ms since epoch (ISO dates and times accepted); `date` days (`2024-01-01`).
 */
export type DistUnits = 'number' | 'count' | 'rows' | 'size' | 'timestamp' | 'date';

const DIST_KINDS = ['fixed', 'sequence', 'uniform', 'gaussian', 'zipf', 'exponential'] as const;
const DIST_ALIASES: Record<string, (typeof DIST_KINDS)[number]> = {
  fixed: 'fixed', seq: 'sequence', sequence: 'sequence', uniform: 'uniform', gaussian: 'gaussian',
  normal: 'gaussian', zipf: 'zipf', exponential: 'exponential', exp: 'exponential',
};
/** Parameter names of each kind, in the positional order of the compact form. */
const DIST_PARAMS: Record<(typeof DIST_KINDS)[number], { required: string[]; optional: string[] }> = {
  fixed: { required: ['value'], optional: [] },
  sequence: { required: ['start', 'end'], optional: ['repeat'] },
  uniform: { required: ['min', 'max'], optional: [] },
  gaussian: { required: ['mean', 'stddev'], optional: ['min', 'max'] },
  zipf: { required: ['n', 's'], optional: [] },
  exponential: { required: ['mean'], optional: ['max'] },
};

/**
 * Inside a YAML flow map `{length: uniform(1, 9)}` the comma ends the value, leaving a key
 * `9)`: say so instead of suggesting key names.
 */
export function flowHint(key: string): string | undefined {
  return /\)\s*$/.test(key) ? "a comma inside {...} separates keys: quote the distribution, e.g. length: 'uniform(1, 9)', or use block style" : undefined;
}

/** One number of a distribution in its units. */
function quantity(v: unknown, units: DistUnits): Result<number> {
  switch (units) {
    case 'size': {
      const r = parseSizeBytes(v);
      return r.ok ? ok(r.value) : no(r.message);
    }
    case 'count': case 'rows': {
      const r = parseCount(v);
      return r.ok ? ok(r.value) : no(r.message);
    }
    case 'timestamp': {
      if (typeof v === 'number') return ok(v);
      if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v.trim())) {
        const t = Date.parse(v.trim());
        if (!Number.isNaN(t)) return ok(t);
      }
      // a duration is a span in ms (stddev, mean of a gap)
      const d = parseDurationMs(v);
      if (d.ok) return ok(d.value);
      return no(`expected a time like '2024-01-01T00:00:00Z', ms since the epoch, or a duration like '1h', got ${describe(v)}`);
    }
    case 'date': {
      if (typeof v === 'number' && Number.isInteger(v)) return ok(v);
      if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v.trim())) {
        const t = Date.parse(`${v.trim()}T00:00:00Z`);
        if (!Number.isNaN(t)) return ok(t / 86_400_000);
      }
      return no(`expected a date like '2024-01-01' or days since 1970-01-01, got ${describe(v)}`);
    }
    case 'number': {
      if (typeof v === 'number' && Number.isFinite(v)) return ok(v);
      if (typeof v === 'string' && /^\s*-?(\d+(\.\d*)?|\.\d+)(e[-+]?\d+)?\s*$/i.test(v)) return ok(Number(v));
      return no(`expected a number, got ${describe(v)}`);
    }
  }
}

/** Splits `a, b, c` of a compact call, keeping quoted strings whole. */
function splitArgs(s: string): string[] {
  if (s.trim() === '') return [];
  return s.split(',').map((a) => a.trim().replace(/^(['"])(.*)\1$/, '$2'));
}

/**
 * A distribution in `units`. `zipfDefaultN` lets `zipf(s)` omit n (read key selection,
 * where n is the table's partition count).
 */
export function parseDistribution(v: unknown, units: DistUnits, zipfDefaultN?: number): Result<Distribution> {
  if (typeof v === 'number' || (typeof v === 'string' && !/^\s*[A-Za-z_]+\s*\(/.test(v))) {
    if (typeof v === 'string' && /^\s*[A-Za-z_]+\s*$/.test(v)) {
      const name = v.trim().toLowerCase();
      if (DIST_ALIASES[name]) return no(`distribution ${quoted(v.trim())} needs its parameters, e.g. ${example(DIST_ALIASES[name])}`);
      return no(`unknown distribution ${quoted(v.trim())}; ${suggestion(name, Object.keys(DIST_ALIASES))}`);
    }
    const q = quantity(v, units);
    if (!q.ok) return no(`${q.message} (or a distribution like uniform(1, 100))`);
    return checkDist({ kind: 'fixed', value: q.value }, units);
  }
  if (typeof v === 'string') {
    const m = /^\s*([A-Za-z_]+)\s*\((.*)\)\s*$/s.exec(v);
    if (!m) return no(`malformed distribution ${quoted(v)}: expected name(arg, ...), e.g. uniform(1, 100)`);
    const name = m[1].toLowerCase();
    const kind = DIST_ALIASES[name];
    if (!kind) return no(`unknown distribution ${quoted(m[1])}; ${suggestion(name, Object.keys(DIST_ALIASES))}`);
    let args = splitArgs(m[2]);
    const params = DIST_PARAMS[kind];
    if (kind === 'zipf' && args.length === 1 && zipfDefaultN !== undefined) args = [String(zipfDefaultN), args[0]];
    const max = params.required.length + params.optional.length;
    if (args.length < params.required.length || args.length > max) {
      const sig = [...params.required, ...params.optional.map((p) => `[${p}]`)].join(', ');
      return no(`${kind}(${sig}) takes ${params.required.length === max ? max : `${params.required.length} to ${max}`} arguments, got ${args.length}`);
    }
    const obj: Record<string, unknown> = {};
    [...params.required, ...params.optional].forEach((p, i) => { if (i < args.length) obj[p] = args[i]; });
    return buildDist(kind, obj, units, false);
  }
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    if (!('dist' in o)) return no("a distribution map needs 'dist:' (fixed, sequence, uniform, gaussian, zipf or exponential)");
    if (typeof o.dist !== 'string') return no(`expected a distribution name, got ${describe(o.dist)}`, ['dist']);
    const kind = DIST_ALIASES[o.dist.toLowerCase()];
    if (!kind) return no(`unknown distribution ${quoted(o.dist)}; ${suggestion(o.dist, Object.keys(DIST_ALIASES))}`, ['dist']);
    const params = DIST_PARAMS[kind];
    const allowed = [...params.required, ...params.optional];
    for (const key of Object.keys(o)) {
      if (key === 'dist') continue;
      if (!allowed.includes(key)) return no(`unknown key ${quoted(key)} for ${kind}; ${flowHint(key) ?? suggestion(key, allowed)}`, [key], 'key');
    }
    const rest = { ...o };
    delete rest.dist;
    if (kind === 'zipf' && rest.n === undefined && zipfDefaultN !== undefined) rest.n = zipfDefaultN;
    return buildDist(kind, rest, units, true);
  }
  return no(`expected a number or a distribution like uniform(1, 100), got ${describe(v)}`);
}

function example(kind: (typeof DIST_KINDS)[number]): string {
  switch (kind) {
    case 'fixed': return 'fixed(10)';
    case 'sequence': return 'sequence(0, 999)';
    case 'uniform': return 'uniform(1, 100)';
    case 'gaussian': return 'gaussian(100, 15)';
    case 'zipf': return 'zipf(100000, 1.1)';
    case 'exponential': return 'exponential(50)';
  }
}

function buildDist(kind: (typeof DIST_KINDS)[number], o: Record<string, unknown>, units: DistUnits, isMap: boolean): Result<Distribution> {
  const params = DIST_PARAMS[kind];
  const nums: Record<string, number> = {};
  for (const p of [...params.required, ...params.optional]) {
    if (o[p] === undefined) {
      if (params.required.includes(p)) return no(`${kind} needs ${quoted(p)}`);
      continue;
    }
    // shape parameters are plain numbers whatever the units: zipf n/s, sequence repeat
    const u: DistUnits = (kind === 'zipf') || p === 'repeat' ? 'number' : units === 'rows' ? 'count' : units;
    const q = quantity(o[p], u);
    if (!q.ok) return no(`${kind} ${p}: ${q.message}`, isMap ? [p] : undefined);
    nums[p] = q.value;
  }
  let d: Distribution;
  switch (kind) {
    case 'fixed': d = { kind, value: nums.value }; break;
    case 'sequence': d = { kind, start: nums.start, end: nums.end, ...(nums.repeat !== undefined ? { repeat: nums.repeat } : {}) }; break;
    case 'uniform': d = { kind, min: nums.min, max: nums.max }; break;
    case 'gaussian': d = { kind, mean: nums.mean, stddev: nums.stddev, ...(nums.min !== undefined ? { min: nums.min } : {}), ...(nums.max !== undefined ? { max: nums.max } : {}) }; break;
    case 'zipf': d = { kind, n: nums.n, s: nums.s }; break;
    case 'exponential': d = { kind, mean: nums.mean, ...(nums.max !== undefined ? { max: nums.max } : {}) }; break;
  }
  return checkDist(d, units);
}

/** Range checks that make a distribution meaningful in its units. */
function checkDist(d: Distribution, units: DistUnits): Result<Distribution> {
  const nonNeg = units === 'count' || units === 'size' || units === 'rows';
  const vals: [string, number | undefined][] = [];
  switch (d.kind) {
    case 'fixed': vals.push(['value', d.value]); break;
    case 'sequence':
      if (!Number.isInteger(d.start) || !Number.isInteger(d.end)) return no('sequence start and end must be whole numbers');
      if (d.start > d.end) return no(`sequence start (${d.start}) must not exceed end (${d.end})`);
      if (d.repeat !== undefined && (!Number.isInteger(d.repeat) || d.repeat < 1)) return no(`sequence repeat must be a whole number ≥ 1, got ${d.repeat}`);
      vals.push(['start', d.start], ['end', d.end]);
      break;
    case 'uniform':
      if (d.min > d.max) return no(`uniform min (${d.min}) must not exceed max (${d.max})`);
      vals.push(['min', d.min], ['max', d.max]);
      break;
    case 'gaussian':
      if (d.stddev < 0) return no(`gaussian stddev must not be negative (got ${d.stddev})`);
      if (d.min !== undefined && d.max !== undefined && d.min > d.max) return no(`gaussian min (${d.min}) must not exceed max (${d.max})`);
      vals.push(['mean', d.mean], ['min', d.min], ['max', d.max]);
      break;
    case 'zipf':
      if (!Number.isInteger(d.n) || d.n < 1) return no(`zipf n (the number of ranks) must be a whole number ≥ 1, got ${d.n}`);
      if (!(d.s > 0)) return no(`zipf s (the exponent) must be above 0, got ${d.s}`);
      break;
    case 'exponential':
      if (!(d.mean > 0)) return no(`exponential mean must be above 0, got ${d.mean}`);
      vals.push(['max', d.max]);
      break;
  }
  if (nonNeg) {
    for (const [name, v] of vals) {
      if (v !== undefined && v < 0) return no(`${d.kind} ${name} must not be negative (got ${v})`);
    }
  }
  if (units === 'rows') {
    const lowest = d.kind === 'fixed' ? d.value : d.kind === 'uniform' ? d.min : d.kind === 'sequence' ? d.start : 1;
    if (lowest < 1) return no(`rows per partition must be at least 1 (got ${lowest})`);
  }
  return ok(d);
}

const GEN_KINDS = ['text', 'blob', 'uuid', 'timeuuid', 'now', 'key', 'fixed', 'choice', 'dist', 'collection'] as const;
const GEN_KEYS: Record<(typeof GEN_KINDS)[number], string[]> = {
  text: ['length', 'alphabet'], blob: ['size'], uuid: [], timeuuid: [], now: [], key: [],
  fixed: ['value'], choice: ['values', 'weights'], dist: ['dist'], collection: ['size'],
};
const KEYWORDS = ['uuid', 'timeuuid', 'now', 'key', 'text', 'blob'];

/** The units a numeric distribution has when it fills a column of this type. */
export function unitsForType(t: CqlType): DistUnits {
  if (t.kind === 'timestamp') return 'timestamp';
  if (t.kind === 'date') return 'date';
  return 'number';
}

/** A generator spec for a column of CQL type `cqlType` (type errors are found by compiling it). */
export function parseGenerator(v: unknown, cqlType: string): Result<GeneratorSpec> {
  const t = parseCqlType(cqlType);
  const units = unitsForType(t);
  if (v === null || typeof v === 'number' || typeof v === 'boolean') {
    // a number on a numeric column is a fixed value; on text it is the text itself
    return ok({ kind: 'fixed', value: v });
  }
  if (Array.isArray(v)) return ok({ kind: 'choice', values: v });
  if (typeof v === 'string') {
    const s = v.trim();
    if (KEYWORDS.includes(s)) {
      if (s === 'text') return ok({ kind: 'text', length: { kind: 'fixed', value: 16 } });
      if (s === 'blob') return ok({ kind: 'blob', size: { kind: 'fixed', value: 64 } });
      return ok({ kind: s as 'uuid' | 'timeuuid' | 'now' | 'key' });
    }
    if (/^[A-Za-z_]+\s*\(/.test(s)) {
      const d = parseDistribution(s, units);
      return d.ok ? ok({ kind: 'dist', dist: d.value }) : d;
    }
    if (/^[A-Za-z_]+$/.test(s)) {
      return no(`unknown generator ${quoted(s)}; ${suggestion(s, [...KEYWORDS, ...Object.keys(DIST_ALIASES)])} (a constant is {gen: fixed, value: ${s}})`);
    }
    // a literal of the column type: '2024-01-01', an uuid, a sentence
    return ok({ kind: 'fixed', value: v });
  }
  if (typeof v !== 'object') return no(`expected a generator, got ${describe(v)}`);
  const o = v as Record<string, unknown>;
  if ('dist' in o && !('gen' in o)) {
    const d = parseDistribution(o, units);
    return d.ok ? ok({ kind: 'dist', dist: d.value }) : d;
  }
  if (!('gen' in o)) return no(`a generator map needs 'gen:' (${GEN_KINDS.join(', ')}) or 'dist:'`);
  if (typeof o.gen !== 'string' || !(GEN_KINDS as readonly string[]).includes(o.gen)) {
    return no(`unknown generator ${quoted(String(o.gen))}; ${suggestion(String(o.gen), GEN_KINDS)}`, ['gen']);
  }
  const gen = o.gen as (typeof GEN_KINDS)[number];
  for (const key of Object.keys(o)) {
    if (key !== 'gen' && !GEN_KEYS[gen].includes(key)) {
      return no(`unknown key ${quoted(key)} for gen: ${gen}; ${flowHint(key) ?? suggestion(key, GEN_KEYS[gen], 'one of')}`, [key], 'key');
    }
  }
  const sub = <T>(r: Result<T>, key: string): Result<T> => (r.ok ? r : { ...r, path: [key, ...(r.path ?? [])] });
  switch (gen) {
    case 'text': {
      const length = o.length === undefined ? ok<Distribution>({ kind: 'fixed', value: 16 }) : sub(parseDistribution(o.length, 'size'), 'length');
      if (!length.ok) return length;
      if (o.alphabet !== undefined && (typeof o.alphabet !== 'string' || o.alphabet.length === 0)) return no('alphabet must be a non-empty string', ['alphabet']);
      return ok({ kind: 'text', length: length.value, ...(o.alphabet !== undefined ? { alphabet: o.alphabet as string } : {}) });
    }
    case 'blob': {
      const size = o.size === undefined ? ok<Distribution>({ kind: 'fixed', value: 64 }) : sub(parseDistribution(o.size, 'size'), 'size');
      return size.ok ? ok({ kind: 'blob', size: size.value }) : size;
    }
    case 'collection': {
      const size = o.size === undefined ? ok<Distribution>({ kind: 'uniform', min: 0, max: 3 }) : sub(parseDistribution(o.size, 'count'), 'size');
      return size.ok ? ok({ kind: 'collection', size: size.value }) : size;
    }
    case 'uuid': case 'timeuuid': case 'now': case 'key':
      return ok({ kind: gen });
    case 'fixed':
      if (!('value' in o)) return no("gen: fixed needs 'value'");
      return ok({ kind: 'fixed', value: o.value });
    case 'dist': {
      if (!('dist' in o)) return no("gen: dist needs 'dist', e.g. dist: uniform(1, 100)");
      const d = sub(parseDistribution(o.dist, units), 'dist');
      return d.ok ? ok({ kind: 'dist', dist: d.value }) : d;
    }
    case 'choice': {
      const values = o.values;
      if (Array.isArray(values)) {
        if (values.length === 0) return no('choice needs at least one value', ['values']);
        if (o.weights === undefined) return ok({ kind: 'choice', values });
        if (!Array.isArray(o.weights)) return no(`weights must be a list of numbers, got ${describe(o.weights)}`, ['weights']);
        if (o.weights.length !== values.length) return no(`choice has ${values.length} values but ${o.weights.length} weights`, ['weights']);
        for (let i = 0; i < o.weights.length; i++) {
          const w = o.weights[i];
          if (typeof w !== 'number' || !Number.isFinite(w)) return no(`a weight must be a number, got ${describe(w)}`, ['weights', i]);
          if (w < 0) return no(`a weight must not be negative (got ${w})`, ['weights', i]);
        }
        if ((o.weights as number[]).every((w) => w === 0)) return no('choice weights must not all be 0', ['weights']);
        return ok({ kind: 'choice', values, weights: o.weights as number[] });
      }
      if (values && typeof values === 'object') {
        // {value: weight} map
        if (o.weights !== undefined) return no('weights go in the values map ({value: weight}) or in a list, not both', ['weights'], 'key');
        const entries = Object.entries(values as Record<string, unknown>);
        if (entries.length === 0) return no('choice needs at least one value', ['values']);
        for (const [k, w] of entries) {
          if (typeof w !== 'number' || !Number.isFinite(w)) return no(`a weight must be a number, got ${describe(w)}`, ['values', k]);
          if (w < 0) return no(`a weight must not be negative (got ${w})`, ['values', k]);
        }
        if (entries.every(([, w]) => w === 0)) return no('choice weights must not all be 0', ['values']);
        return ok({ kind: 'choice', values: entries.map(([k]) => k), weights: entries.map(([, w]) => w as number) });
      }
      return no("gen: choice needs 'values' (a list, or a map of value: weight)");
    }
  }
}

