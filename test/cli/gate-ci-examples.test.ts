/**
 * examples/ci: the GitHub Actions workflow and the GitLab job parse as YAML, keep the baseline as
 * an artifact and gate against it, and every scylla-bench flag they use is one the CLI accepts;
 * the example rules file is valid gate rules.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseRulesYaml } from '../../src/results/gate.js';
import { runCli } from '../support/cli.js';

type Step = { uses?: string; run?: string; with?: Record<string, unknown> };
const gh = parse(readFileSync('examples/ci/github-actions.yml', 'utf8')) as { on: Record<string, unknown>; jobs: Record<string, { steps: Step[]; if?: string }> };
const gl = parse(readFileSync('examples/ci/gitlab-ci.yml', 'utf8')) as Record<string, { script?: string[]; artifacts?: { paths?: string[]; reports?: { junit?: string } }; rules?: unknown[] }>;

/** Every `scylla-bench <command> …` line of the examples. */
function commands(): string[] {
  const lines = [
    ...Object.values(gh.jobs).flatMap((j) => j.steps.flatMap((s) => (s.run ?? '').split('\n'))),
    ...Object.values(gl).flatMap((j) => j.script ?? []),
  ];
  return lines.map((l) => /scylla-bench (\w+) (.*)$/.exec(l)).filter((m): m is RegExpExecArray => m !== null).map((m) => `${m[1]} ${m[2]}`);
}

describe('examples/ci', () => {
  it('GitHub Actions: main records a baseline artifact, pull requests download it and gate', () => {
    expect(gh.on).toHaveProperty('push');
    expect(gh.on).toHaveProperty('pull_request');
    const upload = gh.jobs.baseline.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
    expect(upload?.with?.name).toBe('scylla-bench-baseline');
    const download = gh.jobs.gate.steps.find((s) => s.uses?.startsWith('actions/download-artifact@'));
    expect(download?.with?.name).toBe('scylla-bench-baseline');
    expect(gh.jobs.gate.steps.some((s) => /scylla-bench gate candidate --baseline baseline .*--junit/.test(s.run ?? ''))).toBe(true);
    for (const s of Object.values(gh.jobs).flatMap((j) => j.steps)) if (s.uses) expect(s.uses).toMatch(/@v\d+$/);
  });

  it('GitLab: the default branch keeps baseline/ as an artifact; merge requests gate with a JUnit report', () => {
    expect(gl['perf-baseline'].artifacts?.paths).toContain('baseline/');
    expect(gl['perf-gate'].artifacts?.reports?.junit).toBe('gate.xml');
    expect(gl['perf-gate'].script!.join('\n')).toMatch(/jobs\/artifacts\/\$CI_DEFAULT_BRANCH\/download\?job=perf-baseline/);
    expect(gl['perf-gate'].script!.some((l) => /scylla-bench gate candidate --baseline baseline/.test(l))).toBe(true);
  });

  it('uses only flags the CLI accepts', async () => {
    const cmds = commands();
    expect(cmds.filter((c) => c.startsWith('run ')).length).toBeGreaterThanOrEqual(4);
    expect(cmds.filter((c) => c.startsWith('gate ')).length).toBe(2);
    for (const cmd of [...new Set(cmds.map((c) => c.split(' ')[0]))]) {
      const help = await runCli([cmd, '--help']);
      expect(help.code).toBe(0);
      for (const c of cmds.filter((x) => x.startsWith(`${cmd} `))) {
        for (const flag of c.match(/--[a-z-]+/g) ?? []) expect(help.stdout, `${cmd} ${flag}`).toContain(flag);
      }
    }
  });

  it('examples/ci/gate.yaml is valid gate rules', () => {
    expect(parseRulesYaml(readFileSync('examples/ci/gate.yaml', 'utf8'), 'examples/ci/gate.yaml')).toEqual({
      '*': { p99: '+10%', throughput: '-5%', errorRate: '0.1%' }, app: { p99Ms: 100 },
    });
  });
});
