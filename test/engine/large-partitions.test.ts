/**
 * Large partitions after a run: a workload that grows partitions past the emulator's (lowered)
 * threshold shows them in the estimate made before the run and in the records the engine reads
 * from every node's system.large_partitions after it; a run without such partitions lists none.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/results/result.js';
import { startSim, type Sim } from '../../src/sim/index.js';
import { runCli } from '../support/cli.js';
import { cassandraInfo } from '../support/real.js';
import { simHost } from '../support/sim-host.js';

const PROFILE = 'test/fixtures/validate/large-profile.yaml';
const OUT = 'results/test-large-partitions';

let sim: Sim | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

async function run(partitionMb: number): Promise<{ code: number | null; stderr: string; result: RunResult }> {
  const host = simHost();
  // flushes every 200 ms, so the load's partitions are recorded before the run ends (a real
  // Scylla records them at its own memtable flushes)
  sim = await startSim({ nodes: 3, shards: 2, host, flushIntervalMs: 200, largeData: { partitionMb } });
  const r = await runCli(['run', PROFILE, '--target', `${host}:9042`, '--json', '--out', OUT]);
  const s = JSON.parse(r.stdout) as { resultDir: string };
  return { code: r.code, stderr: r.stderr, result: JSON.parse(readFileSync(path.join(s.resultDir, 'result.json'), 'utf8')) as RunResult };
}

describe('large partitions after a run', () => {
  it('partitions past the threshold: in the estimate, and listed from the nodes that recorded them', async () => {
    const thresholdMb = 0.05; // ~52 KB; each series partition holds ~400 × 260 B ≈ 100 KB
    const { code, stderr, result } = await run(thresholdMb);
    expect(code, stderr).toBe(0);
    const est = result.partitions.find((e) => e.table === 'series')!;
    expect(est.maxPartitionBytes).toBeGreaterThan(thresholdMb * 1048576);
    expect(result.partitions.find((e) => e.table === 'small')!.maxPartitionBytes).toBeLessThan(thresholdMb * 1048576);
    const recs = result.largePartitionRecords!;
    expect(recs).toBeDefined();
    // both partitions of the table, nothing of the small one
    expect(recs.map((r) => r.table)).toEqual(['series', 'series']);
    for (const r of recs) {
      expect(r.keyspace).toBe('sb_large');
      expect(r.rows).toBe(400);
      expect(r.partitionBytes).toBeGreaterThan(thresholdMb * 1048576);
      // the estimate is a floor (cells only): what the node measured is at least that
      expect(r.partitionBytes).toBeGreaterThanOrEqual(est.meanPartitionBytes);
      // as the node wrote it (the emulator writes the key's CQL text; Scylla '{key: pk{…}, token:…}')
      expect(r.partitionKey).not.toBe('');
      // RF 2: each partition is recorded by its two replicas, each asked on its own connection
      expect(r.nodes).toHaveLength(2);
      expect(new Set(r.nodes).size).toBe(2);
    }
    expect(new Set(recs.map((r) => r.partitionKey)).size).toBe(2);
    expect(result.warnings.some((w) => w.startsWith('table sb_large.series: 2 partitions recorded in system.large_partitions'))).toBe(true);
  });

  it('nothing past the threshold: an empty list and no warning', async () => {
    const { code, result } = await run(1000);
    expect(code).toBe(0);
    expect(result.largePartitionRecords).toEqual([]);
    expect(result.warnings.filter((w) => w.includes('large_partitions'))).toEqual([]);
  });
});

const info = cassandraInfo();

describe.skipIf(!info)('on Apache Cassandra (no system.large_partitions)', () => {
  it('the run lists no records and warns nothing about them; validation checks rows all the same', async () => {
    const r = await runCli(['run', 'test/fixtures/validate/cassandra.yaml', '--target', `${info!.host}:${info!.port}`, '--json', '--out', OUT], {
      env: { SCYLLA_BENCH_USERNAME: info!.username, SCYLLA_BENCH_PASSWORD: info!.password },
    });
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as { resultDir: string; validation: { checked: number; mismatch: number; missing: number } };
    const result = JSON.parse(readFileSync(path.join(s.resultDir, 'result.json'), 'utf8')) as RunResult;
    expect(result.cluster.scylla).toBe(false);
    expect('largePartitionRecords' in result).toBe(false);
    expect(result.warnings.filter((w) => w.includes('large_partitions'))).toEqual([]);
    expect(s.validation.checked).toBeGreaterThan(0);
    expect(s.validation.mismatch + s.validation.missing).toBe(0);
  });
});
