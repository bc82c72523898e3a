/** Access to the real Cassandra started by test/globalSetup.ts. */
import { inject } from 'vitest';
import { Connection, type ConnectionOptions } from '../../src/cql/connection.js';
import type { CassandraInfo } from './cassandra.js';

/** The running Cassandra, or null when a developer opted out locally (SB_NO_CASSANDRA=1, never in CI). */
export function cassandraInfo(): CassandraInfo | null {
  return inject('cassandra');
}

export function connectCassandra(info: CassandraInfo, extra: Partial<ConnectionOptions> = {}): Promise<Connection> {
  return Connection.connect({
    host: info.host,
    port: info.port,
    credentials: { username: info.username, password: info.password },
    connectTimeoutMs: 20_000,
    requestTimeoutMs: 30_000,
    ...extra,
  });
}
