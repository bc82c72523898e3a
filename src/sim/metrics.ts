/**
 * The emulator's HTTP side on the metrics port: `/metrics` in Prometheus text format (Scylla's
 * metric names where Scylla has one, `sim_` for the rest; one `instance` label per node and a
 * `shard` label, as Scylla exports per shard), and a small admin API to change faults at runtime:
 *
 *   GET  /admin/faults            current fault configuration (JSON)
 *   PUT  /admin/faults            replace it: {"latencyMs": {"read": 5}, "errors": [{"rate": 0.1, "code": 4097}], "stalls": [...]}
 *   POST /admin/stall             {"node": 0, "shard": 1, "durationMs": 200, "periodMs": 1000}
 *   POST /admin/nodes/<i>/down    a node goes down (connections dropped, replicas unavailable)
 *   POST /admin/nodes/<i>/up      and comes back
 *   GET  /admin/stats             per (node, shard) counters (JSON)
 *   GET  /admin/service-levels    per (node, shard, service level) served/shed/queued counters (JSON)
 *   POST /admin/flush             every node flushes (nodetool flush): large partitions/rows/cells are recorded
 *   POST /admin/cdc/generation    a new CDC generation, as a topology change makes: {"delayMs": 2000} (default Scylla's 65 s)
 */
import http from 'node:http';
import { ErrorCode } from '../cql/errors.js';
import type { Cluster, SimNode } from './cluster.js';
import { cqlStatsOf, messageCounts, reactorUtilization } from './cql-stats.js';
import type { FaultConfig, Faults, StallSpec } from './faults.js';
import { flushLargeData } from './large-data.js';
import { newCdcGeneration } from './cdc.js';
import { LATENCY_BUCKETS_US, type LatencyHistogram } from './latency.js';
import { labelValue, renderQosMetrics, serviceLevelStats } from './qos.js';

const ERROR_TYPES: Record<number, string> = Object.fromEntries(Object.entries(ErrorCode).map(([k, v]) => [v, k.toLowerCase()]));

interface Family { name: string; help: string; type: 'counter' | 'gauge' | 'histogram'; lines: string[] }

/**
 * Renders the metrics of the whole cluster (every series labelled `instance` and `shard`), or of
 * one node as that node's own endpoint serves them (Scylla's port 9180: its shards only, no
 * `instance` label; Prometheus adds it when it scrapes).
 */
