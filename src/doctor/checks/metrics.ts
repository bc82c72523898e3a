/**
 * The checks read from Scylla's Prometheus endpoints (and a result's per-(node, shard) counts):
 * monitoring reachable, shard imbalance, non-prepared statements. Counters are compared over the
 * doctor's window (two scrapes, nothing sent by the doctor in between); on an idle cluster the
 * window holds too few requests to judge, and the counters since the nodes started are used
 * instead, saying so.
 */
import type { DoctorContext, MetricsView, ResultView } from '../context.js';
import { nodeOf, perShard, splitKey, total, type Scrape } from '../prom-text.js';
import { GUIDANCE, type Evidence, type Finding, type Status } from '../types.js';

/** Below this many requests per (node, shard) in the window, the window says nothing about balance. */
export const MIN_WINDOW_REQUESTS_PER_SHARD = 20;
/** Reactor utilization below this mean (%) is an idle cluster: its imbalance is noise. */
export const MIN_MEAN_UTILIZATION_PCT = 10;

const REQUESTS = 'scylla_transport_requests_served';
const UTILIZATION = 'scylla_reactor_utilization';
const PARSED = 'scylla_query_processor_statements_prepared';
const SYSTEM_KS_OPS = ['scylla_cql_reads_per_ks', 'scylla_cql_inserts_per_ks', 'scylla_cql_updates_per_ks', 'scylla_cql_deletes_per_ks'];
const CQL_REQUESTS = 'scylla_transport_cql_requests_count';

const r2 = (x: number): number => Math.round(x * 100) / 100;

function delta(first: Map<string, number>, last: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of last) out.set(k, Math.max(0, v - (first.get(k) ?? 0)));
  return out;
}

/** max/mean of the cells (0 cells or all zero: null), and where the max is. */
export function imbalance(cells: Map<string, number>): { ratio: number; maxKey: string; max: number; mean: number } | null {
  if (cells.size === 0) return null;
  let sum = 0;
  let max = -Infinity;
  let maxKey = '';
  for (const [k, v] of cells) { sum += v; if (v > max) { max = v; maxKey = k; } }
  const mean = sum / cells.size;
  if (mean <= 0) return null;
  return { ratio: max / mean, maxKey, max, mean };
}

function verdict(ratio: number, ctx: DoctorContext): Status {
  return ratio >= ctx.imbalanceFail ? 'FAIL' : ratio >= ctx.imbalanceWarn ? 'WARN' : 'PASS';
}

const IMBALANCE_FIX = 'look for hot partitions (a skewed key, a few huge partitions) and clients that are not shard-aware; spread the key (add a bucket) or fix the routing';

export function checkImbalanceFromMetrics(m: MetricsView, ctx: DoctorContext): Finding[] {
  const check = 'shard-imbalance' as const;
  const out: Finding[] = [];
  const first = perShard(m.first, REQUESTS);
  const last = perShard(m.last, REQUESTS);
  const source = m.last.map((s) => s.url).join(', ');
  if (last.size === 0) {
    out.push({ check, subject: 'requests per shard (metrics)', status: 'WARN', summary: `no ${REQUESTS} series: per-shard load is not visible`, evidence: [{ source, detail: `${m.last.reduce((a, s) => a + s.samples.length, 0)} samples, none named ${REQUESTS}` }], fix: 'scrape Scylla\'s own endpoint (port 9180), which exports per-shard series', guidance: GUIDANCE.redLineImbalance });
  } else {
    const d = delta(first, last);
    const windowTotal = [...d.values()].reduce((a, b) => a + b, 0);
    const useWindow = windowTotal >= MIN_WINDOW_REQUESTS_PER_SHARD * d.size;
    const cells = useWindow ? d : last;
    const cumulative = [...last.values()].reduce((a, b) => a + b, 0);
    const imb = imbalance(cells);
    if (!useWindow && cumulative < MIN_WINDOW_REQUESTS_PER_SHARD * last.size) {
      out.push({
        check, subject: 'requests per shard (metrics)', status: 'SKIP',
        summary: `too few requests to judge balance (${windowTotal} in the window, ${cumulative} since the nodes started, over ${last.size} shards): run doctor while the workload runs`,
        evidence: [{ source, detail: `${REQUESTS}: at least ${MIN_WINDOW_REQUESTS_PER_SHARD} per shard needed` }],
      });
      return [...out, ...utilizationFindings(m, ctx, source)];
    }
    const what = useWindow ? `requests in the ${m.windowMs} ms window` : `requests since the nodes started (the window held only ${windowTotal}: too few to judge)`;
    if (!imb) {
      out.push({ check, subject: 'requests per shard (metrics)', status: 'SKIP', summary: 'no request served yet: nothing to balance', evidence: [{ source, detail: `${REQUESTS}: 0 on ${cells.size} shards` }] });
    } else {
      const { node, shard } = splitKey(imb.maxKey);
      const perNode = new Map<string, number[]>();
      for (const [k, v] of cells) { const s = splitKey(k); perNode.set(s.node, [...(perNode.get(s.node) ?? []), v]); }
      const evidence: Evidence[] = [
        { source, detail: `${REQUESTS}, ${what}: busiest node ${node} shard ${shard} ${imb.max}, mean ${r2(imb.mean)} over ${cells.size} shards → max/mean ${r2(imb.ratio)} (warn ≥ ${ctx.imbalanceWarn}, fail ≥ ${ctx.imbalanceFail})` },
        ...[...perNode].map(([n, xs]) => ({ source, detail: `${n}: per shard [${xs.join(', ')}]` })),
      ];
      const status = verdict(imb.ratio, ctx);
      out.push({
        check, subject: 'requests per shard (metrics)', status,
        summary: status === 'PASS' ? `balanced: max/mean ${r2(imb.ratio)}` : `shard ${shard} of ${node} serves ${r2(imb.ratio)}× the mean`,
        evidence, ...(status !== 'PASS' ? { fix: IMBALANCE_FIX, guidance: GUIDANCE.errorReadTimeouts } : {}),
      });
    }
  }
  return [...out, ...utilizationFindings(m, ctx, source)];
}

