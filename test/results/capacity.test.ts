/**
 * The capacity search's decisions on synthetic step results (no server): verdicts in the right
 * order (a loader limit first: it says nothing about the cluster), the climb then bisection to the
 * precision, the knee, and the nightly trend (regressed only when the brackets do not overlap).
 */
import { describe, expect, it } from 'vitest';
import { answer, CapacitySearch, judgeStep, parseSlo, trendOf, type CapacityStep, type HistoryEntry } from '../../src/results/capacity.js';
import type { PhaseResult } from '../../src/results/result.js';

interface PhaseOpts {
  p99Ms: number; errors?: number; kept?: boolean; bottleneck?: 'loader' | 'target' | 'machine'; achieved?: number;
  /** service time's p99 and max (default: the response's), schedule lag p99 and max (default: none measured) */
  serviceP99Ms?: number; serviceMaxMs?: number; lagP99Ms?: number; lagMaxMs?: number;
}

function phase(o: PhaseOpts): PhaseResult {
  const summary = (p99Ms: number, maxMs = p99Ms * 3) => ({ count: 1000, meanMs: 1, p50Ms: p99Ms / 4, p90Ms: p99Ms / 2, p99Ms, p999Ms: Math.min(maxMs, p99Ms * 2), maxMs, histogram: '' });
  const lat = summary(o.p99Ms);
  const service = o.serviceP99Ms !== undefined ? summary(o.serviceP99Ms, o.serviceMaxMs) : lat;
  const scheduleLag = o.lagP99Ms !== undefined ? summary(o.lagP99Ms, o.lagMaxMs) : null;
  return {
    name: 'step1-measure', kind: 'measure', startedAt: '', durationMs: 1000, wallMs: 1000, intervals: [], nodes: [], target: null, targetCrossShardOps: null,
    loader: { eventLoopUtilizationMax: 1, eventLoopUtilizationMean: 0.95, eventLoopDelayP99MsMax: 1, cpuSec: 1, cpuFraction: 0.5, cpuUsPerOp: 10, rssMb: 50, maxRssMb: 60 },
    bottleneck: o.bottleneck ? { kind: o.bottleneck, evidence: `${o.bottleneck} busy` } : null,
    classes: {
      app: {
        workload: 'w', serviceLevel: null, serviceLevelTimeoutMs: null, routing: 'shard-aware', loop: 'open', latency: 'response', concurrency: null,
        rate: { target: 1000, achieved: o.achieved ?? 1000, kept: o.kept ?? true, windowMs: 1000, sent: 1000, sentInWindow: 1000, sentAfterWindow: 0, unsent: 0 },
        ops: { put: { count: 1000 - (o.errors ?? 0), errors: o.errors ?? 0, errorsByKind: o.errors ? { overloaded: o.errors } : {}, rows: 0, response: lat, service } },
        shards: { nrShards: 1, requests: [[1000]], misrouted: [[0]], misrouteRatio: 0, imbalance: 1, fallbacks: 0 },
        scheduleLag, schedule: null, slo: { spec: null, checks: [], pass: true },
      },
    },
  } as PhaseResult;
}

const SLO = { metric: 'p99Ms' as const, limitMs: 10 };

