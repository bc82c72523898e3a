/**
 * Materialized-view maintenance: after a base write, each view row whose key changed is deleted
 * and the new one written (cells copied with their timestamps and TTLs), on every live replica
 * of the view's partition.
 *
 * As Scylla (db/view/view.cc), the updates are computed from the base row before and after the
 * write, at the base write, but applied asynchronously: the base write is acknowledged first and
 * each view update lands later, after a delay that grows with the view-update backlog of the base
 * replicas (view-backlog.ts). A view with `synchronous_updates = true` is updated at once and
 * the base write waits for it (its reply is held for the same delay). Building a new view from
 * existing data (CREATE MATERIALIZED VIEW) applies at once.
 */
import { partitionKeyBytes, type TokenHalves } from '../routing/murmur3.js';
import type { Cluster } from './cluster.js';
import { replicasOf } from './locator.js';
import type { ColumnMeta, KeyspaceMeta, TableMeta } from './schema.js';
import { rowFor, type Cell } from './storage.js';
import type { ViewUpdate } from './view-backlog.js';

/** A base row as seen before or after a write. */
export interface RowImage {
  ck: Buffer[];
  live: boolean;
  /** live cells by regular slot */
  cells: (Cell | undefined)[];
  markerTs: number;
  markerExp: number;
}

function baseValue(base: TableMeta, components: Buffer[], img: RowImage, name: string): { v: Buffer; cell?: Cell } | undefined {
  const c = base.byName.get(name);
  if (!c) return undefined;
  if (c.kind === 'partition_key') return { v: components[c.position] };
  if (c.kind === 'clustering') return { v: img.ck[c.position] };
  if (c.kind === 'regular') {
    const cell = img.cells[c.slot];
    return cell && cell.v ? { v: cell.v, cell } : undefined;
  }
  return undefined;
}

interface ViewKey { pk: Buffer[]; ck: Buffer[]; keyCell?: Cell }

function viewKey(view: TableMeta, base: TableMeta, components: Buffer[], img: RowImage): ViewKey | undefined {
  if (!img.live) return undefined;
  const pk: Buffer[] = [];
  const ck: Buffer[] = [];
  let keyCell: Cell | undefined;
  for (const [cols, out] of [[view.partitionKey, pk], [view.clustering, ck]] as [ColumnMeta[], Buffer[]][]) {
    for (const c of cols) {
      const v = baseValue(base, components, img, c.name);
      if (!v) return undefined;
      if (v.cell) keyCell = v.cell;
      out.push(v.v);
    }
  }
  return { pk, ck, keyCell };
}

function sameKey(a: ViewKey, b: ViewKey): boolean {
  return a.pk.every((x, i) => x.equals(b.pk[i])) && a.ck.every((x, i) => x.equals(b.ck[i]));
}

/** Whether base writes wait for this view's updates (`WITH synchronous_updates = true`). */
export function isSynchronous(view: TableMeta): boolean {
  const v = view.options.get('synchronous_updates');
  return v === true || (typeof v === 'string' && v.toLowerCase() === 'true');
}


/**
 * The view updates of one base write. Without `defer` they are applied now (a view being built);
 * with it, each view's updates are handed over as one `ViewUpdate` to apply now or later.
 */
export function updateViews(cluster: Cluster, ks: KeyspaceMeta, base: TableMeta, components: Buffer[], pre: RowImage[], post: RowImage[], ts: number, defer?: (u: ViewUpdate) => void): void {
  for (const view of base.views) {
    if (!defer) {
      viewUpdatesOf(cluster, ks, view, base, components, pre, post, ts)();
      continue;
    }
    let bytes = 0;
    for (const img of post) for (const c of img.cells) if (c?.v) bytes += c.v.length + 8;
    for (const c of components) bytes += c.length;
    defer({ view, base, synchronous: isSynchronous(view), bytes, apply: viewUpdatesOf(cluster, ks, view, base, components, pre, post, ts) });
  }
}

function viewUpdatesOf(cluster: Cluster, ks: KeyspaceMeta, view: TableMeta, base: TableMeta, components: Buffer[], pre: RowImage[], post: RowImage[], ts: number): () => void {
  return () => {
    for (let i = 0; i < Math.max(pre.length, post.length); i++) {
      const before = pre[i] ? viewKey(view, base, components, pre[i]) : undefined;
      const afterImg = post[i];
      const after = afterImg ? viewKey(view, base, components, afterImg) : undefined;
      if (before && (!after || !sameKey(before, after))) {
        writeView(cluster, ks, view, before, (row) => { if (ts > row.delTs) { row.delTs = ts; row.markerTs = -Infinity; row.cells = []; } });
      }
      if (after && afterImg) {
        writeView(cluster, ks, view, after, (row) => {
          // the view row lives as long as the base row: its marker follows the base marker, or the
          // base cell that is part of the view key when there is one
          const markerTs = after.keyCell ? after.keyCell.ts : afterImg.markerTs;
          const markerExp = after.keyCell ? after.keyCell.exp : afterImg.markerExp;
          if (markerTs > row.markerTs && markerTs > row.delTs) { row.markerTs = markerTs; row.markerExp = markerExp; }
          for (const vc of view.regular) {
            const bc = base.byName.get(vc.name);
            if (!bc || bc.kind !== 'regular') continue;
            const cell = afterImg.cells[bc.slot];
            const old = row.cells[vc.slot];
            if (cell && (!old || cell.ts >= old.ts)) row.cells[vc.slot] = cell;
            else if (!cell && old && old.ts <= ts) row.cells[vc.slot] = undefined;
          }
        });
      }
    }
  };
}

function writeView(cluster: Cluster, ks: KeyspaceMeta, view: TableMeta, key: ViewKey, apply: (row: ReturnType<typeof rowFor>) => void): void {
  const h: TokenHalves = { hi: 0, lo: 0 };
  const pkBytes = partitionKeyBytes(key.pk);
  const keyStr = pkBytes.toString('latin1');
  const token = cluster.tokenOf(pkBytes, h);
  for (const r of replicasOf(cluster, view, ks, token, h)) {
    if (!r.node.up) continue;
    const shard = r.node.shards[r.shard];
    shard.counters.replicaOps++;
    const p = shard.store.table(view).getOrCreate(pkBytes, keyStr, token);
    apply(rowFor(p, view, key.ck));
  }
}
