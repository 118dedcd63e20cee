import { encodeFrame, FrameType, SUBPROTOCOL } from '@agentsocket/core/transport';
import WebSocket from 'ws';

export interface Closed {
  /** The close code the client saw (1006 when the socket was destroyed), or the HTTP status of a refused upgrade. */
  code: number;
  reason: string;
}

/** A hand-driven WebSocket: sends any bytes, keeps what arrives, reports how it ended. */
export class RawSocket {
  readonly socket: WebSocket;
  readonly closed: Promise<Closed>;
  readonly messages: Array<Uint8Array | string> = [];
  private waiters: Array<() => void> = [];

  constructor(url: string, protocols: string[], headers: Record<string, string> = {}) {
    this.socket = new WebSocket(url, protocols, { headers, maxPayload: 256 * 1024 * 1024 });
    this.socket.on('error', () => {}); // the close that follows says how it ended
    this.closed = new Promise((resolve) => {
      this.socket.once('unexpected-response', (_req, res) => {
        resolve({ code: res.statusCode ?? 0, reason: 'upgrade refused' });
        this.socket.terminate();
      });
      this.socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    this.socket.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      this.messages.push(isBinary ? bytesOf(data) : bytesOf(data).toString());
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** Resolves once open; rejects with the close if the socket ends first. */
  opened(): Promise<void> {
    if (this.socket.readyState === WebSocket.OPEN) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.socket.once('open', () => resolve());
      void this.closed.then((c) => reject(new Error(`closed before open: ${c.code} ${c.reason}`)));
    });
  }

  /** The first message that matches, waiting for it (rejects once the socket has closed without it). */
  async next(match: (m: Uint8Array | string) => boolean, timeoutMs = 10_000): Promise<Uint8Array | string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.messages.findIndex(match);
      if (i >= 0) return this.messages.splice(i, 1)[0] as Uint8Array | string;
      if (this.socket.readyState === WebSocket.CLOSED) throw new Error('closed before the message came');
      if (Date.now() > deadline) throw new Error('no such message in time');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  send(data: Uint8Array | string): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(data);
  }

  /** Ends the socket without a close handshake. */
  kill(): void {
    this.socket.terminate();
  }
}

function bytesOf(data: WebSocket.RawData): Buffer {
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
}

/** An ASP WebSocket, with the bearer token at the upgrade when one is given. */
export function aspSocket(url: string, token?: string): RawSocket {
  return new RawSocket(url, [SUBPROTOCOL], token === undefined ? {} : { Authorization: `Bearer ${token}` });
}

/** A client HELLO frame with `fields` over the minimal ones. */
export function hello(fields: Record<string, unknown> = {}): Uint8Array {
  const body = { v: [1], codecs: ['msgpack'], hb: 30_000, ...fields };
  return encodeFrame(FrameType.HELLO, 0, 0, new TextEncoder().encode(JSON.stringify(body)));
}

export function isFrame(type: number): (m: Uint8Array | string) => boolean {
  return (m) => typeof m !== 'string' && m.length >= 8 && ((m[0] ?? 0) & 0x0f) === type;
}

/**
 * A raw Engine.IO v4 connection over WebSocket, for Socket.IO packets socket.io-client would never
 * send (too many attachments, attachments that never come). Answers Engine.IO pings.
 */
export class EngineSocket extends RawSocket {
  constructor(sioUrl: string) {
    super(`${sioUrl.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`, []);
    this.socket.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      if (!isBinary && bytesOf(data).toString() === '2') this.socket.send('3');
    });
  }

  /** Waits for Engine.IO's open packet. */
  async open(): Promise<void> {
    await this.opened();
    await this.next((m) => typeof m === 'string' && m.startsWith('0'));
  }
}
