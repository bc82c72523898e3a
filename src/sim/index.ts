/**
 * The built-in Scylla emulator: `startSim(options)` starts N nodes × S shards in this process,
 * each node listening on its own loopback address (127.0.0.1, .2, ...) on the regular and the
 * shard-aware port. Used by `run` (the default target), `sim`, and tests.
 */
import { DEFAULT_COSTS, DEFAULT_TIMEOUTS, type CostModel, type Timeouts } from './capacity.js';
import { Cluster, DEFAULT_LARGE_DATA, type ClusterOptions, type LargeDataConfig } from './cluster.js';
import { deadlines } from './deadline.js';
import { Executor } from './executor.js';
import { Faults, type FaultConfig } from './faults.js';
import { flushLargeData } from './large-data.js';
import { newCdcGeneration } from './cdc.js';
import { SimServer } from './server.js';
import { DEFAULT_VIEW_DELAY, type ViewUpdateDelay } from './view-backlog.js';
import { startMetricsServer, startNodeMetricsServer } from './metrics.js';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SimOptions {
  nodes?: number;
  shards?: number;
  /** Address of node 1; node i listens on the last octet + (i-1). */
  host?: string;
  port?: number;
  shardAwarePort?: number;
  /** Serve /metrics (Prometheus) and the admin API on node 1's address at this port (0: any free port). */
  metricsPort?: number;
  /**
   * Serve each node's own /metrics on that node's address at this port, like Scylla's 9180 (its
   * shards only, Scylla's names and labels). 0: any free port per node.
   */
  nodeMetricsPort?: number;
  /** PasswordAuthenticator with the default superuser cassandra/cassandra. */
  auth?: boolean;
  /** New NetworkTopologyStrategy keyspaces use tablets. */
  tablets?: boolean;
  initialTablets?: number;
  vnodesPerNode?: number;
  seed?: number;
  /** Number of racks (nodes assigned round-robin) or their names. */
  racks?: number | string[];
  datacenter?: string;
  clusterName?: string;
  /** false: no capacity model (replies go out as soon as executed). Default true. */
  capacity?: boolean;
  /** Shard-time costs (µs) overriding DEFAULT_COSTS. */
  costs?: Partial<CostModel>;
  /** Server-side timeouts (ms) overriding DEFAULT_TIMEOUTS. */
  timeouts?: Partial<Timeouts>;
  /** A NAT between clients and the shard-aware port: connections land on another shard than asked. */
  natRewritesSourcePorts?: boolean;
  /** Faults from the start (latency, errors, stalls); changeable later via Sim.faults or the admin endpoint. */
  faults?: FaultConfig;
  /** Large-data warning thresholds (scylla.yaml names in LargeDataConfig; Scylla's defaults otherwise). */
  largeData?: Partial<LargeDataConfig>;
  /** Every node flushes this often, recording large partitions/rows/cells (ms; 0: only on flush()). Default 5000. */
  flushIntervalMs?: number;
  /** Asynchronous view updates land this long after the base write's reply, ms (default 2). */
  viewDelayMs?: number;
  /** ... plus this much per view update already pending on the base replica shard, ms (default 0.01). */
  viewDelayPerPendingMs?: number;
}

export interface SimNodeAddress {
  host: string;
  port: number;
  shardAwarePort: number;
  hostId: string;
  /** http://address:port/metrics of this node's own endpoint, when nodeMetricsPort was given */
  metricsUrl?: string;
}

export interface ShardStats {
  node: number;
  shard: number;
  requests: number;
  crossShardHops: number;
  replicaOps: number;
  connections: number;
  /** requests waiting on this shard's queue (capacity model) */
  pending: number;
  /** Read_timeout + Write_timeout answered */
  timeouts: number;
}

export interface Sim {
  nodes: SimNodeAddress[];
  /** http://host:port of /metrics and /admin, when metricsPort was given */
  metricsUrl?: string;
  cluster: Cluster;
  /** Per (node, shard) counters. */
  stats(): ShardStats[];
  /** Total cross-shard hops: requests coordinated on a shard that does not own their data there. */
  crossShardHops(): number;
  /** Connections accepted so far per listener and shard (which port the drivers used). */
  listenerStats(): { node: number; port: number; shardAware: boolean; acceptedPerShard: number[]; openPerShard: number[] }[];
  /**
   * Takes a node down as a Scylla process going down: listeners closed (new connections refused),
   * connections dropped, replicas unavailable, STATUS_CHANGE DOWN to the other nodes' registered
   * connections; or brings it back (listening on both ports again, then UP). Resolves when done.
   */
  setNodeUp(index: number, up: boolean): Promise<void>;
  /** Live fault configuration (also reachable over the admin HTTP endpoint). */
  faults: Faults;
  /** Every node flushes now (`nodetool flush`; POST /admin/flush): large partitions, rows and cells are recorded. */
  flush(): void;
  /**
   * A new CDC generation, as a topology change makes one (POST /admin/cdc/generation): it operates
   * from `delayMs` after now (default Scylla's 2 × ring_delay + leeway, 65 s); writes stamped from
   * then on go to its streams. Returns its timestamp.
   */
  newCdcGeneration(o?: { delayMs?: number }): { timestampMs: number };
  stop(): Promise<void>;
}

