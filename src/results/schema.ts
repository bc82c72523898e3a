/**
 * The result file's schema in zod: what `readResult` validates and what
 * docs/schemas/result.schema.json is generated from (src/results/json-schema.ts). It mirrors the
 * interfaces of result.ts; a test parses a real run's result.json with it, so the two cannot
 * drift apart silently.
 *
 * Objects are loose (unknown keys kept): results gain fields and never rename them, so a reader
 * must accept a newer writer's additions. Fields added after the first release are optional,
 * so older result files still read.
 */
import { z } from 'zod';

export const RESULT_SCHEMA_ID = 'scylla-bench/result@1';

const num = z.number();
const count = z.number().int().min(0);

const latencySummary = z.looseObject({
  count,
  meanMs: num,
  p50Ms: num,
  p90Ms: num,
  p99Ms: num,
  p999Ms: num,
  maxMs: num,
});

const latencyWithHistogram = latencySummary.extend({
  histogram: z.string().describe("HdrHistogram compressed V2, base64, values in µs ('' when empty)"),
});

export const opResultSchema = z.looseObject({
  count: count.describe('successful operations'),
  errors: count,
  errorsByKind: z.record(z.string(), count),
  rows: count.optional().describe('rows the replies carried (reads and scans: the first page of each)'),
  validation: z.looseObject({
    checked: count.describe('rows compared with the values the generators give them'),
    mismatch: count.describe('rows with a cell that differs, or a row deleted before the read that came back'),
    missing: count.describe('reads of a row this run wrote (acknowledged before the read left) that returned nothing'),
  }).optional().describe('--validate: what the replies of a validating class held (reads only)'),
  response: latencyWithHistogram.describe('response time: from the intended start (open loop)'),
  service: latencyWithHistogram.describe('service time: send → reply'),
});

const shardResult = z.looseObject({
  nrShards: count,
  requests: z.array(z.array(count)),
  misrouted: z.array(z.array(count)),
  misrouteRatio: num.nullable().describe("share of requests sent over a connection of another shard; null when the client cannot know ('driver' routing)"),
  imbalance: num,
  fallbacks: count.optional().describe("requests whose replica node was down, sent to another replica (or any live node) instead"),
});

const sloCheck = z.looseObject({
  op: z.string(),
  metric: z.string(),
  limit: num,
  actual: num,
  pass: z.boolean(),
});

export const classResultSchema = z.looseObject({
  workload: z.string(),
  serviceLevel: z.string().nullable(),
  serviceLevelTimeoutMs: num.nullable().optional(),
  routing: z.enum(['shard-aware', 'token-aware', 'round-robin', 'driver']),
  loop: z.enum(['open', 'closed']),
  latency: z.enum(['response', 'service']),
  rate: z.looseObject({
    target: num.nullable().describe('open loop: the profile ops/s; null in closed loop'),
    achieved: num.describe('ops handed to a connection inside the window ÷ the window'),
    kept: z.boolean().nullable().optional().describe('open loop: false when achieved < 99 % of target or schedule lag p99 > 10 ms'),
    windowMs: num.optional(),
    sent: count.optional(),
    sentInWindow: count.optional(),
    sentAfterWindow: count.optional(),
    unsent: count.nullable().optional().describe('open loop: scheduled slots inside the window never sent'),
  }),
  concurrency: num.nullable(),
  ops: z.record(z.string(), opResultSchema),
  shards: shardResult,
  scheduleLag: latencySummary.extend({
    histogram: z.string().optional().describe('send time − intended start, HdrHistogram compressed V2, base64, µs'),
  }).nullable(),
  schedule: z.looseObject({
    within1msRatio: z.number().min(0).max(1),
    within10msRatio: z.number().min(0).max(1),
    lagP50Ms: num,
    lagP99Ms: num,
    lagMaxMs: num,
    lagged: count.optional().describe('ops whose lag was measured (sent)'),
    within1ms: count.optional(),
    within10ms: count.optional(),
  }).nullable().optional().describe('open loop: how punctually the schedule was kept'),
  slo: z.looseObject({ spec: z.looseObject({}).nullable(), checks: z.array(sloCheck), pass: z.boolean() }),
  viewLag: z.looseObject({
    sampled: count.describe('sampled writes acknowledged, each followed into every view it reaches'),
    seen: count.describe("(write, view) rows seen in the view: the 'view-lag' op's count"),
    timeouts: count.describe("rows not seen within view_lag.timeout: the 'view-lag' op's view-lag-timeout errors"),
    polls: count.describe('reads of the view sent'),
    pollErrors: count.describe('reads of the view that failed (retried at the next poll)'),
    unresolved: count.describe('rows still being followed when the phase ended'),
  }).optional().describe("the class's view_lag: counts; the lags (write acknowledged → row visible in the view) are the 'view-lag' op"),
  cdc: z.looseObject({
    table: z.string().describe('ks.table: the base table whose CDC log was followed'),
    generationSource: z.enum(['vnodes', 'tablets']),
    generations: count, streams: count, groups: count.describe('stream groups, one reader each (a vnode, or a tablet stream)'),
    queries: count, failedQueries: count,
    rows: count.describe('log rows read (deltas and images)'),
    changes: count.describe('delta rows read'),
    expected: count.nullable().describe('changes the writer classes of the phase made; null when not known'),
    missing: count.describe('written changes never read'),
    duplicate: count.describe('log rows delivered more than once'),
    unexpected: count.describe('changes read that no writer class of the phase made'),
    writeErrors: count.describe('errors of the validated writer ops (a failed write may leave no change)'),
    caughtUp: z.boolean().describe("every reader passed the writers' end before the drain ran out"),
    drainMs: num,
    notValidated: z.string().nullable(),
  }).optional().describe('kind: cdc classes: the consumer\'s reading and its validation against the writers'),
});

