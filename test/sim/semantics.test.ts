import cassandra from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim, type Sim } from '../../src/sim/index.js';
import { simHost } from '../support/sim-host.js';

const { TokenAwarePolicy, DCAwareRoundRobinPolicy } = cassandra.policies.loadBalancing;
const ONE = cassandra.types.consistencies.one;

describe('emulator CQL semantics (through cassandra-driver)', () => {
  let sim: Sim;
  let c: cassandra.Client;
  const host = simHost();
  const q = (cql: string, params: unknown[] = [], opts: cassandra.QueryOptions = {}): Promise<cassandra.types.ResultSet> =>
    c.execute(cql, params, { prepare: params.length > 0, consistency: ONE, ...opts });
  const err = async (p: Promise<unknown>): Promise<{ code: number; message: string } & Record<string, unknown>> => {
    try {
      await p;
    } catch (e) {
      return e as { code: number; message: string };
    }
    throw new Error('expected an error');
  };

  beforeAll(async () => {
    sim = await startSim({ nodes: 3, shards: 2, host, vnodesPerNode: 32 });
    c = new cassandra.Client({ contactPoints: [host], localDataCenter: 'datacenter1', policies: { loadBalancing: new TokenAwarePolicy(new DCAwareRoundRobinPolicy('datacenter1')) } });
    await c.connect();
    await q("CREATE KEYSPACE s WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}");
    await q('USE s');
    await q('CREATE TABLE s.t (p int, c int, v text, PRIMARY KEY (p, c)) WITH CLUSTERING ORDER BY (c DESC)');
  });
  afterAll(async () => {
    await c.shutdown();
    await sim.stop();
  });

  it('orders rows by clustering key (DESC as declared, reversed by ORDER BY) and applies slices', async () => {
    for (let i = 0; i < 6; i++) await q('INSERT INTO s.t (p, c, v) VALUES (?, ?, ?)', [1, i, `v${i}`]);
    expect((await q('SELECT c FROM s.t WHERE p = 1')).rows.map((r) => r.c)).toEqual([5, 4, 3, 2, 1, 0]);
    expect((await q('SELECT c FROM s.t WHERE p = 1 ORDER BY c ASC')).rows.map((r) => r.c)).toEqual([0, 1, 2, 3, 4, 5]);
    expect((await q('SELECT c FROM s.t WHERE p = 1 AND c > 1 AND c <= 4')).rows.map((r) => r.c)).toEqual([4, 3, 2]);
    expect((await q('SELECT c FROM s.t WHERE p = 1 AND c IN (0, 5, 3)')).rows.map((r) => r.c)).toEqual([5, 3, 0]);
    expect((await q('SELECT c FROM s.t WHERE p = 1 LIMIT 2')).rows.map((r) => r.c)).toEqual([5, 4]);
    expect((await q('SELECT count(*) FROM s.t WHERE p = 1')).first().count.toNumber()).toBe(6);
  });

  it('resolves conflicts by write timestamp (last write wins) and keeps deleted data shadowed', async () => {
    await q('INSERT INTO s.t (p, c, v) VALUES (2, 0, \'new\') USING TIMESTAMP 2000');
    await q('INSERT INTO s.t (p, c, v) VALUES (2, 0, \'old\') USING TIMESTAMP 1000');
    expect((await q('SELECT v, writetime(v) FROM s.t WHERE p = 2 AND c = 0')).first().v).toBe('new');
    await q('DELETE FROM s.t USING TIMESTAMP 3000 WHERE p = 2');
    await q('INSERT INTO s.t (p, c, v) VALUES (2, 1, \'late\') USING TIMESTAMP 2500');
    expect((await q('SELECT * FROM s.t WHERE p = 2')).rows).toHaveLength(0);
    await q('INSERT INTO s.t (p, c, v) VALUES (2, 1, \'after\') USING TIMESTAMP 4000');
    expect((await q('SELECT v FROM s.t WHERE p = 2')).rows.map((r) => r.v)).toEqual(['after']);
  });

  it('expires cells and rows after their TTL', async () => {
    await q('INSERT INTO s.t (p, c, v) VALUES (3, 0, \'short\') USING TTL 1');
    await q('INSERT INTO s.t (p, c, v) VALUES (3, 1, \'long\') USING TTL 100');
    const ttl = (await q('SELECT ttl(v) FROM s.t WHERE p = 3 AND c = 1')).first()['ttl(v)'];
    expect(ttl).toBeGreaterThan(98);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await q('SELECT c FROM s.t WHERE p = 3')).rows.map((r) => r.c)).toEqual([1]);
  });

  it('deletes rows, clustering ranges and single cells', async () => {
    for (let i = 0; i < 5; i++) await q('INSERT INTO s.t (p, c, v) VALUES (?, ?, ?)', [4, i, `v${i}`]);
    await q('DELETE FROM s.t WHERE p = 4 AND c = 0');
    await q('DELETE FROM s.t WHERE p = 4 AND c >= 3');
    await q('DELETE v FROM s.t WHERE p = 4 AND c = 1');
    const rows = (await q('SELECT c, v FROM s.t WHERE p = 4')).rows;
    expect(rows.map((r) => [r.c, r.v])).toEqual([[2, 'v2'], [1, null]]);
  });

  it('scans the whole ring with token ranges and pages, in token order', async () => {
    await q('CREATE TABLE s.scan (k int PRIMARY KEY, v int)');
    for (let i = 0; i < 120; i++) await q('INSERT INTO s.scan (k, v) VALUES (?, ?)', [i, i]);
    const all: { k: number; t: string }[] = [];
    let pageState: string | undefined;
    do {
      const r = await q('SELECT k, token(k) FROM s.scan', [], { fetchSize: 25, pageState });
      for (const row of r.rows) all.push({ k: row.k as number, t: String(row['system.token(k)']) });
      pageState = r.pageState ?? undefined;
    } while (pageState);
    expect(all).toHaveLength(120);
    const tokens = all.map((x) => BigInt(x.t));
    expect(tokens).toEqual([...tokens].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    // split the ring in two halves: together they hold every row exactly once
    const lo = await q('SELECT k FROM s.scan WHERE token(k) <= 0');
    const hi = await q('SELECT k FROM s.scan WHERE token(k) > 0');
    expect(lo.rowLength + hi.rowLength).toBe(120);
    expect((await q('SELECT count(*) FROM s.scan')).first().count.toNumber()).toBe(120);
  });

  it('requires ALLOW FILTERING for filtering, with Scylla\'s message', async () => {
    const e = await err(q("SELECT * FROM s.t WHERE v = 'v1'"));
    expect(e.code).toBe(0x2200);
    expect(e.message).toMatch(/^Cannot execute this query as it might involve data filtering/);
    const rows = (await q("SELECT c FROM s.t WHERE v = 'v1' ALLOW FILTERING")).rows;
    expect(rows.map((r) => r.c)).toEqual([1]);
  });

  it('supports IF NOT EXISTS with the [applied] column', async () => {
    const a = await q("INSERT INTO s.t (p, c, v) VALUES (5, 0, 'first') IF NOT EXISTS");
    expect(a.first()['[applied]']).toBe(true);
    const b = await q("INSERT INTO s.t (p, c, v) VALUES (5, 0, 'second') IF NOT EXISTS");
    expect(b.first()['[applied]']).toBe(false);
    expect(b.first().v).toBe('first');
    const u = await q("UPDATE s.t SET v = 'third' WHERE p = 5 AND c = 0 IF v = 'first'");
    expect(u.first()['[applied]']).toBe(true);
  });

  it('answers Unavailable with the right body when too few replicas are up', async () => {
    await sim.setNodeUp(2, false);
    // wait until the driver has seen the node go (STATUS_CHANGE / dropped connection), so it does not route there
    const down = sim.nodes[2].host;
    for (let i = 0; i < 100 && c.hosts.values().some((h) => h.address.startsWith(down) && h.isUp()); i++) await new Promise((r) => setTimeout(r, 20));
    try {
      const e = await err(q('SELECT * FROM s.t WHERE p = 1', [], { consistency: cassandra.types.consistencies.all }));
      expect(e.code).toBe(0x1000);
      // the driver rewrites the text; the body fields are what Scylla sends: cl, required, alive
      expect(e.consistencies).toBe(cassandra.types.consistencies.all);
      expect(e.required).toBe(3);
      expect(e.alive).toBe(2);
      // QUORUM (2 of 3) still works
      const ok = await q('SELECT * FROM s.t WHERE p = 1', [], { consistency: cassandra.types.consistencies.quorum });
      expect(ok.rowLength).toBe(6);
    } finally {
      await sim.setNodeUp(2, true);
    }
  });

  it('keeps a synchronous materialized view in step with base writes', async () => {
    await q('CREATE TABLE s.users (id int PRIMARY KEY, email text, name text)');
    // synchronous_updates: each base write waits for its view update (asynchronous views: views.test.ts)
    await q('CREATE MATERIALIZED VIEW s.by_email AS SELECT * FROM s.users WHERE email IS NOT NULL AND id IS NOT NULL PRIMARY KEY (email, id) WITH synchronous_updates = true');
    await q("INSERT INTO s.users (id, email, name) VALUES (1, 'a@x', 'Ann')");
    expect((await q("SELECT name FROM s.by_email WHERE email = 'a@x'")).first().name).toBe('Ann');
    await q("UPDATE s.users SET email = 'b@x' WHERE id = 1");
    expect((await q("SELECT * FROM s.by_email WHERE email = 'a@x'")).rowLength).toBe(0);
    expect((await q("SELECT id FROM s.by_email WHERE email = 'b@x'")).first().id).toBe(1);
    await q('DELETE FROM s.users WHERE id = 1');
    expect((await q("SELECT * FROM s.by_email WHERE email = 'b@x'")).rowLength).toBe(0);
    const e = await err(q('CREATE MATERIALIZED VIEW s.bad AS SELECT * FROM s.users WHERE email IS NOT NULL AND name IS NOT NULL AND id IS NOT NULL PRIMARY KEY (email, name, id)'));
    expect(e.message).toBe("Cannot include more than one non-primary key column 'name' in materialized view primary key");
  });

  it('updates collections and counters', async () => {
    await q('CREATE TABLE s.coll (k int PRIMARY KEY, s set<text>, m map<text, int>, l list<int>)');
    await q("UPDATE s.coll SET s = s + {'b', 'a'}, m = m + {'x': 1}, l = l + [1, 2] WHERE k = 1");
    await q("UPDATE s.coll SET s = s + {'a', 'c'}, m['y'] = 2, l = [0] + l WHERE k = 1");
    await q("UPDATE s.coll SET s = s - {'b'} WHERE k = 1");
    const r = (await q('SELECT s, m, l FROM s.coll WHERE k = 1')).first();
    expect(r.s).toEqual(['a', 'c']);
    expect(r.m).toEqual({ x: 1, y: 2 });
    expect(r.l).toEqual([0, 1, 2]);
    await q('CREATE TABLE s.cnt (k int PRIMARY KEY, n counter)');
    await q('UPDATE s.cnt SET n = n + 5 WHERE k = 1');
    await q('UPDATE s.cnt SET n = n - 2 WHERE k = 1');
    expect((await q('SELECT n FROM s.cnt WHERE k = 1')).first().n.toNumber()).toBe(3);
  });

  it('stores table options and shows them in system_schema', async () => {
    await q("CREATE TABLE s.opts (k int PRIMARY KEY) WITH gc_grace_seconds = 3600 AND caching = {'keys': 'NONE'} AND cdc = {'enabled': 'true'}");
    const t = (await q("SELECT * FROM system_schema.tables WHERE keyspace_name = 's' AND table_name = 'opts'")).first();
    expect(t.gc_grace_seconds).toBe(3600);
    expect(t.caching).toEqual({ keys: 'NONE' });
    expect(t.compaction).toEqual({ class: 'IncrementalCompactionStrategy' });
    const st = (await q("SELECT cdc FROM system_schema.scylla_tables WHERE keyspace_name = 's' AND table_name = 'opts'")).first();
    // Scylla's to_map: every option, defaults filled in (cdc/log.cc)
    expect(st.cdc).toEqual({ delta: 'full', enabled: 'true', postimage: 'false', preimage: 'false', ttl: '86400' });
    const e = await err(q("CREATE TABLE s.bad (k int PRIMARY KEY) WITH cdc = {'enabled': true, 'colour': 'red'}"));
    expect(e.code).toBe(0x2300);
    expect(e.message).toBe('Invalid CDC option: colour');
  });

  it('parses USING TIMEOUT on reads and writes, as the python driver appends it', async () => {
    await q("INSERT INTO s.t (p, c, v) VALUES (9, 0, 'x') USING TIMEOUT 500ms");
    expect((await q('SELECT v FROM s.t WHERE p = 9 USING TIMEOUT 2000ms')).first().v).toBe('x');
  });
});

