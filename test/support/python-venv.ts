/**
 * Locates the project-local Python venv (.venv-tools, made by tools/python/setup.sh) for tests
 * that drive the emulator with Scylla's python driver and cqlsh. A missing venv fails the test
 * with the command to run; only SB_NO_PYTHON=1 outside CI skips these tests.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const VENV = process.env.SB_VENV ?? path.join(REPO_ROOT, '.venv-tools');

/** True when python-driven tests should be skipped (explicit opt-out, never in CI). */
export const skipPython = process.env.SB_NO_PYTHON === '1' && process.env.CI !== 'true';

export function venvBin(name: 'python' | 'cqlsh'): string {
  const p = path.join(VENV, 'bin', name);
  if (!fs.existsSync(p)) {
    throw new Error(`${p} not found: run tools/python/setup.sh to create the venv with scylla-driver and scylla-cqlsh (or set SB_NO_PYTHON=1 to skip these tests locally)`);
  }
  return p;
}

export interface RunResult { code: number; stdout: string; stderr: string }

/** Runs a venv program asynchronously (the emulator lives in this process: never block the event loop). */
export function runVenv(name: 'python' | 'cqlsh', args: string[], timeoutMs = 120_000): Promise<RunResult> {
  const bin = venvBin(name);
  return new Promise((resolve) => {
    execFile(bin, args, { cwd: REPO_ROOT, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? Number((err as NodeJS.ErrnoException).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
