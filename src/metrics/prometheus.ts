/**
 * The loader's Prometheus exporter: `/metrics` while `run`/`ab`/`capacity` run, fed with what the
 * engine already has each second — every worker's report (counters, encoded HDR histograms,
 * per-(node, shard) requests) and every completed second (the merged histograms). Nothing is
 * measured twice: the figures are the ones that go into the result.
 *
 * Metrics (prefix `scylla_bench_`, units in names, counters end in `_total`):
 *
 * | metric | type | labels |
 * |---|---|---|
 * | `requests_total` | counter: ops completed without error | class, op |
 * | `errors_total` | counter: ops that failed, by error kind (`overloaded`, `timeout-read`, `client-timeout`…) | class, op, kind |
 * | `response_time_seconds` | histogram (fixed buckets): from the intended start (open loop) | class, op |
 * | `service_time_seconds` | histogram (fixed buckets): send → reply | class, op |
 * | `interval_response_time_seconds` / `interval_service_time_seconds` | gauge: the last completed second's p50/p99/p999 from the merged HDR histogram | class, op, quantile |
 * | `started_total` | counter: ops handed to a connection | class |
 * | `in_flight_requests` | gauge: started − completed, over every worker | class |
 * | `schedule_lag_seconds` | histogram: send time − intended start (open loop) | class |
 * | `rate_target_ops_per_second` / `rate_achieved_ops_per_second` | gauge: the class's rate, and ops started in the last completed second | class |
 * | `shard_requests_total` / `misrouted_requests_total` | counter: requests per (node, owner shard), and those sent on another shard's connection | class, node, shard |
 * | `loader_cpu_seconds_total` | counter: this process's CPU (user + system, every thread) | |
 * | `phase_info` | gauge 1: the phase running | phase, kind |
 *
 * Histograms are classic Prometheus histograms with fixed buckets (`LATENCY_BUCKETS_SECONDS`):
 * each HDR bucket's count is added whole to the first Prometheus bucket at or above its value
 * (exact to the HDR's 3 significant digits), so the buckets are bulk-added from the histograms
 * the workers ship, never one observation per op.
 *
 * Usage (the engine): `const e = new LoaderExporter(); await e.start({ port: 9500 });` then at each
 * phase start `e.startPhase({...})`, for each worker report `e.update(report)`, for each completed
 * second `e.updateSecond(second)`, and `await e.stop()` at the end.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JsHistogram } from 'hdr-histogram-js';
import { Counter, Gauge, Histogram as PromHistogram, Registry } from 'prom-client';
import { decode, type Histogram } from './histogram.js';

/** Upper bounds (seconds): 100 µs … 10 s, as a 1-2.5-5 ladder. */
export const LATENCY_BUCKETS_SECONDS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;
export const QUANTILES = [0.5, 0.99, 0.999] as const;
export const PREFIX = 'scylla_bench_';

/** One op's second on one worker (structurally results/phase.ts `OpInterval`). */
export interface ExportedOpSecond {
  count: number;
  errors: Record<string, number>;
  /** Encoded HDR histograms (µs), as the workers ship them. */
  response: string;
  service: string;
}

/** One worker's report for one second (structurally results/phase.ts `WorkerInterval`: pass it as is). */
export interface ExportedWorkerReport {
  workerIndex: number;
  classes: Record<string, {
    ops: Record<string, ExportedOpSecond>;
    /** requests[node * nrShards + ownerShard] */
    requests: number[];
    misrouted: number[];
    started: number;
    scheduleLag?: string;
  }>;
}

/** A second every worker reported (structurally results/phase.ts `CompletedSecond`: pass it as is). */
export interface ExportedSecond {
  record: { phase: string; t: number; classes: Record<string, { started: number }> };
  histograms: { cls: string; op: string; response: Histogram; service: Histogram }[];
}

export interface ExportedPhase {
  name: string;
  kind: string;
  /** Node labels by index (host or host:port), as the workers' request arrays are indexed. */
  nodes: string[];
  nrShards: number;
  classes: { name: string; rateOpsPerSec?: number }[];
}

