import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AgentClient, ProtocolError } from '@agentsocket/core';
import { encodeRelayFrame, FRAMES_CONTENT_TYPE, RelayFrameType, relayCodec } from '@agentsocket/function';
import { wsConnector, wsServer } from '@agentsocket/ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Relay } from '../src/index.js';

const json = relayCodec('json');
const chunk = (data: unknown) => encodeRelayFrame({ type: RelayFrameType.CHUNK, data }, json);
const result = (value: unknown) => encodeRelayFrame({ type: RelayFrameType.RESULT, result: value, metrics: { durationMs: 1, cpuMs: 0.5, chunks: 0 } }, json);

/** Requests the misbehaving function saw aborted by the relay, by tool. */
const aborted = new Set<string>();

/** A function that answers each tool with one kind of bad answer (the tool name says which). */
const behaviours: Record<string, (res: ServerResponse, req: IncomingMessage) => void> = {
  ok: (res) => res.writeHead(200, { 'content-type': FRAMES_CONTENT_TYPE }).end(Buffer.concat([chunk('a'), result('fine')])),
  status500: (res) => res.writeHead(500, { 'content-type': 'text/plain' }).end('boom: the function crashed'),
  status404: (res) => res.writeHead(404).end(),
  wrongType: (res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>hello</html>'),
  garbage: (res) => res.writeHead(200, { 'content-type': FRAMES_CONTENT_TYPE }).end('hello, these are not frames'),
  badPayload: (res) => res.writeHead(200, { 'content-type': FRAMES_CONTENT_TYPE }).end(Buffer.from([0x04, 0, 0, 0, 2, 0x7b, 0x7d])),
  noTerminal: (res) => res.writeHead(200, { 'content-type': FRAMES_CONTENT_TYPE }).end(chunk('only a chunk')),
  truncated: (res) => res.writeHead(200, { 'content-type': FRAMES_CONTENT_TYPE }).end(Buffer.concat([chunk('x'), chunk('cut').subarray(0, 7)])),
  midStream: (res) => {
    res.writeHead(200, { 'content-type': FRAMES_CONTENT_TYPE });
    res.write(chunk('before the cut'));
    setTimeout(() => res.socket?.destroy(), 50);
  },
  hang: (res, req) => {
    res.writeHead(200, { 'content-type': FRAMES_CONTENT_TYPE });
    res.write(chunk('started'));
    res.on('close', () => {
      if (!res.writableFinished) aborted.add('hang');
    });
    void req;
  },
  huge: (res) => {
    res.writeHead(200, { 'content-type': FRAMES_CONTENT_TYPE });
    res.end(Buffer.from([0x01, 0x02, 0, 0, 0])); // a CHUNK of 32 MiB, refused from its header
  },
  afterTerminal: (res) => res.writeHead(200, { 'content-type': FRAMES_CONTENT_TYPE }).end(Buffer.concat([result('first'), Buffer.from('trailing garbage')])),
};

let fn: Server;
let relay: Relay;
let unreachableRelay: Relay;
let url: string;
let unreachableUrl: string;
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  fn = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (p: Buffer) => parts.push(p));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(parts).toString('utf8')) as { tool: string };
      behaviours[body.tool]?.(res, req);
    });
  });
  await new Promise<void>((resolve) => fn.listen(0, '127.0.0.1', resolve));
  const port = (fn.address() as AddressInfo).port;
  const manifest = { agent: { name: 'bad' }, tools: Object.keys(behaviours).map((name) => ({ name })) };
  relay = await Relay.start({ function: { url: `http://127.0.0.1:${port}/`, secret: 's', timeoutMs: 1500 }, manifest });
  const endpoint = await wsServer({ agentServer: relay.server, port: 0, host: '127.0.0.1' });
  url = endpoint.url ?? '';
  // A relay whose function is not listening at all.
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const closedPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  unreachableRelay = await Relay.start({ function: { url: `http://127.0.0.1:${closedPort}/`, secret: 's' }, manifest });
  const endpoint2 = await wsServer({ agentServer: unreachableRelay.server, port: 0, host: '127.0.0.1' });
  unreachableUrl = endpoint2.url ?? '';
  closers.push(async () => {
    relay.server.close();
    unreachableRelay.server.close();
    await endpoint.close();
    await endpoint2.close();
    await relay.close();
    await unreachableRelay.close();
    fn.closeAllConnections();
    await new Promise<void>((resolve) => fn.close(() => resolve()));
  });
});
afterAll(async () => {
  for (const c of closers) await c();
});

async function client(at = url): Promise<AgentClient> {
  const c = new AgentClient({ connect: wsConnector({ url: at }) });
  await c.connect();
  closers.unshift(() => c.close());
  return c;
}

async function failure(c: AgentClient, tool: string): Promise<{ error: unknown; chunks: unknown[] }> {
  const call = c.invoke(tool, {});
  const chunks: unknown[] = [];
  const error = await (async () => {
    for await (const x of call) chunks.push(x);
    await call.result;
  })().then(
    () => undefined,
    (e: unknown) => e,
  );
  return { error, chunks };
}

describe('a function that misbehaves: the client gets one clear ERROR, everything else keeps working', () => {
  it.each([
    ['status500', 502, /function answered HTTP 500: boom: the function crashed/],
    ['status404', 502, /function answered HTTP 404/],
    ['wrongType', 502, /content-type text\/html, expected application\/vnd\.agentsocket\.relay-frames/],
    ['garbage', 502, /bad frame: unknown frame type 0x68/],
    ['badPayload', 502, /bad frame: bad frame type 0x04/],
    ['noTerminal', 502, /closed the answer before its terminal frame/],
    ['truncated', 502, /closed the answer inside a frame/],
    ['midStream', 502, /function (answer broke off|closed the answer)/],
    ['hang', 504, /did not finish within 1500 ms/],
    ['huge', 413, /frame of 33554432 bytes, over the limit of 16777216/],
  ] as const)('%s → ERROR %i', async (tool, code, message) => {
    const c = await client();
    const other = await client();
    const { error, chunks } = await failure(c, tool);
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error).toMatchObject({ code });
    expect((error as ProtocolError).message).toMatch(message);
    if (tool === 'midStream') expect(chunks).toEqual(['before the cut']);
    if (tool === 'hang') await expect.poll(() => aborted.has('hang'), { timeout: 10_000 }).toBe(true);
    // The same connection and another one still work.
    expect((await c.invoke('ok', {}).result).value).toBe('fine');
    expect((await other.invoke('ok', {}).result).value).toBe('fine');
  });

  it('reads nothing after the terminal frame', async () => {
    const c = await client();
    expect((await c.invoke('afterTerminal', {}).result).value).toBe('first');
    expect((await c.invoke('ok', {}).result).value).toBe('fine');
  });

  it('passes the function’s cpuMs on in COMPLETE metrics', async () => {
    const c = await client();
    const r = await c.invoke('ok', {}, { metrics: true }).result;
    expect(r.metrics.cpuMs).toBe(0.5);
    expect(r.metrics.chunks).toBe(1);
  });

  it('an unreachable function → ERROR 502 naming the cause; HELLO was answered anyway', async () => {
    const c = await client(unreachableUrl);
    const { error } = await failure(c, 'ok');
    expect(error).toMatchObject({ code: 502 });
    expect((error as ProtocolError).message).toMatch(/function unreachable: .*ECONNREFUSED/);
  });
});
