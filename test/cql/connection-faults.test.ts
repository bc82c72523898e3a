/**
 * Connection behaviour under network faults, against a real Cassandra behind a TCP proxy:
 * client-side timeouts drop the late reply without confusing later requests, a cut socket
 * fails every pending request, and a silent server hits the connect timeout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection } from '../../src/cql/connection.js';
import { ClientTimeoutError, ConnectionLostError, ConnectError } from '../../src/cql/errors.js';
import { decodeRowArrays } from '../../src/cql/rows.js';
import type { RowsResult } from '../../src/cql/messages.js';
import { cassandraInfo, connectCassandra } from '../support/real.js';
import { startProxy, startSilentServer, type FaultProxy } from '../support/proxy.js';

const info = cassandraInfo();

describe.skipIf(!info)('connection faults', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startProxy(info!.host, info!.port);
    const c = await connectCassandra(info!);
    await c.query(`CREATE KEYSPACE IF NOT EXISTS sb_faults WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
    await c.query('CREATE TABLE IF NOT EXISTS sb_faults.kv (k int PRIMARY KEY, v int)');
    const ins = await c.prepare('INSERT INTO sb_faults.kv (k, v) VALUES (?, ?)');
    await Promise.all(Array.from({ length: 50 }, (_, i) => c.execute(ins, [i, i * 10])));
    await c.close();
  });
  afterAll(async () => proxy?.close());

  it('a request past its client timeout fails, its late reply is dropped, later requests get their own replies', async () => {
    const c = await Connection.connect({ host: '127.0.0.1', port: proxy.port, credentials: { username: info!.username, password: info!.password }, maxInFlight: 2 });
    const sel = await c.prepare('SELECT v FROM sb_faults.kv WHERE k = ?');
    proxy.setReplyDelayMs(400);
    const t0 = performance.now();
    const err = await c.execute(sel, [1], { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClientTimeoutError);
    expect((err as Error).message).toContain(`127.0.0.1:${proxy.port}`);
    expect(performance.now() - t0).toBeLessThan(390);
    proxy.setReplyDelayMs(0);
    // with 2 stream ids and one still owed a late reply, the next requests must not be
    // matched with the stale reply for k=1
    const answers = await Promise.all([2, 3, 4, 5].map(async (k) => decodeRowArrays((await c.execute(sel, [k])) as RowsResult, sel.resultColumns)[0][0]));
    expect(answers).toEqual([20, 30, 40, 50]);
    await new Promise((r) => setTimeout(r, 500));
    expect(decodeRowArrays((await c.execute(sel, [6])) as RowsResult, sel.resultColumns)[0][0]).toBe(60);
    await c.close();
  });

  it('a cut connection fails every pending request with connection-lost naming host:port', async () => {
    const c = await Connection.connect({ host: '127.0.0.1', port: proxy.port, credentials: { username: info!.username, password: info!.password } });
    const sel = await c.prepare('SELECT v FROM sb_faults.kv WHERE k = ?');
    proxy.setReplyDelayMs(300);
    const pending = Array.from({ length: 20 }, (_, i) => c.execute(sel, [i]).catch((e: unknown) => e));
    await new Promise((r) => setTimeout(r, 50));
    proxy.cutAll();
    const errs = await Promise.all(pending);
    proxy.setReplyDelayMs(0);
    expect(errs.every((e) => e instanceof ConnectionLostError)).toBe(true);
    expect((errs[0] as Error).message).toContain(`127.0.0.1:${proxy.port}`);
    expect(c.closed).toBe(true);
    // later requests fail fast instead of hanging
    await expect(c.execute(sel, [1])).rejects.toBeInstanceOf(ConnectionLostError);
  });

  it('a server that accepts but never answers hits the connect timeout with a one-line error', async () => {
    const silent = await startSilentServer();
    const t0 = performance.now();
    const err = await Connection.connect({ host: '127.0.0.1', port: silent.port, connectTimeoutMs: 300 }).catch((e: unknown) => e);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect((err as Error).message).toMatch(new RegExp(`^127\\.0\\.0\\.1:${silent.port}: `));
    expect((err as Error).message).not.toContain('\n');
    await silent.close();
  });

  it('a refused port fails with connect-failed naming host:port', async () => {
    const err = await Connection.connect({ host: '127.0.0.1', port: 1, connectTimeoutMs: 1000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as Error).message).toBe('127.0.0.1:1: connection refused');
  });
});
