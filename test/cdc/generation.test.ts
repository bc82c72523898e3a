/**
 * `kind: cdc` across a generation switch: the emulator makes a new CDC generation mid-phase (as a
 * topology change does in Scylla, its time a little in the future); the consumer finds it by
 * polling, closes the old generation's readers at its time and reads on from there with the new
 * streams: every change exactly once, from both generations.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Connection } from '../../src/cql/connection.js';
import type { RowsResult } from '../../src/cql/messages.js';
import { decodeRows } from '../../src/cql/rows.js';
import type { RunResult } from '../../src/results/result.js';
import { startSim } from '../../src/sim/index.js';
import { runCli } from '../support/cli.js';
import { simHost } from '../support/sim-host.js';

const FIX = 'test/cdc/fixtures';

async function rows(c: Connection, cql: string): Promise<Record<string, unknown>[]> {
  const r = await c.query(cql);
  return r.kind === 'rows' ? decodeRows(r as RowsResult) : [];
}

const cases = [
  { flavour: 'vnodes', fixture: 'cdc-generation.yaml', tablets: false, log: 'sb_cdc.orders_scylla_cdc_log', writer: ['shop', 'place_order'], rowsPerChange: 1,
    streams: async (c: Connection, ms: number) => (await rows(c, `SELECT streams FROM system_distributed.cdc_streams_descriptions_v2 WHERE time = '${new Date(ms).toISOString()}'`)).flatMap((r) => [...(r.streams as Set<Buffer>)]) },
  // postimage on: two log rows per change
  { flavour: 'tablets', fixture: 'cdc-generation-tablets.yaml', tablets: true, log: 'sb_cdc_tablets.kv_scylla_cdc_log', writer: ['put', 'put'], rowsPerChange: 2,
    streams: async (c: Connection, ms: number) => (await rows(c, `SELECT stream_id FROM system.cdc_streams WHERE keyspace_name = 'sb_cdc_tablets' AND table_name = 'kv' AND timestamp = '${new Date(ms).toISOString()}' AND stream_state = 0`)).map((r) => r.stream_id as Buffer) },
] as const;

describe.each(cases)('kind: cdc across a new generation ($flavour)', (k) => {
  it('reads every change once from both generations, as many as the log holds; the result counts 2 generations', async () => {
    const host = simHost();
    const sim = await startSim({ nodes: 2, shards: 2, host, vnodesPerNode: 8, tablets: k.tablets, initialTablets: 4 });
    const out = mkdtempSync('results/test-cdc-gen-');
    const c = await Connection.connect({ host, port: 9042 });
    const firstMs = sim.cluster.startedAtMs;
    let genMs = 0;
    let stop = false;
    try {
      // once the writers' first changes are in the log, a new generation starting 1.5 s later
      const switcher = (async () => {
        while (!stop) {
          await new Promise((r) => setTimeout(r, 100));
          try {
            const [n] = await rows(c, `SELECT count(*) FROM ${k.log}`);
            if (Number(n.count) === 0) continue;
          } catch {
            continue; // the schema phase has not created the table yet
          }
          genMs = sim.newCdcGeneration({ delayMs: 1500 }).timestampMs;
          return;
        }
      })();
      let r;
      try {
        r = await runCli(['run', `${FIX}/${k.fixture}`, '--target', `${host}:9042`, '--json', '--out', out], { timeoutMs: 180_000 });
      } finally {
        stop = true;
        await switcher;
      }
      expect(r.code, r.stderr).toBe(0);
      expect(genMs).toBeGreaterThan(0);
      const result = JSON.parse(readFileSync(path.join((JSON.parse(r.stdout) as { resultDir: string }).resultDir, 'result.json'), 'utf8')) as RunResult;
      const m = result.phases.find((p) => p.kind === 'measure')!;
      const cdc = m.classes.follower.cdc!;
      const written = m.classes[k.writer[0]].ops[k.writer[1]].count;
      expect(m.classes[k.writer[0]].ops[k.writer[1]].errors).toBe(0);
      expect(cdc).toMatchObject({ generationSource: k.flavour, generations: 2, missing: 0, duplicate: 0, unexpected: 0, caughtUp: true, failedQueries: 0 });
      expect(cdc.expected).toBe(written);
      expect(cdc.changes).toBe(written);
      expect(m.classes.follower.slo.pass).toBe(true);

      // the writes really fell on both sides of the switch: log rows in the old streams and in the new
      const tsOf = k.tablets
        ? (await rows(c, "SELECT timestamp FROM system.cdc_timestamps WHERE keyspace_name = 'sb_cdc_tablets' AND table_name = 'kv'")).map((x) => (x.timestamp as Date).getTime())
        : (await rows(c, "SELECT time FROM system_distributed.cdc_generation_timestamps WHERE key = 'timestamps'")).map((x) => (x.time as Date).getTime());
      expect(tsOf).toHaveLength(2);
      expect(tsOf[0]).toBe(genMs);
      const oldIds = new Set((await k.streams(c, tsOf[1])).map((b) => b.toString('hex')));
      const newIds = new Set((await k.streams(c, genMs)).map((b) => b.toString('hex')));
      expect(tsOf[1]).toBeGreaterThanOrEqual(firstMs);
      const log = await rows(c, `SELECT "cdc$stream_id" FROM ${k.log}`);
      const inOld = log.filter((x) => oldIds.has((x['cdc$stream_id'] as Buffer).toString('hex'))).length;
      const inNew = log.filter((x) => newIds.has((x['cdc$stream_id'] as Buffer).toString('hex'))).length;
      expect(inOld).toBeGreaterThan(0);
      expect(inNew).toBeGreaterThan(0);
      expect(inOld + inNew).toBe(log.length);
      // every log row read once: the changes and their images, from both generations' streams
      expect(cdc.rows).toBe(log.length);
      expect(log.length).toBe(k.rowsPerChange * written);
      expect(cdc.streams).toBe(oldIds.size + newIds.size);
    } finally {
      stop = true;
      await c.close();
      await sim.stop();
      rmSync(out, { recursive: true, force: true });
    }
  });
});
