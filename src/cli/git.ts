/** The commit a nightly result was measured at: the CI's variable, else `git rev-parse HEAD` here, else null. */
import { spawnSync } from 'node:child_process';

export function gitSha(): string | null {
  const env = process.env.GITHUB_SHA ?? process.env.CI_COMMIT_SHA;
  if (env) return env;
  const r = spawnSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}
