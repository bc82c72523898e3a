/**
 * Who limited a phase (results/bottleneck.ts), from the figures a result holds. The case that
 * was wrong: an external target, a schedule not kept, the loader's event loops idle but waking
 * late because other processes held the machine's CPU — it said "the cluster did not keep up".
 */
import { describe, expect, it } from 'vitest';
import { findBottleneck } from '../../src/results/bottleneck.js';
import type { ClassResult, PhaseResult } from '../../src/results/result.js';

const loader = (eventLoopDelayP99MsMax: number, elu = 0.05): PhaseResult['loader'] => ({
  eventLoopUtilizationMax: elu * 2, eventLoopUtilizationMean: elu, eventLoopDelayP99MsMax, cpuSec: 2.6, cpuFraction: 0.03, cpuUsPerOp: 65,
} as PhaseResult['loader']);
const openLoopBehind = (lagP99Ms: number): ClassResult => ({
  loop: 'open', rate: { target: 1000, achieved: 1000, kept: false }, schedule: { lagP99Ms },
} as unknown as ClassResult);

describe('findBottleneck', () => {
  it('external target, loops idle but late as the schedule: the machine, not the cluster', () => {
    const b = findBottleneck(loader(47), null, 2, [openLoopBehind(19)]);
    expect(b?.kind).toBe('machine');
    expect(b?.evidence).toMatch(/47 ms late/);
  });

  it('external target, loops on time, lag far beyond their delay: the cluster did not keep up', () => {
    const b = findBottleneck(loader(3), null, 2, [openLoopBehind(800)]);
    expect(b?.kind).toBe('target');
    expect(b?.evidence).toMatch(/did not keep up/);
  });

  it('busy loops: the loader', () => {
    expect(findBottleneck(loader(50, 0.95), null, 2, [openLoopBehind(300)])?.kind).toBe('loader');
  });

  it('schedule kept, open loop: nothing to name', () => {
    expect(findBottleneck(loader(47), null, 2, [{ loop: 'open', rate: { kept: true } } as unknown as ClassResult])).toBeNull();
  });
});
