/**
 * A parsed YAML file that remembers where every value came from, so any later check can
 * fail with `file:line:col` for the exact key or value it is about.
 *
 * Profiles are data. The `yaml` package never executes anything, but tags are still a way
 * to smuggle intent (`!!js/function`, `!!python/object`) and aliases a way to blow up
 * memory (billion laughs), so only the YAML 1.2 core tags are accepted and aliases are
 * bounded. Merge keys (`<<: *defaults`) are allowed: they are the normal use of anchors.
 */
import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import {
  Alias, isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, Scalar, visit,
  type Document, type Node, type Pair, type YAMLMap,
} from 'yaml';
import { ProfileError, quoted } from './errors.js';
import { MAX_FILE_BYTES, MAX_NESTING } from './limits.js';
import type { SourcePos } from './types.js';

export type PathKey = string | number;
export type Path = readonly PathKey[];

/** Tags a profile may carry explicitly (`!!str 5` is fine; `!!js/function` is not). */
const CORE_TAGS = new Set([
  'tag:yaml.org,2002:str', 'tag:yaml.org,2002:int', 'tag:yaml.org,2002:float',
  'tag:yaml.org,2002:bool', 'tag:yaml.org,2002:null', 'tag:yaml.org,2002:map',
  'tag:yaml.org,2002:seq', 'tag:yaml.org,2002:merge',
]);

/** Aliases per file: generous for anchors of repeated classes, far below an alias bomb. */
const MAX_ALIASES = 64;
/** Nodes after expanding aliases: profiles are small, a bomb is not. */
const MAX_EXPANDED_NODES = 100_000;

export class YamlSource {
  readonly #lines: LineCounter;

  private constructor(
    /** The file as the user named it (relative paths stay relative), for messages. */
    readonly file: string,
    readonly text: string,
    readonly doc: Document.Parsed,
    lines: LineCounter,
    /** Plain JS value of the document (maps → objects, seqs → arrays). */
    readonly value: unknown,
  ) {
    this.#lines = lines;
  }

