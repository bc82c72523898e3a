/**
 * LZ4 block format, as used by protocol v4 body compression: the compressed body is
 * [int32 BE uncompressed length][LZ4 block]. A small greedy compressor (hash of 4 bytes,
 * one candidate) is enough: the point is fewer bytes on the wire for large rows, not ratio.
 */
import { ProtocolViolation } from './buffer.js';
import type { BodyCodec } from './frame.js';

const MIN_MATCH = 4;
const HASH_LOG = 12;
const LAST_LITERALS = 5;
const MF_LIMIT = 12;

/** Refuse to inflate beyond this (a corrupt length must not allocate gigabytes). */
const MAX_UNCOMPRESSED = 256 * 1024 * 1024;

export function lz4DecompressBlock(src: Buffer, start: number, end: number, out: Buffer): number {
  let s = start;
  let d = 0;
  while (s < end) {
    const token = src[s++];
    let litLen = token >>> 4;
    if (litLen === 15) {
      let b: number;
      do {
        if (s >= end) throw new ProtocolViolation('lz4: truncated literal length');
        b = src[s++];
        litLen += b;
      } while (b === 255);
    }
    if (s + litLen > end || d + litLen > out.length) throw new ProtocolViolation('lz4: literal run overflows');
    src.copy(out, d, s, s + litLen);
    s += litLen;
    d += litLen;
    if (s >= end) break; // the last sequence has literals only
    if (s + 2 > end) throw new ProtocolViolation('lz4: truncated offset');
    const offset = src[s] | (src[s + 1] << 8);
    s += 2;
    if (offset === 0 || offset > d) throw new ProtocolViolation(`lz4: bad match offset ${offset}`);
    let matchLen = token & 15;
    if (matchLen === 15) {
      let b: number;
      do {
        if (s >= end) throw new ProtocolViolation('lz4: truncated match length');
        b = src[s++];
        matchLen += b;
      } while (b === 255);
    }
    matchLen += MIN_MATCH;
    if (d + matchLen > out.length) throw new ProtocolViolation('lz4: match overflows output');
    // byte-by-byte: matches may overlap their own output (RLE-like runs)
    let m = d - offset;
    for (let i = 0; i < matchLen; i++) out[d++] = out[m++];
  }
  return d;
}

function writeLength(out: number[], n: number): void {
  while (n >= 255) {
    out.push(255);
    n -= 255;
  }
  out.push(n);
}

export function lz4CompressBlock(src: Buffer): Buffer {
  const n = src.length;
  const out: number[] = [];
  const table = new Int32Array(1 << HASH_LOG).fill(-1);
  const hash = (i: number): number => (Math.imul(src.readUInt32LE(i), 2654435761) >>> (32 - HASH_LOG));
  let anchor = 0;
  let i = 0;
  const matchLimit = n - MF_LIMIT;
  while (i < matchLimit) {
    const h = hash(i);
    const cand = table[h];
    table[h] = i;
    if (cand < 0 || i - cand > 65535 || src.readUInt32LE(cand) !== src.readUInt32LE(i)) {
      i++;
      continue;
    }
    let len = MIN_MATCH;
    while (i + len < n - LAST_LITERALS && src[cand + len] === src[i + len]) len++;
    const litLen = i - anchor;
    const ml = len - MIN_MATCH;
    out.push(((litLen >= 15 ? 15 : litLen) << 4) | (ml >= 15 ? 15 : ml));
    if (litLen >= 15) writeLength(out, litLen - 15);
    for (let k = anchor; k < i; k++) out.push(src[k]);
    const offset = i - cand;
    out.push(offset & 0xff, offset >>> 8);
    if (ml >= 15) writeLength(out, ml - 15);
    i += len;
    anchor = i;
  }
  const litLen = n - anchor;
  out.push((litLen >= 15 ? 15 : litLen) << 4);
  if (litLen >= 15) writeLength(out, litLen - 15);
  for (let k = anchor; k < n; k++) out.push(src[k]);
  return Buffer.from(out);
}

/** The protocol v4 "lz4" body codec. */
export const lz4BodyCodec: BodyCodec = {
  compress(body: Buffer): Buffer {
    const block = lz4CompressBlock(body);
    const out = Buffer.allocUnsafe(4 + block.length);
    out.writeInt32BE(body.length, 0);
    block.copy(out, 4);
    return out;
  },
  decompress(body: Buffer): Buffer {
    if (body.length < 4) throw new ProtocolViolation('lz4: body shorter than its length prefix');
    const n = body.readInt32BE(0);
    if (n < 0 || n > MAX_UNCOMPRESSED) throw new ProtocolViolation(`lz4: uncompressed length ${n} out of range`);
    // an LZ4 block expands at most ~255x: reject lengths the input cannot possibly produce
    if (n > (body.length - 4) * 255 + 16) throw new ProtocolViolation(`lz4: uncompressed length ${n} impossible for ${body.length - 4} input bytes`);
    const out = Buffer.allocUnsafe(n);
    const got = lz4DecompressBlock(body, 4, body.length, out);
    if (got !== n) throw new ProtocolViolation(`lz4: expected ${n} bytes, got ${got}`);
    return out;
  },
};
