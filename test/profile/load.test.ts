/** loadProfile behaviours a user relies on beyond validation: anchors, defaults, overrides. */
import { describe, expect, it } from 'vitest';
import { availableParallelism } from 'node:os';
import { WORKERS_PER_CORE } from '../../src/profile/limits.js';
import { FlagError, loadProfile } from '../../src/profile/load.js';

const F = 'test/profile/fixtures/anchors.yaml';

describe('loadProfile', () => {
  it('reuses anchors kept under x- keys through merge keys', async () => {
    const p = await loadProfile(F);
    const [slow, fast] = p.phases[2].classes;
    expect(slow).toMatchObject({ name: 'slow', workload: 'ok', mix: { read: 3, write: 1 }, rateOpsPerSec: 100 });
    expect(fast).toMatchObject({ name: 'fast', rateOpsPerSec: 300 });
    expect(p.phases[3].classes[0]).toMatchObject({ name: 'closed', concurrency: 8, maxInFlight: 8 });
  });

  it('resolves names, durations, count: all and defaults', async () => {
    const p = await loadProfile(F);
    expect(p.phases.map((ph) => ph.name)).toEqual(['schema', 'fill', 'measure', 'measure-2']);
    expect(p.phases[1].count).toBe(100 * 10); // every row of ok.yaml's table once
    expect(p.phases[2].durationMs).toBe(90_000);
    expect(p).toMatchObject({ seed: 1, routing: 'shard-aware', pin: false });
    expect(p.target).toMatchObject({ hosts: [], connectTimeoutMs: 5000, requestTimeoutMs: 12_000, sim: { nodes: 1, shards: 4 } });
    expect(p.workers).toBeGreaterThanOrEqual(1);
    expect(p.phases[2].classes[0].maxInFlight).toBe(1024);
  });

  it('--rate scales open-loop classes to the total and turns a lone closed-loop class open', async () => {
    const p = await loadProfile(F, { rateOpsPerSec: 800 });
    expect(p.phases[2].classes.map((c) => c.rateOpsPerSec)).toEqual([200, 600]);
    expect(p.phases[3].classes[0].rateOpsPerSec).toBe(800);
    expect(p.phases[3].classes[0].concurrency).toBeUndefined();
    expect(p.phases[1].classes[0].concurrency).toBe(4); // load phases keep their loop
  });

  it('--duration replaces every measure duration; bad flags are one-line user errors', async () => {
    const p = await loadProfile(F, { durationMs: 2000 });
    expect(p.phases.filter((ph) => ph.kind === 'measure').map((ph) => ph.durationMs)).toEqual([2000, 2000]);
    await expect(loadProfile(F, { target: 'host:99999' })).rejects.toThrow(/^--target: invalid port/);
    await expect(loadProfile(F, { workers: 0 })).rejects.toThrow(/^--workers/);
  });

  it('one worker limit for the file and the flag: 4 per core unless maxWorkers raises it', async () => {
    const limit = WORKERS_PER_CORE * availableParallelism();
    await expect(loadProfile(F, { workers: limit })).resolves.toMatchObject({ workers: limit });
    const err = await loadProfile(F, { workers: limit + 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FlagError);
    expect((err as Error).message).toMatch(new RegExp(`^--workers: ${limit + 1} workers is above the limit of ${limit} .*--max-workers ${limit + 1}`));
    await expect(loadProfile(F, { workers: limit + 1, maxWorkers: limit + 1 })).resolves.toMatchObject({ workers: limit + 1 });
    await expect(loadProfile(F, { maxWorkers: 0 })).rejects.toThrow(/^--max-workers/);
  });
});
