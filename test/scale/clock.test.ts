/**
 * A loader's clock against the cluster's (`run --segment`'s result records it): against a real
 * Cassandra, which answers `SELECT now() FROM system.local` — the same machine's clock, so the
 * offset is within the round trip; against the emulator, which does not, the reason is kept.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Connection } from '../../src/cql/connection.js';
import { clusterClock } from '../../src/engine/segment.js';
import { startSim, type Sim } from '../../src/sim/index.js';
import { cassandraInfo, connectCassandra } from '../support/real.js';
import { simHost } from '../support/sim-host.js';

const info = cassandraInfo();

describe('cluster clock', () => {
  it.skipIf(!info)('real Cassandra: the offset of a clock on this machine is within the round trip (+ its ms resolution)', async () => {
    const c = await connectCassandra(info!);
    try {
      const clock = await clusterClock(c);
      expect(clock.source).toBe('SELECT now() FROM system.local');
      expect(clock.rttMs).toBeGreaterThan(0);
      // one clock: |offset| is at most half the round trip plus the timeuuid's 1 ms granularity
      expect(Math.abs(clock.offsetMs!)).toBeLessThanOrEqual(clock.rttMs! / 2 + 1.5);
    } finally {
      await c.close();
    }
  });

  let sim: Sim | undefined;
  afterAll(async () => { await sim?.stop(); });

  it('a target without now(): no figure, and why', async () => {
    const host = simHost();
    sim = await startSim({ host });
    const c = await Connection.connect({ host, port: 9042 });
    try {
      const clock = await clusterClock(c);
      expect(clock).toMatchObject({ offsetMs: null, rttMs: null });
      expect(clock.source).toMatch(/^SELECT now\(\) FROM system\.local: .*now/);
    } finally {
      await c.close();
    }
  });
});
