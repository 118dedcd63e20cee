import { AgentSocketError } from './errors.js';
import * as CloseCode from './close-code.js';
import { HEADER_SIZE } from './frame.js';
import { type Transport, type TransportCloseInfo, transportSymbol } from './transport.js';

/**
 * RFC 6455 "internal error": the owner's frame handler threw.
 * @deprecated Use `CloseCode.INTERNAL_ERROR`.
 */
export const INTERNAL_ERROR: typeof CloseCode.INTERNAL_ERROR = CloseCode.INTERNAL_ERROR;

export interface BaseTransportOptions {
  /** A short label for logs and errors, e.g. "ws". */
  readonly kind: string;
  /** Largest frame `send` accepts, bytes. */
  readonly maxFrameBytes: number;
  /** Backlog of unsent bytes past which the next `send` closes the socket with SLOW_CONSUMER. */
  readonly maxBufferedBytes: number;
  /**
   * Once both ends agree in HELLO (enableBatching()), frames sent in one event-loop turn leave as
   * one message of up to this many bytes, and received messages are cut into frames by their
   * headers. 0 (the default): one frame per message always, and enableBatching is absent.
   */
  readonly batchBytes?: number;
  /**
   * 'always' batches from the first frame, for a mapping that defines batches itself (Socket.IO):
   * enableBatching is then absent, so core does not negotiate `batch` in HELLO. Needs batchBytes.
   * @default 'negotiated'
   */
  readonly batching?: 'negotiated' | 'always';
  /**
   * A batch leaves as soon as it holds this many frames, so that under load several batches are
   * in flight and both ends work at once instead of taking turns. @default 16
   */
  readonly batchFrames?: number;
  /**
   * The turn's first frame waits for the end of the turn with the rest instead of leaving at once:
   * fewer, fuller messages for a medium where each one costs a lot (Socket.IO), at the price of
   * a lone frame's wait. @default false
   */
  readonly batchWholeTurn?: boolean;
}

/** Runs `run(t)` after this turn's I/O callbacks (Node), so the replies they cause join the batch; browsers have only microtasks. */
const nextTurn: (run: (t: BaseTransport) => void, t: BaseTransport) => void =
  typeof setImmediate === 'function' ? (run, t) => setImmediate(run, t) : (run, t) => queueMicrotask(() => run(t));
const endTurnOf = (t: BaseTransport) => t.endTurn();

/**
 * The Transport rules (transport.ts) in one place, for any message-oriented connection:
 * buffering until start(), frames that arrived before a close delivered first, one onclose,
 * send checks and the slow-consumer bound. Subclasses only wire up their socket.
 *
 * A server holds one per idle connection, so what every connection of a server shares is not
 * copied into each: the options object is kept by reference (pass the same one to every
 * transport of a server), and the brand and `enableBatching` live on the prototype.
 */
export abstract class BaseTransport implements Transport {
  onframe: ((frame: Uint8Array) => void) | undefined;
  onclose: ((info: TransportCloseInfo) => void) | undefined;
  readonly #settings: BaseTransportOptions;
  /** Messages waiting for start() or for the drain; made when the first one has to wait. */
  #inbox: Uint8Array[] | undefined;
  #batching = false;
  /** Frames waiting for the end of the turn (batching only). */
  #outbox: Uint8Array[] | undefined;
  #outboxBytes = 0;
  /** A frame was written at once this turn; the turn's later frames are being collected. */
  #turnStarted = false;
  #started = false;
  #drainScheduled = false;
  #closeInfo: TransportCloseInfo | undefined;
  /** The socket closed while frames still wait in the inbox: they go first, then onclose. */
  #pendingClose: TransportCloseInfo | undefined;
  /** What close() returns, and how it resolves; made by the first close() that has to wait for onclose. */
  #closed: { readonly promise: Promise<void>; readonly resolve: () => void } | undefined;
  /** onclose has run. */
  #settled = false;

  /** `options` is kept, not copied: a server passes one object to all its connections. */
  constructor(options: BaseTransportOptions) {
    this.#settings = options;
    this.#batching = this.#batchBytes > 0 && options.batching === 'always';
  }

  get [transportSymbol](): true {
    return true;
  }

  get kind(): string {
    return this.#settings.kind;
  }

  get maxFrameBytes(): number {
    return this.#settings.maxFrameBytes;
  }

  get maxBufferedBytes(): number {
    return this.#settings.maxBufferedBytes;
  }

