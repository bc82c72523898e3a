import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Reader } from '../../src/cql/buffer.js';
import { Opcode } from '../../src/cql/frame.js';
import { startSim, type Sim } from '../../src/sim/index.js';
import { errorOf, RawCql, supportedOf } from '../support/raw-cql.js';
import { simHost } from '../support/sim-host.js';

describe('emulator protocol (scylla-reference §1, §10)', () => {
  let sim: Sim;
  const host = simHost();
  const opened: RawCql[] = [];
  const connect = async (port = 9042, localPort?: number): Promise<RawCql> => {
    const c = await RawCql.connect(host, port, localPort);
    opened.push(c);
    return c;
  };

  beforeAll(async () => {
    sim = await startSim({ nodes: 2, shards: 4, host, vnodesPerNode: 16 });
  });
  afterAll(async () => {
    for (const c of opened) c.close();
    await sim.stop();
  });

  it('answers OPTIONS with the Scylla keys, byte-wise sorted, values as strings', async () => {
    const c = await connect();
    const f = await c.request(Opcode.OPTIONS, Buffer.alloc(0));
    expect(f.opcode).toBe(Opcode.SUPPORTED);
    const m = supportedOf(f);
    const keys = [...m.keys()];
    expect(keys).toEqual([...keys].sort());
    expect(keys).toEqual([
      'COMPRESSION', 'CQL_VERSION', 'SCYLLA_LWT_ADD_METADATA_MARK', 'SCYLLA_NR_SHARDS', 'SCYLLA_PARTITIONER',
      'SCYLLA_RATE_LIMIT_ERROR', 'SCYLLA_SHARD', 'SCYLLA_SHARDING_ALGORITHM', 'SCYLLA_SHARDING_IGNORE_MSB',
      'SCYLLA_SHARD_AWARE_PORT', 'TABLETS_ROUTING_V1',
    ]);
    expect(m.get('SCYLLA_NR_SHARDS')).toEqual(['4']);
    expect(m.get('SCYLLA_PARTITIONER')).toEqual(['org.apache.cassandra.dht.Murmur3Partitioner']);
    expect(m.get('SCYLLA_SHARDING_ALGORITHM')).toEqual(['biased-token-round-robin']);
    expect(m.get('SCYLLA_SHARDING_IGNORE_MSB')).toEqual(['12']);
    expect(m.get('SCYLLA_SHARD_AWARE_PORT')).toEqual(['19042']);
    expect(m.get('SCYLLA_LWT_ADD_METADATA_MARK')).toEqual(['LWT_OPTIMIZATION_META_BIT_MASK=2147483648']);
    expect(m.get('SCYLLA_RATE_LIMIT_ERROR')).toEqual(['ERROR_CODE=61440']);
    expect(m.get('CQL_VERSION')).toEqual(['3.3.1']);
  });

  it('places regular-port connections on the least-loaded shard, ties to the lowest', async () => {
    // node 2 has no other connections in this file
    const node2 = sim.nodes[1].host;
    const shards: number[] = [];
    for (let i = 0; i < 5; i++) {
      const c = await RawCql.connect(node2, 9042);
      opened.push(c);
      shards.push(Number(supportedOf(await c.request(Opcode.OPTIONS, Buffer.alloc(0))).get('SCYLLA_SHARD')![0]));
    }
    expect(shards).toEqual([0, 1, 2, 3, 0]);
  });

  it('places shard-aware-port connections on source port mod shards', async () => {
    // source ports above the kernel's ephemeral range (32768-60999), stepping by 4 (same shard)
    // past any port another test happens to hold, as drivers do
    const base = 61000 + Math.floor(Math.random() * 1000) * 4;
    for (const shard of [1, 2, 3, 0]) {
      let c: RawCql | undefined;
      let localPort = base + shard;
      for (let tries = 0; !c && tries < 20; tries++, localPort += 4) {
        c = await connect(19042, localPort).catch(() => undefined);
      }
      const m = supportedOf(await c!.request(Opcode.OPTIONS, Buffer.alloc(0)));
      expect(m.get('SCYLLA_SHARD')).toEqual([String(shard)]);
      expect((localPort - 4) % 4).toBe(shard);
    }
  });

  it('refuses protocol v5 with the message drivers downgrade on', async () => {
    const c = await connect();
    c.send(Opcode.OPTIONS, Buffer.alloc(0), 0, 5);
    const f = (await c.next())!;
    expect(f.opcode).toBe(Opcode.ERROR);
    expect(errorOf(f)).toEqual({ code: 0x000a, message: 'Invalid or unsupported protocol version: 5' });
  });

  it('reports release_version 3.0.8 in system.local and refuses system.peers_v2', async () => {
    const c = await connect();
    expect((await c.startup()).opcode).toBe(Opcode.READY);
    const local = await c.query("SELECT release_version, cql_version FROM system.local WHERE key = 'local' USING TIMEOUT 2000ms");
    expect(local.opcode).toBe(Opcode.RESULT);
    expect(local.body.includes(Buffer.from('3.0.8'))).toBe(true);
    const v2 = errorOf(await c.query('SELECT * FROM system.peers_v2'));
    expect(v2.code).toBe(0x2200);
    expect(v2.message).toContain('peers_v2');
  });

  it('closes a connection that sends a malformed frame, and keeps serving the others', async () => {
    const good = await connect();
    await good.startup();
    const bad = await connect();
    await bad.startup();
    // a QUERY whose [long string] claims more bytes than the body has
    const body = Buffer.alloc(6);
    body.writeInt32BE(1000, 0);
    bad.send(Opcode.QUERY, body);
    const f = await bad.next();
    expect(f && errorOf(f).code).toBe(0x000a);
    expect(await bad.next()).toBeNull();
    expect(bad.closed).toBe(true);
    const ok = await good.query("SELECT key FROM system.local WHERE key = 'local'");
    expect(ok.opcode).toBe(Opcode.RESULT);
  });

  it('answers garbage bytes with a protocol error and closes', async () => {
    const c = await connect();
    c.sendRaw(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    const f = await c.next();
    if (f) expect(errorOf(f).code).toBe(0x000a);
    expect(await c.next()).toBeNull();
  });

  it('rejects unsupported statements with Syntax_error naming them', async () => {
    const c = await connect();
    await c.startup();
    const e = errorOf(await c.query('CREATE INDEX ON ks.t (v)'));
    expect(e.code).toBe(0x2000);
    expect(e.message).toContain('CREATE INDEX');
    const fn = errorOf(await c.query("CREATE FUNCTION ks.f (a int) RETURNS NULL ON NULL INPUT RETURNS int LANGUAGE lua AS 'return a'"));
    expect(fn.code).toBe(0x2000);
    expect(fn.message).toMatch(/CREATE FUNCTION/);
    const syntax = errorOf(await c.query('SELEC * FROM x'));
    expect(syntax.code).toBe(0x2000);
    expect(syntax.message).toMatch(/^line 1:0/);
  });

  it('sends SCHEMA_CHANGE events to connections that registered', async () => {
    const listener = await connect();
    await listener.startup();
    const w = Buffer.from([0, 1, 0, 13, ...Buffer.from('SCHEMA_CHANGE')]);
    expect((await listener.request(Opcode.REGISTER, w)).opcode).toBe(Opcode.READY);
    const other = await RawCql.connect(sim.nodes[1].host, 9042);
    opened.push(other);
    await other.startup();
    const created = await other.query("CREATE KEYSPACE evks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
    expect(created.opcode).toBe(Opcode.RESULT);
    const ev = (await listener.next())!;
    expect(ev.opcode).toBe(Opcode.EVENT);
    expect(ev.stream).toBe(-1);
    const r = new Reader(ev.body);
    expect([r.string(), r.string(), r.string(), r.string()]).toEqual(['SCHEMA_CHANGE', 'CREATED', 'KEYSPACE', 'evks']);
  });
});

describe('emulator Unavailable body (§9)', () => {
  it('carries Scylla\'s message, the consistency, required and alive counts', async () => {
    const host = simHost();
    const sim = await startSim({ nodes: 2, shards: 1, host, vnodesPerNode: 4 });
    const c = await RawCql.connect(host, 9042);
    try {
      await c.startup();
      await c.query("CREATE KEYSPACE u WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 2}");
      await c.query('CREATE TABLE u.t (k int PRIMARY KEY, v int)');
      await sim.setNodeUp(1, false);
      const f = await c.query('INSERT INTO u.t (k, v) VALUES (1, 1)', { consistency: 5 });
      const r = new Reader(f.body);
      expect([r.int(), r.string(), r.short(), r.int(), r.int()]).toEqual([0x1000, 'Cannot achieve consistency level for cl ALL. Requires 2, alive 1', 5, 2, 1]);
      const ok = await c.query('INSERT INTO u.t (k, v) VALUES (1, 1)', { consistency: 1 });
      expect(ok.opcode).toBe(Opcode.RESULT);
    } finally {
      c.close();
      await sim.stop();
    }
  });
});

describe('emulator: statements it parses but does not implement', () => {
  it('answers SELECT JSON and GROUP BY with Syntax_error naming them', async () => {
    const host = simHost();
    const sim = await startSim({ nodes: 1, shards: 1, host, vnodesPerNode: 4 });
    const c = await RawCql.connect(host, 9042);
    try {
      await c.startup();
      const j = errorOf(await c.query("SELECT JSON * FROM system.local WHERE key = 'local'"));
      expect(j).toEqual({ code: 0x2000, message: 'SELECT JSON is not supported by the scylla-bench emulator' });
      const g = errorOf(await c.query('SELECT key FROM system.local GROUP BY key'));
      expect(g.message).toBe('GROUP BY is not supported by the scylla-bench emulator');
    } finally {
      c.close();
      await sim.stop();
    }
  });
});

describe('emulator: prepared statement ids', () => {
  it('answers an unknown id with Unprepared carrying the id, so drivers re-prepare', async () => {
    const host = simHost();
    const sim = await startSim({ nodes: 1, shards: 1, host, vnodesPerNode: 4 });
    const c = await RawCql.connect(host, 9042);
    try {
      await c.startup();
      const id = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
      const body = Buffer.concat([Buffer.from([0, 16]), id, Buffer.from([0, 1, 0])]);
      const f = await c.request(Opcode.EXECUTE, body);
      const r = new Reader(f.body);
      expect(r.int()).toBe(0x2500);
      expect(r.string()).toBe('No prepared statement with ID 00112233445566778899aabbccddeeff found.');
      expect(r.shortBytes().equals(id)).toBe(true);
    } finally {
      c.close();
      await sim.stop();
    }
  });
});
