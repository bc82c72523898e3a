/**
 * Mutated copies of the shipped profile and workloads (deleted spans, inserted YAML and CQL
 * fragments, duplicated spans; a fixed seed) either load or fail with ONE ProfileError line
 * `file:line:col: message` — never another exception, which the CLI would print with a stack.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exitCodeOf } from '../../src/cli/exit.js';
import { loadProfile, ProfileError } from '../../src/profile/load.js';

const ITERATIONS = 300;
const FRAGMENTS = ['-1', '0', 'null', '[]', '{}', '"x"', 'true', '1.5', '!!js/function x', '*a', '&a', '<<: *a', ':', '- ',
  '\t', '"', "'", '(', ')', ',', 'uniform(', 'zipf(0, 0)', '99999999999999999999', '.nan', '.inf', '~', '1e400',
  'PRIMARY KEY', ';', '?', 'token(', 'gen: choice', 'dist: zipf', '/*', '--', '$$', 'frozen<', '\n  - '];

describe('fuzzed profiles fail cleanly', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-fuzz-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`${ITERATIONS} mutations: each loads or gives one file:line:col line`, async () => {
    mkdirSync(join(dir, 'workloads'));
    const profile = readFileSync('profiles/oltp-olap.yaml', 'utf8').replaceAll('../workloads/', 'workloads/');
    const workloads = ['kv', 'events', 'iot'].map((w) => [w, readFileSync(`workloads/${w}.yaml`, 'utf8')] as const);
    let seed = 20_261_126;
    const rnd = () => {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const mutate = (s: string) => {
      for (let k = 0, n = 1 + Math.floor(rnd() * 5); k < n; k++) {
        const i = Math.floor(rnd() * s.length);
        const r = rnd();
        if (r < 0.3) s = s.slice(0, i) + s.slice(i + 1 + Math.floor(rnd() * 10));
        else if (r < 0.7) s = s.slice(0, i) + FRAGMENTS[Math.floor(rnd() * FRAGMENTS.length)] + s.slice(i);
        else { const j = Math.floor(rnd() * s.length); s = s.slice(0, i) + s.slice(j, j + 20) + s.slice(i); }
      }
      return s;
    };
    const bad: string[] = [];
    let rejected = 0;
    for (let it = 0; it < ITERATIONS; it++) {
      const which = Math.floor(rnd() * 4);
      writeFileSync(join(dir, 'p.yaml'), which === 0 ? mutate(profile) : profile);
      workloads.forEach(([w, text], i) => writeFileSync(join(dir, 'workloads', `${w}.yaml`), which === i + 1 ? mutate(text) : text));
      try {
        await loadProfile(join(dir, 'p.yaml'));
      } catch (e) {
        rejected++;
        const ok = e instanceof ProfileError && exitCodeOf(e) === 2 && !e.message.includes('\n') && /^[^\n]+\.yaml:\d+:\d+: \S/.test(e.message);
        if (!ok) bad.push(`iteration ${it}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
      }
    }
    expect(bad).toEqual([]);
    expect(rejected).toBeGreaterThan(ITERATIONS / 5); // the mutations do break things
  }, 120_000);
});
