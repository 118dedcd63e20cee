// Agent teams over WebSocket: agents of one namespace (/team-alpha) join a room, broadcast to it,
// send each other private messages and call each other's tools through the server.
// Exits non-zero if a step fails.
import { AgentClient, AgentServer, defineAgent, type TeamMessage } from '@agentsocket/core';
import { wsConnector, wsServer } from '@agentsocket/ws';

// The server's own agent serves no tools here: the team members serve each other.
const server = await wsServer({ agentServer: new AgentServer(defineAgent({ name: 'hub', tools: {} })), port: 0, host: '127.0.0.1' });
const url = `ws://127.0.0.1:${server.address()?.port}/asp`;

/** A member of /team-alpha; workers serve a `summarize` tool to the others. */
async function member(name: string): Promise<{ client: AgentClient; inbox: TeamMessage[] }> {
  const client = new AgentClient({
    connect: wsConnector({ url }),
    namespace: '/team-alpha',
    name,
    tools: { summarize: { handler: (args) => `${name} summarized ${JSON.stringify(args)}` } },
  });
  const inbox: TeamMessage[] = [];
  client.on('message', (m) => inbox.push(m));
  await client.connect();
  return { client, inbox };
}

const lead = await member('lead');
const w1 = await member('worker-1');
const w2 = await member('worker-2');
try {
  await w1.client.join('workers');
  await w2.client.join('workers');
  check(JSON.stringify((await lead.client.members('workers')).sort()) === '["worker-1","worker-2"]', 'both workers are in the room');

  const reached = await lead.client.broadcast('work-available', { batch: 7 }, { room: 'workers' });
  await until(() => w1.inbox.length === 1 && w2.inbox.length === 1);
  check(reached === 2 && w1.inbox[0]?.from === 'lead', 'a room broadcast reached both workers');

  await lead.client.send('worker-2', 'assign', { task: 't-1' });
  await until(() => w2.inbox.length === 2);
  check(w2.inbox[1]?.event === 'assign' && w1.inbox.length === 1, 'a private message reached worker-2 only');

  const summary = await lead.client.invokeAgent<string>('worker-1', 'summarize', { doc: 'spec' }).result;
  console.log('worker-1 answered:', summary.value);
  check(summary.value === 'worker-1 summarized {"doc":"spec"}', 'one agent called another agent’s tool');
} finally {
  await Promise.all([lead.client.close(), w1.client.close(), w2.client.close()]);
  await server.close();
}

/** Waits for messages to arrive (they travel through the server), for at most 30 s. */
async function until(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for messages');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function check(ok: boolean, what: string): void {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) process.exitCode = 1;
}
