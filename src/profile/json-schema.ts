/**
 * JSON Schemas of the profile and workload formats, generated from the zod schemas that
 * validate them (so the published schema cannot drift from what the loader accepts), plus
 * the few rules zod checks in code: a phase may be the word `schema`, a class has rate XOR
 * concurrency, a phase's classes are names or inline classes.
 * docs/schemas/*.schema.json are these, rewritten by `SB_UPDATE_SCHEMAS=1 npx vitest run
 * test/profile/json-schema.test.ts` and compared on every test run.
 */
import { z } from 'zod';
import { profileSchema, workloadSchema } from './schema.js';

const BASE = 'https://github.com/scylla-bench/scylla-bench/schemas';

type Json = Record<string, unknown>;

function generate(schema: z.ZodType, id: string, title: string): Json {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
  const { $schema, ...rest } = json;
  // top-level x-* keys are ignored by the loader (a place for anchors)
  rest.patternProperties = { '^x-': { description: 'ignored: a place for YAML anchors reused with <<: *name' } };
  return { $schema, $id: `${BASE}/${id}`, title, ...rest };
}

export function profileJsonSchema(): Json {
  const s = generate(profileSchema, 'profile.schema.json', 'scylla-bench profile (profiles/*.yaml)');
  const props = s.properties as Record<string, Json>;
  const cls = (props.classes.additionalProperties as Json);
  // rate (open loop) XOR concurrency (closed loop)
  cls.oneOf = [{ required: ['rate'], not: { required: ['concurrency'] } }, { required: ['concurrency'], not: { required: ['rate'] } }];
  s.$defs = { class: cls };
  props.classes.additionalProperties = { $ref: '#/$defs/class' };
  const phases = props.phases as Json;
  const phase = phases.items as Json;
  (phase.properties as Record<string, Json>).classes = {
    description: ((phase.properties as Record<string, Json>).classes.description as string),
    anyOf: [
      { type: 'array', items: { type: 'string' }, description: 'names of top-level classes' },
      { type: 'object', additionalProperties: { $ref: '#/$defs/class' }, description: 'inline classes' },
    ],
  };
  phases.items = { anyOf: [{ type: 'string', enum: ['schema'], description: "short for {kind: schema}" }, phase] };
  return s;
}

/** Generator forms (parsed in code, with the column type known): documented here. */
const GENERATOR: Json = {
  description: 'How a column is generated: a keyword, a distribution, a literal, a list (choice) or a map with gen:',
  anyOf: [
    { type: 'string', enum: ['key', 'uuid', 'timeuuid', 'now', 'text', 'blob'], description: 'key: the partition/row index mapped injectively into the type (default for key columns)' },
    { type: 'string', pattern: '^\\s*(fixed|seq|sequence|uniform|gaussian|normal|zipf|exponential|exp)\\s*\\(.*\\)\\s*$', description: 'a distribution: uniform(1, 100), gaussian(50, 10), zipf(1000, 1.1), exponential(20), sequence(0, 999)' },
    { type: ['number', 'boolean', 'null', 'string'], description: 'a constant' },
    { type: 'array', description: 'choice among these values, equally weighted' },
    {
      type: 'object',
      required: ['gen'],
      properties: {
        gen: { enum: ['text', 'blob', 'uuid', 'timeuuid', 'now', 'key', 'fixed', 'choice', 'dist', 'collection'] },
        length: { description: 'text: length distribution (sizes take units)' },
        alphabet: { type: 'string', description: 'text: characters to draw from' },
        size: { description: 'blob: size distribution; collection: element count' },
        value: { description: 'fixed: the value' },
        values: { type: ['array', 'object'], description: 'choice: a list, or a map value → weight' },
        weights: { type: 'array', items: { type: 'number', minimum: 0 } },
        dist: { description: 'dist: a distribution' },
      },
      additionalProperties: false,
    },
    {
      type: 'object',
      required: ['dist'],
      properties: {
        dist: { enum: ['fixed', 'seq', 'sequence', 'uniform', 'gaussian', 'normal', 'zipf', 'exponential', 'exp'] },
        value: {}, start: {}, end: {}, repeat: { type: 'integer', minimum: 1 }, min: {}, max: {}, mean: {}, stddev: {}, n: { type: 'integer', minimum: 1 }, s: { type: 'number', exclusiveMinimum: 0 },
      },
      additionalProperties: false,
    },
  ],
};

export function workloadJsonSchema(): Json {
  const s = generate(workloadSchema, 'workload.schema.json', 'scylla-bench workload (workloads/*.yaml)');
  const columns = (s.properties as Record<string, Json>).columns;
  (columns.additionalProperties as Json).additionalProperties = GENERATOR;
  return s;
}
