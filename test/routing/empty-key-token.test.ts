/**
 * The token of an empty partition key, as each server computes it: the real Cassandra returns
 * the minimum token (its Murmur3Partitioner special case); Scylla hashes the empty key (token 0,
 * scylladb#9352), and the emulator does as Scylla on a view whose partition key is an empty
 * string. Non-empty keys agree with the client everywhere.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection } from '../../src/cql/connection.js';
import type { Result } from '../../src/cql/messages.js';
import { decodeRowArrays } from '../../src/cql/rows.js';
import { MIN_TOKEN, murmur3Token } from '../../src/routing/murmur3.js';
import { startSim, type Sim } from '../../src/sim/index.js';
import { cassandraInfo, connectCassandra } from '../support/real.js';
import { simHost } from '../support/sim-host.js';

function firstValue(r: Result): unknown {
  if (r.kind !== 'rows') throw new Error(`expected rows, got ${r.kind}`);
  return decodeRowArrays(r, r.metadata.columns!)[0]?.[0];
}

const TEXT_KEYS = ['', 'a', 'kremówki', 'primary_key'];
const BLOB_KEYS = ['', 'fe', 'fefefefefefefefe', '00ff10fa99'];

const info = cassandraInfo();

describe.skipIf(!info)('the empty key on the real Cassandra', () => {
  let c: Connection;
  beforeAll(async () => {
    c = await connectCassandra(info!);
    await c.query("CREATE KEYSPACE IF NOT EXISTS sb_tokens WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
    await c.query('CREATE TABLE IF NOT EXISTS sb_tokens.t (k text PRIMARY KEY, v int)');
    await c.query('CREATE TABLE IF NOT EXISTS sb_tokens.b (k blob PRIMARY KEY, v int)');
    // token(<literal>) is evaluated once per row: each table needs one
    await c.query("INSERT INTO sb_tokens.t (k, v) VALUES ('row', 1)");
    await c.query('INSERT INTO sb_tokens.b (k, v) VALUES (0x01, 1)');
  });
  afterAll(async () => c?.close());

  it("refuses an empty key in a base table, as Scylla does", async () => {
    await expect(c.query("INSERT INTO sb_tokens.t (k, v) VALUES ('', 1)")).rejects.toThrow(/Key may not be empty/);
  });

  it("token('') of a text key is the minimum token, and the client's Cassandra flavour agrees on every key", async () => {
    expect(firstValue(await c.query("SELECT token('') FROM sb_tokens.t LIMIT 1"))).toBe(MIN_TOKEN);
    for (const k of TEXT_KEYS) {
      const server = firstValue(await c.query(`SELECT token('${k}') FROM sb_tokens.t LIMIT 1`));
      expect(server, k).toBe(murmur3Token(Buffer.from(k, 'utf8'), 'cassandra'));
    }
  });

  it('token(0x) of a blob key (0 bytes) is the minimum token too', async () => {
    expect(firstValue(await c.query('SELECT token(0x) FROM sb_tokens.b LIMIT 1'))).toBe(MIN_TOKEN);
    for (const k of BLOB_KEYS) {
      const server = firstValue(await c.query(`SELECT token(0x${k}) FROM sb_tokens.b LIMIT 1`));
      expect(server, `0x${k}`).toBe(murmur3Token(Buffer.from(k, 'hex'), 'cassandra'));
    }
  });
});

describe('the empty key on the emulator (Scylla: the empty key is hashed, token 0)', () => {
  let sim: Sim;
  let c: Connection;
  beforeAll(async () => {
    const host = simHost();
    // view updates land with the base write: this test is about tokens, not view timing
    sim = await startSim({ host, shards: 2, viewDelayMs: 0, viewDelayPerPendingMs: 0 });
    c = await Connection.connect({ host, port: 9042 });
    await c.query("CREATE KEYSPACE tk WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
    await c.query('CREATE TABLE tk.base (id int PRIMARY KEY, t text, b blob)');
    await c.query('CREATE MATERIALIZED VIEW tk.by_t AS SELECT * FROM tk.base WHERE t IS NOT NULL AND id IS NOT NULL PRIMARY KEY (t, id)');
    await c.query('CREATE MATERIALIZED VIEW tk.by_b AS SELECT * FROM tk.base WHERE b IS NOT NULL AND id IS NOT NULL PRIMARY KEY (b, id)');
    for (let i = 0; i < TEXT_KEYS.length; i++) {
      await c.query('INSERT INTO tk.base (id, t, b) VALUES (?, ?, ?)', [i, TEXT_KEYS[i], Buffer.from(BLOB_KEYS[i], 'hex')]);
    }
  });
  afterAll(async () => { await c?.close(); await sim?.stop(); });

  it('a view partition with an empty text or blob key has token 0, and every key agrees with the client', async () => {
    expect(firstValue(await c.query("SELECT token(t) FROM tk.by_t WHERE t = ''"))).toBe(0n);
    expect(firstValue(await c.query('SELECT token(b) FROM tk.by_b WHERE b = 0x'))).toBe(0n);
    for (const k of TEXT_KEYS) {
      expect(firstValue(await c.query('SELECT token(t) FROM tk.by_t WHERE t = ?', [k])), k).toBe(murmur3Token(Buffer.from(k, 'utf8')));
    }
    for (const k of BLOB_KEYS) {
      const bytes = Buffer.from(k, 'hex');
      expect(firstValue(await c.query('SELECT token(b) FROM tk.by_b WHERE b = ?', [bytes])), k).toBe(murmur3Token(bytes));
    }
  });
});
