import { describe, expect, it } from 'vitest';
import { serialize } from '../../src/cql/codecs.js';
import type { CqlType } from '../../src/cql/types.js';
import { TableMeta, type ColumnMeta } from '../../src/sim/schema.js';
import { comparePartitions, TableStore, type Partition } from '../../src/sim/storage.js';
import { compareFor, parseDurationLiteral, durationToMs, timeuuidFor } from '../../src/sim/values.js';

const table = new TableMeta('ks', 't', '00000000-0000-4000-8000-000000000000', [
  { name: 'k', type: { kind: 'bigint' }, kind: 'partition_key', position: 0, desc: false, slot: -1 } as ColumnMeta,
], new Map());

describe('TableStore ring index', () => {
  it('returns exactly the partitions of a token range, in ring order, while partitions keep arriving', () => {
    const store = new TableStore(table);
    let x = 12345n;
    const all: Partition[] = [];
    const rand = (): bigint => {
      x = BigInt.asUintN(64, x * 6364136223846793005n + 1442695040888963407n);
      return BigInt.asIntN(64, x);
    };
    for (let i = 0; i < 3000; i++) {
      const key = Buffer.alloc(8);
      key.writeBigInt64BE(BigInt(i));
      // a few duplicate tokens to exercise the key tie-break
      const token = i % 500 === 0 ? 42n : rand();
      all.push(store.getOrCreate(key, key.toString('latin1'), token));
      if (i % 997 === 0) {
        const lo = rand();
        const hi = lo + (1n << 61n);
        const got: Partition[] = [];
        store.collectRange(lo, hi, got);
        const want = all.filter((p) => p.token > lo && p.token <= hi).sort(comparePartitions);
        expect(got).toEqual(want);
      }
    }
    const everything: Partition[] = [];
    store.collectRange(null, (1n << 63n) - 1n, everything);
    expect(everything).toEqual([...all].sort(comparePartitions));
  });
});

describe('clustering comparators (Scylla order of serialized values)', () => {
  const sorted = (type: CqlType, values: unknown[]): unknown[] =>
    values.map((v) => serialize(type, v)!).sort(compareFor(type)).map((b) => b.toString('hex'));
  const hex = (type: CqlType, values: unknown[]): string[] => values.map((v) => serialize(type, v)!.toString('hex'));

  it('orders signed integers, doubles and varints numerically', () => {
    expect(sorted({ kind: 'int' }, [5, -1, 0, -2147483648, 2147483647])).toEqual(hex({ kind: 'int' }, [-2147483648, -1, 0, 5, 2147483647]));
    expect(sorted({ kind: 'bigint' }, [3n, -3n, 0n])).toEqual(hex({ kind: 'bigint' }, [-3n, 0n, 3n]));
    expect(sorted({ kind: 'double' }, [1.5, -2.25, 0])).toEqual(hex({ kind: 'double' }, [-2.25, 0, 1.5]));
    expect(sorted({ kind: 'varint' }, [300n, -1n, 2n])).toEqual(hex({ kind: 'varint' }, [-1n, 2n, 300n]));
  });

  it('orders doubles like Java: NaN above Infinity, -0.0 below 0.0', () => {
    expect(sorted({ kind: 'double' }, [NaN, Infinity, -0, 0, -Infinity])).toEqual(hex({ kind: 'double' }, [-Infinity, -0, 0, Infinity, NaN]));
  });

  it('orders timeuuids by their timestamp, not their bytes', () => {
    const a = timeuuidFor(1_000_000, false);
    const b = timeuuidFor(2_000_000_000_000, false);
    // the low time bits lead the bytes, so bytewise order would be wrong for these two
    expect(compareFor({ kind: 'timeuuid' })(a, b)).toBeLessThan(0);
    expect(compareFor({ kind: 'timeuuid' })(b, a)).toBeGreaterThan(0);
  });
});

describe('durations', () => {
  it('parses CQL duration literals and timeout rules', () => {
    expect(parseDurationLiteral('1h30m')).toEqual({ months: 0, days: 0, nanoseconds: 5_400_000_000_000n });
    expect(parseDurationLiteral('PT2S')).toEqual({ months: 0, days: 0, nanoseconds: 2_000_000_000n });
    expect(durationToMs(parseDurationLiteral('2000ms'))).toBe(2000);
    expect(() => durationToMs(parseDurationLiteral('1d'))).toThrow('Timeout values cannot be expressed in days/months');
    expect(() => durationToMs(parseDurationLiteral('10us'))).toThrow('finer than milliseconds');
  });
});
