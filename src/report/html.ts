/**
 * The page: one self-contained HTML file. uPlot's script and stylesheet are inlined from
 * node_modules at report time, the chart data sits in a JSON block, and a Content-Security-Policy
 * forbids every fetch, so the file reads the same offline, attached to a CI run or mailed.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ChartSpec } from './charts.js';
import { CLIENT_JS } from './client.js';
import { esc } from './format.js';

const require = createRequire(import.meta.url);

let uplotCache: { js: string; css: string } | undefined;

function uplot(): { js: string; css: string } {
  uplotCache ??= {
    js: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    css: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  };
  return uplotCache;
}

export interface PageSection {
  id: string;
  /** What the section is: run, ab, compare, capacity, sweep, history. */
  kind: string;
  title: string;
  /** The input file its figures come from (the data-k pointers point into it). */
  file: string;
  body: string;
}

/** Text that can sit inside <script>: no "</script" or "<!--" can end or bend the block. */
function scriptSafe(s: string): string {
  return s.replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const CSS = `
:root { color-scheme: light; --bad: #c62828; --good: #2e7d32; --line: #dde1e6; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1f24; background: #f5f6f8; margin: 0; }
header.top { background: #17324d; color: #fff; padding: 14px 28px; }
header.top h1 { margin: 0; font-size: 20px; font-weight: 600; }
header.top .sub { opacity: .8; font-size: 12px; }
main { max-width: 1280px; margin: 0 auto; padding: 8px 24px 48px; }
nav.toc { margin: 12px 0; font-size: 13px; }
nav.toc a { margin-right: 14px; }
section.report { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 8px 22px 22px; margin: 18px 0; }
section.report > h2 { font-size: 18px; margin: 12px 0 6px; }
section.report > h2 .kind { font-size: 11px; text-transform: uppercase; background: #17324d; color: #fff; border-radius: 4px; padding: 2px 6px; margin-right: 8px; vertical-align: 2px; }
h3 { font-size: 15px; margin: 22px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 6px 0 10px; font-size: 13px; }
dl.meta dt { color: #57606a; }
dl.meta dd { margin: 0; }
table.figures { border-collapse: collapse; margin: 6px 0 12px; font-size: 13px; font-variant-numeric: tabular-nums; }
table.figures th, table.figures td { border: 1px solid var(--line); padding: 3px 8px; text-align: right; white-space: nowrap; }
table.figures th { background: #f0f2f5; font-weight: 600; white-space: normal; vertical-align: bottom; }
.scroll { overflow-x: auto; max-width: 100%; }
table.figures td:first-child, table.figures th:first-child { text-align: left; }
table.figures td.note { text-align: left; }
table.figures td.wrap { text-align: left; white-space: normal; min-width: 260px; }
table.figures td.verdict { text-align: left; white-space: normal; min-width: 240px; max-width: 420px; }
table.figures tr.group th { text-align: left; background: #e6ebf1; }
.bad { color: var(--bad); font-weight: 600; }
.good { color: var(--good); }
.big { font-size: 18px; }
.note { color: #57606a; font-size: 12px; font-weight: normal; }
.banner { padding: 8px 12px; border-radius: 6px; background: #fdecea; }
details.warnings { margin: 6px 0; font-size: 13px; }
details.warnings summary { color: #9a6700; cursor: pointer; font-weight: 600; }
.grid1 { display: grid; grid-template-columns: 1fr; gap: 14px; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 14px; }
figure.chart { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 8px 8px 4px; min-width: 0; }
figure.chart figcaption { font-weight: 600; font-size: 13px; margin: 0 0 4px 4px; }
figure.chart .plot { width: 100%; }
.heatbox { display: inline-block; vertical-align: top; margin: 4px 24px 12px 0; }
.heathead { margin-bottom: 4px; }
table.heat { border-collapse: collapse; font-size: 12px; font-variant-numeric: tabular-nums; }
table.heat th { padding: 3px 8px; font-weight: 600; text-align: left; background: #f0f2f5; border: 1px solid var(--line); }
table.heat td.heat { padding: 6px 10px; text-align: right; border: 1px solid #fff; min-width: 70px; }
table.heat td.hot { outline: 2px solid var(--bad); outline-offset: -2px; }
td.forestcell { width: 190px; padding: 3px 16px !important; }
.forest { position: relative; height: 14px; width: 160px; background: #f5f6f8; border-radius: 3px; }
.forest .one { position: absolute; left: 50%; top: 0; bottom: 0; border-left: 1px solid #333; }
.forest .bar { position: absolute; top: 5px; height: 4px; background: #8a96a3; border-radius: 2px; }
.forest.up .bar { background: var(--good); }
.forest.down .bar { background: var(--bad); }
.forest .dot { position: absolute; top: 2px; width: 10px; height: 10px; margin-left: -5px; border-radius: 50%; background: #17324d; }
.forest .more { position: absolute; top: -2px; font-size: 11px; color: #333; }
.forest .more.l { left: -12px; } .forest .more.r { right: -12px; }
code { font-size: 12px; }
.huge { font-size: 30px; font-weight: 700; }
.answer { display: flex; gap: 36px; align-items: center; flex-wrap: wrap; margin: 10px 0 4px; }
pre.cli { background: #f5f6f8; border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; font-size: 12px; white-space: pre-wrap; }
pre.cli span { display: block; }
table.figures tr.regressed td { background: #fdecea; }
`;

export function renderPage(o: { generatedAt: string; toolVersion: string; sections: PageSection[]; charts: ChartSpec[] }): string {
  const u = uplot();
  const toc = o.sections.length > 1 ? `<nav class="toc">${o.sections.map((s) => `<a href="#${esc(s.id)}">${esc(s.kind)}: ${esc(s.title)}</a>`).join('')}</nav>` : '';
  const sections = o.sections.map((s) => `<section class="report" id="${esc(s.id)}" data-kind="${esc(s.kind)}" data-file="${esc(s.file)}">
<h2><span class="kind">${esc(s.kind)}</span>${esc(s.title)}</h2>
<p class="note">from <code>${esc(s.file)}</code></p>
${s.body}
</section>`).join('\n');
  const title = o.sections.length === 1 ? `scylla-bench ${o.sections[0].kind}: ${o.sections[0].title}` : `scylla-bench report (${o.sections.length} results)`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<link rel="icon" href="data:,">
<title>${esc(title)}</title>
<style>${u.css}</style>
<style>${CSS}</style>
</head>
<body>
<header class="top"><h1>${esc(title)}</h1><div class="sub">scylla-bench ${esc(o.toolVersion)} · generated ${esc(o.generatedAt)} · self-contained: no network needed</div></header>
<main>
${toc}
${sections}
</main>
<script type="application/json" id="sb-data">${scriptSafe(JSON.stringify({ charts: o.charts }))}</script>
<script>${u.js}</script>
<script>${CLIENT_JS}</script>
</body>
</html>
`;
}
