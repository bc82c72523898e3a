/**
 * `run --prometheus`: the loader serves /metrics while it runs, with what the workers reported —
 * the requests it counts never exceed what the result then says, and the phase being run is named.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/results/result.js';
import { BIN } from '../support/cli.js';
import { simHost } from '../support/sim-host.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function sumOf(text: string, metric: string, labels: string): number {
  let s = 0;
  for (const line of text.split('\n')) if (line.startsWith(`${metric}{`) && line.includes(labels)) s += Number(line.slice(line.lastIndexOf(' ') + 1));
  return s;
}

describe('run --prometheus', () => {
  it('serves the loader\'s metrics while the run goes on, consistent with its result', async () => {
    const host = simHost();
    const child = spawn(process.execPath, [BIN, 'run', 'test/fixtures/engine/open-rate.yaml', '--target', `sim:${host}`, '--prometheus', `${host}:0`, '--json', '--out', 'results/test-prometheus'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    let url: string | undefined;
    for (let t = 0; t < 300 && !url; t++) { await sleep(50); url = /prometheus: loader metrics at (\S+)/.exec(stderr)?.[1]; }
    expect(url, stderr).toBeDefined();
    let seen = '';
    // scrape until the measure phase has counted requests
    for (let t = 0; t < 200; t++) {
      await sleep(100);
      try {
        const text = await (await fetch(url!)).text();
        if (text.includes('scylla_bench_phase_info{phase="measure"') && sumOf(text, 'scylla_bench_requests_total', 'class="app"') > 0) { seen = text; break; }
      } catch { /* the run may be between phases */ }
    }
    const code = await exited;
    expect(code, stderr).toBe(0);
    expect(seen).not.toBe('');
    const s = JSON.parse(stdout);
    const result = JSON.parse(readFileSync(path.join(s.resultDir, 'result.json'), 'utf8')) as RunResult;
    const m = result.phases.find((p) => p.kind === 'measure')!;
    const done = Object.values(m.classes.app.ops).reduce((a, o) => a + o.count, 0);
    // a mid-run scrape: some of the measure phase's requests, never more than the result's
    const scraped = sumOf(seen, 'scylla_bench_requests_total', 'class="app"');
    expect(scraped).toBeGreaterThan(0);
    expect(scraped).toBeLessThanOrEqual(done);
    expect(seen).toMatch(/scylla_bench_rate_target_ops_per_second\{class="app"\} 500/);
    expect(seen).toMatch(/scylla_bench_response_time_seconds_bucket\{[^}]*class="app"/);
    expect(seen).toMatch(/scylla_bench_shard_requests_total\{/);
  }, 120_000);

  it('a bad --prometheus is one line naming the flag, exit 2', async () => {
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const c = spawn(process.execPath, [BIN, 'run', 'test/fixtures/engine/open-rate.yaml', '--prometheus', 'not-a-port'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      c.stderr.on('data', (d: Buffer) => { err += d.toString(); });
      c.on('close', (code) => resolve({ code, stderr: err }));
    });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--prometheus/);
  });
});
