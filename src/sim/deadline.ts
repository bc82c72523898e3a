/**
 * Callbacks at monotonic deadlines, never early and usually well under 0.1 ms late.
 *
 * Node's timers cannot do this: libuv counts in whole milliseconds from a loop time cached at the
 * start of each loop turn, so a timer fires anywhere from ~1 ms early to ~1 ms late, and one that
 * is re-armed when early costs another millisecond. A reply held for an injected 5 ms must leave
 * at 5 ms, not 4.3 or 6.
 *
 * One helper thread per process sleeps in Atomics.wait (which takes fractional milliseconds)
 * until the earliest deadline and then posts one message; the main thread runs every callback
 * that is due by its own clock, and arms the next deadline. Nothing spins: an idle thread waits
 * with no timeout. The thread is unref'd, so it never keeps a process alive.
 */
import { Worker } from 'node:worker_threads';

/** The helper thread: sleep until the armed deadline (epoch ms), post, wait for the next one. */
const WAKER = `
const { parentPort, workerData } = require('node:worker_threads');
const ctrl = new Int32Array(workerData, 0, 1);
const target = new Float64Array(workerData, 8, 1);
for (;;) {
  const gen = Atomics.load(ctrl, 0);
  const waitMs = target[0] - (performance.timeOrigin + performance.now());
  if (waitMs <= 0) {
    parentPort.postMessage(gen);
    Atomics.wait(ctrl, 0, gen);
  } else {
    Atomics.wait(ctrl, 0, gen, waitMs === Infinity ? undefined : waitMs);
  }
}
`;

export interface DeadlineHandle {
  readonly atMs: number;
  cancelled: boolean;
}

interface Entry extends DeadlineHandle {
  fn: () => void;
}

class DeadlineQueue {
  private readonly heap: Entry[] = [];
  private worker: Worker | undefined;
  private ctrl!: Int32Array;
  private target!: Float64Array;
  private armedAt = Infinity;
  private warm: Promise<void> | undefined;

  /** Runs `fn` once `performance.now()` ≥ `atMs`. */
  at(atMs: number, fn: () => void): DeadlineHandle {
    const e: Entry = { atMs, fn, cancelled: false };
    this.push(e);
    if (atMs < this.armedAt) this.arm(atMs);
    return e;
  }

  cancel(h: DeadlineHandle): void {
    h.cancelled = true;
  }

  /**
   * Starts the helper thread and waits until a deadline has gone through it once: the thread's
   * start-up (tens of ms) must not delay the first replies.
   */
  async ready(): Promise<void> {
    if (this.warm) return this.warm;
    this.warm = new Promise<void>((resolve) => {
      this.at(performance.now(), () => {
        // the thread stays unref'd afterwards: it must never keep a process alive
        this.worker!.unref();
        resolve();
      });
      // held while starting: nothing else may keep the process alive yet
      this.worker!.ref();
    });
    return this.warm;
  }

  private start(): void {
    const shared = new SharedArrayBuffer(16);
    this.ctrl = new Int32Array(shared, 0, 1);
    this.target = new Float64Array(shared, 8, 1);
    this.target[0] = Infinity;
    // execArgv: [] — the waker is CommonJS source; a parent started with `--input-type=module`
    // (node -e) would otherwise pass that on, the thread would fail to start, and the process
    // would exit with nothing left to keep it alive
    const w = new Worker(WAKER, { eval: true, workerData: shared, execArgv: [] });
    w.on('message', () => this.run());
    w.on('error', () => { /* cannot happen short of the thread dying; timers then stop, as on a crash */ });
    w.unref();
    this.worker = w;
  }

  /** Wakes the thread at `atMs` (this thread's performance.now() clock). */
  private arm(atMs: number): void {
    if (!this.worker) this.start();
    this.armedAt = atMs;
    // the thread's clock differs by timeOrigin; the sum may round by a fraction of a µs, so
    // run() re-checks on this thread's own clock and a wake a hair early only re-arms
    this.target[0] = atMs + performance.timeOrigin;
    Atomics.add(this.ctrl, 0, 1);
    Atomics.notify(this.ctrl, 0);
  }

  /** Runs what is due by this thread's clock, then arms the next deadline. */
  private run(): void {
    const now = performance.now();
    for (;;) {
      const top = this.heap[0];
      if (!top || top.atMs > now) break;
      this.pop();
      if (!top.cancelled) top.fn();
    }
    while (this.heap.length > 0 && this.heap[0].cancelled) this.pop();
    const next = this.heap[0]?.atMs ?? Infinity;
    if (next === Infinity) {
      this.armedAt = Infinity;
      this.target[0] = Infinity;
      Atomics.add(this.ctrl, 0, 1);
      Atomics.notify(this.ctrl, 0);
    } else {
      this.arm(next);
    }
  }

  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p].atMs <= e.atMs) break;
      h[i] = h[p];
      i = p;
    }
    h[i] = e;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && h[r].atMs < h[l].atMs ? r : l;
      if (h[c].atMs >= last.atMs) break;
      h[i] = h[c];
      i = c;
    }
    h[i] = last;
  }
}

/** The process's one deadline queue. */
export const deadlines = new DeadlineQueue();
