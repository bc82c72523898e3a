/**
 * The Snappy block codec: round trips, hand-built blocks with every element kind (literals with
 * 0..4 length bytes, copies with 1-, 2- and 4-byte offsets, overlapping copies), rejection of
 * forged and corrupt input before any large allocation, and a mutation fuzz in which every
 * input either decodes or fails with ProtocolViolation. Interop with a real server is in
 * cassandra-protocol.test.ts (Cassandra's snappy-java on both directions).
 */
import { describe, expect, it } from 'vitest';
import { ProtocolViolation } from '../../src/cql/buffer.js';
import { FrameParser, Opcode, encodeFrame } from '../../src/cql/frame.js';
import { snappyBodyCodec, snappyCompress, snappyDecompress } from '../../src/cql/snappy.js';
import { Connection } from '../../src/cql/connection.js';
import { startSim } from '../../src/sim/index.js';
import { simHost } from '../support/sim-host.js';

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

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function samples(): Buffer[] {
  const r = rng(7);
  return [
    Buffer.alloc(0),
    Buffer.from('a'),
    Buffer.from('abcd'),
    Buffer.from('abcabcabcabcabcabcabcabcabcabcabcabcabc'.repeat(50)),
    Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 251)),
    Buffer.alloc(70000, 7),
    Buffer.from(Array.from({ length: 100_000 }, () => Math.floor(r() * 256))), // incompressible: long literals
    Buffer.concat(Array.from({ length: 200 }, (_, i) => Buffer.from(`row ${i % 17} value ${'x'.repeat(i % 90)};`))),
  ];
}

describe('snappy codec', () => {
  it('round-trips empty, tiny, repetitive, random and large bodies', () => {
    for (const s of samples()) expect(snappyDecompress(snappyCompress(s))).toEqual(s);
    expect(snappyCompress(Buffer.alloc(70000, 7)).length).toBeLessThan(4000);
  });

  it('decodes every element kind, overlapping copies included', () => {
    // preamble 14; literal "abcd" (tag 0x0c); copy-1 len 4 offset 4 (tag 0x01, 0x04): "abcd";
    // copy-2 len 3 offset 1 (tag 0x0a, 01 00): "ddd" (overlap); copy-4 len 3 offset 7 (tag 0x0b, 07 00 00 00): "abc"
    const block = hex('0e 0c 61626364 01 04 0a 0100 0b 07000000');
    expect(snappyDecompress(block).toString()).toBe('abcdabcddddabc');
    // literals whose length-1 is in 1, 2, 3 and 4 extra bytes (tags 60..63)
    for (const [tag, bytes] of [[60, 1], [61, 2], [62, 3], [63, 4]] as const) {
      const len = 70;
      const extra = Buffer.alloc(bytes);
      extra.writeUIntLE(len - 1, 0, Math.min(bytes, 6));
      const b = Buffer.concat([Buffer.from([len]), Buffer.from([tag << 2]), extra, Buffer.alloc(len, 0x5a)]);
      expect(snappyDecompress(b)).toEqual(Buffer.alloc(len, 0x5a));
    }
  });

  it('rejects a forged uncompressed length before allocating it', () => {
    // preamble 0xffffffff (5 bytes) followed by one literal byte
    const forged = hex('ffffffff0f 00 41');
    expect(() => snappyDecompress(forged)).toThrow(/out of range|impossible/);
    // plausible-looking 100 MB from 3 bytes of input
    expect(() => snappyDecompress(hex('8080b030 00 41'))).toThrow(/impossible/);
    const p = new FrameParser();
    p.compressor = snappyBodyCodec;
    expect(() => p.push(encodeFrame(4, true, 0x01, 1, Opcode.RESULT, forged))).toThrow(ProtocolViolation);
  });

  it('rejects corrupt blocks with one line each', () => {
    expect(() => snappyDecompress(Buffer.alloc(0))).toThrow(/truncated length preamble/);
    expect(() => snappyDecompress(hex('ffffffffff01'))).toThrow(/longer than 5 bytes/);
    expect(() => snappyDecompress(hex('04 01 05'))).toThrow(/bad copy offset 5/); // copy before any output
    expect(() => snappyDecompress(hex('04 0c 6162'))).toThrow(/literal runs past the input/);
    expect(() => snappyDecompress(hex('02 0c 61626364'))).toThrow(/overflows the stated length/);
    expect(() => snappyDecompress(hex('08 0c 61626364'))).toThrow(/expected 8 bytes, got 4/);
    expect(() => snappyDecompress(hex('08 0c 61626364 0a 01'))).toThrow(/truncated copy/);
  });

  it('fuzz: 50 000 mutated blocks decode or fail with ProtocolViolation, never more', () => {
    const r = rng(20261126);
    const blocks = samples().map((s) => snappyCompress(s));
    const before = process.memoryUsage().arrayBuffers;
    let rejected = 0;
    const N = 50_000;
    for (let i = 0; i < N; i++) {
      const b = Buffer.from(blocks[i % blocks.length]);
      const edits = 1 + Math.floor(r() * 4);
      for (let e = 0; e < edits && b.length > 0; e++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
      const cut = r() < 0.2 ? b.subarray(0, Math.floor(r() * b.length)) : b;
      try {
        snappyDecompress(cut);
      } catch (err) {
        if (!(err instanceof ProtocolViolation)) throw err;
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(N / 10);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(256 * 1024 * 1024);
  });
});

describe('snappy negotiation', () => {
  it('is asked for only when the server offers it: against a server offering lz4 alone, the connection runs uncompressed', async () => {
    const host = simHost();
    const sim = await startSim({ host });
    try {
      const c = await Connection.connect({ host, port: 9042, compression: 'snappy' });
      if (c.supported.get('COMPRESSION')?.includes('snappy')) expect(c.compression).toBe('snappy');
      else expect(c.compression).toBeUndefined();
      const r = await c.query('SELECT release_version FROM system.local');
      expect(r.kind).toBe('rows');
      await c.close();
    } finally {
      await sim.stop();
    }
  });
});
