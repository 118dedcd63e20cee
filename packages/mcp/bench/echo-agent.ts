import { type Agent, defineAgent } from '@agentsocket/core';
import { mcpHttpServer, serveAgentOverStdio } from '../src/index.js';

/** The same echo tool as an Agent Socket agent. */
export function echoAgent(): Agent {
  return defineAgent({
    name: 'agent-echo',
    tools: {
      echo: {
        description: 'Returns its text',
        input: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
        handler: (args) => args['text'],
      },
    },
  });
}

if (process.argv.includes('--stdio')) await serveAgentOverStdio(echoAgent());
if (process.argv.includes('--http')) console.log((await mcpHttpServer(echoAgent())).url);
