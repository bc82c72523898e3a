import { describe, expect, it } from 'vitest';
import { CqlSyntaxError, parseStatement, parseType, tokenize, UnsupportedStatementError } from '../../src/cql/parser/index.js';
import type { BatchStatement, CreateTableStatement, CreateViewStatement, InsertStatement, SelectStatement, UpdateStatement } from '../../src/cql/parser/index.js';

describe('CQL lexer', () => {
  it('folds unquoted identifiers, keeps quoted ones, and reads durations, UUIDs and blobs as single tokens', () => {
    const toks = tokenize(`SELECT "MixedCase", Foo FROM t WHERE id = 5b6962dd-3f90-4c93-8f61-eabfa4a803e2 AND b = 0xCAFE USING TIMEOUT 2000ms`);
    const kinds = toks.map((t) => `${t.kind}:${t.value}`);
    expect(kinds).toContain('qident:MixedCase');
    expect(kinds).toContain('ident:foo');
    expect(kinds).toContain('uuid:5b6962dd-3f90-4c93-8f61-eabfa4a803e2');
    expect(kinds).toContain('hex:cafe');
    expect(kinds).toContain('duration:2000ms');
    expect(tokenize('P1DT2H PT30S pk p1').map((t) => `${t.kind}:${t.value}`)).toEqual(['duration:p1dt2h', 'duration:pt30s', 'ident:pk', 'ident:p1', 'eof:']);
  });

  it('handles comments, escaped quotes and $$ strings', () => {
    const toks = tokenize("-- c\nSELECT 'it''s' /* x */ , $$a'b$$ // y\n");
    expect(toks.filter((t) => t.kind === 'string').map((t) => t.value)).toEqual(["it's", "a'b"]);
    expect(toks[0].line).toBe(2);
  });
});

