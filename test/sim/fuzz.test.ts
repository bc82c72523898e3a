import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Writer } from '../../src/cql/buffer.js';
import { Opcode } from '../../src/cql/frame.js';
import { startSim } from '../../src/sim/index.js';
import { errorOf, RawCql } from '../support/raw-cql.js';
import { simHost } from '../support/sim-host.js';

/** A seeded byte source so a failure can be replayed from its seed. */
function prng(seed: number): (n: number) => Buffer {
  let x = seed >>> 0 || 1;
  return (n) => {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) {
      x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
      b[i] = x & 0xff;
    }
    return b;
  };
}

describe('emulator under malformed requests', () => {
  it('answers random bodies with an error (or closes that connection) and keeps serving everyone else', async () => {
    const host = simHost();
    const sim = await startSim({ nodes: 1, shards: 2, host, vnodesPerNode: 4 });
    const seed = Number(process.env.SB_FUZZ_SEED ?? randomBytes(4).readUInt32BE(0));
    const bytes = prng(seed);
    const good = await RawCql.connect(host, 9042);
    try {
      await good.startup();
      await good.query("CREATE KEYSPACE fz WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
      await good.query('CREATE TABLE fz.t (k int PRIMARY KEY, v text)');
      const opcodes = [Opcode.QUERY, Opcode.PREPARE, Opcode.EXECUTE, Opcode.BATCH, Opcode.REGISTER, Opcode.AUTH_RESPONSE, Opcode.STARTUP, 0x42];
      let errors = 0;
      let closed = 0;
      for (let round = 0; round < 120; round++) {
        const c = await RawCql.connect(host, 9042);
        if (round % 2 === 0) await c.startup();
        const op = opcodes[round % opcodes.length];
        let body = bytes(bytes(1)[0] % 48);
        // half the QUERY bodies are well-framed strings of random CQL-ish text
        if (op === Opcode.QUERY && round % 4 === 0) {
          const text = Buffer.from(bytes(40)).toString('latin1');
          const w = new Writer();
          w.longString(`SELECT ${text} FROM fz.t`).short(1).byte(0);
          body = w.toBuffer();
        }
        c.send(op, body, round % 100);
        const f = await c.next(3000);
        if (f === null) closed++;
        else {
          expect([Opcode.ERROR, Opcode.RESULT, Opcode.READY, Opcode.AUTHENTICATE], `seed ${seed} round ${round}`).toContain(f.opcode);
          if (f.opcode === Opcode.ERROR) {
            errors++;
            expect(errorOf(f).message, `seed ${seed} round ${round}`).not.toMatch(/emulator internal error/);
          }
        }
        c.close();
      }
      expect(errors + closed).toBeGreaterThan(60);
      // the well-behaved connection never noticed
      const ok = await good.query("INSERT INTO fz.t (k, v) VALUES (1, 'fine')");
      expect(ok.opcode).toBe(Opcode.RESULT);
    } finally {
      good.close();
      await sim.stop();
    }
  });
});
