/**
 * A node going down behaves like a Scylla process that stopped, seen from the clients: its
 * connections drop, new connections are refused on both ports, its replicas are unavailable, and
 * the other nodes' registered connections hear STATUS_CHANGE DOWN (then UP) naming the node's
 * address and the port of the connection's own listener (transport/event_notifier.cc). Driven over
 * the admin HTTP API with real sockets.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Reader, Writer } from '../../src/cql/buffer.js';
import { Opcode, type Frame } from '../../src/cql/frame.js';
import { startSim, type Sim } from '../../src/sim/index.js';
import { errorOf, RawCql } from '../support/raw-cql.js';
import { simHost } from '../support/sim-host.js';

function connectError(host: string, port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => { s.destroy(); resolve(null); });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

function event(f: Frame): { type: string; change: string; address: string; port: number } {
  expect(f.opcode).toBe(Opcode.EVENT);
  expect(f.stream).toBe(-1);
  const r = new Reader(f.body);
  const type = r.string();
  const change = r.string();
  return { type, change, ...r.inet() };
}

async function registered(host: string, port: number, types: string[]): Promise<RawCql> {
  const c = await RawCql.connect(host, port);
  await c.startup();
  expect((await c.request(Opcode.REGISTER, new Writer().stringList(types).toBuffer())).opcode).toBe(Opcode.READY);
  return c;
}

describe('node down/up over the admin API', () => {
  let sim: Sim;
  const host = simHost();
  beforeAll(async () => {
    sim = await startSim({ nodes: 3, shards: 2, host, vnodesPerNode: 8, metricsPort: 0 });
  });
  afterAll(async () => { await sim.stop(); });
  const post = (path: string): Promise<Response> => fetch(`${sim.metricsUrl}${path}`, { method: 'POST' });

  it('drops, refuses, reports unavailable and sends STATUS_CHANGE; comes back on both ports', async () => {
    const [n0, n1] = sim.nodes;
    const regular = await registered(n0.host, 9042, ['STATUS_CHANGE', 'TOPOLOGY_CHANGE']);
    const shardAware = await registered(n0.host, 19042, ['STATUS_CHANGE']);
    const schemaOnly = await registered(n0.host, 9042, ['SCHEMA_CHANGE']);
    const onDown = await registered(n1.host, 9042, ['STATUS_CHANGE']);
    await regular.query("CREATE KEYSPACE d WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}");
    await regular.query('CREATE TABLE d.kv (k int PRIMARY KEY, v int)');
    // drain the schema events the DDL sent to schemaOnly
    while ((await schemaOnly.next(200).catch(() => null)) !== null) { /* schema event */ }

    expect((await post('/admin/nodes/1/down')).status).toBe(200);
    // the down node's connection is dropped
    expect(await onDown.next()).toBeNull();
    expect(onDown.closed).toBe(true);
    // new connections are refused on both ports, as with a stopped process
    expect(await connectError(n1.host, 9042)).toBe('ECONNREFUSED');
    expect(await connectError(n1.host, 19042)).toBe('ECONNREFUSED');
    // the other nodes' registered connections hear DOWN, with their own listener's port
    expect(event((await regular.next())!)).toEqual({ type: 'STATUS_CHANGE', change: 'DOWN', address: n1.host, port: 9042 });
    expect(event((await shardAware.next())!)).toEqual({ type: 'STATUS_CHANGE', change: 'DOWN', address: n1.host, port: 19042 });
    // replicas on the down node are unavailable
    const un = errorOf(await regular.query('INSERT INTO d.kv (k, v) VALUES (1, 1)', { consistency: 5 }));
    expect(un).toEqual({ code: 0x1000, message: 'Cannot achieve consistency level for cl ALL. Requires 3, alive 2' });
    expect((await regular.query('INSERT INTO d.kv (k, v) VALUES (1, 1)', { consistency: 4 })).opcode).toBe(Opcode.RESULT);
    const state = (await (await fetch(`${sim.metricsUrl}/admin/faults`)).json()) as { nodesDown: number[] };
    expect(state.nodesDown).toEqual([1]);
    // a second DOWN changes nothing and sends nothing (Scylla sends on a change only)
    expect((await post('/admin/nodes/1/down')).status).toBe(200);

    expect((await post('/admin/nodes/1/up')).status).toBe(200);
    // the next event is UP: no TOPOLOGY_CHANGE for a node that only went down and up
    expect(event((await regular.next())!)).toEqual({ type: 'STATUS_CHANGE', change: 'UP', address: n1.host, port: 9042 });
    expect(event((await shardAware.next())!)).toEqual({ type: 'STATUS_CHANGE', change: 'UP', address: n1.host, port: 19042 });
    for (const port of [9042, 19042]) {
      const c = await RawCql.connect(n1.host, port);
      expect((await c.startup()).opcode).toBe(Opcode.READY);
      expect((await c.query('INSERT INTO d.kv (k, v) VALUES (2, 2)', { consistency: 5 })).opcode).toBe(Opcode.RESULT);
      c.close();
    }
    // a connection registered for SCHEMA_CHANGE only heard nothing about the node
    await expect(schemaOnly.next(300)).rejects.toThrow(/no response frame/);
    expect((await post('/admin/nodes/7/down')).status).toBe(404);
    for (const c of [regular, shardAware, schemaOnly]) c.close();
  });
});
