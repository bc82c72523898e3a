import { describe, expect, it } from 'vitest';
import { murmur3Halves, murmur3Token, partitionKeyBytes, halvesToToken, tokenToHalves, MIN_TOKEN } from '../../src/routing/murmur3.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const int32 = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeInt32BE(n); return b; };
const int64 = (n: bigint): Buffer => { const b = Buffer.alloc(8); b.writeBigInt64BE(n); return b; };
const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');
const u64 = (h: bigint): bigint => BigInt.asIntN(64, h);

// Published token vectors: Scylla's test/boost/secondary_index_test.cc, the python driver's
// tests/unit/test_metadata.py, the Rust driver's routing/partitioner.rs, gocql's
// internal/murmur/murmur_test.go, the nodejs driver's tokenizer tests. The last rows, from '(int 1, text a)' on, were
// computed by one independent implementation.
const VECTORS: [string, Buffer, bigint][] = [
  ['int 0', int32(0), -3485513579396041028n],
  ['int 1', int32(1), -4069959284402364209n],
  ['int 2', int32(2), -3248873570005575792n],
  ['int 3', int32(3), 9010454139840013625n],
  ['int 4', int32(4), -2729420104000364805n],
  ['int 5', int32(5), -7509452495886106294n],
  ['int 6', int32(6), 2705480034054113608n],
  ['"123"', utf8('123'), -7468325962851647638n],
  ['00 ff 10 fa 99 x10', Buffer.concat(Array(10).fill(hex('00ff10fa99'))), 5837342703291459765n],
  ['fe x8', Buffer.alloc(8, 0xfe), -8927430733708461935n],
  ['10 x8', Buffer.alloc(8, 0x10), 1446172840243228796n],
  ['"9223372036854775807"', utf8('9223372036854775807'), 7162290910810015547n],
  ['"test"', utf8('test'), -6017608668500074083n],
  ['"xd"', utf8('xd'), 4507812186440344727n],
  ['"primary_key"', utf8('primary_key'), -1632642444691073360n],
  ['"kremówki"', utf8('kremówki'), 4354931215268080151n],
  ['"hello"', utf8('hello'), u64(0xcbd8a7b341bd9b02n)],
  ['"hello" (decimal)', utf8('hello'), -3758069500696749310n],
  ['"hello, world"', utf8('hello, world'), u64(0x342fac623a5ebc8en)],
  ['"The quick brown fox..."', utf8('The quick brown fox jumps over the lazy dog.'), u64(0xcd99481f9ee902c9n)],
  ['composite (uuid, int) gocql', hex('0010 4327529fb645dd00b883ec39ae448bb8 00 0004 00066a6b 00'), -9223371632693506265n],
  ['bytes 1..16', Buffer.from(Array.from({ length: 16 }, (_, i) => i + 1)), -5563837382979743776n],
  ['ff x16', Buffer.alloc(16, 0xff), -2824192546314762522n],
  ['fe x17', Buffer.alloc(17, 0xfe), -1672437813826982685n],
  ['fe fe fe fe', hex('fefefefe'), 4566408979886474012n],
  ['00 01 7f 7f', hex('00017f7f'), 6573459401642635627n],
  ['e2 e7 e2 e7 e2 e7 01', hex('e2e7e2e7e2e701'), 2222373981930033306n],
  ['00 00 00 00 00 00 00 80', hex('0000000000000080'), 78142285821850151n],
  ['(int 1, text a)', hex('0004 00000001 00 0001 61 00'), 6516349416904725244n],
  ['(bigint 1, bigint 2)', hex('0008 0000000000000001 00 0008 0000000000000002 00'), 2232345441550493159n],
  ["(text 'key', int 7)", hex('0003 6b6579 00 0004 00000007 00'), 7836020308040098057n],
  ['bigint 1', int64(1n), 6292367497774912474n],
  ['bigint 42', int64(42n), 8623491988607824794n],
  ["text 'a'", utf8('a'), -8839064797231613815n],
  ['empty', Buffer.alloc(0), 0n],
];

describe('murmur3Token (published vectors)', () => {
  for (const [name, bytes, token] of VECTORS) {
    it(`${name} → ${token}`, () => {
      expect(murmur3Token(bytes)).toBe(token);
    });
  }

  it('sign-extends tail bytes (the Cassandra quirk), unlike reference MurmurHash3', () => {
    // unsigned tail handling would give -3927725473986473217
    expect(murmur3Token(Buffer.alloc(8, 0xfe))).not.toBe(-3927725473986473217n);
  });
});

describe('the empty key', () => {
  it("Scylla hashes it (token 0); Cassandra's getToken gives the minimum token", () => {
    expect(murmur3Token(Buffer.alloc(0))).toBe(0n);
    expect(murmur3Token(Buffer.alloc(0), 'scylla')).toBe(0n);
    expect(murmur3Token(Buffer.alloc(0), 'cassandra')).toBe(MIN_TOKEN);
  });

  it('an empty range of a longer buffer is an empty key too, and non-empty keys agree in both flavours', () => {
    const h = { hi: 0, lo: 0 };
    const buf = Buffer.from('00000001', 'hex');
    murmur3Halves(buf, h, 2, 2, true);
    expect(halvesToToken(h.hi, h.lo)).toBe(MIN_TOKEN);
    for (const [, bytes, token] of VECTORS.filter(([, b]) => b.length > 0)) expect(murmur3Token(bytes, 'cassandra')).toBe(token);
  });
});

describe('partitionKeyBytes', () => {
  it('passes a single component through unchanged', () => {
    expect(partitionKeyBytes([int32(1)]).equals(int32(1))).toBe(true);
  });

  it('frames composite components as len16 + bytes + 0x00', () => {
    const b = partitionKeyBytes([int32(1), utf8('a')]);
    expect(b.toString('hex')).toBe('00040000000100000161' + '00');
    expect(murmur3Token(b)).toBe(6516349416904725244n);
    expect(murmur3Token(partitionKeyBytes([utf8('key'), int32(7)]))).toBe(7836020308040098057n);
  });
});

describe('token halves', () => {
  it('round-trips extreme tokens', () => {
    const h = { hi: 0, lo: 0 };
    for (const t of [0n, -1n, 1n, -(1n << 63n), (1n << 63n) - 1n, -4069959284402364209n]) {
      tokenToHalves(t, h);
      expect(halvesToToken(h.hi, h.lo)).toBe(t);
    }
  });
});
