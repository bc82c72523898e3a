/**
 * The achieved rate is what left the loader inside the window, never completed ops over the
 * nominal phase length; a phase ends at its end (no matter how far behind the schedule is, or
 * how little of it falls inside the window); a schedule that was not kept says so.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Connection } from '../../src/cql/connection.js';
import { decodeRows } from '../../src/cql/rows.js';
import type { RowsResult } from '../../src/cql/messages.js';
import type { RunResult } from '../../src/results/result.js';
import { startSim } from '../../src/sim/index.js';
import { runCli } from '../support/cli.js';
import { simHost } from '../support/sim-host.js';

const FIX = 'test/fixtures/engine/rate';
const OUT = 'results/test-rate';

function measureOf(resultDir: string): RunResult['phases'][number] {
  const result = JSON.parse(readFileSync(path.join(resultDir, 'result.json'), 'utf8')) as RunResult;
  return result.phases.find((p) => p.kind === 'measure')!;
}

describe('open-loop rate honesty', () => {
  it('a rate far above what one worker can send: not kept, achieved = what the target received in the window, the phase ends at its end', async () => {
    const host = simHost();
    const sim = await startSim({ nodes: 1, shards: 2, host, capacity: false });
    try {
      const r = await runCli(['run', `${FIX}/overload.yaml`, '--target', `${host}:9042`, '--json', '--out', OUT]);
      expect(r.code, r.stderr).toBe(0);
      const s = JSON.parse(r.stdout);
      const app = s.classes.app;
      expect(app.rate.target).toBe(2_000_000);
      expect(app.rate.kept).toBe(false);
      expect(s.warnings.some((w: string) => /rate not kept/.test(w))).toBe(true);
      const m = measureOf(s.resultDir);
      const rate = m.classes.app.rate;
      // due slots = 2 M/s × 3 s; what was not sent is counted, not sent late
      expect(rate.sent + rate.unsent!).toBe(6_000_000);
      expect(rate.unsent!).toBeGreaterThan(rate.sent);
      expect(rate.achieved).toBeCloseTo(rate.sentInWindow / (rate.windowMs / 1000), 0);
      expect(rate.achieved).toBeLessThan(2_000_000 * 0.99);
      // the target's own count: every write went to a distinct partition
      const c = await Connection.connect({ host, port: 9042 });
      const rows = Number(decodeRows((await c.query('SELECT count(*) AS n FROM sb_rate.kv')) as RowsResult)[0].n);
      await c.close();
      expect(rows).toBe(m.classes.app.ops.put.count);
      expect(Math.abs(rows / (rate.windowMs / 1000) - rate.achieved)).toBeLessThanOrEqual(rate.achieved * 0.05);
      // the phase ended at its end: the drain is bounded by the request timeout, and no
      // interval was written for seconds after it
      expect(m.wallMs - m.durationMs).toBeLessThan(12_000);
      expect(m.intervals.length).toBeLessThanOrEqual(Math.ceil(m.wallMs / 1000) + 1);
      expect(r.stdout + r.stderr).toMatch(/schedule NOT kept/);
    } finally {
      await sim.stop();
    }
  });

  it('a tiny rate does not end a 1 s phase early', async () => {
    const r = await runCli(['run', `${FIX}/tiny.yaml`, '--target', `sim:${simHost()}`, '--json', '--out', OUT]);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    const m = measureOf(s.resultDir);
    expect(m.durationMs).toBe(1000);
    expect(m.wallMs).toBeGreaterThanOrEqual(1000);
    const rate = m.classes.app.rate;
    // one slot falls inside the window (at its start), and it was sent
    expect(rate.sent + rate.unsent!).toBe(1);
  });
});
