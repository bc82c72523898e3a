/** REGISTER / EVENT against a real Cassandra: schema changes reach a registered connection. */
import { describe, expect, it } from 'vitest';
import type { ServerEvent } from '../../src/cql/messages.js';
import { cassandraInfo, connectCassandra } from '../support/real.js';

const info = cassandraInfo();

describe.skipIf(!info)('events', () => {
  it('a connection registered for SCHEMA_CHANGE receives the event of a table created elsewhere', async () => {
    const events: ServerEvent[] = [];
    const listener = await connectCassandra(info!, { onEvent: (e) => events.push(e) });
    await listener.register(['SCHEMA_CHANGE', 'TOPOLOGY_CHANGE', 'STATUS_CHANGE']);
    const other = await connectCassandra(info!);
    await other.query(`CREATE KEYSPACE IF NOT EXISTS sb_events WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
    await other.query('DROP TABLE IF EXISTS sb_events.t');
    await other.query('CREATE TABLE sb_events.t (id int PRIMARY KEY)');
    const deadline = Date.now() + 10_000;
    const isCreate = (e: ServerEvent): boolean => e.type === 'SCHEMA_CHANGE' && e.change.change === 'CREATED' && e.change.target === 'TABLE' && e.change.name === 't';
    while (!events.some(isCreate) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const ev = events.find(isCreate);
    expect(ev).toBeDefined();
    expect(ev!.type === 'SCHEMA_CHANGE' && ev!.change.keyspace).toBe('sb_events');
    await other.close();
    await listener.close();
  });
});
