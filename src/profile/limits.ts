/**
 * The limits on what a profile may ask for, each defined here once and checked by the
 * loader for the file and the flags alike (the CLI only adds the flag's name).
 */
import { availableParallelism } from 'node:os';
import type { Parsed } from './units.js';

/** Profile and workload files are read only up to this size: profiles are small, a mistake is not. */
export const MAX_FILE_BYTES = 1024 * 1024;

/** Brackets `[` `{` deeper than this in a file are refused before the YAML parser recurses into them. */
export const MAX_NESTING = 64;

/**
 * Worker threads per core allowed without an explicit override. Each worker is a thread
 * with its own heap, connections and timers: past a few per core they only compete for the
 * cores (1000 workers on 2 cores ran 228 s and peaked at 11 GB before failing).
 */
export const WORKERS_PER_CORE = 4;

/** The largest worker count allowed: `override` (`--max-workers`), else WORKERS_PER_CORE × cores. */
export function workerLimit(override?: number, cores = availableParallelism()): number {
  return override ?? WORKERS_PER_CORE * cores;
}

/** Checks a worker count against the limit; the message says how to raise it. */
export function checkWorkers(n: number, override?: number, cores = availableParallelism()): Parsed<number> {
  if (!Number.isSafeInteger(n) || n < 1) return { ok: false, message: `expected a whole number of workers ≥ 1, got ${n}` };
  const limit = workerLimit(override, cores);
  if (n > limit) {
    const why = override !== undefined
      ? `above --max-workers ${override}`
      : `above the limit of ${limit} (${WORKERS_PER_CORE} per core × ${cores} cores); more threads only compete for the cores — pass --max-workers ${n} to allow it`;
    return { ok: false, message: `${n} workers is ${why}` };
  }
  return { ok: true, value: n };
}
