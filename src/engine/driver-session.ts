/**
 * The `driver` routing mode: the stock DataStax cassandra-driver with
 * TokenAwarePolicy(DCAwareRoundRobinPolicy), as users run it today — the baseline the A/B
 * compares our shard-aware client against. It knows which node it queried, never which shard.
 */
import cassandra from 'cassandra-driver';
import type { Credentials, TlsOptions } from '../cql/connection.js';
import { CqlError, type ErrorKind, kindOfCode } from '../cql/errors.js';
import type { ClusterFacts } from './cluster.js';

class DriverError extends CqlError {
  constructor(readonly kind: ErrorKind, message: string) {
    super(message);
  }
}

export class DriverSession {
  private readonly client: cassandra.Client;
  private readonly nodeByAddress = new Map<string, number>();

  constructor(facts: ClusterFacts, credentials: Credentials | undefined, tls: TlsOptions | undefined, requestTimeoutMs: number) {
    const dc = facts.nodes[0]?.datacenter ?? 'datacenter1';
    const lb = cassandra.policies.loadBalancing;
    this.client = new cassandra.Client({
      contactPoints: facts.nodes.map((n) => `${n.host}:${n.port}`),
      localDataCenter: dc,
      credentials: credentials ? { username: credentials.username, password: credentials.password } : undefined,
      sslOptions: tls ? { ca: tls.ca as Buffer | undefined, cert: tls.cert as Buffer | undefined, key: tls.key as Buffer | undefined } : undefined,
      policies: {
        loadBalancing: new lb.TokenAwarePolicy(new lb.DCAwareRoundRobinPolicy(dc)),
        // the same backoff as our own pools (100 ms → 2 s): an A/B must not differ in how fast a
        // node that came back is used again (the driver's default waits up to 10 minutes)
        reconnection: new cassandra.policies.reconnection.ExponentialReconnectionPolicy(100, 2000, false),
      },
      encoding: { useBigIntAsLong: true, useBigIntAsVarint: true, map: Map },
      socketOptions: { readTimeout: requestTimeoutMs },
      protocolOptions: { maxVersion: 4 },
    });
    facts.nodes.forEach((n) => this.nodeByAddress.set(`${n.host}:${n.port}`, n.index));
  }

  connect(): Promise<void> {
    return this.client.connect();
  }

  /** Executes a prepared statement; the callback gets the queried node index (or -1). */
  execute(cql: string, values: unknown[], consistency: number, cb: (err: CqlError | null, node: number) => void): void {
    this.client.execute(cql, values as never, { prepare: true, consistency, isIdempotent: true }).then(
      (rs) => cb(null, this.nodeByAddress.get(rs.info.queriedHost) ?? -1),
      (e: { code?: number; message?: string; name?: string }) => {
        const kind: ErrorKind = typeof e.code === 'number' ? kindOfCode(e.code)
          : e.name === 'NoHostAvailableError' ? 'no-host'
          : e.name === 'OperationTimedOutError' ? 'client-timeout' : 'connection-lost';
        cb(new DriverError(kind, e.message ?? String(e)), -1);
      },
    );
  }

  shutdown(): Promise<void> {
    return this.client.shutdown();
  }
}