const intervalOp = z.looseObject({
  count, errors: count,
  errorsByKind: z.record(z.string(), count).optional().describe('the errors of this second by kind (absent in results written before it was recorded)'),
  p50Ms: num, p99Ms: num, maxMs: num,
});

export const intervalRecordSchema = z.looseObject({
  phase: z.string(),
  t: num.describe('seconds since the phase start'),
  classes: z.record(z.string(), z.looseObject({ started: count, ops: z.record(z.string(), intervalOp) })),
  nodeRequests: z.array(count).optional().describe('requests sent to each node (by index) in this second, all classes'),
  misrouted: count.optional().describe("of this second's requests, those sent over a connection of another shard"),
});

export const phaseResultSchema = z.looseObject({
  name: z.string(),
  kind: z.enum(['schema', 'load', 'warmup', 'measure']),
  startedAt: z.string(),
  durationMs: num.describe('the scheduling window (the phase length, or up to a stop)'),
  wallMs: num.optional().describe('from the phase start until its last in-flight op landed (window + drain)'),
  classes: z.record(z.string(), classResultSchema),
  intervals: z.array(intervalRecordSchema),
  loader: z.looseObject({
    eventLoopUtilizationMax: num,
    eventLoopUtilizationMean: num.optional(),
    eventLoopDelayP99MsMax: num,
    cpuSec: num.optional().describe("whole-process CPU (all threads) over the phase's wall time"),
    cpuFraction: num,
    cpuUsPerOp: num,
    rssMb: num.optional().describe('resident memory of the loader process at the phase end, MiB'),
    maxRssMb: num.optional().describe("the loader process's peak resident memory so far, MiB"),
  }),
  target: z.looseObject({ cpuSec: num, cpuUsPerOp: num, coresUsed: num }).nullable().optional()
    .describe("the target's CPU when it is the built-in emulator in its own process; null for a real cluster"),
  bottleneck: z.looseObject({ kind: z.enum(['loader', 'target', 'machine']), evidence: z.string() }).nullable().optional()
    .describe('what limited the phase, when it was limited'),
  targetCrossShardOps: num.nullable().optional().describe("requests that crossed a shard inside the cluster, by the target's own counter"),
  nodes: z.array(z.looseObject({
    host: z.string(),
    requests: count.describe('requests routed to the node during the phase'),
    reconnects: count.describe('connections opened after the first attempt: refills after a loss, or the node back'),
    connectionsLost: count,
    downMs: num.describe('time with no live connection to the node (the longest any worker saw)'),
  })).optional().describe("per node, what the loader's pools went through during the phase"),
  skipped: z.string().optional().describe('why this loader did not run the phase (run --segment --start-at: segment 0 runs schema and load)'),
});

const clock = z.looseObject({
  offsetMs: num.nullable().describe("cluster time − loader time, ms (SELECT now() FROM system.local); null when the target did not answer"),
  rttMs: num.nullable().describe('round trip of the sample used: the offset is exact to ± rttMs / 2'),
  source: z.string(),
});

const segmentInfo = z.looseObject({
  index: count.describe('0-based'),
  count: z.number().int().min(1),
  host: z.string(),
  startAt: z.string().nullable(),
  clock,
});

