/**
 * `run --segment` / `--start-at` and `merge`: bad input is one line naming the flag, exit 2,
 * before anything starts (no emulator, no connection).
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

const PROFILE = 'test/scale/fixtures/scale.yaml';

async function refused(args: string[], line: RegExp, env: NodeJS.ProcessEnv = {}): Promise<void> {
  const r = await runCli(args, { env });
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(line);
}

describe('segment flags', () => {
  it('refuses a segment, a time or a combination that cannot run, in one line', async () => {
    await refused(['run', PROFILE, '--segment', '4/4'], /^scylla-bench: --segment: i must be 0\.\.3 \(i counts from 0\), got '4\/4'$/);
    await refused(['run', PROFILE, '--segment', 'half'], /^scylla-bench: --segment: expected i\/n/);
    await refused(['run', PROFILE, '--segment', '0/2', '--segment', '1/2'], /--segment: given more than once/);
    await refused(['run', PROFILE, '--start-at', '2026-05-01 02:05'], /^scylla-bench: --start-at: expected an RFC 3339 time with an offset/);
    await refused(['run', PROFILE, '--start-at', '2026-02-30T00:00:00Z'], /--start-at: not a valid time/);
    await refused(['run', PROFILE, '--segment', '1/2', '--baseline', 'results'], /^scylla-bench: --baseline: a segment runs 1\/2 of the load: merge the segments/);
    await refused(['run', 'test/scale/fixtures/late-load.yaml', '--start-at', '2026-05-01T02:05:00Z'], /--start-at: .*late-load\.yaml: phase load \(load\) comes after a timed phase/);
  });

  it('classes under a service level need one role password on every loader', async () => {
    const env = { SCYLLA_BENCH_ROLE_PASSWORD_OLTP: '', SCYLLA_BENCH_ROLE_PASSWORD_OLAP: '' };
    await refused(['run', 'test/fixtures/engine/sl-mix-on.yaml', '--segment', '0/2'], /^scylla-bench: --segment: class oltp runs under service level oltp: set SCYLLA_BENCH_ROLE_PASSWORD_OLTP to the same password on every loader/, env);
  });

  it('merge: no such input, one line', async () => {
    await refused(['merge', 'results/does-not-exist', '-o', 'results/m'], /^scylla-bench: results\/does-not-exist: no such file or directory$/);
    const r = await runCli(['merge', 'results/does-not-exist']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/out|-o/);
  });
});

describe('--start-at wait', () => {
  it('Ctrl-C while a loader waits for its start ends it at once, with a result and no phase it never began', async () => {
    const out = `results/test-scale-stop-${process.pid}`;
    const start = new Date(Date.now() + 120_000).toISOString().replace(/\.\d+Z$/, 'Z');
    let child: import('node:child_process').ChildProcess | undefined;
    const run = runCli(['run', PROFILE, '--target', 'sim', '--segment', '0/2', '--start-at', start, '--out', out], { onSpawn: (c) => { child = c; } });
    const { existsSync, readdirSync, readFileSync } = await import('node:fs');
    // the load (segment 0's, before the start) has written its seconds: the loader is now waiting
    const deadline = Date.now() + 60_000;
    for (;;) {
      const dirs = existsSync(out) ? readdirSync(out) : [];
      const f = dirs.length ? `${out}/${dirs[0]}/intervals.jsonl` : '';
      if (f && existsSync(f) && readFileSync(f, 'utf8').includes('"phase":"load"')) break;
      if (Date.now() > deadline) throw new Error('the load never ran');
      await new Promise((r) => setTimeout(r, 200));
    }
    await new Promise((r) => setTimeout(r, 1500));
    const t0 = Date.now();
    child!.kill('SIGINT');
    const r = await run;
    expect(r.code, r.stderr).toBe(1);
    // the start was 2 minutes away: the stop did not wait for it
    expect(Date.now() - t0).toBeLessThan(30_000);
    const dir = readdirSync(out)[0];
    const res = JSON.parse(readFileSync(`${out}/${dir}/result.json`, 'utf8'));
    expect(res.stopped).toBe('signal');
    expect(res.phases.map((p: { name: string }) => p.name)).toEqual(['schema', 'load']);
    expect(res.segment).toMatchObject({ index: 0, count: 2, startAt: start.replace('Z', '.000Z') });
  }, 120_000);
});
