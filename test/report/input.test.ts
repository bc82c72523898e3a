/**
 * `scylla-bench report` on bad input: a missing path, a directory with no result, broken JSON, a
 * file that is not a result, a result with a field missing, an ab.json whose rounds are gone, a
 * --baseline that is not a run, an output that cannot be written. Each: one line on stderr naming
 * the file (and line:col or the field), exit 2, no stack trace, and no report written.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { simHost } from '../support/sim-host.js';

const OUT = 'results/report-input';
let resultDir: string;

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  const r = await runCli(['run', 'test/fixtures/engine/open-rate.yaml', '--target', `sim:${simHost()}`, '--json', '--out', OUT]);
  expect(r.code, r.stderr).toBe(0);
  resultDir = JSON.parse(r.stdout).resultDir;
});

async function bad(args: string[], message: RegExp): Promise<void> {
  const html = path.join(OUT, `bad-${Math.random().toString(36).slice(2)}.html`);
  const r = await runCli(['report', ...args, '-o', html]);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr.split('\n').filter(Boolean), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stdout).toBe('');
  expect(existsSync(html)).toBe(false);
}

function write(name: string, text: string): string {
  const f = path.join(OUT, name);
  mkdirSync(path.dirname(f), { recursive: true });
  writeFileSync(f, text);
  return f;
}

describe('report: bad input is one line and exit 2', () => {
  it('a path that does not exist', async () => {
    await bad([path.join(OUT, 'no-such-run')], /^scylla-bench: results\/report-input\/no-such-run: no such file or directory\n$/);
  });

  it('a directory with no result in it', async () => {
    mkdirSync(path.join(OUT, 'empty-dir'), { recursive: true });
    await bad([path.join(OUT, 'empty-dir')], /empty-dir: no capacity\.json or result\.json or ab\.json in this directory$/m);
  });

  it('broken JSON: the file, line and column', async () => {
    const f = write('broken/result.json', '{\n  "schema": "scylla-bench/result@1",\n  "runId": oops\n}\n');
    await bad([path.dirname(f)], /broken\/result\.json:3:12: invalid JSON: unexpected 'o'$/m);
    await bad([write('comma.json', '{"a": 1,\n}')], /comma\.json:2:1: invalid JSON: expected a property name, found '}'$/m);
    const empty = write('empty.json', '');
    await bad([empty], /empty\.json:1:1: invalid JSON: unexpected end$/m);
  });

  it('a JSON file that is not a result', async () => {
    await bad([write('other.json', '{"hello": 1}\n')], /other\.json: not a scylla-bench result\.json, capacity\.json or ab\.json$/m);
    await bad([write('capacity.json', '{"schema": "scylla-bench/capacity@9"}\n')], /capacity\.json: schema 'scylla-bench\/capacity@9' is not one report reads/);
  });

  it('a result with a field missing: the field is named', async () => {
    const r = JSON.parse(readFileSync(path.join(resultDir, 'result.json'), 'utf8'));
    const m = r.phases.findIndex((p: { kind: string }) => p.kind === 'measure');
    delete r.phases[m].classes.app.ops.put.response.histogram;
    const f = write('no-histogram/result.json', JSON.stringify(r));
    // through readResult, as compare and gate report it
    await bad([f], new RegExp(`no-histogram/result\\.json: phases\\[${m}\\]\\.classes\\.app\\.ops\\.put\\.response\\.histogram: `));
    // one bad input among good ones still stops the report
    await bad([resultDir, f], /no-histogram\/result\.json/);
  });

  it('an ab.json whose round results are gone: the missing round is named', async () => {
    const est = { ratio: 1.1, low: 0.9, high: 1.3, samples: 2, method: 't-rounds' };
    const variant = (routing: string) => ({
      throughput: 1000, p50Ms: 1, p99Ms: 2, p999Ms: 3, maxMs: 4, cpuUsPerOp: 100, targetCrossShardRatio: 0, throughputFixedByRate: true,
      classes: { app: { routing, loop: 'open', latency: 'response', rate: { target: 1000, achieved: 1000, kept: true }, misrouteRatio: 0, ops: {} } },
      rounds: [{ round: 1, resultDir: `gone/round1-${routing}`, throughput: 1000, p50Ms: 1, p99Ms: 2, p999Ms: 3, cpuUsPerOp: 100 }],
    });
    const ab = { vary: 'routing', runId: 'ab-x', resultDir: 'gone', rounds: 1, variants: { 'shard-aware': variant('shard-aware'), 'token-aware': variant('token-aware') }, gain: { 'token-aware': { p99: est, p50: est, throughput: est } }, stopped: null, warnings: [] };
    const f = write('ab-orphan/ab.json', JSON.stringify(ab));
    await bad([path.dirname(f)], /^scylla-bench: gone\/round1-shard-aware\/result\.json: no such file or directory\n$/);
  });

  it('--baseline: a run is needed, and a run to compare with it', async () => {
    const ab = write('ab-orphan2/ab.json', '{"vary": "routing", "variants": {}, "gain": {}, "runId": "x", "resultDir": "x", "rounds": 0, "stopped": null, "warnings": []}');
    await bad(['--baseline', path.dirname(ab), resultDir], /^scylla-bench: --baseline results\/report-input\/ab-orphan2: a run result is needed, not an ab result\n$/);
    await bad(['--baseline', resultDir, path.dirname(ab)], /^scylla-bench: --baseline: name at least one run to compare with it\n$/);
    await bad(['--baseline', path.join(OUT, 'nope'), resultDir], /^scylla-bench: results\/report-input\/nope: no such file or directory\n$/);
  });

  it('a capacity.json with a field wrong: the field is named; one whose sweep is gone still renders, saying so', async () => {
    const step = { step: 1, rateOpsPerSec: 100, achievedOpsPerSec: 100, latencyMs: 2, p99Ms: 2, errorRatio: 0, errorsByKind: {}, kept: true, bottleneck: null, verdict: 'pass', why: '', phase: 'step1-measure' };
    const cap = {
      schema: 'scylla-bench/capacity@1', runId: 'capacity-x', startedAt: '2026-01-01T00:00:00Z', endedAt: '2026-01-01T00:01:00Z', profile: 'p.yaml', profileHash: 'sha256:0',
      class: 'app', slo: { metric: 'p99Ms', limitMs: 10 }, maxErrorRatio: 0.01, search: { startOpsPerSec: 100, factor: 2, precision: 0.05, maxSteps: 20 }, heldClasses: [],
      capacityOpsPerSec: 100, bracket: [100, null], limitedBy: 'steps', stoppedBy: null, knee: null, steps: [step], resultDir: 'gone/capacity-x', stopped: null, trend: null, warnings: [],
    };
    await bad([write('cap-bad/capacity.json', JSON.stringify({ ...cap, steps: [{ ...step, verdict: 'maybe' }] }))], /cap-bad\/capacity\.json: not a valid capacity\.json: steps\[0\]\.verdict: /);
    await bad([write('cap-bad2/capacity.json', JSON.stringify({ ...cap, bracket: [100] }))], /cap-bad2\/capacity\.json: not a valid capacity\.json: bracket/);
    const f = write('cap-alone/capacity.json', JSON.stringify(cap));
    const html = path.join(OUT, 'cap-alone.html');
    const r = await runCli(['report', path.dirname(f), '-o', html]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ KiB; capacity\)\n$/);
    expect(readFileSync(html, 'utf8')).toContain(`The sweep's result.json was not found (looked for ${path.join(OUT, 'cap-alone/result.json')} or gone/capacity-x/result.json)`);
  });

  it('--history: the directory, its capacity-history.jsonl, each line checked (line:col, or the field)', async () => {
    await bad(['--history', path.join(OUT, 'no-such-history')], /^scylla-bench: --history results\/report-input\/no-such-history: no such file or directory\n$/);
    mkdirSync(path.join(OUT, 'history-empty'), { recursive: true });
    await bad(['--history', path.join(OUT, 'history-empty')], /^scylla-bench: --history results\/report-input\/history-empty: no capacity-history\.jsonl in this directory/);
    const line = { date: '2026-01-01T00:00:00Z', gitSha: null, profileHash: 'sha256:0', profile: 'p', class: 'app', slo: { metric: 'p99Ms', limitMs: 10 }, capacityOpsPerSec: 100, bracket: [100, 110], limitedBy: 'cluster', resultDir: 'gone' };
    const hist = (name: string, lines: string[]): string => path.dirname(write(`${name}/capacity-history.jsonl`, lines.join('\n')));
    await bad(['--history', hist('history-broken', [JSON.stringify(line), '{"date": 2026-01-02}'])], /history-broken\/capacity-history\.jsonl:2:14: invalid JSON: expected ',' or '}', found '-'$/m);
    await bad(['--history', hist('history-field', [JSON.stringify(line), JSON.stringify({ ...line, bracket: 'wide' })])], /history-field\/capacity-history\.jsonl:2: not a capacity history entry: bracket: /);
    await bad(['--history', hist('history-none', ['', ''])], /history-none\/capacity-history\.jsonl: no nights in it yet$/m);
    // run --history's run-history.jsonl: each line checked too
    const runsBroken = hist('history-runs-broken', [JSON.stringify(line)]);
    write('history-runs-broken/run-history.jsonl', '{"runId": "a", "gitSha": null}\n{broken\n');
    await bad(['--history', runsBroken], /history-runs-broken\/run-history\.jsonl:2: not a JSON line$/m);
    write('history-runs-field/capacity-history.jsonl', JSON.stringify(line));
    write('history-runs-field/run-history.jsonl', '{"runId": 7, "gitSha": null}\n');
    await bad(['--history', path.join(OUT, 'history-runs-field')], /history-runs-field\/run-history\.jsonl:1: not a run history line \(runId, gitSha\)$/m);
    // a history whose nights' results are gone still draws the trends
    const html = path.join(OUT, 'history-alone.html');
    const r = await runCli(['report', '--history', hist('history-alone', [JSON.stringify(line), JSON.stringify({ ...line, date: '2026-01-02T00:00:00Z', capacityOpsPerSec: 50, bracket: [50, 55] })]), '-o', html]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ KiB; history\)\n$/);
    expect(readFileSync(html, 'utf8')).toContain('1 night REGRESSED');
  });

  it('no input at all: one line', async () => {
    const r = await runCli(['report', '-o', path.join(OUT, 'nothing.html')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('scylla-bench: report: name at least one result directory, result.json, capacity.json or ab.json, or --history DIR\n');
  });

  it('an output that cannot be written: checked before anything is read', async () => {
    for (const [out, why] of [[path.join(OUT, 'no-such-dir/report.html'), 'directory results/report-input/no-such-dir does not exist'], [OUT, 'is a directory']]) {
      const r = await runCli(['report', resultDir, '-o', out]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toBe(`scylla-bench: -o ${out}: ${why}\n`);
    }
    const r = await runCli(['report', resultDir, '-o', '/proc/report.html']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^scylla-bench: -o \/proc\/report\.html: cannot write it \([A-Z]+\)\n$/);
    expect(existsSync('/proc/report.html')).toBe(false);
  });

  it('a good result: the page is written and says where', async () => {
    const html = path.join(OUT, 'good.html');
    const r = await runCli(['report', resultDir, '-o', html]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`report: ${html} (${Math.round(readFileSync(html).length / 1024)} KiB; run)\n`);
  });
});