describe('emulator authentication (PasswordAuthenticator)', () => {
  let sim: Sim;
  const host = simHost();
  beforeAll(async () => { sim = await startSim({ nodes: 1, shards: 2, host, auth: true, vnodesPerNode: 8 }); });
  afterAll(async () => { await sim.stop(); });

  const client = (username: string, password: string): cassandra.Client => new cassandra.Client({
    contactPoints: [host], localDataCenter: 'datacenter1', credentials: { username, password },
  });

  it('accepts the default superuser, rejects a wrong password, and logs in a created role', async () => {
    const admin = client('cassandra', 'cassandra');
    await admin.connect();
    await admin.execute("CREATE ROLE app WITH PASSWORD = 'pw' AND LOGIN = true");
    await admin.shutdown();
    const bad = client('cassandra', 'nope');
    const e = await bad.connect().then(() => null, (x: Error) => x);
    expect(String(e)).toMatch(/Username and\/or password are incorrect/);
    await bad.shutdown();
    const app = client('app', 'pw');
    await app.connect();
    expect((await app.execute("SELECT role FROM system_auth.roles WHERE role = 'app'")).first().role).toBe('app');
    const denied = await app.execute("CREATE ROLE x WITH PASSWORD = 'y'").then(() => null, (x: { code: number }) => x);
    expect(denied?.code).toBe(0x2100);
    await app.shutdown();
  });
});

