import type { StandardSchemaV1 } from '@agentsocket/core';

type Args = Record<string, unknown>;

/**
 * A mounted tool's input schema: announces the MCP server's JSON Schema exactly as it came and
 * leaves validation to that server (the one source of truth; its errors come back as 422), checking
 * only that the arguments are an object, as MCP requires.
 */
export function mirroredSchema(jsonSchema: Record<string, unknown>): StandardSchemaV1<Args, Args> {
  return {
    '~standard': {
      version: 1,
      vendor: '@agentsocket/mcp',
      validate: (value) =>
        typeof value === 'object' && value !== null && !Array.isArray(value)
          ? { value: Object.fromEntries(Object.entries(value)) }
          : { issues: [{ message: 'arguments must be an object' }] },
      jsonSchema: { input: () => jsonSchema },
    },
  };
}

/**
 * A mounted tool's output schema, announced as it came and not checked again: the MCP server
 * already holds its results to it (its structuredContent is what the call's result becomes).
 */
export function announcedSchema(jsonSchema: Record<string, unknown>): StandardSchemaV1 {
  return {
    '~standard': {
      version: 1,
      vendor: '@agentsocket/mcp',
      validate: (value) => ({ value }),
      jsonSchema: { input: () => jsonSchema },
    },
  };
}
