/** `kind: cdc` classes in profiles: scylla-cdc-go's defaults, and bad input as one line at its place. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProfile } from '../../src/profile/load.js';

const dir = mkdtempSync(join(tmpdir(), 'sb-cdc-profile-'));
const WORKLOAD = resolve('workloads/cdc.yaml');

async function load(body: string): Promise<Awaited<ReturnType<typeof loadProfile>>> {
  const f = join(dir, `p${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(f, body.replaceAll('WL', WORKLOAD));
  return loadProfile(f);
}

const writer = 'shop: {workload: WL, mix: place_order, rate: 100}';

describe('kind: cdc classes', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("takes scylla-cdc-go's defaults (AdvancedReaderConfig.setDefaults), and runs next to the writers", async () => {
    const p = await load(`classes:\n  ${writer}\n  f: {kind: cdc, workload: WL, cdc: {table: orders}}\nphases: [schema, {kind: measure, duration: 5s}]\n`);
    const f = p.phases[1].classes.find((c) => c.name === 'f')!;
    expect(f.kind).toBe('cdc');
    expect(f.mix).toEqual({});
    expect(f.cdc).toEqual({
      table: 'orders', confidenceWindowMs: 30_000, queryWindowMs: 30_000, postNonEmptyQueryDelayMs: 10_000, postEmptyQueryDelayMs: 30_000,
      postFailedQueryDelayMs: 1000, maxPostFailedQueryDelayMs: 30_000, postGenerationFetchDelayMs: 15_000, maxPostGenerationFetchDelayMs: 300_000,
      drainMs: 65_000, consistency: 'ONE', pageSize: 5000,
    });
    expect(p.phases[1].classes.map((c) => c.name)).toEqual(['shop', 'f']);
  });

  it('the shipped profile follows orders with shortened windows', async () => {
    const p = await loadProfile('profiles/cdc.yaml');
    const f = p.phases.find((ph) => ph.kind === 'measure')!.classes.find((c) => c.kind === 'cdc')!;
    expect(f.cdc).toMatchObject({ table: 'orders', confidenceWindowMs: 1000, drainMs: 15_000 });
    expect(p.workloads.cdc.views?.map((v) => v.name)).toEqual(['orders_by_status']);
  });

  const bad: [string, string, RegExp][] = [
    ['a mix', `classes:\n  ${writer}\n  f: {kind: cdc, workload: WL, mix: get_order, cdc: {table: orders}}\nphases: [{kind: measure, duration: 5s}]\n`,
      /:3:\d+: a cdc class takes no mix: it reads the log of what the other classes write$/],
    ['an unknown table', `classes:\n  ${writer}\n  f: {kind: cdc, workload: WL, cdc: {table: order}}\nphases: [{kind: measure, duration: 5s}]\n`,
      /:3:\d+: table 'order' is not a table of workload cdc; did you mean 'orders'\?$/],
    ['no cdc map', `classes:\n  ${writer}\n  f: {kind: cdc, workload: WL}\nphases: [{kind: measure, duration: 5s}]\n`,
      /:3:6: class 'f' of kind cdc needs cdc: \{table: <a table of cdc with cdc enabled>\}$/],
    ['a misspelt option', `classes:\n  ${writer}\n  f: {kind: cdc, workload: WL, cdc: {table: orders, confidence_windw: 1s}}\nphases: [{kind: measure, duration: 5s}]\n`,
      /unknown key 'confidence_windw' in cdc; did you mean 'confidence_window'\?$/],
    ['a load phase', `classes:\n  ${writer}\n  f: {kind: cdc, workload: WL, cdc: {table: orders}}\nphases: [{kind: load, count: 10}]\n`,
      /class 'f' \(kind cdc\) runs in warmup and measure phases, not in a load phase/],
    ['no writer', `classes:\n  f: {kind: cdc, workload: WL, cdc: {table: orders}}\nphases: [{kind: measure, duration: 5s}]\n`,
      /has only cdc classes: a consumer follows writer classes of the same phase$/],
  ];
  for (const [what, body, re] of bad) {
    it(`refuses ${what} in one line`, async () => {
      await expect(load(body)).rejects.toThrow(re);
    });
  }
});
