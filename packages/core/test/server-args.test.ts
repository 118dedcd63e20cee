import { describe, expect, it } from 'vitest';
import { AgentServer, defineAgent, tool } from '../src/index.js';

describe('new AgentServer(agent)', () => {
  const agent = defineAgent({ name: 'a', tools: { echo: tool({ handler: (args: Record<string, unknown>) => args }) } });

  it('refuses what is not an agent, at once and saying what it got', () => {
    expect(() => new AgentServer({ agent } as never)).toThrow(/AgentServer takes the agent made by defineAgent\(\) as its first argument, got an object with keys agent/);
    expect(() => new AgentServer(undefined as never)).toThrow(/got undefined/);
  });

  it('takes an agent', () => {
    const server = new AgentServer(agent);
    expect(server.agent.name).toBe('a');
    server.close();
  });
});
