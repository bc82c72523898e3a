/**
 * The stream ids of one connection: which request waits on which id, a FIFO of requests waiting
 * for a free id (backpressure, bounded), and client-side deadlines.
 *
 * Deadlines are kept in one list per distinct timeout value, linked through the ids in dispatch
 * order: with one timeout, a request sent later expires later, so each list is sorted by
 * construction and the earliest deadline is at a head. Linking and unlinking are O(1) with no
 * allocation, and one timer is armed for the earliest head: it fires when a request is due (not
 * on a periodic scan), and otherwise about once per timeout period to move on to the next head.
 *
 * An expired request fails with ClientTimeoutError, but its id stays reserved ("orphaned") until
 * the server's late reply arrives and is dropped: reusing the id earlier would hand the stale
 * reply to a new request.
 */
import { ClientTimeoutError, StreamExhaustedError, type CqlError } from './errors.js';
import type { Frame } from './frame.js';

export type ResponseCallback = (err: CqlError | null, frame: Frame | null) => void;

/** A request waiting for a stream id. */
export interface Waiting<R> {
  request: R;
  cb: ResponseCallback;
  timeoutMs: number;
}

interface DeadlineList {
  timeoutMs: number;
  head: number;
  tail: number;
}

const NONE = -1;

export class StreamTable<R> {
  /** requests[id]: the request on stream `id`, allocated once per id and reused. */
  readonly requests: R[];
  readonly #cbs: (ResponseCallback | null)[];
  readonly #orphaned: Uint8Array;
  readonly #deadlineMs: Float64Array;
  readonly #timeoutMs: Float64Array;
  readonly #prev: Int32Array;
  readonly #next: Int32Array;
  /** Index into #lists of the deadline list holding the id, or NONE. */
  readonly #listOf: Int32Array;
  readonly #lists: DeadlineList[] = [];
  #lastList = 0;
  readonly #free: Int32Array;
  #freeTop: number;
  #onWire = 0;
  readonly #waiting: (Waiting<R> | undefined)[] = [];
  #waitingHead = 0;
  #timer: NodeJS.Timeout | undefined;
  #timerAtMs = Infinity;

  constructor(readonly capacity: number, readonly maxQueued: number, newRequest: () => R, private readonly endpoint: string) {
    this.requests = Array.from({ length: capacity }, newRequest);
    this.#cbs = new Array<ResponseCallback | null>(capacity).fill(null);
    this.#orphaned = new Uint8Array(capacity);
    this.#deadlineMs = new Float64Array(capacity);
    this.#timeoutMs = new Float64Array(capacity);
    this.#prev = new Int32Array(capacity).fill(NONE);
    this.#next = new Int32Array(capacity).fill(NONE);
    this.#listOf = new Int32Array(capacity).fill(NONE);
    this.#free = new Int32Array(capacity);
    // lowest ids first, as before: id 0 on top of the stack
    for (let i = 0; i < capacity; i++) this.#free[i] = capacity - 1 - i;
    this.#freeTop = capacity;
  }

  /** Requests on the wire (orphans included) plus those waiting for an id. */
  get inFlight(): number {
    return this.#onWire + (this.#waiting.length - this.#waitingHead);
  }

  get queued(): number {
    return this.#waiting.length - this.#waitingHead;
  }

  /** A free id, or -1 when every id is taken. */
  acquire(): number {
    return this.#freeTop > 0 ? this.#free[--this.#freeTop] : NONE;
  }

  /** Queues a request for the next free id; false when the queue is full (the caller fails it). */
  enqueue(w: Waiting<R>): boolean {
    if (this.queued >= this.maxQueued) return false;
    this.#waiting.push(w);
    return true;
  }

  exhausted(): StreamExhaustedError {
    return new StreamExhaustedError(`${this.endpoint}: ${this.capacity} requests in flight and ${this.maxQueued} queued`);
  }

