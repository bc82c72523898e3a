/**
 * Truth tests: the numbers the tool reports match what the target did.
 *  - a fixed +5 ms injected on reads: no read answered faster than 5 ms, and the median 5 ms
 *    above the same run without it;
 *  - at a fixed rate with one request in flight, a 200 ms stall of the target every second
 *    shows in response time (from the intended start: p99 ≥ 100 ms) while service time stays
 *    near normal — what a closed-loop tool would report, and why response time is the truth.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decode } from '../../src/metrics/histogram.js';
import { startSim } from '../../src/sim/index.js';
import { runCli } from '../support/cli.js';
import { simHost } from '../support/sim-host.js';

describe('truth', () => {
  it('an injected +5 ms on reads: never below 5 ms, and 5 ms above the same run without it', async () => {
    const host = simHost();
    const sim = await startSim({ nodes: 1, shards: 2, host, capacity: false });
    const run = async (): Promise<{ p50Ms: number; minMs: number; count: number; errors: number }> => {
      const r = await runCli(['run', 'test/fixtures/engine/truth-closed.yaml', '--target', `${host}:9042`, '--json', '--out', 'results/test-truth']);
      expect(r.code, r.stderr).toBe(0);
      const s = JSON.parse(r.stdout);
      const result = JSON.parse(readFileSync(`${s.resultDir}/result.json`, 'utf8'));
      const get = result.phases.find((p: { kind: string }) => p.kind === 'measure').classes.app.ops.get;
      return { p50Ms: get.service.p50Ms, minMs: decode(get.service.histogram).minNonZeroValue / 1000, count: get.count, errors: get.errors };
    };
    try {
      // the same emulator, the same machine, one run after the other: the difference is the injection
      const plain = await run();
      sim.faults.configure({ latencyMs: { read: 5 } });
      const slow = await run();
      for (const x of [plain, slow]) {
        expect(x.errors).toBe(0);
        expect(x.count).toBeGreaterThan(300);
      }
      // the emulator never answers early, so nothing the loader measured is below the delay
      expect(slow.minMs).toBeGreaterThanOrEqual(5);
      // and the median moved by the delay (a loaded machine adds noise to both runs alike)
      expect(Math.abs(slow.p50Ms - plain.p50Ms - 5)).toBeLessThanOrEqual(1);
    } finally {
      await sim.stop();
    }
  });

  it('a 200 ms stall every second shows in response time but not in service time', async () => {
    const host = simHost();
    const sim = await startSim({ nodes: 1, shards: 1, host, faults: { stalls: [{ node: 0, shard: 0, durationMs: 200, periodMs: 1000 }] } });
    try {
      const r = await runCli(['run', 'test/fixtures/engine/truth-open.yaml', '--target', `${host}:9042`, '--json', '--out', 'results/test-truth']);
      expect(r.code, r.stderr).toBe(0);
      const s = JSON.parse(r.stdout);
      const result = JSON.parse(readFileSync(`${s.resultDir}/result.json`, 'utf8'));
      const get = result.phases.find((p: { kind: string }) => p.kind === 'measure').classes.app.ops.get;
      expect(get.response.p99Ms).toBeGreaterThanOrEqual(100);
      // with one request in flight, only the request caught in each stall (1 of 200 a second)
      // waits inside the target; the ~40 scheduled behind it leave late and are served at once
      expect(get.service.p99Ms).toBeLessThan(50);
      expect(get.count).toBeGreaterThan(900);
    } finally {
      await sim.stop();
    }
  });
});
