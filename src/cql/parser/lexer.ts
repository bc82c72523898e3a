/**
 * CQL lexer: turns statement text into tokens with line:column positions, so parse errors can
 * say where they are (`line 1:14 ...`, as Scylla's ANTLR messages do).
 *
 * Unquoted identifiers and keywords are case-insensitive (folded to lower case in `value`);
 * quoted identifiers keep their case. Duration literals (`2000ms`, `1h30m`) and UUID literals
 * (unquoted `8-4-4-4-12` hex) are single tokens, because splitting them would make `USING
 * TIMEOUT 2000ms` and `WHERE id = 5b6962dd-...` ambiguous.
 */

export type TokenKind =
  | 'ident' // unquoted identifier or keyword; value lower-cased
  | 'qident' // "quoted identifier"; value as written (quotes removed, "" unescaped)
  | 'string' // 'text' or $$text$$; value unescaped
  | 'integer'
  | 'float'
  | 'hex' // 0x...; value without the 0x
  | 'uuid'
  | 'duration'
  | 'punct' // one of ( ) , ; . * = < > <= >= != ? : [ ] { } + -
  | 'eof';

export interface Token {
  kind: TokenKind;
  value: string;
  /** The exact source text of the token (for messages). */
  text: string;
  offset: number;
  line: number;
  col: number;
}

/** A statement that does not parse; the message follows Scylla's `line L:C ...` form. */
export class CqlSyntaxError extends Error {
  override name = 'CqlSyntaxError';
  constructor(message: string, readonly line = 0, readonly col = 0) {
    super(message);
  }
}

/**
 * A statement the parser recognises but this code base does not implement. Scylla would
 * accept it; we answer Syntax_error with this message so the user knows what is missing.
 */
export class UnsupportedStatementError extends CqlSyntaxError {
  override name = 'UnsupportedStatementError';
}