  /** The request on `id` went out: its callback now waits for the reply or the deadline. */
  start(id: number, cb: ResponseCallback, timeoutMs: number): void {
    this.#cbs[id] = cb;
    this.#orphaned[id] = 0;
    this.#onWire++;
    if (timeoutMs > 0) {
      const deadlineMs = performance.now() + timeoutMs;
      this.#deadlineMs[id] = deadlineMs;
      this.#timeoutMs[id] = timeoutMs;
      this.#link(id, timeoutMs);
      if (deadlineMs < this.#timerAtMs) this.#arm(deadlineMs);
    }
  }

  /**
   * A reply for `id`: its callback (the id stays taken until release), null for the late reply of
   * an expired request, undefined when nothing waits on that id (a stray reply).
   */
  finish(id: number): ResponseCallback | null | undefined {
    if (id < 0 || id >= this.capacity) return undefined;
    const cb = this.#cbs[id];
    if (cb) {
      this.#cbs[id] = null;
      this.#unlink(id);
      return cb;
    }
    if (this.#orphaned[id]) {
      this.#orphaned[id] = 0;
      return null;
    }
    return undefined;
  }

  /**
   * Gives `id` back: to the first waiting request (returned: the caller sends it on this id) or
   * to the free list. `wasOnWire` is false for an id acquired but never started (encoding failed).
   */
  release(id: number, wasOnWire = true): Waiting<R> | undefined {
    if (wasOnWire) this.#onWire--;
    if (this.#waitingHead < this.#waiting.length) {
      const next = this.#waiting[this.#waitingHead]!;
      this.#waiting[this.#waitingHead++] = undefined;
      if (this.#waitingHead > 1024 && this.#waitingHead * 2 > this.#waiting.length) {
        this.#waiting.splice(0, this.#waitingHead);
        this.#waitingHead = 0;
      }
      return next;
    }
    this.#free[this.#freeTop++] = id;
    return undefined;
  }

  /** Fails every request on the wire and every waiting one (the connection is gone). */
  failAll(err: CqlError): void {
    this.#disarm();
    for (const l of this.#lists) l.head = l.tail = NONE;
    this.#listOf.fill(NONE);
    for (let id = 0; id < this.capacity; id++) {
      const cb = this.#cbs[id];
      this.#cbs[id] = null;
      this.#orphaned[id] = 0;
      if (cb) cb(err, null);
    }
    const waiting = this.#waiting.splice(this.#waitingHead);
    this.#waiting.length = 0;
    this.#waitingHead = 0;
    for (const w of waiting) w!.cb(err, null);
  }

  /** Stops the deadline timer (the connection closed). */
  stop(): void {
    this.#disarm();
  }

  #link(id: number, timeoutMs: number): void {
    let li = this.#lastList;
    let l = this.#lists[li];
    if (!l || l.timeoutMs !== timeoutMs) {
      li = this.#lists.findIndex((x) => x.timeoutMs === timeoutMs);
      if (li < 0) {
        li = this.#lists.length;
        this.#lists.push({ timeoutMs, head: NONE, tail: NONE });
      }
      this.#lastList = li;
      l = this.#lists[li];
    }
    this.#listOf[id] = li;
    this.#prev[id] = l.tail;
    this.#next[id] = NONE;
    if (l.tail === NONE) l.head = id;
    else this.#next[l.tail] = id;
    l.tail = id;
  }

  #unlink(id: number): void {
    const li = this.#listOf[id];
    if (li === NONE) return;
    const l = this.#lists[li];
    const p = this.#prev[id];
    const n = this.#next[id];
    if (p === NONE) l.head = n;
    else this.#next[p] = n;
    if (n === NONE) l.tail = p;
    else this.#prev[n] = p;
    this.#listOf[id] = NONE;
  }

  #arm(atMs: number): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerAtMs = atMs;
    this.#timer = setTimeout(this.#expire, Math.max(1, Math.ceil(atMs - performance.now())));
    this.#timer.unref();
  }

  #disarm(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAtMs = Infinity;
  }

  /** Fails the requests whose deadline passed, then arms the timer for the earliest one left. */
  readonly #expire = (): void => {
    this.#timer = undefined;
    this.#timerAtMs = Infinity;
    const nowMs = performance.now();
    for (const l of this.#lists) {
      while (l.head !== NONE && this.#deadlineMs[l.head] <= nowMs) {
        const id = l.head;
        this.#unlink(id);
        const cb = this.#cbs[id]!;
        this.#cbs[id] = null;
        this.#orphaned[id] = 1;
        cb(new ClientTimeoutError(this.endpoint, this.#timeoutMs[id]), null);
      }
    }
    let earliestMs = Infinity;
    for (const l of this.#lists) if (l.head !== NONE && this.#deadlineMs[l.head] < earliestMs) earliestMs = this.#deadlineMs[l.head];
    if (earliestMs < this.#timerAtMs) this.#arm(earliestMs);
  };
}
