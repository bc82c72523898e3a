/**
 * Time as the pools see it: a monotonic millisecond reading and one-shot timers. Injected so
 * tests drive reconnection and outage accounting step by step (ManualClock) instead of sleeping,
 * as scylla-bench (Go) does with its Clock.
 */

export interface Clock {
  /** Monotonic milliseconds (only differences mean anything). */
  nowMs(): number;
  /** Calls `fn` once after `delayMs`; the returned function cancels it. Never keeps the process alive. */
  after(delayMs: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  nowMs: () => performance.now(),
  after: (delayMs, fn) => {
    const t = setTimeout(fn, delayMs);
    t.unref();
    return () => clearTimeout(t);
  },
};

interface ManualTimer {
  atMs: number;
  seq: number;
  fn: () => void;
}

/** A clock that moves only when told to: `advance(ms)` or `next()` fire the timers that fall due. */
export class ManualClock implements Clock {
  #nowMs: number;
  #seq = 0;
  readonly #timers: ManualTimer[] = [];

  constructor(startMs = 0) {
    this.#nowMs = startMs;
  }

  nowMs(): number {
    return this.#nowMs;
  }

  after(delayMs: number, fn: () => void): () => void {
    const t: ManualTimer = { atMs: this.#nowMs + Math.max(0, delayMs), seq: this.#seq++, fn };
    this.#timers.push(t);
    return () => {
      const i = this.#timers.indexOf(t);
      if (i >= 0) this.#timers.splice(i, 1);
    };
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.#timers.length;
  }

  /** Delay from now to the earliest pending timer, or undefined when none is pending. */
  get nextDelayMs(): number | undefined {
    const t = this.#earliest();
    return t ? t.atMs - this.#nowMs : undefined;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way, in order. */
  advance(ms: number): void {
    const endMs = this.#nowMs + ms;
    for (let t = this.#earliest(); t && t.atMs <= endMs; t = this.#earliest()) this.#fire(t);
    this.#nowMs = endMs;
  }

  /** Jumps to the earliest pending timer and fires it; returns the delay skipped, or undefined if none. */
  next(): number | undefined {
    const t = this.#earliest();
    if (!t) return undefined;
    const skippedMs = t.atMs - this.#nowMs;
    this.#fire(t);
    return skippedMs;
  }

  #earliest(): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    for (const t of this.#timers) if (!best || t.atMs < best.atMs || (t.atMs === best.atMs && t.seq < best.seq)) best = t;
    return best;
  }

  #fire(t: ManualTimer): void {
    this.#timers.splice(this.#timers.indexOf(t), 1);
    this.#nowMs = Math.max(this.#nowMs, t.atMs);
    t.fn();
  }
}
