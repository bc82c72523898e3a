/**
 * `scylla-bench report` seen in a real browser: real results from the engine against the emulator
 * (a run with two classes, open and closed loop, with injected Overloaded errors, the same without
 * errors to compare it with; an `ab`), each
 * rendered by the built CLI and opened in Debian's headless Chromium through playwright-core. The
 * page must load with no console error and no request beyond itself, draw every chart (pixels read
 * back from each canvas), and show the figures of the files it was made from. Screenshots stay in
 * results/report-browser/.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fmtGain } from '../../src/cli/ab.js';
import type { AbRatio } from '../../src/results/ab.js';
import { compareResults, METRICS } from '../../src/results/compare.js';
import { formatChange } from '../../src/results/gate.js';
import { readResult } from '../../src/results/read.js';
import { significance } from '../../src/report/compare-section.js';
import { startSim, type Sim } from '../../src/sim/index.js';
import { runCli } from '../support/cli.js';
import { simHost } from '../support/sim-host.js';
import { chartsOf, expectCleanPage as expectClean, figures, launch, resolve, type Browser, type CanvasCheck, type Opened } from './browser-support.js';

const OUT = 'results/report-browser';
let browser: Browser;
let runDir: string;
/** The same profile again, without injected errors: the candidate of the comparison. */
let cleanDir: string;
let abDir: string;

const open = (file: string): Promise<Opened> => browser.open(file);
const expectCleanPage = (o: Opened, shot: string): Promise<CanvasCheck[]> => expectClean(o, OUT, shot);

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  browser = await launch();
  const host = simHost();
  // injected Overloaded errors, so the errors chart and the by-kind table have something to show
  const sim: Sim = await startSim({ nodes: 2, shards: 2, host, faults: { errors: [{ code: 0x1001, rate: 0.03 }] } });
  try {
    const r = await runCli(['run', 'test/report/fixtures/mixed.yaml', '--target', `${host}:9042`, '--json', '--out', OUT]);
    expect(r.code, r.stderr).toBe(0);
    runDir = JSON.parse(r.stdout).resultDir;
  } finally {
    await sim.stop();
  }
  const clean = await runCli(['run', 'test/report/fixtures/mixed.yaml', '--target', `sim:${simHost()}`, '--json', '--out', OUT]);
  expect(clean.code, clean.stderr).toBe(0);
  cleanDir = JSON.parse(clean.stdout).resultDir;
  const ab = await runCli(['ab', 'test/fixtures/engine/ab.yaml', '--target', `sim:${simHost()}`, '--rounds', '2', '--json', '--out', OUT], { timeoutMs: 240_000 });
  expect(ab.code, ab.stderr).toBe(0);
  abDir = JSON.parse(ab.stdout).resultDir;
}, 400_000);

afterAll(async () => {
  await browser?.close();
});

