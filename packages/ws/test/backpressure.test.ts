import {
  AgentServer,
  CloseCode,
  type ConnectionInfo,
  defineAgent,
  type Transport,
  type TransportCloseInfo,
  tool,
} from '@agentsocket/core';
import { Flag, FrameType, SUBPROTOCOL } from '@agentsocket/core/transport';
import { RawPeer } from '@agentsocket/compliance';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { SocketTransport, type WsServer, wsConnector, wsServer } from '../src/index.js';
import { closed, opened } from './helpers.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const LIMIT = 1 * MiB;
const CHUNK = 64 * KiB;

/** Hands out the server side of each connection instead of running the handshake. */
class Capture extends AgentServer {
  private readonly waiting: Array<(t: Transport) => void> = [];

  override accept(transport: Transport, _info: ConnectionInfo): void {
    this.waiting.shift()?.(transport);
  }

  next(): Promise<Transport> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }
}

let server: WsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function setup(): Promise<{ capture: Capture; url: string }> {
  const capture = new Capture(defineAgent({ name: 'backpressure' }));
  server = await wsServer({ agentServer: capture, port: 0, host: '127.0.0.1', maxBufferedBytes: LIMIT, pingIntervalMs: 0 });
  return { capture, url: server.url ?? '' };
}

/** Yields to the event loop so the socket can hand bytes to the kernel and the peer can read. */
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('backpressure', () => {
  // The bound itself (rule 5) is tested at both ends by the compliance suite (compliance.test.ts);
  // these are what only ws shows.
  it('tells a client that stopped reading, then wakes, why it was cut: the 4429 close frame waits behind the backlog', async () => {
    const { capture, url } = await setup();
    const accepted = capture.next();
    const client = new WebSocket(url, [SUBPROTOCOL]);
    await opened(client);
    const transport = await accepted;
    const closeInfo = new Promise<TransportCloseInfo>((resolve) => {
      transport.onclose = resolve;
    });
    transport.onframe = () => {};
    transport.start();
    client.pause(); // stop reading: the kernel buffers fill, then the server's own

    const chunk = new Uint8Array(CHUNK);
    while (transport.open) {
      try {
        transport.send(chunk);
      } catch {
        break;
      }
      await turn();
    }
    expect((await closeInfo).code).toBe(CloseCode.SLOW_CONSUMER);
    const clientClosed = closed(client);
    client.resume();
    expect((await clientClosed).code).toBe(CloseCode.SLOW_CONSUMER);
  });

  it('cuts a client that stops reading a stream but keeps sending PINGs, once its backlog has stayed over slowConsumerBytes for slowConsumerMs (4429)', async () => {
    const codes: number[] = [];
    /** Records the close code core gives each connection. */
    class Recording extends AgentServer {
      override accept(transport: Transport, info: ConnectionInfo): void {
        const close = transport.close.bind(transport);
        transport.close = (code, reason) => {
          if (code !== undefined) codes.push(code);
          return close(code, reason);
        };
        super.accept(transport, info);
      }
    }
    const agent = defineAgent({
      name: 'slow-reader',
      tools: {
        flood: tool({
          async *handler(_args, ctx) {
            while (!ctx.signal.aborted) yield new Uint8Array(CHUNK);
          },
        }),
      },
    });
    // A window that stops the flood soon (the test process stays responsive) but well past what the
    // kernel buffers of a loopback connection absorb (about 4 MiB here, with tcp_rmem up to 32 MiB),
    // so the backlog does build up in the server.
    const agentServer = new Recording(agent, { slowConsumerBytes: LIMIT, slowConsumerMs: 1000, window: { maxBytes: 16 * MiB } });
    server = await wsServer({ agentServer, port: 0, host: '127.0.0.1', pingIntervalMs: 0 });
    // A client that keeps PINGing and never checks liveness itself: a reader that stopped, not a dead one.
    const { peer } = await RawPeer.handshake(wsConnector({ url: server.url ?? '' }), undefined, { heartbeatMs: 1000 });
    peer.send(FrameType.INVOKE, Flag.RELIABLE, 1, { id: '01J0000000000000000000000A', tool: 'flood', args: {}, dl: 1, sq: 1 });
    await peer.next((f) => f.type === FrameType.STREAM); // the stream is flowing
    const pinging = setInterval(() => peer.send(FrameType.PING, 0, 0, { t: Date.now() }), 100);
    const stopped = Date.now();
    if (peer.transport instanceof SocketTransport) peer.transport.socket.pause();
    await expect.poll(() => codes, { timeout: 20_000, interval: 50 }).toContain(CloseCode.SLOW_CONSUMER);
    const elapsed = Date.now() - stopped;
    // Not the heartbeat: the PINGs kept arriving. Within slowConsumerMs + hb (1 s) + the time to fill the buffers.
    expect(codes).not.toContain(CloseCode.HEARTBEAT_TIMEOUT);
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(elapsed).toBeLessThan(10_000);
    clearInterval(pinging);
    await peer.transport.close();
  });
});
