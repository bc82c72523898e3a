/**
 * HdrHistogram's V2 encodings, compressed and not, written here over node:zlib.
 *
 * Why not hdr-histogram-js' own: its package index (and its encoding module) load pako, base64-js,
 * an AssemblyScript loader and a 64 KiB base64 WebAssembly image we never use, in every thread
 * that records or merges: ~4 MiB of heap per thread and ~5 MiB more of node's own code paged in
 * (bench/soak.ts, issue 17's memory target). We build only its plain Int32Histogram and do the
 * V2 encoding ourselves, byte for byte as HdrHistogram (Java) and hdr-histogram-js write it:
 *
 *   compressed:   int32 cookie 0x1c849314, int32 length, zlib(deflate) of the uncompressed form
 *   uncompressed: int32 cookie 0x1c849313, int32 payload length, int32 normalizing offset (0),
 *                 int32 significant digits, int64 lowest, int64 highest, double-ratio int64 (1),
 *                 then counts as ZigZag LEB128-64b9B words, a run of n ≥ 2 zeros as −n
 *
 * All integers big-endian. Tested against hdr-histogram-js and HdrHistogram's Java log processor.
 */
import { createRequire } from 'node:module';
import { deflateSync, inflateSync } from 'node:zlib';
import type { Histogram } from 'hdr-histogram-js';

// required, not imported: a CommonJS default export reads the same under Node and under vitest
const Int32Histogram = (createRequire(import.meta.url)('hdr-histogram-js/dist/Int32Histogram.js') as {
  default: new (lowest: number, highest: number, significantDigits: number) => Histogram;
}).default;

/**
 * What the encoder reads: hdr-histogram-js' JsHistogram has it all (beyond its public interface),
 * and so can counts kept elsewhere (the worker's LatencyRecorder encodes its array directly).
 */
export interface EncodableCounts {
  readonly numberOfSignificantValueDigits: number;
  readonly lowestDiscernibleValue: number;
  readonly highestTrackableValue: number;
  /** Cells are written up to this value's index. */
  readonly maxValue: number;
  countsArrayIndex(value: number): number;
  getCountAtIndex(index: number): number;
}

/** What the decoder writes into the JsHistogram it builds. */
interface CountsAccess extends EncodableCounts {
  setCountAtIndex(index: number, count: number): void;
  establishInternalTackingValues(lengthToCover?: number): void;
}

// a JsHistogram has these members, though hdr-histogram-js' Histogram interface does not declare them
const countsOf = (h: Histogram | EncodableCounts): EncodableCounts => h as unknown as EncodableCounts;

const V2_COOKIE = 0x1c849303 | 0x10;
const V2_COMPRESSED_COOKIE = 0x1c849304 | 0x10;
const V2_HEADER_BYTES = 40;
/** A word is at most 9 bytes (LEB128-64b9B). */
const MAX_WORD_BYTES = 9;

/** A histogram of latencies in µs counted in 32-bit cells (hdr-histogram-js' bitBucketSize 32). */
export function newInt32Histogram(lowest: number, highest: number, significantDigits: number, autoResize: boolean): Histogram {
  const h = new Int32Histogram(lowest, highest, significantDigits);
  h.autoResize = autoResize;
  return h;
}

/** Writes `value` (an integer, |value| < 2^53) as ZigZag LEB128-64b9B at `at`; returns the next position. */
function putWord(buf: Buffer, at: number, value: number): number {
  // ZigZag on doubles: exact for |value| < 2^52, far beyond any count or zero run here
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  for (let i = 0; i < 8; i++) {
    if (v < 128) { buf[at++] = v; return at; }
    buf[at++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  // the 9th byte carries a full 8 bits
  buf[at++] = v;
  return at;
}

export function encodeUncompressed(h: Histogram | EncodableCounts): Buffer {
  const c = countsOf(h);
  const countsLimit = c.countsArrayIndex(c.maxValue) + 1;
  // worst case: every cell a non-zero 9-byte word
  const buf = Buffer.allocUnsafe(V2_HEADER_BYTES + countsLimit * MAX_WORD_BYTES);
  buf.writeInt32BE(V2_COOKIE, 0);
  buf.writeInt32BE(1, 8);
  buf.writeInt32BE(c.numberOfSignificantValueDigits, 12);
  buf.writeBigInt64BE(BigInt(c.lowestDiscernibleValue), 16);
  buf.writeBigInt64BE(BigInt(c.highestTrackableValue), 24);
  buf.writeBigInt64BE(1n, 32);
  let at = V2_HEADER_BYTES;
  let i = 0;
  while (i < countsLimit) {
    const count = c.getCountAtIndex(i++);
    if (count !== 0) { at = putWord(buf, at, count); continue; }
    let zeros = 1;
    while (i < countsLimit && c.getCountAtIndex(i) === 0) { zeros++; i++; }
    at = putWord(buf, at, zeros > 1 ? -zeros : 0);
  }
  buf.writeInt32BE(at - V2_HEADER_BYTES, 4);
  return buf.subarray(0, at);
}

/** HdrHistogram's compressed V2 form, base64: the text of a .hlog line and what workers ship. */
export function encodeCompressedBase64(h: Histogram | EncodableCounts): string {
  const deflated = deflateSync(encodeUncompressed(h));
  const out = Buffer.allocUnsafe(8 + deflated.length);
  out.writeInt32BE(V2_COMPRESSED_COOKIE, 0);
  out.writeInt32BE(deflated.length, 4);
  deflated.copy(out, 8);
  return out.toString('base64');
}

/** Reads a compressed V2 histogram (base64); throws on anything else. */
export function decodeCompressedBase64(b64: string): Histogram {
  const bytes = Buffer.from(b64, 'base64');
  if (bytes.length < 8 || (bytes.readInt32BE(0) & ~0xf0) !== 0x1c849304) throw new Error('not a compressed V2 HdrHistogram');
  const length = bytes.readInt32BE(4);
  if (length < 0 || 8 + length > bytes.length) throw new Error('truncated compressed HdrHistogram');
  return decodeUncompressed(inflateSync(bytes.subarray(8, 8 + length)));
}

export function decodeUncompressed(buf: Buffer): Histogram {
  if (buf.length < V2_HEADER_BYTES || buf.readInt32BE(0) !== V2_COOKIE) throw new Error('not a V2 HdrHistogram');
  const payloadBytes = buf.readInt32BE(4);
  const digits = buf.readInt32BE(12);
  const lowest = Number(buf.readBigInt64BE(16));
  const highest = Number(buf.readBigInt64BE(24));
  const end = V2_HEADER_BYTES + payloadBytes;
  if (payloadBytes < 0 || end > buf.length) throw new Error('truncated HdrHistogram payload');
  const h = new Int32Histogram(lowest, highest, digits);
  // as hdr-histogram-js decodes: auto-resizing, so a later add of wider histograms fits
  h.autoResize = true;
  const c = h as unknown as CountsAccess;
  let at = V2_HEADER_BYTES;
  let index = 0;
  while (at < end) {
    let value = 0;
    let scale = 1;
    let b = 0;
    let n = 0;
    do {
      if (at >= end) throw new Error('truncated HdrHistogram word');
      b = buf[at++];
      value += (n === 8 ? b : b & 0x7f) * scale;
      scale *= 128;
      n++;
    } while (n < 9 && (b & 0x80) !== 0);
    const word = value % 2 === 0 ? value / 2 : -(value + 1) / 2;
    if (word < 0) index -= word;
    else c.setCountAtIndex(index++, word);
  }
  c.establishInternalTackingValues(index);
  return h;
}
