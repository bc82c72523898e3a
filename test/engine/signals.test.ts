/**
 * Signals are honoured at every moment of a run: from the launcher's first line to the last, a
 * SIGINT or SIGTERM stops the run quickly, a valid result says `stopped: "signal"`, the exit code
 * is 1, and the emulator child started for the run does not outlive it.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/results/result.js';
import { startSim } from '../../src/sim/index.js';
import { runCli } from '../support/cli.js';
import { simHost } from '../support/sim-host.js';

const validate = new Ajv2020.default({ strict: false }).compile(JSON.parse(readFileSync('docs/schemas/result.schema.json', 'utf8')));

/** Processes whose parent is `pid` and whose command line runs the emulator child. */
function emulatorChildrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid && readFileSync(`/proc/${d}/cmdline`, 'utf8').includes('sim/child.js')) out.push(Number(d));
    } catch { /* gone */ }
  }
  return out;
}

/**
 * True once the launcher's first lines ran: it names the process `scylla-bench` right after
 * installing its signal handlers. Before that Node is still bootstrapping, and its own early
 * handlers re-raise a signal (no program can catch one then).
 */
function launcherReady(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('scylla-bench');
  } catch {
    return false;
  }
}

const alive = (pid: number): boolean => { try { process.kill(pid, 0); return true; } catch { return false; } };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('signals at every moment', () => {
  it('20 signals at random moments: each run stops soon, leaves a valid result marked stopped, exit 1, no orphan emulator', async () => {
    const out = 'results/test-signals';
    const moments: number[] = [];
    // start-up is where signals were lost: half the moments fall in the first 1.5 s
    for (let i = 0; i < 20; i++) moments.push(i % 2 === 0 ? Math.random() * 1500 : 1500 + Math.random() * 4500);
    const log: string[] = [];
    for (const [i, delayMs] of moments.entries()) {
      const sig: NodeJS.Signals = i % 3 === 2 ? 'SIGTERM' : 'SIGINT';
      let pid = 0;
      const children = new Set<number>();
      let signalledAt = 0;
      const done = runCli(['run', 'test/fixtures/engine/signals.yaml', '--target', `sim:${simHost()}`, '--json', '--out', out], {
        onSpawn: (c) => { pid = c.pid!; },
        timeoutMs: 90_000,
      });
      const watch = setInterval(() => { for (const c of emulatorChildrenOf(pid)) children.add(c); }, 50);
      // the moments count from the launcher's first line
      for (let t = 0; t < 1000 && !launcherReady(pid); t++) await sleep(2);
      expect(launcherReady(pid)).toBe(true);
      await sleep(delayMs);
      signalledAt = Date.now();
      process.kill(pid, sig);
      const r = await done;
      const stopMs = Date.now() - signalledAt;
      clearInterval(watch);
      log.push(`${sig} at ${delayMs.toFixed(0)} ms: exit ${r.code} after ${stopMs} ms`);
      // the 20 s measure phase never ran to its end: the run stopped on the signal
      expect(stopMs, log.join('\n')).toBeLessThan(8000);
      expect(r.code, `${log.join('\n')}\n${r.stderr}`).toBe(1);
      const summary = JSON.parse(r.stdout);
      expect(summary.stopped).toBe('signal');
      const result = JSON.parse(readFileSync(path.join(summary.resultDir, 'result.json'), 'utf8')) as RunResult;
      expect(result.stopped).toBe('signal');
      expect(validate(result), JSON.stringify(validate.errors)).toBe(true);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      // the emulator child ended with the run
      for (let t = 0; t < 60 && [...children].some(alive); t++) await sleep(50);
      expect([...children].filter(alive), log.join('\n')).toEqual([]);
    }
    writeFileSync(path.join(out, 'signals.log'), `${log.join('\n')}\n`);
  }, 600_000);

  it('a signal while the coordinator reads the target\'s counters before a phase\'s start: the run ends, no hang', async () => {
    // Found by stress under load: a stop between the workers' 'ready' and 'go' (while the
    // coordinator scraped the cluster's metrics) ended the workers' phase at once, and the
    // coordinator then sent 'go' and waited for a 'phase-done' that had already gone by.
    // A node's :9180 that answers slowly holds the coordinator in that window on purpose.
    const host = simHost();
    const sim = await startSim({ nodes: 1, shards: 2, host });
    let runPid = 0;
    let scrapes = 0;
    const slow = http.createServer((req, res) => {
      scrapes++;
      if (scrapes === 1) process.kill(runPid, 'SIGINT');
      setTimeout(() => { res.end('# nothing\n'); }, 3000);
    });
    await new Promise<void>((r) => slow.listen(9180, host, r));
    try {
      const r = await runCli(['run', 'test/fixtures/engine/signals.yaml', '--target', host, '--json', '--out', 'results/test-signals'], {
        onSpawn: (c) => { runPid = c.pid!; }, timeoutMs: 30_000,
      });
      expect(scrapes).toBeGreaterThan(0);
      expect(r.code, r.stderr).toBe(1);
      const summary = JSON.parse(r.stdout);
      expect(summary.stopped).toBe('signal');
      expect(validate(JSON.parse(readFileSync(path.join(summary.resultDir, 'result.json'), 'utf8'))), JSON.stringify(validate.errors)).toBe(true);
    } finally {
      slow.close();
      await sim.stop();
    }
  });

  it('a killed loader (SIGKILL) takes its emulator child with it', async () => {
    let pid = 0;
    const done = runCli(['run', 'test/fixtures/engine/signals.yaml', '--target', `sim:${simHost()}`, '--out', 'results/test-signals'], { onSpawn: (c) => { pid = c.pid!; } });
    let children: number[] = [];
    for (let t = 0; t < 200 && children.length === 0; t++) { await sleep(50); children = emulatorChildrenOf(pid); }
    expect(children).toHaveLength(1);
    process.kill(pid, 'SIGKILL');
    await done;
    for (let t = 0; t < 100 && alive(children[0]); t++) await sleep(50);
    expect(alive(children[0])).toBe(false);
  });
});

describe('--out is checked before anything runs', () => {
  it('a kernel pseudo-filesystem, a file, or a path under a file: one line naming --out, exit 2, no hang', async () => {
    const file = 'results/test-signals-not-a-dir';
    writeFileSync(file, 'x');
    expect(statSync(file).isFile()).toBe(true);
    for (const bad of ['/proc/scylla-bench-results', '/sys/x/y', file, `${file}/sub`]) {
      const r = await runCli(['run', 'test/fixtures/engine/signals.yaml', '--out', bad], { timeoutMs: 30_000 });
      expect(r.code, bad).toBe(2);
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr).toMatch(/^scylla-bench: --out: /);
      expect(r.stderr).toContain(bad.startsWith('/') ? bad.split('/').slice(0, 2).join('/') : 'test-signals-not-a-dir');
    }
    expect(existsSync('/proc/scylla-bench-results')).toBe(false);
  });
});
