/**
 * The `sim` command's body: start the emulator with the options the CLI parsed, print where each
 * node listens, and run until SIGINT/SIGTERM (or the given signal aborts). The CLI layer (src/cli)
 * owns flag parsing and turns `--timeout-write 2s` style strings into the numbers below.
 */
import { DEFAULT_COSTS, DEFAULT_TIMEOUTS, type CostModel, type Timeouts } from './capacity.js';
import { startSim, type Sim, type SimOptions } from './index.js';
import { RELEASE_VERSION } from './system.js';

/** The emulator's options, plus how the command stops and where its banner goes. */
export interface SimCommandOptions extends SimOptions {
  nodes: number;
  shards: number;
  /** Stops the emulator when aborted (tests; the CLI uses SIGINT/SIGTERM). */
  signal?: AbortSignal;
  /** Where the banner goes (default: stdout). */
  print?: (line: string) => void;
}

/** Exit codes, matching src/cli/exit.ts: 0 stopped cleanly, 2 bad input (e.g. address in use). */
export async function runSimCommand(o: SimCommandOptions): Promise<number> {
  const print = o.print ?? ((l: string) => process.stdout.write(`${l}\n`));
  const { signal: _signal, print: _print, ...simOptions } = o;
  let sim: Sim;
  try {
    sim = await startSim(simOptions);
  } catch (e) {
    process.stderr.write(`sim: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  for (const line of banner(sim)) print(line);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    if (o.signal) {
      if (o.signal.aborted) return stop();
      o.signal.addEventListener('abort', stop, { once: true });
    }
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await sim.stop();
  print('sim: stopped');
  return 0;
}

export function banner(sim: Sim): string[] {
  const c = sim.cluster.options;
  const out = [
    `scylla-bench emulator: ${c.nodes} node${c.nodes > 1 ? 's' : ''} × ${c.shards} shard${c.shards > 1 ? 's' : ''}, ${c.datacenter}, ${c.vnodesPerNode} vnodes/node, release_version ${RELEASE_VERSION}${c.auth ? ', auth (cassandra/cassandra)' : ''}${c.tablets ? ', tablets' : ''}`,
  ];
  sim.nodes.forEach((n, i) => out.push(`  node ${i + 1}  ${n.host}:${n.port}  shard-aware ${n.shardAwarePort}  rack ${sim.cluster.nodes[i].rack}  host_id ${n.hostId}${n.metricsUrl ? `  metrics ${n.metricsUrl}` : ''}`));
  if (c.costs) {
    const k = c.costs;
    const d = DEFAULT_COSTS;
    const changed = (Object.keys(k) as (keyof CostModel)[]).filter((x) => k[x] !== d[x]).map((x) => `${x}=${k[x]}`);
    out.push(`  capacity model: read ${k.readUs} µs, write ${k.writeUs} µs, hop ${k.crossShardHopUs} µs per shard op${changed.length ? ` (set: ${changed.join(', ')})` : ''}`);
  } else out.push('  capacity model: off');
  const t = c.timeouts;
  if ((Object.keys(t) as (keyof Timeouts)[]).some((x) => t[x] !== DEFAULT_TIMEOUTS[x])) out.push(`  timeouts: read ${t.readMs} ms, write ${t.writeMs} ms, range ${t.rangeMs} ms`);
  const v = c.viewDelay;
  out.push(`  view updates: asynchronous, ${v.delayMs} ms + ${v.perPendingMs} ms per pending update (synchronous_updates = true: the base write waits)`);
  if (sim.metricsUrl) out.push(`  metrics ${sim.metricsUrl}/metrics  admin ${sim.metricsUrl}/admin/faults`);
  out.push('ready; Ctrl-C stops');
  return out;
}
