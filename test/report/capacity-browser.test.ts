/**
 * The capacity and history reports in headless Chromium, from real sweeps: two nights of
 * `scylla-bench capacity --history` against the in-process emulator (one node, one shard, writes of
 * known cost: 500 µs, then 2000 µs of shard time — a quarter of the capacity), each rendered by the
 * built CLI. The page must load clean, draw every chart, and show what capacity.json and the
 * history lines say: every figure, the answer worded as the CLI printed it, the curve's points,
 * the SLO line, the knee and the bracket, and the regressed night flagged by the CLI's own rule.
 * Screenshots: results/report-browser/{capacity,history}.png.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderCapacity } from '../../src/cli/capacity.js';
import { trendOf, type CapacityResult, type HistoryEntry } from '../../src/results/capacity.js';
import { compareResults } from '../../src/results/compare.js';
import { DEFAULT_RULES, evaluateGate, formatChange } from '../../src/results/gate.js';
import { readResult } from '../../src/results/read.js';
import type { RunResult } from '../../src/results/result.js';
import { startSim } from '../../src/sim/index.js';
import { runCli } from '../support/cli.js';
import { simHost } from '../support/sim-host.js';
import { chartsOf, expectCleanPage, figures, launch, resolve, type Browser, type Figure } from './browser-support.js';

const OUT = 'results/report-browser';

interface Night { code: number | null; c: CapacityResult; stderr: string; dir: string }

let browser: Browser;
let history: string;
const nights: Night[] = [];
const runFiles: string[] = [];

/** One night: a capacity sweep of the fixture on a fresh emulator whose writes cost `writeUs`. */
async function night(writeUs: number): Promise<Night> {
  const host = simHost();
  const sim = await startSim({ nodes: 1, shards: 1, host, costs: { writeUs, coordinatorUs: 0 } });
  try {
    const r = await runCli(['capacity', 'test/fixtures/engine/capacity.yaml', '--target', `${host}:9042`, '--history', history, '--json',
      '--out', path.join(history, 'results'), '--duration', '2s', '--warmup', '1s', '--precision', '10%'], { timeoutMs: 400_000 });
    const c = JSON.parse(r.stdout) as CapacityResult;
    return { code: r.code, c, stderr: r.stderr, dir: c.resultDir };
  } finally {
    await sim.stop();
  }
}

/** A night at a fixed rate: `run` of the same fixture at 500 ops/s, kept in the history directory. */
async function runNight(writeUs: number): Promise<string> {
  const host = simHost();
  const sim = await startSim({ nodes: 1, shards: 1, host, costs: { writeUs, coordinatorUs: 0 } });
  try {
    // --history: the result goes to history/runs, the night (date, git sha, profile hash) to run-history.jsonl
    const r = await runCli(['run', 'test/fixtures/engine/capacity.yaml', '--target', `${host}:9042`, '--rate', '500', '--duration', '10s', '--json', '--history', history]);
    // 1: the SLO failed (on a loaded machine the costlier night may well): the result is a night all the same
    expect([0, 1], r.stderr).toContain(r.code);
    return path.join(JSON.parse(r.stdout).resultDir as string, 'result.json');
  } finally {
    await sim.stop();
  }
}

/** The CLI's own lines (stderr of --json carries the text) that the page repeats. */
function cliLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => /^(answer|knee|trend|REGRESSED): /.test(l));
}

function expectFiguresOf(figs: Figure[], doc: unknown): void {
  expect(figs.length).toBeGreaterThan(0);
  for (const f of figs) expect(JSON.parse(f.v ?? 'null'), f.k).toEqual(resolve(doc, f.k) ?? null);
}

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  history = mkdtempSync(path.join(OUT, 'history-'));
  nights.push(await night(500));
  nights.push(await night(2000));
  for (const n of nights) expect([0, 1], n.stderr).toContain(n.code);
  // two nights at a fixed rate, the second on writes 3.6 times as costly (90 % of the shard)
  runFiles.push(await runNight(500), await runNight(1800));
  browser = await launch();
}, 900_000);

afterAll(async () => {
  await browser?.close();
});