export function resolveClusterOptions(o: SimOptions): ClusterOptions {
  const nodes = o.nodes ?? 1;
  const shards = o.shards ?? 1;
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 64) throw new RangeError(`nodes must be an integer in 1..64, got ${nodes}`);
  if (!Number.isInteger(shards) || shards < 1 || shards > 256) throw new RangeError(`shards must be an integer in 1..256, got ${shards}`);
  const racks = Array.isArray(o.racks) ? o.racks : Array.from({ length: o.racks ?? 1 }, (_, i) => `rack${i + 1}`);
  if (racks.length === 0) throw new RangeError('at least one rack is needed');
  return {
    nodes, shards,
    host: o.host ?? '127.0.0.1',
    vnodesPerNode: o.vnodesPerNode ?? 256,
    seed: o.seed ?? 1,
    datacenter: o.datacenter ?? 'datacenter1',
    racks,
    clusterName: o.clusterName ?? 'scylla-bench emulator',
    tablets: o.tablets ?? false,
    initialTablets: o.initialTablets ?? 8,
    auth: o.auth ?? false,
    costs: o.capacity === false ? null : { ...DEFAULT_COSTS, ...o.costs },
    timeouts: { ...DEFAULT_TIMEOUTS, ...o.timeouts },
    largeData: { ...DEFAULT_LARGE_DATA, ...o.largeData },
    viewDelay: viewDelayOf(o),
  };
}

function viewDelayOf(o: SimOptions): ViewUpdateDelay {
  const d = { delayMs: o.viewDelayMs ?? DEFAULT_VIEW_DELAY.delayMs, perPendingMs: o.viewDelayPerPendingMs ?? DEFAULT_VIEW_DELAY.perPendingMs };
  if (!(d.delayMs >= 0) || !Number.isFinite(d.delayMs)) throw new RangeError(`viewDelayMs must be a number of ms ≥ 0, got ${o.viewDelayMs}`);
  if (!(d.perPendingMs >= 0) || !Number.isFinite(d.perPendingMs)) throw new RangeError(`viewDelayPerPendingMs must be a number of ms ≥ 0, got ${o.viewDelayPerPendingMs}`);
  return d;
}

export async function startSim(options: SimOptions = {}): Promise<Sim> {
  const cluster = new Cluster(resolveClusterOptions(options));
  const executor = new Executor(cluster);
  const port = options.port ?? 9042;
  const shardAwarePort = options.shardAwarePort ?? 19042;
  const faults = new Faults(cluster);
  if (options.faults) faults.configure(options.faults);
  // replies held for their completion time go through the deadline thread: have it running first
  await deadlines.ready();
  const server = new SimServer(cluster, executor, shardAwarePort, faults);
  server.natRewritesSourcePorts = options.natRewritesSourcePorts ?? false;
  try {
    for (const n of cluster.nodes) {
      await server.listen(n, port, false);
      await server.listen(n, shardAwarePort, true);
    }
  } catch (e) {
    await server.close();
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE') throw new Error(`address in use: ${err.message.replace(/^listen EADDRINUSE: address already in use /, '')} (another emulator or Scylla running?)`);
    if (err.code === 'EADDRNOTAVAIL') throw new Error(`cannot listen on ${err.message.replace(/^listen EADDRNOTAVAIL: address not available /, '')}: the node addresses must be loopback (127.x.y.z)`);
    throw e;
  }
  // a bad index throws at once (callers that do not await still see it); the change itself is async
  const setNodeUp = (index: number, up: boolean): Promise<void> => {
    const n = cluster.nodes[index];
    if (!n) throw new RangeError(`no node ${index} (nodes are 0..${cluster.nodes.length - 1})`);
    return server.setNodeUp(n, up);
  };
  let http: Server | undefined;
  if (options.metricsPort !== undefined) {
    try {
      http = await startMetricsServer(cluster, faults, { setNodeUp }, cluster.nodes[0].address, options.metricsPort);
    } catch (e) {
      await server.close();
      throw new Error(`metrics port ${options.metricsPort}: ${(e as Error).message}`);
    }
  }
  const nodeHttp: Server[] = [];
  if (options.nodeMetricsPort !== undefined) {
    for (const n of cluster.nodes) {
      try {
        nodeHttp.push(await startNodeMetricsServer(cluster, n, options.nodeMetricsPort));
      } catch (e) {
        await Promise.all([http, ...nodeHttp].map((h) => h && new Promise<void>((r) => h.close(() => r()))));
        await server.close();
        throw new Error(`node metrics port ${n.address}:${options.nodeMetricsPort}: ${(e as Error).message}`);
      }
    }
  }
  const flushMs = options.flushIntervalMs ?? 5000;
  // memtables flush now and then; records appear then, as on Scylla (unref'd: never keeps the process up)
  const flushTimer = flushMs > 0 ? setInterval(() => flushLargeData(cluster), flushMs) : undefined;
  flushTimer?.unref();
  const metricsAddress = http ? `http://${cluster.nodes[0].address}:${(http.address() as AddressInfo).port}` : undefined;
  return {
    metricsUrl: metricsAddress,
    nodes: cluster.nodes.map((n, i) => ({
      host: n.address, port, shardAwarePort, hostId: n.hostId,
      ...(nodeHttp[i] ? { metricsUrl: `http://${n.address}:${(nodeHttp[i].address() as AddressInfo).port}/metrics` } : {}),
    })),
    cluster,
    stats: () => cluster.stats(),
    crossShardHops: () => cluster.totalCrossShardHops(),
    setNodeUp,
    listenerStats: () => server.listeners.map((l) => ({
      node: l.node.index, port: l.port, shardAware: l.shardAware, acceptedPerShard: [...l.acceptedPerShard], openPerShard: [...l.perShard],
    })),
    faults,
    flush: () => flushLargeData(cluster),
    newCdcGeneration: (o) => newCdcGeneration(cluster, o?.delayMs),
    stop: async () => {
      if (flushTimer) clearInterval(flushTimer);
      faults.stop();
      await Promise.all([http, ...nodeHttp].map((h) => h && new Promise<void>((r) => h.close(() => r()))));
      await server.close();
    },
  };
}

export { Cluster } from './cluster.js';
