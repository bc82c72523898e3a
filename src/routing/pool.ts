/**
 * A per-node connection pool that covers every shard: k connections per shard.
 *
 * Scylla (SUPPORTED has SCYLLA_NR_SHARDS): the first connection goes to the regular port; the
 * others go to the advertised shard-aware port from a local port p with p mod nrShards = shard
 * (random aligned start in 49152..65535, the next aligned port on EADDRINUSE), and each one's
 * SCYLLA_SHARD is checked. A mismatch means a NAT rewrote the source port: the pool falls back to
 * the regular port and keeps opening connections until every shard is covered, closing the
 * excess (bounded, as the python driver does with 3 × shards).
 *
 * Not Scylla (no sharding keys): k connections to the regular port, all "shard 0".
 *
 * Token-aware routing uses the same pool but picks a connection without regard to shard, so an
 * A/B between the two modes differs in routing only, never in connection count.
 */
import { Connection, SocketConnectError, type ConnectionOptions, type ShardingInfo } from '../cql/connection.js';

export const LOCAL_PORT_LOW = 49152;
export const LOCAL_PORT_HIGH = 65535; // exclusive, as the python driver

export interface NodePoolOptions {
  host: string;
  port: number;
  connection: Omit<ConnectionOptions, 'host' | 'port' | 'localPort'>;
  connectionsPerShard?: number;
  /** Use the shard-aware port when advertised (default true). */
  useShardAwarePort?: boolean;
  /** Random source for the port pivot (injectable for tests). */
  random?: () => number;
}

export interface PoolStats {
  /** true when the shard-aware port was used and every connection landed on its shard. */
  shardAwarePortUsed: boolean;
  /** A connection to the shard-aware port landed on another shard (source port rewritten). */
  natDetected: boolean;
  /** Regular-port connections opened during discovery and closed as duplicates. */
  excessClosed: number;
  /** Ports skipped because they were in use. */
  portsInUse: number;
}

export class NodePool {
  readonly connections: Connection[] = [];
  /** byShard[s] = connections whose SCYLLA_SHARD is s. */
  readonly byShard: Connection[][] = [];
  readonly stats: PoolStats = { shardAwarePortUsed: false, natDetected: false, excessClosed: 0, portsInUse: 0 };
  sharding: ShardingInfo | undefined;
  private rr = 0;
  private readonly rrShard: number[] = [];

  private constructor(readonly options: NodePoolOptions) {}

  get host(): string {
    return this.options.host;
  }

  get nrShards(): number {
    return this.sharding?.nrShards ?? 1;
  }

  static async open(options: NodePoolOptions): Promise<NodePool> {
    const p = new NodePool(options);
    try {
      await p.fill();
    } catch (e) {
      p.close();
      throw e;
    }
    return p;
  }

  private connect(port: number, localPort?: number): Promise<Connection> {
    return Connection.connect({ ...this.options.connection, host: this.options.host, port, localPort });
  }

  private add(c: Connection): void {
    const shard = c.sharding?.shard ?? 0;
    this.connections.push(c);
    (this.byShard[shard] ??= []).push(c);
  }

  private missing(k: number): number[] {
    const out: number[] = [];
    for (let s = 0; s < this.nrShards; s++) {
      const have = this.byShard[s]?.length ?? 0;
      for (let i = have; i < k; i++) out.push(s);
    }
    return out;
  }

  private async fill(): Promise<void> {
    const k = Math.max(1, this.options.connectionsPerShard ?? 1);
    const first = await this.connect(this.options.port);
    this.sharding = first.sharding;
    this.add(first);
    if (!this.sharding) {
      // not Scylla: k plain connections
      for (let i = 1; i < k; i++) this.add(await this.connect(this.options.port));
      return;
    }
    const sap = this.sharding.shardAwarePort;
    if (sap && (this.options.useShardAwarePort ?? true)) {
      let allLanded = true;
      for (const shard of this.missing(k)) {
        const c = await this.connectFromShardPort(sap, shard);
        this.add(c);
        if (c.sharding?.shard !== shard) {
          this.stats.natDetected = true;
          allLanded = false;
          break;
        }
      }
      this.stats.shardAwarePortUsed = allLanded;
      if (allLanded) return;
    }
    await this.discoverOnRegularPort(k);
  }

  /** Tries local ports p ≡ shard (mod n) from a random aligned pivot, wrapping, until one binds. */
  private async connectFromShardPort(port: number, shard: number): Promise<Connection> {
    const n = this.nrShards;
    const rnd = this.options.random ?? Math.random;
    const alignedLow = Math.ceil(LOCAL_PORT_LOW / n) * n;
    const span = Math.floor((LOCAL_PORT_HIGH - alignedLow) / n);
    const pivot = alignedLow + Math.floor(rnd() * span) * n + shard;
    const candidates: number[] = [];
    for (let p = pivot; p < LOCAL_PORT_HIGH; p += n) candidates.push(p);
    for (let p = alignedLow + shard; p < pivot; p += n) candidates.push(p);
    for (const p of candidates) {
      try {
        return await this.connect(port, p);
      } catch (e) {
        if (e instanceof SocketConnectError && (e.code === 'EADDRINUSE' || e.code === 'EADDRNOTAVAIL')) {
          this.stats.portsInUse++;
          continue;
        }
        throw e;
      }
    }
    throw new SocketConnectError(`${this.options.host}:${port}`, `no free local port for shard ${shard} in ${LOCAL_PORT_LOW}-${LOCAL_PORT_HIGH}`, 'EADDRINUSE');
  }

  /**
   * Regular port only: the server places each connection (least-connections per shard), so
   * keep connecting until every shard has k; close duplicates. Bounded at 3 × shards × k extra.
   */
  private async discoverOnRegularPort(k: number): Promise<void> {
    const limit = 3 * this.nrShards * k + this.nrShards * k;
    const excess: Connection[] = [];
    for (let attempt = 0; attempt < limit && this.missing(k).length > 0; attempt++) {
      const c = await this.connect(this.options.port);
      const s = c.sharding?.shard ?? 0;
      if ((this.byShard[s]?.length ?? 0) < k) this.add(c);
      else excess.push(c);
    }
    for (const c of excess) void c.close();
    this.stats.excessClosed += excess.length;
  }

  /** A connection on `shard` (round-robin among its k), or any connection if none is there. */
  forShard(shard: number): Connection {
    const list = this.byShard[shard];
    if (!list || list.length === 0) return this.any();
    if (list.length === 1) return list[0];
    const i = (this.rrShard[shard] = ((this.rrShard[shard] ?? 0) + 1) % list.length);
    return list[i];
  }

  /** Any connection, round-robin: what a driver that ignores shards does. */
  any(): Connection {
    const c = this.connections[this.rr];
    this.rr = (this.rr + 1) % this.connections.length;
    return c;
  }

  get healthy(): boolean {
    return this.connections.some((c) => !c.closed);
  }

  close(): Promise<void> {
    return Promise.all(this.connections.map((c) => c.close())).then(() => undefined);
  }
}
