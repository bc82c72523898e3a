/**
 * docker-compose.yml and the Dockerfile, without a Docker engine: Debian's `docker-compose
 * config` validates the file (CI installs it), and the structure it resolves is checked against
 * what the other files say — the nodes prometheus.yml scrapes, the loader's port, Grafana's
 * provisioning paths, the profile and flags the bench service runs. The Dockerfile must agree
 * with package.json (Node major of engines, npm ci, the bin, the shipped files) and copy enough
 * of the repository for tsconfig.build.json to compile (checked by compiling exactly that).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from '../support/cli.js';

const hasCompose = spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status === 0;
if (!hasCompose && process.env.CI === 'true') throw new Error('docker-compose not found: .ci/run installs Debian\'s docker-compose package');

interface Service { image?: string; build?: string | { context: string; dockerfile?: string }; command?: string | string[]; volumes?: (string | { source: string; target: string })[]; ports?: (string | { target: number; published: number })[]; depends_on?: unknown }
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string }; bin: Record<string, string>; files: string[] };

/** The file as docker-compose resolves it (anchors, merges, paths), else as YAML with merge keys. */
function composed(): { services: Record<string, Service> } {
  if (hasCompose) {
    const r = spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return parse(r.stdout) as { services: Record<string, Service> };
  }
  return parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as { services: Record<string, Service> };
}

const args = (c: Service['command']): string[] => (Array.isArray(c) ? c : (c ?? '').split(/\s+/).filter(Boolean));
const mounts = (s: Service): { source: string; target: string }[] => (s.volumes ?? []).map((v) => {
  if (typeof v !== 'string') return { source: path.relative(process.cwd(), path.resolve(v.source)), target: v.target };
  const [source, target] = v.split(':');
  return { source: path.relative(process.cwd(), path.resolve(source)), target };
});
const flag = (a: string[], name: string): string | undefined => {
  const i = a.findIndex((x) => x === name || x.startsWith(`${name}=`));
  if (i < 0) return undefined;
  return a[i].includes('=') ? a[i].slice(a[i].indexOf('=') + 1) : a[i + 1];
};

describe('docker-compose.yml', () => {
  const { services } = composed();
  const scylla = Object.entries(services).filter(([, s]) => s.image?.startsWith('scylladb/scylla'));

  it('three Scylla nodes from the official image, with --smp, --memory, --overprovisioned and a seed among them', () => {
    expect(scylla.map(([n]) => n)).toEqual(['scylla1', 'scylla2', 'scylla3']);
    for (const [name, s] of scylla) {
      const a = args(s.command);
      expect(Number(flag(a, '--smp')), name).toBeGreaterThanOrEqual(1);
      expect(flag(a, '--memory'), name).toMatch(/^\d+[MG]$/);
      expect(flag(a, '--overprovisioned'), name).toBe('1');
      for (const seed of (flag(a, '--seeds') ?? '').split(',')) expect(scylla.map(([n]) => n)).toContain(seed);
    }
  });

  it('Prometheus runs monitoring/prometheus.yml, which scrapes every node on 9180 and the bench service on its --prometheus port', () => {
    expect(mounts(services.prometheus)).toContainEqual({ source: 'monitoring/prometheus.yml', target: '/etc/prometheus/prometheus.yml' });
    const cfg = parse(readFileSync('monitoring/prometheus.yml', 'utf8')) as { scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[] };
    const targets = (job: string): string[] => cfg.scrape_configs.find((j) => j.job_name === job)!.static_configs.flatMap((c) => c.targets);
    expect(targets('scylla')).toEqual(scylla.map(([n]) => `${n}:9180`));
    const port = flag(args(services.bench.command), '--prometheus');
    expect(targets('scylla-bench')).toEqual([`bench:${port}`]);
  });

  it('Grafana is provisioned with the datasource (the prometheus service) and the dashboard directory', () => {
    const m = mounts(services.grafana);
    expect(m).toContainEqual({ source: 'monitoring/grafana/provisioning', target: '/etc/grafana/provisioning' });
    const provider = parse(readFileSync('monitoring/grafana/provisioning/dashboards/scylla-bench.yml', 'utf8')) as { providers: { options: { path: string } }[] };
    expect(m).toContainEqual({ source: 'monitoring/grafana/dashboards', target: provider.providers[0].options.path });
    const ds = parse(readFileSync('monitoring/grafana/provisioning/datasources/prometheus.yml', 'utf8')) as { datasources: { url: string }[] };
    expect(new URL(ds.datasources[0].url).hostname).toBe('prometheus');
    expect(existsSync('monitoring/grafana/dashboards/scylla-bench.json')).toBe(true);
  });

  it('bench is built from this Dockerfile and runs a shipped profile against the three nodes with flags the CLI knows', async () => {
    const b = services.bench;
    const ctx = typeof b.build === 'string' ? b.build : b.build!.context;
    expect(path.resolve(ctx)).toBe(process.cwd());
    expect(existsSync('Dockerfile')).toBe(true);
    const a = args(b.command);
    expect(a[0]).toBe('run');
    expect(existsSync(a[1])).toBe(true);
    expect(flag(a, '--target')!.split(',')).toEqual(scylla.map(([n]) => n));
    const help = await runCli(['run', '--help']);
    // every flag the compose file passes is one `run` accepts
    for (const f of a.filter((x) => x.startsWith('--')).map((x) => x.split('=')[0])) expect(help.stdout, `run --help lacks ${f}`).toContain(f);
  });
});

