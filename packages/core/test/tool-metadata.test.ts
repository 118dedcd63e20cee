import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AgentClient, AgentServer, defineAgent, ErrorCode, memoryConnector, tool } from '../src/index.js';
import { FrameType } from '../src/index.transport.js';
import { parseMessage } from '../src/index.internal.js';

const weatherOut = { type: 'object', properties: { tempC: { type: 'number' } }, required: ['tempC'] } as const;

function setup() {
  const agent = defineAgent({
    name: 'meta',
    tools: {
      weather: tool({
        title: 'Current weather',
        description: 'Reads the weather',
        annotations: { readOnlyHint: true, openWorldHint: true },
        input: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        output: weatherOut,
        handler: ({ city }) => (city === 'Nowhere' ? { tempC: 'cold' } : { tempC: 21.5 }),
      }),
      forecast: tool({
        output: z.object({ days: z.number() }),
        async *handler(args: Record<string, unknown>) {
          yield 'day 1';
          yield 'day 2';
          return args['bad'] ? { days: 'two' } : { days: 2 };
        },
      }),
    },
  });
  const server = new AgentServer(agent);
  const client = new AgentClient({ connect: memoryConnector(server), reconnect: false });
  return { agent, server, client };
}

describe('tool title, annotations and output schema', () => {
  it('are announced in the HELLO reply and by TOOL_DEF', async () => {
    const { agent, server, client } = setup();
    await client.connect();
    const weather = client.tools.find((t) => t.name === 'weather');
    expect(weather).toMatchObject({ title: 'Current weather', annotations: { readOnlyHint: true, openWorldHint: true }, outputSchema: weatherOut });
    expect(client.tools.find((t) => t.name === 'forecast')?.outputSchema).toMatchObject({ type: 'object', properties: { days: { type: 'number' } } });
    const announced = new Promise<void>((resolve) => client.on('tools', (t) => t.some((x) => x.name === 'wipe') && resolve()));
    agent.addTool('wipe', { title: 'Wipe', annotations: { destructiveHint: true, idempotentHint: true }, handler: () => 'wiped' });
    await announced;
    expect(client.tools.find((t) => t.name === 'wipe')).toMatchObject({ title: 'Wipe', annotations: { destructiveHint: true, idempotentHint: true } });
    await client.close();
    server.close();
  });

  it('a result that does not match the output schema ends the call with ERROR 500; a matching one completes', async () => {
    const { server, client } = setup();
    await client.connect();
    expect((await client.invoke('weather', { city: 'Oslo' }).result).value).toEqual({ tempC: 21.5 });
    await expect(client.invoke('weather', { city: 'Nowhere' }).result).rejects.toMatchObject({
      code: ErrorCode.HANDLER_ERROR,
      message: expect.stringMatching(/result of "weather" does not match its outputSchema/),
    });
    const good = client.invoke('forecast', {});
    const chunks: unknown[] = [];
    for await (const c of good) chunks.push(c);
    expect(chunks).toEqual(['day 1', 'day 2']);
    expect((await good.result).value).toEqual({ days: 2 });
    const bad = client.invoke('forecast', { bad: true });
    const badChunks: unknown[] = [];
    await expect(
      (async () => {
        for await (const c of bad) badChunks.push(c);
      })(),
    ).rejects.toMatchObject({ code: ErrorCode.HANDLER_ERROR });
    expect(badChunks).toEqual(['day 1', 'day 2']);
    await client.close();
    server.close();
  });

  it('are checked on the wire: hints are booleans, the output schema a map', () => {
    const toolDef = (t: unknown) => parseMessage(FrameType.TOOL_DEF, { id: 'x', tools: [t], removed: [] });
    expect(toolDef({ name: 'a', title: 'A', annotations: { readOnlyHint: false, custom: 1 }, outputSchema: { type: 'object' } })).toMatchObject({
      tools: [{ name: 'a', title: 'A', annotations: { readOnlyHint: false, custom: 1 }, outputSchema: { type: 'object' } }],
    });
    expect(() => toolDef({ name: 'a', annotations: { readOnlyHint: 'yes' } })).toThrow(/readOnlyHint must be a boolean/);
    expect(() => toolDef({ name: 'a', outputSchema: 'object' })).toThrow(/outputSchema/);
    expect(() => toolDef({ name: 'a', title: 5 })).toThrow(/title/);
  });
});
