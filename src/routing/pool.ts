/**
 * A per-node connection pool that covers every shard (k connections per shard) and heals.
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
 * Healing: a connection that closes leaves the pool at once (requests for its shard go to the
 * node's other connections, which the router reports as connShard ≠ ownerShard), and a refill
 * reconnects after a backoff (100 ms → 2 s, jittered) through the shard-aware port to the same
 * shard, falling back to the regular port when the shard-aware one refuses. With no live
 * connection the pool is 'down' and keeps retrying with the same backoff; a pool can be created
 * for a node that is down and comes up later. Reconnected connections prepare the statements
 * prepared through the pool before they take requests.
 *
 * Token-aware routing uses the same pool but picks a connection without regard to shard, so an
 * A/B between the two modes differs in routing only, never in connection count.
 */
import { EventEmitter } from 'node:events';
import { Connection, type ConnectionOptions, type PreparedStatement, type ShardingInfo } from '../cql/connection.js';
import {
  ClientProtocolError, ConnectError, ConnectionLostError, CqlError, SocketConnectError, connectFailureOf, type ConnectFailure,
} from '../cql/errors.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { systemClock, type Clock } from './clock.js';

export const LOCAL_PORT_LOW = 49152;
export const LOCAL_PORT_HIGH = 65535; // exclusive, as the python driver

export interface NodePoolOptions {
  host: string;
  port: number;
  connection: Omit<ConnectionOptions, 'host' | 'port' | 'localPort' | 'signal'>;
  connectionsPerShard?: number;
  /** Use the shard-aware port when advertised (default true). */
  useShardAwarePort?: boolean;
  /** Random source for the port pivot and the backoff jitter (injectable for tests). */
  random?: () => number;
  /** Time for backoff timers and outage accounting (default: performance.now and unref'd timers). */
  clock?: Clock;
  /** Reconnection delays (default 100 ms → 2 s). */
  backoff?: BackoffOptions;
}

/**
 * connecting: the first attempt is under way; up: at least one live connection (maybe not every
 * shard yet); down: no live connection, retrying; closed: close() was called.
 */
export type PoolState = 'connecting' | 'up' | 'down' | 'closed';

export interface PoolStats {
  /** true when the shard-aware port was used and every connection landed on its shard. */
  shardAwarePortUsed: boolean;
  /** A connection to the shard-aware port landed on another shard (source port rewritten). */
  natDetected: boolean;
  /** Regular-port connections opened during discovery and closed as duplicates. */
  excessClosed: number;
  /** Ports skipped because they were in use. */
  portsInUse: number;
  /** Connections opened after the first attempt: refills after a loss, or a node that came up late. */
  reconnects: number;
  /** Connections that closed under the pool (not by close()). */
  connectionsLost: number;
  /** Times the pool went down (no live connection), including a first attempt that failed. */
  outages: number;
  /** Failed connection attempts by kind. */
  connectFailures: Partial<Record<ConnectFailure, number>>;
}

/**
 * Events (for tests and logs; nothing on the request path emits):
 *   'state'      (state: PoolState, previous: PoolState)
 *   'connection' (c: Connection, reconnect: boolean)   a connection joined the pool
 *   'lost'       (c: Connection, reason: string)       a connection left the pool
 *   'attempt'    (error: CqlError | undefined)          a fill attempt ended (undefined: every shard covered)
 */
export class NodePool extends EventEmitter {
  /** Live connections only: a connection that closes is removed at once. */
  readonly connections: Connection[] = [];
  /** byShard[s] = live connections whose SCYLLA_SHARD is s. */
  readonly byShard: Connection[][] = [];
  readonly stats: PoolStats = {
    shardAwarePortUsed: false, natDetected: false, excessClosed: 0, portsInUse: 0,
    reconnects: 0, connectionsLost: 0, outages: 0, connectFailures: {},
  };
  sharding: ShardingInfo | undefined;
  /** The last failed connection attempt's error (kept after recovery, for messages). */
  lastError: CqlError | undefined;
  /** Resolves when the first attempt has ended, whatever its outcome (never rejects). */
  readonly ready: Promise<void>;
  readonly clock: Clock;