const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/;
// CQL duration units, longest first so `ms` wins over `m`, `us`/`µs` over `u`
const DURATION_RE = /^(?:\d+(?:y|mo|w|d|h|ms|m|us|µs|ns|s))+/i;
const ISO_DURATION_RE = /^P(?=\w*\d)(?:\d+Y)?(?:\d+M)?(?:\d+W)?(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?(?:\d+S)?)?$/i;

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isHex(c: number): boolean {
  return isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const n = src.length;

  const push = (kind: TokenKind, value: string, start: number, startLine: number, startCol: number): void => {
    out.push({ kind, value, text: src.slice(start, i), offset: start, line: startLine, col: startCol });
  };

  while (i < n) {
    const c = src.charCodeAt(i);
    // whitespace
    if (c === 10) { i++; line++; lineStart = i; continue; }
    if (c === 32 || c === 9 || c === 13) { i++; continue; }
    // comments: -- and // to end of line, /* ... */
    if ((c === 45 && src.charCodeAt(i + 1) === 45) || (c === 47 && src.charCodeAt(i + 1) === 47)) {
      while (i < n && src.charCodeAt(i) !== 10) i++;
      continue;
    }
    if (c === 47 && src.charCodeAt(i + 1) === 42) {
      const end = src.indexOf('*/', i + 2);
      if (end < 0) throw new CqlSyntaxError(`line ${line}:${i - lineStart} unterminated comment`, line, i - lineStart);
      for (let j = i; j < end; j++) if (src.charCodeAt(j) === 10) { line++; lineStart = j + 1; }
      i = end + 2;
      continue;
    }
    const start = i;
    const col = i - lineStart;
    const startLine = line;

    // UUID literal (may start with a digit or a letter)
    if (isHex(c)) {
      const m = UUID_RE.exec(src.slice(i, i + 36));
      if (m && !isIdentPart(src.charCodeAt(i + 36) || 0)) {
        i += 36;
        push('uuid', m[0].toLowerCase(), start, startLine, col);
        continue;
      }
    }
    if (isIdentStart(c)) {
      while (i < n && isIdentPart(src.charCodeAt(i))) i++;
      const word = src.slice(start, i);
      // ISO 8601 durations (P1DT2H, PT30S) are duration literals in CQL's lexer too
      push(ISO_DURATION_RE.test(word) ? 'duration' : 'ident', word.toLowerCase(), start, startLine, col);
      continue;
    }
    if (isDigit(c)) {
      // hex blob
      if (c === 48 && (src.charCodeAt(i + 1) === 120 || src.charCodeAt(i + 1) === 88)) {
        i += 2;
        while (i < n && isHex(src.charCodeAt(i))) i++;
        push('hex', src.slice(start + 2, i).toLowerCase(), start, startLine, col);
        continue;
      }
      const dm = DURATION_RE.exec(src.slice(i, i + 64));
      if (dm && !isIdentPart(src.charCodeAt(i + dm[0].length) || 0) && /[a-zµ]/i.test(dm[0])) {
        i += dm[0].length;
        push('duration', dm[0].toLowerCase(), start, startLine, col);
        continue;
      }
      while (i < n && isDigit(src.charCodeAt(i))) i++;
      let kind: TokenKind = 'integer';
      if (src.charCodeAt(i) === 46 && isDigit(src.charCodeAt(i + 1) || 0)) {
        kind = 'float';
        i++;
        while (i < n && isDigit(src.charCodeAt(i))) i++;
      }
      const e = src.charCodeAt(i);
      if (e === 101 || e === 69) {
        let j = i + 1;
        if (src.charCodeAt(j) === 43 || src.charCodeAt(j) === 45) j++;
        if (isDigit(src.charCodeAt(j) || 0)) {
          kind = 'float';
          i = j;
          while (i < n && isDigit(src.charCodeAt(i))) i++;
        }
      }
      if (i < n && isIdentStart(src.charCodeAt(i))) {
        throw new CqlSyntaxError(`line ${startLine}:${col} invalid number or duration '${src.slice(start, i + 1)}'`, startLine, col);
      }
      push(kind, src.slice(start, i), start, startLine, col);
      continue;
    }
    // 'string' with '' escape
    if (c === 39) {
      let s = '';
      i++;
      for (;;) {
        if (i >= n) throw new CqlSyntaxError(`line ${startLine}:${col} unterminated string literal`, startLine, col);
        const ch = src.charCodeAt(i);
        if (ch === 39) {
          if (src.charCodeAt(i + 1) === 39) { s += "'"; i += 2; continue; }
          i++;
          break;
        }
        if (ch === 10) { line++; lineStart = i + 1; }
        s += src[i];
        i++;
      }
      push('string', s, start, startLine, col);
      continue;
    }
    // $$ string $$
    if (c === 36 && src.charCodeAt(i + 1) === 36) {
      const end = src.indexOf('$$', i + 2);
      if (end < 0) throw new CqlSyntaxError(`line ${startLine}:${col} unterminated $$ string`, startLine, col);
      const s = src.slice(i + 2, end);
      for (let j = i; j < end; j++) if (src.charCodeAt(j) === 10) { line++; lineStart = j + 1; }
      i = end + 2;
      push('string', s, start, startLine, col);
      continue;
    }
    // "quoted identifier" with "" escape
    if (c === 34) {
      let s = '';
      i++;
      for (;;) {
        if (i >= n) throw new CqlSyntaxError(`line ${startLine}:${col} unterminated quoted identifier`, startLine, col);
        const ch = src.charCodeAt(i);
        if (ch === 34) {
          if (src.charCodeAt(i + 1) === 34) { s += '"'; i += 2; continue; }
          i++;
          break;
        }
        s += src[i];
        i++;
      }
      if (s === '') throw new CqlSyntaxError(`line ${startLine}:${col} empty quoted identifier`, startLine, col);
      push('qident', s, start, startLine, col);
      continue;
    }
    // punctuation
    const two = src.slice(i, i + 2);
    if (two === '<=' || two === '>=' || two === '!=') {
      i += 2;
      push('punct', two, start, startLine, col);
      continue;
    }
    if ('(),;.*=<>?:[]{}+-'.includes(src[i])) {
      i++;
      push('punct', src[start], start, startLine, col);
      continue;
    }
    throw new CqlSyntaxError(`line ${startLine}:${col} unexpected character '${src[i]}'`, startLine, col);
  }
  out.push({ kind: 'eof', value: '', text: '<EOF>', offset: n, line, col: n - lineStart });
  return out;
}
