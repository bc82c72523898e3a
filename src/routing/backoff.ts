/**
 * Reconnection delays: exponential from `baseMs` to `maxMs`, each jittered into the upper half
 * of its step ("equal jitter"), so many pools that lost a node together do not reconnect in
 * lockstep, and no delay is ever shorter than half its step.
 */

export interface BackoffOptions {
  /** First delay's step (default 100 ms). */
  baseMs?: number;
  /** Largest step (default 2000 ms). */
  maxMs?: number;
}

export class Backoff {
  readonly baseMs: number;
  readonly maxMs: number;
  /** Delays handed out since the last reset. */
  attempt = 0;

  constructor(options: BackoffOptions = {}, private readonly random: () => number = Math.random) {
    this.baseMs = options.baseMs ?? 100;
    this.maxMs = options.maxMs ?? 2000;
    if (!(this.baseMs > 0) || !(this.maxMs >= this.baseMs)) throw new RangeError(`backoff needs 0 < baseMs ≤ maxMs, got ${this.baseMs}, ${this.maxMs}`);
  }

  /** The next delay in ms: step = min(maxMs, baseMs·2^attempt), delay in [step/2, step). */
  next(): number {
    const stepMs = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return stepMs / 2 + this.random() * (stepMs / 2);
  }

  reset(): void {
    this.attempt = 0;
  }
}
