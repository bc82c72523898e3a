/**
 * Every codec against a real Cassandra 5.0: values written by our client are read back by our
 * client AND by the DataStax cassandra-driver, and must be equal, edge values included.
 */
import cassandra from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../src/cql/connection.js';
import { decodeRows } from '../../src/cql/rows.js';
import { formatDate, formatDecimal, type CqlDecimal, type CqlDuration } from '../../src/cql/codecs.js';
import { cassandraInfo, connectCassandra } from '../support/real.js';

const info = cassandraInfo();
const KS = 'sb_codecs';

// one row per case; columns not named in a case stay null
const CASES: Record<string, unknown>[] = [
  {
    id: 1, a: 'plain ascii', bi: -(1n << 63n), b: Buffer.alloc(0), bo: true, dt: '1970-01-01', de: '-123.4500',
    do: Number.NaN, du: { months: 14, days: 3, nanoseconds: 4_000_000_005n }, fl: Number.POSITIVE_INFINITY,
    ip: '192.168.0.1', i: -2147483648, si: -32768, t: 'kremówki 🦀 — ünïcødé', tm: '23:59:59.999999999',
    ts: new Date('2026-11-25T12:34:56.789Z'), tu: 'e3a4b1f0-cb0d-11ef-8000-000000000001', ti: -128,
    u: '11111111-2222-4333-8444-555555555555', vi: -123456789012345678901234567890n,
  },
  {
    id: 2, a: '', bi: (1n << 63n) - 1n, b: Buffer.from([0, 1, 254, 255]), bo: false, dt: '2999-12-31', de: '0.000001',
    do: Number.NEGATIVE_INFINITY, du: { months: -1, days: -2, nanoseconds: -3n }, fl: -0.5,
    ip: '2001:db8::ff00:42:8329', i: 2147483647, si: 32767, t: '', tm: '00:00:00', ts: new Date(0),
    tu: '00000000-0000-1000-8000-000000000000', ti: 127, u: '00000000-0000-0000-0000-000000000000', vi: 0n,
  },
  {
    id: 3, do: Number.MAX_VALUE, fl: 3.4028234663852886e38,
    l: [1, 2, 3], s: ['a', 'b'], m: new Map([['x', 1], ['y', -1]]),
    nested: new Map([['k', [new Map([[1, ['deep']]])]]]),
    tup: [1, 'two', null], addr: { street: 'Main St', zip: 12345, tags: ['home'] },
    fl_list: [[1.5, -2.5], []],
  },
];

