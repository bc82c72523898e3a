/**
 * Gate rules and verdicts on synthetic results with known truth: a relative rule fails only when
 * the regression is beyond its tolerance AND significant; absolute rules compare figures with
 * limits; rule files with mistakes are one line with file:line:col; unknown classes are refused.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareResults, phaseLatency } from '../../src/results/compare.js';
import { decode, mergeInto, newHistogram } from '../../src/metrics/histogram.js';
import { mergedQuantilesUs } from '../../src/results/series.js';
import { evaluateGate, GateRuleError, parseRules, parseRulesYaml } from '../../src/results/gate.js';
import { readResult } from '../../src/results/read.js';
import { lognormal, withP99Scaled, type LatencyModel } from '../../src/results/synthetic.js';
import { writeSyntheticResult } from './synthetic-result.js';

const root = mkdtempSync(path.join(tmpdir(), 'sb-gate-'));
const base: LatencyModel = { parts: [{ weight: 1, dist: lognormal(2, 8) }], secondSigma: 0.05, secondPhi: 0.5 };
const run = (runId: string, seed: number, read: LatencyModel, write: LatencyModel = base, errorsPerSec = 0): string =>
  writeSyntheticResult(root, { runId, seed, seconds: 60, ratePerSec: 1000, classes: { app: { read: { model: read, errorsPerSec }, write: { model: write } } } });

const A = readResult(run('a', 1, base));
const A2 = readResult(run('a2', 2, base));
const B50 = readResult(run('b50', 3, withP99Scaled(base, 1.5)));
const B20 = readResult(run('b20', 4, withP99Scaled(base, 1.2)));
const E = readResult(run('errors', 5, base, base, 5));

describe('compare on synthetic results', () => {
  it('reports the figures result.json holds and a ratio interval centred on them', () => {
    const c = compareResults(A, B50);
    const read = c.ops.find((o) => o.op === 'read')!;
    const p99 = read.metrics.p99;
    expect(p99.baseline).toBe(A.result.phases[0].classes.app.ops.read.response.p99Ms);
    expect(p99.candidate).toBe(B50.result.phases[0].classes.app.ops.read.response.p99Ms);
    expect(p99.change).toBeCloseTo(p99.candidate / p99.baseline, 12);
    expect(p99.low!).toBeLessThan(p99.change!);
    expect(p99.high!).toBeGreaterThan(p99.change!);
    // the true ratio is 1.5: covered, and significant
    expect(p99.low!).toBeLessThan(1.5);
    expect(p99.high!).toBeGreaterThan(1.5);
    expect(p99.significant).toBe(true);
    // write was drawn from the same model in both: no significant p99 change
    expect(c.ops.find((o) => o.op === 'write')!.metrics.p99.significant).toBe(false);
    expect(read.metrics.max.low).toBeNull();
    expect(c.sameProfile).toBe(true);
  });
});

describe('phaseLatency (every op of a phase, second by second)', () => {
  it('adds the ops: its percentiles are those of the merged whole-phase histograms', () => {
    const ivs = phaseLatency(A);
    expect(ivs).toHaveLength(60);
    const ops = A.result.phases[0].classes.app.ops;
    expect(ivs.reduce((a, iv) => a + iv.total, 0)).toBe(ops.read.count + ops.write.count);
    const h = newHistogram();
    mergeInto(h, decode(ops.read.response.histogram));
    mergeInto(h, decode(ops.write.response.histogram));
    expect(mergedQuantilesUs(ivs, [0.5, 0.99])).toEqual([h.getValueAtPercentile(50), h.getValueAtPercentile(99)]);
    expect(phaseLatency(A, { classes: ['none'] })).toEqual([]);
  });
});

describe('gate verdicts', () => {
  it('A/A passes the default rules', () => {
    const r = evaluateGate(compareResults(A, A2), parseRules({ '*': { p99: '+10%', throughput: '-5%' } }, 'rules'), 'rules');
    expect(r.pass).toBe(true);
    expect(r.outcomes).toHaveLength(4);
    expect(r.outcomes.every((o) => o.verdict === 'pass')).toBe(true);
  });

  it('p99 +50 %: read fails p99 +10 % with the interval in the message; write passes', () => {
    const r = evaluateGate(compareResults(A, B50), parseRules({ '*': { p99: '+10%' } }, 'rules'), 'rules');
    expect(r.pass).toBe(false);
    expect(r.failures).toBe(1);
    const fail = r.outcomes.find((o) => o.verdict === 'fail')!;
    expect([fail.cls, fail.op, fail.rule]).toEqual(['app', 'read', 'p99: +10%']);
    expect(fail.message).toMatch(/^p99 \d+\.\d+ ms → \d+\.\d+ ms, \+\d+\.\d% \[\+\d+\.\d%, \+\d+\.\d%\] \(99% interval\): regression beyond \+10%, significant$/);
  });

  it('a regression beyond the tolerance but not significant passes; significant but within the tolerance passes', () => {
    const c = compareResults(A, B20);
    const p99 = c.ops.find((o) => o.op === 'read')!.metrics.p99;
    expect(p99.significant).toBe(true);
    // +20 % observed, significant: beyond +5 % → fail only if the whole interval is beyond
    const tolerance = (p99.low! - 1) * 100;
    const within = evaluateGate(c, parseRules({ 'app.read': { p99: `+${(tolerance + 0.5).toFixed(1)}%` } }, 'rules'), 'rules');
    expect(within.pass).toBe(true);
    const beyond = evaluateGate(c, parseRules({ 'app.read': { p99: `+${Math.max(0, tolerance - 0.5).toFixed(1)}%` } }, 'rules'), 'rules');
    expect(beyond.pass).toBe(false);
    // the point change is beyond +19 % but the interval's lower bound is not: not a failure
    expect(p99.change!).toBeGreaterThan(1.1);
    const noisy = evaluateGate(c, parseRules({ 'app.read': { p99: '+10%' } }, 'rules'), 'rules');
    expect(noisy.outcomes[0].verdict).toBe(p99.low! > 1.1 ? 'fail' : 'pass');
  });

  it('absolute rules: limits on p99, error rate and throughput', () => {
    const c = compareResults(A, E);
    const read = c.ops.find((o) => o.op === 'read')!;
    const r = evaluateGate(c, parseRules({
      'app.read': { p99Ms: read.metrics.p99.candidate + 1, errorRate: '0.1%', minThroughput: 2000 },
      'app.write': { p99Ms: read.metrics.p99.candidate / 10, errorRate: 0.01 },
    }, 'rules'), 'rules');
    const v = Object.fromEntries(r.outcomes.map((o) => [`${o.op} ${o.metric}`, o.verdict]));
    expect(v).toEqual({ 'read p99Ms': 'pass', 'read errorRate': 'fail', 'read minThroughput': 'fail', 'write p99Ms': 'fail', 'write errorRate': 'pass' });
    expect(r.outcomes.find((o) => o.metric === 'errorRate' && o.op === 'read')!.message).toBe('error rate 0.50% exceeds the limit 0.10%');
  });

  it('more specific keys win per metric; off removes a rule', () => {
    const r = evaluateGate(compareResults(A, A2), parseRules({ '*': { p99: '+10%', p50: '+10%' }, app: { p99: '+5%' }, 'app.write': { p50: 'off' }, '*.read': { p90: '+20%' } }, 'rules'), 'rules');
    const rules = r.outcomes.map((o) => `${o.op} ${o.rule}`).sort();
    expect(rules).toEqual(['read p50: +10%', 'read p90: +20%', 'read p99: +5%', 'write p99: +5%']);
  });

  it('an unknown class or op is bad input', () => {
    const c = compareResults(A, A2);
    expect(() => evaluateGate(c, parseRules({ oltp: { p99: '+10%' } }, 'gate.yaml'), 'gate.yaml')).toThrow(new GateRuleError("gate.yaml: 'oltp': unknown class 'oltp' (the runs have: app)"));
    expect(() => evaluateGate(c, parseRules({ 'app.scan': { p99: '+10%' } }, 'gate.yaml'), 'gate.yaml')).toThrow(/unknown op 'scan' in class app/);
  });
});

describe('rule files', () => {
  it('reads a gate.yaml or the gate: section of any YAML', () => {
    expect(parseRulesYaml("'*': {p99: +10%}\noltp.read:\n  p99Ms: 20\n", 'g.yaml')).toEqual({ '*': { p99: '+10%' }, 'oltp.read': { p99Ms: 20 } });
    expect(parseRulesYaml('name: p\ngate:\n  oltp: {throughput: -5%, errorRate: 0.1%}\n', 'p.yaml')).toEqual({ oltp: { throughput: '-5%', errorRate: '0.1%' } });
  });

  it.each([
    ["'*':\n  p99: 10 percent\n", /^g\.yaml:2:8: \*\.p99: /],
    ["oltp:\n  p98: +10%\n", /^g\.yaml:2:3: oltp: Unrecognized key: "p98"/],
    ["'*':\n  p99: -10%\n", /^g\.yaml: \*\.p99: '-10%': a tolerance says how much worse is allowed: p99: \+10%$/],
    ["'*':\n  throughput: +5%\n", /^g\.yaml: \*\.throughput: '\+5%': a tolerance says how much worse is allowed: throughput: -5%$/],
    ["'*': {p99: [\n", /^g\.yaml:\d+:\d+: /],
  ])('%j: one line', (text, re) => {
    let msg = '';
    try { parseRulesYaml(text, 'g.yaml'); } catch (e) { expect(e).toBeInstanceOf(GateRuleError); msg = (e as Error).message; }
    expect(msg).toMatch(re);
    expect(msg).not.toContain('\n');
  });
});
