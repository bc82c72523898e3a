import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { runSimCommand } from '../../src/sim/cli.js';
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
