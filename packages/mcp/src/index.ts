export { AgentMcpServer, type AgentMcpServerOptions, createAgentMcpServer } from './agent-mcp-server.js';
export { createMcpHttpHandler, type McpHttpHandler, type McpHttpHandlerOptions, type McpHttpServer, type McpHttpServerOptions, mcpHttpServer } from './http.js';
export { serveAgentOverStdio, type StdioServeOptions } from './stdio.js';
export { fromCallToolResult, type ResultShape, toCallToolResult } from './content.js';
export { elicitationUnsupported, type ElicitationPlan, planElicitation } from './elicitation.js';
export { mcpErrorToAsp, requestErrorToMcp, toolErrorToAsp, toolErrorToMcp } from './error-map.js';
export { McpBridgeError, type McpBridgeErrorCode } from './errors.js';
export { META, MCP_RPC_TOOL } from './meta.js';
export { OrderedTransport, orderedTransport } from './ordered-transport.js';
