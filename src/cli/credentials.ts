/**
 * Credentials and TLS material come from the environment or files, never from flags, so they
 * stay out of shell history, logs and results.
 */
import { readFileSync } from 'node:fs';
import type { Credentials, TlsOptions } from '../cql/connection.js';
import { UserError } from './exit.js';

export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): Credentials | undefined {
  const username = env.SCYLLA_BENCH_USERNAME;
  if (!username) return undefined;
  let password = env.SCYLLA_BENCH_PASSWORD;
  const file = env.SCYLLA_BENCH_PASSWORD_FILE;
  if (password === undefined && file) {
    try {
      password = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (e) {
      throw new UserError(`SCYLLA_BENCH_PASSWORD_FILE: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
  if (password === undefined) throw new UserError('SCYLLA_BENCH_USERNAME is set but neither SCYLLA_BENCH_PASSWORD nor SCYLLA_BENCH_PASSWORD_FILE is');
  return { username, password };
}

export function tlsFromFlags(f: { tlsCa?: string; tlsCert?: string; tlsKey?: string; tls?: boolean }): TlsOptions | undefined {
  if (!f.tls && !f.tlsCa && !f.tlsCert && !f.tlsKey) return undefined;
  const read = (flag: string, p?: string): Buffer | undefined => {
    if (!p) return undefined;
    try {
      return readFileSync(p);
    } catch (e) {
      throw new UserError(`${flag}: cannot read ${p}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  };
  if (!!f.tlsCert !== !!f.tlsKey) throw new UserError('--tls-cert and --tls-key must be given together');
  return { ca: read('--tls-ca', f.tlsCa), cert: read('--tls-cert', f.tlsCert), key: read('--tls-key', f.tlsKey) };
}
