/**
 * examples/nightly: the GitHub Actions cron workflow and the Kubernetes CronJob parse, keep the
 * history between nights (Actions cache / a persistent volume), never run two nights at once or
 * retry one (a retry would append a second night), publish report.html, and use only flags the CLI
 * accepts. Then their scripts run for real, as written, against the in-process emulator: the
 * CronJob's shell script one night (its volume a temporary directory), the workflow's sweep and
 * report steps the next night on the same history (bash -eo pipefail as Actions runs them, `npx
 * scylla-bench` resolved to this checkout's CLI, the step outputs and summary in files).
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import type { CapacityResult } from '../../src/results/capacity.js';
import { startSim } from '../../src/sim/index.js';
import { BIN, runCli } from '../support/cli.js';
import { simHost } from '../support/sim-host.js';

type Step = { name?: string; id?: string; uses?: string; run?: string; if?: string; with?: Record<string, unknown> };
const gh = parse(readFileSync('examples/nightly/github-actions.yml', 'utf8')) as {
  on: { schedule?: { cron: string }[]; workflow_dispatch?: unknown }; concurrency?: { group: string; 'cancel-in-progress': boolean };
  env: Record<string, string>; jobs: Record<string, { steps: Step[] }>;
};
const docs = parseAllDocuments(readFileSync('examples/nightly/k8s-cronjob.yaml', 'utf8')).map((d) => d.toJS() as { kind: string; metadata: { name: string }; spec: any; stringData?: Record<string, string> });
const cron = docs.find((d) => d.kind === 'CronJob')!;
const pod = cron?.spec.jobTemplate.spec.template.spec;
const container = pod?.containers[0] as { command: string[]; args: string[]; env: { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }[]; volumeMounts: { name: string; mountPath: string }[] };
const steps = gh.jobs.capacity.steps;
const script = (id: string): string => steps.find((s) => s.id === id || s.name === id)!.run!;

/** Every `scylla-bench <command> …` of the examples (`npx scylla-bench` and `node bin/scylla-bench.js`). */
function commands(): string[] {
  const lines = [...steps.flatMap((s) => (s.run ?? '').split('\n')), ...container.args.join('\n').split('\n')];
  return lines.map((l) => /scylla-bench(?:\.js)? (\w+) (.*)$/.exec(l)).filter((m): m is RegExpExecArray => m !== null).map((m) => `${m[1]} ${m[2]}`);
}

const isCron = (s: string): boolean => /^(\S+\s+){4}\S+$/.test(s.trim());

function sh(shell: string[], text: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(shell[0], [...shell.slice(1), text], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`script did not finish\n${stderr}`)); }, 400_000);
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

const lines = (file: string): string[] => readFileSync(file, 'utf8').split('\n').filter((l) => l.trim());

