/** SLO checks of a class: each op's latency percentiles against the profile's limits, and the error ratio. */
import type { SloSpec } from '../profile/types.js';
import type { OpResult, SloCheck } from './result.js';

const round4 = (x: number): number => Math.round(x * 10000) / 10000;

export function sloChecks(slo: SloSpec | undefined, ops: Record<string, OpResult>, latency: 'response' | 'service', completed: number, errors: number): SloCheck[] {
  const out: SloCheck[] = [];
  if (!slo) return out;
  for (const [op, o] of Object.entries(ops)) {
    const l = latency === 'response' ? o.response : o.service;
    for (const metric of ['p50Ms', 'p99Ms', 'p999Ms'] as const) {
      const limit = slo[metric];
      if (limit !== undefined && o.count > 0) out.push({ op, metric, limit, actual: l[metric], pass: l[metric] <= limit });
    }
  }
  if (slo.maxErrorRatio !== undefined) {
    const ratio = completed > 0 ? errors / completed : 0;
    out.push({ op: '*', metric: 'errorRatio', limit: slo.maxErrorRatio, actual: round4(ratio), pass: ratio <= slo.maxErrorRatio });
  }
  return out;
}

