import type { SchemaOutput } from './infer.js';
import type { JsonSchemaCheck } from './schema-json.js';

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
  // The JSON Schema validator is loaded on first use, so a browser client that declares no such
  // tool does not carry it; it starts loading now, so the first call usually finds it there.
  let check = jsonSchemaModule?.compileJsonSchema(schema);
  const ready = check ? undefined : loadJsonSchemaModule().then((m) => (check ??= m.compileJsonSchema(schema)));
  ready?.catch(() => {}); // a failure to load is reported by the validate() that needed it
  return {
    jsonSchema: schema,
    validate: (value) => (check ? check(value) : (ready as Promise<JsonSchemaCheck>).then((loaded) => loaded(value))),
  };
}

let jsonSchemaModule: typeof import('./schema-json.js') | undefined;
let jsonSchemaLoading: Promise<typeof import('./schema-json.js')> | undefined;

function loadJsonSchemaModule(): Promise<typeof import('./schema-json.js')> {
  jsonSchemaLoading ??= import('./schema-json.js').then((m) => (jsonSchemaModule = m));
  return jsonSchemaLoading;
}

/** A Standard Schema issue in the same shape as JSON Schema's: the library's sentence, then `at /path`. */
function formatIssue(message: string, path: ReadonlyArray<unknown> | undefined): string {
  const keys = (path ?? []).map((p) => (typeof p === 'object' && p !== null && 'key' in p ? String(p.key) : String(p)));
  return `${message} at /${keys.map((k) => k.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;
}
