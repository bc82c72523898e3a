/**
 * Data faults (src/sim/data-faults.ts): a read served with a flipped cell while the stored copy
 * stays intact, and a write at CL ONE acknowledged by a replica that does not store it — set in
 * process, over PUT /admin/faults, or from `sim` flags (faultsOf).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faultsOf } from '../../src/cli/sim.js';
import { Connection } from '../../src/cql/connection.js';
import { Consistency } from '../../src/cql/consistency.js';
import { decodeRows, type Row } from '../../src/cql/rows.js';
import { startSim, type Sim } from '../../src/sim/index.js';
import { simHost } from '../support/sim-host.js';

describe('data faults', () => {
  let sim: Sim;
  let c: Connection;
  const host = simHost();
  const rows = async (cql: string, consistency = Consistency.ONE): Promise<Row[]> => {
    const r = await c.query(cql, [], { consistency });
    if (r.kind !== 'rows') throw new Error(r.kind);
    return decodeRows(r);
  };
  const admin = async (body: unknown): Promise<Record<string, unknown>> => {
    const r = await fetch(`${sim.metricsUrl!}/admin/faults`, { method: 'PUT', body: JSON.stringify(body) });
    const j = (await r.json()) as Record<string, unknown>;
    if (r.status !== 200) throw new Error(JSON.stringify(j));
    return j;
  };

  beforeAll(async () => {
    sim = await startSim({ nodes: 2, shards: 2, host, metricsPort: 0 });
    c = await Connection.connect({ host, port: 9042 });
    await c.query("CREATE KEYSPACE df WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
    await c.query('CREATE TABLE df.t (id int PRIMARY KEY, v text, n int)');
    await c.query('CREATE TABLE df.u (id int PRIMARY KEY, v text)');
    for (let i = 0; i < 20; i++) {
      await c.query(`INSERT INTO df.t (id, v, n) VALUES (${i}, 'value${i}', ${i})`);
      await c.query(`INSERT INTO df.u (id, v) VALUES (${i}, 'value${i}')`);
    }
  });
  afterAll(async () => {
    await c.close();
    await sim.stop();
  });

  it('corrupt: every read of the named table and column gets a flipped cell; the stored copy is intact', async () => {
    const state = await admin({ corrupt: { rate: 1, table: 'df.t', column: 'v' } });
    expect(state.corrupt).toEqual({ rate: 1, table: 'df.t', column: 'v' });
    const got = await rows('SELECT id, v, n FROM df.t WHERE id = 3');
    // the last byte flipped: '3' (0x33) → '2' (0x32); other columns as stored
    expect(got).toEqual([{ id: 3, v: 'value2', n: 3 }]);
    expect(await rows('SELECT v FROM df.u WHERE id = 3')).toEqual([{ v: 'value3' }]);
    const state2 = (await (await fetch(`${sim.metricsUrl!}/admin/faults`)).json()) as { dataFaultCounts: { corruptedReads: number } };
    expect(state2.dataFaultCounts.corruptedReads).toBe(1);
    await admin({});
    expect(await rows('SELECT id, v, n FROM df.t WHERE id = 3')).toEqual([{ id: 3, v: 'value3', n: 3 }]);
  });

  it('corrupt at a rate: about that fraction of reads', async () => {
    sim.faults.configure({ corrupt: { rate: 0.5 } });
    let seen = 0;
    for (let i = 0; i < 200; i++) {
      const [r] = await rows(`SELECT v FROM df.u WHERE id = ${i % 20}`);
      if (r.v !== `value${i % 20}`) seen++;
    }
    const counted = sim.faults.state().dataFaultCounts!.corruptedReads;
    expect(seen).toBe(counted);
    expect(seen).toBeGreaterThan(50);
    expect(seen).toBeLessThan(150);
    sim.faults.configure({});
  });

  it('loseWrites: writes at CL ONE acknowledged and gone (RF 1); QUORUM writes are not touched', async () => {
    sim.faults.configure({ loseWrites: { rate: 1 } });
    await c.query("INSERT INTO df.t (id, v, n) VALUES (100, 'lost', 1)", [], { consistency: Consistency.ONE });
    await c.query("INSERT INTO df.t (id, v, n) VALUES (101, 'kept', 1)", [], { consistency: Consistency.QUORUM });
    expect(sim.faults.state().dataFaultCounts!.lostWrites).toBe(1);
    sim.faults.configure({});
    expect(await rows('SELECT v FROM df.t WHERE id = 100')).toEqual([]);
    expect(await rows('SELECT v FROM df.t WHERE id = 101')).toEqual([{ v: 'kept' }]);
  });

  it('bad values: the admin API answers 400 naming the field; flags are parsed as documented', async () => {
    const r = await fetch(`${sim.metricsUrl!}/admin/faults`, { method: 'PUT', body: JSON.stringify({ corrupt: { rate: 3 } }) });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: string }).error).toMatch(/corrupt: rate must be within 0\.\.1, got 3/);
    expect(faultsOf({ corrupt: '0.05@sb_kv.users:email', loseWrites: '0.01' })).toEqual({
      corrupt: { rate: 0.05, table: 'sb_kv.users', column: 'email' }, loseWrites: { rate: 0.01 },
    });
    expect(faultsOf({ corrupt: '1@users' })).toEqual({ corrupt: { rate: 1, table: 'users' } });
    expect(() => faultsOf({ corrupt: '0.1@a.b.c' })).toThrow(/--corrupt: expected <rate>\[@\[ks\.\]table\[:column\]\]/);
  });
});
