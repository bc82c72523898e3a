/** src/profile/cql.ts on the shared parser: primary keys, column types, what each ? binds, columns named, syntax errors at their offset. */
import { describe, expect, it } from 'vitest';
import { analyzeStatement, CqlShapeError, parseCqlType, parseSchemaStatement, splitStatements } from '../../src/profile/cql.js';

describe('CREATE TABLE', () => {
  it('PRIMARY KEY ((a, b), c, d): composite partition key and two clustering columns', () => {
    const t = parseSchemaStatement('CREATE TABLE IF NOT EXISTS ks.t (a int, b text, c timestamp, d timeuuid, v frozen<list<text>>, PRIMARY KEY ((a, b), c, d)) WITH CLUSTERING ORDER BY (c DESC)');
    expect(t).toMatchObject({ kind: 'table', keyspace: 'ks', name: 't', partitionKey: ['a', 'b'], clusteringKey: ['c', 'd'] });
    if (t.kind !== 'table') throw new Error('not a table');
    expect(t.columns.map((c) => [c.name, c.type])).toEqual([['a', 'int'], ['b', 'text'], ['c', 'timestamp'], ['d', 'timeuuid'], ['v', 'frozen<list<text>>']]);
  });

  it('PRIMARY KEY (a, c): single partition column, one clustering column', () => {
    expect(parseSchemaStatement('create table t (a bigint, c int, v map<text, int>, primary key (a, c))')).toMatchObject({ partitionKey: ['a'], clusteringKey: ['c'] });
  });

  it('a int PRIMARY KEY: inline key, static columns and quoted names', () => {
    const t = parseSchemaStatement('CREATE TABLE t ("Id" uuid PRIMARY KEY, s text STATIC, "v" varchar)');
    expect(t).toMatchObject({ partitionKey: ['Id'], clusteringKey: [] });
    if (t.kind !== 'table') throw new Error('not a table');
    expect(t.columns.find((c) => c.name === 's')?.isStatic).toBe(true);
  });

  it('materialized views: base table and key', () => {
    const v = parseSchemaStatement('CREATE MATERIALIZED VIEW ks.by_type AS SELECT * FROM ks.events WHERE event_type IS NOT NULL PRIMARY KEY ((event_type), partition_id, event_time)');
    expect(v).toMatchObject({ kind: 'view', name: 'by_type', base: { keyspace: 'ks', name: 'events' }, partitionKey: ['event_type'], clusteringKey: ['partition_id', 'event_time'] });
  });

  it('errors carry the offset of the problem', () => {
    const src = 'CREATE TABLE t (a int, b int, PRIMARY KEY (a, z))';
    try {
      parseSchemaStatement(src);
      throw new Error('accepted');
    } catch (e) {
      expect(e).toBeInstanceOf(CqlShapeError);
      expect(src.slice((e as CqlShapeError).offset)).toMatch(/^z\)/);
    }
    expect(() => parseSchemaStatement('CREATE TABLE t (a int, b int)')).toThrow(/no PRIMARY KEY/);
  });
});

describe('statements and types', () => {
  it('splits on ; outside strings and comments, keeping offsets', () => {
    const src = "CREATE KEYSPACE k WITH replication = {'class': 'a;b'};\n-- a comment; with a semicolon\nCREATE TABLE k.t (a int PRIMARY KEY); /* ; */ ";
    const parts = splitStatements(src);
    expect(parts.map((p) => p.text)).toEqual([
      "CREATE KEYSPACE k WITH replication = {'class': 'a;b'}",
      '-- a comment; with a semicolon\nCREATE TABLE k.t (a int PRIMARY KEY)',
    ]);
    expect(src.slice(parts[1].offset).startsWith('-- a comment')).toBe(true);
  });

  it('parses CQL type text into codec types', () => {
    expect(parseCqlType('varchar')).toEqual({ kind: 'text' });
    expect(parseCqlType('frozen<map<text, list<int>>>')).toEqual({ kind: 'map', key: { kind: 'text' }, value: { kind: 'list', element: { kind: 'int' } }, frozen: true });
    expect(parseCqlType('tuple<int, text>')).toEqual({ kind: 'tuple', elements: [{ kind: 'int' }, { kind: 'text' }] });
    expect(parseCqlType('frozen<address>')).toMatchObject({ kind: 'udt', name: 'address', frozen: true });
  });
});

