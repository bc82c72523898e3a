/**
 * Report benchmark: the size of the report of a 1-hour run and the time headless Chromium takes
 * to open it (until every chart has drawn). Targets: < 5 MB, < 2 s. Also a real capacity sweep's
 * report (on the spawned emulator, 2 s steps) and a year of nightly history.
 *
 * The 1-hour result is SYNTHETIC: a real short run (test/report/fixtures/mixed.yaml, two classes,
 * three ops, against the emulator) whose measure phase gets 3 600 intervals by repeating its real
 * ones. The encoded histograms stay those of the short run: a real hour's histograms hold more
 * distinct buckets but are bounded by HDR's size (a few KB each), and the page embeds only the
 * percentile series decoded from them, whose length grows with log10(count), not with time.
 *
 * The year of history is SYNTHETIC too: 365 nights × 3 series (profile, class, SLO) of capacity
 * lines with a slow drift, noise and one drop (so one night is flagged); only the trends are drawn
 * (the nights' results do not exist).
 *
 *   node dist/bench/report.js [--opens 3]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { readHistoryInput, readInput, renderReport } from '../src/report/index.js';
import type { RunResult } from '../src/results/result.js';
import { arg } from './args.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const OUT = path.join(ROOT, 'results/bench-report');
const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const HOUR_SEC = 3600;
/** Set by the page's script once every chart has drawn (evaluated in the page). */
const ALL_DRAWN = 'document.body.dataset.charts !== undefined && document.body.dataset.chartsDrawn === document.body.dataset.charts';


function realSweep(): string {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/scylla-bench.js'), 'capacity', 'test/fixtures/engine/capacity.yaml', '--target', 'sim:127.79.0.2', '--duration', '2s', '--warmup', '1s', '--precision', '10%', '--json', '--out', OUT], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0 && r.status !== 1) throw new Error(`capacity failed (${r.status}): ${r.stderr}`);
  return path.resolve(ROOT, JSON.parse(r.stdout).resultDir as string);
}

/** 365 nights of 3 series: a slow drift, ±3 % noise, a 30 % drop on night 200 of the first. */
function yearOfHistory(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const lines: string[] = [];
  const start = Date.parse('2026-01-01T03:17:00Z');
  for (let n = 0; n < 365; n++) {
    for (const [k, cls] of ['oltp', 'olap', 'ingest'].entries()) {
      const base = (10_000 + 4_000 * k) * (1 + n / 2000) * (1 + 0.03 * Math.sin(n * 1.7 + k)) * (k === 0 && n >= 200 ? 0.7 : 1);
      const lo = Math.round(base);
      lines.push(JSON.stringify({ date: new Date(start + n * 86_400_000 + k * 600_000).toISOString(), gitSha: null, profileHash: 'sha256:bench', profile: 'bench', class: cls, slo: { metric: 'p99Ms', limitMs: 10 }, capacityOpsPerSec: lo, bracket: [lo, Math.round(lo * 1.05)], limitedBy: 'cluster', resultDir: `gone/night-${n}` }));
    }
  }
  writeFileSync(path.join(dir, 'capacity-history.jsonl'), `${lines.join('\n')}\n`);
}

function realRun(): string {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/scylla-bench.js'), 'run', 'test/report/fixtures/mixed.yaml', '--target', 'sim:127.79.0.7', '--json', '--out', OUT], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`run failed (${r.status}): ${r.stderr}`);
  return path.resolve(ROOT, JSON.parse(r.stdout).resultDir as string);
}

/** The short run stretched to an hour: its measure phase's intervals repeated to 3 600 seconds. */
function hourLong(r: RunResult): RunResult {
  const m = r.phases.findIndex((p) => p.kind === 'measure');
  const ph = r.phases[m];
  const real = ph.intervals.filter((iv) => Object.values(iv.classes).some((c) => c.started > 0));
  const intervals = Array.from({ length: HOUR_SEC }, (_, t) => ({ ...real[t % real.length], t }));
  const phases = r.phases.map((p, i) => (i === m ? { ...p, intervals, durationMs: HOUR_SEC * 1000, wallMs: HOUR_SEC * 1000 + 10 } : p));
  const endedAt = new Date(Date.parse(ph.startedAt) + HOUR_SEC * 1000 + 100).toISOString();
  return { ...r, runId: `${r.runId}-1h-synthetic`, endedAt, phases };
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const dir = realRun();
  const real = JSON.parse(readFileSync(path.join(dir, 'result.json'), 'utf8')) as RunResult;
  const longDir = path.join(OUT, `${real.runId}-1h`);
  mkdirSync(longDir, { recursive: true });
  writeFileSync(path.join(longDir, 'result.json'), JSON.stringify(hourLong(real)));

  const sweep = realSweep();
  const history = path.join(OUT, 'history-year');
  yearOfHistory(history);

  const pages: { label: string; file: string; bytes: number; renderMs: number }[] = [];
  for (const [label, src] of [['short run', dir], ['1-hour run (synthetic)', longDir], ['capacity sweep', sweep], ['365 nights × 3 (synth.)', history]] as const) {
    const t0 = performance.now();
    const input = src === history ? readHistoryInput(src) : readInput(src);
    const html = renderReport([input], { toolVersion: 'bench' });
    const renderMs = performance.now() - t0;
    const file = path.join(OUT, `${path.basename(src)}.html`);
    writeFileSync(file, html);
    pages.push({ label: input.kind === 'capacity' ? `${label} (${input.capacity.steps.length} steps)` : label, file, bytes: Buffer.byteLength(html), renderMs });
  }

  const opens = Number(arg('opens', '3'));
  const profile = mkdtempSync(path.join(os.tmpdir(), 'sb-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1280, height: 900 } });
  try {
    console.log(`report (${os.cpus().length} cores; Chromium ${ctx.browser()?.version() ?? '?'}; intervals of the 1-hour run: ${HOUR_SEC}, synthetic from a real ${real.phases.find((p) => p.kind === 'measure')!.intervals.length}-interval run)`);
    for (const p of pages) {
      const times: number[] = [];
      for (let i = 0; i < opens; i++) {
        const page = await ctx.newPage();
        const t0 = performance.now();
        await page.goto(pathToFileURL(p.file).href, { waitUntil: 'load' });
        await page.waitForFunction(ALL_DRAWN, null, { timeout: 60_000 });
        times.push(performance.now() - t0);
        await page.close();
      }
      times.sort((a, b) => a - b);
      console.log(`  ${p.label.padEnd(24)} ${(p.bytes / 1e6).toFixed(2)} MB (target < 5 MB), rendered in ${p.renderMs.toFixed(0)} ms; open until every chart drawn: median ${times[times.length >> 1].toFixed(0)} ms (target < 2000), all ${times.map((t) => t.toFixed(0)).join(' / ')} ms`);
    }
  } finally {
    await ctx.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(`bench report: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
