import { Validator } from '@cfworker/json-schema';
import type { SchemaOutput } from './infer.js';
import { compileFastCheck } from './schema-fast.js';
import { describeSchemaErrors } from './schema-messages.js';

/** The Standard Schema v1 interface (https://standardschema.dev), copied as its authors intend. */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
    /** Standard JSON Schema extension (zod ≥ 4.2, valibot, arktype). */
    readonly jsonSchema?: { readonly input: (options: { target: string }) => Record<string, unknown> };
  };
}

type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<{ readonly message: string; readonly path?: ReadonlyArray<unknown> }> };

/** A JSON Schema object (draft 2020-12). */
export type JsonSchema = Record<string, unknown>;

/** What a tool accepts as its input schema: plain JSON Schema, or any Standard Schema (zod, …). */
export type InputSchema = JsonSchema | StandardSchemaV1;

/** What a handler receives: the validated value (a Standard Schema's output type, or a JSON Schema literal's type). */
export type InferInput<S> = SchemaOutput<S>;

export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  return typeof value === 'object' && value !== null && '~standard' in value;
}

export type ValidationResult = { ok: true; value: unknown } | { ok: false; message: string };

export interface CompiledSchema {
  /** JSON Schema to announce on the wire. */
  readonly jsonSchema: JsonSchema;
  validate(value: unknown): ValidationResult | Promise<ValidationResult>;
}

export function compileSchema(schema: InputSchema | undefined): CompiledSchema {
  if (schema === undefined) {
    return { jsonSchema: { type: 'object' }, validate: (value) => ({ ok: true, value }) };
  }
  if (isStandardSchema(schema)) {
    const std = schema['~standard'];
    const json = std.jsonSchema?.input({ target: 'draft-2020-12' }) ?? { type: 'object' };
    return {
      jsonSchema: json,
      validate: async (value) => {
        const result = await std.validate(value);
        if (result.issues) {
          return { ok: false, message: result.issues.map((i) => formatIssue(i.message, i.path)).join('; ') };
        }
        return { ok: true, value: result.value };
      },
    };
  }
  const validator = new Validator(schema, '2020-12', false);
  // Most calls are valid and most schemas simple: a quick yes first, the full validator otherwise.
  const fast = compileFastCheck(schema);
  return {
    jsonSchema: schema,
    validate: (value) => {
      if (fast?.(value)) return { ok: true, value };
      const result = validator.validate(value);
      if (result.valid) return { ok: true, value };
      return { ok: false, message: describeSchemaErrors(result.errors, value) };
    },
  };
}

/** A Standard Schema issue in the same shape as JSON Schema's: the library's sentence, then `at /path`. */
function formatIssue(message: string, path: ReadonlyArray<unknown> | undefined): string {
  const keys = (path ?? []).map((p) => (typeof p === 'object' && p !== null && 'key' in p ? String(p.key) : String(p)));
  return `${message} at /${keys.map((k) => k.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;
}
