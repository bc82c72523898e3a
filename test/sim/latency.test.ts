/**
 * Injected latency as a client sees it on the wire: a reply never leaves before the requested
 * delay (issue 9 §5: `--latency all=5` once gave a wire minimum of 3.4 ms).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Opcode } from '../../src/cql/frame.js';
import { startSim, type Sim } from '../../src/sim/index.js';
import { RawCql } from '../support/raw-cql.js';
import { simHost } from '../support/sim-host.js';

/** Client-side send → reply time of `n` sequential queries, ms. */
async function wireMs(c: RawCql, cql: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const f = await c.query(cql);
    out.push(performance.now() - t);
    expect(f.opcode).toBe(Opcode.RESULT);
  }
  return out;
}

describe('injected latency is never early', () => {
  let sim: Sim;
  const host = simHost();
  beforeAll(async () => {
    sim = await startSim({ nodes: 1, shards: 2, host, vnodesPerNode: 4, capacity: false, faults: { latencyMs: { read: 2.5, write: 5 } } });
  });
  afterAll(async () => { await sim.stop(); });

  it('the wire minimum over many requests is at least the requested delay (whole and fractional ms)', async () => {
    const c = await RawCql.connect(host, 9042);
    await c.startup();
    await c.query("CREATE KEYSPACE lat WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
    await c.query('CREATE TABLE lat.kv (k int PRIMARY KEY, v int)');
    const writes = await wireMs(c, 'INSERT INTO lat.kv (k, v) VALUES (1, 1)', 150);
    const reads = await wireMs(c, 'SELECT v FROM lat.kv WHERE k = 1', 150);
    c.close();
    expect(Math.min(...writes)).toBeGreaterThanOrEqual(5);
    expect(Math.min(...reads)).toBeGreaterThanOrEqual(2.5);
  });
});
