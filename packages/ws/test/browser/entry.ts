import { AgentClient, tool } from '@agentsocket/core/client';
import { wsConnector } from '@agentsocket/ws';

/** Runs in the page: connects with a token in HELLO, streams, and reports what it saw. */
async function run(url: string, token: string): Promise<string> {
  const client = new AgentClient({ connect: wsConnector({ url }), token, reconnect: false });
  const info = await client.connect();
  const call = client.invoke('tokens', { text: 'streamed into a browser' });
  const chunks: unknown[] = [];
  for await (const chunk of call) chunks.push(chunk);
  const result = (await call.result).value;
  const who = (await client.invoke('whoami').result).value;
  await client.close();
  return JSON.stringify({ chunks, result, who, sessionId: info.sessionId });
}

/**
 * A client tool with a JSON Schema, which the server's `clarify` invokes: the JSON Schema validator
 * is a chunk of its own, loaded when the tool is defined.
 */
async function runWithSchema(url: string, token: string): Promise<string> {
  const client = new AgentClient({
    connect: wsConnector({ url }),
    token,
    reconnect: false,
    tools: {
      question: tool({
        input: { type: 'object', properties: { q: { type: 'string', minLength: 5 } }, required: ['q'], additionalProperties: false },
        handler: (args) => `the blue one, to "${String(args['q'])}"`,
      }),
    },
  });
  await client.connect();
  const result = (await client.invoke('clarify').result).value;
  await client.close();
  return JSON.stringify({ result });
}

Reflect.set(globalThis, 'aspBrowserTest', run);
Reflect.set(globalThis, 'aspBrowserSchemaTest', runWithSchema);