describe('CQL parser', () => {
  it('parses a SELECT with every clause of the subset', () => {
    const p = parseStatement('SELECT a, count(*) AS n, writetime(b) FROM ks.t WHERE token(a) > ? AND token(a) <= :hi AND c IN (1, 2) ORDER BY c DESC PER PARTITION LIMIT 2 LIMIT 10 ALLOW FILTERING BYPASS CACHE USING TIMEOUT 2000ms;');
    const s = p.statement as SelectStatement;
    expect(s.kind).toBe('select');
    expect(s.table).toEqual({ keyspace: 'ks', name: 't' });
    expect(s.selectors?.map((x) => x.expr.kind)).toEqual(['column', 'count-star', 'function']);
    expect(s.selectors?.[1].alias).toBe('n');
    expect(s.where.map((r) => r.kind)).toEqual(['token', 'token', 'in']);
    expect(s.orderBy).toEqual([{ column: 'c', desc: true }]);
    expect(s.allowFiltering && s.bypassCache).toBe(true);
    expect(s.using.timeout).toEqual({ kind: 'literal', type: 'duration', value: '2000ms' });
    expect(p.bindCount).toBe(2);
    expect(p.bindNames).toEqual([undefined, 'hi']);
  });

  it('parses INSERT with IF NOT EXISTS and USING TTL/TIMESTAMP/TIMEOUT, and literal kinds', () => {
    const s = parseStatement("INSERT INTO t (a, b, c, d, e) VALUES (-1, 'x', {'k': 1.5}, [now(), ?], {f: true}) IF NOT EXISTS USING TTL 10 AND TIMESTAMP 123 AND TIMEOUT 1s").statement as InsertStatement;
    expect(s.ifNotExists).toBe(true);
    expect(s.values.map((v) => v.kind)).toEqual(['literal', 'literal', 'map', 'list', 'udt']);
    expect(s.values[0]).toEqual({ kind: 'literal', type: 'integer', value: '-1' });
    expect(Object.keys(s.using).sort()).toEqual(['timeout', 'timestamp', 'ttl']);
  });

  it('parses UPDATE assignments (set, add, remove, prepend, element) and conditions', () => {
    const s = parseStatement("UPDATE t USING TTL 5 SET a = 1, s = s + {'x'}, n = n - 1, l = [0] + l, m['k'] = 'v' WHERE k = 1 IF a = 2").statement as UpdateStatement;
    expect(s.assignments.map((a) => a.kind)).toEqual(['set', 'add', 'remove', 'prepend', 'set-element']);
    expect(s.conditions).toHaveLength(1);
  });

  it('parses BATCH with mixed statements', () => {
    const s = parseStatement('BEGIN UNLOGGED BATCH USING TIMESTAMP 5 INSERT INTO t (a) VALUES (1); DELETE FROM t WHERE a = 2; APPLY BATCH').statement as BatchStatement;
    expect(s.type).toBe('unlogged');
    expect(s.statements.map((x) => x.kind)).toEqual(['insert', 'delete']);
  });

  it('parses CREATE TABLE with composite keys, static columns, options and clustering order', () => {
    const s = parseStatement(`CREATE TABLE IF NOT EXISTS ks.t (a int, b text, c timestamp, d frozen<map<text, list<int>>>, s int STATIC, u tuple<int, text>,
      PRIMARY KEY ((a, b), c)) WITH CLUSTERING ORDER BY (c DESC) AND compaction = {'class': 'LeveledCompactionStrategy'} AND gc_grace_seconds = 10`).statement as CreateTableStatement;
    expect(s.partitionKey).toEqual(['a', 'b']);
    expect(s.clusteringKey).toEqual(['c']);
    expect(s.clusteringOrder).toEqual([{ column: 'c', desc: true }]);
    expect(s.columns.find((c) => c.name === 's')?.isStatic).toBe(true);
    expect(s.columns.find((c) => c.name === 'd')?.type).toEqual({ kind: 'map', key: { kind: 'text' }, value: { kind: 'list', element: { kind: 'int' } }, frozen: true });
    expect(s.properties.map((p) => p.name)).toEqual(['compaction', 'gc_grace_seconds']);
  });

  it('parses CREATE MATERIALIZED VIEW', () => {
    const s = parseStatement('CREATE MATERIALIZED VIEW v AS SELECT * FROM t WHERE a IS NOT NULL AND b IS NOT NULL PRIMARY KEY ((b), a) WITH CLUSTERING ORDER BY (a DESC)').statement as CreateViewStatement;
    expect(s.partitionKey).toEqual(['b']);
    expect(s.clusteringKey).toEqual(['a']);
    expect(s.where.every((r) => r.kind === 'column' && r.op === 'IS NOT NULL')).toBe(true);
  });

  it('parses roles and service-level statements (both spellings)', () => {
    expect(parseStatement("CREATE ROLE IF NOT EXISTS r WITH PASSWORD = 'p' AND LOGIN = true AND SUPERUSER = false").statement).toEqual({ kind: 'create-role', name: 'r', ifNotExists: true, options: { password: 'p', login: true, superuser: false } });
    expect(parseStatement('ATTACH SERVICE_LEVEL oltp TO app').statement).toEqual({ kind: 'attach-service-level', name: 'oltp', role: 'app' });
    expect(parseStatement('DETACH SERVICE LEVEL FROM app').statement).toEqual({ kind: 'detach-service-level', role: 'app' });
    expect(parseStatement('LIST ALL SERVICE LEVELS').statement).toEqual({ kind: 'list-all-service-levels' });
    expect(parseStatement("CREATE SERVICE LEVEL IF NOT EXISTS olap WITH shares = 100 AND timeout = 500ms AND workload_type = 'batch'").statement.kind).toBe('create-service-level');
    expect(parseStatement('LIST ALL SERVICE_LEVELS').statement).toEqual({ kind: 'list-all-service-levels' });
    expect(parseStatement('DROP SERVICE_LEVEL IF EXISTS olap').statement).toEqual({ kind: 'drop-service-level', name: 'olap', ifExists: true });
    expect(parseStatement('ALTER SERVICE LEVEL olap WITH timeout = -5ms').statement).toEqual({ kind: 'alter-service-level', name: 'olap', properties: [{ name: 'timeout', value: { kind: 'string', value: '-5ms' } }] });
    expect(parseStatement('GRANT SELECT ON KEYSPACE ks TO r').statement).toEqual({ kind: 'grant-permission', permission: 'select', resource: { kind: 'keyspace', keyspace: 'ks' }, role: 'r' });
    expect(parseStatement('REVOKE ALL PERMISSIONS ON ks.t FROM r').statement).toEqual({ kind: 'revoke-permission', permission: 'all', resource: { kind: 'table', table: { keyspace: 'ks', name: 't' } }, role: 'r' });
    expect(() => parseStatement('GRANT r1 TO r2')).toThrow(/role membership/);
  });

  it('reports syntax errors with line:column positions', () => {
    expect(() => parseStatement('SELECT * FORM t')).toThrow(/^line 1:9 mismatched input 'FORM' expecting FROM$/);
    expect(() => parseStatement('SELECT *\nFROM t WHERE')).toThrow(CqlSyntaxError);
    expect(() => parseStatement("INSERT INTO t (a, b) VALUES (1)")).toThrow(/Unmatched column names\/values/);
    expect(() => parseStatement("SELECT 'unterminated")).toThrow(/unterminated string literal/);
  });

  it('names statements it does not implement', () => {
    expect(() => parseStatement('CREATE INDEX ON t (a)')).toThrow(UnsupportedStatementError);
    expect(() => parseStatement("CREATE TRIGGER tr ON ks.t USING 'x'")).toThrow(/CREATE TRIGGER statements are not supported/);
  });

  it('parses every DESCRIBE form of Scylla\'s grammar (cql3/Cql.g describeStatement)', () => {
    const d = (q: string): unknown => parseStatement(q).statement;
    expect(d('DESCRIBE KEYSPACE ks WITH INTERNALS')).toEqual({ kind: 'describe', target: { kind: 'keyspace', keyspace: 'ks', only: false }, withInternals: true, withPasswords: false });
    expect(d('DESC ONLY KEYSPACE "Ks"')).toEqual({ kind: 'describe', target: { kind: 'keyspace', keyspace: 'Ks', only: true }, withInternals: false, withPasswords: false });
    expect(d('desc keyspace;')).toMatchObject({ target: { kind: 'keyspace', only: false } });
    expect(d('DESC KEYSPACES')).toMatchObject({ target: { kind: 'listing', element: 'keyspace' } });
    expect(d('DESC TABLES')).toMatchObject({ target: { kind: 'listing', element: 'table' } });
    expect(d('DESC TYPES')).toMatchObject({ target: { kind: 'listing', element: 'type' } });
    expect(d('DESC FUNCTIONS')).toMatchObject({ target: { kind: 'listing', element: 'function' } });
    expect(d('DESC AGGREGATES')).toMatchObject({ target: { kind: 'listing', element: 'aggregate' } });
    expect(d('DESC TABLE ks.t')).toMatchObject({ target: { kind: 'element', element: 'table', keyspace: 'ks', name: 't' } });
    expect(d('DESC COLUMNFAMILY t')).toMatchObject({ target: { kind: 'element', element: 'table', name: 't' } });
    expect(d('DESC MATERIALIZED VIEW ks.v')).toMatchObject({ target: { kind: 'element', element: 'view', keyspace: 'ks', name: 'v' } });
    expect(d('DESC INDEX ks.i')).toMatchObject({ target: { kind: 'element', element: 'index', name: 'i' } });
    expect(d('DESC TYPE ks.u')).toMatchObject({ target: { kind: 'element', element: 'type', name: 'u' } });
    expect(d('DESC FUNCTION ks.f')).toMatchObject({ target: { kind: 'element', element: 'function', name: 'f' } });
    expect(d('DESC AGGREGATE a')).toMatchObject({ target: { kind: 'element', element: 'aggregate', name: 'a' } });
    expect(d('DESC SCHEMA WITH INTERNALS AND PASSWORDS')).toEqual({ kind: 'describe', target: { kind: 'schema', full: false }, withInternals: true, withPasswords: true });
    expect(d('DESC FULL SCHEMA')).toMatchObject({ target: { kind: 'schema', full: true } });
    expect(d('DESC CLUSTER')).toMatchObject({ target: { kind: 'cluster' } });
    expect(d('DESC ks.thing')).toMatchObject({ target: { kind: 'generic', keyspace: 'ks', name: 'thing' } });
    expect(d('DESC thing WITH INTERNALS')).toMatchObject({ target: { kind: 'generic', name: 'thing' }, withInternals: true });
    expect(() => parseStatement('DESC TABLE')).toThrow(/line 1:10/);
    // what DESCRIBE ... WITH INTERNALS writes parses back
    expect(d('ALTER TABLE ks.t DROP b USING TIMESTAMP 1700000000000000')).toMatchObject({ action: { kind: 'drop', columns: ['b'], timestampUs: 1700000000000000n } });
    expect(d('CREATE TABLE ks.t (a int PRIMARY KEY) WITH ID = 5b6962dd-3f90-4c93-8f61-eabfa4a803e2')).toMatchObject({ properties: [{ name: 'id', value: { kind: 'string', value: '5b6962dd-3f90-4c93-8f61-eabfa4a803e2' } }] });
  });

  it('parses type expressions as system_schema prints them', () => {
    expect(parseType('frozen<list<frozen<tuple<uuid, int>>>>')).toEqual({ kind: 'list', element: { kind: 'tuple', elements: [{ kind: 'uuid' }, { kind: 'int' }] }, frozen: true });
    expect(parseType('varchar')).toEqual({ kind: 'text' });
  });
});