export function renderMetrics(cluster: Cluster, scope?: SimNode): string {
  const fams: Family[] = [];
  const fam = (name: string, type: Family['type'], help: string): Family => {
    const f: Family = { name, help, type, lines: [] };
    fams.push(f);
    return f;
  };
  const served = fam('scylla_transport_requests_served', 'counter', 'Counts the number of served CQL requests (QUERY, EXECUTE, BATCH) coordinated on this shard.');
  const conns = fam('scylla_transport_current_connections', 'gauge', 'Holds the current number of client connections on this shard.');
  // Scylla counts these per scheduling group (service/storage_proxy.cc, label scheduling_group_name)
  const hops = fam('scylla_storage_proxy_replica_cross_shard_ops', 'counter', 'number of operations that crossed a shard boundary');
  const errors = fam('scylla_transport_cql_errors_total', 'counter', 'Counts the number of CQL errors answered, by error type.');
  const readLat = fam('scylla_storage_proxy_coordinator_read_latency', 'histogram', 'Coordinator read latency as modelled by the emulator, microseconds.');
  const writeLat = fam('scylla_storage_proxy_coordinator_write_latency', 'histogram', 'Coordinator write latency as modelled by the emulator, microseconds.');
  const replicaOps = fam('sim_replica_ops_total', 'counter', 'Replica operations executed on this shard store.');
  const queue = fam('sim_shard_queue_length', 'gauge', 'Replies waiting on this shard for their modelled completion.');
  const busy = fam('sim_shard_busy_seconds_total', 'counter', 'Shard time charged by the capacity model, seconds.');
  const up = fam('sim_node_up', 'gauge', '1 when the node is up, 0 when a fault took it down.');
  const rows = fam('sim_shard_rows', 'gauge', 'Rows stored on this shard (all tables).');
  const viewBacklog = fam('scylla_database_view_update_backlog', 'gauge', 'Holds the current size in bytes of the pending view updates for all tables');
  const viewPending = fam('sim_view_updates_pending', 'gauge', 'View updates made by base writes on this shard and not yet applied.');
  // cql-stats.ts: Scylla's names, labels and help texts (cql3/query_processor.cc, transport/server.cc, seastar reactor)
  const parsed = fam('scylla_query_processor_statements_prepared', 'counter', 'Counts the total number of parsed CQL requests.');
  const perKs = (['reads', 'inserts', 'updates', 'deletes'] as const).map((k) => ({
    k, f: fam(`scylla_cql_${k}_per_ks`, 'counter', `Counts the number of CQL ${{ reads: 'SELECT', inserts: 'INSERT', updates: 'UPDATE', deletes: 'DELETE' }[k]} requests executed on particular keyspaces. Label \`who' indicates where the reqs come from (clients or DB internals)`),
  }));
  const cqlRequests = fam('scylla_transport_cql_requests_count', 'counter', 'Counts the total number of CQL messages of a specific kind.');
  const utilization = fam('scylla_reactor_utilization', 'gauge', 'CPU utilization');

  for (const n of scope ? [scope] : cluster.nodes) {
    const instance = scope ? '' : `instance="${n.address}"`;
    up.lines.push(`sim_node_up${instance ? `{${instance}}` : ''} ${n.up ? 1 : 0}`);
    for (const s of n.shards) {
      const l = `${instance ? `${instance},` : ''}shard="${s.id}"`;
      const c = s.counters;
      served.lines.push(`${served.name}{${l}} ${c.requests}`);
      conns.lines.push(`${conns.name}{${l}} ${c.connections}`);
      if (scope) {
        // one series per scheduling group, as Scylla; a shard that served nothing yet shows sl:default
        const lanes = [...s.queue.lanes.values()];
        if (lanes.length === 0) hops.lines.push(`${hops.name}{scheduling_group_name="sl:default",shard="${s.id}"} 0`);
        for (const lane of lanes) hops.lines.push(`${hops.name}{scheduling_group_name="sl:${labelValue(lane.name)}",shard="${s.id}"} ${lane.crossShardHops}`);
      } else {
        hops.lines.push(`${hops.name}{${l}} ${c.crossShardHops}`);
      }
      replicaOps.lines.push(`${replicaOps.name}{${l}} ${c.replicaOps}`);
      queue.lines.push(`${queue.name}{${l}} ${s.queue.pending}`);
      busy.lines.push(`${busy.name}{${l}} ${(s.queue.busyNs / 1e9).toFixed(6)}`);
      rows.lines.push(`${rows.name}{${l}} ${s.store.rowCount()}`);
      const vb = cluster.viewBacklog.of(s);
      viewBacklog.lines.push(`${viewBacklog.name}{${l}} ${vb.bytes}`);
      viewPending.lines.push(`${viewPending.name}{${l}} ${vb.pending}`);
      const cs = cqlStatsOf(s);
      parsed.lines.push(`${parsed.name}{${l}} ${cs.parsed}`);
      for (const { k, f } of perKs) f.lines.push(`${f.name}{${instance ? `${instance},` : ''}ks="system",shard="${s.id}",who="user"} ${cs.systemKs[k]}`);
      for (const [group, kind, count] of messageCounts(s)) {
        cqlRequests.lines.push(`${cqlRequests.name}{${instance ? `${instance},` : ''}kind="${kind}",scheduling_group_name="${labelValue(group)}",shard="${s.id}"} ${count}`);
      }
      utilization.lines.push(`${utilization.name}{${l}} ${reactorUtilization(s).toFixed(2)}`);
      for (const [code, count] of c.errors) errors.lines.push(`${errors.name}{${l},type="${ERROR_TYPES[code] ?? `0x${code.toString(16)}`}"} ${count}`);
      histogram(readLat, l, s.readLatency);
      histogram(writeLat, l, s.writeLatency);
    }
  }
  // per service level (scheduling group) on each shard: qos.ts
  return fams.map((f) => `# HELP ${f.name} ${f.help}\n# TYPE ${f.name} ${f.type}\n${f.lines.join('\n')}${f.lines.length ? '\n' : ''}`).join('') + renderQosMetrics(cluster, scope);
}

