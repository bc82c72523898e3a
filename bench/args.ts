/**
 * Benchmarks' flags: `--name value`, nothing more (a benchmark is run by hand or by `npm run bench`,
 * never by users' scripts, so it needs no parser of its own).
 */

/** The value after `--name`, or `def` when the flag is absent or has no value. */
export function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}

/** A positive number after `--name` (or `def`); anything else exits 2 with one line naming the flag. */
export function positiveArg(name: string, def: number): number {
  const raw = arg(name, '');
  if (raw === '') return def;
  const v = Number(raw);
  if (!(v > 0)) { console.error(`--${name}: expected a positive number, got ${JSON.stringify(raw)}`); process.exit(2); }
  return v;
}
