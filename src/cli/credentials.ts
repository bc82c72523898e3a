/**
 * Credentials and TLS material come from the environment or files, never from flags, so they
 * stay out of shell history, logs and results.
 */
import { readFileSync } from 'node:fs';
import type { Credentials, TlsOptions } from '../cql/connection.js';
import { UserError } from './exit.js';

/** The env vars that hold a login: a profile may name its own, these are the defaults. */
export interface CredentialEnvNames {
  username: string;
  password: string;
  passwordFile: string;
}

export const DEFAULT_CREDENTIAL_ENV: CredentialEnvNames = {
  username: 'SCYLLA_BENCH_USERNAME', password: 'SCYLLA_BENCH_PASSWORD', passwordFile: 'SCYLLA_BENCH_PASSWORD_FILE',
};

export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env, names: CredentialEnvNames = DEFAULT_CREDENTIAL_ENV): Credentials | undefined {
  const username = env[names.username];
  if (!username) return undefined;
  let password = env[names.password];
  const file = env[names.passwordFile];
  if (password === undefined && file) password = readSecretFile(names.passwordFile, file).toString('utf8').replace(/\r?\n$/, '');
  if (password === undefined) throw new UserError(`${names.username} is set but neither ${names.password} nor ${names.passwordFile} is`);
  return { username, password };
}

/** Reads a secret or certificate file; `what` names where the path came from (a flag, an env var, a profile key). */
export function readSecretFile(what: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new UserError(`${what}: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

/** TLS options from file paths; `label(key)` names each path's origin in errors. */
export function tlsFromFiles(files: { ca?: string; cert?: string; key?: string }, label: (key: 'ca' | 'cert' | 'key') => string): TlsOptions {
  if (!!files.cert !== !!files.key) throw new UserError(`${label('cert')} and ${label('key')} must be given together`);
  const read = (k: 'ca' | 'cert' | 'key'): Buffer | undefined => (files[k] ? readSecretFile(label(k), files[k]!) : undefined);
  return { ca: read('ca'), cert: read('cert'), key: read('key') };
}

export function tlsFromFlags(f: { tlsCa?: string; tlsCert?: string; tlsKey?: string; tls?: boolean }): TlsOptions | undefined {
  if (!f.tls && !f.tlsCa && !f.tlsCert && !f.tlsKey) return undefined;
  return tlsFromFiles({ ca: f.tlsCa, cert: f.tlsCert, key: f.tlsKey }, (k) => `--tls-${k}`);
}
