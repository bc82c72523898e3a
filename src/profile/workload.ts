/**
 * Loads a workload file (`workloads/*.yaml`): the data model as CQL, the key space of each
 * table, column generators and named operations, checked against each other so a profile
 * that loads can run: every `?` binds a known column that has a generator, every table an
 * op touches has a size, every generator can produce its column's type.
 */
import { basename, extname } from 'node:path';
import { GeneratorError, checkGenerator, defaultGenerator, distMax } from './generators.js';
import {
  analyzeStatement, CqlShapeError, parseSchemaStatement, splitStatements,
  type MarkerTarget, type TableDef,
} from './cql.js';
import { MAX_PARTITIONS, MAX_PARTITIONS_VARIABLE_ROWS, MAX_ROWS_PER_PARTITION } from './keying.js';
import { ProfileError, quoted, suggestion } from './errors.js';
import { withoutExtensions, zodFailure, workloadSchema } from './schema.js';
import { YamlSource, type Path } from './source.js';
import { parseDistribution, parseGenerator } from './spec.js';
import type {
  ColumnGen, ConsistencyName, Distribution, MarkerSpec, OperationSpec, SourcePos, TableModel, ViewModel, WorkloadSpec,
} from './types.js';
import { describe, describeKind } from './units.js';

/** Largest index a `key` generator can map without collisions, per type. */
const KEY_CAPACITY: Record<string, number> = { tinyint: 128, smallint: 32_768, int: 2 ** 31, boolean: 2, float: 2 ** 24 };

interface RawOp {
  cql: string;
  kind?: 'read' | 'write' | 'scan';
  consistency?: ConsistencyName;
  serial_consistency?: 'SERIAL' | 'LOCAL_SERIAL';
  page_size?: number;
  batch?: number;
  batch_type?: 'logged' | 'unlogged';
  idempotent?: boolean;
  scan_ranges?: number;
  select?: unknown;
}

/**
 * Reads, validates and resolves a workload file.
 * @param absFile the file to read
 * @param shownAs how messages name it (relative to where the user works)
 * @param refPos  where the profile refers to it: a missing file is reported there
 */
export async function loadWorkload(absFile: string, shownAs: string, refPos?: SourcePos): Promise<WorkloadSpec> {
  const src = await YamlSource.read(absFile, shownAs, refPos, 'workload file');
  return resolveWorkload(src, absFile);
}

