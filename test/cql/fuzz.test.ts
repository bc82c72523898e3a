/**
 * Feeds >= 100 000 random, truncated and corrupted frames to the decoders. Every input must
 * either decode or fail with a ProtocolViolation: no other exception, no hang, and no
 * allocation driven by a forged length field.
 */
import { describe, expect, it } from 'vitest';
import { ProtocolViolation, Writer } from '../../src/cql/buffer.js';
import { serialize } from '../../src/cql/codecs.js';
import { decodeResponse } from '../../src/cql/decode.js';
import { encodeErrorBody, ReadTimeoutError, UnavailableError, WriteTimeoutError, AlreadyExistsError, UnpreparedError, ResponseError } from '../../src/cql/errors.js';
import { FrameParser, Opcode, encodeFrame, type Frame } from '../../src/cql/frame.js';
import { lz4BodyCodec } from '../../src/cql/lz4.js';
import {
  readBatch, readExecute, readQuery, writeBatch, writeEvent, writePreparedResult, writeQuery, writeRowsResult,
  writeSchemaChangeResult, writeSupported, writeExecute, BatchType, type ColumnSpec,
} from '../../src/cql/messages.js';
import type { CqlType } from '../../src/cql/types.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const cols = (types: [string, CqlType][]): ColumnSpec[] => types.map(([name, type]) => ({ keyspace: 'ks', table: 't', name, type }));
const TYPES: [string, CqlType][] = [
  ['id', { kind: 'int' }], ['name', { kind: 'text' }], ['big', { kind: 'bigint' }], ['u', { kind: 'uuid' }],
  ['m', { kind: 'map', key: { kind: 'text' }, value: { kind: 'list', element: { kind: 'double' } } }],
  ['tp', { kind: 'tuple', elements: [{ kind: 'int' }, { kind: 'blob' }] }],
  ['d', { kind: 'decimal' }], ['dur', { kind: 'duration' }], ['ip', { kind: 'inet' }], ['v', { kind: 'varint' }],
  ['udt', { kind: 'udt', keyspace: 'ks', name: 'x', fields: [{ name: 'a', type: { kind: 'int' } }, { name: 'b', type: { kind: 'set', element: { kind: 'text' } } }] }],
];
const VALUES = [7, 'hello', 5n, '11111111-2222-4333-8444-555555555555', new Map([['k', [1.5, 2]]]), [3, Buffer.from([1, 2])],
  '12.5', { months: 1, days: 2, nanoseconds: 3n }, '::1', -99999999999999999999n, { a: 1, b: ['x'] }];

function responseSamples(): Buffer[] {
  const out: Buffer[] = [];
  const body = (fn: (w: Writer) => void): Buffer => { const w = new Writer(256); fn(w); return w.toBuffer(); };
  const c = cols(TYPES);
  const row = VALUES.map((v, i) => serialize(TYPES[i][1], v));
  out.push(encodeFrame(4, true, 0, 1, Opcode.RESULT, body((w) => writeRowsResult(w, c, [row, row.map(() => null)], { pagingState: Buffer.from('state') }))));
  out.push(encodeFrame(4, true, 0, 2, Opcode.RESULT, body((w) => writePreparedResult(w, Buffer.from('0123456789abcdef'), c.slice(0, 3), [0], c))));
  out.push(encodeFrame(4, true, 0, 3, Opcode.RESULT, body((w) => writeSchemaChangeResult(w, { change: 'CREATED', target: 'FUNCTION', keyspace: 'ks', name: 'f', argTypes: ['int'] }))));
  out.push(encodeFrame(4, true, 0, -1, Opcode.EVENT, body((w) => writeEvent(w, { type: 'STATUS_CHANGE', change: 'UP', address: '127.0.0.1', port: 9042 }))));
  out.push(encodeFrame(4, true, 0, 4, Opcode.SUPPORTED, body((w) => writeSupported(w, new Map([['CQL_VERSION', ['3.3.1']], ['COMPRESSION', ['lz4']]])))));
  for (const e of [new UnavailableError('u', 4, 2, 1), new WriteTimeoutError('w', 6, 1, 2, 'BATCH_LOG'), new ReadTimeoutError('r', 1, 0, 1, true),
    new AlreadyExistsError('a', 'ks', 't'), new UnpreparedError('p', Buffer.from('abcd')), new ResponseError(0x2000, 'syntax')]) {
    out.push(encodeFrame(4, true, 0, 5, Opcode.ERROR, encodeErrorBody(e)));
  }
  // a warning + custom payload flagged result
  const extras = body((w) => { w.stringList(['careful']); w.bytesMap(new Map([['tablets-routing-v1', Buffer.from([1, 2, 3])]])); w.int(1); });
  out.push(encodeFrame(4, true, 0x0c, 6, Opcode.RESULT, extras));
  return out;
}

