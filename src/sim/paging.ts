/**
 * The paging state the emulator hands out and takes back: where a SELECT stopped, as
 * [long token][short bytes key][int rows so far][int rows in that partition][short ck count or -1][short bytes ck...].
 * Opaque to clients; a malformed one is Invalid.
 */
import { Writer } from '../cql/buffer.js';
import type { Partition } from './storage.js';
import { InvalidRequest } from './values.js';

export function encodePagingState(p: Partition, ck: Buffer[] | null, total: number, inPartition: number): Buffer {
  const w = new Writer(64);
  w.long(p.token).shortBytes(p.key).int(total).int(inPartition);
  if (ck === null) w.short(0xffff);
  else {
    w.short(ck.length);
    for (const c of ck) w.shortBytes(c);
  }
  return w.toBuffer();
}

export interface PagingPosition { token: bigint; key: Buffer; total: number; inPartition: number; ck: Buffer[] | null }

export function decodePagingState(b: Buffer): PagingPosition {
  try {
    const token = b.readBigInt64BE(0);
    const klen = b.readUInt16BE(8);
    let p = 10;
    const key = b.subarray(p, p + klen);
    p += klen;
    const total = b.readInt32BE(p);
    const inPartition = b.readInt32BE(p + 4);
    const n = b.readUInt16BE(p + 8);
    p += 10;
    let ck: Buffer[] | null = null;
    if (n !== 0xffff) {
      ck = [];
      for (let i = 0; i < n; i++) {
        const l = b.readUInt16BE(p);
        ck.push(b.subarray(p + 2, p + 2 + l));
        p += 2 + l;
      }
      if (p > b.length) throw new RangeError('truncated');
    }
    return { token, key, total, inPartition, ck };
  } catch {
    throw new InvalidRequest('Invalid value for the paging state');
  }
}

