/**
 * A TCP proxy in front of a real server, for network faults: delay the server's replies, or
 * cut every connection. The bytes themselves are never altered.
 */
import net from 'node:net';

export interface FaultProxy {
  port: number;
  /** Delay applied to server→client chunks from now on. */
  setReplyDelayMs(ms: number): void;
  /** Destroys every proxied connection (both sides). */
  cutAll(): void;
  close(): Promise<void>;
}

export async function startProxy(targetHost: string, targetPort: number): Promise<FaultProxy> {
  let delayMs = 0;
  const pairs = new Set<[net.Socket, net.Socket]>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: targetHost, port: targetPort });
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => {
      if (delayMs > 0) setTimeout(() => client.writable && client.write(d), delayMs);
      else client.write(d);
    });
    const end = (): void => { client.destroy(); upstream.destroy(); pairs.delete(pair); };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    setReplyDelayMs: (ms) => { delayMs = ms; },
    cutAll: () => { for (const [a, b] of pairs) { a.destroy(); b.destroy(); } pairs.clear(); },
    close: () => new Promise((r) => { for (const [a, b] of pairs) { a.destroy(); b.destroy(); } server.close(() => r()); }),
  };
}

/** A TCP server that accepts connections and never says a word (a hung node). */
export async function startSilentServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const socks = new Set<net.Socket>();
  const server = net.createServer((s) => { socks.add(s); s.on('error', () => {}); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise((r) => { for (const s of socks) s.destroy(); server.close(() => r()); }),
  };
}
