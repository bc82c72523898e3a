/** Every shipped profile and workload loads, and says what the docs say it does. */
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProfile } from '../../src/profile/load.js';
import { loadWorkload } from '../../src/profile/workload.js';

describe('shipped profiles and workloads', () => {
  for (const f of readdirSync('profiles').filter((x) => x.endsWith('.yaml'))) {
    it(`profiles/${f} loads`, async () => {
      const p = await loadProfile(`profiles/${f}`);
      expect(p.phases.length).toBeGreaterThan(0);
      for (const ph of p.phases) {
        for (const c of ph.classes) {
          const w = p.workloads[c.workload];
          expect(w).toBeDefined();
          for (const op of Object.keys(c.mix)) expect(w.operations[op]).toBeDefined();
        }
      }
    });
  }

  for (const f of readdirSync('workloads').filter((x) => x.endsWith('.yaml'))) {
    it(`workloads/${f} loads`, async () => {
      const w = await loadWorkload(resolve('workloads', f), `workloads/${f}`);
      expect(w.tables.length).toBeGreaterThan(0);
      expect(Object.keys(w.operations).length).toBeGreaterThan(0);
      // every column of every table has a generator: any op can bind any column
      expect(w.columns.filter((c) => w.tables.some((t) => t.name === c.table)).length).toBeGreaterThan(0);
    });
  }

  it('quickstart fits in 30 s on the emulator: schema, short load, 5 s warmup, ~20 s measure, one open-loop class mixing reads and writes', async () => {
    const p = await loadProfile('profiles/quickstart.yaml');
    expect(p.target.hosts).toEqual([]);
    expect(p.phases.map((ph) => ph.kind)).toEqual(['schema', 'load', 'warmup', 'measure']);
    const timed = p.phases.reduce((s, ph) => s + (ph.durationMs ?? 0), 0);
    expect(timed).toBeLessThanOrEqual(25_000);
    const measure = p.phases.find((ph) => ph.kind === 'measure')!;
    expect(measure.classes).toHaveLength(1);
    const c = measure.classes[0];
    expect(c.rateOpsPerSec).toBe(2000);
    const kinds = new Set(Object.keys(c.mix).map((op) => p.workloads[c.workload].operations[op].kind));
    expect(kinds).toEqual(new Set(['read', 'write']));
  });

  it('oltp-olap runs OLTP at a fixed rate and OLAP scans closed loop, each on its own service level', async () => {
    const p = await loadProfile('profiles/oltp-olap.yaml');
    const measure = p.phases.find((ph) => ph.kind === 'measure')!;
    const oltp = measure.classes.find((c) => c.name === 'oltp')!;
    const olap = measure.classes.find((c) => c.name === 'olap')!;
    expect(oltp.rateOpsPerSec).toBeGreaterThan(0);
    expect(oltp.concurrency).toBeUndefined();
    expect(olap.concurrency).toBeGreaterThan(0);
    expect(olap.rateOpsPerSec).toBeUndefined();
    expect(oltp.serviceLevel).toBe('oltp');
    expect(olap.serviceLevel).toBe('analytics');
    expect(Object.keys(p.serviceLevels).sort()).toEqual(['analytics', 'oltp']);
    const w = p.workloads[olap.workload];
    for (const op of Object.keys(olap.mix)) expect(w.operations[op].kind).toBe('scan');
    for (const op of Object.keys(oltp.mix)) expect(w.operations[op].kind).not.toBe('scan');
    // count: all resolves to one write per user
    const load = p.phases.find((ph) => ph.kind === 'load')!;
    expect(load.count).toBe(100_000);
  });

  it('load.yaml is a bulk load by count', async () => {
    const p = await loadProfile('profiles/load.yaml');
    const load = p.phases.find((ph) => ph.kind === 'load')!;
    expect(load.count).toBe(50_000);
    expect(load.classes[0].concurrency).toBeGreaterThan(0);
  });

  it('events: TTL + TWCS table, same-partition batch insert, a view keyed on every base key column', async () => {
    const w = await loadWorkload(resolve('workloads/events.yaml'), 'workloads/events.yaml');
    const ddl = w.schema.join('\n');
    expect(ddl).toMatch(/TimeWindowCompactionStrategy/);
    expect(ddl).toMatch(/default_time_to_live\s*=\s*\d+/);
    expect(w.operations.insert_batch.batchRows).toBeGreaterThan(1);
    const view = w.views!.find((v) => v.name === 'events_by_type')!;
    expect(view.partitionKey).toEqual(['event_type']);
    const events = w.tables.find((t) => t.name === 'events')!;
    for (const k of [...events.partitionKey, ...events.clusteringKey]) expect([...view.partitionKey, ...view.clusteringKey]).toContain(k);
    expect(w.operations.read_by_type.view).toBe('events_by_type');
    expect(w.operations.read_by_type.table).toBe('events');
  });

  it('overrides from flags win over the file', async () => {
    const p = await loadProfile('profiles/quickstart.yaml', { target: '10.0.0.1:9043,10.0.0.2', routing: 'token-aware', durationMs: 3000, rateOpsPerSec: 500, workers: 3, pin: true, seed: 9 });
    expect(p.target.hosts).toEqual([{ host: '10.0.0.1', port: 9043 }, { host: '10.0.0.2', port: 9042 }]);
    expect(p.routing).toBe('token-aware');
    expect(p.phases.find((ph) => ph.kind === 'measure')!.durationMs).toBe(3000);
    expect(p.phases.find((ph) => ph.kind === 'measure')!.classes[0].rateOpsPerSec).toBe(500);
    expect([p.workers, p.pin, p.seed]).toEqual([3, true, 9]);
    expect((await loadProfile('profiles/quickstart.yaml', { target: 'sim' })).target.hosts).toEqual([]);
  });
});
