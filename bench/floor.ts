/**
 * The Node framed-loopback floor: the CPU per op any Node loader pays to exchange framed
 * requests over loopback, whatever its protocol code. A minimal client (in the calling process)
 * keeps `inFlight` requests pipelined over `connections` sockets to a minimal server in its own
 * process that answers every frame at once; each frame has a CQL v4 header (9 bytes, stream id,
 * body length) and a body of the engine's request/response sizes. The client coalesces the
 * replies of one read into one write, as a real loader would. Measured: the client process's CPU
 * (user + system, process.cpuUsage) over the ops completed in the window.
 *
 *   node dist/bench/floor.js [--seconds 3] [--in-flight 256] [--connections 2] [--rate 0 (ops/s the server is paced to)]
 */
import { fork, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { arg } from './args.js';

const HEADER = 9;
const SELF = fileURLToPath(import.meta.url);

export interface FloorOptions {
  seconds: number;
  inFlight: number;
  connections: number;
  /** Request and response body sizes (a small prepared EXECUTE and its reply). */
  requestBytes?: number;
  responseBytes?: number;
  host?: string;
  /** Pace the server to this many replies per second (0: as fast as it can). */
  rateOpsPerSec?: number;
}

export interface FloorResult { ops: number; cpuUsPerOp: number; opsPerSec: number }

function reply(s: net.Socket, streams: number[], responseBytes: number): void {
  const out = Buffer.alloc(streams.length * (HEADER + responseBytes));
  for (let i = 0; i < streams.length; i++) {
    const o = i * (HEADER + responseBytes);
    out[o] = 0x84;
    out.writeInt16BE(streams[i], o + 2);
    out[o + 4] = 0x08; // RESULT
    out.writeInt32BE(responseBytes, o + 5);
  }
  s.write(out);
}

/**
 * Server side: answers every frame with a response of `responseBytes` on the same stream — at
 * once, or paced to `rateOpsPerSec` (released every millisecond), so the client sees the reply
 * batches a server of that throughput gives it: per-op cost depends on how many replies one read
 * carries, and that depends on the rate.
 */
function serve(host: string, responseBytes: number, rateOpsPerSec: number): void {
  const queues = new Map<net.Socket, number[]>();
  if (rateOpsPerSec > 0) {
    let last = performance.now();
    let tokens = 0;
    setInterval(() => {
      const now = performance.now();
      tokens = Math.min(tokens + ((now - last) * rateOpsPerSec) / 1000, rateOpsPerSec / 100);
      last = now;
      for (const [s, q] of queues) {
        const n = Math.min(q.length, Math.floor(tokens / Math.max(1, queues.size)) || (tokens >= 1 ? 1 : 0));
        if (n <= 0) continue;
        tokens -= n;
        reply(s, q.splice(0, n), responseBytes);
      }
    }, 1);
  }
  const server = net.createServer((s) => {
    queues.set(s, []);
    s.on('close', () => queues.delete(s));
    s.setNoDelay(true);
    let pending: Buffer = Buffer.alloc(0);
    s.on('data', (chunk: Buffer) => {
      const buf = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      let off = 0;
      let frames = 0;
      const streams: number[] = [];
      while (buf.length - off >= HEADER) {
        const len = buf.readInt32BE(off + 5);
        if (buf.length - off < HEADER + len) break;
        streams.push(buf.readInt16BE(off + 2));
        off += HEADER + len;
        frames++;
      }
      pending = off < buf.length ? Buffer.from(buf.subarray(off)) : Buffer.alloc(0);
      if (!frames) return;
      if (rateOpsPerSec > 0) queues.get(s)!.push(...streams);
      else reply(s, streams, responseBytes);
    });
    s.on('error', () => { /* the client going away ends the bench */ });
  });
  server.listen(0, host, () => {
    const addr = server.address() as net.AddressInfo;
    process.send?.({ port: addr.port });
  });
  process.on('disconnect', () => process.exit(0));
}

function startServer(host: string, responseBytes: number, rateOpsPerSec: number): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(SELF, ['--serve', host, String(responseBytes), String(rateOpsPerSec)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve({ child, port: m.port }));
    child.once('exit', (code) => reject(new Error(`floor server exited (${code})`)));
  });
}