/** `[host:]port` of `--prometheus`: the host defaults to every interface (Prometheus scrapes from elsewhere). */
export function parseListen(spec: string): { host: string; port: number } {
  const m = /^(?:(\[[^\]]+\]|[^:]+):)?(\d{1,5})$/.exec(spec.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new Error(`expected [host:]port, e.g. 9500 or 127.0.0.1:9500, got '${spec}'`);
  return { host: m[1]?.replace(/^\[|\]$/g, '') ?? '0.0.0.0', port };
}

type Labels = Record<string, string>;

/**
 * A classic histogram whose buckets are added in bulk from HDR histograms. It renders through
 * prom-client's registry like any Histogram (same exposition), but keeps its own cumulative
 * counts: prom-client's Histogram has no way to add N observations at once.
 */
class BulkHistogram extends PromHistogram<string> {
  readonly #series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  readonly #boundsUs: number[];
  readonly #metricName: string;
  readonly #bounds: readonly number[];

  constructor(name: string, help: string, labelNames: string[], bounds: readonly number[]) {
    super({ name, help, labelNames, buckets: [...bounds], registers: [] });
    this.#metricName = name;
    this.#bounds = bounds;
    this.#boundsUs = bounds.map((b) => Math.round(b * 1e6));
  }

  /** Adds every value of an HDR histogram in microseconds. */
  addHdr(labels: Labels, h: Histogram): void {
    if (h.totalCount === 0) return;
    const key = JSON.stringify(labels);
    let s = this.#series.get(key);
    if (!s) { s = { labels, counts: new Array(this.#boundsUs.length).fill(0), sum: 0, count: 0 }; this.#series.set(key, s); }
    const js = h as unknown as JsHistogram;
    const it = js.recordedValuesIterator;
    it.reset();
    while (it.hasNext()) {
      const v = it.next();
      // values the HDR cannot tell from a bound count as at most the bound (le is ≤)
      const us = js.lowestEquivalentValue(v.valueIteratedTo);
      const n = v.countAtValueIteratedTo;
      let i = 0;
      while (i < this.#boundsUs.length && us > this.#boundsUs[i]) i++;
      if (i < s.counts.length) s.counts[i] += n;
      s.sum += (js.medianEquivalentValue(v.valueIteratedTo) / 1e6) * n;
      s.count += n;
    }
  }

  #values(): { labels: Record<string, string | number>; value: number; metricName: string }[] {
    const out: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const s of this.#series.values()) {
      let cum = 0;
      this.#bounds.forEach((b, i) => {
        cum += s.counts[i];
        out.push({ labels: { ...s.labels, le: b }, value: cum, metricName: `${this.#metricName}_bucket` });
      });
      out.push({ labels: { ...s.labels, le: '+Inf' }, value: s.count, metricName: `${this.#metricName}_bucket` });
      out.push({ labels: { ...s.labels }, value: s.sum, metricName: `${this.#metricName}_sum` });
      out.push({ labels: { ...s.labels }, value: s.count, metricName: `${this.#metricName}_count` });
    }
    return out;
  }

  // both are what prom-client's Registry reads (getForPromString for the text format)
  override async get(): Promise<Awaited<ReturnType<PromHistogram<string>['get']>>> {
    const data = { name: this.#metricName, help: (this as unknown as { help: string }).help, type: 'histogram', values: this.#values(), aggregator: 'sum' };
    return data as unknown as Awaited<ReturnType<PromHistogram<string>['get']>>;
  }

  async getForPromString(): Promise<Awaited<ReturnType<PromHistogram<string>['get']>>> {
    return this.get();
  }
}

export class LoaderExporter {
  readonly registry = new Registry();
  #server: http.Server | undefined;
  #phase: ExportedPhase | undefined;
  /** Per worker and class: ops started and completed, for in-flight. */
  readonly #flow = new Map<string, { started: number; done: number }>();
  #cpuSeen = 0;

