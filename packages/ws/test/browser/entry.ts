import { AgentClient } from '@agentsocket/core';
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

Reflect.set(globalThis, 'aspBrowserTest', run);
