/**
 * monitoring/ against a real Prometheus (Debian's `prometheus`, installed by .ci/run): the
 * shipped prometheus.yml passes `promtool check config`; with its targets pointed at a running
 * loader exporter and at the emulator's /metrics (the rest of the file as shipped), Prometheus
 * scrapes both, and every PromQL expression of the Grafana dashboard returns data through
 * Prometheus's HTTP API.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { Connection } from '../../src/cql/connection.js';
import { LoaderExporter } from '../../src/metrics/prometheus.js';
import { startSim, type Sim } from '../../src/sim/index.js';
import { closedPort } from '../doctor/support.js';
import { simHost } from '../support/sim-host.js';
import { accumulator, NODES, SHARDS, workerReport } from './loader-data.js';

const hasPrometheus = spawnSync('prometheus', ['--version']).status === 0 && spawnSync('promtool', ['--version']).status === 0;
if (!hasPrometheus && process.env.CI === 'true') throw new Error('prometheus/promtool not found: .ci/run installs Debian\'s prometheus package');

interface Panel { title: string; type: string; datasource?: { uid: string }; targets?: { expr: string }[] }
const DASHBOARD = JSON.parse(readFileSync('monitoring/grafana/dashboards/scylla-bench.json', 'utf8')) as { uid: string; panels: Panel[] };
const EXPRS = DASHBOARD.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
/** Grafana's $__rate_interval for a 1 s scrape interval (at least 4 scrapes). */
const RATE_INTERVAL = '5s';

describe('the dashboard and prometheus.yml (static)', () => {
  it('every panel queries the provisioned datasource, and uses no variable but $__rate_interval', () => {
    const ds = parse(readFileSync('monitoring/grafana/provisioning/datasources/prometheus.yml', 'utf8')) as { datasources: { uid: string }[] };
    const uid = ds.datasources[0].uid;
    const queried = DASHBOARD.panels.filter((p) => p.type !== 'row');
    expect(queried.length).toBeGreaterThanOrEqual(12);
    for (const p of queried) expect(p.datasource?.uid, p.title).toBe(uid);
    for (const { expr } of EXPRS) expect(expr.replaceAll('$__rate_interval', '')).not.toMatch(/\$/);
    // what the issue names: latency per class, throughput, errors, misroute ratio, shard imbalance
    const all = EXPRS.map((e) => e.expr).join('\n');
    for (const m of ['scylla_bench_response_time_seconds_bucket', 'scylla_bench_requests_total', 'scylla_bench_errors_total', 'scylla_bench_misrouted_requests_total', 'scylla_transport_requests_served']) expect(all).toContain(m);
  });
});

