import { describe, expect, it } from 'vitest';
import {
  AgentServer,
  type AgentServerOptions,
  defineAgent,
  memoryConnector,
  tool,
} from '../src/index.js';
import { encodeFrame, FrameType, PROTOCOL_VERSION } from '../src/index.transport.js';
import { encodeClientHello, msgpackCodec } from '../src/index.internal.js';

/** A server that got `n` connection-level ERROR frames (each one an `error` event before the limit). */
async function flood(n: number, options: AgentServerOptions): Promise<{ server: AgentServer; errors: Error[] }> {
  const server = new AgentServer(defineAgent({ name: 'e', tools: { ok: tool({ handler: () => 1 }) } }), options);
  const errors: Error[] = [];
  server.on('error', (e) => errors.push(e));
  const transport = await memoryConnector(server)(new AbortController().signal);
  const replied = new Promise<void>((resolve) => {
    transport.onframe = () => resolve();
  });
  transport.start();
  const hello = { versions: [PROTOCOL_VERSION], codecs: ['msgpack'], maxFrame: 1 << 20, heartbeatMs: 30_000, maxInflight: 8 };
  transport.send(encodeFrame(FrameType.HELLO, 0, 0, encodeClientHello(hello)));
  await replied;
  const codec = msgpackCodec();
  for (let i = 0; i < n; i++) transport.send(encodeFrame(FrameType.ERROR, 0, 0, codec.encode({ code: 400, message: `bad ${i}` })));
  return { server, errors };
}

async function until(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('error events', () => {
  it('emits at most `max` per interval, then one summary with the count', async () => {
    const { server, errors } = await flood(50, { errorEvents: { max: 5, intervalMs: 300 } });
    await until(() => errors.length >= 5, 'the first errors');
    expect(errors.map((e) => e.message)).toEqual(['bad 0', 'bad 1', 'bad 2', 'bad 3', 'bad 4']);
    await until(() => errors.length === 6, 'the summary');
    expect(errors[5]).toMatchObject({ name: 'AgentSocketError', code: 'ERRORS_SUPPRESSED', message: expect.stringMatching(/^45 more errors in 300 ms/) });
    expect(errors[5]?.cause).toMatchObject({ message: 'bad 49' });
    server.close();
  });

  it('emits every error with errorEvents: false', async () => {
    const { server, errors } = await flood(50, { errorEvents: false });
    await until(() => errors.length === 50, 'every error');
    expect(errors.every((e) => e.name === 'ProtocolError')).toBe(true);
    server.close();
  });

  it('sums up what is held back when the server closes', async () => {
    const { server, errors } = await flood(30, {});
    await until(() => errors.length === 10, 'the default 10');
    server.close();
    expect(errors.length).toBe(11);
    expect(errors[10]).toMatchObject({ code: 'ERRORS_SUPPRESSED', message: expect.stringMatching(/^20 more errors/) });
  });
});
