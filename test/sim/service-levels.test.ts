/**
 * Service levels in the emulator (scylla-reference.md §4): the statements with Scylla's columns
 * and messages, the system tables, a session's level from its login role, timeout precedence,
 * shares per shard (virtual time, deterministic) and shedding of interactive sessions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection } from '../../src/cql/connection.js';
import { ResponseError } from '../../src/cql/errors.js';
import type { RowsResult } from '../../src/cql/messages.js';
import { decodeRows } from '../../src/cql/rows.js';
import { ShardQueue } from '../../src/sim/capacity.js';
import { startSim, type Sim } from '../../src/sim/index.js';
import { servedByLevel } from '../../src/sim/qos.js';
import { simHost } from '../support/sim-host.js';

const SU = { username: 'cassandra', password: 'cassandra' };

async function rows(c: Connection, cql: string): Promise<Record<string, unknown>[]> {
  return decodeRows((await c.query(cql)) as RowsResult);
}

async function errorOf(p: Promise<unknown>): Promise<ResponseError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ResponseError) return e;
    throw e;
  }
  throw new Error('expected an error');
}

describe('service-level statements (with --auth)', () => {
  let sim: Sim;
  let c: Connection;
  const host = simHost();
  beforeAll(async () => {
    sim = await startSim({ nodes: 1, shards: 2, host, vnodesPerNode: 8, auth: true });
    c = await Connection.connect({ host, port: 9042, credentials: SU });
  });
  afterAll(async () => {
    await c.close();
    await sim.stop();
  });

  it('creates, alters, lists (Scylla columns), attaches and drops levels, in both spellings', async () => {
    await c.query("CREATE SERVICE LEVEL IF NOT EXISTS oltp WITH timeout = 50ms AND workload_type = 'interactive' AND shares = 1000");
    await c.query("CREATE SERVICE_LEVEL IF NOT EXISTS oltp WITH timeout = 1s"); // exists: no-op
    await c.query("CREATE SERVICE LEVEL analytics WITH workload_type = 'batch' AND shares = 200");
    expect((await errorOf(c.query('CREATE SERVICE LEVEL analytics'))).message).toBe("The service level 'analytics' already exists.");
    await c.query('ALTER SERVICE LEVEL analytics WITH timeout = 30s AND shares = 100');

    const one = (await c.query('LIST SERVICE LEVEL oltp')) as RowsResult;
    expect(one.metadata.columns!.map((x) => x.name)).toEqual(['service_level', 'timeout', 'workload_type', 'shares']);
    expect(one.metadata.columns!.map((x) => x.type.kind)).toEqual(['text', 'duration', 'text', 'int']);
    expect(decodeRows(one)).toEqual([{ service_level: 'oltp', timeout: { months: 0, days: 0, nanoseconds: 50_000_000n }, workload_type: 'interactive', shares: 1000 }]);

    const all = (await c.query('LIST ALL SERVICE_LEVELS')) as RowsResult;
    expect(all.metadata.columns!.map((x) => x.name)).toEqual(['service_level', 'timeout', 'workload_type', 'shares', 'percentage of all service level shares']);
    // the built-in driver level (200, batch) is a row too; default is not
    expect(decodeRows(all).map((r) => [r.service_level, r.shares, r.workload_type, r['percentage of all service level shares']])).toEqual([
      ['analytics', 100, 'batch', '7.69%'], ['driver', 200, 'batch', '15.38%'], ['oltp', 1000, 'interactive', '76.92%'],
    ]);

    await c.query("CREATE ROLE IF NOT EXISTS sb_oltp WITH PASSWORD = 'pw1' AND LOGIN = true");
    await c.query("ALTER ROLE sb_oltp WITH PASSWORD = 'pw2' AND LOGIN = true");
    await c.query("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
    await c.query('CREATE TABLE ks.t (k int PRIMARY KEY, v int)');
    await c.query('GRANT SELECT ON KEYSPACE ks TO sb_oltp');
    await c.query('GRANT MODIFY ON KEYSPACE ks TO sb_oltp');
    await c.query('GRANT ALL PERMISSIONS ON ks.t TO sb_oltp');
    await c.query('REVOKE MODIFY ON ALL KEYSPACES FROM sb_oltp');
    expect((await errorOf(c.query('GRANT SELECT ON KEYSPACE nope TO sb_oltp'))).message).toBe("Resource <keyspace nope> doesn't exist.");
    expect((await errorOf(c.query('GRANT SELECT ON KEYSPACE ks TO nobody'))).message).toBe("Role nobody doesn't exist.");

    await c.query('ATTACH SERVICE LEVEL oltp TO sb_oltp');
    await c.query("CREATE ROLE sb_olap WITH PASSWORD = 'x' AND LOGIN = true");
    await c.query('ATTACH SERVICE_LEVEL analytics TO sb_olap');
    expect((await errorOf(c.query('ATTACH SERVICE LEVEL nope TO sb_olap'))).message).toBe("Service Level nope doesn't exists.");
    expect(await rows(c, 'LIST ALL ATTACHED SERVICE LEVELS')).toEqual([{ role: 'sb_olap', service_level: 'analytics' }, { role: 'sb_oltp', service_level: 'oltp' }]);
    expect(await rows(c, 'LIST ATTACHED SERVICE LEVEL OF sb_oltp')).toEqual([{ role: 'sb_oltp', service_level: 'oltp' }]);
    expect(await rows(c, 'LIST EFFECTIVE SERVICE LEVEL OF sb_oltp')).toEqual([
      { service_level_option: 'workload_type', effective_service_level: 'oltp', value: 'interactive' },
      { service_level_option: 'timeout', effective_service_level: 'oltp', value: '50ms' },
    ]);
    // the rows live in the system tables
    expect((await rows(c, 'SELECT * FROM system.service_levels_v2')).map((r) => r.service_level).sort()).toEqual(['analytics', 'driver', 'oltp']);
    expect(await rows(c, "SELECT role, name, value FROM system.role_attributes WHERE role = 'sb_oltp'")).toEqual([{ role: 'sb_oltp', name: 'service_level', value: 'oltp' }]);

    // the role logs in with its new password
    const app = await Connection.connect({ host, port: 9042, credentials: { username: 'sb_oltp', password: 'pw2' } });
    expect(await rows(app, 'LIST EFFECTIVE SERVICE LEVEL OF sb_oltp')).toHaveLength(2);
    // not a superuser: cannot manage levels
    expect((await errorOf(app.query('CREATE SERVICE LEVEL x'))).code).toBe(0x2100);
    await app.close();

    await c.query('DETACH SERVICE LEVEL FROM sb_oltp');
    expect(await rows(c, 'LIST ATTACHED SERVICE LEVEL OF sb_oltp')).toEqual([]);
    expect((await errorOf(c.query('LIST EFFECTIVE SERVICE LEVEL OF sb_oltp'))).message).toBe("Role sb_oltp doesn't have assigned any service level");
    await c.query('DROP ROLE IF EXISTS sb_olap');
    expect(await rows(c, 'SELECT * FROM system.role_attributes')).toEqual([]);
    await c.query('DROP SERVICE LEVEL IF EXISTS analytics');
    await c.query('DROP SERVICE LEVEL IF EXISTS analytics');
    expect((await errorOf(c.query('DROP SERVICE LEVEL analytics'))).message).toBe("Service Level analytics doesn't exists.");
    expect((await errorOf(c.query('ALTER SERVICE LEVEL analytics WITH shares = 5'))).message).toBe("The service level 'analytics' doesn't exist.");
    await c.query('DROP SERVICE LEVEL oltp');
  });

  it('validates options with Scylla\'s messages and codes', async () => {
    const bad = async (cql: string): Promise<[number, string]> => {
      const e = await errorOf(c.query(cql));
      return [e.code, e.message];
    };
    expect(await bad('CREATE SERVICE LEVEL v WITH timeout = 1d')).toEqual([0x2200, 'Timeout values cannot be expressed in days/months']);
    expect(await bad('CREATE SERVICE LEVEL v WITH timeout = 2mo')).toEqual([0x2200, 'Timeout values cannot be expressed in days/months']);
    expect(await bad('CREATE SERVICE LEVEL v WITH timeout = 1500us')).toEqual([0x2200, 'Timeout values must be expressed in millisecond granularity']);
    expect(await bad('CREATE SERVICE LEVEL v WITH timeout = -1200ms')).toEqual([0x2200, 'Timeout values must be nonnegative']);
    expect(await bad("CREATE SERVICE LEVEL v WITH workload_type = 'unspecified'")).toEqual([0x2200, 'Invalid workload type: unspecified']);
    expect(await bad('CREATE SERVICE LEVEL v WITH shares = 1001')).toEqual([0x2000, "'SHARES' can only take values of 1-1000 (given 1001)"]);
    expect(await bad('CREATE SERVICE LEVEL v WITH shares = 0')).toEqual([0x2000, "'SHARES' can only take values of 1-1000 (given 0)"]);
    expect(await bad('CREATE SERVICE LEVEL v WITH shares = -1')).toEqual([0x2000, "'SHARES' can only take values of 1-1000 (given -1)"]);
    expect(await bad('CREATE SERVICE LEVEL v WITH colour = 1')).toEqual([0x2000, "Unknown property 'colour'"]);
    expect((await bad('ATTACH SERVICE LEVEL ? TO r'))[1]).toMatch(/Bind variables cannot be used for service levels or role names/);
    expect(await rows(c, 'LIST ALL SERVICE LEVELS')).toHaveLength(1); // nothing was created
    // null resets; 'null' workload type means unspecified
    await c.query("CREATE SERVICE LEVEL v WITH timeout = 10ms AND workload_type = 'batch' AND shares = 10");
    await c.query("ALTER SERVICE LEVEL v WITH timeout = null AND workload_type = 'null'");
    expect(await rows(c, 'LIST SERVICE LEVEL v')).toEqual([{ service_level: 'v', timeout: null, workload_type: null, shares: 10 }]);
    await c.query('DROP SERVICE LEVEL v');
  });
});

describe('a session runs under its role\'s level: timeouts by precedence, shedding', () => {
  let sim: Sim;
  let su: Connection;
  const host = simHost();
  beforeAll(async () => {
    // one shard; every read costs 30 ms of shard time
    sim = await startSim({ nodes: 1, shards: 1, host, vnodesPerNode: 4, auth: true, metricsPort: 0, costs: { readUs: 30_000, coordinatorUs: 0 } });
    su = await Connection.connect({ host, port: 9042, credentials: SU });
    await su.query("CREATE KEYSPACE q WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
    await su.query('CREATE TABLE q.kv (k int PRIMARY KEY, v int)');
    await su.query("CREATE SERVICE LEVEL tight WITH timeout = 10ms AND workload_type = 'batch'");
    await su.query("CREATE SERVICE LEVEL inter WITH timeout = 5s AND workload_type = 'interactive'");
    for (const [role, level] of [['r_tight', 'tight'], ['r_inter', 'inter']]) {
      await su.query(`CREATE ROLE ${role} WITH PASSWORD = 'pw' AND LOGIN = true`);
      await su.query(`ATTACH SERVICE LEVEL ${level} TO ${role}`);
    }
    await su.query("CREATE ROLE r_none WITH PASSWORD = 'pw' AND LOGIN = true");
  });
  afterAll(async () => {
    await su.close();
    await sim.stop();
  });

  it('USING TIMEOUT > service level timeout > scylla.yaml default', async () => {
    const tight = await Connection.connect({ host, port: 9042, credentials: { username: 'r_tight', password: 'pw' } });
    const none = await Connection.connect({ host, port: 9042, credentials: { username: 'r_none', password: 'pw' } });
    try {
      // the level's 10 ms replaces the 5 s read default: a 30 ms read times out after 10 ms
      const e = await errorOf(tight.query('SELECT v FROM q.kv WHERE k = 1'));
      expect(e.code).toBe(0x1200);
      expect(e.message).toMatch(/^Operation timed out for q\.kv/);
      // USING TIMEOUT wins over the level
      expect((await tight.query('SELECT v FROM q.kv WHERE k = 1 USING TIMEOUT 1s')).kind).toBe('rows');
      // a role without a level runs under default (5 s)
      expect((await none.query('SELECT v FROM q.kv WHERE k = 1')).kind).toBe('rows');
      // the level's timeout replaces the write default too
      await su.query('ALTER SERVICE LEVEL tight WITH timeout = 0ms');
      expect((await errorOf(tight.query('INSERT INTO q.kv (k, v) VALUES (1, 1)'))).code).toBe(0x1100);
      await su.query('ALTER SERVICE LEVEL tight WITH timeout = 10ms');
    } finally {
      await tight.close();
      await none.close();
    }
  });

  it('an interactive session sheds with Overloaded once its queue passes 50 ms; a batch one waits', async () => {
    const inter = await Connection.connect({ host, port: 9042, credentials: { username: 'r_inter', password: 'pw' } });
    const batch = await Connection.connect({ host, port: 9042, credentials: { username: 'r_none', password: 'pw' } });
    try {
      // 10 reads of 30 ms at once: the first two start within 50 ms, the rest would wait longer
      const settle = (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (e instanceof ResponseError ? e : Promise.reject(e)));
      const out = await Promise.all(Array.from({ length: 10 }, (_, i) => settle(inter.query(`SELECT v FROM q.kv WHERE k = ${i}`))));
      const shed = out.filter((x): x is ResponseError => x instanceof ResponseError);
      expect(out.filter((x) => x === 'ok').length).toBeGreaterThanOrEqual(2);
      expect(shed.length).toBeGreaterThanOrEqual(5);
      for (const e of shed) {
        expect(e.code).toBe(0x1001);
        expect(e.kind).toBe('overloaded');
        expect(e.message).toBe('request shed due to coordinator overload');
      }
      // under default (unspecified workload) the same burst queues and every read succeeds
      const waited = await Promise.all(Array.from({ length: 10 }, (_, i) => settle(batch.query(`SELECT v FROM q.kv WHERE k = ${i}`))));
      expect(waited.every((x) => x === 'ok')).toBe(true);
      expect(servedByLevel(sim.cluster).inter.shed).toBe(shed.length);
      const metrics = await (await fetch(`${sim.metricsUrl}/metrics`)).text();
      expect(metrics).toMatch(/^scylla_scheduler_runtime_ms\{instance="[\d.]+",shard="0",group="sl:default"\} [\d.]+$/m);
      expect(metrics).toMatch(/^scylla_scheduler_shares\{instance="[\d.]+",shard="0",group="sl:inter"\} 1000$/m);
      expect(metrics).toContain(`sim_service_level_requests_shed{instance="${host}",shard="0",service_level="inter"} ${shed.length}`);
    } finally {
      await inter.close();
      await batch.close();
    }
  });
});

describe('shares per shard (virtual time)', () => {
  /** Closed loops (think time 0) and open-loop arrivals against one shard queue for `horizonMs`. */
  function drive(levels: { name: string; shares: number; costMs: number; chains?: number; ratePerS?: number }[], horizonMs: number) {
    const q = new ShardQueue();
    const horizon = horizonMs * 1e6;
    const events: { t: number; l: number; open: boolean }[] = [];
    levels.forEach((l, i) => {
      if (l.ratePerS) for (let t = 0; t < horizon; t += 1e9 / l.ratePerS) events.push({ t, l: i, open: true });
      for (let k = 0; k < (l.chains ?? 0); k++) events.push({ t: 0, l: i, open: false });
    });
    const done = levels.map(() => 0);
    const waits: number[][] = levels.map(() => []);
    for (;;) {
      let k = -1;
      for (let i = 0; i < events.length; i++) if (k < 0 || events[i].t < events[k].t) k = i;
      if (k < 0 || events[k].t > horizon) break;
      const e = events[k];
      const l = levels[e.l];
      const finish = q.charge(e.t, l.costMs * 1e6, { name: l.name, shares: l.shares });
      if (finish <= horizon) { done[e.l]++; waits[e.l].push((finish - e.t) / 1e6); }
      if (e.open) events.splice(k, 1);
      else e.t = finish;
    }
    return levels.map((l, i) => {
      const w = waits[i].sort((a, b) => a - b);
      return { served: done[i] * l.costMs, p99: w[Math.floor(w.length * 0.99)] ?? 0, count: done[i] };
    });
  }

  it('two busy levels split the shard by their shares, and together never exceed it', () => {
    const [a, b] = drive([{ name: 'a', shares: 1000, costMs: 1, chains: 8 }, { name: 'b', shares: 200, costMs: 1, chains: 8 }], 3000);
    expect(a.served / b.served).toBeGreaterThan(5 * 0.95);
    expect(a.served / b.served).toBeLessThan(5 * 1.05);
    expect(a.served + b.served).toBeLessThanOrEqual(3000 * 1.01);
    // different costs: the split is of shard time, not of requests
    const [c, d] = drive([{ name: 'c', shares: 1000, costMs: 1, chains: 8 }, { name: 'd', shares: 100, costMs: 3, chains: 8 }], 3000);
    expect(c.served / d.served).toBeGreaterThan(10 * 0.9);
    expect(c.served / d.served).toBeLessThan(10 * 1.1);
  });

  it('a light level is served at once next to a saturating one, which keeps what is left', () => {
    const withLevels = drive([{ name: 'oltp', shares: 1000, costMs: 0.1, ratePerS: 300 }, { name: 'olap', shares: 100, costMs: 20, chains: 4 }], 3000);
    const shared = drive([{ name: 'default', shares: 1000, costMs: 0.1, ratePerS: 300 }, { name: 'default', shares: 1000, costMs: 20, chains: 4 }], 3000);
    expect(withLevels[0].p99).toBeLessThan(1);
    expect(shared[0].p99).toBeGreaterThan(40);
    // the scans lose only what OLTP used (3 % of the shard)
    expect(withLevels[1].served).toBeGreaterThan(0.95 * shared[1].served);
  });

  it('a level alone has the whole shard (one FIFO, as without service levels)', () => {
    const [a] = drive([{ name: 'a', shares: 1, costMs: 1, chains: 4 }], 1000);
    expect(a.count).toBe(1000);
  });
});