const mergedOps = z.record(z.string(), z.looseObject({ count, errors: count, p50Ms: num, p99Ms: num, p999Ms: num, maxMs: num }));

const mergedInfo = z.looseObject({
  segments: z.number().int().min(1),
  merged: z.array(count),
  missing: z.array(count),
  loaders: z.array(z.looseObject({
    segment: count,
    host: z.string(),
    runId: z.string(),
    source: z.string(),
    startedAt: z.string(),
    stopped: z.string().nullable(),
    clock: clock.nullable(),
    warnings: z.array(z.string()),
    phases: z.array(z.looseObject({
      name: z.string(),
      startedAt: z.string(),
      startOffsetMs: num.describe("this loader's phase start − the merged phase start, ms"),
      durationMs: num,
      wallMs: num,
      loader: z.looseObject({}),
      bottleneck: z.looseObject({ kind: z.string(), evidence: z.string() }).nullable(),
      classes: z.record(z.string(), z.looseObject({
        rate: z.looseObject({ target: num.nullable(), achieved: num }),
        concurrency: num.nullable(),
        schedule: z.looseObject({}).nullable(),
        ops: mergedOps,
      })),
    })),
  })),
});

const clusterNode = z.looseObject({
  host: z.string(),
  port: num,
  datacenter: z.string(),
  rack: z.string(),
  hostId: z.string().nullable(),
  tokens: z.array(z.string()),
});

export const resultSchema = z.looseObject({
  schema: z.literal(RESULT_SCHEMA_ID),
  runId: z.string(),
  tool: z.looseObject({ name: z.literal('scylla-bench'), version: z.string() }),
  startedAt: z.string(),
  endedAt: z.string(),
  stopped: z.string().nullable().describe("null: completed; 'signal' after Ctrl-C/SIGTERM; 'error: …' after a fatal error"),
  partitions: z.array(z.looseObject({
    workload: z.string(), table: z.string(), meanRowBytes: num,
    rowsPerPartition: z.looseObject({ mean: num, max: num }), meanPartitionBytes: num, maxPartitionBytes: num, overRedLine: z.boolean(),
  })).optional().describe('partition sizes the workloads build, estimated from their generators before the run (cells only: a floor)'),
  largePartitionRecords: z.array(z.looseObject({
    keyspace: z.string(), table: z.string(), partitionKey: z.string().describe("as Scylla records it: '{key: pk{…}, token:…}'"),
    partitionBytes: num.describe('the largest partition_size a replica recorded'), rows: num.nullable(),
    nodes: z.array(z.string()).describe('host:port of the nodes whose system.large_partitions holds it'),
  })).optional().describe("after the run: the run's partitions the cluster recorded in system.large_partitions (every node; absent when the target has none, e.g. Cassandra)"),
  profileHash: z.string().optional().describe('sha256 of the resolved profile without where it ran (profileHash() in src/results/profile-hash.ts)'),
  profile: z.looseObject({ name: z.string(), phases: z.array(z.unknown()), workloads: z.record(z.string(), z.unknown()) })
    .describe('the resolved profile (env var NAMES for credentials, never values)'),
  environment: z.looseObject({
    node: z.string(), platform: z.string(), arch: z.string(), cpus: num, cpuModel: z.string(),
    workers: num, pinned: z.union([z.boolean(), z.string()]), seed: num,
  }),
  cluster: z.looseObject({
    clusterName: z.string().nullable(),
    partitioner: z.string().nullable(),
    releaseVersion: z.string().nullable(),
    scylla: z.boolean(),
    nrShards: num.nullable(),
    ignoreMsb: num.nullable(),
    shardAwarePort: num.nullable(),
    extensions: z.array(z.string()),
    supportedKeys: z.array(z.string()),
    nodes: z.array(clusterNode),
  }),
  targetLabel: z.string().nullable().optional().describe('what the target was when the CLI started it; null for named hosts'),
  serviceLevels: z.looseObject({
    applied: z.boolean(),
    levels: z.array(z.record(z.string(), z.unknown())),
    attached: z.array(z.record(z.string(), z.unknown())),
    roles: z.record(z.string(), z.string()),
  }).nullable().optional(),
  phases: z.array(phaseResultSchema),
  warnings: z.array(z.string()),
  segment: segmentInfo.optional().describe('run --segment i/n: which share of a run of n loaders this is'),
  merged: mergedInfo.optional().describe('merge: the loaders this result was merged from, each with its own figures'),
});

export type ResultFile = z.infer<typeof resultSchema>;
