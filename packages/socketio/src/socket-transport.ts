import { AgentSocketError, CloseCode, HEADER_SIZE, peekHeader, type Transport, type TransportCloseInfo, transportSymbol } from '@agentsocket/core';
import { closeCodeForReason, INTERNAL_ERROR, isCloseCode } from './close-codes.js';

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
/** After this turn's I/O callbacks (Node), so their replies join the batch; browsers have only microtasks. */
const nextTurn: (run: () => void) => void = typeof setImmediate === 'function' ? (run) => setImmediate(run) : queueMicrotask;

/** What a SocketTransport needs from one Socket.IO socket; server.ts and client.ts provide it. */
export interface Wire {
  /** Emits one or more frames back to back; the bytes are the wire's to keep (a fresh copy). */
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
 * One Socket.IO socket as a core Transport. The owner feeds it the socket's events through
 * receive() and disconnected(); it never throws back into them.
 */
export class SocketTransport implements Transport {
  readonly [transportSymbol] = true as const;
  readonly kind = 'socket.io';
  readonly maxFrameBytes: number;
  onframe: ((frame: Uint8Array) => void) | undefined;
  onclose: ((info: TransportCloseInfo) => void) | undefined;
  private readonly wire: Wire;
  private readonly maxBufferedBytes: number;
  private inbox: Uint8Array[] = [];
  private outbox: Uint8Array[] = [];
  private outboxBytes = 0;
  private flushScheduled = false;
  private started = false;
  private scheduled = false;
  /** The socket is disconnected or disconnecting; nothing more goes out or comes in. */
  private wireGone = false;
  /** The peer closed; delivered after the frames it sent before closing. */
  private pendingClose: TransportCloseInfo | undefined;
  private closeInfo: TransportCloseInfo | undefined;
  private readonly closed: Promise<void>;
  private resolveClosed: () => void = () => {};

  constructor(wire: Wire, options: SocketTransportOptions) {
    this.wire = wire;
    this.maxFrameBytes = options.maxFrameBytes;
    this.maxBufferedBytes = options.maxBufferedBytes;
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
  }

  get bufferedAmount(): number {
    return this.wireGone ? 0 : this.wire.bufferedBytes + this.outboxBytes;
  }

  get open(): boolean {
    return this.closeInfo === undefined;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.schedule();
  }

  send(frame: Uint8Array): void {
    if (this.closeInfo) throw new AgentSocketError('TRANSPORT_CLOSED', 'socket.io transport is closed');
    if (frame.byteLength > this.maxFrameBytes) {
      throw new AgentSocketError('FRAME_TOO_LARGE', `frame of ${frame.byteLength} bytes exceeds ${this.maxFrameBytes}`);
    }
    // The peer is gone and onclose follows its last frames; a reliable frame is replayed on resume.
    if (this.wireGone) return;
    if (this.outboxBytes + frame.byteLength > BATCH_BYTES) this.flush();
    if (this.wireGone) throw new AgentSocketError('TRANSPORT_CLOSED', 'socket.io refused the frame');
    // Copied now: the caller may reuse its buffer before the batch goes out.
    this.outbox.push(frame.slice());
    this.outboxBytes += frame.byteLength;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      nextTurn(() => this.flush());
    }
    const buffered = this.wire.bufferedBytes + this.outboxBytes;
    if (buffered > this.maxBufferedBytes) {
      this.shut(CloseCode.SLOW_CONSUMER, `${buffered} bytes buffered for a slow peer (limit ${this.maxBufferedBytes})`, true);
    }
  }

  /** Emits the frames sent since the last flush as one event. */
  private flush(): void {
    this.flushScheduled = false;
    const frames = this.outbox;
    if (frames.length === 0 || this.wireGone) return;
    const bytes = this.outboxBytes;
    this.outbox = [];
    this.outboxBytes = 0;
    let batch = frames[0] ?? new Uint8Array(0);
    if (frames.length > 1) {
      batch = new Uint8Array(bytes);
      let at = 0;
      for (const f of frames) {
        batch.set(f, at);
        at += f.byteLength;
      }
    }
    try {
      this.wire.emitFrame(batch);
    } catch {
      this.shut(INTERNAL_ERROR, 'socket.io refused the frame', false);
    }
  }

  close(code: number = CloseCode.NORMAL, reason = ''): Promise<void> {
    this.shut(code, reason, false);
    return this.closed;
  }

