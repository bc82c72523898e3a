/**
 * The pool heals, on the emulator: a node that goes down is routed around (its tokens go to
 * their other replicas, counted as fallbacks), its pool retries with a growing jittered backoff
 * and refills every shard once the node is back, after which misroutes and fallbacks are 0 again;
 * a connection cut by a TCP proxy is reopened on the same shard through the shard-aware port; a
 * node down at start gets a pool that comes up later; with no node up routing throws at once.
 * Time is a ManualClock: each reconnect attempt is one timer the test fires, so the assertions
 * are counts and clock readings, never wall-clock.
 */
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { Connection, type PreparedStatement } from '../../src/cql/connection.js';
import { ConnectError, NoHostAvailableError, type CqlError } from '../../src/cql/errors.js';
import { ManualClock } from '../../src/routing/clock.js';
import { murmur3Halves } from '../../src/routing/murmur3.js';
import { allDownForMs, allDownSinceMs, NodePool } from '../../src/routing/pool.js';
import { TokenRing } from '../../src/routing/ring.js';
import { Router, type KeyspaceRouting } from '../../src/routing/router.js';
import { startSim, type Sim } from '../../src/sim/index.js';
import { startProxy, startSilentServer, type FaultProxy } from '../support/proxy.js';
import { simHost } from '../support/sim-host.js';

function seeded(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 2 ** 32;
  };
}

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

/** Fires the pool's pending reconnect timer and waits for that attempt to end. */
async function fireAttempt(pool: NodePool, clock: ManualClock): Promise<{ delayMs: number; error: CqlError | undefined }> {
  const ended = once(pool, 'attempt') as Promise<[CqlError | undefined]>;
  const delayMs = clock.next();
  if (delayMs === undefined) throw new Error('no reconnect timer pending');
  const [error] = await ended;
  return { delayMs, error };
}

function ringOf(sim: Sim): TokenRing {
  return new TokenRing(sim.cluster.nodes.map((n) => ({ index: n.index, address: n.address, datacenter: n.datacenter, rack: n.rack, tokens: n.tokens })));
}

interface Tally { perNode: number[]; misroutes: number; fallbacks: number; errors: string[]; offReplica: number }

/** Sends one INSERT per key through the router (pick 0: the token's first replica is preferred). */
async function send(router: Router, ks: KeyspaceRouting, ring: TokenRing, stmt: PreparedStatement, keys: number[]): Promise<Tally> {
  const t: Tally = { perNode: new Array(router.pools.length).fill(0), misroutes: 0, fallbacks: 0, errors: [], offReplica: 0 };
  const h = { hi: 0, lo: 0 };
  const key = Buffer.alloc(4);
  await Promise.all(keys.map((k) => {
    key.writeInt32BE(k);
    murmur3Halves(key, h);
    const r = router.routeHalves(h.hi, h.lo, ks, 0);
    t.perNode[r.node]++;
    if (r.ownerShard >= 0 && r.connShard !== r.ownerShard) t.misroutes++;
    if (r.fallback) t.fallbacks++;
    const token = (BigInt(h.hi) << 32n) | BigInt(h.lo);
    if (!ring.replicasOf(BigInt.asIntN(64, token), ks.strategy).includes(r.node)) t.offReplica++;
    return new Promise<void>((resolve) => r.conn.executeFast(stmt, [k, k], {}, (err) => {
      if (err) t.errors.push(err.kind);
      resolve();
    }));
  }));
  return t;
}

/** Keys whose first replica is `node`: the ones that must fall back while it is down. */
function keysPreferring(ring: TokenRing, ks: KeyspaceRouting, node: number, keys: number[]): number {
  const h = { hi: 0, lo: 0 };
  const key = Buffer.alloc(4);
  return keys.filter((k) => {
    key.writeInt32BE(k);
    murmur3Halves(key, h);
    return ring.replicasOf(BigInt.asIntN(64, (BigInt(h.hi) << 32n) | BigInt(h.lo)), ks.strategy)[0] === node;
  }).length;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => undefined);
});

async function simWithTable(nodes: number, shards: number): Promise<Sim> {
  const host = simHost();
  const sim = await startSim({ nodes, shards, host });
  cleanups.push(() => sim.stop());
  const c = await Connection.connect({ host, port: 9042 });
  await c.query("CREATE KEYSPACE heal WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}");
  await c.query('CREATE TABLE heal.kv (k int PRIMARY KEY, v int)');
  await c.close();
  return sim;
}

