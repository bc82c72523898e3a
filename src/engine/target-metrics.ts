/**
 * The target's own word on routing: Scylla counts, per shard, the operations that crossed a
 * shard boundary (`scylla_storage_proxy_replica_cross_shard_ops`, served on each node's
 * Prometheus port, 9180 by default; the emulator serves the same name). Read before and after a
 * phase, the difference is what the cluster saw, whichever client sent the requests — the only
 * figure there is for the stock driver, which does not say which shard it used.
 */

export const CROSS_SHARD_METRIC = 'scylla_storage_proxy_replica_cross_shard_ops';
/** Scylla's Prometheus port. */
export const SCYLLA_METRICS_PORT = 9180;

/** Sum of every series of `metric` in a Prometheus text exposition; null when absent. */
export function sumMetric(text: string, metric: string): number | null {
  let sum = 0;
  let seen = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith(metric)) continue;
    const rest = line.slice(metric.length);
    if (rest[0] !== '{' && rest[0] !== ' ') continue; // another metric with this prefix
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (!Number.isFinite(value)) continue;
    sum += value;
    seen = true;
  }
  return seen ? sum : null;
}

/**
 * Sum of `metric` over all endpoints, or null when any endpoint does not answer or lacks it (a
 * partial sum would be a wrong figure, not a smaller one).
 */
export async function scrapeSum(urls: string[], metric: string, timeoutMs = 2000): Promise<number | null> {
  if (urls.length === 0) return null;
  try {
    const parts = await Promise.all(urls.map(async (u) => {
      const r = await fetch(u, { signal: AbortSignal.timeout(timeoutMs) });
      if (!r.ok) return null;
      return sumMetric(await r.text(), metric);
    }));
    if (parts.some((p) => p === null)) return null;
    return (parts as number[]).reduce((a, b) => a + b, 0);
  } catch {
    return null;
  }
}

/** Each node's metrics endpoint as Scylla serves it. */
export function nodeMetricsUrls(hosts: string[], port = SCYLLA_METRICS_PORT): string[] {
  return hosts.map((h) => `http://${h.includes(':') ? `[${h}]` : h}:${port}/metrics`);
}
