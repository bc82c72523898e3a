/**
 * The phase accumulator on synthetic worker reports (no server): a second goes out when every
 * worker reported it, histograms merge exactly (never averaged percentiles), and the class result
 * counts what was sent inside the window — achieved, unsent and kept follow from the counts.
 */
import { describe, expect, it } from 'vitest';
import { decode, encode, newHistogram, recordNs, summarize } from '../../src/metrics/histogram.js';
import type { ClassSpec } from '../../src/profile/types.js';
import { PhaseAccumulator, type WorkerInterval } from '../../src/results/phase.js';

const spec = { name: 'app', workload: 'w', mix: { get: 1 }, rateOpsPerSec: 100, maxInFlight: 10, slo: { p99Ms: 50 } } as unknown as ClassSpec;

function report(worker: number, second: number, latenciesMs: number[], o: { sentInWindow?: number; sentAfterWindow?: number; final?: boolean; errors?: Record<string, number> } = {}): WorkerInterval {
  const h = newHistogram();
  for (const l of latenciesMs) recordNs(h, l * 1e6);
  const lag = newHistogram();
  for (const _ of latenciesMs) recordNs(lag, 0.5e6);
  return {
    workerIndex: worker, startAbsMs: 1000 * second, endAbsMs: 1000 * (second + 1), final: o.final ?? false, nodes: [],
    loader: { eventLoopUtilization: 0.5, eventLoopDelayP99Ms: 1 },
    classes: {
      app: {
        ops: { get: { count: latenciesMs.length, errors: o.errors ?? {}, response: encode(h), service: encode(h) } },
        requests: [latenciesMs.length, 0], misrouted: [0, 0], fallbacks: 0, started: latenciesMs.length,
        sentInWindow: o.sentInWindow ?? latenciesMs.length, sentAfterWindow: o.sentAfterWindow ?? 0,
        lagWithin1ms: latenciesMs.length, lagWithin10ms: latenciesMs.length, scheduleLag: encode(lag),
      },
    },
  };
}

describe('PhaseAccumulator', () => {
  it('flushes a second only when every worker reported it, and merges the histograms exactly', () => {
    const acc = new PhaseAccumulator({ phase: 'measure', startAbsMs: 0, workers: 2, nodes: 1, nrShards: 2, classes: [{ spec, routing: 'shard-aware', intervalMs: 10, serviceLevelTimeoutMs: null }] });
    expect(acc.add(report(0, 0, [1, 2, 3]))).toEqual([]);
    const done = acc.add(report(1, 0, [10, 20]));
    expect(done).toHaveLength(1);
    expect(done[0].record.t).toBe(0);
    expect(done[0].record.classes.app.ops.get.count).toBe(5);
    const merged = newHistogram();
    for (const l of [1, 2, 3, 10, 20]) recordNs(merged, l * 1e6);
    expect(done[0].record.classes.app.ops.get.p99Ms).toBe(summarize(merged).p99Ms);
    expect(done[0].record.nodeRequests).toEqual([5]);
    // a final (partial) report never closes a second by itself; flush() does at the end
    expect(acc.add(report(0, 1, [4], { final: true }))).toEqual([]);
    expect(acc.flush().map((s) => s.record.t)).toEqual([1]);
  });

  it('achieved counts sends inside the window; unsent = due slots − sent; kept follows', () => {
    const acc = new PhaseAccumulator({ phase: 'measure', startAbsMs: 0, workers: 1, nodes: 1, nrShards: 2, classes: [{ spec, routing: 'shard-aware', intervalMs: 10, serviceLevelTimeoutMs: null }] });
    // 2 s at 100/s = 200 slots; 150 sent inside, 5 after (late burst), 45 never sent
    acc.add(report(0, 0, new Array(100).fill(2)));
    acc.add(report(0, 1, new Array(55).fill(2), { sentInWindow: 50, sentAfterWindow: 5, final: true }));
    const { classes, warnings } = acc.classResults(2000, { countBound: false, stopped: false });
    const c = classes.app;
    expect(c.rate).toMatchObject({ target: 100, achieved: 75, sent: 155, sentInWindow: 150, sentAfterWindow: 5, unsent: 45, kept: false });
    expect(warnings.some((w) => /rate not kept: 75 of 100/.test(w))).toBe(true);
    expect(c.ops.get.count).toBe(155);
    expect(decode(c.ops.get.response.histogram).totalCount).toBe(155);
    expect(c.slo.pass).toBe(true);
    expect(c.schedule?.within1msRatio).toBe(1);
  });

  it('a second carries its errors by kind (summed over workers), the count its total', () => {
    const acc = new PhaseAccumulator({ phase: 'measure', startAbsMs: 0, workers: 2, nodes: 1, nrShards: 2, classes: [{ spec, routing: 'shard-aware', intervalMs: 10, serviceLevelTimeoutMs: null }] });
    acc.add(report(0, 0, [1], { errors: { overloaded: 2, write_timeout: 1 } }));
    const [first] = acc.add(report(1, 0, [1], { errors: { overloaded: 3 } }));
    expect(first.record.classes.app.ops.get).toMatchObject({ errors: 6, errorsByKind: { overloaded: 5, write_timeout: 1 } });
    acc.add(report(0, 1, [1]));
    const [second] = acc.add(report(1, 1, [1]));
    expect(second.record.classes.app.ops.get).toMatchObject({ errors: 0, errorsByKind: {} });
  });
});