/** One connection: `chains` requests in flight, each re-sent as its reply arrives. */
function drive(host: string, port: number, chains: number, requestBytes: number, state: { ops: number; stop: boolean }): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    s.setNoDelay(true);
    const frame = (stream: number, into: Buffer, at: number): void => {
      into[at] = 0x04;
      into.writeInt16BE(stream, at + 2);
      into[at + 4] = 0x0a; // EXECUTE
      into.writeInt32BE(requestBytes, at + 5);
    };
    let pending: Buffer = Buffer.alloc(0);
    let open = chains;
    s.on('connect', () => {
      const out = Buffer.alloc(chains * (HEADER + requestBytes));
      for (let i = 0; i < chains; i++) frame(i, out, i * (HEADER + requestBytes));
      s.write(out);
    });
    s.on('data', (chunk: Buffer) => {
      const buf = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      let off = 0;
      const again: number[] = [];
      while (buf.length - off >= HEADER) {
        const len = buf.readInt32BE(off + 5);
        if (buf.length - off < HEADER + len) break;
        const stream = buf.readInt16BE(off + 2);
        off += HEADER + len;
        state.ops++;
        if (state.stop) open--;
        else again.push(stream);
      }
      pending = off < buf.length ? Buffer.from(buf.subarray(off)) : Buffer.alloc(0);
      if (again.length) {
        const out = Buffer.alloc(again.length * (HEADER + requestBytes));
        for (let i = 0; i < again.length; i++) frame(again[i], out, i * (HEADER + requestBytes));
        s.write(out);
      }
      if (open === 0) { s.end(); resolve(); }
    });
    s.on('error', reject);
  });
}

export async function loopbackFloor(o: FloorOptions): Promise<FloorResult> {
  const host = o.host ?? '127.0.0.1';
  const { child, port } = await startServer(host, o.responseBytes ?? 32, o.rateOpsPerSec ?? 0);
  try {
    const state = { ops: 0, stop: false };
    const perConn = Math.max(1, Math.floor(o.inFlight / o.connections));
    // a short warm-up (JIT, socket buffers) outside the measured window
    const all = Array.from({ length: o.connections }, () => drive(host, port, perConn, o.requestBytes ?? 64, state));
    await new Promise((r) => setTimeout(r, 500));
    const ops0 = state.ops;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, o.seconds * 1000));
    const cpu = process.cpuUsage(cpu0);
    const ops = state.ops - ops0;
    const wallS = (performance.now() - t0) / 1000;
    state.stop = true;
    await Promise.all(all);
    return { ops, cpuUsPerOp: (cpu.user + cpu.system) / ops, opsPerSec: ops / wallS };
  } finally {
    child.kill();
  }
}


if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--serve');
  if (i >= 0) {
    serve(process.argv[i + 1], Number(process.argv[i + 2]), Number(process.argv[i + 3]));
  } else {
    const o = { seconds: Number(arg('seconds', '3')), inFlight: Number(arg('in-flight', '256')), connections: Number(arg('connections', '2')), rateOpsPerSec: Number(arg('rate', '0')) };
    loopbackFloor(o).then((r) => {
      console.log(`floor on ${os.availableParallelism()} cores (load average ${os.loadavg()[0].toFixed(2)}): ${r.cpuUsPerOp.toFixed(2)} µs CPU/op, ${r.opsPerSec.toFixed(0)} ops/s${o.rateOpsPerSec ? ` (server paced to ${o.rateOpsPerSec})` : ''}, ${o.inFlight} in flight over ${o.connections} connection(s)`);
    }).catch((e: unknown) => { console.error(`bench/floor: ${e instanceof Error ? e.message : String(e)}`); process.exitCode = 1; });
  }
}
