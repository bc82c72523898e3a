/**
 * Result directories made from synthetic latency (src/results/synthetic.ts): a result.json that
 * validates against the result schema and a `<class>.hlog` written by the engine's HlogWriter,
 * so compare and gate read them exactly as they read a real run — with a known truth.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { encode, newHistogram, summarize, type Histogram } from '../../src/metrics/histogram.js';
import { HlogWriter } from '../../src/metrics/hlog.js';
import { valueOfIndex } from '../../src/results/series.js';
import { Rng, syntheticRun, type LatencyModel } from '../../src/results/synthetic.js';

export interface SyntheticOp {
  model: LatencyModel;
  /** Errors per second (counted apart from the latency samples). */
  errorsPerSec?: number;
}

export interface SyntheticRunSpec {
  runId: string;
  seed: number;
  seconds: number;
  ratePerSec: number;
  /** class → op → model. */
  classes: Record<string, Record<string, SyntheticOp>>;
  profileName?: string;
}

const START = Date.parse('2026-01-01T00:00:00Z');

function toHistogram(index: Int32Array, count: Float64Array): Histogram {
  const h = newHistogram();
  for (let j = 0; j < index.length; j++) h.recordValueWithCount(valueOfIndex(index[j]), count[j]);
  return h;
}

export function writeSyntheticResult(root: string, spec: SyntheticRunSpec): string {
  const dir = path.join(root, spec.runId);
  mkdirSync(dir, { recursive: true });
  const rng = new Rng(spec.seed);
  const intervals = Array.from({ length: spec.seconds }, (_, t) => ({ phase: 'measure', t, classes: {} as Record<string, { started: number; ops: Record<string, unknown> }> }));
  const classes: Record<string, unknown> = {};
  for (const [cls, ops] of Object.entries(spec.classes)) {
    const hlog = new HlogWriter(path.join(dir, `${cls}.hlog`), START, `synthetic ${spec.runId} class ${cls} (values in microseconds)`);
    const opResults: Record<string, unknown> = {};
    let sent = 0;
    for (const [op, o] of Object.entries(ops)) {
      const total = newHistogram();
      const run = syntheticRun(o.model, spec.seconds, spec.ratePerSec, rng);
      const errors = o.errorsPerSec ?? 0;
      for (const iv of run) {
        const h = toHistogram(iv.index, iv.count);
        total.add(h);
        hlog.interval(`measure.${op}.response`, START + iv.t * 1000, START + iv.t * 1000 + 1000, h);
        hlog.interval(`measure.${op}.service`, START + iv.t * 1000, START + iv.t * 1000 + 1000, h);
        const s = summarize(h);
        const rec = intervals[iv.t].classes[cls] ??= { started: 0, ops: {} };
        rec.started += iv.total + errors;
        rec.ops[op] = { count: iv.total, errors, p50Ms: s.p50Ms, p99Ms: s.p99Ms, maxMs: s.maxMs };
      }
      const lat = { ...summarize(total), histogram: encode(total) };
      opResults[op] = { count: total.totalCount, errors: errors * spec.seconds, errorsByKind: errors ? { overloaded: errors * spec.seconds } : {}, response: lat, service: lat };
      sent += total.totalCount + errors * spec.seconds;
    }
    classes[cls] = {
      workload: 'kv', serviceLevel: null, serviceLevelTimeoutMs: null, routing: 'shard-aware', loop: 'open', latency: 'response',
      rate: { target: spec.ratePerSec * Object.keys(ops).length, achieved: sent / spec.seconds, kept: true, windowMs: spec.seconds * 1000, sent, sentInWindow: sent, sentAfterWindow: 0, unsent: 0 },
      concurrency: null, ops: opResults,
      shards: { nrShards: 2, requests: [[sent / 2, sent / 2]], misrouted: [[0, 0]], misrouteRatio: 0, imbalance: 1 },
      scheduleLag: null, schedule: null, slo: { spec: null, checks: [], pass: true },
    };
  }
  const result = {
    schema: 'scylla-bench/result@1', runId: spec.runId, tool: { name: 'scylla-bench', version: '0.1.0' },
    startedAt: new Date(START).toISOString(), endedAt: new Date(START + spec.seconds * 1000).toISOString(), stopped: null,
    profile: { name: spec.profileName ?? 'synthetic', phases: [{ kind: 'measure', durationMs: spec.seconds * 1000 }], workloads: { kv: { operations: Object.keys(Object.values(spec.classes)[0] ?? {}) } } },
    environment: { node: 'v20', platform: 'linux', arch: 'x64', cpus: 2, cpuModel: 'synthetic', workers: 1, pinned: false, seed: spec.seed },
    cluster: { clusterName: 'synthetic', partitioner: 'org.apache.cassandra.dht.Murmur3Partitioner', releaseVersion: '3.0.8', scylla: true, nrShards: 2, ignoreMsb: 12, shardAwarePort: 19042, extensions: [], supportedKeys: [], nodes: [{ host: '127.0.0.1', port: 9042, datacenter: 'datacenter1', rack: 'rack1', hostId: null, tokens: [] }] },
    serviceLevels: null,
    phases: [{
      name: 'measure', kind: 'measure', startedAt: new Date(START).toISOString(), durationMs: spec.seconds * 1000, wallMs: spec.seconds * 1000, classes, intervals,
      loader: { eventLoopUtilizationMax: 0.1, eventLoopDelayP99MsMax: 1, cpuFraction: 0.1, cpuUsPerOp: 10 },
    }],
    warnings: [],
  };
  writeFileSync(path.join(dir, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
  return dir;
}
