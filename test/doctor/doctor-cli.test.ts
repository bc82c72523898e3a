/**
 * `scylla-bench doctor` as a user runs it (the built CLI in a child process): exit 0 when
 * nothing fails, 1 when a check fails, 2 with one line naming the host or the flag for bad
 * input; `--result` judges a real run's per-(node, shard) counts and weighs the profile's mix by
 * the counts it measured.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection } from '../../src/cql/connection.js';
import type { DoctorReport } from '../../src/doctor/index.js';
import { startSim, type Sim } from '../../src/sim/index.js';
import { runCli } from '../support/cli.js';
import { simHost } from '../support/sim-host.js';
import { applySchema, closedPort, evenTraffic, one } from './support.js';

const SU = { username: 'cassandra', password: 'cassandra' };
const ENV = { SCYLLA_BENCH_USERNAME: 'cassandra', SCYLLA_BENCH_PASSWORD: 'cassandra' };

describe('doctor CLI', () => {
  let sim: Sim;
  let admin: Connection;
  const host = simHost();
  let metrics: string;
  const out = mkdtempSync(path.join(tmpdir(), 'sb-doctor-'));

  beforeAll(async () => {
    sim = await startSim({ nodes: 3, shards: 2, host, auth: true, metricsPort: 0, vnodesPerNode: 16 });
    metrics = `${sim.metricsUrl}/metrics`;
    admin = await Connection.connect({ host, port: 9042, credentials: SU });
    await applySchema(admin, 'test/fixtures/doctor/doctor-wl.yaml');
    await admin.query("CREATE ROLE app WITH PASSWORD = 'x' AND LOGIN = true");
    await admin.query("CREATE SERVICE LEVEL oltp WITH timeout = 50ms AND workload_type = 'interactive'");
    await admin.query('ATTACH SERVICE LEVEL oltp TO app');
    // a balanced history, so the counters since start say the shards are even
    await evenTraffic(sim.nodes.map((n) => n.host), 2, 100, SU);
  });
  afterAll(async () => {
    await admin?.close();
    await sim?.stop();
  });

  it('exit 0 when nothing fails (warnings allowed), the report on stdout', async () => {
    const r = await runCli(['doctor', '--target', host, '--scylla-metrics', metrics, '--metrics-window', '200ms'], { env: ENV });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^doctor: .*:9042 \(no profile; metrics http/);
    expect(r.stdout).toMatch(/PASS {2}shard-aware: node .*sharding advertised \(2 shards\)/);
    expect(r.stdout).toMatch(/PASS {2}workload-types: service level oltp: interactive, timeout 50 ms, attached to app/);
    expect(r.stdout).toMatch(/\d+ pass, \d+ warn, 0 fail, \d+ skipped\n$/);
  });

  it('exit 1 when a check fails; --json prints the findings', async () => {
    await admin.query("CREATE KEYSPACE sb_rf1 WITH replication = {'class': 'NetworkTopologyStrategy', 'datacenter1': 1}");
    try {
      const r = await runCli(['doctor', '--target', host, '--scylla-metrics', metrics, '--metrics-window', '200ms', '--json'], { env: ENV });
      expect(r.code).toBe(1);
      const rep = JSON.parse(r.stdout) as DoctorReport;
      const f = one(rep, 'replication', 'keyspace sb_rf1');
      expect(f.status).toBe('FAIL');
      expect(rep.findings[0].status).toBe('FAIL'); // worst first
      expect(rep.totals.FAIL).toBe(1);
    } finally {
      await admin.query('DROP KEYSPACE sb_rf1');
    }
  });

  it('--result: a real run\'s per-(node, shard) counts; a skewed copy fails; the profile\'s mix is weighed by measured counts', async () => {
    const run = await runCli(['run', 'test/fixtures/doctor/run.yaml', '--target', host, '--out', out, '--json'], { env: ENV, timeoutMs: 120_000 });
    expect(run.code).toBe(0);
    const dir = (JSON.parse(run.stdout) as { resultDir: string }).resultDir;
    const ok = await runCli(['doctor', '--target', host, '--scylla-metrics', metrics, '--metrics-window', '200ms', '--result', dir, '--profile', 'test/fixtures/doctor/run.yaml', '--json'], { env: ENV });
    const rep = JSON.parse(ok.stdout) as DoctorReport;
    const imb = one(rep, 'shard-imbalance', /^requests per shard \(result/);
    expect(imb.status).toBe('PASS');
    const users = one(rep, 'compaction', 'table sb_doc.users');
    expect(users.evidence.find((e) => e.detail.includes('weighing'))!.detail).toMatch(/weighing op counts measured by the result/);

    // the same result with one shard carrying most requests
    const skewed = path.join(out, 'skewed');
    cpSync(dir, skewed, { recursive: true });
    const file = path.join(skewed, 'result.json');
    const result = JSON.parse(readFileSync(file, 'utf8'));
    const m = result.phases.find((p: { kind: string }) => p.kind === 'measure');
    m.classes.app.shards.requests[2][1] += 10_000;
    writeFileSync(file, JSON.stringify(result));
    const bad = await runCli(['doctor', '--target', host, '--scylla-metrics', metrics, '--metrics-window', '200ms', '--result', skewed, '--json'], { env: ENV });
    expect(bad.code).toBe(1);
    const f = one(JSON.parse(bad.stdout) as DoctorReport, 'shard-imbalance', /^requests per shard \(result/);
    expect(f.status).toBe('FAIL');
    expect(f.summary).toMatch(/^shard 1 of \S+ took [\d.]+× the mean of the run's requests$/);
  });

  it('exit 2, one line naming the host, when no contact point answers', async () => {
    const port = await closedPort();
    const r = await runCli(['doctor', '--target', `127.0.0.1:${port}`], { env: ENV });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`scylla-bench: --target: no contact point answered: 127.0.0.1:${port}: connection refused\n`);
  });

  it('exit 2, one line naming the flag, for bad flags, a bad result and a bad profile', async () => {
    const a = await runCli(['doctor', '--target', host, '--scylla-metrics', 'localhost:9180'], { env: ENV });
    expect([a.code, a.stderr]).toEqual([2, "scylla-bench: --scylla-metrics: expected an http(s) URL such as http://10.0.0.1:9180/metrics, got 'localhost:9180'\n"]);
    const b = await runCli(['doctor', '--target', host, '--result', path.join(out, 'nothing')], { env: ENV });
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/^scylla-bench: --result: .*nothing: no such file or directory\n$/);
    const c = await runCli(['doctor', '--target', host, '--profile', 'test/fixtures/bad-profiles/rate-zero.yaml'], { env: ENV });
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/^scylla-bench: test\/fixtures\/bad-profiles\/rate-zero\.yaml:\d+:\d+: /);
    const d = await runCli(['doctor', '--target', host, '--metrics-window', '5'], { env: ENV });
    expect(d.code).toBe(2);
    expect(d.stderr).toMatch(/^scylla-bench: --metrics-window: /);
    expect(d.stderr.split('\n')).toHaveLength(2);
  });
});
