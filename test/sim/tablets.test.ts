import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Reader, Writer } from '../../src/cql/buffer.js';
import { deserialize } from '../../src/cql/codecs.js';
import { FrameFlag, Opcode } from '../../src/cql/frame.js';
import { writeExecute } from '../../src/cql/messages.js';
import { murmur3Token } from '../../src/routing/murmur3.js';
import { tabletIndexOf, tabletLastTokens } from '../../src/routing/sharding.js';
import { startSim, type Sim } from '../../src/sim/index.js';
import { RawCql } from '../support/raw-cql.js';
import { simHost } from '../support/sim-host.js';

const int = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeInt32BE(n); return b; };

describe('tablets (scylla-reference §3)', () => {
  let sim: Sim;
  const host = simHost();
  beforeAll(async () => {
    sim = await startSim({ nodes: 3, shards: 2, host, vnodesPerNode: 8, tablets: true, initialTablets: 4 });
  });
  afterAll(async () => { await sim.stop(); });

  it('adds the tablets-routing-v1 payload when the connection is not a replica, and only then', async () => {
    const c = await RawCql.connect(host, 9042);
    await c.request(Opcode.OPTIONS, Buffer.alloc(0));
    await c.startup({ CQL_VERSION: '3.0.0', TABLETS_ROUTING_V1: '' });
    await c.query("CREATE KEYSPACE tb WITH replication = {'class': 'NetworkTopologyStrategy', 'datacenter1': 1}");
    await c.query('CREATE TABLE tb.kv (k int PRIMARY KEY, v int)');
    const table = sim.cluster.schema.table('tb', 'kv')!;
    expect(table.tablets?.lastTokens).toEqual(tabletLastTokens(4));
    const prep = new Reader((await c.request(Opcode.PREPARE, new Writer().longString('INSERT INTO tb.kv (k, v) VALUES (?, ?)').toBuffer())).body);
    prep.int();
    const id = Buffer.from(prep.shortBytes());
    // this connection is node 0, shard 0: find one key it holds and one it does not
    let withPayload = 0;
    let without = 0;
    for (let k = 0; k < 40; k++) {
      const w = new Writer();
      writeExecute(w, id, { consistency: 1, values: [int(k), int(k)] });
      const f = await c.request(Opcode.EXECUTE, w.toBuffer());
      const token = murmur3Token(int(k));
      const i = tabletIndexOf(table.tablets!.lastTokens, token);
      const replicas = table.tablets!.replicas[i];
      const local = replicas.some((r) => r.node === 0 && r.shard === 0);
      if (local) {
        expect(f.flags & FrameFlag.CUSTOM_PAYLOAD).toBe(0);
        without++;
        continue;
      }
      withPayload++;
      expect(f.flags & FrameFlag.CUSTOM_PAYLOAD).toBe(FrameFlag.CUSTOM_PAYLOAD);
      const payload = new Reader(f.body).bytesMap();
      const value = payload.get('tablets-routing-v1')!;
      const [first, last, reps] = deserialize({ kind: 'tuple', elements: [{ kind: 'bigint' }, { kind: 'bigint' }, { kind: 'list', element: { kind: 'tuple', elements: [{ kind: 'uuid' }, { kind: 'int' }] } }] }, value) as [bigint, bigint, [string, number][]];
      expect(token > first && token <= last).toBe(true);
      expect(last).toBe(table.tablets!.lastTokens[i]);
      expect(reps).toEqual(replicas.map((r) => [sim.nodes[r.node].hostId, r.shard]));
    }
    expect(withPayload).toBeGreaterThan(0);
    expect(without).toBeGreaterThan(0);
    // without the extension negotiated, never
    const plain = await RawCql.connect(host, 9042);
    await plain.startup();
    const w = new Writer();
    writeExecute(w, id, { consistency: 1, values: [int(1), int(1)] });
    for (let k = 0; k < 10; k++) expect((await plain.request(Opcode.EXECUTE, w.toBuffer())).flags & FrameFlag.CUSTOM_PAYLOAD).toBe(0);
    c.close();
    plain.close();
  });

  it('sets the LWT bit in PREPARED flags only when the extension was negotiated', async () => {
    const flagsOf = async (startup: Record<string, string>): Promise<number> => {
      const c = await RawCql.connect(host, 9042);
      await c.startup(startup);
      await c.query("CREATE KEYSPACE IF NOT EXISTS lw WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
      await c.query('CREATE TABLE IF NOT EXISTS lw.t (k int PRIMARY KEY, v int)');
      const r = new Reader((await c.request(Opcode.PREPARE, new Writer().longString('INSERT INTO lw.t (k, v) VALUES (?, ?) IF NOT EXISTS').toBuffer())).body);
      r.int();
      r.shortBytes();
      c.close();
      return r.int();
    };
    expect((await flagsOf({ CQL_VERSION: '3.0.0', SCYLLA_LWT_ADD_METADATA_MARK: 'LWT_OPTIMIZATION_META_BIT_MASK=2147483648' })) & 0x80000000).not.toBe(0);
    expect((await flagsOf({ CQL_VERSION: '3.0.0' })) & 0x80000000).toBe(0);
  });
});
