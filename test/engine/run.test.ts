/**
 * `scylla-bench run` end to end on the built-in emulator: the --json contract, exact open-loop
 * rates, closed-loop counts that match what the target stored, Ctrl-C leaving a valid result,
 * and bad input giving one line and exit 2.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { Connection } from '../../src/cql/connection.js';
import { decodeRows } from '../../src/cql/rows.js';
import type { RowsResult } from '../../src/cql/messages.js';
import type { RunResult } from '../../src/results/result.js';
import { startSim } from '../../src/sim/index.js';
import { runCli } from '../support/cli.js';
import { simHost } from '../support/sim-host.js';

const FIX = 'test/fixtures/engine';
const OUT = 'results/test-engine';

describe('scylla-bench run', () => {
  it('open loop: the --json summary keeps its contract and the total rate is exact across workers', async () => {
    const r = await runCli(['run', `${FIX}/open-rate.yaml`, '--target', `sim:${simHost()}`, '--json', '--out', OUT]);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(Object.keys(s).sort()).toEqual(['classes', 'largePartitions', 'resultDir', 'runId', 'stopped', 'validation', 'warnings'].sort());
    expect(s.largePartitions).toEqual([]);
    expect(s.validation).toBeNull();
    expect(s.stopped).toBeNull();
    const app = s.classes.app;
    expect(app.serviceLevel).toBeNull();
    expect(app.routing).toBe('shard-aware');
    expect(app.rate.target).toBe(500);
    expect(app.misrouteRatio).toBe(0);
    for (const op of ['put', 'get']) {
      for (const k of ['count', 'errors', 'p50Ms', 'p99Ms', 'p999Ms', 'maxMs']) expect(typeof app.ops[op][k], `${op}.${k}`).toBe('number');
      expect(app.ops[op].errors).toBe(0);
    }
    // one global schedule: 500 ops/s for 4 s is exactly 2000 intended starts, whatever the
    // workers did; each was sent (and completed) or counted as unsent when the window closed
    expect(app.ops.put.count + app.ops.get.count + app.rate.unsent).toBe(2000);
    expect(app.rate.sent).toBe(app.ops.put.count + app.ops.get.count);
    // reads report the rows they got back (one per partition here, none when not written yet); writes none
    expect(app.ops.get.rows).toBeGreaterThan(0);
    expect(app.ops.get.rows).toBeLessThanOrEqual(app.ops.get.count);
    expect(app.ops.put.rows).toBe(0);
    const result = JSON.parse(readFileSync(path.join(s.resultDir, 'result.json'), 'utf8')) as RunResult;
    expect(result.schema).toBe('scylla-bench/result@1');
    // the documented JSON Schema describes what we actually write
    const validate = new Ajv2020.default({ strict: false }).compile(JSON.parse(readFileSync('docs/schemas/result.schema.json', 'utf8')));
    expect(validate(result), JSON.stringify(validate.errors)).toBe(true);
    expect(result.cluster.scylla).toBe(true);
    expect(result.cluster.nodes).toHaveLength(2);
    const measure = result.phases.find((p) => p.kind === 'measure')!;
    expect(measure.intervals.length).toBeGreaterThanOrEqual(4);
    // every request was counted at its owner shard, and none was misrouted
    const shards = measure.classes.app.shards;
    expect(shards.requests.flat().reduce((a, b) => a + b, 0)).toBe(measure.classes.app.rate.sent);
    expect(shards.misrouted.flat().every((x) => x === 0)).toBe(true);
    // the .hlog has one tag per op and kind
    const hlog = readFileSync(path.join(s.resultDir, 'app.hlog'), 'utf8');
    for (const tag of ['measure.put.response', 'measure.put.service', 'measure.get.response', 'measure.get.service']) expect(hlog).toContain(`Tag=${tag},`);
    expect(existsSync(path.join(s.resultDir, 'intervals.jsonl'))).toBe(true);
  });

  it('closed loop: the count the run reports equals the rows the target stored', async () => {
    const host = simHost();
    const sim = await startSim({ nodes: 2, shards: 2, host });
    try {
      const r = await runCli(['run', `${FIX}/closed-count.yaml`, '--target', `${host}:9042`, '--json', '--out', OUT]);
      expect(r.code, r.stderr).toBe(0);
      const s = JSON.parse(r.stdout);
      expect(s.classes.loader.ops.put.count).toBe(3000);
      // a count-bound phase shows how far it is, its rate and an ETA on the status line
      expect(r.stderr).toMatch(/\[load \d+s\] .* — \d+\/3000 \(\d+\.\d%\), \d+ ops\/s, ETA \d+/);
      expect(s.classes.loader.ops.put.errors).toBe(0);
      const c = await Connection.connect({ host, port: 9042 });
      const rows = decodeRows((await c.query('SELECT count(*) AS n FROM sb_engine.kv')) as RowsResult);
      await c.close();
      expect(Number(rows[0].n)).toBe(3000);
      // and the emulator served at least that many requests
      expect(sim.stats().reduce((a, x) => a + x.requests, 0)).toBeGreaterThanOrEqual(3000);
    } finally {
      await sim.stop();
    }
  });

  it('token-range scans are routed across shards, not all to the shard of their start token', async () => {
    const r = await runCli(['run', `${FIX}/scan.yaml`, '--target', `sim:${simHost()}`, '--json', '--out', OUT]);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.classes.olap.ops.scan.count).toBeGreaterThan(20);
    expect(s.classes.olap.ops.scan.errors).toBe(0);
    const result = JSON.parse(readFileSync(path.join(s.resultDir, 'result.json'), 'utf8')) as RunResult;
    const shards = result.phases.find((p) => p.kind === 'measure')!.classes.olap.shards;
    expect(shards.requests[0].every((n) => n > 0)).toBe(true);
    expect(shards.imbalance).toBeLessThan(2);
  });

  it('Ctrl-C stops the run, still writes a valid result marked stopped, and exits non-zero', async () => {
    let child: import('node:child_process').ChildProcess | undefined;
    const done = runCli(['run', `${FIX}/long.yaml`, '--target', `sim:${simHost()}`, '--json', '--out', OUT], { onSpawn: (c) => { child = c; } });
    // wait until the measure phase has produced intervals
    await new Promise((r) => setTimeout(r, 6000));
    const t0 = Date.now();
    child!.kill('SIGINT');
    const r = await done;
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(r.code).toBe(1);
    const s = JSON.parse(r.stdout);
    expect(s.stopped).toBe('signal');
    const result = JSON.parse(readFileSync(path.join(s.resultDir, 'result.json'), 'utf8')) as RunResult;
    expect(result.stopped).toBe('signal');
    const ops = Object.values(result.phases.find((p) => p.kind === 'measure')!.classes.app.ops);
    expect(ops.reduce((a, o) => a + o.count, 0)).toBeGreaterThan(300);
  });

  it('a target that is down gives one line naming host:port and exit 2', async () => {
    const r = await runCli(['run', `${FIX}/open-rate.yaml`, '--target', '127.0.0.1:1']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('127.0.0.1:1');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a target that accepts but never answers: one line naming host:port and the timeout setting, no doubled prefix', async () => {
    const host = simHost();
    const silent = net.createServer(() => { /* accept, never answer */ });
    await new Promise<void>((r) => silent.listen(9042, host, () => r()));
    try {
      const r = await runCli(['run', `${FIX}/connect-timeout.yaml`, '--target', `${host}:9042`]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr).toContain(`${host}:9042`);
      expect(r.stderr).toContain('target.connect_timeout 50 ms');
      expect(r.stderr).not.toMatch(/worker \d+: worker/);
    } finally {
      silent.close();
    }
  });

  it('a malformed profile gives one line with file:line:col and exit 2', async () => {
    const r = await runCli(['run', 'test/fixtures/bad-profiles/' + firstBadProfile()]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/\.ya?ml:\d+:\d+: /);
  });

  it('CQL the target rejects: one line with the statement and the server\'s message, exit 2', async () => {
    const r = await runCli(['run', `${FIX}/bad-cql/profile.yaml`, '--target', `sim:${simHost()}`]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^scylla-bench: test\/fixtures\/engine\/bad-cql\/workload\.yaml: the target rejected: CREATE TABLE IF NOT EXISTS sb_badcql\.kv .* — config-error: default_time_to_live/);
  });

  it('--pin pins each worker thread to its own core and says so in the result', async () => {
    const r = await runCli(['run', `${FIX}/open-rate.yaml`, '--target', `sim:${simHost()}`, '--pin', '--duration', '1s', '--json', '--out', OUT]);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    const result = JSON.parse(readFileSync(path.join(s.resultDir, 'result.json'), 'utf8')) as RunResult;
    expect(result.environment.pinned).toMatch(/^pinned thread \d+ to cpu 0; pinned thread \d+ to cpu 1$/);
  });

  it('bad flags are one line and exit 2', async () => {
    for (const args of [['run', `${FIX}/open-rate.yaml`, '--rate', '-5'], ['run', `${FIX}/open-rate.yaml`, '--duration', 'soon'], ['run', `${FIX}/open-rate.yaml`, '--target', 'sim:10.0.0.1']]) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
    }
  });
});

function firstBadProfile(): string {
  return readdirSync('test/fixtures/bad-profiles').filter((f) => f.endsWith('.yaml')).sort()[0];
}
