/**
 * The deadline queue behind delayed replies: every callback runs, none before its deadline,
 * in deadline order; cancelled ones never run.
 */
import { describe, expect, it } from 'vitest';
import { deadlines } from '../../src/sim/deadline.js';

describe('deadline queue', () => {
  it('runs 500 callbacks at random deadlines, none early, in order; cancelled ones never', async () => {
    await deadlines.ready();
    const t0 = performance.now();
    const fired: { at: number; ran: number }[] = [];
    let cancelledRan = 0;
    const all: Promise<void>[] = [];
    for (let i = 0; i < 500; i++) {
      const at = t0 + Math.random() * 50;
      all.push(new Promise((resolve) => deadlines.at(at, () => { fired.push({ at, ran: performance.now() }); resolve(); })));
      if (i % 10 === 0) deadlines.cancel(deadlines.at(at, () => { cancelledRan++; }));
    }
    await Promise.all(all);
    await new Promise((r) => setTimeout(r, 60));
    expect(fired.length).toBe(500);
    expect(fired.filter((f) => f.ran < f.at)).toEqual([]);
    for (let i = 1; i < fired.length; i++) expect(fired[i].at).toBeGreaterThanOrEqual(fired[i - 1].at);
    expect(cancelledRan).toBe(0);
  });
});
