/** The reader's pure parts: gocql's MinTimeUUID bounds, cdc$time decoding, scylla-cdc-go's back-off. */
import { describe, expect, it } from 'vitest';
import { serialize } from '../../src/cql/codecs.js';
import { backoffMs, minTimeUuid, timeuuidUs } from '../../src/engine/cdc-reader.js';

describe('cdc reader', () => {
  it('MinTimeUUID: the instant in the time fields, version 1, clock sequence and node 0x80… (the smallest Scylla orders first)', () => {
    // the UUID epoch itself: 100 ns ticks 0x01b21dd213814000 at 1970-01-01
    expect(minTimeUuid(0)).toBe('13814000-1dd2-11b2-8080-808080808080');
    const ms = Date.UTC(2026, 10, 30, 6, 0, 0, 123);
    const u = minTimeUuid(ms);
    expect(u).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-8080-808080808080$/);
    // and cdc$time decodes back to µs since the epoch
    expect(timeuuidUs(serialize({ kind: 'timeuuid' }, u)!)).toBe(ms * 1000);
  });

  it("back-off doubles from the base up to the max, jittered ±50 % (scylla-cdc-go's backoffDelay + addJitter)", () => {
    expect(backoffMs(1000, 30_000, 1, () => 0)).toBe(500);
    expect(backoffMs(1000, 30_000, 1, () => 0.999_999)).toBeCloseTo(1500, 0);
    expect(backoffMs(1000, 30_000, 3, () => 0.5)).toBe(4000);
    expect(backoffMs(1000, 30_000, 10, () => 0.5)).toBe(30_000);
  });
});
