/**
 * The one Unprepared retry, on the emulator: a statement the server does not know (its id made
 * stale) is re-prepared on the connection and sent once more, whichever way it was sent —
 * executeFast on a free stream or from the FIFO when every stream is busy, execute(), and a
 * BATCH naming it. A statement that cannot be prepared again reports the server's error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection, type PreparedStatement } from '../../src/cql/connection.js';
import type { RowsResult } from '../../src/cql/messages.js';
import { decodeRowArrays } from '../../src/cql/rows.js';
import { startSim, type Sim } from '../../src/sim/index.js';
import { simHost } from '../support/sim-host.js';

const STALE = Buffer.from('00112233445566778899aabbccddeeff', 'hex');

describe('Unprepared retry', () => {
  let sim: Sim;
  let c: Connection;
  beforeAll(async () => {
    const host = simHost();
    sim = await startSim({ host });
    // two streams: most of the 40 requests below wait in the FIFO
    c = await Connection.connect({ host, port: 9042, maxInFlight: 2 });
    await c.query("CREATE KEYSPACE up WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
    await c.query('CREATE TABLE up.kv (k int PRIMARY KEY, v int)');
  });
  afterAll(async () => { await c?.close(); await sim?.stop(); });

  function stale(stmt: PreparedStatement): Buffer {
    const real = Buffer.from(stmt.id);
    stmt.id = STALE;
    return real;
  }

  it('executeFast, on free streams and from the FIFO alike, re-prepares and succeeds', async () => {
    const ins = await c.prepare('INSERT INTO up.kv (k, v) VALUES (?, ?)');
    const real = stale(ins);
    const errs = await Promise.all(Array.from({ length: 40 }, (_, k) => new Promise((resolve) => {
      c.executeFast(ins, [k, k * 2], {}, (err) => resolve(err));
    })));
    expect(errs.every((e) => e === null)).toBe(true);
    expect(ins.id.equals(real)).toBe(true);
    const sel = await c.prepare('SELECT v FROM up.kv WHERE k = ?');
    stale(sel);
    const r = await c.execute(sel, [39]);
    expect(decodeRowArrays(r as RowsResult, sel.resultColumns)).toEqual([[78]]);
  });

  it('a BATCH naming a forgotten statement re-prepares that statement and succeeds', async () => {
    const ins = await c.prepare('INSERT INTO up.kv (k, v) VALUES (?, ?)');
    stale(ins);
    await c.batch([{ statement: ins, values: [100, 1] }, { statement: 'INSERT INTO up.kv (k, v) VALUES (101, 2)' }]);
    const r = await c.query('SELECT k, v FROM up.kv WHERE k IN (100, 101)');
    expect(decodeRowArrays(r as RowsResult, (r as RowsResult).metadata.columns!).sort()).toEqual([[100, 1], [101, 2]]);
  });

  it("a statement that cannot be prepared again gets the server's error, not a hang", async () => {
    await c.query('CREATE TABLE up.gone (k int PRIMARY KEY)');
    const sel = await c.prepare('SELECT k FROM up.gone WHERE k = ?');
    await c.query('DROP TABLE up.gone');
    stale(sel);
    const err = await new Promise((resolve) => c.executeFast(sel, [1], {}, (e) => resolve(e)));
    expect(err).toMatchObject({ kind: 'invalid' });
  });

  it('the wrong number of values fails on the client, on every path', async () => {
    const ins = await c.prepare('INSERT INTO up.kv (k, v) VALUES (?, ?)');
    const fast = await new Promise((resolve) => c.executeFast(ins, [1], {}, (e) => resolve(e)));
    expect(fast).toMatchObject({ kind: 'value-error' });
    await expect(c.execute(ins, [1])).rejects.toMatchObject({ kind: 'value-error' });
    // the stream went back: the connection still works
    await c.execute(ins, [1, 1]);
  });
});
