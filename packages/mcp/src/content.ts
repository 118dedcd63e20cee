import { type CallToolResult, CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';

/**
 * An agent's return value as an MCP tool result: a string is one text block, anything else its JSON
 * text, and a plain object is also `structuredContent`. A value that already is a CallToolResult
 * (a `content` array of MCP content blocks) passes unchanged, so an agent can return images.
 */
export function toCallToolResult(value: unknown): CallToolResult {
  if (typeof value === 'string') return { content: [{ type: 'text', text: value }] };
  if (value === undefined) return { content: [] };
  if (isPlainObject(value)) {
    if (Array.isArray(value['content'])) {
      const parsed = CallToolResultSchema.safeParse(value);
      if (parsed.success) return parsed.data;
    }
    return { content: [{ type: 'text', text: toJson(value) }], structuredContent: value };
  }
  return { content: [{ type: 'text', text: toJson(value) }] };
}

/** What a mounted MCP tool's result becomes as an ASP result. */
export type ResultShape = 'value' | 'result';

/**
 * An MCP tool result as an ASP result. `value`: `structuredContent` if present, else the text of a
 * single text block, else the whole result. `result`: the CallToolResult as it came.
 */
export function fromCallToolResult(result: CallToolResult, shape: ResultShape): unknown {
  if (shape === 'result') return result;
  if (result.structuredContent !== undefined) return result.structuredContent;
  const only = result.content.length === 1 ? result.content[0] : undefined;
  if (only?.type === 'text') return only.text;
  if (result.content.length === 0) return null;
  return result;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function toJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value); // cycles and BigInt have no JSON form
  }
}
