import { describe, expect, it } from 'vitest';
import { serialize } from '../../src/cql/codecs.js';
import type { CqlType } from '../../src/cql/types.js';
import { TableMeta, type ColumnMeta } from '../../src/sim/schema.js';
import { applyMutation, type PartitionWrite } from '../../src/sim/mutation.js';
import { appendLogRow, comparePartitions, TableStore, type Partition } from '../../src/sim/storage.js';
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

describe('CDC log rows appended packed (LogAppend)', () => {
  const col = (name: string, kind: ColumnMeta['kind'], type: CqlType, position = -1): ColumnMeta => ({ name, type, kind, position, desc: false, slot: -1 });
  const log = new TableMeta('ks', 't_scylla_cdc_log', '00000000-0000-4000-8000-000000000001', [
    col('cdc$stream_id', 'partition_key', { kind: 'blob' }, 0),
    col('cdc$time', 'clustering', { kind: 'timeuuid' }, 0),
    col('cdc$batch_seq_no', 'clustering', { kind: 'int' }, 1),
    col('cdc$end_of_batch', 'regular', { kind: 'boolean' }),
    col('cdc$operation', 'regular', { kind: 'tinyint' }),
    col('v', 'regular', { kind: 'blob' }),
  ], new Map());
  const slot = (name: string): number => log.byName.get(name)!.slot;
  const nowMs = 1_700_000_000_000;
  const time = (us: number, tag: number): Buffer => {
    const b = Buffer.from(timeuuidFor(us, false));
    b[15] = tag;
    return b;
  };
  const seq = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeInt32BE(n); return b; };

  it('builds, on the first read or other change, exactly the rows their mutations would have made', () => {
    const key = Buffer.from('0123456789abcdef', 'hex');
    const packed = new TableStore(log).getOrCreate(key, key.toString('latin1'), 1n);
    const applied = new TableStore(log).getOrCreate(key, key.toString('latin1'), 1n);
    // append one log row to `packed`, apply the same as a mutation to `applied`
    const append = (us: number, tag: number, seqNo: number, ttlS: number, cells: [string, Buffer | null][]): void => {
      const expMs = ttlS > 0 ? nowMs + ttlS * 1000 : 0;
      appendLogRow(packed, log, time(us, tag), seqNo, us, expMs, ttlS, cells.flatMap(([n, v]) => [slot(n), v]));
      applyMutation(applied, { table: log, components: [key], ts: us, ttlS, mutation: { kind: 'upsert', ck: [time(us, tag), seq(seqNo)], marker: false, ops: cells.map(([n, v]) => ({ col: log.byName.get(n)!, op: 'set' as const, v })) } }, nowMs);
    };
    const big = Buffer.alloc(5000, 9);
    const op = Buffer.from([1]);
    append(3_000, 1, 0, 0, [['cdc$operation', op], ['v', Buffer.from('aa', 'hex')]]);
    append(3_000, 1, 1, 60, [['cdc$operation', op], ['v', big], ['cdc$end_of_batch', Buffer.from([1])]]);
    // earlier in clustering order than the rows before it
    append(1_000, 2, 0, 0, [['cdc$operation', op], ['v', null]]);
    // the same row again: newer wins, older loses
    append(3_500, 1, 0, 0, [['v', Buffer.from('bbbb', 'hex')]]);
    append(2_000, 1, 0, 0, [['v', Buffer.from('cc', 'hex')]]);
    expect(packed.appended?.rowCount).toBe(5);
    // a range delete: the appended rows are built first, then shadowed where it covers them
    const range: PartitionWrite = { table: log, components: [key], ts: 2_500, ttlS: 0, mutation: { kind: 'delete-range', start: { prefix: [time(1_000, 2)], inclusive: true }, end: { prefix: [time(1_000, 2)], inclusive: true } } };
    applyMutation(packed, range, nowMs);
    applyMutation(applied, range, nowMs);
    expect(packed.appended).toBeUndefined();
    append(4_000, 3, 0, 0, [['cdc$operation', op], ['v', Buffer.from('dd', 'hex')]]);
    // a partition delete between appends: rows older than it go, later ones stay
    const wipe: PartitionWrite = { table: log, components: [key], ts: 4_500, ttlS: 0, mutation: { kind: 'delete-partition' } };
    applyMutation(packed, wipe, nowMs);
    applyMutation(applied, wipe, nowMs);
    append(4_400, 4, 0, 0, [['v', Buffer.from('ee', 'hex')]]);
    append(5_000, 5, 0, 30, [['cdc$operation', op], ['v', Buffer.from('ff00', 'hex')], ['cdc$end_of_batch', Buffer.from([1])]]);
    expect(packed.appended?.rowCount).toBe(2);
    expect(packed.rows).toEqual(applied.rows);
    expect(packed.rows.length).toBe(1);
    expect(packed.rows[0].cells[slot('v')]).toEqual({ v: Buffer.from('ff00', 'hex'), ts: 5_000, exp: nowMs + 30_000, ttl: 30 });
  });

  it('copies small values (a later change to the caller\'s buffer changes nothing stored) keeps stored ones by reference', () => {
    const key = Buffer.from('00', 'hex');
    const packed = new TableStore(log).getOrCreate(key, key.toString('latin1'), 1n);
    const v = Buffer.from('0102', 'hex');
    appendLogRow(packed, log, time(1_000, 1), 0, 1_000, 0, 0, [slot('v'), v]);
    appendLogRow(packed, log, time(2_000, 1), 0, 2_000, 0, 0, [slot('v'), v, slot('cdc$operation'), Buffer.from([2])]);
    // the value was copied: changing the caller's buffer later changes nothing stored
    v[0] = 7;
    // a value the store holds anyway (~slot) is kept as it is, not copied
    const stored = Buffer.from('0a0b0c', 'hex');
    appendLogRow(packed, log, time(3_000, 1), 1, 3_000, 0, 0, [~slot('v'), stored]);
    expect(packed.rows.map((r) => r.cells[slot('v')]!.v!.toString('hex'))).toEqual(['0102', '0102', '0a0b0c']);
    expect(packed.rows[2].cells[slot('v')]!.v).toBe(stored);
    expect(packed.rows.map((r) => r.ck[1].readInt32BE(0))).toEqual([0, 0, 1]);
    expect(packed.rows[1].cells[slot('cdc$operation')]!.v).toEqual(Buffer.from([2]));
  });
});