describe('judgeStep', () => {
  it('a loader limit is judged first, then errors, then the SLO, then a schedule the target did not absorb', () => {
    expect(judgeStep(phase({ p99Ms: 50, errors: 500, kept: false, bottleneck: 'loader' }), 'app', SLO, 0.01, 1, 1000).verdict).toBe('loader');
    expect(judgeStep(phase({ p99Ms: 50, errors: 500 }), 'app', SLO, 0.01, 1, 1000)).toMatchObject({ verdict: 'errors', errorsByKind: { overloaded: 500 } });
    expect(judgeStep(phase({ p99Ms: 50 }), 'app', SLO, 0.01, 1, 1000)).toMatchObject({ verdict: 'slo', why: 'p99 50 ms > 10 ms' });
    expect(judgeStep(phase({ p99Ms: 5, kept: false, bottleneck: 'target', achieved: 800 }), 'app', SLO, 0.01, 1, 1000).verdict).toBe('not-kept');
    expect(judgeStep(phase({ p99Ms: 5 }), 'app', SLO, 0.01, 1, 1000).verdict).toBe('pass');
  });

  // figures of real steps on a loaded 2-core machine (test/engine/capacity.test.ts's, 2026-11-30)
  const SLO100 = { metric: 'p99Ms' as const, limitMs: 100 };
  it('schedule lag the cluster cannot have caused (its slowest op could not fill max_in_flight) is the loader\'s, never the cluster\'s', () => {
    // 1000 of 1000 ops/s sent, but the loader's event loop was stalled: lag p99 62 ms, the cluster answered in ≤ 12 ms
    const stalled = phase({ p99Ms: 64, kept: false, bottleneck: 'target', serviceP99Ms: 3.4, serviceMaxMs: 12.2, lagP99Ms: 61.8, lagMaxMs: 90.8 });
    const s = judgeStep(stalled, 'app', SLO100, 0.01, 2, 1000, 4096);
    expect(s).toMatchObject({ verdict: 'pass', judgedOn: 'service', loaderLagMs: 61.8, latencyMs: 3.4, p99Ms: 3.4, bottleneck: 'loader', kept: false });
    // without the cap known nothing is attributed: the old judgement (the lag counts against the cluster)
    expect(judgeStep(stalled, 'app', SLO, 0.01, 2, 1000)).toMatchObject({ verdict: 'slo', judgedOn: 'response', loaderLagMs: null, bottleneck: 'target' });
    // a stalled loader that also failed to send the rate: a loader limit, naming the in-flight bound
    const short = judgeStep({ ...stalled, classes: { app: { ...stalled.classes.app, rate: { ...stalled.classes.app.rate, achieved: 900 } } } }, 'app', SLO100, 0.01, 2, 1000, 4096);
    expect(short.verdict).toBe('loader');
    expect(short.why).toMatch(/sent only 900 of 1000 ops\/s and at most 103 ops could be in flight, below a worker's max_in_flight of 4096/);
    // the loader was late but the cluster was slow too: the SLO fails on service time, said so
    const slow = judgeStep(phase({ p99Ms: 200, kept: false, serviceP99Ms: 184, serviceMaxMs: 213, lagP99Ms: 61.8, lagMaxMs: 90.8 }), 'app', SLO100, 0.01, 2, 1000, 4096);
    expect(slow).toMatchObject({ verdict: 'slo', judgedOn: 'service', latencyMs: 184 });
    expect(slow.why).toMatch(/^p99 184 ms > 100 ms \(service time: the schedule lag was the loader's/);
  });

  it('a cluster that filled max_in_flight held the loader back: its lag and response time count against the cluster', () => {
    // 4000 ops/s asked, 3362 sent: 4000 × (2.056 s + 0.478 s) ≫ 4096 in flight
    const held = phase({ p99Ms: 2502, kept: false, bottleneck: 'target', achieved: 3362, serviceP99Ms: 2049, serviceMaxMs: 2056, lagP99Ms: 453, lagMaxMs: 478 });
    expect(judgeStep(held, 'app', SLO100, 0.01, 4, 4000, 4096)).toMatchObject({ verdict: 'slo', judgedOn: 'response', latencyMs: 2502, loaderLagMs: null, bottleneck: 'target' });
    // and with the SLO held, a schedule the cluster did not absorb is `not-kept`
    const absorbed = phase({ p99Ms: 5, kept: false, bottleneck: 'target', achieved: 800, serviceMaxMs: 900, serviceP99Ms: 4, lagP99Ms: 300, lagMaxMs: 400 });
    expect(judgeStep(absorbed, 'app', SLO100, 0.01, 4, 4000, 4096).verdict).toBe('not-kept');
  });
});

/** Runs the search against a cluster that holds the SLO up to `capacity` ops/s, p99 growing past `knee`. */
function sweep(capacity: number, knee: number, loaderMax = Infinity): CapacitySearch {
  const s = new CapacitySearch({ startOpsPerSec: 500, factor: 2, precision: 0.05, maxSteps: 30 });
  for (let rate = s.next(), n = 1; rate !== undefined; rate = s.next(), n++) {
    const p99Ms = rate <= knee ? 2 : 2 + 8 * ((rate - knee) / (capacity - knee)) + (rate > capacity ? 100 : 0);
    const ph = rate > loaderMax ? phase({ p99Ms, kept: false, bottleneck: 'loader' }) : phase({ p99Ms });
    s.record(judgeStep(ph, 'app', SLO, 0.01, n, rate) as CapacityStep);
  }
  return s;
}

describe('CapacitySearch', () => {
  it('climbs, then bisects to the precision around the true capacity; the knee is where p99 leaves its floor', () => {
    const s = sweep(3000, 1500);
    const a = answer(s);
    expect(a.limitedBy).toBe('cluster');
    expect(a.capacityOpsPerSec!).toBeLessThanOrEqual(3000);
    expect(a.capacityOpsPerSec!).toBeGreaterThanOrEqual(3000 * 0.95);
    expect((a.bracket[1]! - a.bracket[0]!) / a.bracket[0]!).toBeLessThanOrEqual(0.05);
    expect(s.steps.map((x) => x.rateOpsPerSec).slice(0, 4)).toEqual([500, 1000, 2000, 4000]);
    expect(a.knee!.rateOpsPerSec).toBeGreaterThan(1500);
    expect(a.knee!.floorP99Ms).toBe(2);
  });

  it('a loader limit ends the search: the answer is "at least", never the cluster\'s capacity', () => {
    const a = answer(sweep(100_000, 50_000, 3000));
    expect(a.limitedBy).toBe('loader');
    expect(a.capacityOpsPerSec).toBe(2000);
    expect(a.bracket[1]).toBeNull();
    expect(a.stoppedBy?.verdict).toBe('loader');
  });

  it('a step the loader\'s stall cut short is run again; a loader that stays short is the limit', () => {
    // the stalled loader of the judgeStep test: 900 of 1000 sent, the cluster never held it back
    const stalled = phase({ p99Ms: 64, kept: false, achieved: 900, serviceP99Ms: 3.4, serviceMaxMs: 12.2, lagP99Ms: 61.8, lagMaxMs: 90.8 });
    const run = (stallsAt1000: number): CapacitySearch => {
      const s = new CapacitySearch({ startOpsPerSec: 500, factor: 2, precision: 0.05, maxSteps: 30 });
      let stalls = stallsAt1000;
      for (let rate = s.next(), n = 1; rate !== undefined; rate = s.next(), n++) {
        const ph = rate === 1000 && stalls-- > 0 ? stalled : phase({ p99Ms: rate <= 1500 ? 2 : 50 });
        s.record(judgeStep(ph, 'app', SLO, 0.01, n, rate, 4096));
      }
      return s;
    };
    const twice = run(2);
    expect(twice.steps.slice(0, 4).map((x) => [x.rateOpsPerSec, x.verdict])).toEqual([[500, 'pass'], [1000, 'loader'], [1000, 'loader'], [1000, 'pass']]);
    const a = answer(twice);
    expect(a.limitedBy).toBe('cluster');
    expect(a.stoppedBy?.verdict).toBe('slo');
    expect(a.capacityOpsPerSec!).toBeGreaterThanOrEqual(1425);
    // a third time short: the loader is the limit, and the answer "at least" the last pass
    const thrice = answer(run(3));
    expect(thrice).toMatchObject({ limitedBy: 'loader', capacityOpsPerSec: 500, bracket: [500, null] });
    expect(thrice.stoppedBy?.why).toMatch(/^the loader sent only 900 of 1000 ops\/s/);
  });

  it('a first step that fails descends until one passes', () => {
    const s = sweep(300, 100);
    expect(s.steps[0].rateOpsPerSec).toBe(500);
    expect(s.steps[1].rateOpsPerSec).toBe(250);
    const a = answer(s);
    expect(a.capacityOpsPerSec!).toBeGreaterThanOrEqual(285);
    expect(a.capacityOpsPerSec!).toBeLessThanOrEqual(300);
  });
});

describe('trend', () => {
  const prev: HistoryEntry = { date: '2026-11-29', gitSha: 'abc', profileHash: 'h', profile: 'p', class: 'app', slo: SLO, capacityOpsPerSec: 2000, bracket: [2000, 2090], limitedBy: 'cluster', resultDir: 'r' };
  it('regressed only when the new bracket lies wholly below the old one', () => {
    expect(trendOf([prev], { ...prev, capacityOpsPerSec: 1950, bracket: [1950, 2040] })?.regressed).toBe(false);
    expect(trendOf([prev], { ...prev, capacityOpsPerSec: 1000, bracket: [1000, 1040] })).toMatchObject({ regressed: true, ratio: 0.5 });
    // another profile or SLO is not a previous night
    expect(trendOf([prev], { ...prev, profileHash: 'other', bracket: [1000, 1040] })).toBeNull();
    expect(trendOf([prev], { ...prev, slo: { metric: 'p99Ms', limitMs: 20 }, bracket: [1000, 1040] })).toBeNull();
  });
});

describe('parseSlo', () => {
  it('reads p99<=10ms and refuses what it cannot', () => {
    expect(parseSlo('p99<=10ms')).toEqual({ metric: 'p99Ms', limitMs: 10 });
    expect(parseSlo('p999 <= 250ms')).toEqual({ metric: 'p999Ms', limitMs: 250 });
    expect(parseSlo('p50=500us')).toEqual({ metric: 'p50Ms', limitMs: 0.5 });
    expect(typeof parseSlo('p97<=3ms')).toBe('string');
    expect(typeof parseSlo('p99<=0ms')).toBe('string');
  });
});
