/**
 * `_meta` keys the bridge adds to MCP messages so a round trip (agent → MCP → mounted agent)
 * loses nothing. Peers that do not know them ignore them, as MCP requires of unknown `_meta`.
 */
export const META = {
  /** On `notifications/progress`: the STREAM chunk itself, as the agent yielded it. */
  chunk: 'io.agentsocket/chunk',
  /** On a tool result with `isError` and in JSON-RPC error `data`: the ASP wire error code. */
  errorCode: 'io.agentsocket/error-code',
} as const;

/** The tool name Agent Socket reserves for MCP JSON-RPC carried over an ASP session. */
export const MCP_RPC_TOOL = 'mcp.rpc';
