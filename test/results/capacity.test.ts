/**
 * The capacity search's decisions on synthetic step results (no server): verdicts in the right
 * order (a loader limit first: it says nothing about the cluster), the climb then bisection to the
 * precision, the knee, and the nightly trend (regressed only when the brackets do not overlap).
 */
import { describe, expect, it } from 'vitest';
import { answer, CapacitySearch, judgeStep, parseSlo, trendOf, type CapacityStep, type HistoryEntry } from '../../src/results/capacity.js';
import type { PhaseResult } from '../../src/results/result.js';

function phase(o: { p99Ms: number; errors?: number; kept?: boolean; bottleneck?: 'loader' | 'target' | 'machine'; achieved?: number }): PhaseResult {
  const lat = { count: 1000, meanMs: 1, p50Ms: o.p99Ms / 4, p90Ms: o.p99Ms / 2, p99Ms: o.p99Ms, p999Ms: o.p99Ms * 2, maxMs: o.p99Ms * 3, histogram: '' };
  return {
    name: 'step1-measure', kind: 'measure', startedAt: '', durationMs: 1000, wallMs: 1000, intervals: [], nodes: [], target: null, targetCrossShardOps: null,
    loader: { eventLoopUtilizationMax: 1, eventLoopUtilizationMean: 0.95, eventLoopDelayP99MsMax: 1, cpuSec: 1, cpuFraction: 0.5, cpuUsPerOp: 10, rssMb: 50, maxRssMb: 60 },
    bottleneck: o.bottleneck ? { kind: o.bottleneck, evidence: `${o.bottleneck} busy` } : null,
    classes: {
      app: {
        workload: 'w', serviceLevel: null, serviceLevelTimeoutMs: null, routing: 'shard-aware', loop: 'open', latency: 'response', concurrency: null,
        rate: { target: 1000, achieved: o.achieved ?? 1000, kept: o.kept ?? true, windowMs: 1000, sent: 1000, sentInWindow: 1000, sentAfterWindow: 0, unsent: 0 },
        ops: { put: { count: 1000 - (o.errors ?? 0), errors: o.errors ?? 0, errorsByKind: o.errors ? { overloaded: o.errors } : {}, rows: 0, response: lat, service: lat } },
        shards: { nrShards: 1, requests: [[1000]], misrouted: [[0]], misrouteRatio: 0, imbalance: 1, fallbacks: 0 },
        scheduleLag: null, schedule: null, slo: { spec: null, checks: [], pass: true },
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
