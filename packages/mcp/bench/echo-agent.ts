import { benchAgent } from '@agentsocket/bench-kit';
import { mcpHttpServer, serveAgentOverStdio } from '../src/index.js';

/** The bench kit's agent (the same echo tool as the bare server) behind the bridge. */
if (process.argv.includes('--stdio')) await serveAgentOverStdio(benchAgent());
if (process.argv.includes('--http')) console.log((await mcpHttpServer(benchAgent())).url);
