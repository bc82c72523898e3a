/**
 * Every flag of run, ab, sim and probe with a bad value (negative, NaN, empty, an unknown
 * choice, a value that is really the next flag) is ONE line naming the flag, exit 2, before
 * anything starts: the built CLI is run as a user runs it.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

const P = 'test/fixtures/bad-profiles/ok-profile.yaml';

interface Case { args: string[]; flag: string; message?: RegExp }

const RUN: Case[] = [
  { args: ['--routing', 'bogus'], flag: '--routing', message: /unknown mode 'bogus'; expected one of: shard-aware, token-aware, round-robin, driver$/ },
  { args: ['--routing', 'shard-awre'], flag: '--routing', message: /did you mean 'shard-aware'\?/ },
  { args: ['--routing', '--json'], flag: '--routing', message: /needs a value, got the flag '--json'/ },
  { args: ['--duration', '-5s'], flag: '--duration', message: /must not be negative/ },
  { args: ['--duration', '5'], flag: '--duration', message: /a bare number has no unit \(did you mean '5s' or '5ms'\?\)/ },
  { args: ['--duration', '0'], flag: '--duration', message: /above 0/ },
  { args: ['--duration', ''], flag: '--duration', message: /empty value/ },
  { args: ['--duration', 'soon'], flag: '--duration', message: /expected a duration with a unit/ },
  { args: ['--duration', 'NaN'], flag: '--duration' },
  { args: ['--duration'], flag: '--duration', message: /needs a value/ },
  { args: ['--rate', '-5'], flag: '--rate', message: /must not be negative/ },
  { args: ['--rate', '0'], flag: '--rate', message: /above 0/ },
  { args: ['--rate', 'NaN'], flag: '--rate' },
  { args: ['--rate', ''], flag: '--rate' },
  { args: ['--rate', '--json'], flag: '--rate', message: /needs a value, got the flag '--json'/ },
  { args: ['--workers', '0'], flag: '--workers' },
  { args: ['--workers', '-1'], flag: '--workers' },
  { args: ['--workers', 'NaN'], flag: '--workers' },
  { args: ['--workers', '1.5'], flag: '--workers' },
  { args: ['--workers', ''], flag: '--workers' },
  { args: ['--workers', '1000'], flag: '--workers', message: /1000 workers is above the limit of \d+ \(4 per core × \d+ cores\).*--max-workers/ },
  { args: ['--workers', '1025'], flag: '--workers', message: /above the limit/ },
  { args: ['--workers', '3', '--max-workers', '2'], flag: '--workers', message: /above --max-workers 2/ },
  { args: ['--workers', '2', '--workers', '3'], flag: '--workers', message: /given more than once/ },
  { args: ['--max-workers', '0'], flag: '--max-workers' },
  { args: ['--seed', '-1'], flag: '--seed' },
  { args: ['--seed', '1.5'], flag: '--seed' },
  { args: ['--seed', 'x'], flag: '--seed' },
  { args: ['--target', ''], flag: '--target', message: /empty value/ },
  { args: ['--target', 'h:99999'], flag: '--target', message: /invalid port in 'h:99999'/ },
  { args: ['--target', 'bad host'], flag: '--target', message: /invalid host/ },
  { args: ['--target', 'sim:10.0.0.1'], flag: '--target', message: /loopback only/ },
  { args: ['--target', '-x'], flag: '--target', message: /needs a value, got the flag '-x'/ },
  { args: ['--out', ''], flag: '--out' },
  { args: ['--out', '/proc/sb-results'], flag: '--out', message: /not a place for results/ },
  { args: ['--out', 'package.json'], flag: '--out', message: /not a directory/ },
];

const AB: Case[] = [
  { args: ['--rounds', '0'], flag: '--rounds' },
  { args: ['--rounds', 'NaN'], flag: '--rounds' },
  { args: ['--rounds', '-2'], flag: '--rounds' },
  { args: ['--vary', 'moon'], flag: '--vary', message: /unknown value 'moon'; expected one of: routing, service-levels/ },
  { args: ['--modes', ''], flag: '--modes' },
  { args: ['--modes', 'shard-aware,warp'], flag: '--modes' },
  { args: ['--duration', '5'], flag: '--duration', message: /bare number/ },
  { args: ['--workers', '1000'], flag: '--workers' },
  { args: ['--seed', '-3'], flag: '--seed' },
  { args: ['--target', 'sim:1.2.3.4'], flag: '--target' },
  { args: ['--out', '/proc/x'], flag: '--out' },
];

const SIM: Case[] = [
  { args: ['--nodes', '0'], flag: '--nodes', message: /expected a whole number 1\.\.64, got '0'/ },
  { args: ['--nodes', 'NaN'], flag: '--nodes' },
  { args: ['--shards', '-1'], flag: '--shards' },
  { args: ['--shards', '257'], flag: '--shards' },
  { args: ['--port', '70000'], flag: '--port' },
  { args: ['--port'], flag: '--port', message: /needs a value/ },
  { args: ['--shard-aware-port', ''], flag: '--shard-aware-port' },
  { args: ['--metrics-port', '-1'], flag: '--metrics-port' },
  { args: ['--host', '10.0.0.1'], flag: '--host', message: /loopback/ },
  { args: ['--host', ''], flag: '--host' },
  { args: ['--read-us', '-5'], flag: '--read-us' },
  { args: ['--write-us', 'NaN'], flag: '--write-us' },
  { args: ['--cross-shard-us', ''], flag: '--cross-shard-us' },
  { args: ['--latency'], flag: '--latency', message: /needs a value/ },
  { args: ['--latency', 'bogus'], flag: '--latency' },
  { args: ['--stall', '1:2'], flag: '--stall' },
  { args: ['--error', '0x1001@7'], flag: '--error' },
  { args: ['--corrupt', '2'], flag: '--corrupt' },
  { args: ['--corrupt', '0.1@'], flag: '--corrupt' },
  { args: ['--lose-writes', 'lots'], flag: '--lose-writes' },
];

const PROBE: Case[] = [
  { args: ['--target'], flag: '--target', message: /needs a value/ },
  { args: ['--target', ''], flag: '--target' },
  { args: ['--target', 'h', '--connect-timeout', '5000'], flag: '--connect-timeout', message: /bare number has no unit \(did you mean '5000s' or '5000ms'\?\)/ },
  { args: ['--target', 'h', '--connect-timeout', '-1s'], flag: '--connect-timeout' },
  { args: ['--target', 'h', '--connect-timeout', 'NaN'], flag: '--connect-timeout' },
  { args: ['--target', 'h', '--tls-ca', ''], flag: '--tls-ca' },
];

async function check(command: string[], cases: Case[]): Promise<void> {
  // a few at a time: each is a node process on a shared 2-core machine
  for (let i = 0; i < cases.length; i += 4) {
    await Promise.all(cases.slice(i, i + 4).map(async (c) => {
      const args = [...command, ...c.args];
      const r = await runCli(args, { timeoutMs: 60_000 });
      const what = `${args.join(' ')} → ${r.stderr}`;
      expect(r.code, what).toBe(2);
      expect(r.stdout, what).toBe('');
      expect(r.stderr.trim().split('\n'), what).toHaveLength(1);
      expect(r.stderr.startsWith(`scylla-bench: ${c.flag}: `), what).toBe(true);
      if (c.message) expect(r.stderr.trim(), what).toMatch(c.message);
    }));
  }
}

describe('bad flags: one line naming the flag, exit 2', () => {
  it(`run (${RUN.length} cases)`, () => check(['run', P], RUN), 180_000);
  it(`ab (${AB.length} cases)`, () => check(['ab', P], AB), 120_000);
  it(`sim (${SIM.length} cases)`, () => check(['sim'], SIM), 120_000);
  it(`probe (${PROBE.length} cases)`, () => check(['probe'], PROBE), 60_000);
});

describe('values echoed from flags and files are sanitised', () => {
  it('terminal escapes and NUL in a flag value are escaped, long values cut', async () => {
    const r = await runCli(['run', P, '--routing', `\u001b[2J\u001b]0;x\u0007${'a'.repeat(200)}`]);
    expect(r.code).toBe(2);
    // eslint-disable-next-line no-control-regex
    expect(r.stderr.trimEnd()).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
    expect(r.stderr).toContain("'\\x1b[2J\\x1b]0;x\\x07aaa");
    expect(r.stderr.length).toBeLessThan(200);
  });

  it('a profile with escapes fails with escaped text through the CLI, exit 2', async () => {
    const r = await runCli(['run', 'test/fixtures/bad-profiles/control-bytes-raw.yaml']);
    expect(r.code).toBe(2);
    // eslint-disable-next-line no-control-regex
    expect(r.stderr.trimEnd()).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
    expect(r.stderr).toMatch(/^scylla-bench: test\/fixtures\/bad-profiles\/control-bytes-raw\.yaml:6:20: unknown service level '\\x1b\]0;pwned\\x07/);
  });

  it('a secret file named as a workload is never echoed', async () => {
    const r = await runCli(['run', 'test/fixtures/bad-profiles/wl-secret-file.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/fake-secret\.txt:1:1: .*its content is not shown/);
    expect(r.stderr + r.stdout).not.toContain('hunter2');
  });
});

describe('one duration grammar', () => {
  it('--duration 5 and duration: 5 are refused with the same words', async () => {
    const flag = await runCli(['run', P, '--duration', '5']);
    const file = await runCli(['run', 'test/fixtures/bad-profiles/duration-no-unit.yaml']);
    const words = (s: string) => s.trim().replace(/^scylla-bench: (--duration|\S+:\d+:\d+: duration): /, '').replace(/30/g, 'N').replace(/5/g, 'N');
    expect(flag.code).toBe(2);
    expect(file.code).toBe(2);
    expect(words(flag.stderr)).toBe(words(file.stderr));
  });
});