  #state: PoolState = 'connecting';
  #rr = 0;
  readonly #rrShard: number[] = [];
  readonly #k: number;
  readonly #backoff: Backoff;
  readonly #abort = new AbortController();
  readonly #createdMs: number;
  #downSinceMs: number | undefined;
  #downAccumMs = 0;
  #cancelTimer: (() => void) | undefined;
  #filling = false;
  #firstAttemptDone = false;
  #resolveReady!: () => void;
  /** Statements prepared through the pool, prepared again on every new connection. */
  readonly #preparedCql: string[] = [];

  private constructor(readonly options: NodePoolOptions) {
    super();
    this.clock = options.clock ?? systemClock;
    this.#k = Math.max(1, options.connectionsPerShard ?? 1);
    this.#backoff = new Backoff(options.backoff, options.random ?? Math.random);
    this.#createdMs = this.clock.nowMs();
    this.ready = new Promise((r) => { this.#resolveReady = r; });
  }

  /**
   * A pool that starts connecting now and never fails for network reasons: await `ready` for
   * the first attempt's outcome (`state` 'up' or 'down', `lastError`); a down node keeps being
   * retried until close().
   */
  static create(options: NodePoolOptions): NodePool {
    const p = new NodePool(options);
    void p.#runFill();
    return p;
  }

  /** create() + ready; throws the first attempt's error (and closes) when no connection opened. */
  static async open(options: NodePoolOptions): Promise<NodePool> {
    const p = NodePool.create(options);
    await p.ready;
    if (p.connections.length === 0) {
      await p.close();
      throw p.lastError ?? new ConnectError(`${options.host}:${options.port}`, 'no connection opened');
    }
    return p;
  }

  get host(): string {
    return this.options.host;
  }

  get nrShards(): number {
    return this.sharding?.nrShards ?? 1;
  }

  get state(): PoolState {
    return this.#state;
  }

  /** At least one live connection: the router may send here. */
  get healthy(): boolean {
    return this.connections.length > 0;
  }

  /** Every shard has its k connections. */
  get complete(): boolean {
    return this.#missing().length === 0;
  }

  /** Since when (clock ms) the pool has had no live connection; undefined unless 'down'. */
  get downSinceMs(): number | undefined {
    return this.#state === 'down' ? this.#downSinceMs : undefined;
  }

  /**
   * Total time with no live connection, the ongoing outage included. A node down at start counts
   * from the pool's creation; the first attempt of a node that answers does not count.
   */
  get downMs(): number {
    return this.#downAccumMs + (this.#state === 'down' ? this.clock.nowMs() - this.#downSinceMs! : 0);
  }

  /** A connection on `shard` (round-robin among its k), or any connection if none is there. */
  forShard(shard: number): Connection {
    const list = this.byShard[shard];
    if (!list || list.length === 0) return this.any();
    if (list.length === 1) return list[0];
    const i = (this.#rrShard[shard] = ((this.#rrShard[shard] ?? 0) + 1) % list.length);
    return list[i];
  }

  /** Any live connection, round-robin: what a driver that ignores shards does. Check `healthy` first. */
  any(): Connection {
    if (this.#rr >= this.connections.length) this.#rr = 0;
    return this.connections[this.#rr++];
  }

  /**
   * PREPAREs on every live connection and remembers the statement, so connections opened later
   * prepare it before taking requests (no Unprepared round trip after a reconnect). Undefined when
   * the pool has no live connection.
   */
  async prepare(cql: string): Promise<PreparedStatement | undefined> {
    if (!this.#preparedCql.includes(cql)) this.#preparedCql.push(cql);
    let stmt: PreparedStatement | undefined;
    for (const c of this.connections.slice()) {
      try {
        const s = await c.prepare(cql);
        stmt ??= s;
      } catch (e) {
        if (e instanceof ConnectionLostError || c.closed) continue;
        throw e;
      }
    }
    return stmt;
  }

  /** Stops refilling, aborts a connect in progress, closes every connection. */
  async close(): Promise<void> {
    if (this.#closed()) return;
    this.#setState('closed');
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    this.#abort.abort();
    this.#resolveReady();
    await Promise.all(this.connections.slice().map((c) => c.close()));
  }

  // ---------------------------------------------------------------------------------------
  // Filling

  #connect(port: number, localPort?: number): Promise<Connection> {
    let conn: Connection | undefined;
    const userOnClose = this.options.connection.onClose;
    return Connection.connect({
      ...this.options.connection,
      host: this.options.host,
      port,
      localPort,
      signal: this.#abort.signal,
      onClose: (reason) => {
        userOnClose?.(reason);
        if (conn) this.#lost(conn, reason);
      },
    }).then((c) => { conn = c; return c; });
  }

  /** A method, not a field test, so checks after an await are not narrowed away. */
  #closed(): boolean {
    return this.#state === 'closed';
  }

  #missing(): number[] {
    const out: number[] = [];
    for (let s = 0; s < this.nrShards; s++) {
      const have = this.byShard[s]?.length ?? 0;
      for (let i = have; i < this.#k; i++) out.push(s);
    }
    return out;
  }

  /** Prepares the remembered statements, then adds the connection unless its shard is full. */
  async #adopt(c: Connection): Promise<'added' | 'excess' | 'dropped'> {
    const shard = c.sharding?.shard ?? 0;
    const full = (): boolean => (this.byShard[shard]?.length ?? 0) >= this.#k;
    if (this.#closed() || c.closed || full()) {
      void c.close();
      return c.closed || this.#closed() ? 'dropped' : 'excess';
    }
    for (let i = 0; i < this.#preparedCql.length && !c.closed; i++) {
      try {
        await c.prepare(this.#preparedCql[i]);
      } catch (e) {
        // a server error (say, a dropped table) is the request's to report; a lost connection is ours
        if (e instanceof ConnectionLostError) break;
      }
    }
    if (this.#closed() || c.closed) { void c.close(); return 'dropped'; }
    if (full()) { void c.close(); return 'excess'; }
    this.connections.push(c);
    (this.byShard[shard] ??= []).push(c);
    if (this.#firstAttemptDone) this.stats.reconnects++;
    if (this.#state !== 'up') this.#setState('up');
    this.emit('connection', c, this.#firstAttemptDone);
    return 'added';
  }

  #lost(c: Connection, reason: string): void {
    const i = this.connections.indexOf(c);
    if (i < 0) return; // never adopted (excess, or closed during its warm-up)
    this.connections.splice(i, 1);
    const list = this.byShard[c.sharding?.shard ?? 0];
    list.splice(list.indexOf(c), 1);
    if (this.#closed()) return;
    this.stats.connectionsLost++;
    this.emit('lost', c, reason);
    if (this.connections.length === 0) this.#setState('down');
    this.#scheduleRefill();
  }

  #setState(next: PoolState, sinceMs = this.clock.nowMs()): void {
    const prev = this.#state;
    if (next === prev) return;
    if (prev === 'down') {
      this.#downAccumMs += this.clock.nowMs() - this.#downSinceMs!;
      this.#downSinceMs = undefined;
    }
    if (next === 'down') {
      this.#downSinceMs = sinceMs;
      this.stats.outages++;
    }
    this.#state = next;
    this.emit('state', next, prev);
  }

  #scheduleRefill(): void {
    if (this.#closed() || this.#cancelTimer || this.#filling) return;
    if (this.#missing().length === 0) return;
    this.#cancelTimer = this.clock.after(this.#backoff.next(), () => {
      this.#cancelTimer = undefined;
      void this.#runFill();
    });
  }

  async #runFill(): Promise<void> {
    if (this.#closed() || this.#filling) return;
    this.#filling = true;
    let error: CqlError | undefined;
    try {
      await this.#fillOnce();
    } catch (e) {
      error = e instanceof CqlError ? e : new ClientProtocolError(`${this.options.host}:${this.options.port}: ${e instanceof Error ? e.message : String(e)}`);
      if (!this.#closed()) this.#recordFailure(error);
    } finally {
      this.#filling = false;
    }
    if (!this.#firstAttemptDone) {
      this.#firstAttemptDone = true;
      // a node down at start has been down since the pool exists
      if (this.#state === 'connecting') this.#setState('down', this.#createdMs);
      this.#resolveReady();
    }
    this.emit('attempt', error);
    if (this.#closed()) return;
    if (this.#missing().length === 0) this.#backoff.reset();
    else this.#scheduleRefill();
  }

  #recordFailure(e: CqlError): void {
    this.lastError = e;
    const kind = connectFailureOf(e);
    this.stats.connectFailures[kind] = (this.stats.connectFailures[kind] ?? 0) + 1;
  }

  /** One pass over the missing connections; throws on the first failure (what it opened stays). */
  async #fillOnce(): Promise<void> {
    const port = this.options.port;
    if (this.connections.length === 0) {
      const first = await this.#connect(port);
      // a node that restarted may come back with another shard count: its first answer says
      this.sharding = first.sharding;
      await this.#adopt(first);
    }
    if (!this.sharding) {
      // not Scylla: k plain connections
      for (let i = 0; i < 2 * this.#k && this.#missing().length > 0 && !this.#closed(); i++) await this.#adopt(await this.#connect(port));
      return;
    }
    const sap = this.sharding.shardAwarePort;
    if (sap && (this.options.useShardAwarePort ?? true) && !this.stats.natDetected) {
      let viaShardPort = true;
      for (const shard of this.#missing()) {
        if (this.#closed()) return;
        let c: Connection;
        try {
          c = await this.#connectFromShardPort(sap, shard);
        } catch (e) {
          // the shard-aware port refused while the regular port answered: discover on the regular one
          if (!(e instanceof ConnectError) || this.connections.length === 0) throw e;
          this.#recordFailure(e);
          viaShardPort = false;
          break;
        }
        const landed = c.sharding?.shard === shard;
        await this.#adopt(c);
        if (!landed) {
          this.stats.natDetected = true;
          viaShardPort = false;
          break;
        }
      }
      this.stats.shardAwarePortUsed = viaShardPort;
      if (viaShardPort) return;
    }
    await this.#discoverOnRegularPort();
  }

  /** Tries local ports p ≡ shard (mod n) from a random aligned pivot, wrapping, until one binds. */
  async #connectFromShardPort(port: number, shard: number): Promise<Connection> {
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
        return await this.#connect(port, p);
      } catch (e) {
        if (e instanceof SocketConnectError && e.failure === 'local-port') {
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
  async #discoverOnRegularPort(): Promise<void> {
    const limit = 4 * this.nrShards * this.#k;
    for (let attempt = 0; attempt < limit && this.#missing().length > 0 && !this.#closed(); attempt++) {
      if ((await this.#adopt(await this.#connect(this.options.port))) === 'excess') this.stats.excessClosed++;
    }
  }
}

/**
 * Since when (clock ms) every pool has had no live connection; undefined while any pool is up or
 * still on its first attempt. A run whose target is gone entirely stops on this.
 */
export function allDownSinceMs(pools: readonly (NodePool | null | undefined)[]): number | undefined {
  let sinceMs: number | undefined;
  for (const p of pools) {
    if (!p) continue;
    const s = p.downSinceMs;
    if (s === undefined) return undefined;
    sinceMs = sinceMs === undefined ? s : Math.max(sinceMs, s);
  }
  return sinceMs;
}

/** How long every pool has been down (0 while any is up), on the first pool's clock. */
export function allDownForMs(pools: readonly (NodePool | null | undefined)[]): number {
  const since = allDownSinceMs(pools);
  const clock = pools.find((p) => p)?.clock;
  return since === undefined || !clock ? 0 : clock.nowMs() - since;
}
