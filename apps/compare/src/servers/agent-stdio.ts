/** Child process entry: the agent as an MCP server on stdio, through the bridge (spawned by the MCP client). */
import { benchAgent } from '@agentsocket/bench-kit/servers';
import { serveAgentOverStdio } from '@agentsocket/mcp';

await serveAgentOverStdio(benchAgent());
