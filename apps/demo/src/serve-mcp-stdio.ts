import { serveAgentOverStdio } from '@agentsocket/mcp';
import { createResearchAgent } from './agent.js';

/** The demo agent as an MCP server on stdin/stdout (spawned by `--transport mcp-stdio`). */
await serveAgentOverStdio(createResearchAgent({ tokenDelayMs: Number(process.env['TOKEN_DELAY_MS'] ?? 4) }));
