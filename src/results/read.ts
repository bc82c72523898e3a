/**
 * Reading a run's results back: `readResult(dirOrFile)` validates result.json against the zod
 * schema (schema.ts, the source of docs/schemas/result.schema.json) and gives lazy access to the
 * per-second histograms of each class (`<class>.hlog` beside it). `compare`, `gate` and later
 * reports all read through here, so a bad input is reported the same way everywhere: one
 * `ResultReadError` line naming the file.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { RunResult } from './result.js';
import { profileHash } from './profile-hash.js';
import { RESULT_SCHEMA_ID, resultSchema } from './schema.js';
import { parseHlog, type IntervalCounts } from './series.js';

/** A result that cannot be read: the message is one line naming the file (or directory). */
export class ResultReadError extends Error {
  override name = 'ResultReadError';
}

export interface LoadedResult {
  /** The path the user gave. */
  source: string;
  /** The directory holding result.json (and the .hlog files). */
  dir: string;
  /** The result.json path. */
  file: string;
  result: RunResult;
  /** The profile hash recorded in result.json, or computed from the embedded profile. */
  profileHash: string;
  /** True when result.json carried profileHash itself. */
  profileHashRecorded: boolean;
  /** Per-second histograms of a class by tag (`<phase>.<op>.<response|service>`); null without `<class>.hlog`. */
  hlog(cls: string): Map<string, IntervalCounts[]> | null;
}

function firstIssue(e: { issues: { path: PropertyKey[]; message: string }[] }): string {
  const i = e.issues[0];
  const where = i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
  return `${where || '(top level)'}: ${i.message}`;
}

/** Reads and validates `<dir>/result.json` (or the named .json file). Throws ResultReadError. */
export function readResult(source: string): LoadedResult {
  if (!existsSync(source)) throw new ResultReadError(`${source}: no such file or directory`);
  let file = source;
  if (statSync(source).isDirectory()) {
    file = path.join(source, 'result.json');
    if (!existsSync(file)) {
      if (existsSync(path.join(source, 'ab.json'))) {
        throw new ResultReadError(`${source}: an ab result holds one run per variant and round: name one of them, e.g. ${path.join(source, 'round1-shard-aware')}`);
      }
      throw new ResultReadError(`${source}: no result.json in this directory (not a scylla-bench result?)`);
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ResultReadError(`${file}: not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  const schema = (json as { schema?: unknown } | null)?.schema;
  if (typeof json !== 'object' || json === null || schema === undefined) {
    throw new ResultReadError(`${file}: not a scylla-bench result (no "schema" field)`);
  }
  if (schema !== RESULT_SCHEMA_ID) {
    throw new ResultReadError(`${file}: result schema '${String(schema)}' is not supported (this scylla-bench reads ${RESULT_SCHEMA_ID})`);
  }
  const parsed = resultSchema.safeParse(json);
  if (!parsed.success) throw new ResultReadError(`${file}: ${firstIssue(parsed.error)}`);
  const result = json as RunResult & { profileHash?: string };
  const dir = path.dirname(file);
  const hlogs = new Map<string, Map<string, IntervalCounts[]> | null>();
  return {
    source, dir, file, result,
    profileHash: result.profileHash ?? profileHash(result.profile),
    profileHashRecorded: typeof result.profileHash === 'string',
    hlog(cls) {
      if (!hlogs.has(cls)) {
        const f = path.join(dir, `${cls}.hlog`);
        if (!existsSync(f)) hlogs.set(cls, null);
        else {
          try {
            hlogs.set(cls, parseHlog(readFileSync(f, 'utf8'), f));
          } catch (e) {
            throw new ResultReadError((e as Error).message);
          }
        }
      }
      return hlogs.get(cls)!;
    },
  };
}
