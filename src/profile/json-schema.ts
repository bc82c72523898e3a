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

export function workloadJsonSchema(): Json {
  return generate(workloadSchema, 'workload.schema.json', 'scylla-bench workload (workloads/*.yaml)');
}
