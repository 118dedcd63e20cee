import { CloseCode } from '@agentsocket/core';
import { BaseTransport, type BaseTransportOptions } from '@agentsocket/core/transport';
import { closeCodeForReason, isCloseCode } from './close-codes.js';

/**
 * The Socket.IO event that carries ASP frames: exactly one binary argument holding one frame or
 * several back to back (each frame's header gives its length).
 */
export const FRAME_EVENT = 'asp';
/** Sent just before a deliberate disconnect, `(code, reason)`: Socket.IO itself has no close codes. */
export const CLOSE_EVENT = 'asp:close';

/** Longest close reason kept, as in a WebSocket close frame. */
const MAX_REASON = 123;
/**
 * Frames sent in one event-loop turn go out as one event of at most this many bytes (a larger
 * frame goes alone). Each Socket.IO binary event costs two WebSocket messages; batching makes
 * that per turn instead of per frame. Small enough for any peer: servers accept maxFrameBytes + 64 KiB.
 */
const BATCH_BYTES = 32 * 1024;

/** What a SocketTransport needs from one Socket.IO socket; server.ts and client.ts provide it. */
export interface Wire {
  /** Emits one or more frames back to back; the bytes are the wire's to keep (nobody changes them). */
  emitFrame(frames: Uint8Array): void;
  emitClose(code: number, reason: string): void;
  /** Bytes waiting for the network on this connection (0 when unknown). */
  readonly bufferedBytes: number;
  /** Ends the socket; `abrupt` discards what is still queued instead of flushing it first. */
  disconnect(abrupt: boolean): void;
}

export interface SocketTransportOptions {
  maxFrameBytes: number;
  maxBufferedBytes: number;
}

/**
 * The base options made from each SocketTransportOptions object: the server passes one object
 * to every socket's transport, and they all keep the one made from it (BaseTransport keeps its
 * options by reference), not a copy each.
 */
const baseOptions = new WeakMap<SocketTransportOptions, BaseTransportOptions>();

/**
 * One Socket.IO socket as a core Transport, on BaseTransport's rules. Batching is always on: the
 * Socket.IO mapping defines an `asp` event as one or more frames, so there is nothing to negotiate.
 * The owner feeds it the socket's events through receive() and disconnected(); it never throws
 * back into them.
 */
export class SocketTransport extends BaseTransport {
  private readonly wire: Wire;
  /** The socket is disconnected or disconnecting; nothing more goes out or comes in. */
  private wireGone = false;

  constructor(wire: Wire, options: SocketTransportOptions) {
    let base = baseOptions.get(options);
    if (!base) {
      // Whole turns, uncapped: each event costs two WebSocket messages, so fewer, fuller ones win (docs/transports/socketio.md).
      base = { ...options, kind: 'socket.io', batchBytes: BATCH_BYTES, batchFrames: Number.POSITIVE_INFINITY, batchWholeTurn: true, batching: 'always' };
      baseOptions.set(options, base);
    }
    super(base);
    this.wire = wire;
  }

  protected get socketBufferedAmount(): number {
    return this.wireGone ? 0 : this.wire.bufferedBytes;
  }

  protected get socketOpen(): boolean {
    return !this.wireGone;
  }

  protected write(frames: Uint8Array): void {
    this.wire.emitFrame(frames);
  }

  /** Tells the peer why (except to a slow consumer, where it would only queue behind the backlog), then ends the socket. */
  protected shutdown(code: number, reason: string): void {
    if (this.wireGone) return;
    this.wireGone = true;
    const abrupt = code === CloseCode.SLOW_CONSUMER;
    if (!abrupt) quietly(() => this.wire.emitClose(code, reason));
    quietly(() => this.wire.disconnect(abrupt));
  }

  /** One event from the socket, as Socket.IO's onAny hands it over. */
  receive(event: unknown, args: readonly unknown[]): void {
    if (this.wireGone || !this.open) return;
    if (event === FRAME_EVENT) {
      const bytes = args.length === 1 ? toBytes(args[0]) : undefined;
      if (bytes) this.received(bytes);
      else void this.close(CloseCode.BAD_FRAME, `"${FRAME_EVENT}" must carry exactly one binary argument`);
      return;
    }
    if (event === CLOSE_EVENT) {
      const [code, reason] = args;
      if (args.length !== 2 || !isCloseCode(code) || typeof reason !== 'string') {
        void this.close(CloseCode.BAD_FRAME, `"${CLOSE_EVENT}" must carry a close code and a reason`);
        return;
      }
      this.wireGone = true;
      quietly(() => this.wire.disconnect(false));
      this.ended({ code, reason: reason.slice(0, MAX_REASON), local: false });
      return;
    }
    const name = typeof event === 'string' ? event.slice(0, 40) : typeof event;
    void this.close(CloseCode.BAD_FRAME, `unexpected event "${name}" on an ASP socket`);
  }

  /** The socket's "disconnect" event. */
  disconnected(reason: string): void {
    if (this.wireGone) return; // our own close, or the peer's CLOSE_EVENT, came first
    this.wireGone = true;
    this.ended({ ...closeCodeForReason(reason), reason });
  }
}

function quietly(action: () => void): void {
  try {
    action();
  } catch {
    // The socket is already gone; closing it again has nothing left to do.
  }
}

/** A frame from the network: Buffer and Uint8Array in Node, ArrayBuffer in browsers. */
function toBytes(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  return undefined;
}