  /**
   * Reads and parses `file`; `shownAs` is the name used in messages. Only a regular file of
   * at most MAX_FILE_BYTES of UTF-8 text is read: a FIFO or device would block or never end,
   * and a binary or secret file named by mistake is refused without quoting its content.
   */
  static async read(absFile: string, shownAs: string, refPos?: SourcePos, what = 'file'): Promise<YamlSource> {
    const fail = (why: string): never => {
      if (refPos) throw new ProfileError(refPos, `cannot read ${what} ${quoted(shownAs)}: ${why}`);
      throw new ProfileError({ file: shownAs, line: 1, col: 1 }, `cannot read ${what}: ${why}`);
    };
    let bytes: Buffer;
    try {
      const st = await stat(absFile);
      if (st.isDirectory()) fail('is a directory');
      if (!st.isFile()) fail('not a regular file');
      if (st.size > MAX_FILE_BYTES) fail(`${sizeText(st.size)} is more than the ${sizeText(MAX_FILE_BYTES)} a ${what} may have`);
      const fh = await open(absFile, constants.O_RDONLY | constants.O_NONBLOCK);
      try {
        // the file may have grown since stat: read one byte past the limit to know
        const buf = Buffer.alloc(MAX_FILE_BYTES + 1);
        let n = 0;
        for (;;) {
          const r = await fh.read(buf, n, buf.length - n, n);
          if (r.bytesRead === 0) break;
          n += r.bytesRead;
          if (n === buf.length) break;
        }
        if (n > MAX_FILE_BYTES) fail(`more than the ${sizeText(MAX_FILE_BYTES)} a ${what} may have`);
        bytes = buf.subarray(0, n);
      } finally {
        await fh.close();
      }
    } catch (e) {
      if (e instanceof ProfileError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      fail(code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (code ?? 'read error'));
    }
    // a NUL or invalid UTF-8 is no YAML text: say so, and never echo what the file holds
    if (bytes!.includes(0)) throw new ProfileError({ file: shownAs, line: 1, col: 1 }, `not a YAML ${what}: it holds binary data (NUL bytes); its content is not shown`);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes!);
    } catch {
      throw new ProfileError({ file: shownAs, line: 1, col: 1 }, `not a YAML ${what}: it is not UTF-8 text; its content is not shown`);
    }
    return YamlSource.parse(text, shownAs);
  }

  static parse(text: string, file: string): YamlSource {
    const lines = new LineCounter();
    const at = (offset: number): SourcePos => {
      const lp = lines.linePos(offset);
      return { file, line: lp.line, col: lp.col };
    };
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const deep = tooDeep(text);
    if (deep >= 0) throw new ProfileError(posBefore(text, deep, file), `brackets nested deeper than ${MAX_NESTING}: a profile is a few levels of maps and lists`);
    let doc: Document.Parsed;
    try {
      doc = parseDocument(text, {
        lineCounter: lines, prettyErrors: false, merge: true, uniqueKeys: true, schema: 'core',
        strict: true, keepSourceTokens: false,
      });
    } catch (e) {
      // the parser recurses per level of nesting; indentation alone can still go deep
      if (e instanceof RangeError) throw new ProfileError(at(0), 'YAML nested too deeply to read');
      throw e;
    }
    const first = doc.errors[0];
    if (first) {
      const quote = first.code === 'MISSING_CHAR' ? /closing (["'])/.exec(first.message)?.[1] : undefined;
      if (quote) {
        // point at the quote that was opened, not at the end of the file where it is missed
        const open = openingQuote(text, first.pos[0], quote);
        throw new ProfileError(at(open), `YAML syntax: the ${quote} quote opened here is never closed`);
      }
      throw new ProfileError(at(first.pos[0]), `YAML syntax: ${yamlMessage(first.code, first.message)}`);
    }
    const src = new YamlSource(file, text, doc, lines, undefined);
    let value: unknown;
    try {
      src.#checkData(at);
      value = doc.toJS({ maxAliasCount: MAX_ALIASES });
    } catch (e) {
      if (e instanceof ProfileError) throw e;
      if (e instanceof RangeError) throw new ProfileError(at(0), 'YAML nested too deeply to read');
      // toJS fails only on alias abuse that #checkData did not already pin to a spot
      throw new ProfileError(at(0), `YAML: ${(e as Error).message}`);
    }
    return new YamlSource(file, text, doc, lines, value);
  }

  /** Rejects non-core tags, recursive aliases and alias bombs, each at its own position. */
  #checkData(at: (offset: number) => SourcePos): void {
    const text = this.text;
    let aliases = 0;
    const expanded = new Map<Node, number>();
    // Size of a subtree once its aliases are expanded, memoised per node so a bomb is
    // measured without being built.
    const sizeOf = (n: Node | null | undefined, depth: number): number => {
      if (!n) return 1;
      if (depth > 64) return Infinity;
      const seen = expanded.get(n);
      if (seen !== undefined) return seen;
      let size = 1;
      if (isAlias(n)) {
        const target = n.resolve(this.doc);
        size = target ? sizeOf(target as Node, depth + 1) : 1;
      } else if (isMap(n) || isSeq(n)) {
        for (const it of n.items as unknown[]) {
          if (isPair(it)) size += sizeOf(it.key as Node, depth + 1) + sizeOf(it.value as Node, depth + 1);
          else size += sizeOf(it as Node, depth + 1);
          if (size > MAX_EXPANDED_NODES) break;
        }
      }
      expanded.set(n, size);
      return size;
    };
    visit(this.doc, {
      Node: (_key, node) => {
        const n = node as Node;
        if (n.tag !== undefined && !CORE_TAGS.has(n.tag)) {
          const start = tagStart(text, n.range?.[0] ?? 0);
          throw new ProfileError(at(start),
            `tag ${quoted(shownTag(n.tag))} is not allowed: profiles are plain data (only the YAML core tags !!str, !!int, !!float, !!bool, !!null, !!map, !!seq are accepted)`);
        }
        if (isAlias(n)) {
          aliases++;
          const pos = at(n.range?.[0] ?? 0);
          if (aliases > MAX_ALIASES) throw new ProfileError(pos, `too many aliases (more than ${MAX_ALIASES}): anchors are for reuse, not for generating data`);
          const target = n.resolve(this.doc) as Node | undefined;
          if (!target) throw new ProfileError(pos, `alias '*${n.source}' names no anchor`);
          const [s, e] = [target.range?.[0] ?? 0, target.range?.[2] ?? 0];
          const a = n.range?.[0] ?? 0;
          if (a >= s && a < e) throw new ProfileError(pos, `alias '*${n.source}' refers to a node that contains it (recursive data)`);
          if (sizeOf(target, 0) > MAX_EXPANDED_NODES) {
            throw new ProfileError(pos, `alias '*${n.source}' expands to more than ${MAX_EXPANDED_NODES} nodes: anchors are for reuse, not for generating data`);
          }
        }
        return undefined;
      },
    });
  }

  /** Position of a character offset. */
  posAt(offset: number): SourcePos {
    const lp = this.#lines.linePos(offset);
    return { file: this.file, line: lp.line, col: lp.col };
  }

  /**
   * The node at `path` (aliases and merge keys followed), and the key node of its pair.
   * `found` is how many path elements resolved: a missing key points at its parent map.
   */
  locate(path: Path): { node: Node | null; key: Node | null; found: number } {
    let node: Node | null = this.doc.contents as Node | null;
    let key: Node | null = null;
    let found = 0;
    for (const p of path) {
      node = deref(this.doc, node);
      if (isMap(node)) {
        const pair = findPair(this.doc, node, String(p));
        if (!pair) break;
        key = pair.key as Node | null;
        node = (pair.value as Node | null) ?? (pair.key as Node);
      } else if (isSeq(node) && typeof p === 'number' && p >= 0 && p < node.items.length) {
        key = null;
        node = node.items[p] as Node;
      } else {
        break;
      }
      found++;
    }
    return { node, key, found };
  }

  /** Where the value at `path` starts; `which: 'key'` points at the key instead. */
  pos(path: Path, which: 'value' | 'key' = 'value'): SourcePos {
    const { node, key, found } = this.locate(path);
    const target = found === path.length && which === 'key' && key ? key : node;
    return this.posAt(target?.range?.[0] ?? 0);
  }

  /** Whether `path` exists in the document (after aliases and merges). */
  has(path: Path): boolean {
    return this.locate(path).found === path.length;
  }

  /** Throws a one-line error at the value (or key) at `path`. */
  fail(path: Path, message: string, which: 'value' | 'key' = 'value'): never {
    throw new ProfileError(this.pos(path, which), message);
  }

  /**
   * Position of character `offset` inside the string value at `path`: exact for plain,
   * simply quoted and block (`|`) scalars, the scalar's start otherwise.
   */
  posInString(path: Path, offset: number): SourcePos {
    const { node, found } = this.locate(path);
    if (found !== path.length || !isScalar(node) || !node.range) return this.pos(path);
    const [start, end] = node.range;
    const type = (node as Scalar).type;
    const raw = this.text.slice(start, end);
    const value = String(node.value);
    if (type === Scalar.PLAIN && !raw.includes('\n')) return this.posAt(start + Math.min(offset, raw.length));
    if ((type === Scalar.QUOTE_SINGLE || type === Scalar.QUOTE_DOUBLE) && !raw.includes('\n') && raw.length === value.length + 2) {
      return this.posAt(start + 1 + offset);
    }
    if (type === Scalar.BLOCK_LITERAL) {
      // value line i is source line (header + 1 + i), indented by the block's indentation
      const before = value.slice(0, offset);
      const lineInValue = before.split('\n').length - 1;
      const colInLine = offset - (before.lastIndexOf('\n') + 1);
      const headerEnd = this.text.indexOf('\n', start);
      if (headerEnd < 0) return this.posAt(start);
      let lineStart = headerEnd + 1;
      for (let i = 0; i < lineInValue; i++) {
        const nl = this.text.indexOf('\n', lineStart);
        if (nl < 0) return this.posAt(start);
        lineStart = nl + 1;
      }
      // indentation: leading spaces of the first non-empty content line
      const firstLine = /^( *)\S/m.exec(this.text.slice(headerEnd + 1, end));
      const indent = firstLine ? firstLine[1].length : 0;
      return this.posAt(lineStart + indent + colInLine);
    }
    return this.posAt(start);
  }
}

