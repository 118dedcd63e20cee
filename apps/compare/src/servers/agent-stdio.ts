/** Child process entry: the agent as an MCP server on stdio, through the bridge (spawned by the MCP client). */
import { serveAgentOverStdio } from '@agentsocket/mcp';
import { compareAgent } from '../agent.js';

await serveAgentOverStdio(compareAgent());