describe('what each ? binds', () => {
  it('INSERT: the i-th value binds the i-th column', () => {
    expect(analyzeStatement('INSERT INTO ks.t (a, b, c) VALUES (?, 5, ?) IF NOT EXISTS')).toMatchObject({
      verb: 'insert', table: { keyspace: 'ks', name: 't' },
      markers: [{ kind: 'column', column: 'a' }, { kind: 'column', column: 'c' }],
    });
  });

  it('SELECT relations, token range bounds, UPDATE and counter increments', () => {
    expect(analyzeStatement('SELECT * FROM t WHERE a = ? AND b >= ? LIMIT 10').markers.map((m) => (m.kind === 'column' ? m.column : m.kind))).toEqual(['a', 'b']);
    expect(analyzeStatement('SELECT a FROM t WHERE token(a, b) > ? AND token(a, b) <= ?').markers.map((m) => m.kind)).toEqual(['token-lower', 'token-upper']);
    expect(analyzeStatement('UPDATE t SET v = ?, n = n + ? WHERE a = ?').markers.map((m) => (m.kind === 'column' ? m.column : m.kind))).toEqual(['v', 'n', 'a']);
    expect(analyzeStatement('DELETE FROM t WHERE a = ? AND b = ?').verb).toBe('delete');
  });

  it('markers that no row can fill are refused with their offset', () => {
    for (const [cql, msg] of [
      ['SELECT * FROM t WHERE a = ? LIMIT ?', /LIMIT \?/],
      ['INSERT INTO t (a) VALUES (?) USING TTL ?', /USING TTL/],
      ['SELECT * FROM t WHERE a IN ?', /IN \?/],
      ['SELECT * FROM t WHERE a = :a', /named markers/],
      ['SELECT * FROM t WHERE (a, b) > (?, ?)', /multi-column/],
      ['BEGIN BATCH INSERT INTO t (a) VALUES (?) APPLY BATCH', /batch: N/],
    ] as const) {
      expect(() => analyzeStatement(cql), cql).toThrow(msg);
    }
  });
});

describe('on the shared parser', () => {
  it('every column an operation names, at its first mention', () => {
    const src = 'SELECT writetime(v), "Mixed", COUNT(*) FROM ks.t WHERE id = ? AND c > 3 ORDER BY c DESC';
    const shape = analyzeStatement(src);
    expect(shape.columns.map((c) => [c.name, src.slice(c.offset, c.offset + c.name.length + (c.name === 'Mixed' ? 2 : 0))])).toEqual([
      ['v', 'v'], ['Mixed', '"Mixed"'], ['id', 'id'], ['c', 'c'],
    ]);
    expect(analyzeStatement('UPDATE t SET v = ?, n = n + ? WHERE a = ? IF w = 1').columns.map((c) => c.name)).toEqual(['v', 'n', 'a', 'w']);
    expect(analyzeStatement('INSERT INTO t (a, b) VALUES (?, ?)').columns.map((c) => c.name)).toEqual(['a', 'b']);
  });

  it('a statement that does not parse fails at its offset, schema and operation alike', () => {
    const expectAt = (f: () => unknown, src: string, at: string, msg: RegExp) => {
      try {
        f();
        throw new Error('accepted');
      } catch (e) {
        expect(e).toBeInstanceOf(CqlShapeError);
        expect((e as Error).message).toMatch(msg);
        expect(src.slice((e as CqlShapeError).offset)).toMatch(new RegExp(`^${at}`));
      }
    };
    const tabel = 'CREATE TABEL t (a int PRIMARY KEY)';
    expectAt(() => parseSchemaStatement(tabel), tabel, 'TABEL', /syntax error: no viable alternative/);
    const form = 'SELECT v\n  FORM t WHERE a = ?';
    expectAt(() => analyzeStatement(form), form, 'FORM', /mismatched input 'FORM' expecting FROM/);
    const comment = "CREATE KEYSPACE k WITH replication = {'class': 'x'};\n/* open";
    expectAt(() => splitStatements(comment), comment, '/\\*', /unterminated comment/);
    // statements the parser knows but does not implement are the server's to judge
    expect(parseSchemaStatement('CREATE INDEX ON ks.t (v)')).toEqual({ kind: 'other', offset: 0 });
  });
});
