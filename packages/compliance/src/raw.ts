import type { Connector, Transport, TransportCloseInfo } from '@agentsocket/core';
import {
  decodeFrame,
  encodeFrame,
  Flag,
  FrameType,
  type Frame,
  PROTOCOL_VERSION,
} from '@agentsocket/core/transport';
import {
  decodeServerHello,
  encodeClientHello,
  msgpackCodec,
  type ClientHello,
  type ServerHello,
} from '@agentsocket/core/internal';

/** A hand-driven connection for tests that must send frames the client API never would. */
export class RawPeer {
  readonly transport: Transport;
  readonly closed: Promise<TransportCloseInfo>;
  private readonly frames: Frame[] = [];
  private waiters: Array<() => void> = [];
  private readonly codec = msgpackCodec();

  private constructor(transport: Transport) {
    this.transport = transport;
    this.closed = new Promise((resolve) => {
      transport.onclose = (info) => {
        resolve(info);
        this.wake();
      };
    });
    transport.onframe = (bytes) => {
      this.frames.push(decodeFrame(bytes));
      this.wake();
    };
  }

  static async open(connector: Connector): Promise<RawPeer> {
    const transport = await connector(new AbortController().signal);
    const peer = new RawPeer(transport);
    transport.start();
    return peer;
  }

  /** Opens a connection and completes a msgpack HELLO handshake. */
  static async handshake(connector: Connector, token?: string, extra: Partial<ClientHello> = {}): Promise<{ peer: RawPeer; hello: ServerHello }> {
    const peer = await RawPeer.open(connector);
    peer.sendBytes(
      encodeFrame(
        FrameType.HELLO,
        0,
        0,
        encodeClientHello({
          versions: [PROTOCOL_VERSION],
          codecs: ['msgpack'],
          maxFrame: 64 * 1024 * 1024,
          heartbeatMs: 30_000,
          maxInflight: 16,
          ...(token === undefined ? {} : { token }),
          ...extra,
        }),
      ),
    );
    const reply = await peer.next((f) => f.type === FrameType.HELLO || f.type === FrameType.ERROR);
    if (reply.type !== FrameType.HELLO || !(reply.flags & Flag.REPLY)) throw new Error('handshake refused');
    return { peer, hello: decodeServerHello(reply.payload) };
  }

  sendBytes(bytes: Uint8Array): void {
    this.transport.send(bytes);
  }

  send(type: number, flags: number, requestId: number, payload: Record<string, unknown>): void {
    this.transport.send(encodeFrame(type, flags, requestId, this.codec.encode(payload)));
  }

  decode(frame: Frame): Record<string, unknown> {
    const value = this.codec.decode(frame.payload);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('payload is not a map');
    return Object.fromEntries(Object.entries(value));
  }

  /** Waits for the next frame matching `match` (earlier non-matching frames are skipped). */
  async next(match: (f: Frame) => boolean = () => true): Promise<Frame> {
    for (;;) {
      const i = this.frames.findIndex(match);
      if (i >= 0) {
        const [f] = this.frames.splice(i, 1);
        if (f) return f;
      }
      if (!this.transport.open) throw new Error('connection closed while waiting for a frame');
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  close(): Promise<void> {
    return this.transport.close();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