function histogram(f: Family, labels: string, h: LatencyHistogram): void {
  let cum = 0;
  LATENCY_BUCKETS_US.forEach((le, i) => {
    cum += h.counts[i];
    f.lines.push(`${f.name}_bucket{${labels},le="${le}"} ${cum}`);
  });
  f.lines.push(`${f.name}_bucket{${labels},le="+Inf"} ${h.count}`);
  f.lines.push(`${f.name}_sum{${labels}} ${h.sumUs.toFixed(0)}`);
  f.lines.push(`${f.name}_count{${labels}} ${h.count}`);
}

export interface AdminHooks {
  setNodeUp(index: number, up: boolean): Promise<void>;
}

/** Starts the metrics/admin HTTP server on host:port. */
export async function startMetricsServer(cluster: Cluster, faults: Faults, hooks: AdminHooks, host: string, port: number): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const send = (code: number, body: string, type = 'application/json'): void => {
      res.writeHead(code, { 'content-type': type });
      res.end(body);
    };
    const url = (req.url ?? '/').split('?')[0];
    const readJson = (then: (v: unknown) => void): void => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (d: string) => { body += d; if (body.length > 1 << 20) req.destroy(); });
      req.on('end', () => {
        let v: unknown;
        try {
          v = body ? JSON.parse(body) : {};
        } catch (e) {
          send(400, JSON.stringify({ error: `invalid JSON: ${(e as Error).message}` }));
          return;
        }
        try {
          then(v);
        } catch (e) {
          send(400, JSON.stringify({ error: (e as Error).message }));
        }
      });
    };
    if (req.method === 'GET' && url === '/metrics') return send(200, renderMetrics(cluster), 'text/plain; version=0.0.4');
    if (req.method === 'GET' && url === '/admin/faults') return send(200, JSON.stringify(faults.state()));
    if (req.method === 'GET' && url === '/admin/stats') return send(200, JSON.stringify(cluster.stats()));
    if (req.method === 'GET' && url === '/admin/service-levels') return send(200, JSON.stringify(serviceLevelStats(cluster)));
    if ((req.method === 'PUT' || req.method === 'POST') && url === '/admin/faults') {
      return readJson((v) => { faults.configure(v as FaultConfig); send(200, JSON.stringify(faults.state())); });
    }
    if (req.method === 'POST' && url === '/admin/flush') {
      flushLargeData(cluster);
      return send(200, JSON.stringify({ flushed: cluster.nodes.length }));
    }
    if (req.method === 'POST' && url === '/admin/cdc/generation') {
      return readJson((v) => {
        const delayMs = (v as { delayMs?: unknown } | null)?.delayMs;
        if (delayMs !== undefined && typeof delayMs !== 'number') throw new Error(`delayMs must be a number, got ${JSON.stringify(delayMs)}`);
        const g = newCdcGeneration(cluster, delayMs);
        send(200, JSON.stringify({ timestampMs: g.timestampMs, timestamp: new Date(g.timestampMs).toISOString() }));
      });
    }
    if (req.method === 'POST' && url === '/admin/stall') {
      return readJson((v) => { faults.stall(v as StallSpec); send(200, JSON.stringify(faults.state())); });
    }
    const m = /^\/admin\/nodes\/(\d+)\/(up|down)$/.exec(url);
    if (req.method === 'POST' && m) {
      const i = Number(m[1]);
      if (!cluster.nodes[i]) return send(404, JSON.stringify({ error: `no node ${i} (nodes are 0..${cluster.nodes.length - 1})` }));
      hooks.setNodeUp(i, m[2] === 'up').then(
        () => send(200, JSON.stringify(faults.state())),
        (e: unknown) => send(500, JSON.stringify({ error: `node ${i} ${m[2]}: ${(e as Error).message}` })),
      );
      return;
    }
    send(404, JSON.stringify({ error: `no route ${req.method} ${url}` }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve(); });
  });
  return server;
}

/**
 * One node's own metrics endpoint, as Scylla serves Prometheus on each node's address (port
 * 9180 there): GET /metrics with that node's shards only. Kept up while the node is "down":
 * the emulator models a node whose CQL side is gone, and counters must stay readable.
 */
export async function startNodeMetricsServer(cluster: Cluster, node: SimNode, port: number): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(renderMetrics(cluster, node));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end(`no route ${req.method} ${url} (only GET /metrics)\n`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host: node.address, exclusive: true }, () => { server.off('error', reject); resolve(); });
  });
  return server;
}
