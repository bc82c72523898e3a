/**
 * Rolling restarts: a node goes down for 15 s in the middle of a 60 s fixed-rate run (RF 3, CL
 * ONE). The run completes, every second is in intervals.jsonl, the node takes requests again
 * within 2 s of its return, misroutes go back to 0 once its pool refilled, and the few errors
 * (requests in flight on the dropped connections) are classified. The same with the stock driver.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { IntervalRecord, RunResult } from '../../src/results/result.js';
import { startSim } from '../../src/sim/index.js';
import { runCli } from '../support/cli.js';
import { simHost } from '../support/sim-host.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const KNOWN_KINDS = /^(connection-lost|client-timeout|unavailable|read-timeout|write-timeout|no-host|overloaded|server-error)$/;

/** The measure phase's intervals written so far (the run writes them as each second completes). */
function measureSeconds(out: string): IntervalRecord[] {
  const dirs = existsSync(out) ? readdirSync(out) : [];
  if (dirs.length === 0) return [];
  const f = path.join(out, dirs[0], 'intervals.jsonl');
  if (!existsSync(f)) return [];
  return readFileSync(f, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as IntervalRecord).filter((r) => r.phase === 'measure');
}

async function outageRun(routing: 'shard-aware' | 'driver'): Promise<void> {
  const host = simHost();
  const sim = await startSim({ nodes: 3, shards: 2, host });
  const out = mkdtempSync(`results/test-heal-${routing}-`);
  try {
    const done = runCli(['run', 'test/fixtures/engine/heal.yaml', '--target', `${host}:9042`, '--routing', routing, '--json', '--out', out], { timeoutMs: 150_000 });
    // node 2 (index 1) goes down after 15 measured seconds and comes back 15 s later
    while (measureSeconds(out).length < 15) await sleep(100);
    const downAt = measureSeconds(out).length;
    await sim.setNodeUp(1, false);
    while (measureSeconds(out).length < downAt + 15) await sleep(100);
    await sim.setNodeUp(1, true);
    const upAt = measureSeconds(out).length;
    const r = await done;
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    const result = JSON.parse(readFileSync(path.join(s.resultDir, 'result.json'), 'utf8')) as RunResult;
    const m = result.phases.find((p) => p.kind === 'measure')!;
    const secs = measureSeconds(out);
    // the loader numbers nodes as discovery found them: find the one that went down
    const down = result.cluster.nodes.findIndex((n) => n.host === sim.nodes[1].host);
    expect(down).toBeGreaterThanOrEqual(0);
    // every second of the window is there, in order
    expect(secs.map((x) => x.t).slice(0, 60)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    // down: after the pools noticed (a second or two), node 2 gets nothing
    for (const x of secs.slice(downAt + 2, downAt + 14)) expect(x.nodeRequests[down], `t=${x.t}`).toBe(0);
    // back: it serves again within 2 s of its return, and from then on every second
    const backWithin = secs.slice(upAt, upAt + 3).findIndex((x) => x.nodeRequests[down] > 0);
    expect(backWithin, JSON.stringify(secs.slice(upAt - 1, upAt + 4).map((x) => x.nodeRequests))).toBeGreaterThanOrEqual(0);
    for (const x of secs.slice(upAt + 3, 60)) expect(x.nodeRequests[down], `t=${x.t}`).toBeGreaterThan(0);
    // the other replicas carried its load meanwhile: the rate was kept
    expect(m.classes.app.rate.sent + m.classes.app.rate.unsent!).toBe(24_000);
    // errors: only what was in flight when the connections dropped, each classified
    const errors = Object.values(m.classes.app.ops).reduce((a, o) => a + o.errors, 0);
    expect(errors).toBeLessThan(300);
    for (const o of Object.values(m.classes.app.ops)) for (const k of Object.keys(o.errorsByKind)) expect(k).toMatch(KNOWN_KINDS);
    if (routing === 'shard-aware') {
      // our pools say what happened to the node, and misroutes end with the refill
      const n2 = m.nodes[down];
      expect(n2.reconnects).toBeGreaterThanOrEqual(2);
      expect(n2.downMs).toBeGreaterThan(10_000);
      expect(n2.downMs).toBeLessThan(20_000);
      expect(m.classes.app.shards.fallbacks).toBeGreaterThan(0);
      for (const x of secs.slice(upAt + 3, 60)) expect(x.misrouted, `t=${x.t}`).toBe(0);
      expect(result.warnings.some((w) => /node .* had no live connection for/.test(w))).toBe(true);
    }
  } finally {
    await sim.stop();
  }
}

describe('the pool heals', () => {
  it('shard-aware: a node down for 15 s of a 60 s run', () => outageRun('shard-aware'), 200_000);
  it('--routing driver: the same outage through the stock driver', () => outageRun('driver'), 200_000);
});

describe('a target gone entirely', () => {
  it('every node refusing for 10 s stops the run: one line naming the hosts, a valid partial result, exit 1', async () => {
    const host = simHost();
    const sim = await startSim({ nodes: 2, shards: 1, host });
    const out = mkdtempSync('results/test-heal-gone-');
    let stopped = false;
    try {
      const done = runCli(['run', 'test/fixtures/engine/heal.yaml', '--target', `${host}:9042`, '--json', '--out', out], { timeoutMs: 120_000 });
      while (measureSeconds(out).length < 3) await sleep(100);
      await sim.stop(); // listeners closed: every connection attempt is refused from now on
      stopped = true;
      const r = await done;
      expect(r.code, r.stderr).toBe(1);
      const lines = r.stderr.trim().split('\n').filter((l) => l.startsWith('scylla-bench:'));
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/run stopped: every node refused connections for \d+ s \(.*\): the target is gone/);
      expect(lines[0]).toContain(`${host}:9042`);
      const s = JSON.parse(r.stdout);
      const result = JSON.parse(readFileSync(path.join(s.resultDir, 'result.json'), 'utf8')) as RunResult;
      expect(result.stopped).toMatch(/^error: every node refused/);
      const m = result.phases.find((p) => p.kind === 'measure')!;
      // stopped about 10 s after the target went, not at the end of the 60 s window
      expect(m.durationMs).toBeLessThan(30_000);
      expect(m.classes.app.ops.get.count).toBeGreaterThan(0);
    } finally {
      if (!stopped) await sim.stop();
    }
  }, 150_000);
});
