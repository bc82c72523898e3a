/**
 * The shipped workloads against real servers — Cassandra 5.0 (when the suite started it) and
 * the built-in emulator: their schema is accepted, every operation prepares with the bind
 * columns the loader inferred, generated values encode with the server's own types, and reads
 * built from the keying find the rows the writes wrote. (One-node clusters: the RF 3
 * keyspaces place one replica, so the test runs at ONE.)
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection, PreparedStatement } from '../../src/cql/connection.js';
import { Connection as Conn } from '../../src/cql/connection.js';
import { Consistency } from '../../src/cql/consistency.js';
import { BatchType, type RowsResult } from '../../src/cql/messages.js';
import { cellIndex, compileGenerator, compileKeying, generatorName, type GenFn, type RowRef } from '../../src/profile/generators.js';
import type { OperationSpec, WorkloadSpec } from '../../src/profile/types.js';
import { loadWorkload } from '../../src/profile/workload.js';
import { startSim } from '../../src/sim/index.js';
import { cassandraInfo, connectCassandra } from '../support/real.js';
import { simHost } from '../support/sim-host.js';

const info = cassandraInfo();
const SEED = 1234;
const WRITES = 300;

/**
 * The workload under a keyspace of this test's own: the Cassandra node is shared with other
 * test files running in parallel (test/cql uses sb_events), so the shipped name is rewritten.
 */
function renamed(w: WorkloadSpec): WorkloadSpec {
  const ks = `sbt_${w.keyspace}`;
  const re = new RegExp(`\\b${w.keyspace}\\b`, 'g');
  const operations = Object.fromEntries(Object.entries(w.operations).map(([k, op]) => [k, { ...op, cql: op.cql.replace(re, ks) }]));
  return { ...w, keyspace: ks, schema: w.schema.map((st) => st.replace(re, ks)), operations };
}

/** Bind values of `op` for the rows at `ref` (row offset i of a batch). */
function binder(w: WorkloadSpec, op: OperationSpec): (ref: RowRef, i: number) => unknown[] {
  const target = op.view ?? op.table!;
  const fills = op.markers!.map((m) => {
    if (m.kind !== 'column') return () => null;
    const col = w.columns.find((c) => c.table === target && c.column === m.column)!;
    const g: GenFn = compileGenerator(col.gen, col.type, SEED, generatorName(col));
    if (m.role === 'partition' || m.role === 'static') return (r: RowRef) => g(r.partition, 1_700_000_000_000);
    if (m.role === 'clustering') return (r: RowRef, i: number) => g(r.row + i, 1_700_000_000_000);
    return (r: RowRef, i: number) => g(cellIndex(r.partition, r.row + i), 1_700_000_000_000);
  });
  return (ref, i) => fills.map((f) => f(ref, i));
}

interface Server {
  name: string;
  skip: boolean;
  connect(): Promise<{ c: Connection; stop: () => Promise<void> }>;
}

const servers: Server[] = [
  {
    name: 'Cassandra 5.0',
    skip: !info,
    connect: async () => ({ c: await connectCassandra(info!), stop: async () => undefined }),
  },
  {
    name: 'the emulator',
    skip: false,
    connect: async () => {
      const host = simHost();
      const sim = await startSim({ nodes: 1, shards: 2, host });
      return { c: await Conn.connect({ host, port: 9042 }), stop: () => sim.stop() };
    },
  },
];

for (const server of servers) {
  for (const file of ['events', 'kv', 'iot']) {
    describe.skipIf(server.skip)(`workloads/${file}.yaml on ${server.name}`, () => {
      let c: Connection;
      let stop: () => Promise<void>;
      let w: WorkloadSpec;
      const prepared = new Map<string, PreparedStatement>();

      beforeAll(async () => {
        w = renamed(await loadWorkload(resolve(`workloads/${file}.yaml`), `workloads/${file}.yaml`));
        ({ c, stop } = await server.connect());
        await c.query(`DROP KEYSPACE IF EXISTS ${w.keyspace}`);
        for (const stmt of w.schema) await c.query(stmt);
      }, 120_000);
      afterAll(async () => {
        await c?.query(`DROP KEYSPACE IF EXISTS ${w.keyspace}`).catch(() => undefined);
        c?.close();
        await stop?.();
      });

      it('every operation prepares, binding the columns the loader inferred', async () => {
        expect(`${w.schema.join(';')} ${Object.values(w.operations).map((o) => o.cql).join(';')}`).not.toMatch(new RegExp(`\\b${w.keyspace.slice(4)}\\b`));
        for (const op of Object.values(w.operations)) {
          const st = await c.prepare(op.cql);
          prepared.set(op.name, st);
          expect(st.bindColumns.length, op.name).toBe(op.markers!.length);
          op.markers!.forEach((m, i) => {
            if (m.kind === 'column') expect(st.bindColumns[i].name, `${op.name} marker ${i}`).toBe(m.column);
          });
        }
      });

      it('writes encode with the server types, and reads find the written rows', async () => {
        const insert = Object.values(w.operations).find((o) => o.kind === 'write' && !o.batchRows && o.markers!.length > 2)!;
        const table = w.tables.find((t) => t.name === insert.table)!;
        const keying = compileKeying(table, SEED, 1);
        const bind = binder(w, insert);
        for (let cycle = 0; cycle < WRITES; cycle++) {
          await c.execute(prepared.get(insert.name)!, bind(keying.write(cycle), 0), { consistency: Consistency.ONE });
        }
        for (const op of Object.values(w.operations)) {
          if (op.kind === 'write' && op.batchRows) {
            // a same-partition batch: the rows of one chunk
            const k = compileKeying(table, SEED, op.batchRows);
            const b = binder(w, op);
            const ref = k.write(WRITES * 10);
            const entries = Array.from({ length: ref.rows }, (_, i) => ({ statement: prepared.get(op.name)!, values: b(ref, i) }));
            await c.batch(entries, { consistency: Consistency.ONE, type: BatchType.UNLOGGED });
          }
          if (op.kind !== 'read' || op.select) continue;
          const b = binder(w, op);
          let empty = 0;
          for (let cycle = 0; cycle < 50; cycle++) {
            const ref = keying.read(cycle, WRITES);
            const res = (await c.execute(prepared.get(op.name)!, b(ref, 0), { consistency: Consistency.ONE })) as RowsResult;
            if (res.rowCount === 0) empty++;
          }
          expect(empty, `${op.name}: reads that found nothing`).toBe(0);
        }
      });
    });
  }
}
