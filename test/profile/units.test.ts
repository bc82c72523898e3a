/** Quantities with units: what a person writes in a profile, in the unit the name says. */
import { describe, expect, it } from 'vitest';
import { forFlag, parseCount, parseDurationMs, parseRateOpsPerSec, parseRatio, parseSizeBytes } from '../../src/profile/units.js';

const value = <T>(r: { ok: true; value: T } | { ok: false; message: string }) => (r.ok ? r.value : `ERR ${r.message}`);

describe('units', () => {
  it('durations → ms', () => {
    expect(value(parseDurationMs('30s'))).toBe(30_000);
    expect(value(parseDurationMs('500ms'))).toBe(500);
    expect(value(parseDurationMs('2m'))).toBe(120_000);
    expect(value(parseDurationMs('1h30m'))).toBe(5_400_000);
    expect(value(parseDurationMs('1m 30s'))).toBe(90_000);
    expect(value(parseDurationMs('250us'))).toBe(0.25);
    expect(value(parseDurationMs(0))).toBe(0);
    expect(value(parseDurationMs(30))).toMatch(/no unit/);
    expect(value(parseDurationMs('-5s'))).toMatch(/negative/);
    expect(value(parseDurationMs('5 parsecs'))).toMatch(/^ERR expected a duration/);
  });

  it('sizes → bytes', () => {
    expect(value(parseSizeBytes('64MiB'))).toBe(64 * 1024 * 1024);
    expect(value(parseSizeBytes('4KiB'))).toBe(4096);
    expect(value(parseSizeBytes('1kB'))).toBe(1000);
    expect(value(parseSizeBytes(100))).toBe(100);
    expect(value(parseSizeBytes('512B'))).toBe(512);
    expect(value(parseSizeBytes('3 lightyears'))).toMatch(/unknown size unit/);
    expect(value(parseSizeBytes(-1))).toMatch(/negative/);
  });

  it('rates → ops/s', () => {
    expect(value(parseRateOpsPerSec(1000))).toBe(1000);
    expect(value(parseRateOpsPerSec('1k/s'))).toBe(1000);
    expect(value(parseRateOpsPerSec('2.5k'))).toBe(2500);
    expect(value(parseRateOpsPerSec('600/min'))).toBe(10);
    expect(value(parseRateOpsPerSec('1M ops/s'))).toBe(1_000_000);
    expect(value(parseRateOpsPerSec(-5))).toMatch(/negative/);
    expect(value(parseRateOpsPerSec(0))).toMatch(/above 0/);
  });

  it('counts and ratios', () => {
    expect(value(parseCount('100k'))).toBe(100_000);
    expect(value(parseCount('1M'))).toBe(1_000_000);
    expect(value(parseCount(1.5))).toMatch(/whole number/);
    expect(value(parseRatio('0.1%'))).toBeCloseTo(0.001);
    expect(value(parseRatio(2))).toMatch(/at most 1/);
  });

  it('one duration grammar: text from a flag reads as the same value from YAML', () => {
    // `--duration 5` and `duration: 5` (a number) or `duration: '5'` (text): the same refusal
    expect(value(parseDurationMs('5'))).toBe(value(parseDurationMs(5)));
    expect(value(parseDurationMs('5'))).toMatch(/bare number has no unit \(did you mean '5s' or '5ms'\?\)/);
    expect(value(parseDurationMs('0'))).toBe(0);
    expect(value(parseDurationMs('-5'))).toMatch(/negative/);
    expect(value(parseDurationMs(''))).toMatch(/empty value/);
    expect(forFlag('--duration', parseDurationMs('1m30s'))).toBe(90_000);
    expect(() => forFlag('--duration', parseDurationMs('5'))).toThrow(/^--duration: expected a duration with a unit/);
  });
});
