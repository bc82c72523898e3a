/**
 * A run against the real Apache Cassandra 5.0, which has neither service levels nor shards:
 * one clear warning for each and the run goes on (shard-aware becomes token-aware); with
 * --strict, a missing service level feature stops it with one line and exit 2.
 */
import { describe, expect, it } from 'vitest';
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
    expect(s.classes.app.ops.get.count + s.classes.app.ops.put.count).toBe(400);
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
