/**
 * Shape checks for the files a report reads: the fields the report draws from, checked before any
 * rendering so a wrong file gives one line naming the file and the field, never a half-drawn page
 * or a stack trace. Fields added to result@1 after its first release (wallMs, cpuSec, target,
 * bottleneck, schedule, targetLabel, rate.sent…) are optional here: an older result@1 still renders,
 * with "n/a" where it says nothing.
 *
 * This is the report's own small validation: the validated `readResult()` of src/results/ had not
 * landed when the report was written; switch to it when it does (one call site: input.ts).
 */
import { z } from 'zod';
import { RESULT_SCHEMA } from '../results/result.js';

const num = z.number();
const latency = z.object({ count: num, meanMs: num, p50Ms: num, p90Ms: num, p99Ms: num, p999Ms: num, maxMs: num, histogram: z.string() });
const op = z.object({ count: num, errors: num, errorsByKind: z.record(z.string(), num), response: latency, service: latency });
const grid = z.array(z.array(num));
const cls = z.object({
  workload: z.string(),
  serviceLevel: z.string().nullable(),
  routing: z.string(),
  loop: z.enum(['open', 'closed']),
  latency: z.enum(['response', 'service']),
  rate: z.object({
    target: num.nullable(), achieved: num, kept: z.boolean().nullable(),
    windowMs: num.optional(), sent: num.optional(), sentInWindow: num.optional(), sentAfterWindow: num.optional(), unsent: num.nullable().optional(),
  }),
  concurrency: num.nullable().optional(),
  ops: z.record(z.string(), op),
  shards: z.object({ nrShards: num, requests: grid, misrouted: grid, misrouteRatio: num.nullable(), imbalance: num }),
  schedule: z.object({ within1msRatio: num, within10msRatio: num, lagP50Ms: num, lagP99Ms: num, lagMaxMs: num }).nullable().optional(),
  slo: z.object({
    checks: z.array(z.object({ op: z.string(), metric: z.string(), limit: num, actual: num, pass: z.boolean() })),
    pass: z.boolean(),
  }),
});
const intervalOp = z.object({ count: num, errors: num, p50Ms: num, p99Ms: num, maxMs: num, errorsByKind: z.record(z.string(), num).optional() });
const interval = z.object({ phase: z.string(), t: num, classes: z.record(z.string(), z.object({ started: num, ops: z.record(z.string(), intervalOp) })) });
const phase = z.object({
  name: z.string(),
  kind: z.enum(['schema', 'load', 'warmup', 'measure']),
  startedAt: z.string(),
  durationMs: num,
  wallMs: num.optional(),
  classes: z.record(z.string(), cls),
  intervals: z.array(interval),
  loader: z.object({
    eventLoopUtilizationMax: num, eventLoopUtilizationMean: num.optional(), eventLoopDelayP99MsMax: num,
    cpuSec: num.optional(), cpuFraction: num, cpuUsPerOp: num,
  }),
  target: z.object({ cpuSec: num, cpuUsPerOp: num, coresUsed: num }).nullable().optional(),
  bottleneck: z.object({ kind: z.string(), evidence: z.string() }).nullable().optional(),
  targetCrossShardOps: num.nullable().optional(),
});
export const resultShape = z.object({
  schema: z.literal(RESULT_SCHEMA),
  runId: z.string(),
  tool: z.object({ name: z.string(), version: z.string() }),
  startedAt: z.string(),
  endedAt: z.string(),
  stopped: z.string().nullable(),
  environment: z.object({ node: z.string(), cpus: num, cpuModel: z.string(), workers: num }),
  cluster: z.object({
    clusterName: z.string().nullable().optional(),
    releaseVersion: z.string().nullable().optional(),
    scylla: z.boolean(),
    nrShards: num.nullable(),
    nodes: z.array(z.object({ host: z.string(), port: num })),
  }),
  targetLabel: z.string().nullable().optional(),
  profile: z.object({ name: z.string() }),
  phases: z.array(phase),
  warnings: z.array(z.string()),
});

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
