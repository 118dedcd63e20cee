// An agent over WebSocket: a tool that streams, asks the caller a question mid-call (full
// duplex) and announces a new tool mid-session, called from a client typed from the agent.
// Run: npm start. Exits non-zero if a step fails.
import { AgentClient, AgentServer, defineAgent, tool } from '@agentsocket/core';
import { wsConnector, wsServer } from '@agentsocket/ws';

const agent = defineAgent({
  name: 'assistant',
  tools: {
    research: tool({
      description: 'Research a topic',
      input: { type: 'object', properties: { topic: { type: 'string' } }, required: ['topic'] },
      async *handler({ topic }, ctx) {
        yield `looking into ${topic}…`; // topic: string, read from the schema
        const answer = await ctx.invokePeer('clarify', { question: 'Which one?' }).result; // full duplex
        ctx.defineTool('follow_up', { handler: () => 'more' }); // TOOL_DEF, mid-session
        return { topic, answer: answer.value };
      },
    }),
  },
});

// 127.0.0.1 and port 0: local only, on a free port.
const server = await wsServer({ agentServer: new AgentServer(agent), port: 0, host: '127.0.0.1' });
// Typed from the agent: tool names, arguments, chunks and results are checked by the compiler.
const client = new AgentClient<typeof agent>({
  connect: wsConnector({ url: `ws://127.0.0.1:${server.address()?.port}/asp` }),
  tools: { clarify: { handler: () => 'the animal' } },
});
client.on('reconnecting', ({ attempt, delayMs, cause }) => console.warn(`retry ${attempt} in ${delayMs} ms: ${cause.message}`));
try {
  await client.connect(); // retries a failed attempt with backoff (connectAttempts, default 5)
  const call = client.invoke('research', { topic: 'jaguar' }); // client.invoke('reserch') would not compile
  const chunks: string[] = [];
  for await (const chunk of call) {
    console.log('chunk:', chunk);
    chunks.push(chunk);
  }
  const { value } = await call.result;
  console.log('result:', value);
  check(chunks.length === 1 && chunks[0] === 'looking into jaguar…', 'the handler streamed its chunk');
  check(value.topic === 'jaguar' && value.answer === 'the animal', 'the agent got the answer to its question');
  check(client.tools.some((t) => t.name === 'follow_up'), 'the tool defined mid-session was announced');
  const anyTool: AgentClient = client; // a tool announced at run time is not in the agent's type
  check((await anyTool.invoke('follow_up').result).value === 'more', 'the new tool answers');
} finally {
  // Close both ends: the process then exits on its own, with nothing left running.
  await client.close();
  await server.close();
}

function check(ok: boolean, what: string): void {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) process.exitCode = 1;
}
