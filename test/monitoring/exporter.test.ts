/**
 * The loader's Prometheus exporter, fed with the engine's own worker reports and completed
 * seconds: every figure it serves is the one the reports carried (counts, error kinds, bucket
 * counts from the HDR histograms, per-(node, shard) requests, in-flight), in the exposition
 * format Prometheus reads.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseExposition, type Sample } from '../../src/doctor/prom-text.js';
import { LATENCY_BUCKETS_SECONDS, LoaderExporter, parseListen } from '../../src/metrics/prometheus.js';
import { accumulator, NODES, SHARDS, workerReport } from './loader-data.js';

const get = (samples: Sample[], name: string, labels: Record<string, string> = {}): number[] =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).map((s) => s.value);

describe('LoaderExporter', () => {
  let e: LoaderExporter | undefined;
  afterEach(async () => { await e?.stop(); e = undefined; });

  it('serves the reports\' counts, error kinds, HDR-exact buckets, per-shard requests, in-flight and the last second\'s quantiles', async () => {
    e = new LoaderExporter();
    const { url } = await e.start({ host: '127.0.0.1', port: 0 });
    e.startPhase({ name: 'measure', kind: 'measure', nodes: NODES, nrShards: SHARDS, classes: [{ name: 'app', rateOpsPerSec: 2000 }] });
    const acc = accumulator(2);
    for (const w of [0, 1]) {
      const r = workerReport(w, 0);
      e.update(r);
      for (const s of acc.add(r)) e.updateSecond(s);
    }
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const s = parseExposition(await res.text());
    const p = 'scylla_bench_';
    expect(get(s, `${p}requests_total`, { class: 'app', op: 'get' })).toEqual([2020]);
    expect(get(s, `${p}errors_total`, { class: 'app', op: 'get', kind: 'overloaded' })).toEqual([6]);
    // 2000 values at 1 ms in le=0.001, 20 at 50 ms in le=0.05: exact bucket counts, cumulative
    expect(get(s, `${p}response_time_seconds_bucket`, { class: 'app', op: 'get', le: '0.0005' })).toEqual([0]);
    expect(get(s, `${p}response_time_seconds_bucket`, { class: 'app', op: 'get', le: '0.001' })).toEqual([2000]);
    expect(get(s, `${p}response_time_seconds_bucket`, { class: 'app', op: 'get', le: '0.025' })).toEqual([2000]);
    expect(get(s, `${p}response_time_seconds_bucket`, { class: 'app', op: 'get', le: '0.05' })).toEqual([2020]);
    expect(get(s, `${p}response_time_seconds_bucket`, { class: 'app', op: 'get', le: '+Inf' })).toEqual([2020]);
    expect(get(s, `${p}response_time_seconds_count`, { class: 'app', op: 'get' })).toEqual([2020]);
    const sum = get(s, `${p}response_time_seconds_sum`, { class: 'app', op: 'get' })[0];
    expect(Math.abs(sum - (2000 * 0.001 + 20 * 0.05))).toBeLessThan(3.0 * 0.001); // HDR precision: 3 digits
    expect(get(s, `${p}response_time_seconds_bucket`).length).toBe(LATENCY_BUCKETS_SECONDS.length + 1);
    expect(get(s, `${p}service_time_seconds_bucket`, { le: '0.0005' })).toEqual([2000]);
    expect(get(s, `${p}schedule_lag_seconds_bucket`, { class: 'app', le: '0.00025' })).toEqual([2020]);
    // the merged second's quantiles: p50 1 ms, p999 50 ms (to HDR precision)
    expect(get(s, `${p}interval_response_time_seconds`, { quantile: '0.5' })).toEqual([0.001]);
    const p999 = get(s, `${p}interval_response_time_seconds`, { quantile: '0.999' })[0];
    expect(p999).toBeGreaterThanOrEqual(0.05);
    expect(p999).toBeLessThan(0.0501);
    // 2 workers × (1015 started, 1013 completed or failed): 4 in flight
    expect(get(s, `${p}in_flight_requests`, { class: 'app' })).toEqual([4]);
    expect(get(s, `${p}started_total`, { class: 'app' })).toEqual([2030]);
    expect(get(s, `${p}rate_target_ops_per_second`, { class: 'app' })).toEqual([2000]);
    expect(get(s, `${p}rate_achieved_ops_per_second`, { class: 'app' })).toEqual([2030]);
    expect(get(s, `${p}shard_requests_total`, { class: 'app', node: NODES[1], shard: '1' })).toEqual([1010]);
    expect(get(s, `${p}misrouted_requests_total`, { class: 'app', node: NODES[1], shard: '1' })).toEqual([10]);
    expect(get(s, `${p}loader_cpu_seconds_total`)[0]).toBeGreaterThan(0);
    expect(get(s, `${p}phase_info`, { phase: 'measure', kind: 'measure' })).toEqual([1]);
  });

  it('counters only grow across phases; a new phase resets the gauges it owns', async () => {
    e = new LoaderExporter();
    e.startPhase({ name: 'warmup', kind: 'warmup', nodes: NODES, nrShards: SHARDS, classes: [{ name: 'app', rateOpsPerSec: 500 }] });
    e.update(workerReport(0, 0, 100));
    e.startPhase({ name: 'measure', kind: 'measure', nodes: NODES, nrShards: SHARDS, classes: [{ name: 'app' }] });
    e.update(workerReport(0, 0, 100));
    const s = parseExposition(await e.metrics());
    expect(get(s, 'scylla_bench_requests_total')).toEqual([202]);
    expect(get(s, 'scylla_bench_rate_target_ops_per_second')).toEqual([]); // closed loop now
    expect(get(s, 'scylla_bench_phase_info').length).toBe(1);
    expect(get(s, 'scylla_bench_in_flight_requests', { class: 'app' })).toEqual([2]);
  });

  it('parses --prometheus [host:]port', () => {
    expect(parseListen('9500')).toEqual({ host: '0.0.0.0', port: 9500 });
    expect(parseListen('127.0.0.1:9500')).toEqual({ host: '127.0.0.1', port: 9500 });
    expect(parseListen('[::1]:9500')).toEqual({ host: '::1', port: 9500 });
    expect(() => parseListen('99999')).toThrow("expected [host:]port, e.g. 9500 or 127.0.0.1:9500, got '99999'");
    expect(() => parseListen('host:')).toThrow(/expected \[host:\]port/);
  });
});