/** Position of an offset by counting lines (the LineCounter is only filled by the parser). */
function posBefore(text: string, offset: number, file: string): SourcePos {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { file, line, col: offset - lineStart + 1 };
}

function sizeText(bytes: number): string {
  const MiB = 1024 * 1024;
  if (bytes % MiB === 0) return `${bytes / MiB} MiB`;
  return bytes >= MiB ? `${(bytes / MiB).toFixed(1)} MiB (${bytes} bytes)` : `${bytes} bytes`;
}

/**
 * Offset of the first `[` or `{` nested deeper than MAX_NESTING, else -1: a cheap check
 * before the recursive parser runs. Quotes and comments are not skipped (a profile has no
 * dozens of open brackets in its strings); whatever still gets too deep for the stack is
 * caught as a RangeError around the parser.
 */
function tooDeep(text: string): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_NESTING) return i;
    } else if ((c === 0x5d || c === 0x7d) && depth > 0) depth--;
  }
  return -1;
}

function yamlMessage(code: string, message: string): string {
  const first = message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  switch (code) {
    case 'DUPLICATE_KEY': return 'duplicate key (map keys must be unique)';
    case 'MULTIPLE_DOCS': return 'more than one YAML document (--- separator); a profile is one document';
    default: return first.charAt(0).toLowerCase() + first.slice(1);
  }
}

