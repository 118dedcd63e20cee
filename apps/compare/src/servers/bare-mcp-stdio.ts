/** Child process entry: the bare SDK McpServer on stdio (spawned by the MCP client). */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { bareMcpServer } from '@agentsocket/bench-kit';

const server = bareMcpServer();
await server.connect(new StdioServerTransport());
// The SDK's stdio transport does not watch for end of input; the client closing the pipe means goodbye.
process.stdin.once('end', () => void server.close());
