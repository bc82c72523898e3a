/**
 * docs/schemas/result.schema.json, generated from the zod schema `readResult` validates with
 * (src/results/schema.ts), as the profile schemas are generated from theirs: the published
 * schema cannot drift from what the reader accepts. Rewritten by
 * `SB_UPDATE_SCHEMAS=1 npx vitest run test/results/json-schema.test.ts`, compared on every run.
 */
import { z } from 'zod';
import { RESULT_SCHEMA_ID, resultSchema } from './schema.js';

export function resultJsonSchema(): Record<string, unknown> {
  const json = z.toJSONSchema(resultSchema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
  const { $schema, ...rest } = json;
  return { $schema, $id: 'https://github.com/scylla-bench/scylla-bench/schemas/result.schema.json', title: `scylla-bench result (${RESULT_SCHEMA_ID})`, ...rest };
}