describe('examples/nightly', () => {
  it('GitHub Actions: a nightly cron, the history restored and saved through the cache, the report uploaded, a regression fails the job', () => {
    expect(isCron(gh.on.schedule![0].cron)).toBe(true);
    expect(gh.on).toHaveProperty('workflow_dispatch');
    expect(gh.concurrency?.['cancel-in-progress']).toBe(false);
    const restore = steps.find((s) => s.uses?.startsWith('actions/cache/restore@'))!;
    const save = steps.find((s) => s.uses?.startsWith('actions/cache/save@'))!;
    expect(restore.with?.path).toBe('history');
    expect(save.with?.path).toBe('history');
    expect(String(restore.with?.['restore-keys'])).toBe('capacity-history-');
    expect(save.with?.key).toBe(restore.with?.key);
    expect(steps.indexOf(restore)).toBeLessThan(steps.findIndex((s) => s.id === 'sweep'));
    expect(script('sweep')).toMatch(/scylla-bench capacity .*--history history .*--json/);
    expect(script('report')).toMatch(/scylla-bench report --history history -o report\.html/);
    const upload = steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'))!;
    expect(String(upload.with?.path).split('\n')).toEqual(expect.arrayContaining(['report.html', 'history/']));
    expect(upload.if).toBe('always()');
    expect(steps[steps.length - 1].run).toMatch(/exit 1/);
    for (const s of steps) if (s.uses) expect(s.uses).toMatch(/@v\d+$/);
  });

  it('Kubernetes: a CronJob that never overlaps or retries a night, the history and reports on a persistent volume, credentials from a Secret', () => {
    expect(docs.map((d) => d.kind)).toEqual(['PersistentVolumeClaim', 'Secret', 'CronJob']);
    expect(isCron(cron.spec.schedule)).toBe(true);
    expect(cron.spec.concurrencyPolicy).toBe('Forbid');
    expect(cron.spec.jobTemplate.spec.backoffLimit).toBe(0);
    expect(pod.restartPolicy).toBe('Never');
    const volume = pod.volumes.find((v: { persistentVolumeClaim?: { claimName: string } }) => v.persistentVolumeClaim);
    expect(volume.persistentVolumeClaim.claimName).toBe(docs[0].metadata.name);
    expect(container.volumeMounts.find((m) => m.name === volume.name)?.mountPath).toBe('/nightly');
    const text = container.args.join('\n');
    expect(text).toMatch(/capacity .*--history \/nightly\/history/);
    expect(text).toMatch(/report --history \/nightly\/history -o \/nightly\/report\.html/);
    // the Secret's keys are the ones the pod reads
    const secret = docs[1];
    for (const e of container.env.filter((x) => x.valueFrom)) {
      expect(e.valueFrom!.secretKeyRef.name).toBe(secret.metadata.name);
      expect(secret.stringData).toHaveProperty(e.valueFrom!.secretKeyRef.key);
    }
    const items = pod.volumes.find((v: { secret?: unknown }) => v.secret).secret.items.map((i: { key: string }) => i.key);
    for (const k of items) expect(secret.stringData).toHaveProperty(k);
    expect(container.env.find((e) => e.name === 'SCYLLA_BENCH_PASSWORD_FILE')?.value).toMatch(/^\/credentials\//);
  });

  it('uses only flags the CLI accepts', async () => {
    const cmds = commands();
    expect(cmds.filter((c) => c.startsWith('capacity ')).length).toBe(2);
    expect(cmds.filter((c) => c.startsWith('report ')).length).toBe(2);
    for (const cmd of [...new Set(cmds.map((c) => c.split(' ')[0]))]) {
      const help = await runCli([cmd, '--help']);
      expect(help.code).toBe(0);
      for (const c of cmds.filter((x) => x.startsWith(`${cmd} `))) {
        for (const flag of c.match(/--[a-z-]+|(?<=\s)-o(?=\s)/g) ?? []) expect(help.stdout, `${cmd} ${flag}`).toContain(flag);
      }
    }
  });

  it('their scripts, run as written: a night by the CronJob, the next by the workflow, on one history', async () => {
    const dir = mkdtempSync('results/nightly-examples-');
    const volume = path.resolve(dir, 'volume');
    const work = path.resolve(dir, 'actions');
    const env = { PROFILE: path.resolve('test/fixtures/engine/capacity.yaml'), CLASS: 'app', SLO: 'p99<=100ms', STEP: '1s', WARMUP: '1s' };

    // night 1: the CronJob's script, in /app (here: this checkout), its volume a directory
    const host = simHost();
    let sim = await startSim({ nodes: 1, shards: 1, host, costs: { writeUs: 500, coordinatorUs: 0 } });
    const k8s = await sh(['/bin/sh', '-c'], container.args.join('\n').replaceAll('/nightly', volume), { ...env, TARGET: `${host}:9042` }).finally(() => sim.stop());
    expect([0, 1], k8s.stderr).toContain(k8s.code);
    expect(lines(path.join(volume, 'history/capacity-history.jsonl'))).toHaveLength(1);
    expect(readFileSync(path.join(volume, 'report.html'), 'utf8')).toContain('data-kind="history"');
    expect(readdirSync(path.join(volume, 'reports'))).toEqual([`report-${new Date().toISOString().slice(0, 10)}.html`]);

    // night 2: the workflow's sweep and report steps, the history restored (here: the volume's)
    const host2 = simHost();
    sim = await startSim({ nodes: 1, shards: 1, host: host2, costs: { writeUs: 2000, coordinatorUs: 0 } });
    mkdirSync(work, { recursive: true });
    cpSync(path.join(volume, 'history'), path.join(work, 'history'), { recursive: true });
    writeFileSync(path.join(work, 'out'), '');
    writeFileSync(path.join(work, 'summary'), '');
    // `npx scylla-bench` as a project with scylla-bench installed resolves it
    const shim = `npx() { if [ "$1" = scylla-bench ]; then shift; node ${JSON.stringify(BIN)} "$@"; else command npx "$@"; fi; }\ncd ${JSON.stringify(work)}\n`;
    const actionsEnv = { ...env, TARGET: `${host2}:9042`, GITHUB_OUTPUT: path.join(work, 'out'), GITHUB_STEP_SUMMARY: path.join(work, 'summary') };
    const sweep = await sh(['bash', '--noprofile', '--norc', '-eo', 'pipefail', '-c'], shim + script('sweep'), actionsEnv).finally(() => sim.stop());
    expect(sweep.code, sweep.stderr).toBe(0);
    const code = Number(/^exit=(\d)$/m.exec(readFileSync(path.join(work, 'out'), 'utf8'))![1]);
    const c = JSON.parse(readFileSync(path.join(work, 'capacity.json'), 'utf8')) as CapacityResult;
    expect(code).toBe(c.trend?.regressed || c.capacityOpsPerSec === null ? 1 : 0);
    expect(readFileSync(path.join(work, 'summary'), 'utf8')).toBe(`capacity of class app at p99 <= 100 ms: ${c.capacityOpsPerSec ?? 'none'} ops/s, bracket [${c.bracket[0]}, ${c.bracket[1]}], limited by ${c.limitedBy}${c.trend?.regressed ? ' — REGRESSED' : ''}\n`);
    expect(lines(path.join(work, 'history/capacity-history.jsonl'))).toHaveLength(2);
    const report = await sh(['bash', '--noprofile', '--norc', '-eo', 'pipefail', '-c'], shim + script('report'), actionsEnv);
    expect(report.code, report.stderr).toBe(0);
    const html = readFileSync(path.join(work, 'report.html'), 'utf8');
    // two nights in the trend, and the second night's details (its results are in the workspace)
    expect(html).toContain('2 nights (lines), 1 series');
    expect(html).toContain('data-kind="capacity"');
    expect(existsSync(path.resolve(work, c.resultDir, 'capacity.json'))).toBe(true);
  }, 900_000);
});
