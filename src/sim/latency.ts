/**
 * A small fixed-bucket latency histogram per shard, exported as a Prometheus histogram. The
 * loader keeps its own HDR histograms; this one only has to show the emulator's side on /metrics.
 */

/** Bucket upper bounds, µs (Prometheus `le` in seconds). */
export const LATENCY_BUCKETS_US = [100, 250, 500, 1000, 2500, 5000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000];

export class LatencyHistogram {
  readonly counts = new Array<number>(LATENCY_BUCKETS_US.length + 1).fill(0);
  count = 0;
  sumUs = 0;

  record(us: number): void {
    let i = 0;
    while (i < LATENCY_BUCKETS_US.length && us > LATENCY_BUCKETS_US[i]) i++;
    this.counts[i]++;
    this.count++;
    this.sumUs += us;
  }
}
