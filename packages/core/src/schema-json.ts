import { Validator } from '@cfworker/json-schema';
import { compileFastCheck } from './schema-fast.js';
import { describeSchemaErrors } from './schema-messages.js';
import type { JsonSchema, ValidationResult } from './schema.js';

/** Validates a value against one compiled JSON Schema. */
export type JsonSchemaCheck = (value: unknown) => ValidationResult;

/**
 * JSON Schema (draft 2020-12) validation: @cfworker/json-schema, with a fast yes-check in front and
 * its errors said as sentences. Loaded by compileSchema() on first use (schema.ts), never imported
 * statically, so bundles that never validate a JSON Schema do not carry it.
 */
export function compileJsonSchema(schema: JsonSchema): JsonSchemaCheck {
  const validator = new Validator(schema, '2020-12', false);
  // Most calls are valid and most schemas simple: a quick yes first, the full validator otherwise.
  const fast = compileFastCheck(schema);
  return (value) => {
    if (fast?.(value)) return { ok: true, value };
    const result = validator.validate(value);
    if (result.valid) return { ok: true, value };
    return { ok: false, message: describeSchemaErrors(result.errors, value) };
  };
}
