import { describe, expect, it } from 'vitest';
import { AgentClient, AgentServer, type ClientInstrumentation, defineAgent, memoryConnector, type ServerInstrumentation, type Transport } from '../src/index.js';
import { transportSymbol } from '../src/index.transport.js';

/** A transport that counts what passes through it and forwards everything else. */
function counting(inner: Transport, seen: { in: number; out: number }): Transport {
  const outer: Transport = {
    [transportSymbol]: true,
    kind: inner.kind,
    maxFrameBytes: inner.maxFrameBytes,
    get bufferedAmount() {
      return inner.bufferedAmount;
    },
    get open() {
      return inner.open;
    },
    onframe: undefined,
    onclose: undefined,
    start: () => inner.start(),
    send: (frame) => {
      seen.out += frame.byteLength;
      inner.send(frame);
    },
    close: (code, reason) => inner.close(code, reason),
  };
  inner.onframe = (frame) => {
    seen.in += frame.byteLength;
    outer.onframe?.(frame);
  };
  inner.onclose = (info) => outer.onclose?.(info);
  return outer;
}

describe('instrumentation hooks', () => {
  it('a server serves the transport its connection hook returns; a client sends every call through its invoke hook', async () => {
    const agent = defineAgent({ name: 'hooks', tools: { trace: { handler: (_args, ctx) => ctx.traceparent ?? null } } });
    const seen = { in: 0, out: 0, connections: 0 };
    const serverHooks: ServerInstrumentation = {
      connection: (transport, info) => {
        seen.connections++;
        expect(info.transport).toBe('memory');
        return counting(transport, seen);
      },
    };
    const calls: string[] = [];
    const clientHooks: ClientInstrumentation = {
      invoke(tool, options, send) {
        calls.push(tool);
        return send({ ...options, traceparent: options.traceparent ?? '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
      },
    };
    const server = new AgentServer(agent, { instrumentation: serverHooks });
    const client = new AgentClient({ connect: memoryConnector(server), instrumentation: clientHooks });
    await client.connect();
    expect((await client.invoke('trace').result).value).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    const given = '00-11111111111111111111111111111111-2222222222222222-01';
    expect((await client.invoke('trace', {}, { traceparent: given }).result).value).toBe(given);
    await client.join('room-1');
    expect(calls).toEqual(['trace', 'trace', 'asp.join']);
    expect(seen.connections).toBe(1);
    // HELLO + three INVOKEs in; HELLO reply + three COMPLETEs out, at least a header each.
    expect(seen.in).toBeGreaterThan(4 * 12);
    expect(seen.out).toBeGreaterThan(4 * 12);
    await client.close();
    server.close();
  });

  it('a call routed to another agent (`to`) carries its traceparent to the agent that serves it', async () => {
    const server = new AgentServer(defineAgent({ name: 'router' }));
    const seen: Array<string | undefined> = [];
    const b = new AgentClient({ connect: memoryConnector(server), name: 'b', tools: { where: { handler: (_args, ctx) => seen.push(ctx.traceparent) } } });
    const a = new AgentClient({ connect: memoryConnector(server), name: 'a' });
    await b.connect();
    await a.connect();
    const tp = '00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01';
    await a.invokeAgent('b', 'where', {}, { traceparent: tp }).result;
    await a.invokeAgent('b', 'where', {}).result;
    expect(seen).toEqual([tp, undefined]);
    await a.close();
    await b.close();
    server.close();
  });
});