  /** One event from the socket, as Socket.IO's onAny hands it over. */
  receive(event: unknown, args: readonly unknown[]): void {
    if (this.wireGone || this.closeInfo) return;
    if (event === FRAME_EVENT) {
      const bytes = args.length === 1 ? toBytes(args[0]) : undefined;
      if (!bytes) {
        this.shut(CloseCode.BAD_FRAME, `"${FRAME_EVENT}" must carry exactly one binary argument`, false);
        return;
      }
      splitFrames(bytes, this.inbox);
      this.schedule();
      return;
    }
    if (event === CLOSE_EVENT) {
      const [code, reason] = args;
      if (args.length !== 2 || !isCloseCode(code) || typeof reason !== 'string') {
        this.shut(CloseCode.BAD_FRAME, `"${CLOSE_EVENT}" must carry a close code and a reason`, false);
        return;
      }
      this.peerClosed({ code, reason: reason.slice(0, MAX_REASON), local: false });
      return;
    }
    const name = typeof event === 'string' ? event.slice(0, 40) : typeof event;
    this.shut(CloseCode.BAD_FRAME, `unexpected event "${name}" on an ASP socket`, false);
  }

  /** The socket's "disconnect" event. */
  disconnected(reason: string): void {
    if (this.wireGone) return; // our own close, or the peer's CLOSE_EVENT, came first
    const { code, local } = closeCodeForReason(reason);
    this.wireGone = true;
    this.pendingClose = { code, reason, local };
    this.schedule();
  }

  private peerClosed(info: TransportCloseInfo): void {
    this.wireGone = true;
    this.pendingClose = info;
    this.quietly(() => this.wire.disconnect(false));
    this.schedule();
  }

  /** Closes from this end: tells the peer why (unless abrupt), then ends the socket. */
  private shut(code: number, reason: string, abrupt: boolean): void {
    if (this.closeInfo) return;
    const short = reason.slice(0, MAX_REASON);
    if (!this.wireGone) {
      // Frames sent before close() go out before the close event; an abrupt close drops them.
      if (abrupt) this.outbox = [];
      else this.flush();
      this.outboxBytes = 0;
      this.wireGone = true;
      if (!abrupt) this.quietly(() => this.wire.emitClose(code, short));
      this.quietly(() => this.wire.disconnect(abrupt));
    }
    this.finish({ code, reason: short, local: true });
  }

  private schedule(): void {
    if (!this.started || this.scheduled || this.closeInfo) return;
    this.scheduled = true;
    queueMicrotask(() => this.drain());
  }

  private drain(): void {
    this.scheduled = false;
    const batch = this.inbox;
    this.inbox = [];
    for (const frame of batch) {
      if (this.closeInfo) return;
      try {
        this.onframe?.(frame);
      } catch (error) {
        // A throwing handler must not escape into Socket.IO; end this one connection instead.
        this.shut(INTERNAL_ERROR, `frame handler failed: ${error instanceof Error ? error.message : String(error)}`, false);
        return;
      }
    }
    if (this.pendingClose && this.inbox.length === 0) this.finish(this.pendingClose);
  }

  private finish(info: TransportCloseInfo): void {
    if (this.closeInfo) return;
    this.closeInfo = info;
    this.inbox = [];
    this.pendingClose = undefined;
    // Fire on a later tick, as a socket's close event would, and never inside Socket.IO's callback.
    queueMicrotask(() => {
      try {
        this.onclose?.(info);
      } finally {
        this.resolveClosed();
      }
    });
  }

  private quietly(action: () => void): void {
    try {
      action();
    } catch {
      // The socket is already gone; closing it again has nothing left to do.
    }
  }
}

/**
 * Cuts a batch into frames by their headers' lengths. Bytes that are not whole frames are
 * passed on as they are, for core to answer (BAD_FRAME): a transport never judges frames.
 */
function splitFrames(bytes: Uint8Array, out: Uint8Array[]): void {
  let at = 0;
  while (at < bytes.byteLength || at === 0) {
    const rest = bytes.byteLength - at;
    const length = peekHeader(bytes.subarray(at))?.length ?? -1;
    if (length < 0 || HEADER_SIZE + length > rest) {
      out.push(bytes.subarray(at));
      return;
    }
    out.push(bytes.subarray(at, at + HEADER_SIZE + length));
    at += HEADER_SIZE + length;
  }
}

/** A frame from the network: Buffer and Uint8Array in Node, ArrayBuffer in browsers. */
function toBytes(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  return undefined;
}
