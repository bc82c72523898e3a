/** What every check reads: the live cluster, the profile's model, the metrics scrapes, a result. */
import type { ClusterView } from './cluster.js';
import type { Scrape } from './prom-text.js';
import type { ProfileModel } from './workload-model.js';

export interface MetricsView {
  /** The endpoints asked (given with --scylla-metrics, else each node's :9180/metrics). */
  urls: string[];
  /** true when the URLs are Scylla's default port guessed from the node addresses. */
  guessed: boolean;
  /** Scrapes at the start and at the end of the window, of the endpoints that answered both times. */
  first: Scrape[];
  last: Scrape[];
  windowMs: number;
  errors: { url: string; error: string }[];
}

export interface ResultView {
  source: string;
  phase: string;
  /** requests[node][shard] summed over the phase's classes, with the nodes' hosts. */
  requests: number[][];
  hosts: string[];
  perClass: { cls: string; requests: number[][] }[];
  /** Op counts (completed + errors) per class and op, for the compaction mix. */
  opCounts: Record<string, Record<string, number>>;
}

export interface DoctorContext {
  cluster: ClusterView;
  model: ProfileModel | null;
  metrics: MetricsView | null;
  result: ResultView | null;
  /** max/mean per-shard load at which shard imbalance warns, and fails. */
  imbalanceWarn: number;
  imbalanceFail: number;
}
