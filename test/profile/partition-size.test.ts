/**
 * Partition sizes estimated from the workload before the run: rows per partition (the table's
 * distribution) × the row size its generators produce, against ScyllaDB's 100 MB red line — in
 * the result, the --json summary and a warning with the fix.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProfile } from '../../src/profile/load.js';
import { estimatePartitions, LARGE_PARTITION_BYTES } from '../../src/profile/partition-size.js';
import type { RunResult } from '../../src/results/result.js';
import { runCli } from '../support/cli.js';
import { simHost } from '../support/sim-host.js';

describe('partition size estimate', () => {
  it('rows per partition × generated row size: the wide table passes the red line, the small one not', async () => {
    const p = await loadProfile('test/fixtures/partitions/profile.yaml');
    const [events, small] = estimatePartitions(p.workloads.wide, p.seed);
    // a row: seq (int, 4 B) + payload (1 KiB): the key's bytes are the partition's, stored once
    expect(events.meanRowBytes).toBe(4 + 1024);
    expect(events.rowsPerPartition).toEqual({ mean: 150_000, max: 200_000 });
    expect(events.maxPartitionBytes).toBe(1028 * 200_000);
    expect(events.overRedLine).toBe(true);
    expect(small.rowsPerPartition.max).toBe(1);
    expect(small.maxPartitionBytes).toBeLessThan(LARGE_PARTITION_BYTES);
    expect(small.overRedLine).toBe(false);
  });

  it('the shipped workloads stay under it', async () => {
    for (const f of ['profiles/quickstart.yaml', 'profiles/oltp-olap.yaml']) {
      const p = await loadProfile(f);
      for (const w of Object.values(p.workloads)) for (const e of estimatePartitions(w, p.seed)) expect(e.overRedLine, `${f} ${e.table}`).toBe(false);
    }
  });

  it('a run says so before it starts: in the result, the --json summary and a warning', async () => {
    const r = await runCli(['run', 'test/fixtures/partitions/profile.yaml', '--target', `sim:${simHost()}`, '--json', '--out', 'results/test-partitions']);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.largePartitions).toEqual([{ workload: 'wide', table: 'events', maxPartitionBytes: 1028 * 200_000 }]);
    expect(s.warnings.some((w: string) => /table events: partitions up to ~196 MB .* over ScyllaDB's 100 MB red line — add a bucket/.test(w))).toBe(true);
    const result = JSON.parse(readFileSync(path.join(s.resultDir, 'result.json'), 'utf8')) as RunResult;
    expect(result.partitions.map((e) => e.table)).toEqual(['events', 'small']);
  });
});
