/** Helpers for doctor's tests: connections pinned to a shard, traffic shaped per shard, a schema from a workload file. */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { parse } from 'yaml';
import { Connection, type Credentials } from '../../src/cql/connection.js';
import type { DoctorReport, Finding } from '../../src/doctor/index.js';

/** A connection to `host`'s shard-aware port from a source port ≡ shard (mod n). */
export async function connectShard(host: string, shard: number, n: number, credentials?: Credentials, port = 19042): Promise<Connection> {
  for (let i = 0; ; i++) {
    const localPort = 50000 + n * Math.floor(Math.random() * 1500) + shard;
    try {
      return await Connection.connect({ host, port, localPort, credentials });
    } catch (e) {
      if (i > 10 || !/in use/.test((e as Error).message)) throw e;
    }
  }
}

/** `perConnection` prepared requests on every shard of every host: an even load, as an application sends it. */
export async function evenTraffic(hosts: string[], shards: number, perConnection: number, credentials?: Credentials): Promise<void> {
  for (const h of hosts) {
    for (let s = 0; s < shards; s++) {
      const c = await connectShard(h, s, shards, credentials);
      try {
        const p = await c.prepare('INSERT INTO sb_doc.users (id, v) VALUES (?, ?)');
        await Promise.all(Array.from({ length: perConnection }, (_, i) => c.execute(p, [i, 'x'])));
      } finally {
        await c.close();
      }
    }
  }
}

/** `perConnection` statements with literals (QUERY, never prepared) on every shard of every host. */
export async function adHocTraffic(hosts: string[], shards: number, perConnection: number, credentials?: Credentials): Promise<void> {
  for (const h of hosts) {
    for (let s = 0; s < shards; s++) {
      const c = await connectShard(h, s, shards, credentials);
      try {
        await Promise.all(Array.from({ length: perConnection }, (_, i) => c.query(`INSERT INTO sb_doc.users (id, v) VALUES (${i}, 'x')`)));
      } finally {
        await c.close();
      }
    }
  }
}

/** `n` requests through one connection: one shard of one node coordinates them all. */
export async function hotTraffic(host: string, n: number, credentials?: Credentials): Promise<void> {
  const c = await connectShard(host, 1, 2, credentials);
  try {
    await Promise.all(Array.from({ length: n }, (_, i) => c.query(`INSERT INTO sb_doc.users (id, v) VALUES (${i % 3}, 'x')`)));
  } finally {
    await c.close();
  }
}

/** Runs a workload file's schema statements. */
export async function applySchema(c: Connection, workloadFile: string): Promise<void> {
  const wl = parse(readFileSync(workloadFile, 'utf8')) as { schema: string[] };
  for (const s of wl.schema) await c.query(s);
}

export function findings(r: DoctorReport, check: Finding['check'], subject?: string | RegExp): Finding[] {
  return r.findings.filter((f) => f.check === check && (subject === undefined || (typeof subject === 'string' ? f.subject === subject : subject.test(f.subject))));
}

export function one(r: DoctorReport, check: Finding['check'], subject?: string | RegExp): Finding {
  const fs = findings(r, check, subject);
  if (fs.length !== 1) throw new Error(`expected one ${check} finding for ${String(subject)}, got ${fs.length}: ${JSON.stringify(r.findings.filter((f) => f.check === check).map((f) => `${f.status} ${f.subject}`))}`);
  return fs[0];
}

/** A loopback port nothing listens on (bound, then closed). */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
