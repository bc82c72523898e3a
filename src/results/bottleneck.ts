/**
 * Who limited a phase, from what was measured (loader event loops and CPU, the local target's
 * CPU), and the target's CPU figures. Analysis of result data: no I/O.
 */
import type { Bottleneck, ClassResult, PhaseResult, TargetCpu } from './result.js';

const round4 = (x: number): number => Math.round(x * 10000) / 10000;

export function targetFigures(cpuUs: number, wallMs: number, ops: number): TargetCpu {
  return { cpuSec: round4(cpuUs / 1e6), cpuUsPerOp: ops > 0 ? round4(cpuUs / ops) : 0, coresUsed: round4(cpuUs / 1000 / wallMs) };
}

/**
 * Who limited this phase, from what was measured: a worker whose event loop is busy nearly all
 * the time cannot send more (loader); the emulator runs on one thread, so one core's worth of
 * CPU is its ceiling (target); both together using every core means they starve each other
 * (machine). Only reported when it mattered: a schedule not kept, or a closed loop (whose
 * throughput is always limited by something).
 */
export function findBottleneck(loader: PhaseResult['loader'], target: TargetCpu | null, cores: number, classes: ClassResult[]): Bottleneck | null {
  const behind = classes.some((c) => c.rate.kept === false);
  const closed = classes.some((c) => c.loop === 'closed');
  if (!behind && !closed) return null;
  const elu = loader.eventLoopUtilizationMean;
  const loaderCores = loader.cpuFraction * cores;
  if (target && target.coresUsed >= 0.9) {
    return { kind: 'target', evidence: `the built-in emulator used ${(target.coresUsed * 100).toFixed(0)}% of its one core (${target.cpuUsPerOp.toFixed(1)} µs CPU per op)` };
  }
  if (elu >= 0.9) {
    return { kind: 'loader', evidence: `worker event loops were busy ${(elu * 100).toFixed(0)}% of the time (${loader.cpuUsPerOp.toFixed(1)} µs loader CPU per op)` };
  }
  if (target && loaderCores + target.coresUsed >= 0.9 * cores) {
    return { kind: 'machine', evidence: `loader ${loaderCores.toFixed(2)} + emulator ${target.coresUsed.toFixed(2)} cores of ${cores}: they compete for CPU` };
  }
  if (behind) {
    if (target) {
      return { kind: 'machine', evidence: `neither process saturated its CPU (loader ${loaderCores.toFixed(2)}, emulator ${target.coresUsed.toFixed(2)} cores): scheduling delays on a busy machine` };
    }
    // An idle event loop that still wakes late was not given the CPU: the schedule slipped on
    // this machine, not on the cluster. A cluster that does not keep up shows instead as lag far
    // beyond the loop's delay (sends waiting for in-flight slots), with the loop on time.
    const lagP99Ms = Math.max(0, ...classes.filter((c) => c.rate.kept === false).map((c) => c.schedule?.lagP99Ms ?? 0));
    const delayMs = loader.eventLoopDelayP99MsMax;
    if (delayMs >= 10 && delayMs >= lagP99Ms / 2) {
      return { kind: 'machine', evidence: `the loader's event loops woke up to ${delayMs.toFixed(0)} ms late (p99) while ${(elu * 100).toFixed(0)}% busy, as late as the schedule slipped (lag p99 ${lagP99Ms.toFixed(0)} ms): other processes on this machine held its CPU` };
    }
    return { kind: 'target', evidence: `the loader had CPU to spare (event loops ${(elu * 100).toFixed(0)}% busy, on time within ${delayMs.toFixed(0)} ms): the cluster did not keep up` };
  }
  return null;
}
