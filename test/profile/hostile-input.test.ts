/**
 * Input an attacker (or an unlucky user) names as a profile or workload: huge, deep, binary,
 * not a file at all, full of terminal escapes. Each is refused with ONE ProfileError line
 * before it can hang the loader, blow its stack or memory, or echo what the file holds.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exitCodeOf } from '../../src/cli/exit.js';
import { quoted } from '../../src/profile/errors.js';
import { MAX_FILE_BYTES } from '../../src/profile/limits.js';
import { loadProfile, ProfileError } from '../../src/profile/load.js';

const dir = mkdtempSync(join(tmpdir(), 'sb-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const OK_SCHEMA = `keyspace: ks
schema: |
  CREATE KEYSPACE IF NOT EXISTS ks WITH replication = {'class': 'NetworkTopologyStrategy', 'replication_factor': 1};
  CREATE TABLE IF NOT EXISTS ks.t (id int PRIMARY KEY, v text);
tables:
  t: {partitions: 10}
operations:
  read: {cql: "SELECT v FROM ks.t WHERE id = ?"}
`;

function profileFor(workload: string): string {
  const p = join(dir, `p-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(p, `classes: {app: {workload: ${JSON.stringify(workload)}, mix: read, rate: 10}}\nphases: [{kind: measure, duration: 1s}]\n`);
  return p;
}

async function rejection(file: string): Promise<ProfileError> {
  const err = await loadProfile(file).then(() => undefined, (e: unknown) => e);
  expect(err, 'should have been rejected').toBeInstanceOf(ProfileError);
  const e = err as ProfileError;
  expect(exitCodeOf(e)).toBe(2);
  expect(e.message).not.toContain('\n');
  // eslint-disable-next-line no-control-regex
  expect(e.message).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  return e;
}

describe('hostile profiles and workloads', () => {
  it(`a file over ${MAX_FILE_BYTES} bytes is refused by its size, a 50 MB one without being read`, async () => {
    const big = join(dir, 'big.yaml');
    writeFileSync(big, `# ${'x'.repeat(MAX_FILE_BYTES)}\n`);
    expect((await rejection(big)).message).toMatch(/big\.yaml:1:1: cannot read profile: .* more than the 1 MiB a profile may have/);
    const huge = join(dir, 'huge.yaml');
    writeFileSync(huge, '');
    truncateSync(huge, 50 * 1024 * 1024); // sparse: costs no disk, and must cost no memory either
    expect((await rejection(huge)).message).toMatch(/50 MiB is more than the 1 MiB/);
    expect((await rejection(profileFor(huge))).message).toMatch(/cannot read workload file '.*huge\.yaml': 50 MiB is more than the 1 MiB a workload file may have/);
  });

  it('20 000 nested brackets: one line at the bracket past the limit, no stack overflow', async () => {
    const deep = join(dir, 'deep.yaml');
    writeFileSync(deep, `phases: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`);
    expect((await rejection(deep)).message).toMatch(/deep\.yaml:1:73: brackets nested deeper than 64/);
    const flowMaps = join(dir, 'deep-maps.yaml');
    writeFileSync(flowMaps, `${'{a: '.repeat(20_000)}1${'}'.repeat(20_000)}\n`);
    expect((await rejection(flowMaps)).message).toMatch(/nested deeper than 64/);
  });

  it('deep indentation within the size limit loads or fails as one line', async () => {
    const file = join(dir, 'indent.yaml');
    let text = '';
    for (let i = 0; i < 1000; i++) text += `${' '.repeat(i)}k:\n`;
    writeFileSync(file, `${text}${' '.repeat(1000)}v\n`);
    await rejection(file);
  });

  it('CQL nested 20 000 deep in a schema: one line inside the workload', async () => {
    const w = join(dir, 'deep-cql.yaml');
    writeFileSync(w, OK_SCHEMA.replace('v text', `v ${'frozen<list<'.repeat(10_000)}int${'>>'.repeat(10_000)}`));
    expect((await rejection(profileFor(w))).message).toMatch(/deep-cql\.yaml:4:\d+: CQL: brackets nested deeper than 32/);
  });

  it('a FIFO, a device and a directory are refused without blocking on them', async () => {
    const fifo = join(dir, 'fifo.yaml');
    execFileSync('mkfifo', [fifo]);
    expect((await rejection(fifo)).message).toMatch(/cannot read profile: not a regular file/);
    expect((await rejection(profileFor('/dev/zero'))).message).toMatch(/cannot read workload file '\/dev\/zero': not a regular file/);
    mkdirSync(join(dir, 'adir.yaml'));
    expect((await rejection(join(dir, 'adir.yaml'))).message).toMatch(/is a directory/);
  });

  it('binary and non-UTF-8 files are refused without quoting them', async () => {
    const bin = join(dir, 'key.der');
    writeFileSync(bin, Buffer.from([0x30, 0x82, 0x01, 0x00, 0x73, 0x33, 0x63, 0x72, 0x33, 0x74]));
    const e1 = await rejection(bin);
    expect(e1.message).toMatch(/not a YAML profile: it holds binary data/);
    expect(e1.message).not.toContain('s3cr3t');
    const latin1 = join(dir, 'latin1.yaml');
    writeFileSync(latin1, Buffer.from('name: caf\xe9 s3cr3t\n', 'latin1'));
    const e2 = await rejection(latin1);
    expect(e2.message).toMatch(/not a YAML profile: it is not UTF-8 text/);
    expect(e2.message).not.toContain('s3cr3t');
  });

  it('a password file named as a workload is reported by its kind, not its content', async () => {
    const secret = join(dir, 'pgpass');
    writeFileSync(secret, 'db.example.com:5432:app:admin:Tr0ub4dor&3\n');
    const e = await rejection(profileFor(secret));
    expect(e.message).toMatch(/got plain text \(a single YAML string; its content is not shown\)/);
    expect(e.message).not.toContain('Tr0ub4dor');
  });
});

describe('quoted(): how a message shows a user value', () => {
  it('escapes control and invisible characters and cuts at 40 characters', () => {
    expect(quoted('abc')).toBe("'abc'");
    expect(quoted('\u001b[2J\u0000x\u202e')).toBe("'\\x1b[2J\\0x\\u202e'");
    expect(quoted('a'.repeat(100))).toBe(`'${'a'.repeat(39)}…'`);
    expect(quoted("it's")).toBe("'it\\'s'");
  });
});