/** Validates and resolves an already parsed workload. */
export function resolveWorkload(src: YamlSource, absFile: string): WorkloadSpec {
  if (src.value === null || typeof src.value !== 'object' || Array.isArray(src.value)) {
    src.fail([], `expected the workload to be a map (keyspace, schema, tables, columns, operations), got ${describeKind(src.value)}`);
  }
  const parsed = workloadSchema.safeParse(withoutExtensions(src.value));
  if (!parsed.success) zodFailure(src, parsed.error);
  const w = parsed.data;
  const name = w.name ?? basename(absFile, extname(absFile));

  // ---- schema: split, read tables and views
  const rawSchema = (src.value as Record<string, unknown>).schema;
  const statements: { text: string; path: Path; offset: number }[] = [];
  if (rawSchema === undefined) src.fail([], "missing required key 'schema'");
  const split = (text: string, path: Path): void => {
    try {
      for (const s of splitStatements(text)) statements.push({ text: s.text, path, offset: s.offset });
    } catch (e) {
      if (e instanceof CqlShapeError) throwAt(src.posInString(path, e.offset), `CQL ${e.message}`);
      throw e;
    }
  };
  if (typeof rawSchema === 'string') {
    split(rawSchema, ['schema']);
  } else if (Array.isArray(rawSchema)) {
    rawSchema.forEach((item, i) => {
      if (typeof item !== 'string') src.fail(['schema', i], `expected a CQL statement (a string), got ${describe(item)}`);
      split(item, ['schema', i]);
    });
  } else {
    src.fail(['schema'], `expected the schema as a list of CQL statements or one block of statements separated by ';', got ${describe(rawSchema)}`);
  }
  if (statements.length === 0) src.fail(['schema'], 'the schema has no CQL statements');

  const tables = new Map<string, TableDef & { pathAt: () => SourcePos }>();
  const views = new Map<string, TableDef>();
  const keyspaces: string[] = [];
  for (const st of statements) {
    const at = (offset: number) => src.posInString(st.path, st.offset + offset);
    let def;
    try {
      def = parseSchemaStatement(st.text);
    } catch (e) {
      if (e instanceof CqlShapeError) throwAt(at(e.offset), `CQL${e.message.startsWith('syntax error') ? ' ' : ': '}${e.message}`);
      throw e;
    }
    if (def.kind === 'keyspace') keyspaces.push(def.name);
    if (def.kind === 'table') {
      if (tables.has(def.name) || views.has(def.name)) throwAt(at(def.offset), `table ${quoted(def.name)} is created twice`);
      tables.set(def.name, { ...def, pathAt: () => at(def.offset) });
    }
    if (def.kind === 'view') {
      const base = tables.get(def.base!.name);
      if (!base) throwAt(at(def.offset), `view ${quoted(def.name)} selects from ${quoted(def.base!.name)}, which this schema does not create before it`);
      if (tables.has(def.name) || views.has(def.name)) throwAt(at(def.offset), `${quoted(def.name)} is created twice`);
      const baseCols = new Map(base.columns.map((c) => [c.name, c]));
      const cols = def.columns.length === 0 ? base.columns : def.columns.map((c) => {
        const bc = baseCols.get(c.name);
        if (!bc) throwAt(at(c.offset), `view ${quoted(def.name)} selects ${quoted(c.name)}, which is not a column of ${quoted(base.name)}; ${suggestion(c.name, [...baseCols.keys()])}`);
        return { ...bc, offset: c.offset };
      });
      const viewKey = [...def.partitionKey, ...def.clusteringKey];
      for (const k of viewKey) {
        if (!baseCols.has(k)) throwAt(at(def.offset), `view ${quoted(def.name)} key column ${quoted(k)} is not a column of ${quoted(base.name)}`);
      }
      const missing = [...base.partitionKey, ...base.clusteringKey].filter((k) => !viewKey.includes(k));
      if (missing.length > 0) {
        throwAt(at(def.offset), `view ${quoted(def.name)} must have every primary key column of ${quoted(base.name)} in its key; missing ${missing.map((m) => `${quoted(m)}`).join(', ')}`);
      }
      views.set(def.name, { ...def, columns: cols });
    }
  }
  if (keyspaces.length > 0 && !keyspaces.includes(w.keyspace)) {
    src.fail(['keyspace'], `keyspace ${quoted(w.keyspace)} is not created by the schema (it creates ${keyspaces.map((k) => `${quoted(k)}`).join(', ')})`);
  }
  if (tables.size === 0) src.fail(['schema'], 'the schema creates no table');

  // ---- tables: key space per table
  const models = new Map<string, TableModel>();
  for (const [tname, t] of Object.entries(w.tables)) {
    const def = tables.get(tname);
    if (!def) {
      const hint = views.has(tname) ? `${quoted(tname)} is a view: its rows are the base table's` : suggestion(tname, [...tables.keys()], 'a table of the schema');
      src.fail(['tables', tname], `table ${quoted(tname)} is not created by the schema; ${hint}`, 'key');
    }
    const rows: Distribution = t.rows_per_partition ?? { kind: 'fixed', value: 1 };
    const rowsPath = ['tables', tname, 'rows_per_partition'];
    if (def.clusteringKey.length === 0 && !(rows.kind === 'fixed' && rows.value === 1)) {
      src.fail(rowsPath, `table ${quoted(tname)} has no clustering columns, so a partition holds one row; rows_per_partition must be 1`);
    }
    if (distMax(rows) > MAX_ROWS_PER_PARTITION) src.fail(rowsPath, `rows per partition above ${MAX_ROWS_PER_PARTITION} are not supported (max here ${distMax(rows)})`);
    if (t.partitions > MAX_PARTITIONS) src.fail(['tables', tname, 'partitions'], `at most ${MAX_PARTITIONS} partitions are supported`);
    if (rows.kind !== 'fixed' && t.partitions > MAX_PARTITIONS_VARIABLE_ROWS) {
      src.fail(['tables', tname, 'partitions'], `with a rows_per_partition distribution at most ${MAX_PARTITIONS_VARIABLE_ROWS} partitions are supported; use fixed rows for more`);
    }
    models.set(tname, { name: tname, partitionKey: def.partitionKey, clusteringKey: def.clusteringKey, partitions: t.partitions, rowsPerPartition: rows });
  }

  // ---- columns: explicit generators, then defaults
  const columns: ColumnGen[] = [];
  const explicit = w.columns ?? {};
  for (const [tname, cols] of Object.entries(explicit)) {
    const def = tables.get(tname);
    if (!def) {
      const hint = views.has(tname) ? `${quoted(tname)} is a view: give generators to its base table's columns` : suggestion(tname, [...tables.keys()], 'a table of the schema');
      src.fail(['columns', tname], `table ${quoted(tname)} is not created by the schema; ${hint}`, 'key');
    }
    for (const col of Object.keys(cols)) {
      if (!def.columns.some((c) => c.name === col)) {
        src.fail(['columns', tname, col], `${quoted(col)} is not a column of ${quoted(tname)}; ${suggestion(col, def.columns.map((c) => c.name), 'one of')}`, 'key');
      }
    }
  }
  for (const def of tables.values()) {
    const model = models.get(def.name);
    for (const col of def.columns) {
      const path = ['columns', def.name, col.name];
      const isPartition = def.partitionKey.includes(col.name);
      const isClustering = def.clusteringKey.includes(col.name);
      const given = explicit[def.name]?.[col.name];
      let gen;
      if (given !== undefined) {
        const r = parseGenerator(given, col.type);
        if (!r.ok) src.fail([...path, ...(r.path ?? [])], r.message, r.which);
        gen = r.value;
        if (gen.kind === 'now' && (isPartition || isClustering)) {
          src.fail(path, `${quoted(col.name)} is a primary key column: 'now' would make every write a new key that no read can find; use key, sequence or a distribution`);
        }
      } else {
        gen = defaultGenerator(col.type, isPartition || isClustering);
        if (!gen) continue; // only an error if an operation binds it (checked below)
      }
      try {
        checkGenerator(gen, col.type);
      } catch (e) {
        if (e instanceof GeneratorError || e instanceof RangeError || e instanceof TypeError) {
          src.fail(given !== undefined ? path : ['schema'], `column ${quoted(`${def.name}.${col.name}`)} (${col.type}): ${e.message}`);
        }
        throw e;
      }
      if (gen.kind === 'key' && model) {
        const capacity = KEY_CAPACITY[col.type] ?? Infinity;
        const needed = isPartition ? model.partitions : distMax(model.rowsPerPartition);
        if (needed > capacity) {
          src.fail(given !== undefined ? path : ['tables', def.name, isPartition ? 'partitions' : 'rows_per_partition'],
            `${quoted(col.name)} is ${col.type}: it has only ${capacity} distinct values for ${needed} ${isPartition ? 'partitions' : 'rows per partition'}`);
        }
      }
      const pos = given !== undefined ? src.pos(path) : def.pathAt();
      columns.push({ table: def.name, column: col.name, type: col.type, gen, pos });
    }
  }
  // views read the base table's values: same generators under the view's name
  for (const v of views.values()) {
    for (const col of v.columns) {
      const base = columns.find((c) => c.table === v.base!.name && c.column === col.name);
      if (base) columns.push({ ...base, table: v.name, baseTable: base.table });
    }
  }

  // ---- operations
  const operations: Record<string, OperationSpec> = {};
  const viewModels: ViewModel[] = [...views.values()].map((v) => ({ name: v.name, base: v.base!.name, partitionKey: v.partitionKey, clusteringKey: v.clusteringKey }));
  for (const [opName, op] of Object.entries(w.operations) as [string, RawOp][]) {
    operations[opName] = resolveOperation(src, opName, op, { tables, views, models, columns, keyspace: w.keyspace });
  }
  if (Object.keys(operations).length === 0) src.fail(['operations'], 'the workload defines no operations');

  return {
    name, file: absFile, keyspace: w.keyspace, schema: statements.map((s) => s.text),
    tables: [...models.values()], columns, operations, views: viewModels,
  };
}

