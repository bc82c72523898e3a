/**
 * Tablet routing cache (the TABLETS_ROUTING_V1 protocol extension; Scylla's
 * docs/dev/protocol-extensions.md and transport/messages/result_message.cc). Scylla attaches a
 * `tablets-routing-v1` custom payload to a RESULT when the request reached a replica/shard
 * that does not own the token: (first_token, last_token] and the replicas as (host_id, shard).
 * As the drivers do, a new tablet replaces every cached tablet of that table it overlaps, and a
 * lookup binary-searches by last_token, accepting a hit when token > first_token.
 */
import { ProtocolViolation } from '../cql/buffer.js';
import { deserialize } from '../cql/codecs.js';
import type { CqlType } from '../cql/types.js';

export const TABLETS_PAYLOAD_KEY = 'tablets-routing-v1';

export interface Tablet {
  firstToken: bigint;
  lastToken: bigint;
  replicas: { hostId: string; shard: number }[];
}

const PAYLOAD_TYPE: CqlType = {
  kind: 'tuple',
  elements: [
    { kind: 'bigint' },
    { kind: 'bigint' },
    { kind: 'list', element: { kind: 'tuple', elements: [{ kind: 'uuid' }, { kind: 'int' }] } },
  ],
};

export function parseTabletPayload(value: Buffer): Tablet {
  const t = deserialize(PAYLOAD_TYPE, value) as [bigint | null, bigint | null, [string, number][] | null];
  if (t[0] === null || t[1] === null || !t[2]) throw new ProtocolViolation('tablets-routing-v1 payload has null fields');
  return { firstToken: t[0], lastToken: t[1], replicas: t[2].map(([hostId, shard]) => ({ hostId, shard })) };
}

/** Per-table cache of tablets, sorted by lastToken, non-overlapping. */
export class TabletCache {
  private readonly byTable = new Map<string, Tablet[]>();

  /** Inserts a tablet learned from a payload, evicting the ones it overlaps. */
  add(table: string, t: Tablet): void {
    const list = this.byTable.get(table) ?? [];
    // (a, b] overlaps (c, d] iff a < d && c < b
    const kept = list.filter((x) => !(t.firstToken < x.lastToken && x.firstToken < t.lastToken));
    kept.push(t);
    kept.sort((a, b) => (a.lastToken < b.lastToken ? -1 : a.lastToken > b.lastToken ? 1 : 0));
    this.byTable.set(table, kept);
  }

  lookup(table: string, token: bigint): Tablet | undefined {
    const list = this.byTable.get(table);
    if (!list || list.length === 0) return undefined;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid].lastToken < token) lo = mid + 1;
      else hi = mid;
    }
    const t = list[lo];
    return t && token > t.firstToken ? t : undefined;
  }

  size(table: string): number {
    return this.byTable.get(table)?.length ?? 0;
  }
}
