import { describe, expect, it } from 'vitest';
import { AgentClient, AgentServer, type Connector, CloseCode, defineAgent, idempotent, MemoryDedupStore, memoryConnector, tool } from '../src/index.js';

/** A promise and its resolve, for handlers that wait on the test. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe('exactly-once an application can trust', () => {
  it('a caller retries with its own message id after a timeout: one run, the first outcome', async () => {
    let runs = 0;
    const release = gate();
    const server = new AgentServer(
      defineAgent({
        name: 'shop',
        tools: {
          order: tool({
            async handler(args) {
              runs++;
              await release.promise;
              return { ordered: args['item'], run: runs };
            },
          }),
        },
      }),
    );
    const client = new AgentClient({ connect: memoryConnector(server) });
    await client.connect();
    const options = { delivery: 'exactly-once' as const, messageId: 'order-42:v1' };
    const first = client.invoke('order', { item: 'tea' }, { ...options, timeoutMs: 30 });
    await expect(first.result).rejects.toMatchObject({ code: 'TIMEOUT' });
    // The retry finds the first run still going and waits for its outcome.
    const retry = client.invoke('order', { item: 'tea' }, options);
    release.open();
    expect((await retry.result).value).toEqual({ ordered: 'tea', run: 1 });
    // Later, another session of the same caller: the recorded outcome again.
    const other = new AgentClient({ connect: memoryConnector(server) });
    await other.connect();
    expect((await other.invoke('order', { item: 'tea' }, options).result).value).toEqual({ ordered: 'tea', run: 1 });
    expect(runs).toBe(1);
    await client.close();
    await other.close();
    server.close();
  });

  it('refuses a message id outside the documented alphabet and length', async () => {
    const server = new AgentServer(defineAgent({ name: 'x', tools: { echo: tool({ handler: () => 'ok' }) } }));
    const client = new AgentClient({ connect: memoryConnector(server) });
    await client.connect();
    for (const bad of ['', 'has space', 'ü', 'x'.repeat(129), 'a/b']) {
      await expect(client.invoke('echo', {}, { messageId: bad }).result).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    }
    expect((await client.invoke('echo', {}, { messageId: `${'A'.repeat(120)}-_.:~az` }).result).value).toBe('ok');
    await client.close();
    server.close();
  });

  it('does not run again a handler that finished after its session expired (it ignored the abort)', async () => {
    let runs = 0;
    const aborted = gate();
    const release = gate();
    const server = new AgentServer(
      defineAgent({
        name: 'slow',
        tools: {
          work: tool({
            async handler(_args, ctx) {
              runs++;
              ctx.signal.addEventListener('abort', aborted.open, { once: true });
              await release.promise;
              return 'done once';
            },
          }),
        },
      }),
      { sessionTtlMs: 50 },
    );
    const toServer = memoryConnector(server);
    let reachable = true;
    const connect: Connector = (signal) => (reachable ? toServer(signal) : Promise.reject(new Error('network down')));
    const client = new AgentClient({ connect, reconnect: { initialMs: 5, maxMs: 20 } });
    await client.connect();
    const fresh = new Promise<boolean>((resolve) => client.on('connect', (i) => resolve(i.resumed)));
    const call = client.invoke('work', {}, { delivery: 'exactly-once' });
    await expect.poll(() => runs).toBe(1);
    reachable = false;
    await Promise.all([...toServer.serverEnds].map((t) => t.close(CloseCode.GOING_AWAY, 'network down')));
    // The session expires while the handler runs: its signal fires, and it finishes anyway.
    await aborted.promise;
    release.open();
    reachable = true;
    expect(await fresh).toBe(false);
    // Re-sent on the new session with the same message id: the recorded outcome, no second run.
    expect((await call.result).value).toBe('done once');
    expect(runs).toBe(1);
    await client.close();
    server.close();
  });

  it('ctx.once runs a side effect once per message id, however often the handler runs', async () => {
    let charges = 0;
    let runs = 0;
    const server = new AgentServer(
      defineAgent({
        name: 'pay',
        tools: {
          pay: tool({
            async handler(_args, ctx) {
              runs++;
              const receipt = await ctx.once('charge', async () => ({ receipt: ++charges, message: ctx.messageId }));
              // A second effect under the same key, in the same run, is the same effect.
              expect(await ctx.once('charge', () => 'not run')).toEqual(receipt);
              return receipt;
            },
          }),
        },
      }),
    );
    const client = new AgentClient({ connect: memoryConnector(server) });
    await client.connect();
    // At-least-once re-sent with the same id: the handler runs twice, the charge happens once.
    const a = await client.invoke('pay', {}, { messageId: 'pay-1' }).result;
    const b = await client.invoke('pay', {}, { messageId: 'pay-1' }).result;
    expect(a.value).toEqual({ receipt: 1, message: 'pay-1' });
    expect(b.value).toEqual(a.value);
    expect([runs, charges]).toEqual([2, 1]);
    expect((await client.invoke('pay', {}, { messageId: 'pay-2' }).result).value).toEqual({ receipt: 2, message: 'pay-2' });
    await client.close();
    server.close();
  });

  it('idempotent() records nothing when the effect throws, so a retry runs it', async () => {
    const store = new MemoryDedupStore();
    let tries = 0;
    const flaky = async () => {
      tries++;
      if (tries === 1) throw new Error('card declined');
      return 'charged';
    };
    await expect(idempotent(store, 'k', flaky)).rejects.toThrow('card declined');
    expect(await idempotent(store, 'k', flaky)).toBe('charged');
    expect(await idempotent(store, 'k', flaky)).toBe('charged');
    expect(tries).toBe(2);
  });
});
