/**
 * The dependency rules of docs/architecture.md (.dependency-cruiser.cjs, run by `npm test` as
 * `npm run deps`) hold on src/, and they do fail on a wrong import: a fixture tree with a protocol
 * file reaching into the engine, results importing the engine, and an import cycle.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = path.resolve('node_modules/.bin/depcruise');
const CONFIG = path.resolve('.dependency-cruiser.cjs');

function cruise(cwd: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(BIN, ['src', '--config', CONFIG], { cwd, encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as NodeJS.ErrnoException).code ?? 1) : 0, out: `${stdout}${stderr}` });
    });
  });
}

describe('architecture', () => {
  it('src/ follows the arrows: no forbidden import, no cycle', async () => {
    const r = await cruise(process.cwd());
    expect(r.code, r.out).toBe(0);
  });

  it('a wrong import or a cycle fails, naming the rule', async () => {
    const r = await cruise(path.resolve('test/fixtures/arch'));
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/cql-knows-no-workloads: src\/cql\/wire\.ts → src\/engine\/plan\.ts/);
    expect(r.out).toMatch(/results-computes-on-data: src\/results\/a\.ts → src\/engine\/plan\.ts/);
    expect(r.out).toMatch(/no-cycles: src\/results\/a\.ts →\s+src\/results\/b\.ts →\s+src\/results\/a\.ts/);
  });
});
