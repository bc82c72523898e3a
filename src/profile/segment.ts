/**
 * Execution segments (`run --segment i/n`, after k6's execution segments): n loaders run one
 * profile together, each an exact, disjoint share of it, so that their union is the one-loader
 * run.
 *
 *   open loop    global slot k (intended start = start + k × interval) belongs to loader k mod n:
 *                loader i's j-th slot is global slot j·n + i. The union of the loaders' intended
 *                starts is the single schedule, whatever the rate; a count-bound class stops at
 *                the same global count.
 *   closed loop  loader i runs ⌊C/n⌋ chains, +1 for the first C mod n loaders; tickets of a
 *                count-bound class interleave as slots do.
 *   writes       write cycles (counted in rows) interleave in blocks of `blockRows` rows: loader
 *                i's local block b is global block b·n + i. `blockRows` is a multiple of every
 *                batch size of the class, so a batch (a chunk of rows of one partition, the keying's
 *                unit) never straddles two loaders' blocks: no row is written by two loaders.
 *
 * Pure arithmetic, shared by the CLI (flags), the engine (schedules) and results (due counts).
 */
import type { Parsed } from './units.js';
import { quoted } from './errors.js';

export interface Segment {
  /** 0-based. */
  index: number;
  count: number;
}

/** The largest n accepted: far beyond any real fleet of loaders, small enough to keep slot numbers exact. */
export const MAX_SEGMENTS = 10_000;

export const SINGLE: Segment = { index: 0, count: 1 };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const no = (message: string): Parsed<never> => ({ ok: false, message });

/** `i/n` with 0 ≤ i < n ≤ MAX_SEGMENTS (Kubernetes' JOB_COMPLETION_INDEX is 0-based). */
export function parseSegment(s: string): Parsed<Segment> {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(s);
  if (!m) return no(`expected i/n (loader i of n, i from 0), got ${s.trim() === '' ? 'an empty value' : quoted(s)}`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > MAX_SEGMENTS) return no(`n must be 1..${MAX_SEGMENTS}, got ${quoted(s)}`);
  if (index >= count) return no(`i must be 0..${count - 1} (i counts from 0), got ${quoted(s)}`);
  return ok({ index, count });
}

/**
 * An RFC 3339 date-time with an explicit offset (`2026-05-01T02:05:00Z`, `…+02:00`,
 * fractional seconds allowed): ms since the epoch. Local times without an offset are refused:
 * loaders in several time zones would read them differently.
 */
export function parseStartAt(s: string): Parsed<number> {
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.exec(s.trim());
  if (!m) return no(`expected an RFC 3339 time with an offset, e.g. 2026-05-01T02:05:00Z, got ${s.trim() === '' ? 'an empty value' : quoted(s)}`);
  const [, y, mo, d, h, mi, sec] = m.map(Number);
  const ms = Date.parse(s.trim().replace(' ', 'T'));
  // Date.parse rolls over (Feb 30 → Mar 2): check the fields it read back
  const check = new Date(Date.UTC(y, mo - 1, d, h, mi, sec));
  if (!Number.isFinite(ms) || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || sec > 59) {
    return no(`not a valid time: ${quoted(s)}`);
  }
  return ok(ms);
}

/** Loader `seg`'s local slot (or ticket) `j` as a slot of the single schedule. */
export function globalSlot(j: number, seg: Segment): number {
  return j * seg.count + seg.index;
}

/** How many of the global slots 0..total-1 belong to `seg`. */
export function slotsOf(total: number, seg: Segment): number {
  return total > seg.index ? Math.ceil((total - seg.index) / seg.count) : 0;
}

/** `seg`'s share of `total` closed-loop chains: ⌊total/n⌋, one more for the first total mod n loaders. */
export function shareOf(total: number, seg: Segment): number {
  return Math.floor(total / seg.count) + (seg.index < total % seg.count ? 1 : 0);
}

/** A local write cycle (rows) of `seg` as a global cycle: blocks of `blockRows` interleave. */
export function globalCycle(cycle: number, blockRows: number, seg: Segment): number {
  if (seg.count === 1) return cycle;
  const block = Math.floor(cycle / blockRows);
  return (block * seg.count + seg.index) * blockRows + (cycle - block * blockRows);
}

/** The interleaving block of a class: the least common multiple of its ops' rows per write. */
export function blockRowsOf(rowsPerWrite: number[]): number {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  let l = 1;
  for (const r of rowsPerWrite) {
    const x = Math.max(1, Math.floor(r));
    l = (l / gcd(l, x)) * x;
  }
  return l;
}

export function segmentLabel(seg: Segment): string {
  return `${seg.index}/${seg.count}`;
}
