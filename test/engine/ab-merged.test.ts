/**
 * `ab` reports ONE figure per variant, and it is the merged one: the table, the JSON and a merge
 * of every round's .hlog read back independently agree. Gains whose interval spans 1 say
 * "inconclusive"; open-loop throughput is "fixed by rate"; the stock driver's misroute is "n/a"
 * for the client, with the target's own cross-shard counter beside it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import hdr from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { simHost } from '../support/sim-host.js';

/** Every interval of `tags` in an .hlog, merged, read with hdr-histogram-js itself (not our code). */
function mergeHlog(files: string[], tagPrefix: string, tagSuffix: string): hdr.Histogram {
  const h = hdr.build({ bitBucketSize: 32, lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, autoResize: true, useWebAssembly: false });
  for (const f of files) {
    for (const line of readFileSync(f, 'utf8').split('\n')) {
      const m = /^Tag=([^,]+),[^,]+,[^,]+,[^,]+,(\S+)$/.exec(line);
      if (!m || !m[1].startsWith(tagPrefix) || !m[1].endsWith(tagSuffix)) continue;
      h.add(hdr.decodeFromCompressedBase64(m[2], 32, false));
    }
  }
  return h;
}

const ms = (us: number): number => Math.round(us) / 1000;

describe('ab: one merged figure per variant', () => {
  it('table == JSON == the per-round .hlogs merged; driver misroute n/a with the target\'s counter; inconclusive and fixed-rate wording', async () => {
    const r = await runCli(['ab', 'test/fixtures/engine/ab.yaml', '--target', `sim:${simHost()}`, '--modes', 'shard-aware,token-aware,driver', '--rounds', '2', '--json', '--out', 'results/test-ab'], { timeoutMs: 240_000 });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    for (const [variant, v] of Object.entries(out.variants) as [string, { p50Ms: number; p99Ms: number; p999Ms: number; rounds: { resultDir: string; p99Ms: number }[]; classes: Record<string, { ops: Record<string, { count: number; p99Ms: number }> }> }][]) {
      expect(v.rounds).toHaveLength(2);
      const hlogs = v.rounds.map((x) => path.join(x.resultDir, 'app.hlog'));
      // the variant's figure is the merge of every round (all ops), read back from the .hlog files
      const all = mergeHlog(hlogs, 'measure.', '.response');
      expect(v.p99Ms, variant).toBe(ms(all.getValueAtPercentile(99)));
      expect(v.p50Ms, variant).toBe(ms(all.getValueAtPercentile(50)));
      for (const op of ['put', 'get']) {
        const h = mergeHlog(hlogs, `measure.${op}.`, '.response');
        expect(v.classes.app.ops[op].p99Ms, `${variant} ${op}`).toBe(ms(h.getValueAtPercentile(99)));
        expect(v.classes.app.ops[op].count).toBe(h.totalCount);
      }
      // the table prints the same p99 (not an average of per-round p99s)
      const row = r.stderr.split('\n').find((l) => l.includes(`│ ${variant} `))!;
      expect(row, r.stderr).toBeDefined();
      expect(row.split('│').map((c) => c.trim())[4]).toBe(v.p99Ms.toFixed(2));
    }
    // misroutes: the client knows for its own pools, not for the stock driver; the target counts for all
    const sa = out.variants['shard-aware'];
    const ta = out.variants['token-aware'];
    const dr = out.variants.driver;
    expect(sa.classes.app.misrouteRatio).toBe(0);
    expect(sa.targetCrossShardRatio).toBe(0);
    expect(dr.classes.app.misrouteRatio).toBeNull();
    expect(dr.targetCrossShardRatio).toBeGreaterThan(0.5);
    // token-aware: what the client counted is what the cluster saw
    expect(Math.abs(ta.classes.app.misrouteRatio - ta.targetCrossShardRatio)).toBeLessThan(0.01);
    const driverRow = r.stderr.split('\n').find((l) => l.includes('│ driver '))!;
    expect(driverRow.split('│').map((c) => c.trim())[7]).toBe('n/a');
    // open loop at a kept rate: throughput is not a result (a round that could not keep its
    // schedule on a loaded machine makes it one again, and the ratio is printed)
    if (sa.throughputFixedByRate && ta.throughputFixedByRate) expect(r.stderr).toMatch(/shard-aware vs token-aware: .*throughput fixed by rate/);
    else expect(r.stderr).toMatch(/shard-aware vs token-aware: .*throughput shard-aware\/token-aware /);
    // every gain line either excludes 1 or says it cannot tell
    for (const line of r.stderr.split('\n').filter((l) => l.startsWith('shard-aware vs '))) {
      for (const m of line.matchAll(/(\d+\.\d+)× \[(\d+\.\d+), (\d+\.\d+)\]/g)) {
        // printed to 2 decimals: an interval from 1.004 shows as [1.00, …] and still excludes 1
        expect(Number(m[2]) >= 1 || Number(m[3]) <= 1, line).toBe(true);
      }
    }
    for (const w of out.warnings as string[]) expect(w).toMatch(/^(prepare|round \d+ (shard-aware|token-aware|driver)): /);
  }, 300_000);
});
