/**
 * deploy/kubernetes/: every kustomization renders (`kubectl kustomize`, offline) into objects
 * that the Kubernetes API schemas accept (kubernetes-models' validators), the overlays agree
 * with themselves (parallelism = completions = SEGMENTS), the shipped profile loads — and a
 * local simulation runs the pods' own command lines (from the rendered Jobs, $(VAR) expanded as
 * the kubelet does, JOB_COMPLETION_INDEX set per pod) as n processes on the emulator, with the
 * merge Job's script alongside, and checks the merged result.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import hdr from 'hdr-histogram-js';
import { ConfigMap, PersistentVolumeClaim } from 'kubernetes-models/v1';
import { CronJob, Job } from 'kubernetes-models/batch/v1';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection } from '../../src/cql/connection.js';
import type { RowsResult } from '../../src/cql/messages.js';
import { decodeRows } from '../../src/cql/rows.js';
import { loadProfile } from '../../src/profile/load.js';
import { readResult } from '../../src/results/read.js';
import type { RunResult } from '../../src/results/result.js';
import { startSim, type Sim } from '../../src/sim/index.js';
import { simHost } from '../support/sim-host.js';

const K8S = 'deploy/kubernetes';

type Obj = { apiVersion: string; kind: string; metadata: { name: string }; [k: string]: unknown };
interface Container { name: string; command: string[]; args: string[]; env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[]; envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string; optional?: boolean } }[]; volumeMounts?: { name: string; mountPath: string }[] }
interface PodSpec { containers: Container[]; volumes?: { name: string; configMap?: { name: string }; persistentVolumeClaim?: { claimName: string } }[]; restartPolicy: string }

function render(dir: string, env: NodeJS.ProcessEnv = {}): Obj[] {
  const text = dir.endsWith('.sh')
    ? execFileSync('sh', [dir, ...(env.ARGS ?? '').split(' ')], { encoding: 'utf8', env: { ...process.env, ...env, DRY_RUN: '1' } })
    : execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
  return parseAllDocuments(text).map((d) => d.toJS() as Obj);
}

/** The API schema of each kind we ship: a constructor whose validate() throws on a bad object. */
const MODELS: Record<string, new (o: never) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap as never, 'v1/PersistentVolumeClaim': PersistentVolumeClaim as never, 'batch/v1/Job': Job as never, 'batch/v1/CronJob': CronJob as never,
};

function validate(o: Obj): void {
  const M = MODELS[`${o.apiVersion}/${o.kind}`];
  if (!M) throw new Error(`no schema for ${o.apiVersion} ${o.kind}`);
  new M(o as never).validate();
}

/** $(VAR) as the kubelet expands it in command and args: defined names only, $$ is a literal $. */
function expand(s: string, env: Record<string, string>): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '$' && s[i + 1] === '$') { out += '$'; i++; continue; }
    if (s[i] === '$' && s[i + 1] === '(') {
      const j = s.indexOf(')', i + 2);
      const name = j > 0 ? s.slice(i + 2, j) : '';
      if (j > 0 && Object.hasOwn(env, name)) { out += env[name]; i = j; continue; }
    }
    out += s[i];
  }
  return out;
}

/** Every interval of an .hlog, read here (not by merge.ts): tag, absolute start (ms), the histogram by hdr-histogram-js. */
function hlogIntervals(file: string): { tag: string; startMs: number; h: hdr.Histogram }[] {
  let baseMs = 0;
  const out: { tag: string; startMs: number; h: hdr.Histogram }[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const b = /^#\[BaseTime: ([0-9.]+) /.exec(line);
    if (b) baseMs = Number(b[1]) * 1000;
    const m = /^Tag=([^,]+),([0-9.]+),[^,]+,[^,]+,(\S+)$/.exec(line);
    if (m) out.push({ tag: m[1], startMs: Math.round(baseMs + Number(m[2]) * 1000), h: hdr.decodeFromCompressedBase64(m[3], 32, false) });
  }
  return out;
}

const byKind = (objs: Obj[], kind: string): Obj[] => objs.filter((o) => o.kind === kind);
const podOf = (job: Obj): PodSpec => (job.spec as { template: { spec: PodSpec } }).template.spec;
const dataOf = (objs: Obj[], name: string): Record<string, string> => (byKind(objs, 'ConfigMap').find((c) => c.metadata.name === name)!.data as Record<string, string>);

