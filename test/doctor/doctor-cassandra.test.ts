/**
 * doctor against the real Cassandra 5.0: the checks Cassandra can answer (compaction from
 * system_schema against the profile's mix, replication and consistency) judge it, and the
 * Scylla-only ones say they do not apply (SKIP) instead of failing or guessing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../src/cql/connection.js';
import { runDoctor, type DoctorOptions, type DoctorReport } from '../../src/doctor/index.js';
import { loadProfile } from '../../src/profile/load.js';
import { runCli } from '../support/cli.js';
import { cassandraInfo, connectCassandra } from '../support/real.js';
import { applySchema, one } from './support.js';

const info = cassandraInfo();

describe.skipIf(!info)('doctor on the real Cassandra', () => {
  let c: Connection;
  const base = (): DoctorOptions => ({
    contacts: [{ host: info!.host, port: info!.port }], credentials: { username: info!.username, password: info!.password },
    connectTimeoutMs: 20_000, requestTimeoutMs: 30_000, metricsWindowMs: 1,
  });
  beforeAll(async () => {
    c = await connectCassandra(info!);
    await c.query('DROP KEYSPACE IF EXISTS sb_doc');
    await applySchema(c, 'test/fixtures/doctor/doctor-wl.yaml');
  });
  afterAll(async () => {
    await c?.query('DROP KEYSPACE IF EXISTS sb_doc').catch(() => undefined);
    await c?.close();
  });

  it('judges compaction and replication from Cassandra\'s system_schema; the Scylla-only checks are SKIP', async () => {
    const profile = await loadProfile('test/fixtures/doctor/bad.yaml');
    const r = await runDoctor({ ...base(), profile });
    const users = one(r, 'compaction', 'table sb_doc.users');
    expect(users.status).toBe('FAIL');
    expect(users.evidence[0].source).toBe(`${info!.host}:${info!.port} system_schema.tables`);
    expect(users.evidence[0].detail).toMatch(/class: org\.apache\.cassandra\.db\.compaction\.LeveledCompactionStrategy/);
    const events = one(r, 'compaction', 'table sb_doc.events');
    expect(events.status).toBe('PASS');
    expect(events.evidence[0].detail).toMatch(/TimeWindowCompactionStrategy.*default_time_to_live 86400, first clustering column at timestamp/);
    const repl = one(r, 'replication', 'keyspace sb_doc');
    expect(repl.status).toBe('FAIL'); // RF 3 on a one-node cluster
    expect(repl.summary).toMatch(/RF 3 in datacenter1 but only 1 node/);
    for (const check of ['shard-aware', 'clients', 'workload-types', 'monitoring'] as const) {
      expect(one(r, check).status, check).toBe('SKIP');
    }
    // no system.large_partitions on Cassandra; the profile's own estimate still applies
    expect(one(r, 'partitions', 'cluster').status).toBe('SKIP');
    expect(one(r, 'partitions', 'table sb_doc.users (profile estimate)').status).toBe('PASS');
    expect(one(r, 'shard-imbalance').status).toBe('WARN'); // no per-shard data
  });

  it('the built CLI on Cassandra: a good profile passes compaction, its RF 3 on one node exits 1, the service levels it names SKIP', async () => {
    const env = { SCYLLA_BENCH_USERNAME: info!.username, SCYLLA_BENCH_PASSWORD: info!.password };
    const r = await runCli(['doctor', '--target', `${info!.host}:${info!.port}`, '--profile', 'test/fixtures/doctor/good.yaml', '--json'], { env, timeoutMs: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    const rep = JSON.parse(r.stdout) as DoctorReport;
    expect(one(rep, 'compaction', 'table sb_doc.users').status).toBe('PASS'); // read-mostly on LCS
    expect(one(rep, 'compaction', 'table sb_doc.events').status).toBe('PASS');
    expect(one(rep, 'replication', 'keyspace sb_doc').status).toBe('FAIL');
    expect(rep.totals.FAIL).toBe(1);
    expect(one(rep, 'workload-types').status).toBe('SKIP');
    expect(rep.inputs.metricsUrls).toEqual([]); // Cassandra serves no Prometheus endpoint to guess
  });
});
