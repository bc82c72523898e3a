/**
 * What `report` reads: each argument is a result directory or a JSON file, recognised by what it
 * holds (a result@1 `result.json`, an `ab.json` with its round result directories). Run results
 * are read through `readResult()` (src/results/read.ts), the validation `compare` and `gate` use;
 * ab.json, which it does not cover, is checked here (validate.ts). Every failure is one
 * ReportInputError naming the file (and the line:col of broken JSON, or the field that is wrong).
 *
 * A capacity.json brings the sweep's result.json (next to it, else where it says it was written);
 * a --history directory is its capacity-history.jsonl (results/capacity.ts historyEntrySchema,
 * checked line by line) and, per series, the last night's capacity.json when it can be found.
 *
 * To add a kind: add a member to ReportInput, recognise it in `classify` (and DIR_FILES for a
 * directory), and give it a section (index.ts).
 */
import { readdirSync, readFileSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { CAPACITY_SCHEMA, historyEntrySchema, type HistoryEntry } from '../results/capacity.js';
import { readResult, ResultReadError, type LoadedResult } from '../results/read.js';
import { RESULT_SCHEMA, type RunResult } from '../results/result.js';
import { abShape, capacityShape, firstIssue } from './validate.js';

/** A run result as the report draws it. */
export type RunData = RunResult;
export type AbData = z.infer<typeof abShape>;
export type CapacityData = z.infer<typeof capacityShape>;

export interface RunInput {
  kind: 'run'; file: string; result: RunData; loaded: LoadedResult;
  /** A history's night: the commit `run --history` recorded for it (DIR/run-history.jsonl); undefined when not recorded. */
  gitSha?: string | null;
}

export interface AbRoundInput { variant: string; round: number; file: string; result: RunData; loaded: LoadedResult }

export interface AbInput { kind: 'ab'; file: string; ab: AbData; rounds: AbRoundInput[] }

export interface CapacityInput {
  kind: 'capacity';
  file: string;
  capacity: CapacityData;
  /** The sweep's result.json (every step's warmup and measure phase); absent when it cannot be found. */
  sweep: RunInput | null;
  /** Where the sweep was looked for, when it was not found. */
  sweepMissing: string | null;
}

export interface HistoryInput {
  kind: 'history';
  /** DIR/capacity-history.jsonl (or DIR when it has run results only) */
  file: string;
  dir: string;
  /** The capacity nights (none when DIR holds run results only). */
  entries: HistoryEntry[];
  /** Run results kept in DIR (DIR/<run>/ or DIR/<any>/<run>/, capacity sweeps excepted): p99 at a fixed rate over nights. */
  runs: RunInput[];
  /** Per series key (seriesKey), its last night's capacity.json when found. */
  lastNights: Map<string, CapacityInput>;
}

export type ReportInput = RunInput | AbInput | CapacityInput | HistoryInput;

/** Bad input: one line for the user, naming the file. */
export class ReportInputError extends Error {
  override name = 'ReportInputError';
}

/** The files a directory can stand for, in the order they are looked for. */
const DIR_FILES = ['capacity.json', 'result.json', 'ab.json'];

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

const isFile = (p: string): boolean => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
};

/** The sweep's result.json: next to capacity.json first (the directory may have moved), else as recorded. */
function capacityInput(file: string, capacity: CapacityData): CapacityInput {
  const near = path.join(path.dirname(file), 'result.json');
  const recorded = path.join(capacity.resultDir, 'result.json');
  const found = [near, recorded].find(isFile);
  if (!found) return { kind: 'capacity', file, capacity, sweep: null, sweepMissing: near === recorded ? near : `${near} or ${recorded}` };
  const loaded = loadRun(found);
  return { kind: 'capacity', file, capacity, sweep: { kind: 'run', file: found, result: loaded.result, loaded }, sweepMissing: null };
}