  readonly #requests: Counter<string>;
  readonly #errors: Counter<string>;
  readonly #response: BulkHistogram;
  readonly #service: BulkHistogram;
  readonly #lastResponse: Gauge<string>;
  readonly #lastService: Gauge<string>;
  readonly #started: Counter<string>;
  readonly #inFlight: Gauge<string>;
  readonly #lag: BulkHistogram;
  readonly #rateTarget: Gauge<string>;
  readonly #rateAchieved: Gauge<string>;
  readonly #shardRequests: Counter<string>;
  readonly #misrouted: Counter<string>;
  readonly #phaseInfo: Gauge<string>;

  constructor() {
    const r = [this.registry];
    const p = PREFIX;
    this.#requests = new Counter({ name: `${p}requests_total`, help: 'Operations completed without error.', labelNames: ['class', 'op'], registers: r });
    this.#errors = new Counter({ name: `${p}errors_total`, help: 'Operations that failed, by error kind.', labelNames: ['class', 'op', 'kind'], registers: r });
    this.#response = this.#bulk(`${p}response_time_seconds`, 'Response time: from the intended start (open loop; service time in closed loop).', ['class', 'op']);
    this.#service = this.#bulk(`${p}service_time_seconds`, 'Service time: from the send to the reply.', ['class', 'op']);
    this.#lastResponse = new Gauge({ name: `${p}interval_response_time_seconds`, help: 'The last completed second: response-time quantiles from the merged HDR histogram.', labelNames: ['class', 'op', 'quantile'], registers: r });
    this.#lastService = new Gauge({ name: `${p}interval_service_time_seconds`, help: 'The last completed second: service-time quantiles from the merged HDR histogram.', labelNames: ['class', 'op', 'quantile'], registers: r });
    this.#started = new Counter({ name: `${p}started_total`, help: 'Operations handed to a connection.', labelNames: ['class'], registers: r });
    this.#inFlight = new Gauge({ name: `${p}in_flight_requests`, help: 'Operations started and not completed yet, over every worker.', labelNames: ['class'], registers: r });
    this.#lag = this.#bulk(`${p}schedule_lag_seconds`, 'Open loop: send time minus intended start.', ['class']);
    this.#rateTarget = new Gauge({ name: `${p}rate_target_ops_per_second`, help: "The class's open-loop rate (absent in closed loop).", labelNames: ['class'], registers: r });
    this.#rateAchieved = new Gauge({ name: `${p}rate_achieved_ops_per_second`, help: 'Operations started in the last completed second.', labelNames: ['class'], registers: r });
    this.#shardRequests = new Counter({ name: `${p}shard_requests_total`, help: 'Requests per node and the shard that owns their token.', labelNames: ['class', 'node', 'shard'], registers: r });
    this.#misrouted = new Counter({ name: `${p}misrouted_requests_total`, help: "Requests sent over a connection of another shard than the token's owner.", labelNames: ['class', 'node', 'shard'], registers: r });
    this.#phaseInfo = new Gauge({ name: `${p}phase_info`, help: 'The phase running (1).', labelNames: ['phase', 'kind'], registers: r });
    const self = this;
    new Counter({
      name: `${p}loader_cpu_seconds_total`, help: "CPU time of the loader process (user + system, every thread).", registers: r,
      collect() {
        const u = process.cpuUsage();
        const sec = (u.user + u.system) / 1e6;
        if (sec > self.#cpuSeen) { this.inc(sec - self.#cpuSeen); self.#cpuSeen = sec; }
      },
    });
  }

  #bulk(name: string, help: string, labels: string[]): BulkHistogram {
    const h = new BulkHistogram(name, help, labels, LATENCY_BUCKETS_SECONDS);
    this.registry.registerMetric(h);
    return h;
  }