function poolsFor(sim: Sim, clock: ManualClock): NodePool[] {
  const pools = sim.nodes.map((n, i) => NodePool.create({ host: n.host, port: n.port, connection: {}, clock, random: seeded(i + 7) }));
  cleanups.push(async () => { await Promise.all(pools.map((p) => p.close())); });
  return pools;
}

const KEYS = Array.from({ length: 400 }, (_, i) => i);

describe('the pool heals', () => {
  it('a node down: its tokens go to their other replicas; back: the pool refills on its next attempt and misroutes return to 0', async () => {
    const sim = await simWithTable(4, 4);
    const clock = new ManualClock();
    const pools = poolsFor(sim, clock);
    await Promise.all(pools.map((p) => p.ready));
    expect(pools.map((p) => p.state)).toEqual(['up', 'up', 'up', 'up']);
    expect(pools.every((p) => p.complete)).toBe(true);
    const ring = ringOf(sim);
    const router = new Router('shard-aware', pools, ring, sim.nodes.map((n) => n.hostId));
    const ks = Router.keyspace({ kind: 'simple', replicationFactor: 3 });
    let stmt: PreparedStatement | undefined;
    for (const p of pools) stmt = (await p.prepare('INSERT INTO heal.kv (k, v) VALUES (?, ?)')) ?? stmt;

    const before = await send(router, ks, ring, stmt!, KEYS);
    expect(before).toMatchObject({ misroutes: 0, fallbacks: 0, errors: [], offReplica: 0 });
    expect(before.perNode[1]).toBeGreaterThan(0);
    const hops0 = sim.crossShardHops();
    expect(hops0).toBe(0);

    const downAtMs = clock.nowMs();
    sim.setNodeUp(1, false);
    await until('node 1 pool down', () => pools[1].state === 'down');
    expect(pools[1].healthy).toBe(false);
    expect(pools[1].stats.connectionsLost).toBe(4);
    expect(pools[1].stats.outages).toBe(1);

    const during = await send(router, ks, ring, stmt!, KEYS);
    expect(during.perNode[1]).toBe(0);
    expect(during.errors).toEqual([]);
    expect(during.offReplica).toBe(0); // fallbacks stay on the token's replicas
    expect(during.fallbacks).toBe(keysPreferring(ring, ks, 1, KEYS));
    expect(during.fallbacks).toBeGreaterThan(0);
    expect(router.stats.fallbacks).toBe(during.fallbacks);

    // while down: each attempt fails, and the delays grow 100 ms → 2 s, jittered into [step/2, step)
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      const a = await fireAttempt(pools[1], clock);
      expect(a.error).toBeInstanceOf(ConnectError);
      delays.push(a.delayMs);
    }
    const steps = [100, 200, 400, 800, 1600, 2000, 2000];
    delays.forEach((d, i) => {
      expect(d, `delay ${i}`).toBeGreaterThanOrEqual(steps[i] / 2);
      expect(d, `delay ${i}`).toBeLessThan(steps[i]);
    });
    const failures = Object.values(pools[1].stats.connectFailures).reduce((a, b) => a + (b ?? 0), 0);
    expect(failures).toBe(7);
    expect(pools[1].downMs).toBe(clock.nowMs() - downAtMs); // the ongoing outage counts
    expect(allDownSinceMs(pools)).toBeUndefined();

    sim.setNodeUp(1, true);
    const back = await fireAttempt(pools[1], clock); // the attempt already scheduled succeeds
    expect(back.error).toBeUndefined();
    expect(pools[1].state).toBe('up');
    expect(pools[1].complete).toBe(true);
    expect(pools[1].stats.reconnects).toBe(4);
    expect(pools[1].stats.shardAwarePortUsed).toBe(true);
    const upAtMs = clock.nowMs();
    expect(pools[1].downMs).toBe(upAtMs - downAtMs);
    clock.advance(5000);
    expect(pools[1].downMs).toBe(upAtMs - downAtMs); // stops counting once up
    expect(clock.pending).toBe(0); // nothing left to refill

    const after = await send(router, ks, ring, stmt!, KEYS);
    expect(after).toMatchObject({ misroutes: 0, fallbacks: 0, errors: [] });
    expect(after.perNode[1]).toBe(before.perNode[1]);
    expect(sim.crossShardHops()).toBe(hops0);
  });

  it('a connection cut by a proxy leaves the pool (its shard is misrouted meanwhile) and is reopened on the same shard', async () => {
    const sim = await simWithTable(1, 4);
    const via = simHost();
    const regular = await startProxy(sim.nodes[0].host, 9042, { host: via, port: 9042 });
    const shardAware = await startProxy(sim.nodes[0].host, 19042, { host: via, port: 19042, preserveSourcePort: true, upstreamLocalAddress: via });
    cleanups.push(() => regular.close(), () => shardAware.close());
    const clock = new ManualClock();
    const pool = NodePool.create({ host: via, port: 9042, connection: {}, clock, random: seeded(3) });
    cleanups.push(() => pool.close());
    await pool.ready;
    expect(pool.complete).toBe(true);
    expect(pool.stats.shardAwarePortUsed).toBe(true);
    expect(pool.byShard.map((l) => l[0].sharding!.shard)).toEqual([0, 1, 2, 3]);

    const ring = ringOf(sim);
    const router = new Router('shard-aware', [pool], ring, [sim.nodes[0].hostId]);
    const ks = Router.keyspace({ kind: 'simple', replicationFactor: 1 });
    const stmt = (await pool.prepare('INSERT INTO heal.kv (k, v) VALUES (?, ?)'))!;
    expect((await send(router, ks, ring, stmt, KEYS)).misroutes).toBe(0);

    const victim = pool.byShard[2][0];
    const lost = once(pool, 'lost');
    expect(cutShard(shardAware, victim.localPort!)).toBe(1);
    await lost;
    expect(victim.closed).toBe(true);
    expect(pool.byShard[2]).toEqual([]);
    expect(pool.state).toBe('up');

    // shard 2's tokens now ride another shard's connection: the router says so
    const meanwhile = await send(router, ks, ring, stmt, KEYS);
    expect(meanwhile.errors).toEqual([]);
    expect(meanwhile.misroutes).toBeGreaterThan(0);
    expect(meanwhile.misroutes).toBeLessThan(KEYS.length);

    const opened = once(pool, 'connection') as Promise<[Connection, boolean]>;
    const a = await fireAttempt(pool, clock);
    expect(a.error).toBeUndefined();
    expect(a.delayMs).toBeLessThan(100);
    const [c, reconnect] = await opened;
    expect(reconnect).toBe(true);
    expect(c.sharding!.shard).toBe(2);
    expect(c.localPort! % 4).toBe(2); // through the shard-aware port, from a port ≡ shard
    expect(pool.stats).toMatchObject({ reconnects: 1, connectionsLost: 1, outages: 0, natDetected: false });
    expect((await send(router, ks, ring, stmt, KEYS)).misroutes).toBe(0);
  });

  it('a node down at start: create() does not fail, the router skips it, and it joins when it comes up', async () => {
    const sim = await simWithTable(3, 2);
    sim.setNodeUp(2, false);
    const clock = new ManualClock(1000);
    const pools = poolsFor(sim, clock);
    await Promise.all(pools.map((p) => p.ready));
    expect(pools.map((p) => p.state)).toEqual(['up', 'up', 'down']);
    expect(pools[2].lastError).toBeInstanceOf(ConnectError);
    expect(pools[2].downSinceMs).toBe(1000); // down since the pool exists
    await expect(NodePool.open({ host: sim.nodes[2].host, port: 9042, connection: {} })).rejects.toBeInstanceOf(ConnectError);

    const ring = ringOf(sim);
    const router = new Router('round-robin', pools, ring, sim.nodes.map((n) => n.hostId));
    const nodes = new Set(Array.from({ length: 12 }, () => router.routeAny().node));
    expect([...nodes].sort()).toEqual([0, 1]);

    clock.advance(40); // before the first retry (≥ 50 ms)
    expect(pools[2].downMs).toBe(40);
    sim.setNodeUp(2, true);
    const a = await fireAttempt(pools[2], clock);
    expect(a.error).toBeUndefined();
    expect(pools[2].state).toBe('up');
    expect(pools[2].complete).toBe(true);
    expect(pools[2].stats.reconnects).toBe(2);
    expect(pools[2].downMs).toBe(clock.nowMs() - 1000);
    const later = new Set(Array.from({ length: 12 }, () => router.routeAny().node));
    expect([...later].sort()).toEqual([0, 1, 2]);
  });

  it('no node up: routing throws NoHostAvailableError naming the hosts, and allDownSinceMs tells since when', async () => {
    const sim = await simWithTable(2, 1);
    const clock = new ManualClock();
    const pools = poolsFor(sim, clock);
    await Promise.all(pools.map((p) => p.ready));
    const ring = ringOf(sim);
    const router = new Router('token-aware', pools, ring, sim.nodes.map((n) => n.hostId));
    const ks = Router.keyspace({ kind: 'simple', replicationFactor: 2 });

    sim.setNodeUp(0, false);
    await until('node 0 down', () => pools[0].state === 'down');
    clock.advance(30); // before the first retry step (≥ 50 ms)
    sim.setNodeUp(1, false);
    await until('node 1 down', () => pools[1].state === 'down');
    expect(allDownSinceMs(pools)).toBe(30); // the instant the last node went down
    clock.advance(10);
    expect(allDownForMs(pools)).toBe(10);

    let err: unknown;
    try {
      router.routeHalves(0, 1, ks, 0);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NoHostAvailableError);
    expect((err as Error).message).toContain(`${sim.nodes[0].host}:9042`);
    expect((err as Error).message).toContain(`${sim.nodes[1].host}:9042`);
    expect(() => router.routeAny()).toThrow(NoHostAvailableError);
    expect(router.stats.noHost).toBe(2);

    sim.setNodeUp(0, true);
    while (pools[0].state !== 'up') await fireAttempt(pools[0], clock);
    expect(allDownSinceMs(pools)).toBeUndefined();
    expect(allDownForMs(pools)).toBe(0);
    expect(router.routeHalves(0, 1, ks, 0).node).toBe(0);
  });

  it('close() stops refilling: the pending retry is cancelled and a connect in progress is aborted', async () => {
    const silent = await startSilentServer(); // accepts TCP, never answers the CQL handshake
    cleanups.push(() => silent.close());
    const clock = new ManualClock();
    const pool = NodePool.create({ host: '127.0.0.1', port: silent.port, connection: { connectTimeoutMs: 60_000 }, clock });
    await new Promise((r) => setTimeout(r, 50)); // the first attempt now waits on the handshake
    expect(pool.state).toBe('connecting');
    const attempt = once(pool, 'attempt');
    await pool.close();
    await attempt; // the hung handshake was aborted, not left to its 60 s timeout
    await pool.ready;
    expect(pool.state).toBe('closed');
    expect(clock.pending).toBe(0);
    expect(pool.connections).toEqual([]);

    // a down pool with a retry pending: close cancels it
    const refused = NodePool.create({ host: '127.0.0.1', port: await freePort(), connection: {}, clock });
    await refused.ready;
    expect(refused.state).toBe('down');
    expect(refused.stats.connectFailures.refused).toBe(1);
    expect(clock.pending).toBe(1);
    await refused.close();
    expect(clock.pending).toBe(0);
  });
});

