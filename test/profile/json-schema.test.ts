/**
 * docs/schemas/*.schema.json are generated from the zod schemas; this keeps them in step.
 * Regenerate with SB_UPDATE_SCHEMAS=1 npx vitest run test/profile/json-schema.test.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { profileJsonSchema, workloadJsonSchema } from '../../src/profile/json-schema.js';

const files = { 'docs/schemas/profile.schema.json': profileJsonSchema, 'docs/schemas/workload.schema.json': workloadJsonSchema };

describe('published JSON Schemas', () => {
  for (const [file, make] of Object.entries(files)) {
    it(`${file} matches the loader's schema`, () => {
      const text = `${JSON.stringify(make(), null, 2)}\n`;
      if (process.env.SB_UPDATE_SCHEMAS === '1') writeFileSync(file, text);
      expect(readFileSync(file, 'utf8')).toBe(text);
    });
  }
});
