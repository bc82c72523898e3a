/**
 * Errors about profile and workload files. Every one renders as ONE line,
 * `file:line:col: message`, so editors and CI annotate the spot; the CLI prints
 * `UserError`s without a stack trace and exits 2.
 */
import { UserError } from '../cli/exit.js';
import type { SourcePos } from './types.js';

export class ProfileError extends UserError {
  override name = 'ProfileError';
  /** The message without the position prefix. */
  readonly detail: string;

  constructor(readonly pos: SourcePos, detail: string) {
    const oneLine = detail.replace(/\s*\n\s*/g, ' ').trim();
    super(`${pos.file}:${pos.line}:${pos.col}: ${oneLine}`);
    this.detail = oneLine;
  }
}

/** Levenshtein distance (insert, delete, substitute; all cost 1). */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let prev = new Array<number>(b.length + 1);
  let cur = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const sub = prev[j - 1] + (a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1);
      cur[j] = Math.min(sub, prev[j] + 1, cur[j - 1] + 1);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length];
}

/**
 * The closest candidate when it is close enough to be a plausible typo: at most a third of
 * the word's length (min 2) away. Case and `-`/`_` differences count as near misses.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[-_]/g, '');
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = norm(c) === norm(word) ? 0.5 : editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) { bestD = d; best = c; }
  }
  const limit = Math.max(2, Math.floor(word.length / 3));
  return bestD <= limit ? best : undefined;
}

/** "did you mean 'x'?" when something is close, else the list of what is allowed. */
export function suggestion(word: string, candidates: readonly string[], noun = 'one of'): string {
  const c = closest(word, candidates);
  if (c !== undefined) return `did you mean '${c}'?`;
  if (candidates.length === 0) return 'none are defined';
  const shown = candidates.length > 12 ? [...candidates.slice(0, 12), '...'] : candidates;
  return `expected ${noun}: ${shown.join(', ')}`;
}
