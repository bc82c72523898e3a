/**
 * A TCP proxy in front of a real server, for network faults: delay the server's replies, or
 * cut every connection (or the ones a test picks). The bytes themselves are never altered.
 */
import net from 'node:net';

export interface FaultProxy {
  port: number;
  /** Delay applied to server→client chunks from now on. */
  setReplyDelayMs(ms: number): void;
  /** Destroys every proxied connection (both sides). */
  cutAll(): void;
  /** Destroys the proxied connections whose client source port matches; returns how many. */
  cutWhere(match: (clientPort: number) => boolean): number;
  /** Proxied connections open now. */
  readonly open: number;
  close(): Promise<void>;
}

export interface ProxyOptions {
  /** Listen address (default 127.0.0.1) and port (default: any free one). */
  host?: string;
  port?: number;
  /**
   * Connect upstream from the client's own source port (from `upstreamLocalAddress`), so a
   * server that picks a shard by source port (Scylla's shard-aware port) sees the client's choice.
   */
  preserveSourcePort?: boolean;
  upstreamLocalAddress?: string;
}

export async function startProxy(targetHost: string, targetPort: number, options: ProxyOptions = {}): Promise<FaultProxy> {
  let delayMs = 0;
  const pairs = new Set<[net.Socket, net.Socket]>();
  const server = net.createServer((client) => {
    const upstream = net.connect({
      host: targetHost,
      port: targetPort,
      ...(options.preserveSourcePort ? { localPort: client.remotePort, localAddress: options.upstreamLocalAddress } : {}),
    });
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
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    setReplyDelayMs: (ms) => { delayMs = ms; },
    cutAll: () => { for (const [a, b] of pairs) { a.destroy(); b.destroy(); } pairs.clear(); },
    cutWhere: (match) => {
      let n = 0;
      for (const pair of [...pairs]) {
        if (!match(pair[0].remotePort ?? -1)) continue;
        pair[0].destroy();
        pair[1].destroy();
        pairs.delete(pair);
        n++;
      }
      return n;
    },
    get open() { return pairs.size; },
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
