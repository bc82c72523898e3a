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

/** The first problem of a failed check, as `path: message` (e.g. `phases[1].intervals: expected array, received undefined`). */
export function firstIssue(error: z.ZodError): string {
  const iss = error.issues[0];
  const at = iss.path.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : s ? `${s}.${String(k)}` : String(k)), '');
  return at ? `${at}: ${iss.message}` : iss.message;
}