function utilizationFindings(m: MetricsView, ctx: DoctorContext, source: string): Finding[] {
  const check = 'shard-imbalance' as const;
  const out: Finding[] = [];
  const util = perShard(m.last, UTILIZATION);
  const imbU = imbalance(util);
  if (imbU && imbU.mean >= MIN_MEAN_UTILIZATION_PCT) {
    const { node, shard } = splitKey(imbU.maxKey);
    const status = verdict(imbU.ratio, ctx);
    out.push({
      check, subject: 'reactor utilization per shard (metrics)', status,
      summary: status === 'PASS' ? `balanced: max/mean ${r2(imbU.ratio)}` : `shard ${shard} of ${node} is ${r2(imbU.ratio)}× as busy as the mean`,
      evidence: [{ source, detail: `${UTILIZATION}: max ${r2(imbU.max)} % at ${node} shard ${shard}, mean ${r2(imbU.mean)} % over ${util.size} shards` }],
      ...(status !== 'PASS' ? { fix: IMBALANCE_FIX, guidance: GUIDANCE.errorReadTimeouts } : {}),
    });
  }
  return out;
}

export function checkImbalanceFromResult(r: ResultView, ctx: DoctorContext): Finding[] {
  const check = 'shard-imbalance' as const;
  const cells = new Map<string, number>();
  r.requests.forEach((row, n) => row.forEach((v, s) => cells.set(`${r.hosts[n] ?? `node ${n}`}\u0000${s}`, v)));
  const imb = imbalance(cells);
  const subject = `requests per shard (result ${r.source}, phase ${r.phase})`;
  if (!imb) return [{ check, subject, status: 'SKIP', summary: 'the result holds no per-shard request', evidence: [{ source: r.source, detail: `${cells.size} (node, shard) cells, all 0` }] }];
  const { node, shard } = splitKey(imb.maxKey);
  const status = verdict(imb.ratio, ctx);
  const evidence: Evidence[] = [
    { source: `${r.source} result.json`, detail: `phase ${r.phase}, all classes: busiest ${node} shard ${shard} ${imb.max} requests, mean ${r2(imb.mean)} over ${cells.size} (node, shard) cells → max/mean ${r2(imb.ratio)}` },
    ...r.perClass.map((c) => {
      const cc = new Map<string, number>();
      c.requests.forEach((row, n) => row.forEach((v, s) => cc.set(`${n}\u0000${s}`, v)));
      const i = imbalance(cc);
      return { source: `${r.source} result.json`, detail: `class ${c.cls}: max/mean ${i ? r2(i.ratio) : 'n/a'}` };
    }),
  ];
  return [{
    check, subject, status,
    summary: status === 'PASS' ? `balanced: max/mean ${r2(imb.ratio)}` : `shard ${shard} of ${node} took ${r2(imb.ratio)}× the mean of the run's requests`,
    evidence, ...(status !== 'PASS' ? { fix: IMBALANCE_FIX, guidance: GUIDANCE.errorReadTimeouts } : {}),
  }];
}

