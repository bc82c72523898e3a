import { describe, expect, it } from 'vitest';
import { shardOf, shardOfBigint, tabletIndexOf, tabletLastTokens, tabletRange } from '../../src/routing/sharding.js';

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

describe('shardOf: biased-token-round-robin (Scylla dht/token.cc shard_of)', () => {
  it('worked example: token of int 1 on 8 shards, msb 12 → shard 2', () => {
    expect(shardOf(-4069959284402364209n, 8, 12)).toBe(2);
  });

  it('the same token over other shard counts', () => {
    const expected: [number, number][] = [[1, 0], [2, 0], [3, 0], [4, 1], [6, 1], [8, 2], [12, 3], [16, 4]];
    for (const [n, shard] of expected) expect(shardOf(-4069959284402364209n, n, 12), `n=${n}`).toBe(shard);
  });

  it('token of "123": shard 5 of 8, shard 22 of 32', () => {
    expect(shardOf(-7468325962851647638n, 8, 12)).toBe(5);
    expect(shardOf(-7468325962851647638n, 32, 12)).toBe(22);
  });

  it('edge cases on 8 shards: 0 → 0, -1 → 7, INT64_MAX → 7, INT64_MIN → 0', () => {
    expect(shardOf(0n, 8, 12)).toBe(0);
    expect(shardOf(-1n, 8, 12)).toBe(7);
    expect(shardOf(INT64_MAX, 8, 12)).toBe(7);
    expect(shardOf(INT64_MIN, 8, 12)).toBe(0);
  });

  it('gocql scyllaShardOfTests (nr_shards=4, msb=12)', () => {
    const pairs: [bigint, number][] = [
      [-9219783007514621794n, 3],
      [-9218910161940551519n, 3],
      [-9217148724365525195n, 1],
      [-9215501124608928187n, 2],
      [-9212118992469829075n, 1],
      [9222582454147032830n, 3],
    ];
    for (const [t, s] of pairs) expect(shardOf(t, 4, 12), String(t)).toBe(s);
  });

  it('composite and other computed examples (n=8)', () => {
    const pairs: [bigint, number][] = [
      [6516349416904725244n, 7], [2232345441550493159n, 5], [7836020308040098057n, 7],
      [6292367497774912474n, 1], [8623491988607824794n, 6], [-8839064797231613815n, 2], [0n, 0],
    ];
    for (const [t, s] of pairs) expect(shardOf(t, 8, 12), String(t)).toBe(s);
  });

  it('the 32-bit split agrees with the 128-bit BigInt formula on pseudo-random tokens', () => {
    let x = 0x9e3779b97f4a7c15n;
    for (let i = 0; i < 2000; i++) {
      x = BigInt.asUintN(64, x * 6364136223846793005n + 1442695040888963407n);
      const t = BigInt.asIntN(64, x);
      for (const n of [3, 4, 7, 8, 64, 255]) {
        for (const msb of [0, 12]) expect(shardOf(t, n, msb)).toBe(shardOfBigint(t, n, msb));
      }
    }
  });
});

describe('tablet boundaries', () => {
  it('c=2 and c=4 last tokens', () => {
    expect(tabletLastTokens(2)).toEqual([-1n, INT64_MAX]);
    expect(tabletLastTokens(4)).toEqual([-4611686018427387905n, -1n, 4611686018427387903n, INT64_MAX]);
  });

  it('tabletIndexOf uses (first, last] ranges', () => {
    const last = tabletLastTokens(4);
    expect(tabletIndexOf(last, INT64_MIN)).toBe(0);
    expect(tabletIndexOf(last, -4611686018427387905n)).toBe(0);
    expect(tabletIndexOf(last, -4611686018427387904n)).toBe(1);
    expect(tabletIndexOf(last, -1n)).toBe(1);
    expect(tabletIndexOf(last, 0n)).toBe(2);
    expect(tabletIndexOf(last, INT64_MAX)).toBe(3);
    expect(tabletRange(last, 0)).toEqual({ firstToken: INT64_MIN, lastToken: -4611686018427387905n });
    expect(tabletRange(last, 2)).toEqual({ firstToken: -1n, lastToken: 4611686018427387903n });
  });
});
