import { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import { CloseCode, type TransportCloseInfo } from '@agentsocket/core';
import { BaseTransport, type BaseTransportOptions, type HeartbeatClock } from '@agentsocket/core/transport';
import { BATCH_BYTES, CLOSE_GRACE_MS } from './defaults.js';

export interface SocketTransportOptions extends Omit<BaseTransportOptions, 'kind' | 'batchBytes'> {
  /** Send a WebSocket ping this often and end the socket if the previous one got no pong; 0 disables. */
  readonly pingIntervalMs: number;
  /** Pings on this shared clock (a server passes one for all its sockets) instead of a timer per socket. @default a timer of its own */
  readonly pings?: HeartbeatClock | undefined;
  /** Called once the socket has closed, after the transport has seen it (the server untracks the socket). */
  readonly onSocketClose?: ((socket: WebSocket) => void) | undefined;
  /**
   * Bytes the peer may send before its first message (the HELLO) has arrived whole, counted on the
   * TCP socket from here; past them the socket is closed with 1009 at once, before ws has buffered
   * the rest. A server sets it, so that a client no one has authenticated holds little memory. @default no bound
   */
  readonly firstMessageBytes?: number | undefined;
}

/**
 * The base options made from each SocketTransportOptions object: a server passes one object to
 * every socket's transport, and they all keep the one made from it, not a copy each.
 */
const baseOptions = new WeakMap<SocketTransportOptions, BaseTransportOptions>();

function baseOptionsOf(options: SocketTransportOptions): BaseTransportOptions {
  let base = baseOptions.get(options);
  if (!base) {
    base = { ...options, kind: 'ws', batchBytes: BATCH_BYTES };
    baseOptions.set(options, base);
  }
  return base;
}

/** The transport of each socket, for the listeners below: shared functions, not closures per socket. */
const transports = new WeakMap<WebSocket, SocketTransport>();

function onMessage(this: WebSocket, data: WebSocket.RawData, isBinary: boolean): void {
  transports.get(this)?.message(data, isBinary);
}

// ws emits 'error' when it ends the socket itself (too big, bad UTF-8, bad framing); 'close' follows.
function onError(this: WebSocket, error: Error): void {
  transports.get(this)?.socketEnded({ code: closeCodeOf(error), reason: error.message, local: true });
}

function onClose(this: WebSocket, code: number, reason: Buffer): void {
  transports.get(this)?.socketClosed(code, reason);
}

/** A Transport over one open `ws` socket; used by the server and by the Node client. */
export class SocketTransport extends BaseTransport {
  readonly socket: WebSocket;
  /** Bytes the socket had read when the last ping went out; -1 before the first ping. */
  private readAtPing = -1;
  private corked = false;
  /** Kept by reference (see BaseTransport): pings and onSocketClose are read from it. */
  private readonly options: SocketTransportOptions;
  private readonly pinger: ReturnType<typeof setInterval> | undefined;
  /** Stops counting the bytes read before the first message; set while counting. */
  private stopCounting: (() => void) | undefined;

  /** Pass one `options` object to every transport of a server: each keeps it by reference. */
  constructor(socket: WebSocket, options: SocketTransportOptions) {
    super(baseOptionsOf(options));
    this.socket = socket;
    socket.binaryType = 'nodebuffer';
    transports.set(socket, this);
    socket.on('message', onMessage);
    socket.on('error', onError);
    socket.on('close', onClose);
    this.options = options;
    if (options.firstMessageBytes !== undefined) this.countUntilFirstMessage(options.firstMessageBytes);
    if (options.pingIntervalMs > 0) {
      if (options.pings) {
        options.pings.add(this, options.pingIntervalMs);
      } else {
        this.pinger = setInterval(() => this.heartbeat(), options.pingIntervalMs);
        this.pinger.unref();
      }
    }
  }

  /** Watches the TCP socket until the first message: more than `limit` bytes before it closes with 1009. */
  private countUntilFirstMessage(limit: number): void {
    const stream: unknown = Reflect.get(this.socket, '_socket');
    if (!(stream instanceof Socket)) return;
    const start = stream.bytesRead;
    const onData = () => {
      if (this.stopCounting === undefined || stream.bytesRead - start <= limit) return;
      this.stopCounting();
      stream.pause(); // read nothing more: ws would buffer it until the message's end
      void this.close(CloseCode.MESSAGE_TOO_BIG, `more than ${limit} bytes before the HELLO`);
    };
    stream.on('data', onData);
    this.stopCounting = () => {
      this.stopCounting = undefined;
      stream.off('data', onData);
    };
  }

  /** @internal From the socket's 'message' listener. */
  message(data: WebSocket.RawData, isBinary: boolean): void {
    this.stopCounting?.();
    if (!isBinary) {
      void this.close(CloseCode.BAD_FRAME, 'text message: ASP frames are binary');
      return;
    }
    this.received(toBytes(data));
  }

  /** @internal From the socket's 'error' listener. */
  socketEnded(info: TransportCloseInfo): void {
    this.ended(info);
  }

  /** @internal From the socket's 'close' listener. */
  socketClosed(code: number, reason: Buffer): void {
    this.ended({ code, reason: reason.toString('utf8'), local: false });
    this.options.onSocketClose?.(this.socket);
  }

  protected get socketBufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  protected get socketOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  protected write(frame: Uint8Array): void {
    // Batching already puts a turn's frames in a few writes; corking would only delay the first.
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
    if (code === CloseCode.SLOW_CONSUMER || code === CloseCode.HEARTBEAT_TIMEOUT || code === CloseCode.MESSAGE_TOO_BIG) {
      setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
    }
  }

  protected override onFinish(): void {
    this.stopCounting?.();
    if (this.pinger) clearInterval(this.pinger);
    this.options.pings?.delete(this, this.options.pingIntervalMs);
  }

  /** Bytes read from the network so far (the stream ws wraps); without one, never equal to the last reading. */
  private bytesRead(): number {
    const stream: unknown = Reflect.get(this.socket, '_socket');
    return stream instanceof Socket ? stream.bytesRead : this.readAtPing + 1;
  }

  /** Every ping interval: end the socket if nothing came back since the last ping, else ping again. */
  heartbeat(): void {
    if (!this.open) return;
    // Anything read since the last ping (its pong, a message) shows the peer is there; no 'pong' listener needed.
    const read = this.bytesRead();
    if (read === this.readAtPing) {
      this.finish({ code: CloseCode.HEARTBEAT_TIMEOUT, reason: 'no pong to the last WebSocket ping', local: true });
      this.socket.terminate();
      return;
    }
    this.readAtPing = read;
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
      return CloseCode.INVALID_PAYLOAD;
    default:
      return typeof code === 'string' && code.startsWith('WS_ERR_') ? CloseCode.PROTOCOL_ERROR : CloseCode.ABNORMAL_CLOSURE;
  }
}
