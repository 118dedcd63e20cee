import { AgentSocketError, ErrorCode as AspCode, ProtocolError, wireCodeOf } from '@agentsocket/core';
import { type CallToolResult, ErrorCode as McpCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { META } from './meta.js';

/**
 * How ASP wire errors and MCP errors map onto each other. The table is in docs/transports/mcp.md;
 * each function here implements one column of it.
 */

/**
 * What the bridge refuses as a protocol error before any handler runs (an unknown tool): a
 * JSON-RPC error. Invalid arguments are not one (SEP-1303): they go through toolErrorToMcp.
 */
export function requestErrorToMcp(error: ProtocolError): McpError {
  const rpc = error.code === AspCode.TIMEOUT ? McpCode.RequestTimeout : McpCode.InvalidParams;
  return forWire(new McpError(rpc, error.message, { [META.errorCode]: error.code }));
}

/**
 * What an agent's handler threw, or arguments that fail the tool's schema, as MCP wants errors
 * that come from a tool: a result with `isError`, so the model can read it. The ASP code rides
 * along in `_meta`.
 */
export function toolErrorToMcp(error: unknown): CallToolResult {
  if (error instanceof McpError) throw forWire(error); // already MCP's own (e.g. URL elicitation required)
  const code = wireCodeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  return { content: [{ type: 'text', text: message }], isError: true, _meta: { [META.errorCode]: code } };
}

/** Turns a rejected MCP request (JSON-RPC error, timeout, closed connection) into an ASP wire error. */
export function mcpErrorToAsp(error: unknown): ProtocolError {
  if (error instanceof ProtocolError) return error;
  if (error instanceof AgentSocketError) return new ProtocolError(wireCodeOf(error), error.message, { cause: error });
  if (!(error instanceof McpError)) {
    return new ProtocolError(AspCode.HANDLER_ERROR, error instanceof Error ? error.message : String(error), { cause: error });
  }
  const message = stripPrefix(error.message);
  const carried = carriedCode(error.data);
  return new ProtocolError(carried ?? aspCodeFor(error.code, message), message, {
    data: { mcpCode: error.code },
    cause: error,
  });
}

/** Turns a tool result with `isError` into an ASP wire error, recovering the code where one was kept. */
export function toolErrorToAsp(result: CallToolResult): ProtocolError {
  const text = result.content
    .map((c) => (c.type === 'text' ? c.text : ''))
    .filter((t) => t.length > 0)
    .join('\n');
  const carried = carriedCode(result._meta);
  if (carried !== undefined) return new ProtocolError(carried, text || 'tool failed');
  // The SDK's McpServer reports unknown tools and bad arguments as results reading "MCP error <code>: …".
  const match = /^MCP error (-?\d+): ([\s\S]*)$/.exec(text);
  if (match?.[1] !== undefined && match[2] !== undefined) {
    const message = stripPrefix(match[2]);
    return new ProtocolError(aspCodeFor(Number(match[1]), message), message, { data: { mcpCode: Number(match[1]) } });
  }
  return new ProtocolError(AspCode.HANDLER_ERROR, text || 'tool failed', { data: { content: result.content } });
}

function aspCodeFor(mcpCode: number, message: string): number {
  switch (mcpCode) {
    case McpCode.InvalidParams:
      return /not found|unknown tool|disabled/i.test(message) ? AspCode.TOOL_NOT_FOUND : AspCode.INVALID_ARGUMENTS;
    case McpCode.MethodNotFound:
      return AspCode.TOOL_NOT_FOUND;
    case McpCode.RequestTimeout:
      return AspCode.TIMEOUT;
    case McpCode.ConnectionClosed:
      return AspCode.UNAVAILABLE;
    default:
      return AspCode.HANDLER_ERROR;
  }
}

function carriedCode(meta: unknown): number | undefined {
  if (typeof meta !== 'object' || meta === null || !(META.errorCode in meta)) return undefined;
  const code: unknown = Reflect.get(meta, META.errorCode);
  return typeof code === 'number' && Number.isInteger(code) && code >= 400 && code < 600 ? code : undefined;
}

/**
 * McpError's message reads "MCP error <code>: …", the SDK sends that message as is, and the
 * receiving SDK prefixes it again; the code travels separately, so the wire gets the bare text.
 */
function forWire(error: McpError): McpError {
  error.message = stripPrefix(error.message);
  return error;
}

/** The SDK prefixes "MCP error <code>: " once per hop; the code travels separately. */
function stripPrefix(message: string): string {
  return message.replace(/^(MCP error -?\d+: )+/, '');
}
