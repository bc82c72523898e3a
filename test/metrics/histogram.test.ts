/**
 * Histogram truths: merging encoded per-worker histograms equals one histogram of all samples,
 * exactly; and our .hlog files are read by HdrHistogram's own Java HistogramLogProcessor.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import hdr from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { decode, encode, type Histogram, LatencyRecorder, mergeInto, newHistogram, recordNs, summarize } from '../../src/metrics/histogram.js';
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

/** hdr-histogram-js' JsHistogram methods its Histogram type leaves out. */
interface Buckets {
  highestEquivalentValue(value: number): number;
  lowestEquivalentValue(value: number): number;
  getCountAtIndex(index: number): number;
}

describe('LatencyRecorder (the worker hot path)', () => {
  // every power-of-two edge, sub-µs, the 1.5 µs rounding edge, the first buckets, 1 h and 2^32 µs
  const edges: number[] = [0, 1, 499, 500, 1499, 1499.999, 1500, 1500.001, 2499.5, 2500, 123_500, 2047e3, 2048e3, 2049e3, 4095e3, 4096e3,
    3_600_000_000e3 - 501, 3_600_000_000e3 - 500, 2 ** 32 * 1000 - 501, 2 ** 32 * 1000 - 500];
  for (let k = 11; k < 34; k++) edges.push(2 ** k * 1000 - 1000, 2 ** k * 1000 - 500, 2 ** k * 1000, 2 ** k * 1000 + 1000);
  const long = (ns: number): boolean => ns >= 3_600_000_000e3 - 500;

  /** The recorder against hdr-histogram-js fed the same values: as shipped, byte for byte, and as every reader decodes it. */
  function expectSame(rec: LatencyRecorder, direct: Histogram): void {
    const b64 = rec.encode();
    expect(b64).toBe(encode(direct));
    expect(rec.encode(), 'encoding leaves the recorder as it was').toBe(b64);
    const got = rec.snapshot();
    const want = decode(encode(direct));
    expect(got.totalCount).toBe(direct.totalCount);
    expect(got.maxValue).toBe(want.maxValue);
    expect(got.minNonZeroValue).toBe(want.minNonZeroValue);
    if (direct.totalCount > 0) {
      // the shipped min and max are the exact ones' bucket edges
      const js = direct as unknown as Buckets;
      expect(got.maxValue).toBe(js.highestEquivalentValue(direct.maxValue));
      expect(got.minNonZeroValue).toBe(js.lowestEquivalentValue(direct.minNonZeroValue));
    }
    expect(got.mean).toBe(want.mean);
    for (const p of [0, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 99.999, 100]) expect(got.getValueAtPercentile(p), `p${p}`).toBe(direct.getValueAtPercentile(p));
    expect(summarize(got)).toEqual(summarize(want));
  }

  function values(r: () => number, withLong: boolean): number[] {
    const out = edges.filter((ns) => withLong || !long(ns));
    for (let i = 0; i < 50_000; i++) out.push(r() < 0.01 ? 1e9 * r() * (withLong ? 100 : 10) : 1e5 * (1 + 50 * r() ** 3));
    // whole microseconds and exact halves, as differences of millisecond clocks give
    for (let i = 0; i < 5_000; i++) out.push(Math.floor(r() * 1e5) * 1000 + (i % 2 ? 500 : 0));
    return out;
  }

  it('ships what hdr-histogram-js fed every value ships: the same bytes, counts, min, max, mean, percentiles', () => {
    const r = rng(7);
    const direct = newHistogram();
    // and the library's own build and encoder, not only the codec this module uses
    const lib = hdr.build({ bitBucketSize: 32, lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, autoResize: true, useWebAssembly: false });
    const rec = new LatencyRecorder();
    // an interval with latencies of more than an hour, then ones without (the histogram keeps the
    // size it grew to, and says so in the header), then an empty one
    for (const withLong of [true, false, true, false]) {
      for (const ns of values(r, withLong)) { recordNs(direct, ns); recordNs(lib, ns); rec.recordNs(ns); }
      expectSame(rec, direct);
      expect(rec.encode()).toBe(hdr.encodeIntoCompressedBase64(lib));
      rec.reset();
      direct.reset();
      lib.reset();
      expectSame(rec, direct);
      expect(rec.encode()).toBe(hdr.encodeIntoCompressedBase64(lib));
    }
  });

  it('a recorder that never saw an hour-long latency: the same bytes, interval after interval', () => {
    const r = rng(11);
    const direct = newHistogram();
    const rec = new LatencyRecorder();
    expectSame(rec, direct);
    for (let round = 0; round < 3; round++) {
      for (const ns of values(r, false)) { recordNs(direct, ns); rec.recordNs(ns); }
      expectSame(rec, direct);
      rec.reset();
      direct.reset();
    }
    // one value of each kind alone
    for (const ns of edges.filter((x) => !long(x))) {
      recordNs(direct, ns); rec.recordNs(ns);
      expectSame(rec, direct);
      rec.reset(); direct.reset();
    }
  });

  it('negative and NaN latencies count as the lowest value, 1 µs, as sub-µs ones do', () => {
    const rec = new LatencyRecorder();
    const direct = newHistogram();
    for (const ns of [-5000, -1, -0, NaN, 0, 400]) { rec.recordNs(ns); recordNs(direct, ns); }
    expectSame(rec, direct);
    expect(direct.totalCount).toBe(6);
    expect((direct as unknown as Buckets).getCountAtIndex(1)).toBe(6);
  });
});
