import { parseArgs } from 'node:util';
import { AgentServer } from '@agentsocket/core';
import { wsServer } from '@agentsocket/ws';
import { createResearchAgent } from './agent.js';

/** Serves the demo agent over ws until stopped, for peers written in other languages. */
const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    port: { type: 'string', default: '8080' },
    host: { type: 'string', default: '127.0.0.1' },
    token: { type: 'string' },
  },
});
const token = values.token;
const agentServer = new AgentServer(createResearchAgent(), {
  ...(token === undefined ? {} : { authenticate: (t: string | undefined) => (t === token ? { id: 'peer' } : undefined) }),
});
const server = await wsServer({ agentServer, port: Number(values.port), host: values.host });
console.log(`listening ${server.url}`);
const stop = () => void server.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