/** The env a container sees: its envFrom ConfigMaps (secrets: absent here), then its env. */
function envOf(objs: Obj[], c: Container, fieldRefs: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const f of c.envFrom ?? []) {
    if (f.configMapRef) Object.assign(env, dataOf(objs, f.configMapRef.name));
    else expect(f.secretRef?.optional, `secret ${f.secretRef?.name} must be optional`).toBe(true);
  }
  for (const e of c.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.fieldRef) env[e.name] = fieldRefs[e.valueFrom.fieldRef.fieldPath];
  }
  return env;
}

describe('deploy/kubernetes', () => {
  it('every kustomization renders into objects the Kubernetes API schemas accept, and the validators do reject', () => {
    const all = ['overlays/segments-2', 'overlays/segments-4', 'overlays/segments-8', 'segmented', 'nightly'].map((d) => [d, render(path.join(K8S, d))] as const);
    for (const [dir, objs] of all) {
      expect(objs.length, dir).toBeGreaterThanOrEqual(3);
      for (const o of objs) expect(() => validate(o), `${dir}: ${o.kind} ${o.metadata.name}`).not.toThrow();
      // every ConfigMap and claim a pod mounts or reads is among the rendered objects (kustomize's hashed names)
      for (const w of [...byKind(objs, 'Job'), ...byKind(objs, 'CronJob')]) {
        const pod = w.kind === 'Job' ? podOf(w) : ((w.spec as { jobTemplate: { spec: { template: { spec: PodSpec } } } }).jobTemplate.spec.template.spec);
        const names = new Set(objs.map((o) => `${o.kind}/${o.metadata.name}`));
        for (const v of pod.volumes ?? []) {
          if (v.configMap) expect(names, `${dir} ${v.configMap.name}`).toContain(`ConfigMap/${v.configMap.name}`);
          if (v.persistentVolumeClaim) expect(names).toContain(`PersistentVolumeClaim/${v.persistentVolumeClaim.claimName}`);
        }
        for (const c of pod.containers) for (const f of c.envFrom ?? []) if (f.configMapRef) expect(names).toContain(`ConfigMap/${f.configMapRef.name}`);
        expect(pod.restartPolicy).toBe('Never');
      }
    }
    // the validators are live: a string where the API wants an integer, an unknown completion mode type
    const job = byKind(all[1][1], 'Job').find((j) => j.metadata.name === 'scylla-bench-loaders')!;
    expect(() => validate({ ...job, spec: { ...(job.spec as object), parallelism: '4' } })).toThrow(/parallelism/);
    expect(() => validate({ ...job, spec: { ...(job.spec as object), completionMode: 7 } })).toThrow(/completionMode/);
  });

  it('each overlay runs n segments: parallelism = completions = SEGMENTS, every pod with its index', () => {
    for (const n of [2, 4, 8]) {
      const objs = render(path.join(K8S, `overlays/segments-${n}`));
      const job = byKind(objs, 'Job').find((j) => j.metadata.name === 'scylla-bench-loaders')!;
      const spec = job.spec as { completionMode: string; completions: number; parallelism: number; backoffLimit: number };
      expect(spec).toMatchObject({ completionMode: 'Indexed', completions: n, parallelism: n, backoffLimit: 0 });
      const c = podOf(job).containers[0];
      const env = envOf(objs, c, { "metadata.annotations['batch.kubernetes.io/job-completion-index']": '3' });
      expect(env.SEGMENTS).toBe(String(n));
      const args = c.args.map((a) => expand(a, env));
      expect(args.slice(0, 6)).toEqual(['run', '/etc/scylla-bench/profile.yaml', '--segment', `3/${n}`, '--start-at', env.START_AT]);
      // every $(VAR) of the command line is defined: nothing reaches the loader unexpanded
      for (const a of args) expect(a).not.toMatch(/\$\(/);
    }
  });

  it('the nightly CronJob runs capacity with flags the capacity command takes', async () => {
    const objs = render(path.join(K8S, 'nightly'));
    const cron = byKind(objs, 'CronJob')[0];
    const pod = (cron.spec as { jobTemplate: { spec: { template: { spec: PodSpec } } } }).jobTemplate.spec.template.spec;
    const c = pod.containers[0];
    expect(c.args.slice(0, 2)).toEqual(['capacity', '/etc/scylla-bench/profile.yaml']);
    expect(c.args).toContain('--history');
    const help = execFileSync(process.execPath, ['bin/scylla-bench.js', 'capacity', '--help'], { encoding: 'utf8' });
    for (const flag of c.args.filter((a) => a.startsWith('--'))) expect(help, flag).toMatch(new RegExp(`^\\s+${flag}\\s`, 'm'));
    const env = envOf(objs, c, {});
    for (const a of c.args) expect(expand(a, env)).not.toMatch(/\$\(/);
  });

  it('the shipped profile and workload load as the loaders will read them', async () => {
    expect(readFileSync(path.join(K8S, 'common/kv.yaml'), 'utf8')).toBe(readFileSync('workloads/kv.yaml', 'utf8'));
    const objs = render(path.join(K8S, 'common'));
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-k8s-profile-'));
    const data = dataOf(objs, byKind(objs, 'ConfigMap')[0].metadata.name);
    for (const [f, text] of Object.entries(data)) writeFileSync(path.join(dir, f), text);
    const p = await loadProfile(path.join(dir, 'profile.yaml'), { target: '10.0.0.1' });
    expect(p.phases.map((x) => x.kind)).toEqual(['schema', 'load', 'warmup', 'measure']);
    expect(p.phases[3].classes[0].rateOpsPerSec).toBe(200_000);
  });

  describe('local simulation: the pods\' command lines as processes on the emulator', () => {
    const host = simHost();
    let sim: Sim;
    const root = mkdtempSync(path.join(os.tmpdir(), 'sb-k8s-sim-'));
    const mounts = { '/etc/scylla-bench': path.join(root, 'etc'), '/results': path.join(root, 'results') };
    const outs: { code: number | null; stderr: string; stdout: string }[] = [];
    let startAt = '';
    let runId = '';

    /** A container's command line, run here: the mount paths mapped to local directories. */
    function runPod(c: Container, env: Record<string, string>): Promise<{ code: number | null; stderr: string; stdout: string }> {
      const map = (s: string): string => Object.entries(mounts).reduce((x, [from, to]) => x.replaceAll(from, to), s);
      const argv = [...c.command, ...c.args].map((a) => map(expand(a, env)));
      const [cmd, ...rest] = argv;
      return new Promise((resolve, reject) => {
        const child = spawn(cmd === 'node' ? process.execPath : cmd, rest, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
        child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
        const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${c.name} did not finish\n${stderr}`)); }, 240_000);
        child.on('close', (code) => { clearTimeout(timer); resolve({ code, stderr, stdout }); });
      });
    }

    beforeAll(async () => {
      sim = await startSim({ nodes: 2, shards: 2, host });
      // launch.sh renders what it would apply; the lead time leaves room for 4 processes to start
      // and for segment 0 to create the schema and run the load on a busy 2-core machine
      const objs = render(path.join(K8S, 'launch.sh'), { ARGS: `${path.join(K8S, 'overlays/segments-4')} 30` });
      for (const o of objs) validate(o);
      const loaders = byKind(objs, 'Job').find((j) => j.metadata.name === 'scylla-bench-loaders')!;
      const merge = byKind(objs, 'Job').find((j) => j.metadata.name === 'scylla-bench-merge')!;
      // the ConfigMap's content is the deployment's: here the test profile (its rows checked below)
      mkdirSync(mounts['/etc/scylla-bench'], { recursive: true });
      mkdirSync(mounts['/results'], { recursive: true });
      writeFileSync(path.join(mounts['/etc/scylla-bench'], 'profile.yaml'), readFileSync('test/scale/fixtures/scale.yaml'));
      writeFileSync(path.join(mounts['/etc/scylla-bench'], 'rows.yaml'), readFileSync('test/scale/fixtures/rows.yaml'));
      const n = (loaders.spec as { completions: number }).completions;
      const local = { SCYLLA_TARGET: host, WORKERS: '1' }; // this machine's cluster and cores
      const pods = Array.from({ length: n }, (_, i) => {
        const c = podOf(loaders).containers[0];
        const env: Record<string, string> = { ...envOf(objs, c, { "metadata.annotations['batch.kubernetes.io/job-completion-index']": String(i) }), ...local };
        startAt = env.START_AT;
        runId = env.RUN_ID;
        return runPod(c, env);
      });
      const mc = podOf(merge).containers[0];
      outs.push(...await Promise.all([...pods, runPod(mc, { ...envOf(objs, mc, {}), ...local })]));
    }, 300_000);

    afterAll(async () => {
      await sim?.stop();
    });

    it('n loaders ran their segments from one instant and the merge Job merged them', async () => {
      for (const o of outs) expect(o.code, o.stderr).toBe(0);
      const merged = readResult(path.join(mounts['/results'], runId, 'merged')).result;
      expect(merged.merged).toMatchObject({ segments: 4, merged: [0, 1, 2, 3], missing: [] });
      const loaders: RunResult[] = merged.merged!.loaders.map((l) => readResult(l.source).result);
      for (const [i, r] of loaders.entries()) {
        expect(r.segment).toMatchObject({ index: i, count: 4, startAt: new Date(Date.parse(startAt)).toISOString() });
        // segment 0 created the schema and ran the whole load; the others waited for the schema
        expect(r.phases.map((p) => p.name)).toEqual(['schema', 'load', 'measure']);
        expect(r.phases[1].skipped).toBe(i === 0 ? undefined : 'run by segment 0 alone (--start-at)');
        expect(Object.keys(r.phases[1].classes)).toEqual(i === 0 ? ['loader'] : []);
        const measure = r.phases.find((p) => p.name === 'measure')!;
        expect(Date.parse(measure.startedAt)).toBe(Date.parse(startAt));
        expect(r.warnings.filter((w) => /fixed start/.test(w))).toEqual([]);
      }
      expect(loaders[0].phases.find((p) => p.name === 'load')!.classes.loader.ops.put_batch.count).toBe(900);
      // one common start: every loader's seconds are the merged seconds
      for (const l of merged.merged!.loaders) expect(l.phases.find((p) => p.name === 'measure')!.startOffsetMs).toBe(0);
      const m = merged.phases.find((p) => p.name === 'measure')!;
      expect(m.intervals.length).toBeLessThanOrEqual(7);
      // per wall-clock second: each interval of the merged .hlog is the four loaders' intervals of
      // that same second (same tag, same instant) added — counts and every percentile, never averaged
      const mergedDir = path.join(mounts['/results'], runId, 'merged');
      for (const cls of ['reads', 'appends']) {
        const parts = merged.merged!.loaders.map((l) => hlogIntervals(path.join(l.source, `${cls}.hlog`)));
        const seconds = hlogIntervals(path.join(mergedDir, `${cls}.hlog`));
        expect(seconds.length, cls).toBeGreaterThanOrEqual(2 * 6); // response and service, 6 s at least
        let total = 0;
        for (const sec of seconds) {
          const sum = hdr.build({ bitBucketSize: 32, lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, autoResize: true, useWebAssembly: false });
          let found = 0;
          for (const p of parts) for (const x of p) if (x.tag === sec.tag && x.startMs === sec.startMs) { sum.add(x.h); found++; }
          expect(found, `${cls} ${sec.tag} @${sec.startMs}`).toBeGreaterThanOrEqual(1);
          expect(sec.h.totalCount, `${cls} ${sec.tag} @${sec.startMs}`).toBe(sum.totalCount);
          for (const q of [50, 90, 99, 100]) expect(sec.h.getValueAtPercentile(q), `${cls} ${sec.tag} @${sec.startMs} p${q}`).toBe(sum.getValueAtPercentile(q));
          total += sec.h.totalCount;
        }
        // and no loader's second was left out: the merged seconds hold every interval of the four
        expect(total).toBe(parts.flat().reduce((a, x) => a + x.h.totalCount, 0));
      }
      expect(m.classes.reads.rate.sent + m.classes.reads.rate.unsent!).toBe(2400);
      const c = await Connection.connect({ host, port: 9042 });
      const n = Number(decodeRows((await c.query('SELECT count(*) AS n FROM sb_scale.wide')) as RowsResult)[0].n);
      await c.close();
      expect(n).toBe(3000);
    });
  });
});
