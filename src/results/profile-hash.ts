/**
 * The identity of a workload, so a gate never compares two different things: sha256 over the
 * resolved profile in canonical JSON (keys sorted), without what says where or how it ran or how
 * it is judged — the target (hosts, credentials' env names, TLS files, emulator shape), the seed,
 * loader workers and pinning, file names and source positions, SLOs and gate rules. Two runs of
 * the same profile on two clusters (a baseline and a candidate build) hash alike; a changed
 * rate, duration, mix, statement or schema does not.
 */
import { createHash } from 'node:crypto';

const IGNORED = new Set(['file', 'pos', 'target', 'seed', 'workers', 'pin', 'slo', 'gate']);

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (!IGNORED.has(k) && x !== undefined) out[k] = canonical(x);
    }
    return out;
  }
  return v;
}

/** `sha256:<hex>` of the resolved profile (as embedded in result.json), see above for what is left out. */
export function profileHash(profile: unknown): string {
  return `sha256:${createHash('sha256').update(JSON.stringify(canonical(profile))).digest('hex')}`;
}
