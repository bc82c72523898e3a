/**
 * The built-in emulator started by `run` lives in its own process: its CPU is reported as the
 * target's beside the loader's, and if it dies mid-run the run stops with one line naming it,
 * a valid partial result and exit 1 — not a run that fails every op until its end.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/results/result.js';
import { runCli } from '../support/cli.js';
import { simHost } from '../support/sim-host.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('the built-in emulator in its own process', () => {
  it('books its CPU as the target\'s, per phase, beside the loader\'s', async () => {
    const r = await runCli(['run', 'test/fixtures/engine/open-rate.yaml', '--target', `sim:${simHost()}`, '--json', '--out', 'results/test-target']);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    const result = JSON.parse(readFileSync(path.join(s.resultDir, 'result.json'), 'utf8')) as RunResult;
    const pid = Number(/pid (\d+)/.exec(result.targetLabel ?? '')?.[1]);
    expect(pid).toBeGreaterThan(0);
    const m = result.phases.find((p) => p.kind === 'measure')!;
    expect(m.target).not.toBeNull();
    expect(m.target!.cpuSec).toBeGreaterThan(0);
    expect(m.target!.cpuUsPerOp).toBeGreaterThan(0);
    expect(m.loader.cpuSec).toBeGreaterThan(0);
    // the emulator's share is not in the loader's figure: both were measured, in two processes
    expect(m.loader.cpuUsPerOp).toBeCloseTo(m.loader.cpuSec * 1e6 / m.classes.app.rate.sent, -1);
  });

  it('an emulator that dies mid-run stops the run: one line naming it, a valid partial result, exit 1', async () => {
    let cli = 0;
    const done = runCli(['run', 'test/fixtures/engine/signals.yaml', '--target', `sim:${simHost()}`, '--json', '--out', 'results/test-target'], { onSpawn: (c) => { cli = c.pid!; } });
    // find the emulator child, let the run get going, then kill it
    let child = 0;
    for (let t = 0; t < 400 && !child; t++) {
      await sleep(25);
      try {
        const out = readFileSync(`/proc/${cli}/task/${cli}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
        child = out.find((p) => { try { return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('sim/child.js'); } catch { return false; } }) ?? 0;
      } catch { /* not yet */ }
    }
    expect(child).toBeGreaterThan(0);
    await sleep(3000);
    process.kill(child, 'SIGKILL');
    const r = await done;
    expect(r.code, r.stderr).toBe(1);
    const lines = r.stderr.trim().split('\n').filter((l) => l.startsWith('scylla-bench:'));
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/run stopped: the built-in emulator \(pid \d+\) exited on SIGKILL/);
    const s = JSON.parse(r.stdout);
    const result = JSON.parse(readFileSync(path.join(s.resultDir, 'result.json'), 'utf8')) as RunResult;
    expect(result.stopped).toMatch(/^error: the built-in emulator/);
  });
});
