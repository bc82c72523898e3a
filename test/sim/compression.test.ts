/**
 * Body compression as Scylla serves it (transport/server.cc): SUPPORTED offers lz4 and snappy,
 * STARTUP picks one, then both directions may carry compressed bodies. Checked on the wire with
 * raw frames, end to end with this project's client, and with Scylla's python driver, whose
 * snappy is python-snappy (cramjam): a codec nobody here wrote.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writer } from '../../src/cql/buffer.js';
import { Connection } from '../../src/cql/connection.js';
import { encodeFrame, FrameFlag, FrameParser, Opcode, type BodyCodec, type Frame } from '../../src/cql/frame.js';
import { lz4BodyCodec } from '../../src/cql/lz4.js';
import { writeQuery } from '../../src/cql/messages.js';
import { decodeRowArrays } from '../../src/cql/rows.js';
import { snappyBodyCodec } from '../../src/cql/snappy.js';
import { startSim, type Sim } from '../../src/sim/index.js';
import { runVenv, skipPython } from '../support/python-venv.js';
import { errorOf, RawCql, supportedOf } from '../support/raw-cql.js';
import { simHost } from '../support/sim-host.js';

/** A socket that speaks frames with a chosen codec and remembers which replies came compressed. */
class CodecWire {
  private readonly parser = new FrameParser();
  private readonly frames: { frame: Frame; compressed: boolean }[] = [];
  private waiters: (() => void)[] = [];

  private constructor(private readonly socket: net.Socket, private readonly codec: BodyCodec) {
    this.parser.compressor = codec;
    socket.on('data', (d) => {
      // the parser inflates with the codec under test; the flag byte stays as it came
      for (const f of this.parser.push(d)) this.frames.push({ frame: f, compressed: (f.flags & FrameFlag.COMPRESSION) !== 0 });
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on('error', () => {});
  }

  static connect(host: string, codec: BodyCodec): Promise<CodecWire> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host, port: 9042 });
      s.once('connect', () => resolve(new CodecWire(s, codec)));
      s.once('error', reject);
    });
  }

  async request(opcode: number, body: Buffer, compress: boolean): Promise<{ frame: Frame; compressed: boolean }> {
    this.socket.write(encodeFrame(4, false, 0, 1, opcode, body, compress ? this.codec : undefined));
    const deadline = Date.now() + 5000;
    while (this.frames.length === 0) {
      if (Date.now() > deadline) throw new Error('no reply in time');
      await new Promise<void>((r) => { this.waiters.push(r); setTimeout(r, 50); });
    }
    return this.frames.shift()!;
  }

  close(): void { this.socket.destroy(); }
}

function queryBody(cql: string): Buffer {
  const w = new Writer();
  writeQuery(w, cql, { consistency: 1 });
  return w.toBuffer();
}

