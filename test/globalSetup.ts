/**
 * Vitest global setup: one real Cassandra 5.0 node for the whole run (see test/support/cassandra.ts).
 * Tests read it with `inject('cassandra')`; it is null only when SB_NO_CASSANDRA=1 outside CI.
 */
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { startCassandra, type CassandraInfo } from './support/cassandra.js';

declare module 'vitest' {
  export interface ProvidedContext {
    cassandra: CassandraInfo | null;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.SB_NO_CASSANDRA === '1' && process.env.CI !== 'true') {
    project.provide('cassandra', null);
    return async () => {};
  }
  const { info, stop } = await startCassandra();
  project.provide('cassandra', info);
  return stop;
}
