/**
 * `doctor`: connects, scrapes, reads, and runs every check; returns the report (data first, the
 * CLI renders it). The metrics window comes first, while the doctor sends nothing, so its own
 * queries never count as the cluster's load or as non-prepared statements.
 */
import type { Credentials, TlsOptions } from '../cql/connection.js';
import type { ResolvedProfile } from '../profile/types.js';
import { readResult } from '../results/read.js';
import { summaryPhase } from '../results/result.js';
import { checkClients } from './checks/clients.js';
import { checkCompaction } from './checks/compaction.js';
import { checkImbalanceFromMetrics, checkImbalanceFromResult, checkMonitoring, checkPrepared } from './checks/metrics.js';
import { checkPartitions, profileEstimates } from './checks/partitions.js';
import { checkReplication } from './checks/replication.js';
import { checkShardAware } from './checks/shard-aware.js';
import { checkWorkloadTypes } from './checks/workload-types.js';
import { ClusterView } from './cluster.js';
import type { DoctorContext, MetricsView, ResultView } from './context.js';
import { scrape, type Scrape } from './prom-text.js';
import { GUIDANCE, totalsOf, type DoctorReport, type Finding } from './types.js';
import { modelProfile } from './workload-model.js';

export interface DoctorOptions {
  contacts: { host: string; port: number }[];
  credentials?: Credentials;
  tls?: TlsOptions;
  connectTimeoutMs: number;
  requestTimeoutMs?: number;
  profile?: ResolvedProfile;
  /** Scylla Prometheus endpoints; default: every node's :9180/metrics. */
  metricsUrls?: string[];
  /** The window between the two metric scrapes. */
  metricsWindowMs: number;
  /** A result directory (per-(node, shard) counts, measured op mix). */
  resultDir?: string;
  imbalanceWarn?: number;
  imbalanceFail?: number;
  /** For tests: waits the window (default: a timer). */
  sleep?: (ms: number) => Promise<void>;
}

/** Scylla's default Prometheus port. */
export const SCYLLA_METRICS_PORT = 9180;
const SCRAPE_TIMEOUT_MS = 3000;

export async function runDoctor(o: DoctorOptions): Promise<DoctorReport> {
  const startedAt = new Date().toISOString();
  // a result is read before anything connects: a bad one is bad input (exit 2), not a finding
  const result = o.resultDir ? resultView(o.resultDir) : null;
  const cluster = await ClusterView.open({
    contacts: o.contacts, credentials: o.credentials, tls: o.tls, connectTimeoutMs: o.connectTimeoutMs,
    requestTimeoutMs: o.requestTimeoutMs ?? 10_000,
  });
  try {
    const metrics = await gatherMetrics(cluster, o);
    const ctx: DoctorContext = {
      cluster, metrics, result,
      model: o.profile ? modelProfile(o.profile, result?.opCounts) : null,
      imbalanceWarn: o.imbalanceWarn ?? 1.5, imbalanceFail: o.imbalanceFail ?? 2,
    };
    const profileLevels = Object.fromEntries(Object.entries(o.profile?.serviceLevels ?? {}).map(([k, v]) => [k, { timeoutMs: v.timeoutMs, workloadType: v.workloadType }]));
    const findings: Finding[] = [
      ...await checkShardAware(ctx),
      ...await checkClients(ctx),
      ...await checkCompaction(ctx),
      ...await checkWorkloadTypes(ctx, profileLevels),
      ...await checkPartitions(ctx),
      ...(o.profile ? profileEstimates(o.profile) : []),
      ...imbalanceFindings(ctx),
      ...await checkReplication(ctx),
      ...(metrics && metrics.last.length > 0 ? checkPrepared(metrics) : [{
        check: 'prepared-statements' as const, subject: 'cluster', status: 'SKIP' as const,
        summary: 'no metrics endpoint answered: non-prepared statements cannot be counted', evidence: metrics?.errors.map((e) => ({ source: e.url, detail: e.error })) ?? [],
      }]),
      ...checkMonitoring(metrics, ctx),
    ];
    return {
      target: cluster.contact.label, startedAt,
      inputs: { profile: o.profile?.file ?? null, metricsUrls: metrics?.urls ?? [], result: o.resultDir ?? null },
      findings, totals: totalsOf(findings),
    };
  } finally {
    await cluster.close();
  }
}

