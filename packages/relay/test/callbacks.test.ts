import { AgentClient, defineAgent, type TeamMessage, tool } from '@agentsocket/core';
import { encodeRelayFrame, functionHandler, type RelayCallbacks, RelayFrameReader, RelayFrameType, relayCodec, relayContext } from '@agentsocket/function';
import { serveFunction } from '@agentsocket/function/node';
import { wsConnector, wsServer } from '@agentsocket/ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Relay } from '../src/index.js';
import { SECRET } from './fixtures.js';

/** Callback APIs handed out to handlers, kept by the test to use after the call ended. */
const kept: RelayCallbacks[] = [];

const agent = defineAgent({
  name: 'cb',
  tools: {
    keep: tool({
      handler: (_args, ctx) => {
        const callbacks = relayContext(ctx)?.callbacks;
        if (callbacks) kept.push(callbacks);
        return ctx.sessionId;
      },
    }),
    remember: tool({
      input: { type: 'object', properties: { value: { type: 'string' } }, required: ['value'] },
      handler: (args, ctx) => {
        relayContext(ctx)?.setState(String(args.value));
        return 'stored';
      },
    }),
    recall: tool({ handler: (_args, ctx) => relayContext(ctx)?.state ?? null }),
    described: tool({
      description: 'a tool with every ToolInfo field',
      title: 'Described tool',
      annotations: { readOnlyHint: true },
      output: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] },
      handler: () => ({ n: 1 }),
    }),
  },
});

let relay: Relay;
let wsUrl: string;
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  const fn = await serveFunction(functionHandler(agent, { secret: SECRET }));
  relay = await Relay.start({ function: { url: fn.url, secret: SECRET } });
  const endpoint = await wsServer({ agentServer: relay.server, port: 0, host: '127.0.0.1' });
  wsUrl = endpoint.url ?? '';
  closers.push(async () => {
    relay.server.close();
    await endpoint.close();
    await relay.close();
    await fn.close();
  });
});
afterAll(async () => {
  for (const c of closers) await c();
});

async function client(tools: ConstructorParameters<typeof AgentClient>[0]['tools'] = {}): Promise<{ client: AgentClient; cid: string }> {
  const c = new AgentClient({ connect: wsConnector({ url: wsUrl }), tools });
  const info = await c.connect();
  closers.unshift(() => c.close());
  return { client: c, cid: info.sessionId };
}

