import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { type Agent, AgentClient, AgentServer, type Call, defineAgent, memoryConnector, tool } from '../src/index.js';

// `@ts-expect-error` lines are checked by `tsc` (the package's typecheck script covers test/):
// if a line below stops being an error, the typecheck fails.

const sumInput = { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'], additionalProperties: false } as const;

const agent = defineAgent({
  name: 'typed',
  tools: {
    // A JSON Schema literal written `as const`; answers once.
    sum: tool({ input: sumInput, handler: ({ a, b }) => a + b }),
    // A JSON Schema literal written inline in tool() (no `as const` needed there); a promise.
    shout: tool({
      input: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
      handler: async ({ text }) => ({ loud: text.toUpperCase() }),
    }),
    // zod: the caller passes the schema's input type, the handler gets its output type.
    count: tool({
      input: z.object({ to: z.number().int(), label: z.string().default('n') }),
      async *handler({ to, label }) {
        for (let i = 1; i <= to; i++) yield { label, i };
        return `${label}:${to}` as const;
      },
    }),
    // An output schema gives the result type, whatever the handler is typed as.
    weather: tool({
      input: z.object({ city: z.string() }),
      output: { type: 'object', properties: { tempC: { type: 'number' } }, required: ['tempC'] },
      handler: (): unknown => ({ tempC: 21.5 }),
    }),
    // No input schema: any object, and the arguments may be left out.
    ping: tool({ handler: () => 'pong' }),
  },
});

function connect<A extends Agent>(served: Agent) {
  const server = new AgentServer(served);
  const client = new AgentClient<A>({ connect: memoryConnector(server), reconnect: false });
  return { server, client };
}

describe('AgentClient<typeof agent>', () => {
  it('types tool names, arguments, results and chunks from the agent', async () => {
    const { server, client } = connect<typeof agent>(agent);
    await client.connect();

    const sum = client.invoke('sum', { a: 2, b: 3 });
    expectTypeOf(sum).toEqualTypeOf<Call<number, never>>();
    expect((await sum.result).value).toBe(5);

    const shout = client.invoke('shout', { text: 'hi' });
    expectTypeOf(shout.result).resolves.toHaveProperty('value').toEqualTypeOf<{ loud: string }>();
    expect((await shout.result).value).toEqual({ loud: 'HI' });

    const count = client.invoke('count', { to: 2 }); // `label` has a default: optional for the caller
    const chunks: Array<{ label: string; i: number }> = [];
    for await (const chunk of count) {
      expectTypeOf(chunk).toEqualTypeOf<{ label: string; i: number }>();
      chunks.push(chunk);
    }
    expect(chunks).toEqual([
      { label: 'n', i: 1 },
      { label: 'n', i: 2 },
    ]);
    const counted = (await count.result).value;
    expectTypeOf(counted).toEqualTypeOf<`${string}:${number}`>();
    expect(counted).toBe('n:2');

    const weather = (await client.invoke('weather', { city: 'Oslo' }).result).value;
    expectTypeOf(weather).toEqualTypeOf<{ [x: string]: unknown; tempC: number }>();
    expect(weather.tempC).toBe(21.5);

    const pong = client.invoke('ping');
    expectTypeOf(pong.result).resolves.toHaveProperty('value').toEqualTypeOf<string>();
    expect((await pong.result).value).toBe('pong');

    await client.close();
    server.close();
  });

  it('rejects an unknown tool name and wrong arguments at compile time', async () => {
    const { server, client } = connect<typeof agent>(agent);
    await client.connect();
    // Each line compiles only because of its @ts-expect-error; at run time the server refuses it.
    const refused = [
      // @ts-expect-error a typo in the tool name
      client.invoke('summ', { a: 1, b: 2 }),
      // @ts-expect-error a string where the JSON Schema literal says number
      client.invoke('sum', { a: 'x', b: 2 }),
      // @ts-expect-error a required argument missing (JSON Schema literal)
      client.invoke('sum', { a: 1 }),
      // @ts-expect-error a property the JSON Schema literal forbids (additionalProperties: false)
      client.invoke('sum', { a: 1, b: 2, c: 3 }),
      // @ts-expect-error a string where the zod schema says number
      client.invoke('count', { to: 'two' }),
      // @ts-expect-error arguments are required when the schema requires a property
      client.invoke('count'),
    ];
    for (const call of refused) await expect(call.result).rejects.toMatchObject({ code: expect.any(Number) });
    // @ts-expect-error the result of `sum` is a number, not a string
    const wrong: string = (await client.invoke('sum', { a: 1, b: 1 }).result).value;
    expect(wrong).toBe(2);
    await client.close();
    server.close();
  });

  it('a typed client is still an AgentClient; an untyped one is unchanged', async () => {
    const { server, client } = connect<typeof agent>(agent);
    const plain: AgentClient = client; // code written for any client accepts a typed one
    expect(plain).toBe(client);
    const untyped = new AgentClient({ connect: memoryConnector(server), reconnect: false });
    await untyped.connect();
    // Any name and arguments; results and chunks are unknown unless the caller claims a type.
    expectTypeOf(untyped.invoke('sum', { a: 1, b: 2 })).toEqualTypeOf<Call<unknown, unknown>>();
    expectTypeOf(untyped.invoke<number>('sum', { a: 1, b: 2 })).toEqualTypeOf<Call<number>>();
    expectTypeOf(untyped.invoke).parameter(0).toEqualTypeOf<string>();
    expect((await untyped.invoke<number>('sum', { a: 1, b: 2 }).result).value).toBe(3);
    await expect(untyped.invoke('no-such-tool').result).rejects.toMatchObject({ code: 404 });
    await untyped.close();
    server.close();
  });
});