function imbalanceFindings(ctx: DoctorContext): Finding[] {
  const out: Finding[] = [];
  if (ctx.metrics && ctx.metrics.last.length > 0) out.push(...checkImbalanceFromMetrics(ctx.metrics, ctx));
  if (ctx.result) out.push(...checkImbalanceFromResult(ctx.result, ctx));
  if (out.length === 0) {
    out.push({
      check: 'shard-imbalance', subject: 'cluster', status: 'WARN', summary: 'no per-shard data: shard imbalance cannot be judged',
      evidence: (ctx.metrics?.errors ?? []).map((e) => ({ source: e.url, detail: e.error })),
      fix: "give --scylla-metrics URL (each node's :9180/metrics) or --result DIR of a run against this cluster",
      guidance: GUIDANCE.redLineImbalance,
    });
  }
  return out;
}

async function gatherMetrics(cluster: ClusterView, o: DoctorOptions): Promise<MetricsView | null> {
  const guessed = !o.metricsUrls || o.metricsUrls.length === 0;
  // Cassandra serves no Prometheus endpoint of its own: nothing to guess there
  if (guessed && !cluster.scylla) return null;
  const urls = guessed
    ? cluster.nodes.map((n) => `http://${n.address.includes(':') ? `[${n.address}]` : n.address}:${SCYLLA_METRICS_PORT}/metrics`)
    : o.metricsUrls!;
  const errors: { url: string; error: string }[] = [];
  const tryAll = async (): Promise<Map<string, Scrape>> => {
    const got = new Map<string, Scrape>();
    await Promise.all(urls.map(async (u) => {
      try {
        got.set(u, await scrape(u, SCRAPE_TIMEOUT_MS));
      } catch (e) {
        if (!errors.some((x) => x.url === u)) errors.push({ url: u, error: (e as Error).message });
      }
    }));
    return got;
  };
  const first = await tryAll();
  if (first.size > 0) await (o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))))(o.metricsWindowMs);
  const last = first.size > 0 ? await tryAll() : new Map<string, Scrape>();
  const both = [...last.keys()].filter((u) => first.has(u));
  return { urls, guessed, first: both.map((u) => first.get(u)!), last: both.map((u) => last.get(u)!), windowMs: o.metricsWindowMs, errors };
}

/** The per-(node, shard) counts and op counts of a result's summary phase. */
export function resultView(dir: string): ResultView {
  const loaded = readResult(dir);
  const r = loaded.result;
  const phase = summaryPhase(r);
  const hosts = r.cluster.nodes.map((n) => n.host);
  const classes = Object.entries(phase?.classes ?? {});
  const nodes = Math.max(0, ...classes.map(([, c]) => c.shards.requests.length));
  const shards = Math.max(0, ...classes.map(([, c]) => c.shards.nrShards));
  const requests = Array.from({ length: nodes }, () => new Array<number>(shards).fill(0));
  for (const [, c] of classes) c.shards.requests.forEach((row, n) => row.forEach((v, s) => { requests[n][s] += v; }));
  const opCounts: Record<string, Record<string, number>> = {};
  for (const [name, c] of classes) opCounts[name] = Object.fromEntries(Object.entries(c.ops).map(([op, x]) => [op, x.count + x.errors]));
  return {
    source: dir, phase: phase?.name ?? '(none)', requests, hosts,
    perClass: classes.map(([cls, c]) => ({ cls, requests: c.shards.requests })), opCounts,
  };
}