function classify(file: string, json: unknown): ReportInput {
  const o = (json && typeof json === 'object' && !Array.isArray(json) ? json : {}) as Record<string, unknown>;
  if (o.schema === RESULT_SCHEMA) {
    const loaded = loadRun(file);
    return { kind: 'run', file, result: loaded.result, loaded };
  }
  if (o.schema === CAPACITY_SCHEMA) {
    const r = capacityShape.safeParse(json);
    if (!r.success) throw new ReportInputError(`${file}: not a valid capacity.json: ${firstIssue(r.error)}`);
    return capacityInput(file, r.data);
  }
  if (typeof o.schema === 'string' && o.schema.startsWith('scylla-bench/')) {
    throw new ReportInputError(`${file}: schema '${o.schema}' is not one report reads (${RESULT_SCHEMA}, ${CAPACITY_SCHEMA}, ab.json)`);
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
  throw new ReportInputError(`${file}: not a scylla-bench result.json, capacity.json or ab.json`);
}

/** Reads one argument: a result directory, result.json, capacity.json or ab.json. */
export function readInput(arg: string): ReportInput {
  const st = statOf(arg);
  const file = st.isDirectory() ? dirEntry(arg) : arg;
  return classify(file, readJson(file));
}

export const HISTORY_FILE = 'capacity-history.jsonl';

/** One line per (profile, class, SLO): the nights of one question. */
export function seriesKey(e: Pick<HistoryEntry, 'profile' | 'class' | 'slo'>): string {
  return `${e.profile} · class ${e.class} · ${e.slo.metric.replace('Ms', '')} ≤ ${e.slo.limitMs} ms`;
}

/**
 * A night's capacity.json: where the history line says its results are, else a directory of the
 * same name in the history directory or one level below it (a history kept with its results and
 * moved, or restored from a CI artifact elsewhere).
 */
function nightFile(dir: string, resultDir: string): string | undefined {
  const base = path.basename(resultDir);
  const candidates = [path.join(resultDir, 'capacity.json'), path.join(dir, base, 'capacity.json')];
  try {
    for (const d of readdirSync(dir, { withFileTypes: true })) if (d.isDirectory()) candidates.push(path.join(dir, d.name, base, 'capacity.json'));
  } catch { /* the directory was read already: nothing more to find */ }
  return candidates.find(isFile);
}

/**
 * `--history DIR`: DIR/capacity-history.jsonl, every line checked (broken JSON at file:line:col,
 * a line that is not a history entry at file:line with the field), and each series' last night.
 */
/** Run result directories in DIR and one level below, not capacity sweeps (their steps are not nights at one rate). */
function historyRuns(dir: string): RunInput[] {
  const dirs: string[] = [];
  const sub = (d: string): string[] => {
    try {
      return readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => path.join(d, e.name)).sort();
    } catch {
      return [];
    }
  };
  for (const d of sub(dir)) dirs.push(d, ...sub(d));
  const shas = runHistoryShas(dir);
  return dirs
    .filter((d) => isFile(path.join(d, 'result.json')) && !isFile(path.join(d, 'capacity.json')))
    .map((d) => {
      const file = path.join(d, 'result.json');
      const loaded = loadRun(file);
      return { kind: 'run' as const, file, result: loaded.result, loaded, gitSha: shas.get(loaded.result.runId) };
    });
}

/** runId → git sha from DIR/run-history.jsonl (`run --history DIR`), each line checked. */
function runHistoryShas(dir: string): Map<string, string | null> {
  const file = path.join(dir, 'run-history.jsonl');
  const out = new Map<string, string | null>();
  if (!isFile(file)) return out;
  readFileSync(file, 'utf8').split('\n').forEach((l, i) => {
    if (!l.trim()) return;
    let v: unknown;
    try {
      v = JSON.parse(l);
    } catch {
      throw new ReportInputError(`${file}:${i + 1}: not a JSON line`);
    }
    const e = v as { runId?: unknown; gitSha?: unknown };
    if (typeof e?.runId !== 'string' || !(typeof e.gitSha === 'string' || e.gitSha === null)) throw new ReportInputError(`${file}:${i + 1}: not a run history line (runId, gitSha)`);
    out.set(e.runId, e.gitSha);
  });
  return out;
}

export function readHistoryInput(dir: string): HistoryInput {
  let st: Stats;
  try {
    st = statOf(dir);
  } catch (e) {
    throw new ReportInputError(`--history ${(e as Error).message}`);
  }
  if (!st.isDirectory()) throw new ReportInputError(`--history ${dir}: not a directory`);
  const file = path.join(dir, HISTORY_FILE);
  const runs = historyRuns(dir);
  if (!isFile(file)) {
    if (runs.length > 0) return { kind: 'history', file: dir, dir, entries: [], runs, lastNights: new Map() };
    throw new ReportInputError(`--history ${dir}: no ${HISTORY_FILE} in this directory (capacity --history ${dir} writes it), nor run results`);
  }
  const entries: HistoryEntry[] = [];
  readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      const { offset, reason } = jsonError(line);
      throw new ReportInputError(`${file}:${i + 1}:${offset + 1}: invalid JSON: ${reason}`);
    }
    const r = historyEntrySchema.safeParse(v);
    if (!r.success) throw new ReportInputError(`${file}:${i + 1}: not a capacity history entry: ${firstIssue(r.error)}`);
    entries.push(r.data);
  });
  if (entries.length === 0 && runs.length === 0) throw new ReportInputError(`${file}: no nights in it yet`);
  const lastNights = new Map<string, CapacityInput>();
  const last = new Map<string, HistoryEntry>();
  for (const e of entries) last.set(seriesKey(e), e);
  for (const [key, e] of last) {
    const f = nightFile(dir, e.resultDir);
    if (!f) continue;
    const night = classify(f, readJson(f));
    if (night.kind === 'capacity') lastNights.set(key, night);
  }
  return { kind: 'history', file, dir, entries, runs, lastNights };
}
