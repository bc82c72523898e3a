/**
 * Murmur3 token + shard throughput. Run: `npm run build && node dist/bench/murmur3.js`.
 * Prints ns/key for a 16-byte key (the target is ≤ 300 ns/key) and for a few other sizes.
 */
import { murmur3Halves, murmur3Token, type TokenHalves } from '../src/routing/murmur3.js';
import { shardOfHalves } from '../src/routing/sharding.js';

function bench(label: string, keyBytes: number, iterations: number, fn: (k: Buffer) => number): void {
  const keys: Buffer[] = [];
  for (let i = 0; i < 1024; i++) {
    const b = Buffer.alloc(keyBytes);
    for (let j = 0; j < keyBytes; j++) b[j] = (i * 31 + j * 7) & 0xff;
    keys.push(b);
  }
  let sink = 0;
  for (let i = 0; i < 200_000; i++) sink ^= fn(keys[i & 1023]); // warm up the JIT
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) sink ^= fn(keys[i & 1023]);
  const ns = Number(process.hrtime.bigint() - t0);
  console.log(`${label.padEnd(34)} ${keyBytes.toString().padStart(4)} B  ${(ns / iterations).toFixed(1).padStart(7)} ns/key  (sink ${sink & 1})`);
}

const h: TokenHalves = { hi: 0, lo: 0 };
const N = 2_000_000;
for (const size of [4, 8, 16, 36, 64]) {
  bench('murmur3Halves + shardOfHalves(8)', size, N, (k) => { murmur3Halves(k, h); return shardOfHalves(h.hi, h.lo, 8); });
}
bench('murmur3Token (bigint out)', 16, N, (k) => Number(murmur3Token(k) & 1n));
