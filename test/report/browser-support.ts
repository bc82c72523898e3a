/**
 * Opening a report in Debian's headless Chromium (playwright-core, which never downloads a
 * browser) and reading it back: console errors, requests, every chart's canvas pixels, and the
 * `data-k` figures of a section. Shared by the browser tests of each kind of report.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';

export const CHROMIUM = '/usr/bin/chromium';
// Chromium's own background traffic is refused on this machine (and has no place in a test)
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Opened {
  page: Page;
  consoleErrors: string[];
  failed: string[];
  requests: string[];
  url: string;
}

export interface CanvasCheck { id: string; width: number; height: number; colours: number; saturated: number }

export interface Browser {
  open(file: string): Promise<Opened>;
  close(): Promise<void>;
}

/** A persistent headless Chromium with a throw-away profile; fails with the fix when Chromium is missing. */
export async function launch(): Promise<Browser> {
  try {
    statSync(CHROMIUM);
  } catch {
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it)`);
  }
  const profileDir = mkdtempSync(path.join(os.tmpdir(), 'sb-chromium-'));
  const ctx: BrowserContext = await chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM, headless: true, args: FLAGS });
  return {
    async open(file: string): Promise<Opened> {
      const page = await ctx.newPage();
      await page.setViewportSize({ width: 1280, height: 900 });
      const o: Opened = { page, consoleErrors: [], failed: [], requests: [], url: pathToFileURL(path.resolve(file)).href };
      page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') o.consoleErrors.push(`${m.type()}: ${m.text()}`); });
      page.on('pageerror', (e) => o.consoleErrors.push(`pageerror: ${e.message}`));
      page.on('requestfailed', (r) => o.failed.push(`${r.url()} ${r.failure()?.errorText ?? ''}`));
      page.on('request', (r) => o.requests.push(r.url()));
      await page.goto(o.url, { waitUntil: 'load' });
      await page.waitForFunction(ALL_DRAWN, null, { timeout: 30_000 });
      return o;
    },
    async close(): Promise<void> {
      await ctx.close();
      rmSync(profileDir, { recursive: true, force: true });
    },
  };
}

/** Set by the page's script once every chart has drawn (code run in the page: this project's TS has no DOM types). */
const ALL_DRAWN = 'document.body.dataset.charts !== undefined && document.body.dataset.chartsDrawn === document.body.dataset.charts';

/** Every chart's canvas, read back: how many colours, how many saturated (series) pixels. */
const READ_CANVASES = `[...document.querySelectorAll('figure.chart')].map((fig) => {
  const c = fig.querySelector('canvas');
  const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  const colours = new Set();
  let saturated = 0;
  for (let i = 0; i < px.length; i += 4) {
    if (px[i + 3] === 0) continue;
    colours.add((px[i] << 16) | (px[i + 1] << 8) | px[i + 2]);
    if (px[i + 3] > 200 && Math.max(px[i], px[i + 1], px[i + 2]) - Math.min(px[i], px[i + 1], px[i + 2]) > 60) saturated++;
  }
  return { id: fig.dataset.chart, width: c.width, height: c.height, colours: colours.size, saturated };
})`;

export function canvases(page: Page): Promise<CanvasCheck[]> {
  return page.evaluate(READ_CANVASES) as Promise<CanvasCheck[]>;
}

export interface Figure { k: string; v: string | null; text: string }

/** Every [data-k] figure of a section (but those inside an element matching `outside`): its JSON pointer, the value it carries and the text shown. */
export function figures(page: Page, section: string, outside?: string): Promise<Figure[]> {
  return page.$$eval(`section#${section} [data-k]`, (els, out) => els.filter((e) => !out || !e.closest(out)).map((e) => ({ k: e.getAttribute('data-k')!, v: e.getAttribute('data-v'), text: (e.textContent ?? '').trim() })), outside);
}

export function resolve(doc: unknown, pointer: string): unknown {
  return pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~')).reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], doc);
}

/** The page's chart specs (its embedded data block). */
export interface PageChart { id: string; title: string; series: { label: string }[]; data: (number | null)[][]; marks?: { x: number; label: string }[]; hlines?: { y: number; label: string }[]; whiskers?: { low: number; high: number }[] }

export async function chartsOf(page: Page): Promise<PageChart[]> {
  return (JSON.parse(await page.$eval('#sb-data', (e) => e.textContent ?? '')) as { charts: PageChart[] }).charts;
}

/**
 * Screenshot (kept under `dir`), then: no console error or warning, no failed request, no request
 * beyond the page itself, and every chart's canvas drawn (several colours, saturated series pixels
 * beside the grey axes).
 */
export async function expectCleanPage(o: Opened, dir: string, shot: string): Promise<CanvasCheck[]> {
  mkdirSync(dir, { recursive: true });
  await o.page.screenshot({ path: path.join(dir, shot), fullPage: true });
  expect(o.consoleErrors).toEqual([]);
  expect(o.failed).toEqual([]);
  // self-contained: the page asked for nothing but itself
  expect(o.requests).toEqual([o.url]);
  const drawn = await canvases(o.page);
  const charts = Number(await o.page.getAttribute('body', 'data-charts'));
  expect(drawn.length).toBe(charts);
  for (const c of drawn) {
    expect(c.width * c.height, c.id).toBeGreaterThan(0);
    // axes and grid are grey: saturated pixels are series actually drawn
    expect(c.colours, c.id).toBeGreaterThan(3);
    expect(c.saturated, c.id).toBeGreaterThan(20);
  }
  return drawn;
}
