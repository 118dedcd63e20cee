import { AgentClient, defineAgent, tool } from '@agentsocket/core';
import { functionHandler } from '@agentsocket/function';
import { serveFunction } from '@agentsocket/function/node';
import { wsConnector, wsServer } from '@agentsocket/ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Relay } from '../src/index.js';
import { SECRET } from './fixtures.js';

let release: () => void = () => {};
const gate = new Promise<void>((resolve) => {
  release = resolve;
});
let holding = 0;

const agent = defineAgent({
  name: 'busy',
  tools: {
    hold: tool({
      async *handler() {
        holding++;
        yield 'holding';
        await gate;
        return 'released';
      },
    }),
    echo: tool({ handler: (args) => args }),
  },
});

const closers: Array<() => Promise<void>> = [];
let url = '';

beforeAll(async () => {
  const fn = await serveFunction(functionHandler(agent, { secret: SECRET }));
  const relay = await Relay.start({ function: { url: fn.url, secret: SECRET } });
  const endpoint = await wsServer({ agentServer: relay.server, port: 0, host: '127.0.0.1' });
  url = endpoint.url ?? '';
  closers.push(async () => {
    relay.server.close();
    await endpoint.close();
    await relay.close();
    await fn.close();
  });
});
afterAll(async () => {
  release();
  for (const c of closers) await c();
});

describe('many long calls at once', () => {
  it('a short call is not queued behind 150 streaming calls that hold their connections', async () => {
    const clients = await Promise.all(
      [0, 1, 2].map(async () => {
        const c = new AgentClient({ connect: wsConnector({ url }) });
        await c.connect();
        closers.unshift(() => c.close());
        return c;
      }),
    );
    const calls = clients.flatMap((c) => Array.from({ length: 50 }, () => c.invoke('hold', {})));
    await expect.poll(() => holding, { timeout: 20_000 }).toBe(150);
    expect((await clients[0]?.invoke('echo', { quick: true }).result)?.value).toEqual({ quick: true });
    release();
    const results = await Promise.all(calls.map((c) => c.result));
    expect(results.every((r) => r.value === 'released')).toBe(true);
  });
});
