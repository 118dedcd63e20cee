import { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import { BaseTransport, type BaseTransportOptions, CloseCode } from '@agentsocket/core';
import { BATCH_BYTES, CLOSE_GRACE_MS } from './defaults.js';

export interface SocketTransportOptions extends Omit<BaseTransportOptions, 'kind' | 'batchBytes'> {
  /** Send a WebSocket ping this often and end the socket if the previous one got no pong; 0 disables. */
  readonly pingIntervalMs: number;
}

/** A Transport over one open `ws` socket; used by the server and by the Node client. */
export class SocketTransport extends BaseTransport {
  readonly socket: WebSocket;
  private alive = true;
  private corked = false;
  private readonly pinger: ReturnType<typeof setInterval> | undefined;

  constructor(socket: WebSocket, options: SocketTransportOptions) {
    super({ ...options, kind: 'ws', batchBytes: BATCH_BYTES });
    this.socket = socket;
    socket.binaryType = 'nodebuffer';
    socket.on('message', (data, isBinary) => {
      this.alive = true;
      if (!isBinary) {
        void this.close(CloseCode.BAD_FRAME, 'text message: ASP frames are binary');
        return;
      }
      this.received(toBytes(data));
    });
    socket.on('pong', () => {
      this.alive = true;
    });
    // ws emits 'error' when it ends the socket itself (too big, bad UTF-8, bad framing); 'close' follows.
    socket.on('error', (error) => {
      this.ended({ code: closeCodeOf(error), reason: error.message, local: true });
    });
    socket.on('close', (code, reason) => {
      this.ended({ code, reason: reason.toString('utf8'), local: false });
    });
    if (options.pingIntervalMs > 0) {
      this.pinger = setInterval(() => this.heartbeat(), options.pingIntervalMs);
      this.pinger.unref();
    }
  }

  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  protected get socketOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  protected write(frame: Uint8Array): void {
    // Batching already makes a turn's frames one or two writes; corking would only delay the first.
    if (!this.corked && !this.isBatching) this.corkUntilNextTick();
    this.socket.send(frame, { binary: true });
  }

  /**
   * Frames sent in the same tick leave in one write (one syscall, one TCP segment) instead of one
   * each; under load that is most of what a small frame costs. ws has no public cork, so this uses
   * the stream it wraps; without one, frames are written one by one as before.
   */
  private corkUntilNextTick(): void {
    const stream: unknown = Reflect.get(this.socket, '_socket');
    if (!(stream instanceof Duplex)) return;
    this.corked = true;
    stream.cork();
    process.nextTick(() => {
      this.corked = false;
      stream.uncork();
    });
  }

  protected shutdown(code: number, reason: string): void {
    const socket = this.socket;
    if (socket.readyState === WebSocket.CLOSED) return;
    try {
      socket.close(code, reason);
    } catch {
      // A code ws will not put on the wire (e.g. 1006): end the socket without a close frame.
      socket.terminate();
      return;
    }
    // A slow consumer will not read our close frame from behind its backlog; free the memory soon.
    if (code === CloseCode.SLOW_CONSUMER || code === CloseCode.HEARTBEAT_TIMEOUT) {
      setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
    }
  }

  protected override onFinish(): void {
    if (this.pinger) clearInterval(this.pinger);
  }

  private heartbeat(): void {
    if (!this.open) return;
    if (!this.alive) {
      this.finish({ code: CloseCode.HEARTBEAT_TIMEOUT, reason: 'no pong to the last WebSocket ping', local: true });
      this.socket.terminate();
      return;
    }
    this.alive = false;
    try {
      this.socket.ping();
    } catch {
      // Not open any more; the close event is on its way.
    }
  }
}

/** A plain Uint8Array view of what ws delivered, copying only when a message came in fragments. */
export function toBytes(data: WebSocket.RawData): Uint8Array {
  if (Array.isArray(data)) {
    const only = data.length === 1 ? data[0] : undefined;
    return toView(only ?? Buffer.concat(data));
  }
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return toView(data);
}

function toView(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** The close code ws sent when it ended the socket over a protocol violation. */
function closeCodeOf(error: Error): number {
  const code = 'code' in error ? error.code : undefined;
  switch (code) {
    case 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH':
      return CloseCode.MESSAGE_TOO_BIG;
    case 'WS_ERR_INVALID_UTF8':
      return 1007;
    default:
      return typeof code === 'string' && code.startsWith('WS_ERR_') ? 1002 : 1006;
  }
}