  /** Present when batching is negotiated (options.batchBytes > 0, batching not 'always'): a prototype method, not a closure per connection. */
  get enableBatching(): (() => void) | undefined {
    return this.#batchBytes > 0 && this.#settings.batching !== 'always' ? this.#startBatching : undefined;
  }

  get #batchBytes(): number {
    return this.#settings.batchBytes ?? 0;
  }

  get #batchFrames(): number {
    return Math.max(1, this.#settings.batchFrames ?? 16);
  }

  /**
   * Bytes accepted by `send` and not yet handed to the network: the socket's own backlog and the
   * batch still being collected for the end of the turn.
   */
  get bufferedAmount(): number {
    return this.socketBufferedAmount + this.#outboxBytes;
  }
  /** The socket's own backlog of unsent bytes (e.g. `ws`'s bufferedAmount; 0 when unknown). */
  protected abstract get socketBufferedAmount(): number;
  /** True while the socket itself accepts data (it may be closing before this end knows). */
  protected abstract get socketOpen(): boolean;
  /** Hands one frame to the socket. */
  protected abstract write(frame: Uint8Array): void;
  /** Asks the socket to close; called once, after onclose is already scheduled. */
  protected abstract shutdown(code: number, reason: string): void;

  get open(): boolean {
    return this.#closeInfo === undefined;
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    if (this.#inbox) this.#scheduleDrain();
  }

  send(frame: Uint8Array): void {
    if (this.#closeInfo || !this.socketOpen) {
      throw new AgentSocketError('TRANSPORT_CLOSED', `${this.kind} transport is closed${this.#closeInfo ? ` (${this.#closeInfo.code})` : ''}`);
    }
    if (frame.byteLength > this.maxFrameBytes) {
      throw new AgentSocketError('FRAME_TOO_LARGE', `frame of ${frame.byteLength} bytes exceeds ${this.maxFrameBytes}`);
    }
    const backlog = this.bufferedAmount;
    if (backlog > this.maxBufferedBytes) {
      const reason = `peer is not reading: ${backlog} bytes unsent`;
      void this.close(CloseCode.SLOW_CONSUMER, reason);
      throw new AgentSocketError('TRANSPORT_CLOSED', `${this.kind} transport closed, ${reason}`);
    }
    if (this.#batching) this.#enqueue(frame);
    else this.write(frame);
  }

  close(code: number = CloseCode.NORMAL, reason = ''): Promise<void> {
    // Frames sent before close() go first, as they would unbatched.
    if (!this.#closeInfo && this.socketOpen) this.#flush();
    if (this.finish({ code, reason, local: true })) this.shutdown(code, closeReason(reason));
    if (this.#settled) return Promise.resolve();
    if (!this.#closed) {
      let resolve = () => {};
      const promise = new Promise<void>((r) => {
        resolve = r;
      });
      this.#closed = { promise, resolve };
    }
    return this.#closed.promise;
  }

  /** A binary message arrived from the socket. */
  protected received(message: Uint8Array): void {
    if (this.#closeInfo) return;
    if (this.#started && !this.#drainScheduled && !this.#inbox) {
      this.#deliver(message);
      return;
    }
    this.#inbox ??= [];
    this.#inbox.push(message);
    if (this.#started) this.#scheduleDrain();
  }

  /** The socket is gone: delivers what already arrived (once started), then closes. */
  protected ended(info: TransportCloseInfo): void {
    if (this.#closeInfo || this.#pendingClose) return;
    if (!this.#inbox) {
      this.finish(info);
      return;
    }
    this.#pendingClose = info;
    if (this.#started) this.#scheduleDrain();
  }

  /** Marks the transport closed and schedules onclose. Returns false when it already was. */
  protected finish(info: TransportCloseInfo): boolean {
    if (this.#closeInfo) return false;
    this.#closeInfo = info;
    this.#inbox = undefined;
    this.#outbox = undefined;
    this.#outboxBytes = 0;
    this.onFinish();
    // Fire on a later tick, as a socket's close event would, so callers of close() see it async.
    queueMicrotask(() => {
      const onclose = this.onclose;
      try {
        onclose?.(info);
      } catch {
        // The owner's bug must not escape into the socket's event loop (rule 8).
      }
      this.#settled = true;
      this.#closed?.resolve();
    });
    return true;
  }

  /** Hook for subclasses to stop timers once closed. */
  protected onFinish(): void {}

  #startBatching(): void {
    this.#batching = true;
  }

  /** True once batching is on (agreed in HELLO, or always): a turn's frames then leave in a few writes, not one each. */
  protected get isBatching(): boolean {
    return this.#batching;
  }

  /**
   * The first frame of a turn is written at once (unless batchWholeTurn): a lone request or answer
   * (1 call in flight) pays no wait, and the peer can start on it while this end is still busy. Frames that follow
   * in the same turn are collected and leave together at the end of it, or as soon as
   * batchFrames of them (or batchBytes) are waiting.
   */
  #enqueue(frame: Uint8Array): void {
    if (!this.#turnStarted) {
      this.#turnStarted = true;
      nextTurn(endTurnOf, this);
      if (!this.#settings.batchWholeTurn) {
        this.write(frame);
        return;
      }
    }
    if (this.#outboxBytes + frame.byteLength > this.#batchBytes) this.#flush();
    if (frame.byteLength >= this.#batchBytes) {
      this.write(frame);
      return;
    }
    this.#outbox ??= [];
    // Kept by reference until the flush copies it into the message (send's contract, transport.ts).
    this.#outbox.push(frame);
    this.#outboxBytes += frame.byteLength;
    if (this.#outbox.length >= this.#batchFrames) this.#flush();
  }

  /** @internal The turn is over: what was collected leaves as one message. */
  endTurn(): void {
    this.#turnStarted = false;
    this.#flush();
  }

  /** Writes the frames batched so far as one message. */
  #flush(): void {
    const frames = this.#outbox;
    if (frames === undefined) return;
    const bytes = this.#outboxBytes;
    this.#outbox = undefined;
    this.#outboxBytes = 0;
    if (frames.length === 0 || this.#closeInfo || !this.socketOpen) return;
    let message = frames[0] as Uint8Array;
    if (frames.length > 1) {
      message = new Uint8Array(bytes);
      let at = 0;
      for (const f of frames) {
        message.set(f, at);
        at += f.byteLength;
      }
    }
    try {
      this.write(message);
    } catch (error) {
      // Runs on its own turn: nothing above would catch this (rule 8).
      void this.close(CloseCode.INTERNAL_ERROR, `write failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  #scheduleDrain(): void {
    if (this.#drainScheduled) return;
    this.#drainScheduled = true;
    queueMicrotask(() => {
      this.#drainScheduled = false;
      while (this.#inbox && !this.#closeInfo) {
        const message = this.#inbox.shift();
        if (this.#inbox.length === 0) this.#inbox = undefined;
        if (message) this.#deliver(message);
      }
      if (this.#pendingClose) this.finish(this.#pendingClose);
    });
  }

  /**
   * Hands a message to the owner. Once batching, it is cut into frames by their headers' lengths
   * first; this happens at delivery, so a frame that turns batching on (the HELLO reply) takes
   * effect for the very next message. Bytes that are not whole frames go to the owner as they
   * are, for core to answer: a transport does not judge frames.
   */
  #deliver(message: Uint8Array): void {
    if (!this.#batching) {
      this.#deliverFrame(message);
      return;
    }
    let at = 0;
    do {
      const rest = message.byteLength - at;
      const length = rest >= HEADER_SIZE ? readLength(message, at) : -1;
      if (length < 0 || length > rest - HEADER_SIZE) {
        this.#deliverFrame(at === 0 ? message : message.subarray(at));
        return;
      }
      const end = at + HEADER_SIZE + length;
      this.#deliverFrame(at === 0 && end === message.byteLength ? message : message.subarray(at, end));
      at = end;
    } while (at < message.byteLength && !this.#closeInfo);
  }

  #deliverFrame(frame: Uint8Array): void {
    try {
      this.onframe?.(frame);
    } catch (error) {
      // A throwing handler ends this connection only, never the process (rule 8).
      void this.close(CloseCode.INTERNAL_ERROR, `frame handler failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

function readLength(bytes: Uint8Array, at: number): number {
  return (((bytes[at + 4] ?? 0) << 24) | ((bytes[at + 5] ?? 0) << 16) | ((bytes[at + 6] ?? 0) << 8) | (bytes[at + 7] ?? 0)) >>> 0;
}

/** Close reasons are limited to 123 UTF-8 bytes on the wire; cut on a character boundary. */
export function closeReason(reason: string): string {
  const encoder = new TextEncoder();
  if (encoder.encode(reason).byteLength <= 123) return reason;
  let cut = reason.slice(0, 123);
  while (encoder.encode(cut).byteLength > 123) cut = cut.slice(0, -1);
  return cut;
}
