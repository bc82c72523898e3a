/**
 * Injected latency as a client sees it on the wire: a reply never leaves before the requested
 * delay (issue 9 §5: `--latency all=5` once gave a wire minimum of 3.4 ms).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writer } from '../../src/cql/buffer.js';
import { Opcode } from '../../src/cql/frame.js';
import { writeQuery } from '../../src/cql/messages.js';
import { faultsOf } from '../../src/cli/sim.js';
import { DelaySampler } from '../../src/sim/delay.js';
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

/** Sorted-sample percentile (nearest rank). */
function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

describe('injected latency from a lognormal distribution (p50, p99)', () => {
  let sim: Sim;
  const host = simHost();
  const spec = { lognormal: { p50: 2, p99: 8 } };
  beforeAll(async () => {
    sim = await startSim({ nodes: 1, shards: 1, host, vnodesPerNode: 4, capacity: false, metricsPort: 0, faults: { latencyMs: { read: spec }, seed: 42 } });
  });
  afterAll(async () => { await sim.stop(); });

  it('draws reproducibly from the seed, hits p50/p99, and no reply leaves before its draw', async () => {
    const n = 2000;
    const expected = new DelaySampler(42);
    const draws = Array.from({ length: n }, () => expected.draw(spec));
    const sorted = [...draws].sort((a, b) => a - b);
    expect(Math.abs(pct(sorted, 50) - 2) / 2).toBeLessThan(0.05);
    expect(Math.abs(pct(sorted, 99) - 8) / 8).toBeLessThan(0.15);
    // another seed draws other delays
    expect(new DelaySampler(43).draw(spec)).not.toBe(draws[0]);

    const c = await RawCql.connect(host, 9042);
    // no Nagle on the client side: a pipelined frame must leave when sent, or the wire time counts the wait
    c.socket.setNoDelay(true);
    await c.startup();
    await c.query("CREATE KEYSPACE ln WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
    await c.query('CREATE TABLE ln.kv (k int PRIMARY KEY, v int)');
    // one connection processes frames in order, so request i gets draw i; 40 in flight at a time
    const w = new Writer();
    writeQuery(w, 'SELECT v FROM ln.kv WHERE k = 1', { consistency: 1 });
    const body = w.toBuffer();
    const wire: number[] = new Array(n);
    for (let base = 0; base < n; base += 40) {
      const sentAt = new Map<number, { i: number; t: number }>();
      for (let i = base; i < Math.min(n, base + 40); i++) {
        const stream = 1 + i - base;
        sentAt.set(stream, { i, t: performance.now() });
        c.send(Opcode.QUERY, body, stream);
      }
      while (sentAt.size > 0) {
        const f = (await c.next())!;
        const at = performance.now();
        const s = sentAt.get(f.stream)!;
        expect(f.opcode).toBe(Opcode.RESULT);
        wire[s.i] = at - s.t;
        sentAt.delete(f.stream);
      }
    }
    c.close();
    const early = wire.map((ms, i) => ({ i, ms, draw: draws[i] })).filter((x) => x.ms < x.draw);
    expect(early).toEqual([]);
    const wireSorted = [...wire].sort((a, b) => a - b);
    expect(pct(wireSorted, 50)).toBeGreaterThanOrEqual(pct(sorted, 50));
    expect(pct(wireSorted, 99)).toBeGreaterThanOrEqual(pct(sorted, 99));
  });

  it('takes the distribution over the admin API and refuses a bad one', async () => {
    const put = (body: unknown): Promise<Response> => fetch(`${sim.metricsUrl}/admin/faults`, { method: 'PUT', body: JSON.stringify(body) });
    const ok = await put({ latencyMs: { write: { lognormal: { p50: 1, p99: 3 } } }, seed: 7 });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ latencyMs: { write: { lognormal: { p50: 1, p99: 3 } } }, seed: 7 });
    const bad = await put({ latencyMs: { write: { lognormal: { p50: 4, p99: 3 } } } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toBe('latencyMs.write.lognormal.p99 must be a number of ms ≥ p50 (4), got 3');
  });

  it('parses --latency <kind>=lognormal:p50=<ms>,p99=<ms>', () => {
    expect(faultsOf({ latency: ['read=lognormal:p50=2,p99=8', 'write=5'] })).toEqual({ latencyMs: { read: { lognormal: { p50: 2, p99: 8 } }, write: 5 } });
    expect(() => faultsOf({ latency: ['read=lognormal:p50=8,p99=2'] })).toThrow("--latency: lognormal needs 0 < p50 ≤ p99, got 'read=lognormal:p50=8,p99=2'");
    expect(() => faultsOf({ latency: ['read=lognormal:p50=2'] })).toThrow(/expected <kind>=<ms> or <kind>=lognormal/);
  });
});