/** CQL errors already have a position (an offset inside a string), not a YAML path. */
function throwAt(pos: SourcePos, message: string): never {
  throw new ProfileError(pos, message);
}

interface Model {
  tables: Map<string, TableDef>;
  views: Map<string, TableDef>;
  models: Map<string, TableModel>;
  columns: ColumnGen[];
  keyspace: string;
}

function resolveOperation(src: YamlSource, opName: string, op: RawOp, m: Model): OperationSpec {
  const base: Path = ['operations', opName];
  const cqlPath = [...base, 'cql'];
  const at = (offset: number) => src.posInString(cqlPath, offset);
  let shape;
  try {
    shape = analyzeStatement(op.cql);
  } catch (e) {
    if (e instanceof CqlShapeError) throwAt(at(e.offset), `operation ${quoted(opName)}: ${e.message.startsWith('syntax error') ? `CQL ${e.message}` : e.message}`);
    throw e;
  }
  if (shape.table.keyspace !== undefined && shape.table.keyspace !== m.keyspace) {
    throwAt(at(shape.table.offset), `operation ${quoted(opName)} uses keyspace ${quoted(shape.table.keyspace)}, but the workload's keyspace is ${quoted(m.keyspace)}`);
  }
  const tname = shape.table.name;
  const view = m.views.get(tname);
  const def = view ?? m.tables.get(tname);
  if (!def) {
    throwAt(at(shape.table.offset), `operation ${quoted(opName)}: ${quoted(tname)} is not a table or view of this workload's schema; ${suggestion(tname, [...m.tables.keys(), ...m.views.keys()], 'one of')}`);
  }
  const baseName = view ? view.base!.name : tname;
  const baseDef = m.tables.get(baseName)!;
  const model = m.models.get(baseName);
  if (!model) src.fail(base, `operation ${quoted(opName)} uses table ${quoted(baseName)}, which has no entry under tables: (partitions, rows_per_partition)`, 'key');

  // every column the statement names exists: the server would refuse it only after the schema phase
  for (const col of shape.columns) {
    if (!def.columns.some((c) => c.name === col.name)) {
      throwAt(at(col.offset), `operation ${quoted(opName)}: ${quoted(col.name)} is not a column of ${quoted(tname)}; ${suggestion(col.name, def.columns.map((c) => c.name), 'one of')}`);
    }
  }

  // kind: declared or inferred, and consistent with the statement
  const hasToken = shape.markers.some((k) => k.kind !== 'column');
  const inferred = shape.verb === 'select' ? (hasToken ? 'scan' : 'read') : 'write';
  const kind = op.kind ?? inferred;
  if (op.kind !== undefined && op.kind !== inferred) {
    const why = inferred === 'write' ? `${shape.verb.toUpperCase()} writes` : inferred === 'scan' ? 'a SELECT with token(...) bounds is a scan' : 'a SELECT without token(...) bounds is a read';
    src.fail([...base, 'kind'], `operation ${quoted(opName)} is declared ${op.kind} but ${why}`);
  }
  if (view && kind === 'write') throwAt(at(shape.table.offset), `operation ${quoted(opName)} writes to view ${quoted(tname)}; views are written through their base table`);
  if (kind === 'scan' && !(shape.markers.some((k) => k.kind === 'token-lower') && shape.markers.some((k) => k.kind === 'token-upper'))) {
    src.fail(cqlPath, `scan ${quoted(opName)} needs both bounds: token(${baseDef.partitionKey.join(', ')}) > ? AND token(${baseDef.partitionKey.join(', ')}) <= ?`);
  }

  const markers: MarkerSpec[] = shape.markers.map((mk: MarkerTarget) => {
    if (mk.kind !== 'column') return { kind: mk.kind };
    const col = def.columns.find((c) => c.name === mk.column);
    if (!col) throwAt(at(mk.offset), `operation ${quoted(opName)}: ${quoted(mk.column)} is not a column of ${quoted(tname)}; ${suggestion(mk.column, def.columns.map((c) => c.name), 'one of')}`);
    if (!m.columns.some((c) => c.table === tname && c.column === mk.column)) {
      throwAt(at(mk.offset), `operation ${quoted(opName)} binds ${quoted(`${tname}.${mk.column}`)} (${col.type}), which has no default generator; give it one under columns: ${baseName}: ${mk.column}: (fixed or choice)`);
    }
    const role = baseDef.partitionKey.includes(mk.column) ? 'partition' : baseDef.clusteringKey.includes(mk.column) ? 'clustering' : col.isStatic ? 'static' : 'regular';
    return { kind: 'column', column: mk.column, role };
  });

  const notFor = (key: keyof RawOp, kinds: string[], what: string) => {
    if (op[key] !== undefined && !kinds.includes(kind)) src.fail([...base, key], `${key} applies to ${what}, and ${quoted(opName)} is a ${kind}`, 'key');
  };
  notFor('page_size', ['read', 'scan'], 'reads and scans');
  notFor('batch', ['write'], 'writes');
  notFor('batch_type', ['write'], 'writes');
  notFor('scan_ranges', ['scan'], 'scans');
  notFor('select', ['read'], 'reads');
  if (op.batch !== undefined && op.batch > 1 && baseDef.clusteringKey.length === 0) {
    src.fail([...base, 'batch'], `a batch writes several rows of one partition, and ${quoted(baseName)} has no clustering columns (one row per partition)`);
  }
  let select: Distribution | undefined;
  if (op.select !== undefined) {
    if (op.select === 'uniform') select = undefined;
    else {
      const r = parseDistribution(op.select, 'number', model.partitions);
      if (!r.ok || r.value.kind !== 'zipf') src.fail([...base, 'select'], `select must be 'uniform' or 'zipf(s)' (hot partitions), got ${describe(op.select)}`);
      select = { kind: 'zipf', n: model.partitions, s: r.value.s };
    }
  }

  const spec: OperationSpec = {
    name: opName,
    cql: op.cql,
    consistency: op.consistency ?? 'LOCAL_QUORUM',
    idempotent: op.idempotent ?? kind !== 'write',
    kind,
    pos: src.pos(base, 'key'),
    table: baseName,
    markers,
  };
  if (view) spec.view = tname;
  if (op.serial_consistency) spec.serialConsistency = op.serial_consistency;
  if (op.page_size !== undefined) spec.pageSize = op.page_size;
  if (op.batch !== undefined) {
    spec.batchRows = op.batch;
    spec.batchType = op.batch_type ?? 'unlogged';
  } else if (op.batch_type !== undefined) {
    src.fail([...base, 'batch_type'], 'batch_type needs batch: N (rows per batch)', 'key');
  }
  if (kind === 'scan') spec.scanRanges = op.scan_ranges ?? 64;
  if (select) spec.select = select;
  return spec;
}