export function checkPrepared(m: MetricsView): Finding[] {
  const check = 'prepared-statements' as const;
  const source = m.last.map((s) => s.url).join(', ');
  const sys = (l: Record<string, string>): boolean => l.ks === 'system';
  const sum = (sc: Scrape[], names: string[], where?: (l: Record<string, string>) => boolean): number | null => {
    let s = 0;
    let seen = false;
    for (const n of names) { const t = total(sc, n, where); if (t !== null) { s += t; seen = true; } }
    return seen ? s : null;
  };
  const parsed1 = total(m.last, PARSED);
  if (parsed1 === null) {
    return [{ check, subject: 'cluster', status: 'SKIP', summary: `the metrics carry no ${PARSED}: non-prepared statements cannot be counted`, evidence: [{ source, detail: `series seen: ${[...new Set(m.last.flatMap((s) => s.samples.map((x) => x.name)))].filter((n) => n.startsWith('scylla_')).slice(0, 8).join(', ')}…` }] }];
  }
  const kinds = (sc: Scrape[]): number | null => sum(sc, [CQL_REQUESTS], (l) => l.kind === 'QUERY' || l.kind === 'EXECUTE' || l.kind === 'BATCH') ?? total(sc, REQUESTS);
  const parsed0 = total(m.first, PARSED) ?? 0;
  const sysOps0 = sum(m.first, SYSTEM_KS_OPS, sys) ?? 0;
  const sysOps1 = sum(m.last, SYSTEM_KS_OPS, sys) ?? 0;
  const req0 = kinds(m.first) ?? 0;
  const req1 = kinds(m.last) ?? 0;
  const windowReq = req1 - req0;
  // Scylla Monitoring's rule (cql:non_prepared): statements parsed minus system-keyspace queries
  const useWindow = windowReq >= 100;
  const nonPrepared = Math.max(0, useWindow ? (parsed1 - parsed0) - (sysOps1 - sysOps0) : parsed1 - sysOps1);
  const requests = useWindow ? windowReq : req1;
  if (requests <= 0) return [{ check, subject: 'cluster', status: 'SKIP', summary: 'no CQL request served yet', evidence: [{ source, detail: 'request counters 0' }] }];
  const ratio = nonPrepared / requests;
  const evidence: Evidence[] = [{ source, detail: `${useWindow ? `in the ${m.windowMs} ms window` : 'since the nodes started'}: ${PARSED} − system-keyspace queries = ${nonPrepared} non-prepared of ${requests} CQL requests (${r2(ratio * 100)} %)` }];
  if (nonPrepared === 0) return [{ check, subject: 'cluster', status: 'PASS', summary: 'every user statement runs prepared', evidence }];
  return [{
    check, subject: 'cluster', status: ratio >= 0.05 ? 'FAIL' : 'WARN',
    summary: `${r2(ratio * 100)} % of CQL requests are parsed each time (not prepared)`,
    evidence, fix: 'prepare statements once and EXECUTE them with bound values (a literal per request also fills the prepared cache with one-off entries)',
    guidance: GUIDANCE.practicePrepared,
  }];
}

export function checkMonitoring(m: MetricsView | null, ctx: DoctorContext): Finding[] {
  const check = 'monitoring' as const;
  const c = ctx.cluster;
  if (!m) {
    return [{ check, subject: 'cluster', status: 'SKIP', summary: 'not Scylla and no --scylla-metrics given: nothing to check', evidence: [{ source: `${c.contact.label} SUPPORTED`, detail: 'no SCYLLA_ keys' }] }];
  }
  const evidence: Evidence[] = [
    ...m.last.map((s) => ({ source: s.url, detail: `${s.samples.filter((x) => x.name.startsWith('scylla_')).length} scylla_ samples, ${new Set(s.samples.filter((x) => x.labels.shard !== undefined).map((x) => x.labels.shard)).size} shards labelled` })),
    ...m.errors.map((e) => ({ source: e.url, detail: e.error })),
  ];
  const covered = new Set<string>();
  for (const sc of m.last) for (const s of sc.samples) if (s.name.startsWith('scylla_')) covered.add(nodeOf(s, sc));
  const nodeHosts = c.nodes.map((n) => n.address);
  const missing = nodeHosts.filter((h) => !covered.has(h));
  const perShard = m.last.some((sc) => sc.samples.some((s) => s.name.startsWith('scylla_') && s.labels.shard !== undefined));
  const fix = `serve every node's metrics (Scylla: port 9180) to a Prometheus with per-shard series and a dashboard (monitoring/ here, or the Scylla Monitoring Stack); point doctor at them with --scylla-metrics`;
  if (covered.size === 0) {
    return [{
      check, subject: 'cluster', status: 'FAIL',
      summary: m.guessed ? 'no node answers on Scylla\'s metrics port 9180 from here, and no --scylla-metrics was given' : 'no metrics endpoint answered with Scylla metrics',
      evidence, fix, guidance: GUIDANCE.redLineImbalance,
    }];
  }
  if (missing.length > 0 || !perShard) {
    return [{
      check, subject: 'cluster', status: 'WARN',
      summary: missing.length > 0 ? `metrics cover ${covered.size} of ${nodeHosts.length} nodes (missing ${missing.join(', ')})` : 'metrics carry no shard label: shard imbalance is not visible',
      evidence, fix, guidance: GUIDANCE.redLineImbalance,
    }];
  }
  return [{ check, subject: 'cluster', status: 'PASS', summary: `per-shard metrics reachable for all ${nodeHosts.length} nodes`, evidence }];
}