describe('the pool with the system clock', () => {
  it('leaves nothing that keeps the process alive: a child with a pool retrying a down node exits by itself after close()', async () => {
    // built code, in its own process: the exit itself is the assertion
    const script = `
      import { NodePool } from './dist/src/routing/pool.js';
      import { startSim } from './dist/src/sim/index.js';
      const sim = await startSim({ nodes: 2, shards: 2, host: process.argv[1] });
      const pools = sim.nodes.map((n) => NodePool.create({ host: n.host, port: n.port, connection: {}, backoff: { baseMs: 5, maxMs: 20 } }));
      await Promise.all(pools.map((p) => p.ready));
      await sim.setNodeUp(1, false);
      let failures = 0;
      pools[1].on('attempt', (e) => { if (e) failures++; });
      while (failures < 3) await new Promise((r) => setTimeout(r, 5));
      await Promise.all(pools.map((p) => p.close()));
      await sim.stop();
      console.log(JSON.stringify({ states: pools.map((p) => p.state), failures }));
    `;
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, simHost()], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const code = await new Promise<number | null>((resolve) => {
      const kill = setTimeout(() => { child.kill('SIGKILL'); resolve(null); }, 60_000);
      child.on('close', (c) => { clearTimeout(kill); resolve(c); });
    });
    expect(code, `child did not exit by itself: ${err}`).toBe(0);
    expect(JSON.parse(out)).toEqual({ states: ['closed', 'closed'], failures: 3 });
  });
});

function cutShard(proxy: FaultProxy, localPort: number): number {
  return proxy.cutWhere((clientPort) => clientPort === localPort);
}

async function freePort(): Promise<number> {
  const net = await import('node:net');
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as import('node:net').AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
