/**
 * `scylla-bench capacity`: open-loop steps of one class (the others held at their profile
 * rates) until the SLO breaks, errors pass their threshold or the schedule cannot be kept, then
 * bisection to a precision. The schema and load phases run once; every step is a warmup and a
 * measure phase on the same workers and connections (Coordinator `nextPhase`), so a long sweep
 * pays no set-up per step beyond its warmup. The decisions are results/capacity.ts.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ClassSpec, PhaseSpec, ResolvedProfile } from '../profile/types.js';
import {
  answer, CAPACITY_SCHEMA, CapacitySearch, judgeStep, type CapacityResult, type CapacitySlo, type SearchOptions,
} from '../results/capacity.js';
import { profileHash } from '../results/profile-hash.js';
import type { PhaseResult } from '../results/result.js';
import { Coordinator, type RunOptions } from './coordinator.js';
import { EngineError } from './errors.js';

export interface CapacityOptions extends Omit<RunOptions, 'profile' | 'nextPhase'> {
  profile: ResolvedProfile;
  /** The class whose rate is searched; the profile's other classes keep their rates. */
  className: string;
  slo: CapacitySlo;
  maxErrorRatio: number;
  search: SearchOptions;
  warmupMs: number;
  measureMs: number;
  /** Called after each step with its verdict (the CLI prints a line). */
  onStep?: (line: string) => void;
}

/** The classes of the profile's last measure phase (or last phase with classes): what a step runs. */
export function sweepClasses(p: ResolvedProfile): ClassSpec[] {
  const withClasses = p.phases.filter((ph) => ph.kind !== 'schema' && ph.kind !== 'load' && ph.classes.length > 0);
  const last = [...withClasses].reverse().find((ph) => ph.kind === 'measure') ?? withClasses[withClasses.length - 1];
  return last?.classes ?? [];
}

export async function runCapacity(o: CapacityOptions): Promise<{ capacity: CapacityResult; resultDir: string }> {
  const p = o.profile;
  const classes = sweepClasses(p);
  const swept = classes.find((c) => c.name === o.className);
  if (!swept) throw new EngineError(`${p.file}: no class ${o.className} in the profile's measure phase (classes: ${classes.map((c) => c.name).join(', ') || 'none'})`);
  const search = new CapacitySearch(o.search);
  const startedAt = new Date().toISOString();
  const pos = swept.pos;
  let pendingRate: number | undefined;
  let stepNo = 0;

  // the sweep's phases: the profile's schema and load, then warmup + measure per step
  const profile: ResolvedProfile = { ...p, phases: p.phases.filter((ph) => ph.kind === 'schema' || ph.kind === 'load') };
  const stepPhases = (rate: number): PhaseSpec[] => {
    // capacity is an open-loop question: the swept class runs at the step's rate
    const cs = classes.map((c) => (c.name === o.className ? { ...c, rateOpsPerSec: rate, concurrency: undefined } : c));
    stepNo++;
    return [
      { name: `step${stepNo}-warmup`, kind: 'warmup', durationMs: o.warmupMs, classes: cs, pos },
      { name: `step${stepNo}-measure`, kind: 'measure', durationMs: o.measureMs, classes: cs, pos },
    ];
  };
  // each worker holds its share of the class's max_in_flight (coordinator.ts), and may take any due slot
  const workerInFlightCap = Math.max(1, Math.ceil(swept.maxInFlight / Math.max(1, p.workers)));
  let queued: PhaseSpec[] = [];
  const nextPhase = (done: readonly PhaseResult[]): PhaseSpec | undefined => {
    const last = done[done.length - 1];
    if (last && pendingRate !== undefined && last.name === `step${stepNo}-measure`) {
      const step = judgeStep(last, o.className, o.slo, o.maxErrorRatio, stepNo, pendingRate, workerInFlightCap);
      search.record(step);
      const lagWords = step.judgedOn === 'service' ? ` (service time: schedule lag p99 ${step.loaderLagMs} ms was the loader's)` : '';
      o.onStep?.(`step ${step.step}: ${step.rateOpsPerSec} ops/s → ${step.verdict === 'pass' ? 'pass' : `FAIL (${step.why})`}; ${o.slo.metric.replace('Ms', '')} ${step.latencyMs} ms${lagWords}, achieved ${step.achievedOpsPerSec} ops/s`);
      pendingRate = undefined;
    }
    if (queued.length === 0) {
      const rate = search.next();
      if (rate === undefined) return undefined;
      pendingRate = rate;
      queued = stepPhases(rate);
    }
    return queued.shift();
  };

  const coordinator = new Coordinator({ ...o, profile, nextPhase });
  const { result, resultDir } = await coordinator.run();
  const a = answer(search);
  const capacity: CapacityResult = {
    schema: CAPACITY_SCHEMA,
    runId: o.runId,
    startedAt,
    endedAt: new Date().toISOString(),
    profile: p.file,
    profileHash: profileHash(p),
    class: o.className,
    slo: o.slo,
    maxErrorRatio: o.maxErrorRatio,
    search: o.search,
    heldClasses: classes.filter((c) => c.name !== o.className).map((c) => c.name),
    ...a,
    steps: search.steps,
    resultDir,
    stopped: result.stopped,
    trend: null,
    warnings: result.warnings,
  };
  writeFileSync(path.join(resultDir, 'capacity.json'), `${JSON.stringify(capacity, null, 2)}\n`);
  return { capacity, resultDir };
}