describe.skipIf(!info)('codecs against real Cassandra', () => {
  let c: Connection;
  let driver: cassandra.Client;

  beforeAll(async () => {
    c = await connectCassandra(info!);
    await c.query(`DROP KEYSPACE IF EXISTS ${KS}`);
    await c.query(`CREATE KEYSPACE ${KS} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
    await c.query(`CREATE TYPE ${KS}.address (street text, zip int, tags list<text>)`);
    await c.query(`CREATE TABLE ${KS}.all_types (
      id int PRIMARY KEY, a ascii, bi bigint, b blob, bo boolean, dt date, de decimal, do double,
      du duration, fl float, ip inet, i int, si smallint, t text, tm time, ts timestamp, tu timeuuid,
      ti tinyint, u uuid, vi varint,
      l list<int>, s set<text>, m map<text, int>,
      nested map<text, frozen<list<frozen<map<int, frozen<set<text>>>>>>>,
      tup frozen<tuple<int, text, bigint>>, addr frozen<address>, fl_list list<frozen<list<double>>>)`);
    await c.query(`CREATE TABLE ${KS}.counters (id int PRIMARY KEY, n counter)`);
    driver = new cassandra.Client({
      contactPoints: [`${info!.host}:${info!.port}`],
      localDataCenter: 'datacenter1',
      credentials: { username: info!.username, password: info!.password },
      keyspace: KS,
    });
    await driver.connect();
  });

  afterAll(async () => {
    await driver?.shutdown();
    await c?.close();
  });

  it('writes every type with our client and reads the same values back with ours', async () => {
    for (const row of CASES) {
      const names = Object.keys(row);
      const stmt = await c.prepare(`INSERT INTO ${KS}.all_types (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})`);
      await c.execute(stmt, names.map((n) => row[n]));
    }
    for (const row of CASES) {
      const res = await c.query(`SELECT * FROM ${KS}.all_types WHERE id = ?`, [row.id]);
      expect(res.kind).toBe('rows');
      const got = decodeRows(res as never)[0];
      for (const [k, v] of Object.entries(row)) expect(normalizeOurs(k, got[k]), `column ${k} of row ${row.id}`).toEqual(expected(k, v));
    }
  });

  it('cassandra-driver reads what our client wrote as the same values', async () => {
    for (const row of CASES) {
      const rs = await driver.execute(`SELECT * FROM all_types WHERE id = ?`, [row.id], { prepare: true });
      const got = rs.first();
      for (const [k, v] of Object.entries(row)) expect(normalizeDriver(k, got.get(k)), `column ${k} of row ${row.id}`).toEqual(expected(k, v));
    }
  });

  it('our client reads what cassandra-driver wrote', async () => {
    await driver.execute(`INSERT INTO all_types (id, bi, t, m, dt, tu, ip) VALUES (?, ?, ?, ?, ?, ?, ?)`, [
      100, cassandra.types.Long.fromString('-9223372036854775808'), 'ünï', { a: 1 }, cassandra.types.LocalDate.fromString('2024-02-29'),
      cassandra.types.TimeUuid.fromString('e3a4b1f0-cb0d-11ef-8000-000000000001'), cassandra.types.InetAddress.fromString('::1'),
    ], { prepare: true });
    const got = decodeRows((await c.query(`SELECT bi, t, m, dt, tu, ip FROM ${KS}.all_types WHERE id = 100`)) as never)[0];
    expect(got).toEqual({ bi: -(1n << 63n), t: 'ünï', m: new Map([['a', 1]]), dt: 19782, tu: 'e3a4b1f0-cb0d-11ef-8000-000000000001', ip: '::1' });
  });

  it('counters increment through a counter batch and read as bigint', async () => {
    const upd = await c.prepare(`UPDATE ${KS}.counters SET n = n + ? WHERE id = ?`);
    await c.batch([{ statement: upd, values: [5n, 1] }, { statement: upd, values: [-2, 1] }], { type: 2 });
    const got = decodeRows((await c.query(`SELECT n FROM ${KS}.counters WHERE id = 1`)) as never)[0];
    expect(got.n).toBe(3n);
  });

  it('rejects a value that does not fit its column with the column named', async () => {
    const stmt = await c.prepare(`INSERT INTO ${KS}.all_types (id, si) VALUES (?, ?)`);
    await expect(c.execute(stmt, [9, 40000])).rejects.toThrow(/si: expected a smallint value/);
    // the connection is still usable afterwards
    await c.execute(stmt, [9, 1]);
  });
});

/**
 * The comparable form of a value in our client's representation (what we bind and what we read
 * back). Inputs differ from decoded values only in the text forms accepted for date, decimal and
 * time, and in float precision, which `expected` handles first.
 */
function canonOurs(col: string, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  switch (col) {
    case 'ts': return (v as Date).getTime();
    case 'b': return (v as Buffer).toString('hex');
    case 'du': { const d = v as CqlDuration; return `${d.months}/${d.days}/${d.nanoseconds}`; }
    case 'bi': case 'vi': return String(v);
    case 'nested': return JSON.stringify([...(v as Map<string, Map<number, string[]>[]>)].map(([k, l]) => [k, l.map((m) => [...m])]));
    case 'm': return Object.fromEntries(v as Map<string, number>);
    case 'tup': return (v as unknown[]).map((x) => (typeof x === 'bigint' ? String(x) : x));
    default: return v;
  }
}

/** An input value as it must read back: date/decimal/time inputs are already text; floats lose precision. */
function expected(col: string, v: unknown): unknown {
  if (col === 'fl' && typeof v === 'number') return Math.fround(v);
  if (col === 'dt' || col === 'de' || col === 'tm') return v ?? null;
  return canonOurs(col, v);
}

/** A value our client decoded, in the form of `expected`. */
function normalizeOurs(col: string, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (col === 'dt') return formatDate(v as number);
  if (col === 'de') return formatDecimal(v as CqlDecimal);
  if (col === 'tm') return formatTimeNs(v as bigint);
  return canonOurs(col, v);
}

function normalizeDriver(col: string, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  const s = (x: unknown): string => String(x);
  switch (col) {
    case 'dt': return s(v);
    case 'de': return s(v);
    case 'tm': return formatTimeNs(BigInt(s((v as cassandra.types.LocalTime).getTotalNanoseconds())));
    case 'ts': return (v as Date).getTime();
    case 'b': return (v as Buffer).toString('hex');
    case 'du': { const d = v as cassandra.types.Duration & { months: number; days: number; nanoseconds: cassandra.types.Long }; return `${d.months}/${d.days}/${s(d.nanoseconds)}`; }
    case 'bi': case 'vi': return s(v);
    case 'u': case 'tu': case 'ip': return s(v);
    case 'nested': return JSON.stringify(Object.entries(v as Record<string, Record<string, string[]>[]>).map(([k, l]) => [k, l.map((m) => Object.entries(m).map(([mk, mv]) => [Number(mk), mv]))]));
    case 'm': return { ...(v as Record<string, number>) };
    case 'tup': return (v as cassandra.types.Tuple).values().map((x: unknown) => (x && typeof x === 'object' ? s(x) : x));
    case 'addr': return { ...(v as object) };
    default: return v;
  }
}

function formatTimeNs(ns: bigint): string {
  const h = ns / 3_600_000_000_000n;
  const m = (ns / 60_000_000_000n) % 60n;
  const sec = (ns / 1_000_000_000n) % 60n;
  const frac = ns % 1_000_000_000n;
  const base = `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`;
  return frac === 0n ? base : `${base}.${String(frac).padStart(9, '0')}`;
}
