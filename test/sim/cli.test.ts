import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { Connection } from '../../src/cql/connection.js';
import { decodeRows } from '../../src/cql/rows.js';
import { runSimCommand } from '../../src/sim/cli.js';
import { runCli } from '../support/cli.js';
import { simHost } from '../support/sim-host.js';

describe('runSimCommand', () => {
  it('prints where every node listens, serves until aborted, and exits 0', async () => {
    const host = simHost();
    const lines: string[] = [];
    const abort = new AbortController();
    const done = runSimCommand({ nodes: 2, shards: 3, host, metricsPort: 0, vnodesPerNode: 8, signal: abort.signal, print: (l) => lines.push(l) });
    for (let i = 0; i < 100 && !lines.includes('ready; Ctrl-C stops'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(lines[0]).toMatch(/^scylla-bench emulator: 2 nodes × 3 shards, datacenter1, 8 vnodes\/node, release_version 3\.0\.8$/);
    const node2 = host.replace(/\.1$/, '.2');
    expect(lines.some((l) => l.includes(`node 2  ${node2}:9042  shard-aware 19042`))).toBe(true);
    expect(lines.some((l) => /metrics http:\/\/.+\/metrics/.test(l))).toBe(true);
    // it really listens
    await new Promise<void>((resolve, reject) => net.connect({ host: node2, port: 19042 }).once('connect', function (this: net.Socket) { this.destroy(); resolve(); }).once('error', reject));
    abort.abort();
    expect(await done).toBe(0);
  });

  it('answers a taken address with one line and exit code 2', async () => {
    const host = simHost();
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(9042, host, () => r()));
    const stderr: string[] = [];
    const orig = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => { stderr.push(String(s)); return true; }) as typeof process.stderr.write;
    try {
      expect(await runSimCommand({ nodes: 1, shards: 1, host, print: () => {} })).toBe(2);
    } finally {
      process.stderr.write = orig;
      blocker.close();
    }
    expect(stderr.join('')).toMatch(/^sim: address in use: .*9042/);
  });
});

describe('scylla-bench sim (the built CLI as a process)', () => {
  it('stays up serving until SIGTERM, per-node metrics included, then stops with exit 0', async () => {
    const host = simHost();
    let child: import('node:child_process').ChildProcess | undefined;
    const done = runCli(['sim', '--nodes', '2', '--shards', '2', '--host', host, '--node-metrics-port', '9180', '--latency', 'read=lognormal:p50=2,p99=8'], { onSpawn: (c) => { child = c; }, timeoutMs: 30_000 });
    let out = '';
    child!.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    for (let i = 0; i < 250 && !out.includes('ready; Ctrl-C stops'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(out).toContain('ready; Ctrl-C stops');
    // still there a while later (nothing but its listeners keeps it alive)
    await new Promise((r) => setTimeout(r, 300));
    expect(child!.exitCode).toBeNull();
    const node2 = host.replace(/\.1$/, '.2');
    const metrics = await (await fetch(`http://${node2}:9180/metrics`)).text();
    expect(metrics).toMatch(/^scylla_storage_proxy_replica_cross_shard_ops\{scheduling_group_name="sl:default",shard="1"\} 0$/m);
    child!.kill('SIGTERM');
    const r = await done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('sim: stopped');
  });

  it('--large-rows-count and --flush-interval: a partition past the line shows up in system.large_partitions by itself', async () => {
    const host = simHost();
    let child: import('node:child_process').ChildProcess | undefined;
    const done = runCli(['sim', '--nodes', '1', '--shards', '1', '--host', host, '--large-rows-count', '5', '--flush-interval', '200ms'], { onSpawn: (c) => { child = c; }, timeoutMs: 30_000 });
    let out = '';
    child!.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    for (let i = 0; i < 250 && !out.includes('ready; Ctrl-C stops'); i++) await new Promise((r) => setTimeout(r, 20));
    const c = await Connection.connect({ host, port: 9042 });
    try {
      await c.query("CREATE KEYSPACE lc WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
      await c.query('CREATE TABLE lc.t (p int, c int, PRIMARY KEY (p, c))');
      for (let i = 0; i < 6; i++) await c.query(`INSERT INTO lc.t (p, c) VALUES (1, ${i})`);
      let found: unknown[] = [];
      for (let i = 0; i < 100 && found.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
        const r = await c.query("SELECT partition_key, rows FROM system.large_partitions WHERE keyspace_name = 'lc' AND table_name = 't'");
        found = r.kind === 'rows' ? decodeRows(r) : [];
      }
      expect(found).toEqual([{ partition_key: '{key: pk{000400000001}, token:-4069959284402364209}', rows: 6n }]); // int 1, as Scylla writes it (the reference's example)
    } finally {
      await c.close();
      child!.kill('SIGTERM');
    }
    expect((await done).code).toBe(0);
  });

  it('a bad large-data flag: one line naming it, exit 2', async () => {
    const r = await runCli(['sim', '--large-partition-mb', 'lots']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--large-partition-mb.*'lots'/);
  });

  it('a bad view delay: one line naming the flag, exit 2', async () => {
    for (const [flag, v] of [['--view-delay-ms', '-5'], ['--view-delay-per-pending-ms', 'soon']]) {
      const r = await runCli(['sim', flag, v]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(flag);
    }
  });
});
