import net from 'node:net';
import { describe, expect, it } from 'vitest';
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
});
