import { describe, expect, it } from 'vitest';
import { generateTokens, parseReplication, TokenRing, type RingNode } from '../../src/routing/ring.js';

const node = (index: number, tokens: bigint[], rack = 'r1', dc = 'dc1'): RingNode => ({ index, address: `127.0.0.${index + 1}`, datacenter: dc, rack, tokens });

describe('TokenRing', () => {
  const ring = new TokenRing([node(0, [-100n, 200n]), node(1, [0n, 300n]), node(2, [100n])]);

  it('assigns a token to the first ring token at or after it, wrapping', () => {
    expect(ring.tokens).toEqual([-100n, 0n, 100n, 200n, 300n]);
    expect(ring.rangeIndexOf(-100n)).toBe(0);
    expect(ring.rangeIndexOf(-99n)).toBe(1);
    expect(ring.rangeIndexOf(300n)).toBe(4);
    expect(ring.rangeIndexOf(301n)).toBe(0);
    expect(ring.rangeIndexOf(-(1n << 63n))).toBe(0);
  });

  it('SimpleStrategy walks the ring collecting distinct nodes', () => {
    const s = parseReplication({ class: 'SimpleStrategy', replication_factor: '2' });
    expect(ring.replicasOf(50n, s)).toEqual([2, 0]);
    expect(ring.replicasOf(250n, s)).toEqual([1, 0]);
    expect(ring.replicasOf(301n, s)).toEqual([0, 1]);
    // RF above the node count gives every node once
    expect(ring.replicasOf(0n, parseReplication({ class: 'org.apache.cassandra.locator.SimpleStrategy', replication_factor: '5' }))).toEqual([1, 2, 0]);
  });

  it('NetworkTopologyStrategy prefers distinct racks, then fills from skipped nodes', () => {
    const r = new TokenRing([node(0, [0n], 'a'), node(1, [10n], 'a'), node(2, [20n], 'b'), node(3, [30n], 'b')]);
    const nts = parseReplication({ class: 'NetworkTopologyStrategy', dc1: '2' });
    // from token 0: node0 (rack a), node1 (rack a again: skipped), node2 (rack b)
    expect(r.replicasOf(0n, nts)).toEqual([0, 2]);
    const nts3 = parseReplication({ class: 'NetworkTopologyStrategy', dc1: '3' });
    expect(r.replicasOf(0n, nts3)).toEqual([0, 2, 1]);
    // a DC with no nodes contributes nothing
    expect(r.replicasOf(0n, parseReplication({ class: 'NetworkTopologyStrategy', dc2: '3' }))).toEqual([]);
  });

  it('rejects unknown strategies and bad factors with messages fit for the client', () => {
    expect(() => parseReplication({ class: 'FooStrategy' })).toThrow("Unable to find replication strategy class 'FooStrategy'");
    expect(() => parseReplication({ class: 'SimpleStrategy', replication_factor: 'x' })).toThrow(/must be numeric/);
    expect(() => parseReplication({ class: 'SimpleStrategy' })).toThrow(/Missing replication_factor/);
  });
});

describe('generateTokens', () => {
  it('is deterministic per seed, distinct, and sorted per node', () => {
    const a = generateTokens(3, 64, 7);
    expect(generateTokens(3, 64, 7)).toEqual(a);
    expect(generateTokens(3, 64, 8)).not.toEqual(a);
    const all = a.flat();
    expect(new Set(all).size).toBe(192);
    for (const ts of a) expect(ts).toEqual([...ts].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)));
  });
});