function post(cid: string, action: string, body: unknown, token?: string, type = 'application/json'): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': type };
  if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
  return fetch(new URL(`connections/${cid}/${action}`, relay.callbackUrl), { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

const nextMessage = (c: AgentClient) => new Promise<TeamMessage>((resolve) => c.on('message', resolve));

describe('the callback API (docs/relay.md §5)', () => {
  it('a handler’s callbacks work after its call ended: MESSAGE, TOOL_DEF and an invoke on the client, in order', async () => {
    const { client: c, cid } = await client({ clarify: { handler: (args: { question?: string }) => `answer to ${args.question}` } });
    kept.length = 0;
    expect((await c.invoke('keep', {}).result).value).toBe(cid);
    const callbacks = kept[0];
    if (!callbacks) throw new Error('the handler got no callback API');
    const events: string[] = [];
    c.on('message', (m) => events.push(`message:${m.event}:${JSON.stringify(m.data)}`));
    c.on('tools', (tools) => events.push(`tools:${tools.map((t) => t.name).includes('pushed')}`));
    await Promise.all([callbacks.sendMessage('one', 1), callbacks.pushTools([{ name: 'pushed', description: 'from a callback' }]), callbacks.sendMessage('two', 2)]);
    await expect.poll(() => events.length, { timeout: 10_000 }).toBe(3);
    expect(events).toEqual(['message:one:1', 'tools:true', 'message:two:2']);
    const answer = await callbacks.invoke<string>('clarify', { question: 'which jaguar?' }).result;
    expect(answer.value).toBe('answer to which jaguar?');
  });

  it('serves the function’s tools with every ToolInfo field (title, annotations, output schema)', async () => {
    const { client: c } = await client();
    const described = c.tools.find((t) => t.name === 'described');
    expect(described).toMatchObject({
      title: 'Described tool',
      annotations: { readOnlyHint: true },
      outputSchema: { type: 'object', required: ['n'] },
    });
    expect((await c.invoke('described', {}).result).value).toEqual({ n: 1 });
  });

  it('refreshTools() reads GET /tools again and announces what changed to connected clients', async () => {
    const { client: c } = await client();
    const events: string[][] = [];
    c.on('tools', (tools) => events.push(tools.map((t) => t.name)));
    const seen = new Promise<string[]>((resolve) => c.on('tools', (tools) => resolve(tools.map((t) => t.name))));
    agent.addTool('deployed_later', { handler: () => 'new code' });
    try {
      await relay.refreshTools();
      expect(await seen).toContain('deployed_later');
      // Only the change is announced: unchanged tools are neither withdrawn nor announced again.
      expect(events).toHaveLength(1);
      expect(events[0]).toContain('described');
      expect((await c.invoke('deployed_later', {}).result).value).toBe('new code');
      const gone = new Promise<string[]>((resolve) => c.on('tools', (tools) => resolve(tools.map((t) => t.name))));
      agent.removeTool('deployed_later');
      await relay.refreshTools();
      expect(await gone).not.toContain('deployed_later');
    } finally {
      agent.removeTool('deployed_later');
    }
  });

  it('keeps per-connection state set by one call for the next (STATE frame)', async () => {
    const { client: c } = await client();
    expect((await c.invoke('recall', {}).result).value).toBe(null);
    await c.invoke('remember', { value: 'step=2' }).result;
    expect((await c.invoke('recall', {}).result).value).toBe('step=2');
    const { client: other } = await client();
    expect((await other.invoke('recall', {}).result).value).toBe(null);
  });

  it('streams a client tool’s answer back as frames, in the request’s codec', async () => {
    const { cid } = await client({
      spell: {
        async *handler(args: { word?: string }) {
          for (const ch of String(args.word)) yield ch;
          return 'spelled';
        },
      },
    });
    const { token } = relay.callbackToken(cid);
    const mp = relayCodec('msgpack');
    const res = await fetch(new URL(`connections/${cid}/invoke`, relay.callbackUrl), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/msgpack' },
      body: mp.encode({ tool: 'spell', args: { word: 'abc' } }),
    });
    expect(res.status).toBe(200);
    const reader = new RelayFrameReader(mp);
    const frames = [];
    for await (const bytes of res.body ?? []) frames.push(...reader.push(bytes));
    expect(frames.map((f) => (f.type === RelayFrameType.CHUNK ? f.data : f.type === RelayFrameType.RESULT ? f.result : f.type))).toEqual(['a', 'b', 'c', 'spelled']);
  });

  it('refuses a missing, malformed, forged or expired token with 401 and a foreign one with 403; nothing reaches the client', async () => {
    const { client: c, cid } = await client();
    const { cid: otherCid } = await client();
    const seen: string[] = [];
    c.on('message', (m) => seen.push(m.event));
    const missing = await post(cid, 'messages', { event: 'x' });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await post(cid, 'messages', { event: 'x' }, 'garbage')).status).toBe(401);
    const valid = relay.callbackToken(cid).token;
    const forged = valid.slice(0, -4) + (valid.endsWith('0000') ? '1111' : '0000');
    expect((await post(cid, 'messages', { event: 'x' }, forged)).status).toBe(401);
    expect((await post(cid, 'messages', { event: 'x' }, relay.callbackToken(cid, Date.now() - 3_600_000).token)).status).toBe(401);
    const foreign = await post(cid, 'messages', { event: 'x' }, relay.callbackToken(otherCid).token);
    expect(foreign.status).toBe(403);
    expect(await foreign.json()).toEqual({ error: { code: 403, message: 'the token is for another connection' } });
    // A valid push afterwards is the only thing the client ever sees.
    const delivered = nextMessage(c);
    expect((await post(cid, 'messages', { event: 'valid' }, valid)).status).toBe(204);
    expect((await delivered).event).toBe('valid');
    expect(seen).toEqual(['valid']);
  });

  it('answers 413 for an oversized body, 415 for another type, 400 for a bad body, 404/405 for other requests', async () => {
    const { cid } = await client();
    const { token } = relay.callbackToken(cid);
    expect((await post(cid, 'messages', { event: 'big', data: 'x'.repeat(2 * 1024 * 1024) }, token)).status).toBe(413);
    expect((await post(cid, 'messages', { event: 'x' }, token, 'text/plain')).status).toBe(415);
    expect((await post(cid, 'messages', '{not json', token)).status).toBe(400);
    expect((await post(cid, 'messages', { event: 7 }, token)).status).toBe(400);
    expect((await post(cid, 'state', { state: 7 }, token)).status).toBe(400);
    expect((await post(cid, 'nope', {}, token)).status).toBe(404);
    expect((await fetch(new URL(`connections/${cid}/messages`, relay.callbackUrl))).status).toBe(405);
  });

  it('answers 410 once the connection is gone, and close ends a session', async () => {
    const { client: c, cid } = await client();
    const { token } = relay.callbackToken(cid);
    const closed = new Promise<void>((resolve) => c.on('disconnect', () => resolve()));
    const ended = new Promise<void>((resolve) => relay.server.on('sessionEnd', (info) => info.id === cid && resolve()));
    expect((await post(cid, 'close', { reason: 'done here' }, token)).status).toBe(204);
    await ended;
    await closed;
    expect(relay.server.peerOf(cid)).toBeUndefined();
    const gone = await post(cid, 'messages', { event: 'late' }, token);
    expect(gone.status).toBe(410);
    expect((await post(cid, 'tools', { tools: [] }, token)).status).toBe(410);
    // Other connections are untouched.
    const { client: other } = await client();
    expect((await other.invoke('recall', {}).result).value).toBe(null);
  });

  it('frames in the answer body use the request codec (sanity check of the encoder used above)', () => {
    const mp = relayCodec('msgpack');
    const bytes = encodeRelayFrame({ type: RelayFrameType.CHUNK, data: 'a' }, mp);
    expect([...bytes]).toEqual([1, 0, 0, 0, 2, 0xa1, 0x61]);
  });
});
