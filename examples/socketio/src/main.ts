// An agent over Socket.IO. The client half (`@agentsocket/socketio`) needs only socket.io-client;
// the server half (`@agentsocket/socketio/server`) needs socket.io. Exits non-zero if a step fails.
import { AgentClient, AgentServer, defineAgent, ProtocolError, tool } from '@agentsocket/core';
import { socketIoConnector } from '@agentsocket/socketio';
import { socketIoServer } from '@agentsocket/socketio/server';

const agent = defineAgent({
  name: 'counter',
  tools: {
    count: tool({
      description: 'Counts up to n, one chunk per number',
      input: { type: 'object', properties: { n: { type: 'integer', minimum: 1 } }, required: ['n'], additionalProperties: false },
      async *handler({ n }) {
        for (let i = 1; i <= Number(n); i++) yield i;
        return 'done';
      },
    }),
  },
});

const server = await socketIoServer({ agentServer: new AgentServer(agent), port: 0, host: '127.0.0.1' });
const client = new AgentClient({ connect: socketIoConnector({ url: `http://127.0.0.1:${server.port}` }) });
try {
  await client.connect();
  const call = client.invoke('count', { n: 5 });
  const chunks: unknown[] = [];
  for await (const chunk of call) chunks.push(chunk);
  console.log('chunks:', chunks, 'result:', (await call.result).value);
  check(JSON.stringify(chunks) === '[1,2,3,4,5]', 'five chunks in order');

  // Mistakes come back as sentences: a typo in the tool name, an argument the schema forbids.
  const typo = await client.invoke('cuont', { n: 1 }).result.catch((e: unknown) => e);
  console.log('typo:', typo instanceof Error ? typo.message : typo);
  check(typo instanceof ProtocolError && typo.code === 404 && typo.message.includes('did you mean "count"?'), 'an unknown tool names the closest one');
  const extra = await client.invoke('count', { n: 1, days: 3 }).result.catch((e: unknown) => e);
  console.log('extra:', extra instanceof Error ? extra.message : extra);
  check(extra instanceof ProtocolError && extra.message === 'invalid arguments for "count": unexpected property "days" at /', 'a bad argument reads as a sentence');
} finally {
  await client.close();
  await server.close(); // closes the AgentServer and the HTTP server it created: the process exits
}

function check(ok: boolean, what: string): void {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) process.exitCode = 1;
}
