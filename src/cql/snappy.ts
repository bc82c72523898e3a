/**
 * Snappy block format, as used by protocol v4 body compression ("snappy"): the compressed body
 * is one raw Snappy block, whose preamble is the uncompressed length as a little-endian varint.
 * Then elements, each starting with a tag byte whose low 2 bits give its kind:
 *   00 literal: length-1 in the upper 6 bits, or (60..63) in the next 1..4 bytes (little-endian);
 *   01 copy, 1-byte offset: length 4..11 in bits 2-4, offset bits 8-10 in bits 5-7, then 8 bits;
 *   10 copy, 2-byte offset: length-1 in the upper 6 bits, then the offset (uint16 LE);
 *   11 copy, 4-byte offset: length-1 in the upper 6 bits, then the offset (uint32 LE).
 * A copy reads `offset` bytes back in the output and may overlap what it writes (runs).
 *
 * The decoder checks every length and offset before it reads or writes, and rejects an
 * uncompressed length the input cannot produce before allocating it. The compressor is a small
 * greedy one (hash of 4 bytes, one candidate), like lz4.ts: fewer bytes for large rows, not ratio.
 */
import { ProtocolViolation } from './buffer.js';
import type { BodyCodec } from './frame.js';

/** Refuse to inflate beyond this (a corrupt length must not allocate gigabytes). */
const MAX_UNCOMPRESSED = 256 * 1024 * 1024;
/**
 * The most output one input byte can yield: a 3-byte copy-2 writes 64 bytes (a 2-byte copy-1
 * writes at most 11), so no valid block expands more than 64/3 ≈ 21.4 times.
 */
const MAX_EXPANSION = 22;
const HASH_LOG = 14;
const MIN_MATCH = 4;

/** Reads the preamble: [uncompressed length, bytes used]. */
function readLength(src: Buffer): [number, number] {
  let n = 0;
  for (let i = 0; i < 5; i++) {
    if (i >= src.length) throw new ProtocolViolation('snappy: truncated length preamble');
    const b = src[i];
    n += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) {
      if (n > 0xffffffff) throw new ProtocolViolation('snappy: length preamble over 32 bits');
      return [n, i + 1];
    }
  }
  throw new ProtocolViolation('snappy: length preamble longer than 5 bytes');
}

export function snappyUncompressedLength(src: Buffer): number {
  return readLength(src)[0];
}

export function snappyDecompress(src: Buffer): Buffer {
  const [n, pre] = readLength(src);
  if (n > MAX_UNCOMPRESSED) throw new ProtocolViolation(`snappy: uncompressed length ${n} out of range`);
  if (n > (src.length - pre) * MAX_EXPANSION) throw new ProtocolViolation(`snappy: uncompressed length ${n} impossible for ${src.length - pre} input bytes`);
  const out = Buffer.allocUnsafe(n);
  const end = src.length;
  let s = pre;
  let d = 0;
  while (s < end) {
    const tag = src[s++];
    const kind = tag & 3;
    if (kind === 0) {
      let len = tag >>> 2;
      if (len >= 60) {
        const extra = len - 59;
        if (s + extra > end) throw new ProtocolViolation('snappy: truncated literal length');
        len = 0;
        for (let i = 0; i < extra; i++) len += src[s + i] * 2 ** (8 * i);
        s += extra;
      }
      len += 1;
      if (s + len > end) throw new ProtocolViolation('snappy: literal runs past the input');
      if (d + len > n) throw new ProtocolViolation('snappy: literal overflows the stated length');
      src.copy(out, d, s, s + len);
      s += len;
      d += len;
      continue;
    }
    let len: number;
    let offset: number;
    if (kind === 1) {
      if (s + 1 > end) throw new ProtocolViolation('snappy: truncated copy');
      len = 4 + ((tag >>> 2) & 7);
      offset = ((tag >>> 5) << 8) | src[s];
      s += 1;
    } else if (kind === 2) {
      if (s + 2 > end) throw new ProtocolViolation('snappy: truncated copy');
      len = (tag >>> 2) + 1;
      offset = src[s] | (src[s + 1] << 8);
      s += 2;
    } else {
      if (s + 4 > end) throw new ProtocolViolation('snappy: truncated copy');
      len = (tag >>> 2) + 1;
      offset = src.readUInt32LE(s);
      s += 4;
    }
    if (offset === 0 || offset > d) throw new ProtocolViolation(`snappy: bad copy offset ${offset} at output byte ${d}`);
    if (d + len > n) throw new ProtocolViolation('snappy: copy overflows the stated length');
    // byte by byte: a copy may overlap the bytes it writes
    let m = d - offset;
    for (let i = 0; i < len; i++) out[d++] = out[m++];
  }
  if (d !== n) throw new ProtocolViolation(`snappy: expected ${n} bytes, got ${d}`);
  return out;
}

function pushLiteral(out: number[], src: Buffer, from: number, to: number): void {
  let len = to - from;
  while (len > 0) {
    // one element carries at most 2^32 bytes; bodies stay far below, but keep elements bounded
    const chunk = Math.min(len, 0x10000);
    const l = chunk - 1;
    if (l < 60) out.push(l << 2);
    else if (l < 0x100) out.push(60 << 2, l);
    else out.push(61 << 2, l & 0xff, l >>> 8);
    for (let k = from; k < from + chunk; k++) out.push(src[k]);
    from += chunk;
    len -= chunk;
  }
}

function pushCopy(out: number[], offset: number, len: number): void {
  while (len > 0) {
    // copy-1 for short, near matches; otherwise copy-2 in pieces of at most 64 bytes (copy-2
    // carries 1..64, so any tail fits)
    if (len >= 4 && len <= 11 && offset < 2048) {
      out.push(1 | ((len - 4) << 2) | ((offset >>> 8) << 5), offset & 0xff);
      return;
    }
    const chunk = Math.min(len, 64);
    out.push(2 | ((chunk - 1) << 2), offset & 0xff, offset >>> 8);
    len -= chunk;
  }
}

export function snappyCompress(src: Buffer): Buffer {
  const n = src.length;
  const out: number[] = [];
  for (let v = n; ; v = Math.floor(v / 128)) {
    if (v < 128) { out.push(v); break; }
    out.push((v & 0x7f) | 0x80);
  }
  const table = new Int32Array(1 << HASH_LOG).fill(-1);
  const hash = (i: number): number => Math.imul(src.readUInt32LE(i), 0x1e35a7bd) >>> (32 - HASH_LOG);
  let anchor = 0;
  let i = 0;
  while (i + MIN_MATCH <= n) {
    const h = hash(i);
    const cand = table[h];
    table[h] = i;
    if (cand < 0 || i - cand > 65535 || src.readUInt32LE(cand) !== src.readUInt32LE(i)) {
      i++;
      continue;
    }
    let len = MIN_MATCH;
    while (i + len < n && src[cand + len] === src[i + len]) len++;
    pushLiteral(out, src, anchor, i);
    pushCopy(out, i - cand, len);
    i += len;
    anchor = i;
  }
  pushLiteral(out, src, anchor, n);
  return Buffer.from(out);
}

/** The protocol v4 "snappy" body codec. */
export const snappyBodyCodec: BodyCodec = {
  compress: snappyCompress,
  decompress: snappyDecompress,
};
