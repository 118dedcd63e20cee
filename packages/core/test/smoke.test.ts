import { describe, expect, it } from 'vitest';
import { AgentClient, AgentServer, defineAgent, memoryConnector, tool } from '../src/index.js';

describe('smoke', () => {
  it('invokes, streams, pushes TOOL_DEF and asks the client back', async () => {
    const agent = defineAgent({
      name: 'smoke',
      tools: {
        echo: tool({
          input: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
          async *handler(args, ctx) {
            yield 'a';
            yield 'b';
            const answer = await ctx.invokePeer<string>('ask', { q: 'why?' }).result;
            ctx.defineTool('late', { handler: () => 'late!' });
            return { echoed: args['text'], answer: answer.value };
          },
        }),
      },
    });
    const server = new AgentServer(agent);
    const client = new AgentClient({
      connect: memoryConnector(server),
      tools: { ask: { handler: (a) => `because ${JSON.stringify(a)}` } },
    });
    await client.connect();
    expect(client.tools.map((t) => t.name)).toEqual(['echo']);
    const call = client.invoke('echo', { text: 'hi' });
    const chunks: unknown[] = [];
    for await (const c of call) chunks.push(c);
    const r = await call.result;
    expect(chunks).toEqual(['a', 'b']);
    expect(r.value).toEqual({ echoed: 'hi', answer: 'because {"q":"why?"}' });
    expect(client.tools.map((t) => t.name)).toContain('late');
    expect((await client.invoke('late').result).value).toBe('late!');
    await expect(client.invoke('echo', {}).result).rejects.toMatchObject({ code: 422 });
    await client.close();
    server.close();
  });
});
