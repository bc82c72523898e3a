/**
 * Unique loopback bases for emulator tests: vitest runs test files in parallel, and each emulator
 * binds node addresses 127.a.b.1, .2, ...; a random (a, b) per call keeps files from clashing
 * on the same ports. Linux routes all of 127/8 to loopback.
 */
const used = new Set<string>();

export function simHost(): string {
  for (;;) {
    const a = 2 + Math.floor(Math.random() * 250);
    const b = Math.floor(Math.random() * 256);
    const base = `127.${a}.${b}.1`;
    if (!used.has(base)) {
      used.add(base);
      return base;
    }
  }
}
