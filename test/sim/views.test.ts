/**
 * Asynchronous view updates on the emulator, seen through CQL as a client sees them: the base
 * write is acknowledged before its view row exists; the row appears after the configured delay;
 * the backlog shows in /metrics meanwhile (Scylla's scylla_database_view_update_backlog); a view
 * with synchronous_updates = true is updated before the base write is acknowledged, and that
 * write's reply waits for it. Relations only: "absent right after the ack" uses a delay (1 s) far
 * beyond a statement's round trip, and "the write took at least D" holds because the emulator
 * never answers a held reply early.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection } from '../../src/cql/connection.js';
import { WriteTimeoutError } from '../../src/cql/errors.js';
import type { Result } from '../../src/cql/messages.js';
import { Cluster } from '../../src/sim/cluster.js';
import { Executor } from '../../src/sim/executor.js';
import { resolveClusterOptions, startSim, type Sim } from '../../src/sim/index.js';
import { simHost } from '../support/sim-host.js';

const DELAY_MS = 1000;

const rowsOf = (r: Result): number => (r.kind === 'rows' ? r.rowCount : -1);

async function metric(sim: Sim, name: string): Promise<number> {
  const text = await (await fetch(`${sim.metricsUrl}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(`${name}{`)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

describe('asynchronous materialized views', () => {
  let sim: Sim;
  let c: Connection;
  beforeAll(async () => {
    const host = simHost();
    sim = await startSim({ nodes: 3, shards: 2, host, vnodesPerNode: 8, metricsPort: 0, viewDelayMs: DELAY_MS, viewDelayPerPendingMs: 0 });
    c = await Connection.connect({ host, port: 9042 });
    await c.query("CREATE KEYSPACE mv WITH replication = {'class': 'NetworkTopologyStrategy', 'replication_factor': 3}");
    await c.query('CREATE TABLE mv.users (id int PRIMARY KEY, email text, name text)');
    await c.query('CREATE MATERIALIZED VIEW mv.by_email AS SELECT * FROM mv.users WHERE email IS NOT NULL AND id IS NOT NULL PRIMARY KEY (email, id)');
  });
  afterAll(async () => { await c?.close(); await sim?.stop(); });

  it('acknowledges the base write first; the view row appears after the delay; the backlog shows meanwhile', async () => {
    const t0 = performance.now();
    await c.query("INSERT INTO mv.users (id, email, name) VALUES (1, 'a@x', 'Ann')");
    const ackMs = performance.now() - t0;
    // the base row is there at once, the view row not yet
    expect(rowsOf(await c.query('SELECT * FROM mv.users WHERE id = 1'))).toBe(1);
    expect(rowsOf(await c.query("SELECT * FROM mv.by_email WHERE email = 'a@x'"))).toBe(0);
    expect(await metric(sim, 'sim_view_updates_pending')).toBeGreaterThan(0);
    expect(await metric(sim, 'scylla_database_view_update_backlog')).toBeGreaterThan(0);
    // the base write was not held for its view
    expect(ackMs).toBeLessThan(DELAY_MS);
    const seenAt = await pollUntil(c, "SELECT name FROM mv.by_email WHERE email = 'a@x'", 1);
    expect(seenAt - t0).toBeGreaterThanOrEqual(DELAY_MS);
    expect(await metric(sim, 'sim_view_updates_pending')).toBe(0);
    expect(await metric(sim, 'scylla_database_view_update_backlog')).toBe(0);
  });

  it('a view key change: the old view row stays until the update lands, then moves', async () => {
    await c.query("INSERT INTO mv.users (id, email, name) VALUES (2, 'b@x', 'Bob')");
    await pollUntil(c, "SELECT name FROM mv.by_email WHERE email = 'b@x'", 1);
    await c.query("UPDATE mv.users SET email = 'c@x' WHERE id = 2");
    expect(rowsOf(await c.query("SELECT * FROM mv.by_email WHERE email = 'b@x'"))).toBe(1);
    await pollUntil(c, "SELECT name FROM mv.by_email WHERE email = 'c@x'", 1);
    expect(rowsOf(await c.query("SELECT * FROM mv.by_email WHERE email = 'b@x'"))).toBe(0);
  });

  it('synchronous_updates = true: the view row is there when the write is acknowledged, and the write waited for it', async () => {
    await c.query('ALTER MATERIALIZED VIEW mv.by_email WITH synchronous_updates = true');
    try {
      const t0 = performance.now();
      await c.query("INSERT INTO mv.users (id, email, name) VALUES (3, 'd@x', 'Dee')");
      const ackMs = performance.now() - t0;
      expect(rowsOf(await c.query("SELECT * FROM mv.by_email WHERE email = 'd@x'"))).toBe(1);
      expect(ackMs).toBeGreaterThanOrEqual(DELAY_MS);
      expect(await metric(sim, 'sim_view_updates_pending')).toBe(0);
    } finally {
      await c.query('ALTER MATERIALIZED VIEW mv.by_email WITH synchronous_updates = false');
    }
  });

  it('synchronous_updates = true with a view delay past the write timeout: the base write times out', async () => {
    const slow = await startSim({ host: simHost(), shards: 1, vnodesPerNode: 8, viewDelayMs: 800, viewDelayPerPendingMs: 0, timeouts: { writeMs: 300 } });
    const g = await Connection.connect({ host: slow.nodes[0].host, port: 9042 });
    try {
      await g.query("CREATE KEYSPACE k WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
      await g.query('CREATE TABLE k.t (p int PRIMARY KEY, v int)');
      await g.query('CREATE MATERIALIZED VIEW k.by_v AS SELECT * FROM k.t WHERE v IS NOT NULL AND p IS NOT NULL PRIMARY KEY (v, p) WITH synchronous_updates = true');
      const e = await g.query('INSERT INTO k.t (p, v) VALUES (1, 1)').then(() => undefined, (x: unknown) => x);
      expect(e).toBeInstanceOf(WriteTimeoutError);
      // an asynchronous view with the same delay: the write is acknowledged
      await g.query('ALTER MATERIALIZED VIEW k.by_v WITH synchronous_updates = false');
      await g.query('INSERT INTO k.t (p, v) VALUES (2, 2)');
    } finally {
      await g.close();
      await slow.stop();
    }
  });

  it('the delay grows with the backlog, and updates land in order', async () => {
    const grow = await startSim({ host: simHost(), shards: 1, vnodesPerNode: 8, viewDelayMs: 200, viewDelayPerPendingMs: 20 });
    const g = await Connection.connect({ host: grow.nodes[0].host, port: 9042 });
    try {
      await g.query("CREATE KEYSPACE k WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
      await g.query('CREATE TABLE k.t (p int, c int, v int, PRIMARY KEY (p, c))');
      await g.query('CREATE MATERIALIZED VIEW k.by_v AS SELECT * FROM k.t WHERE v IS NOT NULL AND p IS NOT NULL AND c IS NOT NULL PRIMARY KEY (v, p, c)');
      // 20 writes at once: the n-th waits 200 ms + 20 ms × (n − 1) pending, so the last lands ≥ 380 ms after the first
      await Promise.all(Array.from({ length: 20 }, (_, i) => g.query(`INSERT INTO k.t (p, c, v) VALUES (1, ${i}, ${i})`)));
      expect(grow.cluster.viewBacklog.pending).toBe(20);
      await pollUntil(g, 'SELECT * FROM k.by_v WHERE v = 0', 1);
      expect(rowsOf(await g.query('SELECT * FROM k.by_v WHERE v = 19'))).toBe(0);
      await pollUntil(g, 'SELECT * FROM k.by_v WHERE v = 19', 1);
      expect(grow.cluster.viewBacklog.pending).toBe(0);
    } finally {
      await g.close();
      await grow.stop();
    }
  });
});

describe('view updates of a write executed outside the scheduler', () => {
  it('are not lost: they land after the delay, counted from the end of the write', async () => {
    const cluster = new Cluster(resolveClusterOptions({ shards: 1, vnodesPerNode: 8, viewDelayMs: 5, viewDelayPerPendingMs: 0 }));
    const ex = new Executor(cluster);
    const session = { cluster, node: cluster.nodes[0], shard: cluster.nodes[0].shards[0], lwtMark: false, tabletsRouting: false };
    const run = (cql: string): ReturnType<Executor['query']> => ex.query(session, cql, [], { consistency: 1 }, {});
    run("CREATE KEYSPACE k WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
    run('CREATE TABLE k.t (p int PRIMARY KEY, v int)');
    run('CREATE MATERIALIZED VIEW k.by_v AS SELECT * FROM k.t WHERE v IS NOT NULL AND p IS NOT NULL PRIMARY KEY (v, p)');
    run('INSERT INTO k.t (p, v) VALUES (1, 7)');
    const rows = (): number => { const r = run('SELECT * FROM k.by_v WHERE v = 7'); return r.kind === 'rows' ? r.rows.length : -1; };
    expect(rows()).toBe(0);
    await new Promise((r) => setImmediate(r));
    expect(cluster.viewBacklog.pending).toBe(1);
    const deadline = performance.now() + 10_000;
    while (rows() === 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(rows()).toBe(1);
    expect(cluster.viewBacklog.pending).toBe(0);
  });
});

/** Polls until the query returns `rows` rows; returns performance.now() when it did (fails after 20 s). */
async function pollUntil(c: Connection, cql: string, rows: number): Promise<number> {
  const deadline = performance.now() + 20_000;
  for (;;) {
    const r = await c.query(cql);
    const at = performance.now();
    if (rowsOf(r) === rows) return at;
    if (at > deadline) throw new Error(`${cql}: still not ${rows} rows after 20 s`);
    await new Promise((res) => setTimeout(res, 5));
  }
}
