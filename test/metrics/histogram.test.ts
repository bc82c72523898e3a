/**
 * Histogram truths: merging encoded per-worker histograms equals one histogram of all samples,
 * exactly; and our .hlog files are read by HdrHistogram's own Java HistogramLogProcessor.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decode, encode, LatencyRecorder, mergeInto, newHistogram, recordNs, summarize } from '../../src/metrics/histogram.js';
import { HlogWriter } from '../../src/metrics/hlog.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

describe('histogram merge', () => {
  it('merging encoded worker histograms equals one histogram of all samples', () => {
    const r = rng(42);
    const all = newHistogram();
    const workers = [newHistogram(), newHistogram(), newHistogram(), newHistogram()];
    for (let i = 0; i < 200_000; i++) {
      // a long-tailed latency in ns: mostly 100 µs–2 ms, sometimes seconds
      const ns = r() < 0.001 ? 1e9 * (1 + r() * 5) : 1e5 * (1 + 20 * r() ** 3);
      recordNs(all, ns);
      recordNs(workers[i % 4], ns);
    }
    const merged = newHistogram();
    for (const w of workers) mergeInto(merged, decode(encode(w)));
    expect(merged.totalCount).toBe(all.totalCount);
    // encoding keeps bucket counts, so the max comes back as its bucket's top: compare with the
    // single histogram as it would be shipped
    const shipped = decode(encode(all));
    expect(merged.maxValue).toBe(shipped.maxValue);
    expect(merged.minNonZeroValue).toBe(shipped.minNonZeroValue);
    expect(encode(merged)).toBe(encode(shipped));
    for (let p = 0; p <= 100; p += 0.5) expect(merged.getValueAtPercentile(p), `p${p}`).toBe(all.getValueAtPercentile(p));
    expect(merged.getValueAtPercentile(99.99)).toBe(all.getValueAtPercentile(99.99));
    expect(summarize(merged)).toEqual(summarize(shipped));
  });

  it('averaging per-worker percentiles would be wrong, which is why we merge', () => {
    const a = newHistogram();
    const b = newHistogram();
    for (let i = 0; i < 1000; i++) recordNs(a, 1e6); // 1 ms
    for (let i = 0; i < 10; i++) recordNs(b, 100e6); // 100 ms
    const merged = newHistogram();
    mergeInto(merged, a);
    mergeInto(merged, b);
    const avgOfP99 = (a.getValueAtPercentile(99) + b.getValueAtPercentile(99)) / 2;
    expect(merged.getValueAtPercentile(99)).toBeLessThan(avgOfP99 / 10);
  });
});

function hdrJar(): string | undefined {
  const lib = path.join(process.env.CASSANDRA_WORK ?? path.resolve('.cassandra'), 'lib');
  if (!existsSync(lib)) return undefined;
  const jar = readdirSync(lib).find((f) => /^HdrHistogram-.*\.jar$/.test(f));
  return jar ? path.join(lib, jar) : undefined;
}

describe('.hlog files', () => {
  it("are read by HdrHistogram's own HistogramLogProcessor", () => {
    const jar = hdrJar();
    expect(jar, 'HdrHistogram jar from tools/cassandra/fetch.sh').toBeDefined();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-hlog-'));
    const file = path.join(dir, 'oltp.hlog');
    const start = Date.UTC(2026, 10, 25, 12, 0, 0);
    const w = new HlogWriter(file, start, 'test log');
    let total = 0;
    for (let s = 0; s < 5; s++) {
      const h = newHistogram();
      for (let i = 0; i < 1000 * (s + 1); i++) recordNs(h, (500 + i) * 1000); // 0.5 ms upwards
      total += h.totalCount;
      w.interval('measure.read.response', start + s * 1000, start + (s + 1) * 1000, h);
      const other = newHistogram();
      recordNs(other, 7e6);
      w.interval('measure.write.response', start + s * 1000, start + (s + 1) * 1000, other);
    }
    const out = path.join(dir, 'out');
    const r = spawnSync('/usr/lib/jvm/java-17-openjdk-amd64/bin/java', ['-cp', jar!, 'org.HdrHistogram.HistogramLogProcessor',
      '-i', file, '-tag', 'measure.read.response', '-o', out, '-csv', '-outputValueUnitRatio', '1000'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    // the interval CSV: one row per interval; its counts sum to what we recorded for the tag
    const rows = readFileSync(out, 'utf8').trim().split('\n').filter((l) => /^\d/.test(l));
    expect(rows.length).toBe(5);
    const header = readFileSync(out, 'utf8').split('\n').find((l) => l.includes('Int_Count'))!.split(',');
    const countCol = header.findIndex((h) => h.includes('Int_Count'));
    expect(rows.reduce((acc, l) => acc + Number(l.split(',')[countCol]), 0)).toBe(total);
    // and the overall distribution (CSV: value, percentile, total count, 1/(1-p)) ends at our
    // total count with a max near 5.499 ms
    const last = readFileSync(`${out}.hgrm`, 'utf8').trim().split('\n').pop()!.split(',');
    expect(Number(last[2])).toBe(total);
    expect(Number(last[0])).toBeCloseTo(5.499, 2);
  });
});

describe('LatencyRecorder (the worker hot path)', () => {
  it('holds the same histogram as recording every value directly: counts, encoding, min, max, mean', () => {
    const r = rng(7);
    const direct = newHistogram();
    const rec = new LatencyRecorder();
    // every power-of-two edge, sub-µs, the first buckets, and a long tail up to ~2^33 µs
    const edges: number[] = [-5000, -1, 0, 1, 499, 500, 1499, 1499.999, 1500, 2499.5, 2500, 123_500, 2047e3, 2048e3, 2049e3, 4095e3, 4096e3, 2 ** 32 * 1000 - 501, 2 ** 32 * 1000 - 500];
    for (let k = 11; k < 34; k++) edges.push(2 ** k * 1000 - 1000, 2 ** k * 1000, 2 ** k * 1000 + 1000);
    for (let round = 0; round < 3; round++) {
      const values = [...edges];
      for (let i = 0; i < 50_000; i++) values.push(r() < 0.01 ? 1e9 * r() * 100 : 1e5 * (1 + 50 * r() ** 3));
      // whole microseconds and exact halves, as differences of millisecond clocks give
      for (let i = 0; i < 5_000; i++) values.push(Math.floor(r() * 1e5) * 1000 + (i % 2 ? 500 : 0));
      for (const ns of values) { recordNs(direct, ns); rec.recordNs(ns); }
      const h = rec.flush();
      expect(h.totalCount).toBe(direct.totalCount);
      expect(h.maxValue).toBe(direct.maxValue);
      expect(h.minNonZeroValue).toBe(direct.minNonZeroValue);
      expect(h.mean).toBe(direct.mean);
      expect(rec.encode()).toBe(encode(direct));
      expect(summarize(decode(rec.encode()))).toEqual(summarize(decode(encode(direct))));
      // an interval ends: both start again empty
      rec.reset();
      direct.reset();
      expect(rec.flush().totalCount).toBe(0);
    }
  });
});