describe('Dockerfile', () => {
  const text = readFileSync('Dockerfile', 'utf8');
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const stages = lines.reduce<string[][]>((acc, l) => { if (/^FROM /i.test(l)) acc.push([]); acc[acc.length - 1]?.push(l); return acc; }, []);
  const final = stages[stages.length - 1];

  it('uses the Node major of package.json engines, npm ci, and the package bin as entry point', () => {
    const major = /(\d+)/.exec(pkg.engines.node)![1];
    for (const s of stages) expect(s[0]).toMatch(new RegExp(`^FROM node:${major}[-.:\\w]*`));
    for (const s of stages) expect(s.some((l) => /^RUN npm ci\b/.test(l))).toBe(true);
    const entry = JSON.parse(final.find((l) => l.startsWith('ENTRYPOINT'))!.slice('ENTRYPOINT'.length)) as string[];
    expect(entry).toEqual(['node', pkg.bin['scylla-bench']]);
  });

  it('copies what exists, and the final stage holds every path package.json ships', () => {
    const copies = lines.filter((l) => /^COPY /.test(l));
    for (const c of copies.filter((l) => !l.includes('--from='))) {
      const parts = c.split(/\s+/).slice(1, -1);
      for (const p of parts) expect(existsSync(p), c).toBe(true);
    }
    const shipped = final.filter((l) => /^COPY /.test(l)).map((l) => l.split(/\s+/).pop()!.replace(/^\.\//, ''));
    for (const f of pkg.files) expect(shipped, f).toContain(f);
  });

  it('the build stage copies enough to compile: tsconfig.build.json builds from exactly those paths', () => {
    const build = stages[0];
    const copied = build.filter((l) => /^COPY /.test(l) && !l.includes('--from=')).flatMap((l) => l.split(/\s+/).slice(1, -1));
    const tsb = JSON.parse(readFileSync('tsconfig.build.json', 'utf8')) as { include: string[] };
    for (const inc of tsb.include) expect(copied).toContain(inc);
    const dir = mkdtempSync(path.join(tmpdir(), 'sb-docker-'));
    for (const p of copied) cpSync(p, path.join(dir, p), { recursive: true });
    symlinkSync(path.resolve('node_modules'), path.join(dir, 'node_modules'));
    const r = spawnSync(process.execPath, [path.resolve('node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--noEmit'], { cwd: dir, encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  }, 120_000);
});