describe('report in headless Chromium', () => {
  it('run: every chart drawn, figures equal to result.json, spectra decoded from its histograms', async () => {
    const html = path.join(OUT, 'run.html');
    const r = await runCli(['report', runDir, '-o', html]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^report: .*run\.html \(\d+ KiB; run\)\n$/);
    const result = JSON.parse(readFileSync(path.join(runDir, 'result.json'), 'utf8'));
    const o = await open(html);
    const drawn = await expectCleanPage(o, 'run.png');
    const measureIdx = result.phases.findIndex((p: { kind: string }) => p.kind === 'measure');
    const measure = result.phases[measureIdx];
    const classes = Object.keys(measure.classes);
    expect(classes.sort()).toEqual(['bulk', 'oltp']);
    // latency per class + throughput + errors + requests per node + one spectrum per class×op
    const ops = classes.reduce((a, c) => a + Object.keys(measure.classes[c].ops).length, 0);
    expect(drawn.length).toBe(classes.length + 3 + ops);

    const figs = await figures(o.page, 's1');
    for (const f of figs) expect(JSON.parse(f.v ?? 'null'), f.k).toEqual(resolve(result, f.k) ?? null);
    const keys = new Set(figs.map((f) => f.k));
    for (const c of classes) {
      const cls = measure.classes[c];
      for (const op of Object.keys(cls.ops)) {
        for (const f of ['count', 'errors', `${cls.latency}/p50Ms`, `${cls.latency}/p99Ms`, `${cls.latency}/p999Ms`, `${cls.latency}/maxMs`]) {
          expect(keys.has(`/phases/${measureIdx}/classes/${c}/ops/${op}/${f}`), `${c}.${op} ${f}`).toBe(true);
        }
        for (const [kind, n] of Object.entries(cls.ops[op].errorsByKind)) {
          const f = figs.find((x) => x.k === `/phases/${measureIdx}/classes/${c}/ops/${op}/errorsByKind/${kind}`);
          expect(f?.text.replace(/,/g, ''), `${c}.${op} ${kind}`).toBe(String(n));
        }
      }
      for (const f of ['rate/achieved', 'rate/kept', 'shards/imbalance', 'shards/misrouteRatio']) expect(keys.has(`/phases/${measureIdx}/classes/${c}/${f}`), `${c} ${f}`).toBe(true);
      for (let n = 0; n < cls.shards.requests.length; n++) {
        for (let s = 0; s < cls.shards.requests[n].length; s++) expect(keys.has(`/phases/${measureIdx}/classes/${c}/shards/requests/${n}/${s}`)).toBe(true);
      }
    }
    // the errors were injected: they show, by kind
    expect(Object.keys(measure.classes.oltp.ops.put.errorsByKind)).toContain('overloaded');
    // the p99 figure shown as text is the file's, rounded for reading
    const p99 = figs.find((f) => f.k === `/phases/${measureIdx}/classes/oltp/ops/put/response/p99Ms`)!;
    expect(Math.abs(Number(p99.text) - measure.classes.oltp.ops.put.response.p99Ms)).toBeLessThanOrEqual(0.05 * measure.classes.oltp.ops.put.response.p99Ms);

    // the spectra were decoded from result.json's histograms: at 90/99/99.9 and the end they are its percentiles
    const data = JSON.parse(await o.page.$eval('#sb-data', (e) => e.textContent ?? '')) as { charts: { title: string; series: { label: string }[]; data: (number | null)[][] }[] };
    for (const c of classes) {
      const cls = measure.classes[c];
      for (const op of Object.keys(cls.ops)) {
        const chart = data.charts.find((x) => x.title === `${c}.${op}: latency by percentile`)!;
        expect(chart, `${c}.${op}`).toBeDefined();
        const kinds = cls.loop === 'open' ? ['response', 'service'] : ['service'];
        expect(chart.series.map((s) => s.label.split(' ')[0])).toEqual(kinds);
        kinds.forEach((kind, i) => {
          const L = cls.ops[op][kind];
          const at = (x: number): number | null | undefined => chart.data[i + 1][chart.data[0].indexOf(x)];
          expect(at(1), `${c}.${op} ${kind} p90`).toBe(L.p90Ms);
          expect(at(2), `${c}.${op} ${kind} p99`).toBe(L.p99Ms);
          if (L.count >= 1000) expect(at(3), `${c}.${op} ${kind} p99.9`).toBe(L.p999Ms);
          const col = chart.data[i + 1].filter((v) => v !== null);
          expect(col[col.length - 1], `${c}.${op} ${kind} max`).toBe(L.maxMs);
        });
      }
    }
    // phase marks: warmup and measure start lines on the time charts
    const marks = (data.charts[0] as { marks?: { label: string }[] }).marks?.map((m) => m.label);
    expect(marks).toEqual(['warmup', 'measure']);

    // errors per second by kind: over every phase, each kind's seconds add up to the phases' totals
    type Phase = { name: string; intervals: unknown[]; classes: Record<string, { ops: Record<string, { errorsByKind: Record<string, number> }> }>; nodes: { host: string; requests: number; reconnects: number; downMs: number }[] };
    const phases = result.phases as Phase[];
    const charts = await chartsOf(o.page);
    const errs = charts.find((c) => c.title === 'errors per second by kind')!;
    expect(errs, 'errors by kind').toBeDefined();
    const totals: Record<string, number> = {};
    for (const p of phases.filter((x) => x.intervals.length > 0)) {
      for (const c of Object.values(p.classes)) for (const op of Object.values(c.ops)) for (const [k, n] of Object.entries(op.errorsByKind)) totals[k] = (totals[k] ?? 0) + n;
    }
    expect(errs.series.map((x) => x.label).sort()).toEqual(Object.keys(totals).sort());
    errs.series.forEach((x, i) => expect(errs.data[i + 1].reduce<number>((a, v) => a + (v ?? 0), 0), x.label).toBe(totals[x.label]));
    // requests per node per second: within each phase they add up to what the pools counted (phases[].nodes)
    const perNode = charts.find((c) => c.title === 'requests per node per second')!;
    expect(perNode.series.map((x) => x.label)).toEqual(result.cluster.nodes.map((n: { host: string }) => n.host));
    const xs = perNode.data[0];
    const starts = perNode.marks!.map((m) => m.x);
    phases.filter((p) => p.intervals.length > 0).forEach((p, k) => {
      const inPhase = (x: number | null): boolean => x !== null && x >= starts[k] && (k + 1 >= starts.length || x < starts[k + 1]);
      p.nodes.forEach((nd, n) => {
        const sum = xs.reduce<number>((a, x, j) => a + (inPhase(x) ? perNode.data[n + 1][j] ?? 0 : 0), 0);
        expect(sum, `${p.name} ${nd.host}`).toBe(nd.requests);
      });
    });
    // and the per-phase connection table shows the file's figures (checked with every data-k above)
    expect(keys.has(`/phases/${measureIdx}/nodes/0/reconnects`)).toBe(true);
    expect(keys.has(`/phases/${measureIdx}/nodes/1/downMs`)).toBe(true);
    await o.page.close();
  });

  it('ab: variants side by side, the gains worded as the CLI prints them', async () => {
    const html = path.join(OUT, 'ab.html');
    const r = await runCli(['report', path.join(abDir, 'ab.json'), '-o', html]);
    expect(r.code, r.stderr).toBe(0);
    const ab = JSON.parse(readFileSync(path.join(abDir, 'ab.json'), 'utf8'));
    const o = await open(html);
    const drawn = await expectCleanPage(o, 'ab.png');
    expect(drawn.length).toBe(3); // p99 per round, throughput per round, spectra
    const figs = await figures(o.page, 's1');
    for (const f of figs.filter((x) => x.v !== null)) expect(JSON.parse(f.v!), f.k).toEqual(resolve(ab, f.k) ?? null);
    for (const v of ['shard-aware', 'token-aware']) {
      for (const f of ['throughput', 'p50Ms', 'p99Ms', 'p999Ms', 'cpuUsPerOp']) expect(figs.some((x) => x.k === `/variants/${v}/${f}`), `${v} ${f}`).toBe(true);
    }
    // each verdict is the CLI's text for the same estimate ("inconclusive" when the interval spans 1)
    const verdicts = figs.filter((x) => x.v === null);
    expect(verdicts.length).toBe(3);
    for (const f of verdicts) {
      const e = resolve(ab, f.k) as Omit<AbRatio, 'ratio'> & { ratio: number | null };
      const fixedByRate = f.k.endsWith('/throughput') && ab.variants['shard-aware'].throughputFixedByRate && ab.variants['token-aware'].throughputFixedByRate;
      expect(f.text, f.k).toBe(fixedByRate ? 'fixed by rate' : fmtGain({ ...e, ratio: e.ratio ?? NaN }));
    }
    // each variant's spectrum merges its rounds: as many values as its ops
    const data = JSON.parse(await o.page.$eval('#sb-data', (e) => e.textContent ?? '')) as { charts: { series: { label: string }[] }[] };
    const spectrum = data.charts[2].series.map((s) => s.label);
    for (const v of ['shard-aware', 'token-aware']) {
      const n = Object.values(ab.variants[v].classes as Record<string, { ops: Record<string, { count: number }> }>).reduce((a, c) => a + Object.values(c.ops).reduce((b, x) => b + x.count, 0), 0);
      expect(spectrum).toContain(`${v} (${n.toLocaleString('en-US')} values)`);
    }
    await o.page.close();
  });

  it('compare (--baseline): the figures compare computes, the two runs overlaid', async () => {
    const html = path.join(OUT, 'compare.html');
    const r = await runCli(['report', '--baseline', runDir, cleanDir, '-o', html]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ KiB; compare, run\)\n$/);
    const cmp = compareResults(readResult(runDir), readResult(cleanDir));
    const o = await open(html);
    const drawn = await expectCleanPage(o, 'compare.png');
    expect(await o.page.$$eval('section.report', (s) => s.map((x) => x.getAttribute('data-kind')))).toEqual(['compare', 'run']);
    const figs = await figures(o.page, 's1');
    expect(figs.length).toBe(cmp.ops.length * METRICS.length * 3);
    for (const f of figs) expect(JSON.parse(f.v ?? 'null'), f.k).toEqual(resolve(cmp, f.k) ?? null);
    // the change as compare prints it, and the baseline's injected errors seen as a better error rate
    for (const [i, op] of cmp.ops.entries()) {
      for (const metric of METRICS) {
        const m = op.metrics[metric];
        expect(figs.find((f) => f.k === `/ops/${i}/metrics/${metric}/change`)!.text, `${op.cls}.${op.op} ${metric}`).toBe(formatChange(m));
      }
    }
    const sigs = await o.page.$$eval('section#s1 table.figures tbody tr', (rows) => rows.map((r) => r.children[4]?.textContent ?? ''));
    expect(sigs).toEqual(cmp.ops.flatMap((op) => METRICS.map((m) => significance(op.metrics[m]))));
    expect(cmp.ops.find((x) => x.cls === 'bulk')!.metrics.errorRate.change).toBeLessThan(0);
    // per class×op: the spectra overlaid and the p99 per second overlaid, then the run's own charts
    const own = drawn.length - 2 * cmp.ops.length;
    // the candidate's own: latency per class (2), throughput, requests per node, a spectrum per class×op; it had no errors, so no errors chart
    expect(own).toBe(2 + 1 + 1 + cmp.ops.length);
    expect(await o.page.$eval('section#s2', (e) => e.textContent ?? '')).toContain('No errors in any interval.');
    await o.page.close();
  });

  it('several inputs: one page, one section each, every chart drawn', async () => {
    const html = path.join(OUT, 'both.html');
    const r = await runCli(['report', runDir, abDir, '-o', html]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('run, ab');
    const o = await open(html);
    await expectCleanPage(o, 'both.png');
    expect(await o.page.$$eval('section.report', (s) => s.map((x) => x.getAttribute('data-kind')))).toEqual(['run', 'ab']);
    await o.page.close();
  });
});