function requestSamples(): { opcode: number; body: Buffer }[] {
  const body = (fn: (w: Writer) => void): Buffer => { const w = new Writer(256); fn(w); return w.toBuffer(); };
  return [
    { opcode: Opcode.QUERY, body: body((w) => writeQuery(w, 'SELECT * FROM t WHERE id = ?', { consistency: 1, values: [Buffer.from([0, 0, 0, 1])], pageSize: 100, pagingState: Buffer.from('x'), timestampUs: 5n })) },
    { opcode: Opcode.EXECUTE, body: body((w) => writeExecute(w, Buffer.from('id'), { consistency: 6, values: [null, Buffer.from('a')], serialConsistency: 9 })) },
    { opcode: Opcode.BATCH, body: body((w) => writeBatch(w, [{ query: 'INSERT', values: [] }, { query: Buffer.from('id'), values: [null] }], { type: BatchType.UNLOGGED, consistency: 1 })) },
  ];
}

function mutate(buf: Buffer, r: () => number): Buffer {
  const b = Buffer.from(buf);
  const mode = Math.floor(r() * 5);
  if (mode === 0) return b.subarray(0, Math.floor(r() * b.length)); // truncate
  if (mode === 1) { // flip bytes
    const n = 1 + Math.floor(r() * 4);
    for (let i = 0; i < n; i++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
    return b;
  }
  if (mode === 2) { // forge an int32 length somewhere in the body to a huge value
    if (b.length > 13) b.writeInt32BE(r() < 0.5 ? 0x7fffffff : -3, 9 + Math.floor(r() * (b.length - 13)));
    return b;
  }
  if (mode === 3) { // forge a short length/count
    if (b.length > 11) b.writeUInt16BE(0xffff, 9 + Math.floor(r() * (b.length - 11)));
    return b;
  }
  const len = Math.floor(r() * 64); // pure noise
  return Buffer.from(Array.from({ length: len }, () => Math.floor(r() * 256)));
}

/** Decode as the client would: frame layer, then body (incl. rows). Returns false on a typed rejection. */
function feedResponse(bytes: Buffer): boolean {
  const p = new FrameParser(1 << 20);
  let frames: Frame[];
  try {
    frames = p.push(bytes);
  } catch (e) {
    if (e instanceof ProtocolViolation) return false;
    throw e;
  }
  for (const f of frames) {
    // the frame layer accepts what looks like a frame; fix the length so the body stays in-bounds
    try {
      decodeResponse(f);
    } catch (e) {
      if (e instanceof ProtocolViolation) return false;
      throw e;
    }
  }
  return true;
}

function feedRequest(opcode: number, body: Buffer): boolean {
  try {
    if (opcode === Opcode.QUERY) readQuery(body);
    else if (opcode === Opcode.EXECUTE) readExecute(body);
    else readBatch(body);
    return true;
  } catch (e) {
    if (e instanceof ProtocolViolation) return false;
    throw e;
  }
}

describe('decoder fuzz', () => {
  it('survives 100 000+ random, truncated and corrupted frames with typed errors only', () => {
    const r = rng(20261125);
    const responses = responseSamples();
    const requests = requestSamples();
    // the pristine samples decode
    for (const s of responses) expect(feedResponse(s)).toBe(true);
    for (const s of requests) expect(feedRequest(s.opcode, s.body)).toBe(true);

    const before = process.memoryUsage().arrayBuffers;
    let rejected = 0;
    let accepted = 0;
    const N = 100_000;
    for (let i = 0; i < N; i++) {
      let ok: boolean;
      if (i % 4 === 3) {
        const s = requests[i % requests.length];
        ok = feedRequest(s.opcode, mutate(Buffer.concat([Buffer.alloc(9), s.body]), r).subarray(9));
      } else {
        const m = mutate(responses[i % responses.length], r);
        // keep the header length consistent half the time, so bodies (not just headers) get fuzzed
        if (m.length >= 9 && r() < 0.5) m.writeInt32BE(m.length - 9, 5);
        ok = feedResponse(m);
      }
      if (ok) accepted++;
      else rejected++;
    }
    expect(accepted + rejected).toBe(N);
    expect(rejected).toBeGreaterThan(N / 10);
    // forged lengths must not have allocated anything large
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(256 * 1024 * 1024);
  });

  it('a 2 GiB length field is rejected before any allocation', () => {
    const p = new FrameParser();
    const header = Buffer.from([0x84, 0, 0, 1, Opcode.RESULT, 0x7f, 0xff, 0xff, 0xff]);
    expect(() => p.push(header)).toThrow(/frame body length/);
    const body = Buffer.alloc(8);
    body.writeInt32BE(2, 0); // ROWS
    body.writeInt32BE(0x7fffffff, 4); // flags... then truncated
    const f = encodeFrame(4, true, 0, 1, Opcode.RESULT, Buffer.concat([body, Buffer.from([0x7f, 0xff, 0xff, 0xff])]));
    expect(() => decodeResponse(new FrameParser().push(f)[0])).toThrow(ProtocolViolation);
  });

  it('a forged lz4 uncompressed length is rejected', () => {
    const p = new FrameParser();
    p.compressor = lz4BodyCodec;
    const forged = encodeFrame(4, true, 0x01, 1, Opcode.RESULT, Buffer.from([0x7f, 0xff, 0xff, 0xff, 0x00]));
    expect(() => p.push(forged)).toThrow(ProtocolViolation);
  });
});
