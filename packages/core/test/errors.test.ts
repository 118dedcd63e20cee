import { describe, expect, it } from 'vitest';
import { AgentClient, AgentServer, defineAgent, ErrorCode, memoryConnector, tool } from '../src/index.js';

const agent = defineAgent({
  name: 'planner',
  tools: {
    plan: tool({
      input: { type: 'object', properties: { goal: { type: 'string' } }, required: ['goal'], additionalProperties: false },
      handler: ({ goal }) => `plan for ${String(goal)}`,
    }),
    research: tool({ handler: () => 'notes' }),
  },
});

describe('errors a user reads', () => {
  it('invoke() before connect() says NOT_CONNECTED', () => {
    const server = new AgentServer(agent);
    const client = new AgentClient({ connect: memoryConnector(server) });
    expect(() => client.invoke('plan', { goal: 'x' })).toThrow(expect.objectContaining({ code: 'NOT_CONNECTED', message: expect.stringContaining('connect()') }));
    server.close();
  });

  it('an unknown tool names the closest tools and lists what exists', async () => {
    const server = new AgentServer(agent);
    const client = new AgentClient({ connect: memoryConnector(server) });
    await client.connect();
    await expect(client.invoke('plna').result).rejects.toMatchObject({
      code: ErrorCode.TOOL_NOT_FOUND,
      message: 'no tool named "plna"; did you mean "plan"? tools: plan, research',
    });
    await client.close();
    server.close();
  });

  it('bad arguments read as a sentence naming the tool and the place', async () => {
    const server = new AgentServer(agent);
    const client = new AgentClient({ connect: memoryConnector(server) });
    await client.connect();
    await expect(client.invoke('plan', { goal: 'x', days: 3 }).result).rejects.toMatchObject({
      code: ErrorCode.INVALID_ARGUMENTS,
      message: 'invalid arguments for "plan": unexpected property "days" at /',
    });
    await expect(client.invoke('plan', {}).result).rejects.toMatchObject({
      code: ErrorCode.INVALID_ARGUMENTS,
      message: 'invalid arguments for "plan": missing required property "goal" at /',
    });
    await client.close();
    server.close();
  });
});
