/** Router replica choice: local-datacenter replicas first, remote ones only when no local one is up. */
import { describe, expect, it } from 'vitest';
import type { Connection } from '../../src/cql/connection.js';
import type { NodePool } from '../../src/routing/pool.js';
import { TokenRing } from '../../src/routing/ring.js';
import { Router } from '../../src/routing/router.js';
import { murmur3Halves } from '../../src/routing/murmur3.js';

/** Pools stand in for live nodes: the router only asks whether they are up and for a connection. */
function fakePool(i: number, up = true): NodePool {
  const conn = { sharding: undefined, endpoint: `n${i}` } as unknown as Connection;
  return { healthy: up, sharding: undefined, any: () => conn, forShard: () => conn } as unknown as NodePool;
}

describe('router replica choice', () => {
  const nodes = [0, 1, 2, 3].map((i) => ({ index: i, address: `10.0.0.${i}`, datacenter: i < 2 ? 'dc1' : 'dc2', rack: 'r1', tokens: [BigInt(i) * 4611686018427387904n - 9223372036854775807n] }));
  const ring = new TokenRing(nodes);
  const strategy = { kind: 'network-topology' as const, datacenters: new Map([['dc1', 2], ['dc2', 2]]) };
  const key = Buffer.from([0, 0, 0, 1]);
  const h = { hi: 0, lo: 0 };
  murmur3Halves(key, h);

  it('always picks a replica in the local datacenter while one is up', () => {
    const r = new Router('token-aware', nodes.map((n) => fakePool(n.index)), ring, [], undefined, nodes.map((n) => n.datacenter), 'dc2');
    const ks = Router.keyspace(strategy);
    for (let pick = 0; pick < 8; pick++) expect(nodes[r.routeHalves(h.hi, h.lo, ks, pick).node].datacenter).toBe('dc2');
  });

  it('falls back to a remote replica when every local one is down', () => {
    const pools = nodes.map((n) => fakePool(n.index, n.datacenter !== 'dc2'));
    const r = new Router('token-aware', pools, ring, [], undefined, nodes.map((n) => n.datacenter), 'dc2');
    const ks = Router.keyspace(strategy);
    expect(nodes[r.routeHalves(h.hi, h.lo, ks, 0).node].datacenter).toBe('dc1');
  });
});
