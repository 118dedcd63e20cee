import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import type { InputSchema, StandardSchemaV1 } from './schema.js';

/**
 * Types read from schemas, for typed handlers and typed clients. A Standard Schema (zod, …) gives
 * its own input/output types; a JSON Schema literal (written inline in `tool()`, or `as const`)
 * gives the type json-schema-to-ts's `FromSchema` infers. Anything else (a schema typed as a plain
 * object, or no schema) gives `Fallback`.
 */
export type SchemaInput<S, Fallback = Record<string, unknown>> = [S] extends [StandardSchemaV1<infer I, unknown>] ? I : JsonSchemaType<S, Fallback>;

/** The type a schema produces once validated: a Standard Schema's output type (after transforms). */
export type SchemaOutput<S, Fallback = Record<string, unknown>> = [S] extends [StandardSchemaV1<unknown, infer O>] ? O : JsonSchemaType<S, Fallback>;

type JsonSchemaType<S, Fallback> = [InputSchema] extends [S]
  ? Fallback // no schema: the constraint itself was inferred
  : string extends keyof S
    ? Fallback // a schema typed as Record<string, unknown>: nothing literal to read
    : [S] extends [JSONSchema]
      ? FromSchema<S>
      : Fallback; // a literal whose `type` widened to string (not inline, not `as const`)

/** What a handler returned: its return type as written (a generator, a promise or a value). */
type Returned<D> = D extends { handler(args: never, ctx: never): infer R } ? R : unknown;

/** The type of a tool's STREAM chunks: what its async generator yields (`never` when it does not stream). */
export type ToolChunk<D> = Returned<D> extends infer R ? (R extends AsyncIterable<infer C> ? C : never) : never;

/**
 * The type of a tool's COMPLETE result: the type of its output schema when it declares one,
 * otherwise what its handler returns (a generator's return value, a promise's value).
 */
export type ToolResult<D> = D extends { output?: infer O } ? (DeclaresSchema<O> extends true ? SchemaOutput<Exclude<O, undefined>, unknown> : HandlerResult<Returned<D>>) : HandlerResult<Returned<D>>;

/** Whether an `output` (or `input`) property's type is a schema, not absent nor the wide `InputSchema`. */
type DeclaresSchema<O> = [O] extends [undefined] ? false : unknown extends O ? false : [InputSchema] extends [Exclude<O, undefined>] ? false : true;

type HandlerResult<R> = R extends AsyncGenerator<unknown, infer Result, never> ? Result : R extends AsyncIterable<unknown> ? unknown : Awaited<R>;

/** The arguments a tool's caller passes: the input type of its input schema. */
export type ToolArgs<D> = D extends { input?: infer S } ? (unknown extends S ? Record<string, unknown> : SchemaInput<Exclude<S, undefined>>) : Record<string, unknown>;
