/**
 * `scylla-bench compare` and `gate` as a CI runs them (the built CLI in a child process), on
 * synthetic result directories with known truth: exit 0 / 1 / 2, JUnit XML read back by an
 * independent parser (Python junitparser in the tools venv), the markdown (snapshot), the
 * GitHub step summary, and one line for every bad input.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lognormal, withP99Scaled, type LatencyModel } from '../../src/results/synthetic.js';
import { runCli } from '../support/cli.js';
import { runVenv, skipPython } from '../support/python-venv.js';
import { writeSyntheticResult } from '../results/synthetic-result.js';

const root = mkdtempSync(path.join(tmpdir(), 'sb-gate-cli-'));
const base: LatencyModel = { parts: [{ weight: 1, dist: lognormal(2, 8) }], secondSigma: 0.05, secondPhi: 0.5 };
const mk = (runId: string, seed: number, read: LatencyModel, profileName?: string): string =>
  writeSyntheticResult(root, { runId, seed, seconds: 60, ratePerSec: 1000, profileName, classes: { app: { read: { model: read }, write: { model: base } } } });

const A = mk('baseline', 1, base);
const A2 = mk('candidate-aa', 2, base);
const B = mk('candidate-ab', 3, withP99Scaled(base, 1.5));
const OTHER = mk('other-profile', 4, base, 'another');

function oneLine(r: { code: number | null; stderr: string }, re: RegExp): void {
  expect(r.code).toBe(2);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr.trim()).toMatch(re);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('scylla-bench compare', () => {
  it('prints a table per class.op and --json with ratios and intervals', async () => {
    const t = await runCli(['compare', A, B]);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toContain('app.read (response time)');
    expect(t.stdout).toMatch(/p99\s+│\s+[\d.]+ ms\s+│\s+[\d.]+ ms\s+│\s+\+\d+\.\d% \[\+\d+\.\d%, \+\d+\.\d%\]\s+│ yes, worse/);
    const j = await runCli(['compare', A, path.join(B, 'result.json'), '--json']);
    expect(j.code, j.stderr).toBe(0);
    const c = JSON.parse(j.stdout);
    expect(c.confidence).toBe(0.99);
    const read = c.ops.find((o: { op: string }) => o.op === 'read');
    expect(read.metrics.p99.significant).toBe(true);
    expect(read.metrics.p99.low).toBeGreaterThan(1);
    expect(c.ops.find((o: { op: string }) => o.op === 'write').metrics.p99.significant).toBe(false);
  });

  it('--service-time compares service time', async () => {
    const j = await runCli(['compare', A, B, '--json', '--service-time']);
    expect(j.code, j.stderr).toBe(0);
    expect(JSON.parse(j.stdout).ops.every((o: { latency: string }) => o.latency === 'service')).toBe(true);
  });
});

describe('scylla-bench gate', () => {
  it('A/A: exit 0; A/B with p99 +50 %: exit 1, with JUnit read back by junitparser and markdown written', async () => {
    const pass = await runCli(['gate', A2, '--baseline', A]);
    expect(pass.code, pass.stdout + pass.stderr).toBe(0);
    expect(pass.stdout).toContain('gate: pass (4 rule checks)');

    const junit = path.join(root, 'gate.xml');
    const md = path.join(root, 'gate.md');
    const summary = path.join(root, 'step-summary.md');
    writeFileSync(summary, '# earlier step\n');
    const fail = await runCli(['gate', B, '--baseline', A, '--junit', junit, '--markdown', md], { env: { GITHUB_STEP_SUMMARY: summary } });
    expect(fail.code, fail.stdout + fail.stderr).toBe(1);
    expect(fail.stdout).toMatch(/FAIL\s+app\.read\s+p99: \+10%\s+p99 [\d.]+ ms → [\d.]+ ms, \+\d+\.\d% \[/);
    expect(fail.stdout).toContain('gate: FAIL (1 of 4 rule checks)');
    // the markdown is appended to GitHub's step summary, after what was there
    expect(readFileSync(summary, 'utf8')).toBe(`# earlier step\n${readFileSync(md, 'utf8')}\n`);
    expect(readFileSync(md, 'utf8')).toMatchSnapshot();
    // a well-formed table: header, delimiter and one row per rule, all with 6 cells
    const rows = readFileSync(md, 'utf8').split('\n').filter((l) => l.startsWith('|'));
    expect(rows).toHaveLength(2 + 4);
    for (const row of rows) expect(row.replace(/\\\|/g, '').split('|').length - 2).toBe(6);

    if (skipPython) return;
    const py = await runVenv('python', ['-c', [
      'import json, sys',
      'from junitparser import JUnitXml, Failure, Skipped',
      'xml = JUnitXml.fromfile(sys.argv[1])',
      'cases = []',
      'for suite in xml:',
      '    for case in suite:',
      '        kinds = [type(r).__name__ for r in case.result]',
      '        msgs = [r.message for r in case.result]',
      '        cases.append({"classname": case.classname, "name": case.name, "results": kinds, "messages": msgs})',
      'print(json.dumps({"tests": xml.tests, "failures": xml.failures, "cases": cases}))',
    ].join('\n'), junit]);
    expect(py.code, py.stderr).toBe(0);
    const parsed = JSON.parse(py.stdout);
    expect(parsed.tests).toBe(4);
    expect(parsed.failures).toBe(1);
    expect(parsed.cases.map((c: { classname: string; name: string }) => `${c.classname} ${c.name}`).sort()).toEqual(['app.read p99: +10%', 'app.read throughput: -5%', 'app.write p99: +10%', 'app.write throughput: -5%']);
    const failed = parsed.cases.find((c: { results: string[] }) => c.results.includes('Failure'));
    expect(failed.classname).toBe('app.read');
    expect(failed.messages[0]).toMatch(/^p99 [\d.]+ ms → [\d.]+ ms, \+\d+\.\d% \[\+\d+\.\d%, \+\d+\.\d%\] \(99% interval\): regression beyond \+10%, significant$/);
  });

  it('rules from a file: relative and absolute; an unknown class is exit 2', async () => {
    const rules = path.join(root, 'gate.yaml');
    writeFileSync(rules, "app.read:\n  p99: +80%\napp.write:\n  p99Ms: 1\n");
    const r = await runCli(['gate', B, '--baseline', A, '--rules', rules, '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.outcomes.map((o: { op: string; rule: string; verdict: string }) => `${o.op} ${o.rule} ${o.verdict}`)).toEqual(['read p99: +80% pass', 'write p99Ms: 1 fail']);
    writeFileSync(rules, 'oltp:\n  p99: +10%\n');
    oneLine(await runCli(['gate', B, '--baseline', A, '--rules', rules]), /gate\.yaml: 'oltp': unknown class 'oltp' \(the runs have: app\)$/);
    writeFileSync(rules, 'app:\n  p99: ten\n');
    oneLine(await runCli(['gate', B, '--baseline', A, '--rules', rules]), /gate\.yaml:2:8: app\.p99: /);
    oneLine(await runCli(['gate', B, '--baseline', A, '--rules', path.join(root, 'nope.yaml')]), /--rules: cannot read .*nope\.yaml: ENOENT$/);
  });

  it('runs of different profiles: exit 2 unless --force', async () => {
    oneLine(await runCli(['gate', OTHER, '--baseline', A]), /are runs of different profiles \(sha256:[0-9a-f]+… vs sha256:[0-9a-f]+…\): pass --force to gate them anyway$/);
    const forced = await runCli(['gate', OTHER, '--baseline', A, '--force']);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('warning: the runs are of different profiles');
  });

  it('bad inputs: one line and exit 2', async () => {
    oneLine(await runCli(['gate', path.join(root, 'missing'), '--baseline', A]), /missing: no such file or directory$/);
    const corrupt = path.join(root, 'corrupt');
    mkdirSync(corrupt);
    writeFileSync(path.join(corrupt, 'result.json'), '{"schema": "scylla-bench/result@1", "runId": "x", ');
    oneLine(await runCli(['gate', corrupt, '--baseline', A]), /corrupt\/result\.json: not valid JSON \(/);
    const v2 = path.join(root, 'v2');
    mkdirSync(v2);
    writeFileSync(path.join(v2, 'result.json'), JSON.stringify({ ...JSON.parse(readFileSync(path.join(A, 'result.json'), 'utf8')), schema: 'scylla-bench/result@2' }));
    oneLine(await runCli(['compare', A, v2]), /v2\/result\.json: result schema 'scylla-bench\/result@2' is not supported/);
    oneLine(await runCli(['gate', A]), /Missing required argument: baseline/);
    oneLine(await runCli(['gate', B, '--baseline', A, '--junit', path.join(root, 'no-such-dir', 'x.xml')]), /--junit: cannot write .*x\.xml: ENOENT$/);
    const noHlog = path.join(root, 'no-hlog');
    cpSync(B, noHlog, { recursive: true });
    rmSync(path.join(noHlog, 'app.hlog'));
    oneLine(await runCli(['gate', noHlog, '--baseline', A]), /no-hlog: no app\.hlog beside result\.json: the gate needs the per-second histograms \(keep the whole result directory\)$/);
    // compare still works, without intervals for percentiles
    const c = await runCli(['compare', A, noHlog, '--json']);
    expect(c.code).toBe(0);
    expect(JSON.parse(c.stdout).ops[0].metrics.p99).toMatchObject({ low: null, note: expect.stringMatching(/no app\.hlog in .*no-hlog: no per-second histograms/) });
  });
});
