import type { AgentServer, AgentServerOptions, Transport, TransportCloseInfo } from '@agentsocket/core';
import { encodeFrame, FrameType } from '@agentsocket/core/transport';
import { expect } from 'vitest';
import type { TransportFixture } from './fixture.js';
import { type Started, harness } from './harness.js';
import { until } from './util.js';

/** What one end of a connection saw, in order. */
export class Watched {
  readonly frames: Uint8Array[] = [];
  readonly closes: TransportCloseInfo[] = [];
  /** 'frame' and 'close', in the order the transport called onframe and onclose. */
  readonly events: Array<'frame' | 'close'> = [];

  constructor(
    readonly transport: Transport,
    readonly end: 'client' | 'server',
  ) {
    transport.onframe = (frame) => {
      this.frames.push(frame.slice());
      this.events.push('frame');
    };
    transport.onclose = (info) => {
      this.closes.push(info);
      this.events.push('close');
    };
  }

  /** Resolves with the first close once onclose has fired. */
  async closed(what = `onclose at the ${this.end} end`): Promise<TransportCloseInfo> {
    await until(() => this.closes.length > 0, what);
    return this.closes[0] as TransportCloseInfo;
  }

  async received(count: number, what = `${count} frames at the ${this.end} end`): Promise<void> {
    await until(() => this.frames.length >= count || this.closes.length > 0, what);
    if (this.frames.length < count) {
      throw new Error(`the ${this.end} end closed (${JSON.stringify(this.closes[0])}) after ${this.frames.length} of ${count} frames`);
    }
  }
}

/** Both ends of one connection, raw: no handshake, nothing of core above them. */
export interface Pair {
  readonly client: Watched;
  readonly server: Watched;
  /** The two ends as [sender, receiver] for one direction. */
  readonly directions: ReadonlyArray<readonly [Watched, Watched]>;
}

/**
 * A well-formed frame (8-byte header + payload), as core would hand to `send`: a STREAM with
 * request id `n` (< 65536), payload filled with `n`. Batching transports cut messages by headers,
 * so the suite never sends bytes that only look like frames, except in the rule 8 test.
 */
export function testFrame(n: number, payloadBytes: number): Uint8Array {
  return encodeFrame(FrameType.STREAM, 0, n, new Uint8Array(payloadBytes).fill(n & 0xff));
}

/** The request id of a frame built by testFrame (header bytes 2..3, big-endian). */
export function frameNumber(frame: Uint8Array): number {
  return new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint16(2);
}

/**
 * Connects raw transports through the fixture: the client end comes from `connector()`, the server
 * end is taken from `server.accept(transport, info)` before core sees it. Everything is closed after
 * the test.
 */
export function transportPairs(fixture: TransportFixture): (options?: { start?: boolean; server?: AgentServerOptions }) => Promise<Pair & { s: Started }> {
  const start = harness(fixture);
  return async (options = {}) => {
    const s = await start(options.server);
    const accepted = captureAccepts(s.handle.server);
    const client = await s.handle.connector()(new AbortController().signal);
    s.cleanup(() => client.close());
    const server = await Promise.race([
      accepted(),
      new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new Error('no connection reached server.accept() within 10 s: the fixture must hand every accepted connection to the AgentServer it returned')),
          10_000,
        ),
      ),
    ]);
    s.cleanup(() => server.close());
    const pair = {
      s,
      client: new Watched(client, 'client'),
      server: new Watched(server, 'server'),
      get directions() {
        return [
          [this.client, this.server],
          [this.server, this.client],
        ] as const;
      },
    };
    if (options.start !== false) {
      client.start();
      server.start();
      // One small frame each way first, as a HELLO exchange would: a server may hold a connection
      // to a small first message until then (ws's firstMessageBytes).
      await exchangeOne(pair.client, pair.server);
      await exchangeOne(pair.server, pair.client);
    }
    return pair;
  };
}

async function exchangeOne(from: Watched, to: Watched): Promise<void> {
  from.transport.send(testFrame(0, 4));
  await to.received(1, `a first frame from the ${from.end} end to the ${to.end} end`);
  to.frames.length = 0;
  to.events.length = 0;
}

/** Replaces `server.accept` so that connections come to the test instead of the handshake. */
function captureAccepts(server: AgentServer): () => Promise<Transport> {
  const ready: Transport[] = [];
  const waiting: Array<(t: Transport) => void> = [];
  server.accept = (transport) => {
    const waiter = waiting.shift();
    if (waiter) waiter(transport);
    else ready.push(transport);
  };
  return () => {
    const t = ready.shift();
    return t ? Promise.resolve(t) : new Promise((resolve) => waiting.push(resolve));
  };
}

/** Lets the network and the event loop run: `n` macrotask turns. */
export async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Waits `ms` of real time (the network may need it), then `turns(2)`. */
export async function settle(ms = 50): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  await turns(2);
}

/** Runs `body` with uncaught exceptions and unhandled rejections caught, and returns them. */
export async function catchEscapes(body: () => Promise<void>): Promise<unknown[]> {
  const escaped: unknown[] = [];
  const record = (error: unknown) => escaped.push(error);
  // The test runner's own listeners go aside meanwhile, so an escape is this test's failure, by name.
  const exceptions = process.listeners('uncaughtException');
  const rejections = process.listeners('unhandledRejection');
  process.removeAllListeners('uncaughtException').on('uncaughtException', record);
  process.removeAllListeners('unhandledRejection').on('unhandledRejection', record);
  try {
    await body();
  } finally {
    process.removeAllListeners('uncaughtException');
    process.removeAllListeners('unhandledRejection');
    for (const listener of exceptions) process.on('uncaughtException', listener);
    for (const listener of rejections) process.on('unhandledRejection', listener);
  }
  return escaped;
}

/** Asserts `run` throws an AgentSocketError with `code`, synchronously. */
export function expectThrowsCode(run: () => void, code: string, message: string): void {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `${message}: send returned instead of throwing`).toBeDefined();
  expect(thrown, message).toMatchObject({ name: 'AgentSocketError', code });
}
