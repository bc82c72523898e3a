/**
 * Protocol behaviour against a real Cassandra 5.0: pk_indexes, paging, batches, TTL, typed
 * server errors, re-PREPARE on Unprepared, authentication, TLS, LZ4 and Snappy.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection, AuthenticationError } from '../../src/cql/connection.js';
import { Consistency } from '../../src/cql/consistency.js';
import { AlreadyExistsError, ResponseError, UnavailableError, UnpreparedError, ErrorCode } from '../../src/cql/errors.js';
import { Opcode } from '../../src/cql/frame.js';
import { writeExecute } from '../../src/cql/messages.js';
import { decodeRows, decodeRowArrays } from '../../src/cql/rows.js';
import type { RowsResult } from '../../src/cql/messages.js';
import { cassandraInfo, connectCassandra } from '../support/real.js';

const info = cassandraInfo();
const KS = 'sb_protocol';
const rows = (r: unknown): RowsResult => {
  expect((r as RowsResult).kind).toBe('rows');
  return r as RowsResult;
};

describe.skipIf(!info)('protocol against real Cassandra', () => {
  let c: Connection;

  beforeAll(async () => {
    c = await connectCassandra(info!);
    await c.query(`DROP KEYSPACE IF EXISTS ${KS}`);
    await c.query(`CREATE KEYSPACE ${KS} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
    await c.query(`CREATE TABLE ${KS}.events (a int, b text, c int, v text, PRIMARY KEY ((a, b), c))`);
    await c.query(`CREATE TABLE ${KS}.big (id int PRIMARY KEY, v int)`);
  });
  afterAll(async () => c?.close());

  it('negotiates v4 and sees Cassandra, not Scylla', () => {
    expect(c.protocolVersion).toBe(4);
    expect(c.sharding).toBeUndefined();
    expect(c.supported.get('CQL_VERSION')?.length).toBeGreaterThan(0);
  });

  it('prepared statements expose pk_indexes in partition-key order', async () => {
    const st = await c.prepare(`INSERT INTO ${KS}.events (c, b, v, a) VALUES (?, ?, ?, ?)`);
    expect(st.pkIndexes).toEqual([3, 1]);
    expect(st.bindColumns.map((x) => x.name)).toEqual(['c', 'b', 'v', 'a']);
    const sel = await c.prepare(`SELECT v FROM ${KS}.events WHERE a = ? AND b = ?`);
    expect(sel.pkIndexes).toEqual([0, 1]);
    expect(sel.resultColumns.map((x) => x.name)).toEqual(['v']);
  });

  it('pages through 10 000 rows returning each row exactly once', async () => {
    const ins = await c.prepare(`INSERT INTO ${KS}.big (id, v) VALUES (?, ?)`);
    const N = 10_000;
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < N; i++) pending.push(c.execute(ins, [i, i * 2]));
    await Promise.all(pending);
    const seen = new Set<number>();
    let pagingState: Buffer | null = null;
    let pages = 0;
    const sel = await c.prepare(`SELECT id, v FROM ${KS}.big`);
    do {
      const r = rows(await c.execute(sel, [], { pageSize: 999, pagingState }));
      for (const [id, v] of decodeRowArrays(r, sel.resultColumns)) {
        expect(seen.has(id as number)).toBe(false);
        expect(v).toBe((id as number) * 2);
        seen.add(id as number);
      }
      pagingState = r.metadata.pagingState;
      pages++;
    } while (pagingState);
    expect(seen.size).toBe(N);
    expect(pages).toBeGreaterThanOrEqual(11);
  });

  it('logged and unlogged batches apply every statement', async () => {
    const ins = await c.prepare(`INSERT INTO ${KS}.events (a, b, c, v) VALUES (?, ?, ?, ?)`);
    await c.batch([
      { statement: ins, values: [1, 'x', 1, 'one'] },
      { statement: ins, values: [1, 'x', 2, 'two'] },
      { statement: `INSERT INTO ${KS}.events (a, b, c, v) VALUES (1, 'x', 3, 'three')` },
    ], { type: 0, consistency: Consistency.ONE });
    await c.batch([{ statement: ins, values: [2, 'y', 1, 'u1'] }, { statement: ins, values: [2, 'y', 2, 'u2'] }], { type: 1 });
    const r1 = decodeRows(rows(await c.query(`SELECT c, v FROM ${KS}.events WHERE a = 1 AND b = 'x'`)));
    expect(r1).toEqual([{ c: 1, v: 'one' }, { c: 2, v: 'two' }, { c: 3, v: 'three' }]);
    expect(rows(await c.query(`SELECT * FROM ${KS}.events WHERE a = 2 AND b = 'y'`)).rowCount).toBe(2);
  });

  it('TTL is visible through TTL(col) and writetime through the client timestamp', async () => {
    const ins = await c.prepare(`INSERT INTO ${KS}.events (a, b, c, v) VALUES (?, ?, ?, ?) USING TTL 3600`);
    await c.execute(ins, [5, 'ttl', 1, 'expiring'], { timestampUs: 1_700_000_000_000_000n });
    const r = decodeRows(rows(await c.query(`SELECT TTL(v) AS t, WRITETIME(v) AS w FROM ${KS}.events WHERE a = 5 AND b = 'ttl'`)))[0];
    expect(r.t).toBeGreaterThan(3590);
    expect(r.t).toBeLessThanOrEqual(3600);
    expect(r.w).toBe(1_700_000_000_000_000n);
  });

  it('server errors arrive as typed errors with their body fields', async () => {
    const syntax = await c.query('SELEKT nothing').catch((e: unknown) => e);
    expect(syntax).toBeInstanceOf(ResponseError);
    expect((syntax as ResponseError).code).toBe(ErrorCode.SYNTAX_ERROR);
    expect((syntax as ResponseError).kind).toBe('syntax-error');

    const invalid = await c.query(`SELECT * FROM ${KS}.events WHERE v = 'x'`).catch((e: unknown) => e);
    expect((invalid as ResponseError).kind).toBe('invalid');

    const exists = await c.query(`CREATE TABLE ${KS}.events (a int PRIMARY KEY)`).catch((e: unknown) => e);
    expect(exists).toBeInstanceOf(AlreadyExistsError);
    expect((exists as AlreadyExistsError).keyspace).toBe(KS);
    expect((exists as AlreadyExistsError).table).toBe('events');

    await c.query(`CREATE KEYSPACE IF NOT EXISTS sb_rf3 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}`);
    await c.query('CREATE TABLE IF NOT EXISTS sb_rf3.t (id int PRIMARY KEY)');
    const unavailable = await c.query('INSERT INTO sb_rf3.t (id) VALUES (1)', [], { consistency: Consistency.QUORUM }).catch((e: unknown) => e);
    expect(unavailable).toBeInstanceOf(UnavailableError);
    expect((unavailable as UnavailableError).required).toBe(2);
    expect((unavailable as UnavailableError).alive).toBe(1);
    expect((unavailable as UnavailableError).consistency).toBe(Consistency.QUORUM);
  });

  it('an unknown statement id gets Unprepared with that id, and execute() re-prepares transparently', async () => {
    const bogus = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const err = await new Promise<unknown>((resolve) => {
      c.send(Opcode.EXECUTE, (w) => writeExecute(w, bogus, { consistency: Consistency.ONE }), (e) => resolve(e));
    });
    expect(err).toBeInstanceOf(UnpreparedError);
    expect((err as UnpreparedError).statementId.equals(bogus)).toBe(true);

    const sel = await c.prepare(`SELECT v FROM ${KS}.big WHERE id = ?`);
    const realId = Buffer.from(sel.id);
    sel.id = bogus; // as if the server had evicted it
    const r = rows(await c.execute(sel, [7]));
    expect(decodeRowArrays(r, sel.resultColumns)).toEqual([[14]]);
    expect(sel.id.equals(realId)).toBe(true);
  });

  it('bad credentials fail with one line naming host:port', async () => {
    const err = await connectCassandra(info!, { credentials: { username: 'cassandra', password: 'wrong' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as Error).message).toContain(`${info!.host}:${info!.port}`);
    expect((err as Error).message).toMatch(/authentication failed for user 'cassandra'/);
    expect((err as Error).message).not.toContain('wrong');
    expect((err as Error).message).not.toContain('\n');
    const none = await connectCassandra(info!, { credentials: undefined }).catch((e: unknown) => e);
    expect((none as Error).message).toMatch(/requires authentication/);
  });

  it('a new role can log in with PasswordAuthenticator', async () => {
    await c.query(`DROP ROLE IF EXISTS sb_user`);
    await c.query(`CREATE ROLE sb_user WITH PASSWORD = 'sb_pw_123' AND LOGIN = true`);
    const u = await connectCassandra(info!, { credentials: { username: 'sb_user', password: 'sb_pw_123' } });
    const r = decodeRows(rows(await u.query('SELECT release_version FROM system.local')))[0];
    expect(r.release_version).toMatch(/^5\.0\./);
    await u.close();
  });

  it('connects over TLS with a CA and a client certificate', async () => {
    const t = info!.tls;
    expect(t, 'the Cassandra helper provides TLS material').toBeDefined();
    const s = await connectCassandra(info!, { tls: { ca: readFileSync(t!.caPath), cert: readFileSync(t!.certPath), key: readFileSync(t!.keyPath), servername: 'localhost' } });
    expect(rows(await s.query('SELECT key FROM system.local')).rowCount).toBe(1);
    await s.close();
    // an untrusted server certificate is refused with a one-line TLS error naming host:port
    const bad = await connectCassandra(info!, { tls: { ca: readFileSync(t!.certPath) } }).catch((e: unknown) => e);
    expect((bad as Error).message).toMatch(new RegExp(`${info!.host}:${info!.port}: TLS handshake failed`));
  });

  it('compresses with LZ4 when the server offers it', async () => {
    expect(c.supported.get('COMPRESSION')).toContain('lz4');
    const z = await connectCassandra(info!, { compression: 'lz4' });
    const long = 'z'.repeat(20000);
    await z.query(`INSERT INTO ${KS}.events (a, b, c, v) VALUES (9, 'lz4', 1, ?)`, [long]);
    const got = decodeRows(rows(await z.query(`SELECT v FROM ${KS}.events WHERE a = 9 AND b = 'lz4'`)))[0];
    expect(got.v).toBe(long);
    await z.close();
  });

  it('compresses with Snappy when the server offers it: both directions, large and incompressible values, paging', async () => {
    expect(c.supported.get('COMPRESSION')).toContain('snappy');
    const z = await connectCassandra(info!, { compression: 'snappy' });
    expect(z.compression).toBe('snappy');
    expect(c.compression).toBeUndefined();
    let x = 12345;
    const noise = Array.from({ length: 30000 }, () => String.fromCharCode(33 + ((x = (x * 1103515245 + 12345) % 2147483648) % 90))).join('');
    const values = ['s'.repeat(20000), noise, 'short', `${'ab'.repeat(5000)}${noise.slice(0, 7000)}`];
    const ins = await z.prepare(`INSERT INTO ${KS}.events (a, b, c, v) VALUES (10, 'snappy', ?, ?)`);
    for (let i = 0; i < values.length; i++) await z.execute(ins, [i, values[i]]);
    const got = decodeRows(rows(await z.query(`SELECT c, v FROM ${KS}.events WHERE a = 10 AND b = 'snappy'`)));
    expect(got.map((r) => r.v)).toEqual(values);
    // every row of the 10 000-row table, in compressed pages
    const sel = await z.prepare(`SELECT id, v FROM ${KS}.big`);
    let pagingState: Buffer | null = null;
    let n = 0;
    do {
      const r = rows(await z.execute(sel, [], { pageSize: 999, pagingState }));
      for (const [id, v] of decodeRowArrays(r, sel.resultColumns)) if (v === (id as number) * 2) n++;
      pagingState = r.metadata.pagingState;
    } while (pagingState);
    expect(n).toBe(10_000);
    await z.close();
  });

  it('protocol v3 can be requested and still works', async () => {
    const v3 = await connectCassandra(info!, { protocolVersion: 3 });
    expect(v3.protocolVersion).toBe(3);
    expect(rows(await v3.query('SELECT key FROM system.local')).rowCount).toBe(1);
    await v3.close();
  });

  it('bounded in-flight queues requests instead of failing them', async () => {
    const small = await connectCassandra(info!, { maxInFlight: 4 });
    const sel = await small.prepare(`SELECT v FROM ${KS}.big WHERE id = ?`);
    let maxSeen = 0;
    const all = Array.from({ length: 200 }, (_, i) => {
      const p = small.execute(sel, [i]);
      maxSeen = Math.max(maxSeen, small.inFlight);
      return p;
    });
    const results = await Promise.all(all);
    expect(results.every((r) => r.kind === 'rows' && r.rowCount === 1)).toBe(true);
    expect(maxSeen).toBe(200); // 4 on the wire + 196 waiting
    await small.close();
  });
});