describe('capacity and history reports in headless Chromium', () => {
  it('capacity: the answer as the CLI printed it, the curve with the SLO, knee and bracket, every step', async () => {
    const { c, stderr, dir } = nights[0];
    const html = path.join(OUT, 'capacity.html');
    const r = await runCli(['report', dir, '-o', html]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ KiB; capacity\)\n$/);
    const capacity = JSON.parse(readFileSync(path.join(dir, 'capacity.json'), 'utf8')) as CapacityResult;
    const result = JSON.parse(readFileSync(path.join(dir, 'result.json'), 'utf8'));
    expect(capacity).toEqual(c);
    const o = await browser.open(html);
    const drawn = await expectCleanPage(o, OUT, 'capacity.png');
    expect(await o.page.$$eval('section.report', (s) => s.map((x) => x.getAttribute('data-kind')))).toEqual(['capacity', 'sweep']);

    // every figure is capacity.json's (the sweep section's, result.json's)
    const figs = await figures(o.page, 's1');
    expectFiguresOf(figs, capacity);
    expectFiguresOf(await figures(o.page, 's2'), result);
    const keys = new Set(figs.map((f) => f.k));
    for (const k of ['/capacityOpsPerSec', '/bracket/0', '/bracket/1', '/limitedBy']) expect(keys.has(k), k).toBe(true);
    capacity.steps.forEach((_, i) => {
      for (const f of ['rateOpsPerSec', 'achievedOpsPerSec', 'latencyMs', 'errorRatio', 'kept', 'verdict']) expect(keys.has(`/steps/${i}/${f}`), `step ${i} ${f}`).toBe(true);
    });
    // the steps table runs in order of rate, as the CLI's
    const order = figs.filter((f) => /^\/steps\/\d+\/rateOpsPerSec$/.test(f.k)).map((f) => Number(f.v));
    expect(order).toEqual(capacity.steps.map((s) => s.rateOpsPerSec).sort((a, b) => a - b));
    // a verdict shows why a step failed, in the CLI's words
    const verdicts = figs.filter((f) => /^\/steps\/\d+\/verdict$/.test(f.k));
    for (const f of verdicts) {
      const s = capacity.steps[Number(f.k.split('/')[2])];
      expect(f.text).toBe(s.verdict === 'pass' ? 'pass' : `FAIL: ${s.why}`);
    }

    // the answer, the knee (and a trend) worded as the CLI printed them, and as renderCapacity words them
    const words = await o.page.$$eval('section#s1 [data-cli]', (els) => els.map((e) => e.textContent ?? ''));
    expect(words).toEqual(cliLines(stderr));
    expect(words).toEqual(cliLines(renderCapacity(capacity)));

    // the curve: one point per step in order of rate, the SLO line at its limit, the knee and the bracket marked
    const charts = await chartsOf(o.page);
    const sorted = [...capacity.steps].sort((a, b) => a.rateOpsPerSec - b.rateOpsPerSec);
    const curve = charts.find((x) => x.title.startsWith('p99 of class app by rate'))!;
    expect(curve).toBeDefined();
    expect(curve.data[0]).toEqual(sorted.map((s) => s.rateOpsPerSec));
    expect(curve.data[1]).toEqual(sorted.map((s) => s.latencyMs));
    expect(curve.hlines).toEqual([{ y: capacity.slo.limitMs, label: `SLO p99 ≤ ${capacity.slo.limitMs} ms` }]);
    const labels = curve.marks!.map((m) => [m.x, m.label.split(' ')[0]]);
    if (capacity.bracket[0] !== null) expect(labels).toContainEqual([capacity.bracket[0], 'last']);
    if (capacity.bracket[1] !== null) expect(labels).toContainEqual([capacity.bracket[1], 'first']);
    if (capacity.knee) expect(labels).toContainEqual([capacity.knee.rateOpsPerSec, 'knee']);
    // pass and fail markers sit exactly on the steps that passed and failed
    const passIdx = curve.series.findIndex((x) => x.label === 'pass');
    if (passIdx >= 0) expect(curve.data[passIdx + 1]).toEqual(sorted.map((s) => (s.verdict === 'pass' ? s.latencyMs : null)));
    const achieved = charts.find((x) => x.title === 'ops/s sent against ops/s asked')!;
    expect(achieved.data[1]).toEqual(sorted.map((s) => s.achievedOpsPerSec));

    // one spectrum curve per step, decoded from the step's measure phase: p99 there is the step's p99
    const spectrum = charts.find((x) => x.title.includes('one curve per step'))!;
    expect(spectrum.series).toHaveLength(capacity.steps.length);
    sorted.forEach((s, i) => {
      const ph = result.phases.find((p: { name: string }) => p.name === s.phase);
      const n = Object.values(ph.classes.app.ops as Record<string, { count: number }>).reduce((a, x) => a + x.count, 0);
      // a step whose schedule lag was the loader's was judged on service time: its spectrum is that one
      expect(spectrum.series[i].label).toBe(`${s.rateOpsPerSec} ops/s (step ${s.step}, ${s.verdict}${s.judgedOn === 'service' ? ', service time' : ''}) (${n.toLocaleString('en-US')} values)`);
      const at2 = spectrum.data[i + 1][spectrum.data[0].indexOf(2)];
      if (n > 100) expect(at2, `step ${s.step} p99`).toBe(s.p99Ms);
    });

    // each step links to its phase's row in the sweep's self-check
    const links = await o.page.$$eval('section#s1 table.steps a', (as) => as.map((a) => (a.getAttribute('href') ?? '').slice(1)));
    expect(links).toHaveLength(capacity.steps.length);
    for (const id of links) expect(await o.page.$(`section#s2 [id="${id}"]`), id).not.toBeNull();
    // the sweep over time marks each measure phase by its rate
    const latency = charts.find((x) => x.title.startsWith('class app: response time p50'))!;
    expect(latency.marks!.map((m) => m.label)).toEqual(capacity.steps.map((s) => `${s.rateOpsPerSec}/s`));
    // curve, achieved, spectrum; the sweep's latency, throughput, requests per node (and errors, if any)
    const errors = result.phases.some((p: { intervals: { classes: { app?: { ops: Record<string, { errors: number }> } } }[] }) => p.intervals.some((iv) => Object.values(iv.classes.app?.ops ?? {}).some((x) => x.errors > 0)));
    expect(drawn.length).toBe(3 + 3 + (errors ? 1 : 0));
    await o.page.close();
  });

  it('history: capacity per night with its bracket, the regressed night flagged by the CLI\'s rule', async () => {
    const html = path.join(OUT, 'history.html');
    const r = await runCli(['report', '--history', history, '-o', html]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ KiB; history\)\n$/);
    const entries = readFileSync(path.join(history, 'capacity-history.jsonl'), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as HistoryEntry);
    expect(entries).toHaveLength(2);
    const o = await browser.open(html);
    await expectCleanPage(o, OUT, 'history.png');
    // the trends, then the last night in detail (its capacity and its sweep)
    expect(await o.page.$$eval('section.report', (s) => s.map((x) => x.getAttribute('data-kind')))).toEqual(['history', 'capacity', 'sweep']);
    // the capacity figures point into the history lines; the run nights' rows (data-night-file) into their result.json
    const figs = await figures(o.page, 's1', '[data-night-file]');
    expectFiguresOf(figs, entries);
    entries.forEach((_, i) => {
      for (const f of ['date', 'capacityOpsPerSec', 'bracket/0', 'bracket/1', 'limitedBy']) expect(figs.some((x) => x.k === `/${i}/${f}`), `night ${i} ${f}`).toBe(true);
    });

    // regressed: what capacity decided when it appended the night (its exit code and capacity.json), and trendOf replayed
    const expected = entries.map((e, i) => trendOf(entries.slice(0, i), e)?.regressed === true);
    expect(expected[1]).toBe(nights[1].c.trend?.regressed === true);
    expect(nights[1].code).toBe(nights[1].c.trend?.regressed ? 1 : nights[1].c.capacityOpsPerSec === null ? 1 : 0);
    const rows = await o.page.$$eval('section#s1 tr[data-night]', (trs) => trs.map((t) => ({ regressed: t.getAttribute('data-regressed'), cls: t.className, text: t.textContent ?? '' })));
    expect(rows.map((x) => x.regressed === 'true')).toEqual(expected);
    rows.forEach((x, i) => expect(x.text.includes('REGRESSED'), `night ${i}`).toBe(expected[i]));
    const banner = await o.page.$('section#s1 [data-regressed-nights]');
    expect(banner !== null).toBe(expected.some(Boolean));
    // a quarter of the capacity: the emulator's model says the second night is well below the first
    if (!expected[1]) console.warn(`night 2 was not flagged: ${JSON.stringify(entries.map((e) => e.bracket))} (a noisy machine?)`);

    // the chart: one point per night at its capacity, the bracket as error bars up to the first fail
    const charts = await chartsOf(o.page);
    const trend = charts.find((x) => x.title.startsWith('capacity at the SLO per night'))!;
    expect(trend.data[0]).toEqual(entries.map((e) => Math.round(Date.parse(e.date) / 1000)));
    expect(trend.data[1]).toEqual(entries.map((e) => e.bracket[0]));
    expect(trend.data[2]).toEqual(entries.map((e) => e.bracket[1]));
    expect(trend.whiskers).toEqual([{ low: 0, high: 1, color: expect.any(String) }]);
    const flagged = trend.series.findIndex((x) => x.label === 'REGRESSED');
    if (expected.some(Boolean)) {
      expect(trend.data[flagged + 1]).toEqual(entries.map((e, i) => (expected[i] ? e.bracket[0] : null)));
      expect(trend.marks!.filter((m) => m.label === 'REGRESSED').map((m) => m.x)).toEqual(trend.data[0].filter((_, i) => expected[i]));
    } else expect(flagged).toBe(-1);

    // the run nights: p99 per night at 500 ops/s, each judged by the gate against the one before
    const rowsRun = await o.page.$$eval('section#s1 tr[data-run-night]', (trs) => trs.map((t) => ({ file: t.getAttribute('data-night-file')!, gate: t.getAttribute('data-gate'), change: t.querySelector('[data-change]')?.textContent ?? '', text: t.textContent ?? '' })));
    expect(rowsRun.map((x) => x.file)).toEqual(runFiles);
    // run --history kept each night under runs/ with its commit, profile hash and date; the rows name the commit
    const runLines = readFileSync(path.join(history, 'run-history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { date: string; gitSha: string | null; profileHash: string; runId: string; resultDir: string });
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    expect(runLines.map((l) => path.resolve(l.resultDir, 'result.json'))).toEqual(runFiles.map((f) => path.resolve(f)));
    for (const [i, l] of runLines.entries()) {
      const doc = JSON.parse(readFileSync(runFiles[i], 'utf8')) as RunResult;
      expect(l).toMatchObject({ gitSha: process.env.GITHUB_SHA ?? process.env.CI_COMMIT_SHA ?? head, profileHash: doc.profileHash, runId: doc.runId, date: doc.endedAt });
      expect(path.dirname(path.resolve(l.resultDir))).toBe(path.resolve(history, 'runs'));
    }
    const shas = await o.page.$$eval('section#s1 tr[data-run-night] [data-git-sha]', (els) => els.map((e) => e.getAttribute('data-git-sha')));
    expect(shas).toEqual(runLines.map((l) => l.gitSha));
    const cmp = compareResults(readResult(runFiles[0]), readResult(runFiles[1]));
    const gate = evaluateGate(cmp, DEFAULT_RULES, 'test');
    const p99 = gate.outcomes.find((x) => x.cls === 'app' && x.op === 'put' && x.metric === 'p99')!;
    expect(rowsRun[0].gate).toBe('');
    expect(rowsRun[1].gate).toBe(p99.verdict);
    expect(rowsRun[1].change).toBe(formatChange(p99.comparison));
    expect(rowsRun[1].text).toContain(p99.message);
    expect(rowsRun[1].text.includes('REGRESSED')).toBe(p99.verdict === 'fail');
    expect((await o.page.$('section#s1 [data-regressed-runs]')) !== null).toBe(p99.verdict === 'fail');
    for (const f of runFiles) {
      const doc = JSON.parse(readFileSync(f, 'utf8'));
      const cells = await o.page.$$eval(`section#s1 tr[data-night-file="${f}"] [data-k]`, (els) => els.map((e) => ({ k: e.getAttribute('data-k')!, v: e.getAttribute('data-v'), text: '' })));
      expect(cells.length).toBe(2);
      expectFiguresOf(cells, doc);
    }
    const runChart = charts.find((x) => x.title === 'capacity · app.put: p99 at 500 ops/s per night')!;
    expect(runChart.data[1]).toEqual(runFiles.map((f) => {
      const doc = JSON.parse(readFileSync(f, 'utf8'));
      return doc.phases.filter((p: { kind: string }) => p.kind === 'measure').at(-1).classes.app.ops.put.response.p99Ms;
    }));
    console.log(`run nights: p99 ${formatChange(p99.comparison)} → gate ${p99.verdict}`);

    // the last night's section is its capacity.json, its trend line as the CLI printed it
    expectFiguresOf(await figures(o.page, 's2'), nights[1].c);
    const words = await o.page.$$eval('section#s2 [data-cli]', (els) => els.map((e) => e.textContent ?? ''));
    expect(words).toEqual(cliLines(nights[1].stderr));
    expect(words.some((w) => /^(trend|REGRESSED): previous night /.test(w))).toBe(true);
    await o.page.close();
  });
});
