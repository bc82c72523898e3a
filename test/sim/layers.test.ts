/**
 * The emulator's modules form layers, as Scylla's do, and import one way only:
 * protocol → scheduler → statements → storage proxy → storage. A cycle (type imports included)
 * or an import that points up a layer fails here, naming the files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DIR = process.env.SIM_DIR ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/sim');

/** Layer of every file in src/sim; a file may import only files of a lower or equal layer. */
const LAYERS: Record<string, number> = {
  // 0: values, schema and storage; the scheduler's primitives; no knowledge of the cluster
  'values.ts': 0, 'deadline.ts': 0, 'schema.ts': 0, 'storage.ts': 0, 'mutation.ts': 0, 'delay.ts': 0, 'latency.ts': 0,
  'qos.ts': 0, 'capacity.ts': 0, 'service-levels.ts': 0, 'cdc-options.ts': 0, 'data-faults.ts': 0,
  // 1: the cluster's state and where replicas are
  'cluster.ts': 1, 'locator.ts': 1, 'context.ts': 1, 'tablets.ts': 1, 'views.ts': 1, 'view-backlog.ts': 1, 'cdc.ts': 1, 'large-data.ts': 1,
  'clients.ts': 1, 'cql-stats.ts': 1,
  // 2: the storage proxy
  'proxy.ts': 2,
  // 3: statements
  'select.ts': 3, 'select-restrictions.ts': 3, 'select-selection.ts': 3, 'select-execute.ts': 3, 'paging.ts': 3,
  'modify.ts': 3, 'ddl.ts': 3, 'system.ts': 3, 'sl-statements.ts': 3, 'executor.ts': 3, 'describe.ts': 3,
  // 4: the scheduler: admission, shares, capacity, faults, timeouts, shedding
  'faults.ts': 4, 'scheduler.ts': 4,
  // 5: the protocol server, and what starts and observes it
  'server.ts': 5, 'metrics.ts': 5, 'index.ts': 6, 'spawn.ts': 6, 'cli.ts': 7, 'child.ts': 7,
};

function importsOf(file: string): string[] {
  const src = fs.readFileSync(path.join(DIR, file), 'utf8');
  return [...src.matchAll(/from '\.\/([\w-]+)\.js'/g)].map((m) => `${m[1]}.ts`);
}

describe('src/sim layering', () => {
  const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.ts'));
  const graph = new Map(files.map((f) => [f, importsOf(f)]));

  it('every file has a layer', () => {
    expect(files.filter((f) => LAYERS[f] === undefined)).toEqual([]);
  });

  it('imports point down (or sideways within a layer), never up', () => {
    const up: string[] = [];
    for (const [f, deps] of graph) for (const d of deps) if (LAYERS[d] > LAYERS[f]) up.push(`${f} (layer ${LAYERS[f]}) imports ${d} (layer ${LAYERS[d]})`);
    expect(up).toEqual([]);
  });

  it('has no import cycles, type imports included', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (f: string): void => {
      state.set(f, 'open');
      stack.push(f);
      for (const d of graph.get(f) ?? []) {
        if (state.get(d) === 'open') cycles.push([...stack.slice(stack.indexOf(d)), d].join(' → '));
        else if (!state.has(d)) visit(d);
      }
      stack.pop();
      state.set(f, 'done');
    };
    for (const f of files) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });
});
