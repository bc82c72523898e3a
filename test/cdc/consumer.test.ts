/**
 * `kind: cdc` classes end to end on the emulator (in-process, the CLI against it): the consumer
 * reads every change the writers made exactly once and records its lag like any op; log rows
 * deleted before it reads them are counted missing and fail the run (exit 1).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection } from '../../src/cql/connection.js';
import type { RowsResult } from '../../src/cql/messages.js';
import { decodeRows } from '../../src/cql/rows.js';
import { decode } from '../../src/metrics/histogram.js';
import type { RunResult } from '../../src/results/result.js';
import { minTimeUuid } from '../../src/engine/cdc-reader.js';
import { startSim, type Sim } from '../../src/sim/index.js';
import { runCli } from '../support/cli.js';
import { simHost } from '../support/sim-host.js';

const FIX = 'test/cdc/fixtures';

async function rows(c: Connection, cql: string, values: unknown[] = []): Promise<Record<string, unknown>[]> {
  const r = await c.query(cql, values);
  return r.kind === 'rows' ? decodeRows(r as RowsResult) : [];
}

function resultOf(stdout: string): RunResult {
  const s = JSON.parse(stdout) as { resultDir: string };
  return JSON.parse(readFileSync(path.join(s.resultDir, 'result.json'), 'utf8')) as RunResult;
}

describe('kind: cdc on the emulator (vnodes)', () => {
  let sim: Sim;
  let host: string;
  let out: string;
  beforeAll(async () => {
    host = simHost();
    sim = await startSim({ nodes: 2, shards: 2, host, vnodesPerNode: 8 });
    out = mkdtempSync('results/test-cdc-');
  });
  afterAll(async () => {
    await sim?.stop();
    rmSync(out, { recursive: true, force: true });
  });

  it('reads every change of the phase once, as many as the log holds, with its lag as an op', async () => {
    const r = await runCli(['run', `${FIX}/cdc.yaml`, '--target', `${host}:9042`, '--json', '--out', out], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const result = resultOf(r.stdout);
    const validate = new Ajv2020.default({ strict: false }).compile(JSON.parse(readFileSync('docs/schemas/result.schema.json', 'utf8')));
    expect(validate(result), JSON.stringify(validate.errors)).toBe(true);
    const m = result.phases.find((p) => p.kind === 'measure')!;
    const f = m.classes.follower;
    const cdc = f.cdc!;
    const written = m.classes.shop.ops.place_order.count;
    expect(written).toBeGreaterThan(0);
    expect(m.classes.shop.ops.place_order.errors).toBe(0);
    expect(cdc).toMatchObject({ table: 'sb_cdc.orders', generationSource: 'vnodes', generations: 1, missing: 0, duplicate: 0, unexpected: 0, caughtUp: true, notValidated: null, failedQueries: 0 });
    // one change per write, and exactly the rows the emulator's log holds (the run wrote nothing else)
    expect(cdc.expected).toBe(written);
    expect(cdc.changes).toBe(written);
    expect(cdc.rows).toBe(written);
    const c = await Connection.connect({ host, port: 9042 });
    try {
      const [n] = await rows(c, 'SELECT count(*) FROM sb_cdc.orders_scylla_cdc_log');
      expect(Number(n.count)).toBe(cdc.changes);
      // one group per vnode: 2 nodes × 8 vnodes, one stream per shard each
      const desc = await rows(c, 'SELECT streams FROM system_distributed.cdc_streams_descriptions_v2');
      expect(cdc.groups).toBe(desc.length);
      expect(cdc.streams).toBe(desc.reduce((a, x) => a + (x.streams as unknown[]).length, 0));
    } finally {
      await c.close();
    }
    // the lag is an op's latency: count, histogram, a .hlog of its own, the check in the SLO
    const lag = f.ops['cdc-lag'];
    expect(lag.count).toBe(cdc.changes);
    expect(lag.rows).toBe(cdc.rows);
    const h = decode(lag.service.histogram!);
    expect(h.totalCount).toBe(cdc.changes);
    // a change is read only once it is older than the confidence window (1 s): no lag below it
    // (HDR keeps 3 digits: the lowest bucket may start 0.1 % below the value recorded)
    expect(h.minNonZeroValue).toBeGreaterThanOrEqual(1_000_000 * 0.999);
    expect(lag.service.p99Ms).toBeGreaterThanOrEqual(lag.service.p50Ms);
    expect(f.slo.checks.map((x) => x.metric).sort()).toEqual(['cdcDuplicate', 'cdcMissing']);
    expect(f.slo.pass).toBe(true);
    // the per-second records carry it too (the drain's seconds included)
    const perSecond = m.intervals.reduce((a, i) => a + (i.classes.follower?.ops['cdc-lag']?.count ?? 0), 0);
    expect(perSecond).toBe(cdc.changes);
    // every log query was counted where it went, shard-aware: none misrouted
    expect(f.shards.requests.flat().reduce((a, b) => a + b, 0)).toBe(cdc.queries);
    expect(f.shards.misrouted.flat().every((x) => x === 0)).toBe(true);
    expect(readFileSync(path.join(JSON.parse(r.stdout).resultDir, 'follower.hlog'), 'utf8')).toContain('measure.cdc-lag.service');
    // the table (on stderr with --json) sums the consumer up
    expect(r.stderr).toContain(`follower: CDC consumer of sb_cdc.orders: ${cdc.changes} changes read of ${written} written, 0 missing, 0 duplicate, caught up ${cdc.drainMs} ms after the writers`);
  });

  it('a consumer of a table without cdc is one line and exit 2, before the phase starts', async () => {
    const r = await runCli(['run', `${FIX}/no-cdc.yaml`, '--target', `${host}:9042`, '--json', '--out', out], { timeoutMs: 60_000 });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      "scylla-bench: phase measure: class follower: table sb_no_cdc.kv has no CDC log (create or alter it WITH cdc = {'enabled': true})",
    ]);
  });

  it('log rows deleted before the consumer reads them are missing, and the run fails (exit 1)', async () => {
    const c = await Connection.connect({ host, port: 9042 });
    const deleted = new Set<string>();
    let stop = false;
    // waits for the run's first changes, then deletes the youngest log rows: younger than the
    // 5 s confidence window, so the consumer has not read them
    const vandal = (async () => {
      while (!stop && deleted.size === 0) {
        await new Promise((r) => setTimeout(r, 200));
        const since = minTimeUuid(Date.now() - 500);
        let recent: Record<string, unknown>[] = [];
        try {
          recent = await rows(c, `SELECT "cdc$stream_id", "cdc$time", "cdc$batch_seq_no", customer_id, order_id FROM sb_cdc.orders_scylla_cdc_log WHERE "cdc$time" > ${since} ALLOW FILTERING`);
        } catch {
          continue; // the schema phase has not created the table yet
        }
        for (const row of recent.slice(0, 25)) {
          await c.query('DELETE FROM sb_cdc.orders_scylla_cdc_log WHERE "cdc$stream_id" = ? AND "cdc$time" = ? AND "cdc$batch_seq_no" = ?',
            [row['cdc$stream_id'], row['cdc$time'], row['cdc$batch_seq_no']], { types: [{ kind: 'blob' }, { kind: 'timeuuid' }, { kind: 'int' }] });
          deleted.add(`${row.customer_id}/${row.order_id}`);
        }
      }
    })();
    let r;
    try {
      // the first test's keyspace is dropped so this run's log holds its changes only
      await c.query('DROP KEYSPACE IF EXISTS sb_cdc');
      r = await runCli(['run', `${FIX}/cdc-fault.yaml`, '--target', `${host}:9042`, '--json', '--out', out], { timeoutMs: 120_000 });
    } finally {
      stop = true;
      await vandal;
      await c.close();
    }
    expect(r.code, r.stderr).toBe(1);
    expect(deleted.size).toBeGreaterThan(0);
    const m = resultOf(r.stdout).phases.find((p) => p.kind === 'measure')!;
    const cdc = m.classes.follower.cdc!;
    const written = m.classes.shop.ops.place_order.count;
    // every write is a new order: each deleted log row is one change nobody can read any more
    expect(cdc.missing).toBe(deleted.size);
    expect(cdc.changes).toBe(written - deleted.size);
    expect(cdc.duplicate).toBe(0);
    expect(cdc.caughtUp).toBe(true);
    expect(m.classes.follower.slo.pass).toBe(false);
    expect(m.classes.follower.slo.checks.find((x) => x.metric === 'cdcMissing')).toMatchObject({ actual: deleted.size, limit: 0, pass: false });
    expect(JSON.parse(r.stdout).warnings.join('\n')).toContain(`${deleted.size} of ${written} changes written to sb_cdc.orders were never read`);
  });
});

describe('kind: cdc on the emulator (tablets)', () => {
  it('reads the streams of system.cdc_streams, one group each; images are read but are not changes', async () => {
    const host = simHost();
    const sim = await startSim({ nodes: 2, shards: 2, host, tablets: true });
    const out = mkdtempSync('results/test-cdc-tablets-');
    try {
      const r = await runCli(['run', `${FIX}/cdc-tablets.yaml`, '--target', `${host}:9042`, '--json', '--out', out], { timeoutMs: 120_000 });
      expect(r.code, r.stderr).toBe(0);
      const m = resultOf(r.stdout).phases.find((p) => p.kind === 'measure')!;
      const cdc = m.classes.follower.cdc!;
      const written = m.classes.put.ops.put.count;
      expect(cdc).toMatchObject({ generationSource: 'tablets', missing: 0, duplicate: 0, unexpected: 0, caughtUp: true });
      expect(cdc.changes).toBe(written);
      // postimage on (no preimage of a new row): two log rows per write
      expect(cdc.rows).toBe(2 * written);
      expect(cdc.groups).toBe(cdc.streams);
      const c = await Connection.connect({ host, port: 9042 });
      try {
        const s = await rows(c, "SELECT stream_id FROM system.cdc_streams WHERE keyspace_name = 'sb_cdc_tablets' AND table_name = 'kv' ALLOW FILTERING");
        expect(cdc.streams).toBe(s.length);
      } finally {
        await c.close();
      }
    } finally {
      await sim.stop();
      rmSync(out, { recursive: true, force: true });
    }
  });
});
