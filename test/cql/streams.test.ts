/**
 * The stream table on its own, with fake timers and a fake performance clock: requests expire
 * exactly at their own deadlines (mixed timeouts included, in deadline order), a reply unlinks
 * its request, an expired id stays reserved until its late reply, waiting requests get ids in
 * FIFO order and the queue is bounded, and one timer serves them all.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ClientTimeoutError, ConnectionLostError, StreamExhaustedError, type CqlError } from '../../src/cql/errors.js';
import { StreamTable } from '../../src/cql/streams.js';

interface Req { tag: string }

function table(capacity = 4, maxQueued = 2): StreamTable<Req> {
  return new StreamTable<Req>(capacity, maxQueued, () => ({ tag: '' }), '10.0.0.1:9042');
}

/** Starts a request on a fresh id; returns the id and what its callback received. */
function start(t: StreamTable<Req>, timeoutMs: number, log: string[], name: string): number {
  const id = t.acquire();
  expect(id).toBeGreaterThanOrEqual(0);
  t.requests[id].tag = name;
  t.start(id, (err) => log.push(`${name}:${err ? (err as CqlError).kind : 'ok'}`), timeoutMs);
  return id;
}

describe('StreamTable', () => {
  beforeEach(() => { vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] }); });
  afterEach(() => { vi.useRealTimers(); });

  it('expires each request at its own deadline, shorter timeouts first, with one timer', () => {
    const t = table(8);
    const log: string[] = [];
    start(t, 1000, log, 'a');
    vi.advanceTimersByTime(100);
    start(t, 300, log, 'b'); // due at 400, before a (1000)
    start(t, 1000, log, 'c'); // due at 1100
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(299);
    expect(log).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(log).toEqual(['b:client-timeout']);
    vi.advanceTimersByTime(599);
    expect(log).toEqual(['b:client-timeout']);
    vi.advanceTimersByTime(1);
    expect(log).toEqual(['b:client-timeout', 'a:client-timeout']);
    vi.advanceTimersByTime(100);
    expect(log).toEqual(['b:client-timeout', 'a:client-timeout', 'c:client-timeout']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a reply unlinks its request: it never expires, and the timer moves to the next deadline', () => {
    const t = table();
    const log: string[] = [];
    const a = start(t, 500, log, 'a');
    vi.advanceTimersByTime(200);
    start(t, 500, log, 'b');
    const cb = t.finish(a);
    expect(cb).toBeTypeOf('function');
    cb!(null, null);
    expect(t.release(a)).toBeUndefined();
    vi.advanceTimersByTime(400); // a's deadline (500) passes: nothing
    expect(log).toEqual(['a:ok']);
    vi.advanceTimersByTime(100);
    expect(log).toEqual(['a:ok', 'b:client-timeout']);
  });

  it('an expired id stays reserved until its late reply, which is dropped', () => {
    const t = table(1);
    const log: string[] = [];
    const a = start(t, 100, log, 'a');
    vi.advanceTimersByTime(100);
    expect(log).toEqual(['a:client-timeout']);
    expect(t.acquire()).toBe(-1); // still taken
    expect(t.finish(a)).toBeNull(); // the late reply: no callback
    expect(t.release(a)).toBeUndefined();
    expect(t.acquire()).toBe(a);
    expect(t.finish(a)).toBeUndefined(); // a stray reply on an idle id
  });

  it('waiting requests get released ids in FIFO order; past maxQueued the caller is told to fail fast', () => {
    const t = table(1, 2);
    const log: string[] = [];
    const a = start(t, 0, log, 'a');
    const cb = (name: string) => (err: CqlError | null): void => { log.push(`${name}:${err ? err.kind : 'ok'}`); };
    expect(t.enqueue({ request: { tag: 'w1' }, cb: cb('w1'), timeoutMs: 0 })).toBe(true);
    expect(t.enqueue({ request: { tag: 'w2' }, cb: cb('w2'), timeoutMs: 0 })).toBe(true);
    expect(t.enqueue({ request: { tag: 'w3' }, cb: cb('w3'), timeoutMs: 0 })).toBe(false);
    expect(t.exhausted()).toBeInstanceOf(StreamExhaustedError);
    expect(t.inFlight).toBe(3);
    t.finish(a);
    const next = t.release(a);
    expect(next?.request.tag).toBe('w1');
    expect(t.queued).toBe(1);
    t.failAll(new ConnectionLostError('10.0.0.1:9042', 'test'));
    expect(log).toEqual(['w2:connection-lost']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('failAll fails what is on the wire and stops the timer', () => {
    const t = table();
    const log: string[] = [];
    start(t, 1000, log, 'a');
    start(t, 0, log, 'b'); // no deadline
    t.failAll(new ConnectionLostError('10.0.0.1:9042', 'gone'));
    expect(log.sort()).toEqual(['a:connection-lost', 'b:connection-lost']);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(5000);
    expect(log).toHaveLength(2);
  });

  it('names the endpoint and the timeout in the error', () => {
    const t = table();
    let err: unknown;
    const id = t.acquire();
    t.start(id, (e) => { err = e; }, 250);
    vi.advanceTimersByTime(250);
    expect(err).toBeInstanceOf(ClientTimeoutError);
    expect((err as Error).message).toBe('10.0.0.1:9042: no reply within 250 ms (client-side timeout)');
  });
});
