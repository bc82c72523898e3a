/**
 * Worker reports as the engine ships them (results/phase.ts `WorkerInterval`), with HDR
 * histograms holding known latencies, and the seconds the phase accumulator completes from them:
 * the exporter is fed the engine's own types, so a change of their shape breaks these tests.
 */
import { encode, newHistogram, recordNs } from '../../src/metrics/histogram.js';
import type { ClassSpec } from '../../src/profile/types.js';
import { PhaseAccumulator, type CompletedSecond, type WorkerInterval } from '../../src/results/phase.js';

export const NODES = ['127.0.0.1:9042', '127.0.0.2:9042'];
export const SHARDS = 2;

const hist = (latenciesMs: number[]): string => {
  const h = newHistogram();
  for (const l of latenciesMs) recordNs(h, l * 1e6);
  return encode(h);
};

/** One worker's second: `n` gets at 1 ms and n/100 at 50 ms, 3 overloaded errors, requests over 2 nodes × 2 shards. */
export function workerReport(worker: number, second: number, n = 1000): WorkerInterval {
  const lat = [...new Array<number>(n).fill(1), ...new Array<number>(n / 100).fill(50)];
  const count = lat.length;
  return {
    workerIndex: worker, startAbsMs: 1000 * second, endAbsMs: 1000 * (second + 1), final: false, nodes: [],
    loader: { eventLoopUtilization: 0.3, eventLoopDelayP99Ms: 1 },
    classes: {
      app: {
        ops: { get: { count, errors: { overloaded: 3 }, response: hist(lat), service: hist(lat.map((x) => x / 2)) } },
        // node 1 shard 1 takes half the requests: a visible imbalance
        requests: [count / 8, count / 8, count / 4, count / 2], misrouted: [0, 2, 0, 5], fallbacks: 0,
        started: count + 3 + 2, sentInWindow: count + 5, sentAfterWindow: 0, lagWithin1ms: count, lagWithin10ms: count,
        scheduleLag: hist(new Array<number>(count).fill(0.2)),
      },
    },
  };
}

export const CLASS_SPEC = { name: 'app', workload: 'w', mix: { get: 1 }, rateOpsPerSec: 2000, maxInFlight: 100 } as unknown as ClassSpec;

export function accumulator(workers: number): PhaseAccumulator {
  return new PhaseAccumulator({ phase: 'measure', startAbsMs: 0, workers, nodes: NODES.length, nrShards: SHARDS, classes: [{ spec: CLASS_SPEC, routing: 'shard-aware', intervalMs: 0.5, serviceLevelTimeoutMs: null }] });
}

export type { CompletedSecond };
