/**
 * A run against the real Apache Cassandra 5.0, which has neither service levels nor shards:
 * one clear warning for each and the run goes on (shard-aware becomes token-aware); with
 * --strict, a missing service level feature stops it with one line and exit 2.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Connection } from '../../src/cql/connection.js';
import { decodeRows } from '../../src/cql/rows.js';
import type { RowsResult } from '../../src/cql/messages.js';
import { startSim } from '../../src/sim/index.js';
import { simHost } from '../support/sim-host.js';
import { cassandraInfo } from '../support/real.js';
import { runCli } from '../support/cli.js';

const info = cassandraInfo();

describe.skipIf(!info)('service levels on Apache Cassandra', () => {
  const env = () => ({ SCYLLA_BENCH_USERNAME: info!.username, SCYLLA_BENCH_PASSWORD: info!.password });
  const target = () => `${info!.host}:${info!.port}`;

  it('warns once and runs without them', async () => {
    const r = await runCli(['run', 'test/fixtures/engine/sl-cassandra.yaml', '--target', target(), '--json', '--out', 'results/test-sl'], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    const w = s.warnings.filter((x: string) => x.includes('service levels are not supported'));
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(/running without service levels/);
    expect(s.classes.app.serviceLevel).toBe('oltp');
    // not Scylla: shard-aware falls back to token-aware, with one clear warning
    expect(s.classes.app.routing).toBe('token-aware');
    expect(s.warnings.filter((x: string) => /is not Scylla \(no sharding information\): shard-aware routing falls back to token-aware/.test(x))).toHaveLength(1);
    // every intended start was sent and completed, or counted unsent when the window closed
    expect(s.classes.app.ops.get.count + s.classes.app.ops.put.count + s.classes.app.rate.unsent).toBe(400);
    // no statement carrying a password reaches the output
    expect(r.stdout + r.stderr).not.toContain('PASSWORD =');
  });

  it('--strict stops with one line and exit 2', async () => {
    const r = await runCli(['run', 'test/fixtures/engine/sl-cassandra.yaml', '--target', target(), '--strict'], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/sl-cassandra\.yaml: service levels are not supported by the target/);
  });
});

describe('service levels on the emulator (no Cassandra needed)', () => {
  it('the result lists the levels and attachments; --teardown removes the levels and roles the run created', async () => {
    const host = simHost();
    const sim = await startSim({ nodes: 1, shards: 2, host, auth: true });
    try {
      const env = { SCYLLA_BENCH_USERNAME: 'cassandra', SCYLLA_BENCH_PASSWORD: 'cassandra' };
      const r = await runCli(['run', 'test/fixtures/engine/sl-cassandra.yaml', '--target', `${host}:9042`, '--teardown', '--json', '--out', 'results/test-sl'], { env });
      expect(r.code, r.stderr).toBe(0);
      const s = JSON.parse(r.stdout);
      expect(s.classes.app.serviceLevel).toBe('oltp');
      expect(s.classes.app.serviceLevelTimeoutMs).toBe(50);
      const result = JSON.parse(readFileSync(`${s.resultDir}/result.json`, 'utf8'));
      expect(result.serviceLevels.applied).toBe(true);
      expect(result.serviceLevels.roles).toEqual({ app: 'sb_app' });
      expect(result.serviceLevels.levels.map((l: { service_level: string }) => l.service_level)).toContain('oltp');
      expect(result.serviceLevels.attached).toContainEqual(expect.objectContaining({ role: 'sb_app', service_level: 'oltp' }));
      // the generated password is in neither the output nor the result
      expect(JSON.stringify(result)).not.toMatch(/PASSWORD/i);
      const c = await Connection.connect({ host, port: 9042, credentials: { username: 'cassandra', password: 'cassandra' } });
      const levels = decodeRows((await c.query('LIST ALL SERVICE LEVELS')) as RowsResult).map((x) => x.service_level);
      expect(levels).not.toContain('oltp');
      const attached = decodeRows((await c.query('LIST ALL ATTACHED SERVICE LEVELS')) as RowsResult);
      expect(attached.some((x) => x.role === 'sb_app')).toBe(false);
      await c.close();
    } finally {
      await sim.stop();
    }
  });
});