describe('replicas that missed writes while down', () => {
  it('a QUORUM read reconciles copies (the returning node is stale), a ONE read on it is stale', async () => {
    const host = simHost();
    const sim = await startSim({ nodes: 3, shards: 1, host, vnodesPerNode: 8 });
    const { RawCql } = await import('../support/raw-cql.js');
    const { Reader } = await import('../../src/cql/buffer.js');
    const valueOf = (body: Buffer): string | null => {
      const r = new Reader(body);
      r.int(); // kind
      const flags = r.int();
      const cols = r.int();
      if (flags & 0x0002) r.bytes();
      if (flags & 0x0001) { r.string(); r.string(); }
      for (let i = 0; i < cols; i++) { r.string(); r.short(); }
      const rows = r.int();
      if (rows === 0) return null;
      const v = r.bytes();
      return v ? v.toString() : null;
    };
    const first = await RawCql.connect(host, 9042);
    const third = await RawCql.connect(sim.nodes[2].host, 9042);
    try {
      await first.startup();
      await third.startup();
      await first.query("CREATE KEYSPACE rr WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}");
      await first.query('CREATE TABLE rr.kv (k int PRIMARY KEY, v text)');
      await first.query("INSERT INTO rr.kv (k, v) VALUES (1, 'old')", { consistency: 5 });
      await sim.setNodeUp(2, false);
      await first.query("INSERT INTO rr.kv (k, v) VALUES (1, 'new')", { consistency: 4 });
      await first.query('DELETE FROM rr.kv WHERE k = 2', { consistency: 4 });
      await sim.setNodeUp(2, true);
      const again = await RawCql.connect(sim.nodes[2].host, 9042);
      await again.startup();
      // CL ONE on the node that missed the write: its own stale copy
      expect(valueOf((await again.query('SELECT v FROM rr.kv WHERE k = 1', { consistency: 1 })).body)).toBe('old');
      // CL QUORUM: two copies reconciled, the newer write wins
      expect(valueOf((await again.query('SELECT v FROM rr.kv WHERE k = 1', { consistency: 4 })).body)).toBe('new');
      again.close();
    } finally {
      first.close();
      third.close();
      await sim.stop();
    }
  });
});
