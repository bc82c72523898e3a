/** The profile room's public surface: loading, generators, keying, and the types. */
export { loadProfile, type ProfileOverrides } from './load.js';
export { loadWorkload, resolveWorkload } from './workload.js';
export { FlagError, InputError, ProfileError, closest, editDistance, printable, quoted, suggestion } from './errors.js';
export {
  BASE_TIME_MS, GeneratorError, compileGenerator, compileSampler, defaultGenerator, distMax, distMin,
  generatorName, literalToCql, type GenFn, type Sampler,
} from './generators.js';
export {
  MAX_PARTITIONS, MAX_ROWS_PER_PARTITION, cellIndex, compileKeying, readRowOf, rowOf, rowsSampler,
  type Keying, type RowRef,
} from './keying.js';
export { analyzeStatement, parseCqlType, parseSchemaStatement, splitStatements, CqlShapeError } from './cql.js';
export { DEFAULT_CQL_PORT, parseHosts, parseTarget, type Endpoint, type TargetChoice } from './target.js';
export { MAX_FILE_BYTES, MAX_NESTING, WORKERS_PER_CORE, checkWorkers, workerLimit } from './limits.js';
export { forFlag, parseCount, parseDurationMs, parseRateOpsPerSec, parseRatio, parseSizeBytes, type Parsed } from './units.js';
export { profileJsonSchema, workloadJsonSchema } from './json-schema.js';
export type * from './types.js';
export { CDC_LAG_OP } from './types.js';