  /** Serves GET /metrics on host:port (port 0: any free port); resolves to the URL. */
  async start(listen: { host?: string; port: number }): Promise<{ url: string; port: number }> {
    const server = http.createServer((req, res) => {
      if (req.method === 'GET' && (req.url ?? '').split('?')[0] === '/metrics') {
        this.registry.metrics().then(
          (text) => { res.writeHead(200, { 'content-type': this.registry.contentType }); res.end(text); },
          (e: Error) => { res.writeHead(500); res.end(e.message); },
        );
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('scylla-bench serves /metrics\n');
    });
    const host = listen.host ?? '0.0.0.0';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listen.port, host, () => { server.off('error', reject); resolve(); });
    });
    server.unref();
    this.#server = server;
    const port = (server.address() as AddressInfo).port;
    const shown = host === '0.0.0.0' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
    return { url: `http://${shown}:${port}/metrics`, port };
  }

  /** A phase begins: its nodes and shards label the per-shard counters; its rates are the targets. */
  startPhase(p: ExportedPhase): void {
    if (this.#phase) this.#phaseInfo.remove({ phase: this.#phase.name, kind: this.#phase.kind });
    this.#phase = p;
    this.#phaseInfo.set({ phase: p.name, kind: p.kind }, 1);
    this.#flow.clear();
    this.#rateTarget.reset();
    this.#rateAchieved.reset();
    this.#inFlight.reset();
    for (const c of p.classes) {
      if (c.rateOpsPerSec !== undefined) this.#rateTarget.set({ class: c.name }, c.rateOpsPerSec);
      this.#inFlight.set({ class: c.name }, 0);
    }
  }

  /** One worker's second: counters, histogram buckets, per-(node, shard) requests, in-flight. */
  update(r: ExportedWorkerReport): void {
    const S = Math.max(1, this.#phase?.nrShards ?? 1);
    for (const [cls, c] of Object.entries(r.classes)) {
      let done = 0;
      for (const [op, o] of Object.entries(c.ops)) {
        if (o.count > 0) this.#requests.inc({ class: cls, op }, o.count);
        done += o.count;
        for (const [kind, n] of Object.entries(o.errors)) {
          if (n > 0) this.#errors.inc({ class: cls, op, kind }, n);
          done += n;
        }
        if (o.response) this.#response.addHdr({ class: cls, op }, decode(o.response));
        if (o.service) this.#service.addHdr({ class: cls, op }, decode(o.service));
      }
      if (c.started > 0) this.#started.inc({ class: cls }, c.started);
      if (c.scheduleLag) this.#lag.addHdr({ class: cls }, decode(c.scheduleLag));
      c.requests.forEach((n, i) => {
        if (n > 0) this.#shardRequests.inc(this.#cell(cls, i, S), n);
        const m = c.misrouted[i] ?? 0;
        if (m > 0) this.#misrouted.inc(this.#cell(cls, i, S), m);
      });
      const key = `${r.workerIndex}\u0000${cls}`;
      const f = this.#flow.get(key) ?? { started: 0, done: 0 };
      f.started += c.started;
      f.done += done;
      this.#flow.set(key, f);
    }
    const byClass = new Map<string, number>();
    for (const [key, f] of this.#flow) {
      const cls = key.slice(key.indexOf('\u0000') + 1);
      byClass.set(cls, (byClass.get(cls) ?? 0) + Math.max(0, f.started - f.done));
    }
    for (const [cls, n] of byClass) this.#inFlight.set({ class: cls }, n);
  }

  /** A completed second (every worker reported it): the last interval's quantiles and achieved rate. */
  updateSecond(s: ExportedSecond): void {
    for (const h of s.histograms) {
      for (const q of QUANTILES) {
        const labels = { class: h.cls, op: h.op, quantile: String(q) };
        if (h.response.totalCount > 0) this.#lastResponse.set(labels, h.response.getValueAtPercentile(q * 100) / 1e6);
        if (h.service.totalCount > 0) this.#lastService.set(labels, h.service.getValueAtPercentile(q * 100) / 1e6);
      }
    }
    for (const [cls, c] of Object.entries(s.record.classes)) this.#rateAchieved.set({ class: cls }, c.started);
  }

  #cell(cls: string, i: number, S: number): Labels {
    const node = Math.floor(i / S);
    return { class: cls, node: this.#phase?.nodes[node] ?? String(node), shard: String(i % S) };
  }

  /** The exposition text (what GET /metrics answers). */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  async stop(): Promise<void> {
    const s = this.#server;
    this.#server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
