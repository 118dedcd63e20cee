import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, describe, expect, it } from 'vitest';
import { orderedTransport } from '../src/index.js';
import { deferred, fixtureProcess } from './helpers.js';

describe('the demo agent (apps/demo), unchanged, over MCP stdio', () => {
  const client = new Client({ name: 'demo-host', version: '1.0.0' }, { capabilities: { elicitation: {} } });
  afterAll(() => client.close());

  it('streams research, asks its clarifying question as an elicitation with choices, announces follow_up', async () => {
    await client.connect(orderedTransport(new StdioClientTransport(fixtureProcess('demo-over-stdio.ts'))));
    const asked: unknown[] = [];
    client.setRequestHandler(ElicitRequestSchema, (request) => {
      asked.push(request.params);
      return { action: 'accept', content: { answer: 'the animal' } };
    });
    const listChanged = deferred();
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => listChanged.resolve());
    const tokens: string[] = [];
    const result = await client.callTool({ name: 'research', arguments: { topic: 'jaguar' } }, undefined, {
      onprogress: (p) => tokens.push(p.message ?? ''),
    });
    expect(asked).toEqual([
      expect.objectContaining({
        message: 'Which jaguar do you mean?',
        requestedSchema: expect.objectContaining({ properties: { answer: expect.objectContaining({ enum: ['the animal', 'the car maker'] }) } }),
      }),
    ]);
    expect(tokens.length).toBeGreaterThan(3);
    expect(result.structuredContent).toMatchObject({ topic: 'jaguar (the animal)', tokens: tokens.length - 1 });
    await listChanged.promise;
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('follow_up');
    const followUp = await client.callTool({ name: 'follow_up', arguments: { question: 'Where do they live?' } });
    expect(followUp.structuredContent).toMatchObject({ question: 'Where do they live?' });
  });
});
