/** Credentials and TLS files are bad input like any other: one line naming the env var or flag, exit 2. */
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

describe('credential and TLS input', () => {
  const cases: { args: string[]; env?: NodeJS.ProcessEnv; message: RegExp }[] = [
    { args: ['probe', '--target', '127.0.0.1:1'], env: { SCYLLA_BENCH_USERNAME: 'x' }, message: /SCYLLA_BENCH_USERNAME is set but neither SCYLLA_BENCH_PASSWORD nor SCYLLA_BENCH_PASSWORD_FILE is/ },
    { args: ['probe', '--target', '127.0.0.1:1'], env: { SCYLLA_BENCH_USERNAME: 'x', SCYLLA_BENCH_PASSWORD_FILE: '/nonexistent/pw' }, message: /SCYLLA_BENCH_PASSWORD_FILE: cannot read \/nonexistent\/pw: ENOENT/ },
    { args: ['probe', '--target', '127.0.0.1:1', '--tls-cert', '/a.pem'], message: /--tls-cert and --tls-key must be given together/ },
    { args: ['probe', '--target', '127.0.0.1:1', '--tls-ca', '/nonexistent/ca.pem'], message: /--tls-ca: cannot read \/nonexistent\/ca\.pem: ENOENT/ },
    { args: ['probe', '--target', 'bad host'], message: /--target: invalid host in 'bad host'/ },
    { args: ['probe', '--target', 'h:99999'], message: /--target: invalid port in 'h:99999'/ },
  ];
  for (const c of cases) {
    it(`${c.args.slice(1).join(' ')} ${c.env ? JSON.stringify(c.env) : ''}`, async () => {
      const r = await runCli(c.args, { env: { SCYLLA_BENCH_USERNAME: '', ...c.env } });
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(c.message);
    });
  }
});