describe.skipIf(!hasPrometheus)('monitoring/ with a real Prometheus', () => {
  let sim: Sim;
  const host = simHost();
  const exporter = new LoaderExporter();
  let exporterUrl: string;
  let prom: ChildProcess | undefined;
  let promUrl: string;
  let stop = false;
  const loops: Promise<void>[] = [];
  const dir = mkdtempSync(path.join(tmpdir(), 'sb-prom-'));

  beforeAll(async () => {
    // the emulator with traffic on every node (reads and writes) and 5 % Overloaded errors
    sim = await startSim({ nodes: 3, shards: 2, host, metricsPort: 0, vnodesPerNode: 16, faults: { errors: [{ rate: 0.05, code: 0x1001 }] } });
    const admin = await Connection.connect({ host, port: 9042 });
    await admin.query("CREATE KEYSPACE m WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}").catch(() => undefined);
    await admin.query('CREATE TABLE m.kv (k int PRIMARY KEY, v text)').catch(() => undefined);
    await admin.close();
    for (const n of sim.nodes) {
      loops.push((async () => {
        const c = await Connection.connect({ host: n.host, port: 9042 });
        for (let i = 0; !stop && i < 100_000; i++) {
          await Promise.allSettled([c.query(`INSERT INTO m.kv (k, v) VALUES (${i % 500}, 'x')`), c.query(`SELECT v FROM m.kv WHERE k = ${i % 500}`)]);
          if (i % 20 === 0) await new Promise((r) => setTimeout(r, 20));
        }
        await c.close();
      })());
    }
    // the loader's exporter, fed a "second" of two workers' reports every 300 ms
    exporterUrl = (await exporter.start({ host: '127.0.0.1', port: 0 })).url;
    exporter.startPhase({ name: 'measure', kind: 'measure', nodes: NODES, nrShards: SHARDS, classes: [{ name: 'app', rateOpsPerSec: 2000 }] });
    const acc = accumulator(2);
    loops.push((async () => {
      for (let t = 0; !stop && t < 1000; t++) {
        for (const w of [0, 1]) {
          const r = workerReport(w, t);
          exporter.update(r);
          for (const s of acc.add(r)) exporter.updateSecond(s);
        }
        await new Promise((r) => setTimeout(r, 300));
      }
    })());

    // the shipped config, its targets pointed here, scraping every second
    const cfg = parse(readFileSync('monitoring/prometheus.yml', 'utf8')) as { global: Record<string, string>; scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[] };
    cfg.global.scrape_interval = '1s';
    const hostPort = (u: string): string => new URL(u).host;
    for (const j of cfg.scrape_configs) {
      j.static_configs = [{ targets: [j.job_name === 'scylla' ? hostPort(sim.metricsUrl!) : hostPort(exporterUrl)] }];
    }
    const file = path.join(dir, 'prometheus.yml');
    writeFileSync(file, stringify(cfg));
    const check = spawnSync('promtool', ['check', 'config', file], { encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    const port = await closedPort();
    promUrl = `http://127.0.0.1:${port}`;
    const log = openSync(path.join(dir, 'prometheus.log'), 'w');
    prom = spawn('prometheus', [`--config.file=${file}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', log, log] });
    for (let i = 0; ; i++) {
      const ok = await fetch(`${promUrl}/-/ready`).then((r) => r.ok, () => false);
      if (ok) break;
      if (i > 120) throw new Error(`prometheus not ready: ${readFileSync(path.join(dir, 'prometheus.log'), 'utf8').slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  });

  afterAll(async () => {
    stop = true;
    prom?.kill('SIGTERM');
    await Promise.allSettled(loops);
    await exporter.stop();
    await sim?.stop();
  });

  it('promtool accepts the shipped prometheus.yml', () => {
    const r = spawnSync('promtool', ['check', 'config', 'monitoring/prometheus.yml'], { encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/SUCCESS/);
  });

  it('scrapes the loader and the emulator, and every dashboard expression returns data', async () => {
    const query = async (expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> => {
      const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = await res.json() as { status: string; error?: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
      if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
      return body.data.result;
    };
    let missing: string[] = EXPRS.map((e) => e.panel);
    for (let i = 0; i < 90 && missing.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      const up = await query('up');
      if (up.filter((s) => s.value[1] === '1').length < 2) continue;
      missing = [];
      for (const { panel, expr } of EXPRS) {
        const r = await query(expr.replaceAll('$__rate_interval', RATE_INTERVAL));
        if (!r.some((s) => Number.isFinite(Number(s.value[1])))) missing.push(`${panel}: ${expr}`);
      }
    }
    expect(missing).toEqual([]);
    const up = await query('up');
    expect(up.map((s) => `${s.metric.job} ${s.value[1]}`).sort()).toEqual(['scylla 1', 'scylla-bench 1']);
    // the emulator's node labels survive the scrape (honor_labels): shard imbalance per node
    const perNode = await query(`max by (instance) (rate(scylla_transport_requests_served[${RATE_INTERVAL}])) / avg by (instance) (rate(scylla_transport_requests_served[${RATE_INTERVAL}]))`);
    expect(perNode.map((s) => s.metric.instance).sort()).toEqual(sim.nodes.map((n) => n.host).sort());
    // the loader's shard imbalance as fed: node 1 shard 1 takes half of 4 cells → 2
    const loader = await query(`max(sum by (node, shard) (rate(scylla_bench_shard_requests_total[${RATE_INTERVAL}]))) / avg(sum by (node, shard) (rate(scylla_bench_shard_requests_total[${RATE_INTERVAL}])))`);
    expect(Number(loader[0].value[1])).toBeCloseTo(2, 1);
  }, 150_000);
});
