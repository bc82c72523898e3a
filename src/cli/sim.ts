/**
 * `scylla-bench sim`: the built-in emulator as a standalone server, until Ctrl-C. Drivers, cqlsh
 * and other loaders can use it; benchmarks run it in its own process so its CPU is not the
 * loader's.
 */
import { startSim, type SimOptions } from '../sim/index.js';
import { UserError } from './exit.js';

export interface SimFlags {
  nodes: number;
  shards: number;
  host: string;
  port: number;
  shardAwarePort: number;
  metricsPort?: number;
  auth: boolean;
  tablets: boolean;
  capacity: boolean;
  crossShardUs?: number;
  readUs?: number;
  writeUs?: number;
}

export function simOptionsOf(f: SimFlags): SimOptions {
  const positive = (flag: string, v: number, max: number): void => {
    if (!Number.isInteger(v) || v < 1 || v > max) throw new UserError(`${flag}: expected an integer 1..${max}, got ${v}`);
  };
  positive('--nodes', f.nodes, 64);
  positive('--shards', f.shards, 256);
  positive('--port', f.port, 65535);
  positive('--shard-aware-port', f.shardAwarePort, 65535);
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(f.host)) throw new UserError(`--host: the emulator listens on loopback (127.x.y.z) only, got '${f.host}'`);
  const costs: SimOptions['costs'] = {};
  if (f.crossShardUs !== undefined) costs.crossShardHopUs = f.crossShardUs;
  if (f.readUs !== undefined) costs.readUs = f.readUs;
  if (f.writeUs !== undefined) costs.writeUs = f.writeUs;
  return {
    nodes: f.nodes, shards: f.shards, host: f.host, port: f.port, shardAwarePort: f.shardAwarePort,
    metricsPort: f.metricsPort, auth: f.auth, tablets: f.tablets, capacity: f.capacity, costs,
  };
}

export async function simCommand(f: SimFlags): Promise<number> {
  const sim = await startSim(simOptionsOf(f)).catch((e: unknown) => {
    throw new UserError(`sim: ${e instanceof Error ? e.message : String(e)}`);
  });
  const lines = [`scylla emulator: ${f.nodes} node(s) × ${f.shards} shard(s)${f.auth ? ', PasswordAuthenticator (cassandra/cassandra)' : ''}${f.tablets ? ', tablets' : ''}`];
  for (const n of sim.nodes) lines.push(`  node ${n.host}: CQL ${n.port}, shard-aware ${n.shardAwarePort}, host_id ${n.hostId}`);
  if (sim.metricsUrl) lines.push(`  metrics and admin: ${sim.metricsUrl}/metrics`);
  lines.push('ready (Ctrl-C stops)');
  process.stdout.write(`${lines.join('\n')}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await sim.stop();
  return 0;
}
