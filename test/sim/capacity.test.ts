import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Reader, Writer } from '../../src/cql/buffer.js';
import { Opcode } from '../../src/cql/frame.js';
import { writeExecute } from '../../src/cql/messages.js';
import { startSim, type Sim } from '../../src/sim/index.js';
import { errorOf, RawCql } from '../support/raw-cql.js';
import { simHost } from '../support/sim-host.js';

async function prepared(c: RawCql, cql: string): Promise<Buffer> {
  const f = await c.request(Opcode.PREPARE, new Writer().longString(cql).toBuffer());
  const r = new Reader(f.body);
  expect(r.int()).toBe(4);
  return Buffer.from(r.shortBytes());
}

function executeBody(id: Buffer, values: Buffer[]): Buffer {
  const w = new Writer();
  writeExecute(w, id, { consistency: 1, values });
  return w.toBuffer();
}

const int = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeInt32BE(n); return b; };

describe('capacity model: a shard past its capacity queues, then times out', () => {
  let sim: Sim;
  const host = simHost();
  beforeAll(async () => {
    // one shard that can do 1000 writes/s (1 ms each); writes time out after 400 ms
    sim = await startSim({ nodes: 1, shards: 1, host, vnodesPerNode: 4, metricsPort: 0, costs: { writeUs: 1000, coordinatorUs: 0 }, timeouts: { writeMs: 400 } });
  });
  afterAll(async () => { await sim.stop(); });

  it('at 2× capacity latency grows with the queue and replies turn into Write_timeout; /metrics shows it', async () => {
    const c = await RawCql.connect(host, 9042);
    await c.startup();
    await c.query("CREATE KEYSPACE cap WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
    await c.query('CREATE TABLE cap.kv (k int PRIMARY KEY, v int)');
    const id = await prepared(c, 'INSERT INTO cap.kv (k, v) VALUES (?, ?)');
    const sentAt = new Map<number, number>();
    const results: { sentMs: number; latencyMs: number; code: number | null }[] = [];
    // offered load: 2000 writes/s for 1.2 s. Each tick catches up to 2 requests per elapsed ms, so
    // a timer delayed by a loaded machine does not lower the offered rate.
    const t0 = Date.now();
    let stream = 1;
    const total = 2400;
    const sender = setInterval(() => {
      const due = Math.min(total, (Date.now() - t0) * 2);
      for (; stream <= due; stream++) {
        sentAt.set(stream, Date.now());
        c.send(Opcode.EXECUTE, executeBody(id, [int(stream), int(stream)]), stream);
      }
      if (stream > total) clearInterval(sender);
    }, 10);
    while (results.length < total) {
      const f = await c.next(5000);
      if (!f) break;
      const sent = sentAt.get(f.stream)!;
      results.push({ sentMs: sent - t0, latencyMs: Date.now() - sent, code: f.opcode === Opcode.ERROR ? errorOf(f).code : null });
    }
    c.close();
    expect(results).toHaveLength(total);
    const early = results.filter((r) => r.sentMs < 150 && r.code === null).map((r) => r.latencyMs);
    const okLate = results.filter((r) => r.sentMs > 300 && r.code === null).map((r) => r.latencyMs);
    const timeouts = results.filter((r) => r.code === 0x1100);
    expect(early.length).toBeGreaterThan(0);
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    // queueing: successful late replies waited far longer than the first ones (relative, so a
    // loaded CI machine that delays everything does not matter)
    expect(Math.max(...okLate)).toBeGreaterThan(median(early) + 150);
    // then the queue outgrew the 400 ms timeout
    expect(timeouts.length).toBeGreaterThan(200);
    expect(results.every((r) => r.code === null || r.code === 0x1100)).toBe(true);

    const metrics = await (await fetch(`${sim.metricsUrl}/metrics`)).text();
    const errLine = metrics.split('\n').find((l) => l.startsWith('scylla_transport_cql_errors_total{') && l.includes('type="write_timeout"'));
    expect(Number(errLine?.split(' ').pop())).toBe(timeouts.length);
    expect(metrics).toMatch(/^scylla_transport_requests_served\{instance="[\d.]+",shard="0"\} \d+$/m);
    const writeCount = metrics.split('\n').find((l) => l.startsWith('scylla_storage_proxy_coordinator_write_latency_count'));
    expect(Number(writeCount?.split(' ').pop())).toBeGreaterThan(0);
    expect(metrics).toContain('# TYPE sim_shard_queue_length gauge');
  });
});

describe('faults through the admin endpoint', () => {
  let sim: Sim;
  const host = simHost();
  beforeAll(async () => {
    sim = await startSim({ nodes: 2, shards: 1, host, vnodesPerNode: 4, metricsPort: 0 });
  });
  afterAll(async () => { await sim.stop(); });

  const put = (path: string, body: unknown, method = 'PUT'): Promise<Response> =>
    fetch(`${sim.metricsUrl}${path}`, { method, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

  it('injects errors by rate and code, adds latency, stalls a shard, and takes a node down', async () => {
    const c = await RawCql.connect(host, 9042);
    await c.startup();
    await c.query("CREATE KEYSPACE f WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 2}");
    await c.query('CREATE TABLE f.kv (k int PRIMARY KEY, v int)');

    expect((await put('/admin/faults', { errors: [{ rate: 1, code: 0x1001 }] })).status).toBe(200);
    const e = errorOf(await c.query('INSERT INTO f.kv (k, v) VALUES (1, 1)'));
    expect(e.code).toBe(0x1001);

    expect((await put('/admin/faults', { latencyMs: { write: 150 } })).status).toBe(200);
    let t = Date.now();
    expect((await c.query('INSERT INTO f.kv (k, v) VALUES (1, 1)')).opcode).toBe(Opcode.RESULT);
    expect(Date.now() - t).toBeGreaterThanOrEqual(140);

    expect((await put('/admin/faults', {})).status).toBe(200);
    const bad = await put('/admin/faults', { errors: [{ rate: 2, code: 1 }] });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/rate must be within 0\.\.1/);

    // the connection is on node 0, shard 0: stall it for 600 ms (the query arrives a little later)
    expect((await put('/admin/stall', { node: 0, shard: 0, durationMs: 600 }, 'POST')).status).toBe(200);
    t = Date.now();
    expect((await c.query('SELECT * FROM f.kv WHERE k = 1')).opcode).toBe(Opcode.RESULT);
    expect(Date.now() - t).toBeGreaterThanOrEqual(300);

    expect((await put('/admin/nodes/1/down', {}, 'POST')).status).toBe(200);
    const un = errorOf(await c.query('INSERT INTO f.kv (k, v) VALUES (2, 2)', { consistency: 5 }));
    expect(un.code).toBe(0x1000);
    expect((await (await fetch(`${sim.metricsUrl}/metrics`)).text())).toMatch(/^sim_node_up\{instance="[\d.]+"\} 0$/m);
    expect((await put('/admin/nodes/1/up', {}, 'POST')).status).toBe(200);
    expect((await c.query('INSERT INTO f.kv (k, v) VALUES (2, 2)', { consistency: 5 })).opcode).toBe(Opcode.RESULT);
    c.close();
  });
});
