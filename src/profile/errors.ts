/**
 * Errors about profile and workload files and the flags that override them. Every one
 * renders as ONE line — `file:line:col: message` for a file, `--flag: message` for a flag —
 * so editors and CI annotate the spot. This room only says what is wrong; the CLI decides
 * the exit code (src/cli/exit.ts) and prints the line without a stack trace.
 */
import type { SourcePos } from './types.js';

/** Anything wrong with what the user wrote: a file (ProfileError) or a flag (FlagError). */
export abstract class InputError extends Error {
  /** The message without the position or flag prefix. */
  abstract readonly detail: string;
}

/** A problem at a spot of a profile or workload file. */
export class ProfileError extends InputError {
  override name = 'ProfileError';
  readonly detail: string;

  constructor(readonly pos: SourcePos, detail: string) {
    const oneLine = printable(detail.replace(/\s*\n\s*/g, ' ').trim());
    super(`${printable(pos.file)}:${pos.line}:${pos.col}: ${oneLine}`);
    this.detail = oneLine;
  }
}

/** A bad flag value (`--duration`, `--workers`, `--target`, ...), named in the message. */
export class FlagError extends InputError {
  override name = 'FlagError';
  readonly detail: string;

  constructor(readonly flag: string, detail: string) {
    const oneLine = printable(detail.replace(/\s*\n\s*/g, ' ').trim());
    super(`${flag}: ${oneLine}`);
    this.detail = oneLine;
  }
}

/** How many characters of a user's value a message quotes. */
export const QUOTE_MAX_CHARS = 40;

/**
 * A value from a file or a flag as a message shows it: in single quotes, at most
 * QUOTE_MAX_CHARS characters, every control or invisible formatting character escaped.
 * A profile is untrusted text: an ESC or NUL echoed raw can rewrite the user's terminal.
 */
export function quoted(value: unknown, max = QUOTE_MAX_CHARS): string {
  const s = String(value);
  const chars = [...s];
  const cut = chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : s;
  return `'${escapeControls(cut).replace(/'/g, "\\'")}'`;
}

/** The text with control and invisible formatting characters escaped (`\x1b`, `\0`, `\u202e`). */
export function printable(s: string): string {
  return escapeControls(s);
}

// C0 and C1 controls, DEL, and the invisible formatting characters that reorder or hide
// text on a terminal (bidi overrides, zero-width, line/paragraph separators, BOM)
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

function escapeControls(s: string): string {
  return s.replace(CONTROL, (c) => {
    switch (c) {
      case '\0': return '\\0';
      case '\n': return '\\n';
      case '\r': return '\\r';
      case '\t': return '\\t';
      default: {
        const code = c.charCodeAt(0);
        return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
      }
    }
  });
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
  // a long word is no typo of a short name, and its distance is quadratic to compute
  if (word.length > 64) return undefined;
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
  if (c !== undefined) return `did you mean ${quoted(c)}?`;
  if (candidates.length === 0) return 'none are defined';
  const shown = candidates.length > 12 ? [...candidates.slice(0, 12), '...'] : candidates;
  return `expected ${noun}: ${shown.map((s) => (s === '...' ? s : printable(s))).join(', ')}`;
}
