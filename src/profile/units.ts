/**
 * Quantities written with units: durations (`30s`, `500ms`, `1m30s`), sizes (`64MiB`),
 * rates (`1000`, `1k/s`, `90/min`), counts (`100k`, `1M`) and ratios (`0.001`, `0.1%`).
 * Each parser returns the value in the unit its name says, or a message saying what was
 * expected (the caller attaches the file position).
 */

import { FlagError, quoted } from './errors.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/** A flag's value read by the same grammar as the file: the value, or a FlagError naming the flag. */
export function forFlag<T>(flag: string, r: Parsed<T>): T {
  if (!r.ok) throw new FlagError(flag, r.message);
  return r.value;
}

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const no = (message: string): Parsed<never> => ({ ok: false, message });

/** A short rendering of any YAML value for messages: `string "abc"`, `number 5`, `a list`. */
export function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing (null)';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'string') return `string ${quoted(v)}`;
  return `${typeof v} ${String(v)}`;
}

/**
 * What kind of value a whole file turned out to be, without any of its content: a file
 * named by mistake (a password file, a script) must not be echoed.
 */
export function describeKind(v: unknown): string {
  if (v === null || v === undefined) return 'nothing (the file is empty)';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'string') return 'plain text (a single YAML string; its content is not shown)';
  return `a single ${typeof v}`;
}

const DURATION_MS: Record<string, number> = {
  ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000,
};

/**
 * Duration in milliseconds: ONE grammar for profiles (`duration: 30s`) and flags
 * (`--duration 30s`). A bare number is refused (is `30` seconds or ms?) except 0, whether
 * YAML made it a number or it came as text (`'30'`, a flag). Compound forms add up:
 * `1h30m`, `1m 30s`.
 */
export function parseDurationMs(v: unknown): Parsed<number> {
  const expected = "a duration with a unit, like '30s', '500ms', '2m' or '1h30m'";
  if (typeof v === 'string' && /^\s*[-+]?(\d+(\.\d*)?|\.\d+)\s*$/.test(v)) v = Number(v);
  if (typeof v === 'number') {
    if (v === 0) return ok(0);
    if (Number.isNaN(v)) return no(`expected ${expected}, got ${describe(v)}`);
    if (v < 0) return no(`must not be negative (got ${v})`);
    return no(`expected ${expected}; a bare number has no unit (did you mean '${v}s' or '${v}ms'?)`);
  }
  if (typeof v !== 'string') return no(`expected ${expected}, got ${describe(v)}`);
  const s = v.trim();
  if (s === '') return no(`expected ${expected}, got an empty value`);
  if (s.startsWith('-')) return no(`must not be negative (got ${quoted(v)})`);
  const re = /(\d+(?:\.\d+)?|\.\d+)\s*(ns|us|µs|ms|min|s|m|h|d)\s*/gy;
  let total = 0;
  let consumed = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * DURATION_MS[m[2]];
    consumed = re.lastIndex;
  }
  if (consumed === 0 || consumed !== s.length) return no(`expected ${expected}, got ${quoted(v)}`);
  if (!Number.isFinite(total)) return no(`${quoted(v)} is too long a duration`);
  return ok(total);
}

const SIZE_BYTES: Record<string, number> = {
  b: 1, kb: 1000, mb: 1e6, gb: 1e9, tb: 1e12, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4, k: 1024, m: 1024 ** 2, g: 1024 ** 3,
};

/** Size in bytes: a bare integer is bytes; `KiB`/`MiB` are powers of 1024, `kB`/`MB` of 1000. */
export function parseSizeBytes(v: unknown): Parsed<number> {
  const expected = "a size like 100, '512B', '4KiB' or '64MiB'";
  if (typeof v === 'number') {
    if (v < 0) return no(`must not be negative (got ${v})`);
    if (!Number.isInteger(v)) return no(`expected a whole number of bytes, got ${v}`);
    return ok(v);
  }
  if (typeof v !== 'string') return no(`expected ${expected}, got ${describe(v)}`);
  const m = /^\s*(-?)(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(v);
  if (!m) return no(`expected ${expected}, got ${quoted(v)}`);
  if (m[1]) return no(`must not be negative (got ${quoted(v)})`);
  const unit = m[3] === '' ? 'b' : m[3].toLowerCase();
  const mult = SIZE_BYTES[unit];
  if (mult === undefined) return no(`unknown size unit ${quoted(m[3])} in ${quoted(v)} (use B, kB, MB, GB, KiB, MiB or GiB)`);
  const bytes = Number(m[2]) * mult;
  if (!Number.isInteger(bytes)) return no(`${quoted(v)} is not a whole number of bytes`);
  return ok(bytes);
}

const SI: Record<string, number> = { '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9 };

/** Rate in operations per second: `1000`, `1000/s`, `1k/s`, `2.5k`, `1M/s`, `600/min`. */
export function parseRateOpsPerSec(v: unknown): Parsed<number> {
  const expected = "a rate like 1000, '1000/s', '2k/s' or '600/min'";
  let n: number;
  if (typeof v === 'number') {
    n = v;
  } else if (typeof v === 'string') {
    const m = /^\s*(-?\d+(?:\.\d+)?(?:e\d+)?)\s*([kKMG]?)\s*(?:ops)?\s*(?:\/\s*(s|sec|second|m|min|minute|h|hour))?\s*$/.exec(v);
    if (!m) return no(`expected ${expected}, got ${quoted(v)}`);
    const per = m[3] === undefined ? 1 : /^(m|min|minute)$/.test(m[3]) ? 60 : /^(h|hour)$/.test(m[3]) ? 3600 : 1;
    n = (Number(m[1]) * SI[m[2]]) / per;
  } else {
    return no(`expected ${expected}, got ${describe(v)}`);
  }
  if (!Number.isFinite(n)) return no(`expected ${expected}, got ${describe(v)}`);
  if (n < 0) return no(`a rate must not be negative (got ${describe(v)})`);
  if (n === 0) return no('a rate must be above 0 ops/s (use concurrency for a closed loop)');
  return ok(n);
}

/** A whole count: `100000`, `100k`, `1M`, `1e6`. `min` is the smallest allowed value. */
export function parseCount(v: unknown, min = 0): Parsed<number> {
  const expected = "a whole number like 1000, '100k' or '1M'";
  let n: number;
  if (typeof v === 'number') {
    n = v;
  } else if (typeof v === 'string') {
    const m = /^\s*(-?\d+(?:\.\d+)?(?:e\d+)?)\s*([kKMG]?)\s*$/.exec(v);
    if (!m) return no(`expected ${expected}, got ${quoted(v)}`);
    n = Number(m[1]) * SI[m[2]];
  } else {
    return no(`expected ${expected}, got ${describe(v)}`);
  }
  if (n < 0) return no(`must not be negative (got ${describe(v)})`);
  if (!Number.isSafeInteger(n)) return no(`expected ${expected}, got ${describe(v)}`);
  if (n < min) return no(`must be at least ${min} (got ${describe(v)})`);
  return ok(n);
}

/** A ratio in [0, 1]: `0.001` or `'0.1%'`. */
export function parseRatio(v: unknown): Parsed<number> {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && /^\s*\d+(\.\d+)?\s*%\s*$/.test(v)) n = Number.parseFloat(v) / 100;
  else return no(`expected a ratio like 0.001 or '0.1%', got ${describe(v)}`);
  if (n < 0) return no(`must not be negative (got ${describe(v)})`);
  if (n > 1) return no(`a ratio must be at most 1 (100%), got ${describe(v)}`);
  return ok(n);
}
