/**
 * SELECT, compiled at prepare time (Scylla's cql3/statements/select_statement.cc): the WHERE
 * clause's restrictions (select-restrictions.ts), ORDER BY, the selection
 * (select-selection.ts), LIMIT / PER PARTITION LIMIT and USING TIMEOUT markers; executed by
 * select-execute.ts against the replicas through the storage proxy, or against a system table's
 * store built for the query.
 */
import type { SelectStatement } from '../cql/parser/ast.js';
import type { Cluster } from './cluster.js';
import type { Plan, Session } from './context.js';
import type { KeyspaceMeta, TableMeta } from './schema.js';
import { executeSelect, type CompiledSelect } from './select-execute.js';
import { analyzeOrderBy, analyzeRestrictions, Binder } from './select-restrictions.js';
import { compileSelection } from './select-selection.js';
import type { TableStore } from './storage.js';
import { compareFor, InvalidRequest, SyntaxErrorResponse, timeoutGetter } from './values.js';

export interface SelectPlanOptions {
  /** For system tables: builds the store the query reads. */
  virtualStore?: (session: Session) => TableStore;
}

export function compileSelect(cluster: Cluster, ks: KeyspaceMeta, table: TableMeta, s: SelectStatement, bindCount: number, opts: SelectPlanOptions = {}): Plan {
  if (s.json) throw new SyntaxErrorResponse('SELECT JSON is not supported by the scylla-bench emulator');
  if (s.groupBy.length > 0) throw new SyntaxErrorResponse('GROUP BY is not supported by the scylla-bench emulator');
  const binder = new Binder(ks, table, bindCount);
  const restrictions = analyzeRestrictions(binder, s);
  const reversed = analyzeOrderBy(table, s, restrictions.byKey);
  const selection = compileSelection(binder, s);
  const limit = s.limit ? binder.positiveInt(s.limit, 'LIMIT', '[limit]') : undefined;
  const perPartitionLimit = s.perPartitionLimit ? binder.positiveInt(s.perPartitionLimit, 'PER PARTITION LIMIT', '[per_partition_limit]') : undefined;
  if (s.using.timeout?.kind === 'bind') binder.bindSpecs[s.using.timeout.index] = binder.spec('[timeout]', { kind: 'duration' });
  if (s.distinct) {
    if (table.clustering.length > 0 && s.selectors?.some((x) => x.expr.kind === 'column' && table.byName.get(x.expr.name)?.kind === 'clustering')) {
      throw new InvalidRequest('SELECT DISTINCT queries must only request partition key columns and/or static columns (not clustering columns)');
    }
  }
  const pkMarker = restrictions.pkMarker;
  const pkIndexes = pkMarker.every((x) => x !== undefined) && table.partitionKey.length > 0 ? (pkMarker as number[]) : [];
  const bindSpecs = binder.finish();

  const slice = restrictions.ckSlice;
  const compiled: CompiledSelect = {
    ks, table, restrictions, selection, reversed,
    distinct: s.distinct, hasOrderBy: s.orderBy.length > 0, limit, perPartitionLimit,
    sliceCmp: slice ? compareFor(table.clustering[slice.index].type) : undefined,
    virtualStore: opts.virtualStore,
  };
  return {
    target: { keyspace: ks.name, table: table.name },
    timeoutMs: timeoutGetter(s.using.timeout),
    opKind: opts.virtualStore ? 'system' : restrictions.byKey ? 'read' : 'scan',
    bindSpecs,
    pkIndexes,
    resultColumns: selection.resultColumns,
    isLwt: false,
    generation: cluster.schema.generation,
    execute: (session, bound, params, extras) => executeSelect(cluster, compiled, session, bound, params, extras),
  };
}
