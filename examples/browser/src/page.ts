// Runs in the browser. Bundlers pick @agentsocket/ws's browser build (the `browser` export
// condition): the platform's WebSocket, no `ws`, no Node built-ins.
import { AgentClient } from '@agentsocket/core/client';
import { wsConnector } from '@agentsocket/ws';

const out = document.getElementById('out');

async function main(): Promise<string> {
  const client = new AgentClient({
    connect: wsConnector({ url: `ws://${location.host}/asp` }),
    tools: { whereAreYou: { handler: () => navigator.userAgent } },
  });
  await client.connect();
  const call = client.invoke('greet', { name: 'browser' });
  const chunks: unknown[] = [];
  for await (const chunk of call) chunks.push(chunk);
  const { value } = await call.result;
  await client.close();
  return JSON.stringify({ chunks, value });
}

main().then(
  (text) => {
    if (out) out.textContent = text;
    document.title = 'done';
  },
  (error: unknown) => {
    if (out) out.textContent = `error: ${error instanceof Error ? error.message : String(error)}`;
    document.title = 'failed';
  },
);
