import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim, type Sim } from '../../src/sim/index.js';
import { runVenv, skipPython } from '../support/python-venv.js';
import { simHost } from '../support/sim-host.js';

describe.skipIf(skipPython)('cqlsh (scylla-cqlsh) against the emulator', () => {
  let sim: Sim;
  const host = simHost();
  beforeAll(async () => {
    sim = await startSim({ nodes: 3, shards: 2, host, vnodesPerNode: 32 });
  });
  afterAll(async () => { await sim.stop(); });

  it('DESCRIBE KEYSPACES lists the system keyspaces', async () => {
    const r = await runVenv('cqlsh', [host, '9042', '-e', 'DESCRIBE KEYSPACES']);
    expect(r.code, r.stderr).toBe(0);
    for (const ks of ['system', 'system_schema', 'system_auth']) expect(r.stdout.split(/\s+/)).toContain(ks);
  });

  it('runs tests/queries.cql without an error', async () => {
    const r = await runVenv('cqlsh', [host, '9042', '-f', 'tests/queries.cql']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // the batch, the TTL insert and the view all produced rows
    expect(r.stdout).toContain('p2');
    expect(r.stdout).toMatch(/\|\s+86400 \|/);
    expect(r.stdout).toContain('(3 rows)');
  });

  it('rejects a view key without every base key column, with Scylla\'s message', async () => {
    const setup = [
      "CREATE KEYSPACE mvk WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1};",
      'CREATE TABLE mvk.events (partition_id int, event_time timestamp, event_id timeuuid, event_type text, data text, PRIMARY KEY ((partition_id), event_time, event_id));',
      'CREATE MATERIALIZED VIEW mvk.events_by_type AS SELECT * FROM mvk.events WHERE event_type IS NOT NULL AND partition_id IS NOT NULL AND event_time IS NOT NULL PRIMARY KEY ((event_type), partition_id, event_time);',
    ].join('\n');
    const r = await runVenv('cqlsh', [host, '9042', '-e', setup]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('InvalidRequest');
    expect(r.stderr).toContain('Cannot create Materialized View events_by_type without primary key columns from base events (event_id)');
  });
});

describe.skipIf(skipPython)('cqlsh with --auth (PasswordAuthenticator, LZ4 negotiated by the python driver)', () => {
  let sim: Sim;
  const host = simHost();
  beforeAll(async () => {
    sim = await startSim({ nodes: 1, shards: 2, host, vnodesPerNode: 8, auth: true });
  });
  afterAll(async () => { await sim.stop(); });

  it('logs in as cassandra/cassandra, manages roles, and refuses a wrong password', async () => {
    const ok = await runVenv('cqlsh', [host, '9042', '-u', 'cassandra', '-p', 'cassandra', '-e', "CREATE ROLE app WITH PASSWORD = 'pw' AND LOGIN = true; LIST ROLES"]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^\s*app \|\s+False \|\s+True \|/m);
    expect(ok.stdout).toMatch(/^\s*cassandra \|\s+True \|\s+True \|/m);
    const app = await runVenv('cqlsh', [host, '9042', '-u', 'app', '-p', 'pw', '-e', "SELECT role FROM system_auth.roles WHERE role = 'app'"]);
    expect(app.code, app.stderr).toBe(0);
    const bad = await runVenv('cqlsh', [host, '9042', '-u', 'cassandra', '-p', 'wrong', '-e', 'DESCRIBE KEYSPACES']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('Username and/or password are incorrect');
  });
});
