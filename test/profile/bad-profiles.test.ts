/**
 * The "bad input" corpus: every malformed profile gives ONE line `file:line:col: message`
 * at the right spot (expected positions in test/fixtures/bad-profiles/expected.json), as a
 * ProfileError, which the CLI maps to exit code 2 and prints without a stack trace.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exitCodeOf } from '../../src/cli/exit.js';
import { loadProfile, ProfileError } from '../../src/profile/load.js';

const DIR = 'test/fixtures/bad-profiles';
/** `absent`: text of the file that must never be echoed (a secret named as a workload). */
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as Record<string, { file: string; line: number; col: number; match: string; absent?: string }>;
const fixtures = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'ok-profile.yaml').sort();

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('bad profiles', () => {
  it('the corpus has at least 30 fixtures, each with an expected position', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(30);
    expect(Object.keys(expected).sort()).toEqual(fixtures);
  });

  it('the base of the corpus is itself valid (each fixture breaks one thing)', async () => {
    await expect(loadProfile(join(DIR, 'ok-profile.yaml'))).resolves.toBeDefined();
  });

  for (const f of fixtures) {
    it(f, async () => {
      const want = expected[f];
      const err = await loadProfile(join(DIR, f)).then(() => undefined, (e: unknown) => e);
      expect(err, 'the profile should have been rejected').toBeInstanceOf(ProfileError);
      const e = err as ProfileError;
      expect(exitCodeOf(e)).toBe(2);
      expect(e.message).not.toContain('\n');
      expect(e.message).toMatch(new RegExp(`^${escape(join(DIR, want.file))}:\\d+:\\d+: `));
      expect({ line: e.pos.line, col: e.pos.col }).toEqual({ line: want.line, col: want.col });
      expect(e.message.startsWith(`${join(DIR, want.file)}:${want.line}:${want.col}: `)).toBe(true);
      expect(e.message).toContain(want.match);
      expect(e.message).not.toMatch(/\bat .*\.(ts|js):\d+/); // no stack frames in the text
      // eslint-disable-next-line no-control-regex
      expect(e.message).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/); // nothing a terminal would act on
      if (want.absent) expect(e.message).not.toContain(want.absent);
    });
  }
});
