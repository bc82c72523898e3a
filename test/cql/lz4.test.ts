import { describe, expect, it } from 'vitest';
import { lz4BodyCodec } from '../../src/cql/lz4.js';
import { ProtocolViolation } from '../../src/cql/buffer.js';

describe('lz4 body codec', () => {
  it('round-trips repetitive, random and tiny bodies', () => {
    const samples = [
      Buffer.alloc(0),
      Buffer.from('a'),
      Buffer.from('abcabcabcabcabcabcabcabcabcabcabcabcabc'.repeat(50)),
      Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 251)),
      Buffer.alloc(70000, 7),
    ];
    for (const s of samples) {
      const c = lz4BodyCodec.compress(s);
      expect(lz4BodyCodec.decompress(c)).toEqual(s);
    }
    // repetitive input really shrinks
    expect(lz4BodyCodec.compress(Buffer.alloc(70000, 7)).length).toBeLessThan(1000);
  });
  it('rejects corrupt input without allocating the claimed size', () => {
    const huge = Buffer.from([0x7f, 0xff, 0xff, 0xff, 0x10, 0x41]);
    expect(() => lz4BodyCodec.decompress(huge)).toThrow(ProtocolViolation);
    const badOffset = Buffer.from([0, 0, 0, 8, 0x14, 0x41, 0x09, 0x00]);
    expect(() => lz4BodyCodec.decompress(badOffset)).toThrow(/offset/);
  });
});
