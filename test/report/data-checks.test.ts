/**
 * The report's "Data checks" in headless Chromium, from a real run on the emulator: reads validated
 * against the generators, a CDC consumer's changes against the writers', the view the writes were
 * followed into, partition sizes estimated before the run and those the emulator recorded in
 * system.large_partitions (its threshold lowered under the two partitions a load phase builds). Every figure
 * shown must be the file's, and every count the result holds must be shown.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim, type Sim } from '../../src/sim/index.js';
import { runCli } from '../support/cli.js';
import { simHost } from '../support/sim-host.js';
import { expectCleanPage, figures, launch, resolve, type Browser } from './browser-support.js';

const OUT = 'results/report-data-checks';
let browser: Browser;
let runDir: string;

beforeAll(async () => {
  browser = await launch();
  const host = simHost();
  // ~52 KB: under the load phase's two ~100 KB partitions, over every customer's orders
  const sim: Sim = await startSim({ nodes: 3, shards: 2, host, flushIntervalMs: 200, largeData: { partitionMb: 0.05 } });
  try {
    const r = await runCli(['run', 'test/report/fixtures/data-checks.yaml', '--target', `${host}:9042`, '--json', '--out', OUT], { timeoutMs: 180_000 });
    expect(r.code, r.stderr).toBe(0);
    runDir = JSON.parse(r.stdout).resultDir;
  } finally {
    await sim.stop();
  }
}, 240_000);

afterAll(async () => {
  await browser?.close();
});

describe('report: data checks', () => {
  it('shows every validation, CDC, view and partition count of result.json, as written', async () => {
    const html = path.join(OUT, 'data.html');
    const r = await runCli(['report', runDir, '-o', html]);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(readFileSync(path.join(runDir, 'result.json'), 'utf8'));
    const o = await browser.open(html);
    await expectCleanPage(o, OUT, 'data.png');
    const heading = await o.page.$$eval('h3', (hs) => hs.map((h) => h.textContent));
    expect(heading).toContain('Data checks');

    const figs = await figures(o.page, 's1');
    for (const f of figs) expect(JSON.parse(f.v ?? 'null'), f.k).toEqual(resolve(result, f.k) ?? null);
    const keys = new Set(figs.map((f) => f.k));

    const mi = result.phases.findIndex((p: { kind: string }) => p.kind === 'measure');
    const reader = result.phases[mi].classes.reader.ops.get;
    // every read is of a row the load phase wrote: each returns it, each is checked, none differs
    expect(reader.count).toBeGreaterThan(0);
    expect(reader.rows).toBe(reader.count);
    expect(reader.validation).toEqual({ checked: reader.count, mismatch: 0, missing: 0 });
    for (const f of ['rows', 'validation/checked', 'validation/mismatch', 'validation/missing']) expect(keys.has(`/phases/${mi}/classes/reader/ops/get/${f}`), f).toBe(true);

    const shop = result.phases[mi].classes.shop;

    expect(shop.viewLag.seen).toBeGreaterThan(0);
    expect(shop.ops['view-lag'].count).toBe(shop.viewLag.seen);
    for (const f of ['sampled', 'seen', 'timeouts', 'unresolved']) expect(keys.has(`/phases/${mi}/classes/shop/viewLag/${f}`), f).toBe(true);

    const cdc = result.phases[mi].classes.follower.cdc;
    expect(cdc.changes).toBeGreaterThan(0);
    expect(cdc.missing).toBe(0);
    expect(cdc.duplicate).toBe(0);
    for (const f of ['changes', 'expected', 'missing', 'duplicate', 'unexpected', 'caughtUp']) expect(keys.has(`/phases/${mi}/classes/follower/cdc/${f}`), f).toBe(true);
    // the lag itself is an op of the consumer, in the key figures
    expect(keys.has(`/phases/${mi}/classes/follower/ops/cdc-lag/count`)).toBe(true);

    expect(result.partitions.length).toBeGreaterThan(0);
    result.partitions.forEach((_: unknown, i: number) => expect(keys.has(`/partitions/${i}/maxPartitionBytes`)).toBe(true));
    expect(result.largePartitionRecords.length).toBeGreaterThan(0);
    result.largePartitionRecords.forEach((_: unknown, i: number) => expect(keys.has(`/largePartitionRecords/${i}/partitionBytes`)).toBe(true));
    const keyText = await o.page.$$eval('section#s1 code', (cs) => cs.map((c) => c.textContent));
    expect(keyText).toContain(result.largePartitionRecords[0].partitionKey);
    await o.page.close();
  });
});
