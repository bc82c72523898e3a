/**
 * The shape of ab.json as the report draws it, checked before any rendering so a wrong file gives
 * one line naming the file and the field, never a half-drawn page or a stack trace. (Run results
 * are checked by readResult() in src/results/.)
 */
import { z } from 'zod';

const num = z.number();
const estimate = z.object({ ratio: num.nullable(), low: num.nullable(), high: num.nullable(), samples: num, method: z.string() });
const gain = z.object({ p99: estimate, p50: estimate, throughput: estimate });
const abOp = z.object({ count: num, errors: num, p50Ms: num, p99Ms: num, p999Ms: num, maxMs: num });
export const abShape = z.object({
  vary: z.enum(['routing', 'service-levels']),
  runId: z.string(),
  resultDir: z.string(),
  rounds: num,
  variants: z.record(z.string(), z.object({
    throughput: num, p50Ms: num, p99Ms: num, p999Ms: num, maxMs: num, cpuUsPerOp: num,
    targetCrossShardRatio: num.nullable(), throughputFixedByRate: z.boolean().optional(),
    classes: z.record(z.string(), z.object({
      routing: z.string(), loop: z.enum(['open', 'closed']), latency: z.enum(['response', 'service']),
      rate: z.object({ target: num.nullable(), achieved: num, kept: z.boolean().nullable() }),
      misrouteRatio: num.nullable(), ops: z.record(z.string(), abOp),
    })),
    rounds: z.array(z.object({ round: num, resultDir: z.string(), throughput: num, p50Ms: num, p99Ms: num, p999Ms: num, cpuUsPerOp: num })),
  })),
  gain: z.record(z.string(), gain),
  classGain: z.record(z.string(), gain).optional(),
  stopped: z.string().nullable(),
  warnings: z.array(z.string()),
});

const verdict = z.enum(['pass', 'slo', 'errors', 'not-kept', 'loader']);
const bound = num.nullable();
/** capacity.json (scylla-bench/capacity@1, src/results/capacity.ts CapacityResult): the fields drawn. */
export const capacityShape = z.object({
  schema: z.literal('scylla-bench/capacity@1'),
  runId: z.string(),
  startedAt: z.string(),
  endedAt: z.string(),
  profile: z.string(),
  profileHash: z.string(),
  class: z.string(),
  slo: z.object({ metric: z.enum(['p50Ms', 'p90Ms', 'p99Ms', 'p999Ms']), limitMs: num }),
  maxErrorRatio: num,
  search: z.object({ startOpsPerSec: num, factor: num, precision: num, maxSteps: num }),
  heldClasses: z.array(z.string()),
  capacityOpsPerSec: bound,
  bracket: z.tuple([bound, bound]),
  limitedBy: z.enum(['cluster', 'loader', 'steps']),
  stoppedBy: z.object({ verdict, why: z.string() }).nullable(),
  knee: z.object({ rateOpsPerSec: num, p99Ms: num, floorP99Ms: num }).nullable(),
  steps: z.array(z.object({
    step: num, rateOpsPerSec: num, achievedOpsPerSec: num, latencyMs: num, p99Ms: num, errorRatio: num,
    errorsByKind: z.record(z.string(), num), kept: z.boolean().nullable(), bottleneck: z.string().nullable(),
    judgedOn: z.enum(['response', 'service']).optional(), loaderLagMs: num.nullable().optional(),
    verdict, why: z.string(), phase: z.string(),
  })),
  resultDir: z.string(),
  stopped: z.string().nullable(),
  trend: z.object({
    previous: z.object({ date: z.string(), gitSha: z.string().nullable(), capacityOpsPerSec: bound, bracket: z.tuple([bound, bound]) }),
    regressed: z.boolean(),
    ratio: bound,
  }).nullable(),
  warnings: z.array(z.string()),
});

/** The first problem of a failed check, as `path: message` (e.g. `phases[1].intervals: expected array, received undefined`). */
export function firstIssue(error: z.ZodError): string {
  const iss = error.issues[0];
  const at = iss.path.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : s ? `${s}.${String(k)}` : String(k)), '');
  return at ? `${at}: ${iss.message}` : iss.message;
}
