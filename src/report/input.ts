/**
 * What `report` reads: each argument is a result directory or a JSON file, recognised by what it
 * holds (a result@1 `result.json`, an `ab.json` with its round result directories). Run results
 * are read through `readResult()` (src/results/read.ts), the validation `compare` and `gate` use;
 * ab.json, which it does not cover, is checked here (validate.ts). Every failure is one
 * ReportInputError naming the file (and the line:col of broken JSON, or the field that is wrong).
 *
 * To add a kind (capacity.json, a --history directory, …): add a member to ReportInput, recognise
 * it in `classify` (and DIR_FILES for a directory), and give it a section (index.ts).
 */
import { readFileSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { readResult, ResultReadError, type LoadedResult } from '../results/read.js';
import { RESULT_SCHEMA, type RunResult } from '../results/result.js';
import { abShape, firstIssue } from './validate.js';

/** A run result as the report draws it. */
export type RunData = RunResult;
export type AbData = z.infer<typeof abShape>;

export interface RunInput { kind: 'run'; file: string; result: RunData; loaded: LoadedResult }

export interface AbRoundInput { variant: string; round: number; file: string; result: RunData; loaded: LoadedResult }

export interface AbInput { kind: 'ab'; file: string; ab: AbData; rounds: AbRoundInput[] }

export type ReportInput = RunInput | AbInput;

/** Bad input: one line for the user, naming the file. */
export class ReportInputError extends Error {
  override name = 'ReportInputError';
}

/** The files a directory can stand for, in the order they are looked for. */
const DIR_FILES = ['result.json', 'ab.json'];

function statOf(p: string): Stats {
  try {
    return statSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ReportInputError(`${p}: ${code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
  }
}

function dirEntry(dir: string): string {
  for (const f of DIR_FILES) {
    const p = path.join(dir, f);
    try {
      if (statSync(p).isFile()) return p;
    } catch { /* look for the next kind */ }
  }
  throw new ReportInputError(`${dir}: no ${DIR_FILES.join(' or ')} in this directory`);
}

/** JSON.parse with the failure placed at file:line:col. */
export function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ReportInputError(`${file}: ${code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    const { offset, reason } = jsonError(text);
    const before = text.slice(0, offset).split('\n');
    throw new ReportInputError(`${file}:${before.length}:${before[before.length - 1].length + 1}: invalid JSON: ${reason}`);
  }
}

/**
 * Where JSON text first goes wrong (V8's message gives no position for most errors): a scan that
 * only skips over values, run after JSON.parse has failed.
 */
export function jsonError(text: string): { offset: number; reason: string } {
  let i = 0;
  class Bad extends Error {}
  const fail = (reason: string): never => { throw Object.assign(new Bad(reason), { at: i }); };
  const ws = (): void => { while (i < text.length && ' \t\n\r'.includes(text[i])) i++; };
  const lit = (word: string): void => { if (text.startsWith(word, i)) i += word.length; else fail(i < text.length ? `unexpected '${text[i]}'` : 'unexpected end'); };
  const str = (): void => {
    i++;
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const c = text[i];
      if (c === '"') { i++; return; }
      if (c < ' ') fail('control character in string');
      if (c === '\\') {
        const e = text[i + 1];
        if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
        else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else { i++; fail('bad escape in string'); }
      } else i++;
    }
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === undefined) fail('unexpected end');
    if (c === '{') {
      i++; ws();
      if (text[i] === '}') { i++; return; }
      for (;;) {
        ws();
        if (text[i] !== '"') fail(i < text.length ? `expected a property name, found '${text[i]}'` : 'unexpected end');
        str(); ws();
        if (text[i] !== ':') fail(`expected ':'`);
        i++; value(); ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return; }
        fail(i < text.length ? `expected ',' or '}', found '${text[i]}'` : 'unexpected end');
      }
    }
    if (c === '[') {
      i++; ws();
      if (text[i] === ']') { i++; return; }
      for (;;) {
        value(); ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return; }
        fail(i < text.length ? `expected ',' or ']', found '${text[i]}'` : 'unexpected end');
      }
    }
    if (c === '"') return str();
    if (c === 't') return lit('true');
    if (c === 'f') return lit('false');
    if (c === 'n') return lit('null');
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 64));
    if (!m || m[0] === '' || m[0] === '-') fail(`unexpected '${c}'`);
    i += m![0].length;
  };
  try {
    value(); ws();
    if (i < text.length) fail(`unexpected '${text[i]}' after the value`);
    return { offset: text.length, reason: 'not JSON' };
  } catch (e) {
    if (!(e instanceof Bad)) throw e;
    return { offset: (e as Bad & { at: number }).at, reason: e.message };
  }
}

/** A run result through readResult (after readJson placed any syntax error at its line:col). */
export function loadRun(file: string): LoadedResult {
  readJson(file);
  try {
    return readResult(file);
  } catch (e) {
    if (e instanceof ResultReadError) throw new ReportInputError(e.message);
    throw e;
  }
}

/** A round's directory: next to ab.json first (the ab directory may have moved), else as recorded. */
function roundFile(abFile: string, recorded: string): string {
  const near = path.join(path.dirname(abFile), path.basename(recorded), 'result.json');
  try {
    if (statSync(near).isFile()) return near;
  } catch { /* fall back to the recorded path */ }
  return path.join(recorded, 'result.json');
}

function classify(file: string, json: unknown): ReportInput {
  const o = (json && typeof json === 'object' && !Array.isArray(json) ? json : {}) as Record<string, unknown>;
  if (o.schema === RESULT_SCHEMA) {
    const loaded = loadRun(file);
    return { kind: 'run', file, result: loaded.result, loaded };
  }
  if (typeof o.schema === 'string' && o.schema.startsWith('scylla-bench/')) {
    throw new ReportInputError(`${file}: schema '${o.schema}' is not one report reads (${RESULT_SCHEMA}, ab.json)`);
  }
  if ('variants' in o && 'gain' in o && 'vary' in o) {
    const r = abShape.safeParse(json);
    if (!r.success) throw new ReportInputError(`${file}: not a valid ab.json: ${firstIssue(r.error)}`);
    const rounds: AbRoundInput[] = [];
    for (const [variant, v] of Object.entries(r.data.variants)) {
      for (const rd of v.rounds) {
        const f = roundFile(file, rd.resultDir);
        const loaded = loadRun(f);
        rounds.push({ variant, round: rd.round, file: f, result: loaded.result, loaded });
      }
    }
    return { kind: 'ab', file, ab: r.data, rounds };
  }
  throw new ReportInputError(`${file}: not a scylla-bench result.json or ab.json`);
}

/** Reads one argument: a result directory, result.json or ab.json. */
export function readInput(arg: string): ReportInput {
  const st = statOf(arg);
  const file = st.isDirectory() ? dirEntry(arg) : arg;
  return classify(file, readJson(file));
}