/** The last quote before `end` that starts a scalar (after `: `, `- `, `[`, `{`, `,` or a line start). */
function openingQuote(text: string, end: number, quote: string): number {
  for (let i = Math.min(end, text.length - 1); i >= 0; i--) {
    if (text[i] !== quote) continue;
    let j = i - 1;
    while (j >= 0 && (text[j] === ' ' || text[j] === '\t')) j--;
    if (j < 0 || '\n:-[{,?'.includes(text[j])) return i;
  }
  return end;
}

function shownTag(tag: string): string {
  return tag.startsWith('tag:yaml.org,2002:') ? `!!${tag.slice('tag:yaml.org,2002:'.length)}` : tag;
}

/** Where the tag (`!foo`/`!!js/x`) written before a node starts, else the node's start. */
function tagStart(text: string, nodeStart: number): number {
  let i = nodeStart - 1;
  let best = nodeStart;
  // walk back over whitespace and property tokens (tags and anchors) preceding the node
  for (;;) {
    while (i >= 0 && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i--;
    if (i < 0) break;
    let j = i;
    while (j >= 0 && !/\s/.test(text[j])) j--;
    const tok = text.slice(j + 1, i + 1);
    if (tok.startsWith('!')) { best = j + 1; i = j; continue; }
    if (tok.startsWith('&')) { i = j; continue; }
    break;
  }
  return best;
}

function deref(doc: Document.Parsed, n: Node | null): Node | null {
  let cur = n;
  for (let i = 0; i < 16 && cur && isAlias(cur); i++) cur = (cur as Alias).resolve(doc) as Node | null;
  return cur;
}

/** The pair for `key` in `map`, looking in `<<` merge sources after the map's own keys. */
function findPair(doc: Document.Parsed, map: YAMLMap, key: string, depth = 0): Pair | undefined {
  const merges: Node[] = [];
  for (const it of map.items as Pair[]) {
    const k = isScalar(it.key) ? String(it.key.value) : undefined;
    if (k === '<<' && (it.key as Node).tag !== 'tag:yaml.org,2002:str') {
      const v = it.value as Node | null;
      if (isSeq(v)) merges.push(...(v.items as Node[]));
      else if (v) merges.push(v);
      continue;
    }
    if (k === key) return it;
  }
  if (depth > 8) return undefined;
  for (const m of merges) {
    const target = deref(doc, m);
    if (isMap(target)) {
      const p = findPair(doc, target, key, depth + 1);
      if (p) return p;
    }
  }
  return undefined;
}