describe('emulator body compression (lz4 and snappy)', () => {
  let sim: Sim;
  const host = simHost();
  beforeAll(async () => {
    sim = await startSim({ nodes: 1, shards: 2, host, vnodesPerNode: 16 });
  });
  afterAll(async () => { await sim.stop(); });

  it('offers lz4 and snappy in SUPPORTED, in Scylla\'s order', async () => {
    const c = await RawCql.connect(host, 9042);
    try {
      const m = supportedOf(await c.request(Opcode.OPTIONS, Buffer.alloc(0)));
      expect(m.get('COMPRESSION')).toEqual(['lz4', 'snappy']);
    } finally {
      c.close();
    }
  });

  it('refuses an unknown algorithm with Scylla\'s message', async () => {
    const c = await RawCql.connect(host, 9042);
    try {
      const f = await c.startup({ CQL_VERSION: '3.0.0', COMPRESSION: 'zstd' });
      expect(f.opcode).toBe(Opcode.ERROR);
      expect(errorOf(f)).toEqual({ code: 0x000a, message: 'Unknown compression algorithm: zstd' });
    } finally {
      c.close();
    }
  });

  for (const [name, codec] of [['snappy', snappyBodyCodec], ['SNAPPY', snappyBodyCodec], ['lz4', lz4BodyCodec]] as const) {
    it(`with COMPRESSION=${name}: READY and SUPPORTED leave plain, a compressed request is understood, a large reply comes compressed`, async () => {
      const w = await CodecWire.connect(host, codec);
      try {
        const ready = await w.request(Opcode.STARTUP, new Writer().stringMap({ CQL_VERSION: '3.0.0', COMPRESSION: name }).toBuffer(), false);
        expect(ready.frame.opcode).toBe(Opcode.READY);
        expect(ready.compressed).toBe(false);
        // system.local carries 16 tokens and the schema version: well over the 512-byte threshold
        const rows = await w.request(Opcode.QUERY, queryBody('SELECT * FROM system.local'), true);
        expect(rows.frame.opcode).toBe(Opcode.RESULT);
        expect(rows.compressed).toBe(true);
        expect(rows.frame.body.length).toBeGreaterThan(512);
        expect(rows.frame.body.includes(Buffer.from('datacenter1'))).toBe(true);
        // a small reply may stay plain
        const small = await w.request(Opcode.QUERY, queryBody("SELECT release_version FROM system.local WHERE key = 'local'"), true);
        expect(small.frame.opcode).toBe(Opcode.RESULT);
        expect(small.compressed).toBe(false);
        // OPTIONS after the handshake: SUPPORTED is never compressed
        const sup = await w.request(Opcode.OPTIONS, Buffer.alloc(0), false);
        expect(sup.frame.opcode).toBe(Opcode.SUPPORTED);
        expect(sup.compressed).toBe(false);
      } finally {
        w.close();
      }
    });
  }

  it('serves this project\'s client with snappy: large values both ways, written and read back intact', async () => {
    const c = await Connection.connect({ host, port: 9042, compression: 'snappy' });
    try {
      expect(c.compression).toBe('snappy');
      await c.query("CREATE KEYSPACE IF NOT EXISTS zc WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
      await c.query('CREATE TABLE IF NOT EXISTS zc.blobs (k int PRIMARY KEY, v text)');
      const values = new Map<number, string>();
      for (let k = 0; k < 20; k++) {
        // compressible but not trivial: a pattern with the key woven in, 2..40 KB
        const v = Array.from({ length: 100 * (k + 1) }, (_, i) => `${k}:${i % 17}-${(i * 7919) % 1000};`).join('');
        values.set(k, v);
        await c.query(`INSERT INTO zc.blobs (k, v) VALUES (${k}, '${v}')`);
      }
      const r = await c.query('SELECT k, v FROM zc.blobs');
      expect(r.kind).toBe('rows');
      if (r.kind !== 'rows') return;
      const rows = decodeRowArrays(r);
      expect(rows).toHaveLength(20);
      for (const row of rows) expect(row[1]).toBe(values.get(row[0] as number));
    } finally {
      await c.close();
    }
  });

  it.skipIf(skipPython)('serves Scylla\'s python driver negotiating snappy (python-snappy): every connection snappy, data intact', async () => {
    const script = `
import json, sys
import snappy
from cassandra.cluster import Cluster
cluster = Cluster([sys.argv[1]], port=9042, compression='snappy', protocol_version=4)
s = cluster.connect()
s.execute("CREATE KEYSPACE IF NOT EXISTS zp WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
s.execute("CREATE TABLE IF NOT EXISTS zp.t (k int PRIMARY KEY, v text)")
ins = s.prepare("INSERT INTO zp.t (k, v) VALUES (?, ?)")
vals = {k: ''.join('%d:%d;' % (k, i % 13) for i in range(200 * (k + 1))) for k in range(30)}
for k, v in vals.items():
    s.execute(ins, (k, v))
rows = {r.k: r.v for r in s.execute("SELECT k, v FROM zp.t")}
types = set()
for pool in s.get_pools():
    for c in pool._connections.values():
        types.add(c._compression_type)
types.add(cluster.control_connection._connection._compression_type)
print(json.dumps({"types": sorted(str(t) for t in types), "rows": len(rows), "mismatches": sum(1 for k, v in vals.items() if rows.get(k) != v)}))
cluster.shutdown()
`;
    const r = await runVenv('python', ['-c', script, host]);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const report = JSON.parse(r.stdout.trim().split('\n').pop()!) as { types: string[]; rows: number; mismatches: number };
    expect(report.types).toEqual(['snappy']);
    expect(report.rows).toBe(30);
    expect(report.mismatches).toBe(0);
  });
});
