import { type AckSender, Acks, carriedAck } from './acks.js';
import type { Codec } from './codec.js';
import { AgentSocketError, ProtocolError } from './errors.js';
import * as CloseCode from './close-code.js';
import * as ErrorCode from './error-code.js';
import { decodeFrame, encodeWithHeaderRoom, HEADER_SIZE, writeHeader } from './frame.js';
import type { JournalGate } from './journal-gate.js';
import { type Message, parseMessage, readSq } from './messages.js';
import * as Flag from './flag.js';
import { frameTypeName, isKnownFrameType, PROTOCOL_VERSION } from './opcodes.js';
import * as FrameType from './frame-type.js';
import { ackPayload, errorPayload, type Payload, PayloadForm, payloadFrame, pingPayload } from './payloads.js';
import { ReliableChannel } from './reliable.js';
import * as State from './session-state.js';
import type { SessionJournal } from './session-store.js';
import type { PeerSettings, SessionOptions } from './peer-options.js';
import type { Transport, TransportCloseInfo } from './transport.js';
import { WireShapeError } from './wire.js';


/** Times kept per session count from here (see Session.lastHeard). */
const EPOCH = Date.now();

/**
 * The reliable-session layer of one end of a session: it takes over a transport and replays what
 * the peer has not acknowledged, numbers and sends frames (the journal's gate on terminal frames),
 * decodes and checks every received frame (header, codec, carried ack, sequence number, payload
 * shape) before handing its message to the RPC endpoint above (Peer.dispatch), acknowledges, and
 * beats. It survives its transport: detach() on a drop, attach() the next one on resume.
 */
export abstract class Session implements AckSender {
  readonly sessionId: string;
  readonly chan: ReliableChannel;
  /**
   * What every session of this owner shares, kept by reference: a server holds one session per
   * idle connection, and a dozen fields copied into each would cost every connection ≈ 90 B.
   * The rest of the options is copied, not kept (the options object would keep its callbacks).
   */
  readonly settings: PeerSettings;
  readonly codec: Codec;
  /** Heartbeat period agreed for the session, ms (0: none). */
  readonly heartbeatMs: number;
  protected transport: Transport | undefined;
  protected readonly peerMaxFrame: number;
  /** The session's yes/no state in one small integer (Flag bits below), not a field each: a server holds one session per idle connection. */
  protected flags = 0;
  /** Holds terminal frames until journaled; only a journaled session has one. */
  readonly #gate: JournalGate | undefined;
  /** Acks this end owes the peer; made by the first reliable frame received. */
  #acks: Acks | undefined;
  /** When the peer was last heard, ms since EPOCH: a small integer V8 keeps in the field, where a Date.now() would take a boxed number of 16 B per session. */
  #lastHeard = 0;
  /** What every attached transport calls: bound once, so an attach makes no closures. */
  readonly #frameHandler: (bytes: Uint8Array) => void = this.#onFrame.bind(this);
  readonly #closeHandler: (info: TransportCloseInfo) => void = this.#transportClosed.bind(this);

  constructor(options: SessionOptions) {
    this.sessionId = options.sessionId;
    this.settings = options.settings;
    this.codec = options.codec;
    this.peerMaxFrame = options.peerMaxFrame;
    this.heartbeatMs = options.heartbeatMs;
    // Made and bound by ServerSession, which alone keeps a journal.
    this.#gate = options.gate;
    this.chan = new ReliableChannel(options.window);
  }

  /** A message the peer sent, checked and in order (the RPC endpoint's part). */
  protected abstract dispatch(rid: number, m: Message, reliable: boolean, bytes: Uint8Array): void;
  /** The transport went away (not by close()). */
  protected abstract transportLost(info: TransportCloseInfo): void;
  /** A connection-level error, for logging. */
  abstract reportError(error: Error): void;

  protected get closed(): boolean {
    return (this.flags & State.CLOSED) !== 0;
  }

  protected set closed(on: boolean) {
    this.setFlag(State.CLOSED, on);
  }

  /** Both ends take `ack` in any payload (agreed in this connection's HELLO). */
  get #piggyback(): boolean {
    return (this.flags & State.PIGGYBACK) !== 0;
  }

  /** This end sends it: agreed, and no journal (a journaled session acknowledges only what the journal holds). */
  get #piggybackOut(): boolean {
    return (this.flags & State.PIGGYBACK_OUT) !== 0;
  }

  /** Both ends may send INVOKE, STREAM and COMPLETE in the lean form (agreed in this connection's HELLO). */
  get #lean(): boolean {
    return (this.flags & State.LEAN) !== 0;
  }

  /** The form INVOKE, STREAM and COMPLETE payloads are built in for this connection (sendFrame sends them as they are). */
  get payloadForm(): PayloadForm {
    if (!this.#lean) return PayloadForm.LONG;
    return this.codec.name === 'msgpack' ? PayloadForm.LEAN_BINARY_IDS : PayloadForm.LEAN;
  }

  protected setFlag(bit: number, on: boolean): void {
    this.flags = on ? this.flags | bit : this.flags & ~bit;
  }

  /** The session's journal: its gate's (a journaled session has one; the constructor checks they agree), not a field of its own. */
  get journal(): SessionJournal | undefined {
    return this.#gate?.journal;
  }

  get side(): 'client' | 'server' {
    return this.settings.side;
  }

  get attached(): boolean {
    return this.transport !== undefined;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Takes over a transport whose handshake is done. Frames the peer has acknowledged up to
   * `peerLastReceived` are dropped; the rest are sent again, in order. `piggyback`: both ends
   * agreed in this handshake that any frame may carry `ack` (protocol.md §11); this end then
   * takes it, and sends it unless it has a journal (which acknowledges only what it holds).
   */
  attach(transport: Transport, peerLastReceived: number, piggyback = false, lean = false): void {
    if (this.closed) throw new AgentSocketError('SESSION_CLOSED', 'session is closed');
    this.setFlag(State.PIGGYBACK, piggyback);
    this.setFlag(State.LEAN, lean);
    this.setFlag(State.PIGGYBACK_OUT, piggyback && !this.journal);
    // A transport replaced without detach() no longer speaks for this peer when it closes.
    if (this.transport && this.transport !== transport) this.transport.onclose = undefined;
    this.transport = transport;
    transport.onframe = this.#frameHandler;
    transport.onclose = this.#closeHandler;
    this.chan.acknowledge(peerLastReceived);
    // Held frames wait for the journal: the gate sends them, in order, after these.
    const held = this.#gate?.heldFrames();
    try {
      for (const frame of this.chan.unacked()) if (!held?.has(frame)) transport.send(frame);
    } catch {
      // The new transport closed while replaying; its onclose detaches and the next resume replays again.
    }
    this.#lastHeard = Date.now() - EPOCH;
    this.#startHeartbeat();
    transport.start();
  }

  #transportClosed(info: TransportCloseInfo): void {
    this.detach();
    this.transportLost(info);
  }

  /** The transport is gone; the session waits for a resume. */
  detach(): void {
    // Should it close later, that is no longer this session's business.
    if (this.transport) this.transport.onclose = undefined;
    this.transport = undefined;
    this.#stopHeartbeat();
  }

  /** Drops the current transport without ending the session (used when a resume replaces it). */
  replaceTransport(): Transport | undefined {
    const old = this.transport;
    if (old) {
      old.onframe = undefined;
      old.onclose = undefined;
      this.detach();
    }
    return old;
  }

  /** Ends the session's transport with 1000 and stops its timers (Peer.close settles the calls). */
  protected closeSession(reason: string): void {
    this.closed = true;
    this.#stopHeartbeat();
    this.#acks?.stop();
    this.chan.releaseWaiters();
    this.#gate?.clear();
    const t = this.transport;
    this.transport = undefined;
    if (t) {
      t.onclose = undefined;
      void t.close(CloseCode.NORMAL, reason);
    }
  }

  // ---- sending ----

  /**
   * Encodes and sends one frame, its payload as given (INVOKE, STREAM and COMPLETE built in
   * `payloadForm`). Throws FRAME_TOO_LARGE, or ENCODE_FAILED for a value the codec
   * cannot take; a reliable frame is kept for replay. `ends`: the frame ends request `rid`
   * (COMPLETE/ERROR); with a journal it goes out only once the journal holds it, together with
   * the request's end (JournalGate).
   */
  protected sendFrame(type: number, flags: number, rid: number, payload: Payload, reliable: boolean, ends = false): void {
    let sq = 0;
    if (reliable) {
      sq = this.chan.take();
      payload['sq'] = sq;
      flags |= Flag.RELIABLE;
    }
    const carried = this.#piggybackOut && this.transport !== undefined && this.#acks ? this.#acks.carry() : 0;
    if (carried > 0) payload['ack'] = this.chan.lastReceived;
    // Encoded once, with the header written in front of the payload (no copy).
    let frame: Uint8Array;
    try {
      frame = encodeWithHeaderRoom(this.codec, payload);
    } catch (error) {
      // A value the codec cannot take (a BigInt beyond 64 bits, a cycle, a symbol): nothing was sent.
      if (reliable) this.chan.untake(sq);
      this.#acks?.uncarry(carried);
      throw new AgentSocketError('ENCODE_FAILED', `${frameTypeName(type)} payload cannot be encoded as ${this.codec.name}: ${errorMessage(error)}`, { cause: error });
    }
    const length = frame.byteLength - HEADER_SIZE;
    const limit = Math.min(this.peerMaxFrame, (this.transport?.maxFrameBytes ?? Number.POSITIVE_INFINITY) - HEADER_SIZE);
    if (length > limit) {
      if (reliable) this.chan.untake(sq); // the refused frame must not leave a gap in the sequence
      this.#acks?.uncarry(carried); // nor take the ack it carried with it
      throw new AgentSocketError('FRAME_TOO_LARGE', `${frameTypeName(type)} payload of ${length} bytes exceeds the limit of ${limit}`);
    }
    writeHeader(frame, type, flags, rid, length);
    if (reliable) {
      this.chan.record(sq, frame);
      if (this.#gate && !this.#gate.sent(sq, frame, rid, ends)) return;
    }
    const t = this.transport;
    if (!t) {
      if (!reliable) throw new AgentSocketError('CONNECTION_LOST', 'not connected');
      return;
    }
    try {
      t.send(frame);
    } catch (error) {
      // A reliable frame is already kept for replay; an unreliable one is lost with the connection.
      if (!reliable) throw error;
    }
  }

  /** sendFrame for frames whose failure has nowhere to go (terminal and control frames): what it threw, or undefined once sent. */
  trySend(type: number, rid: number, payload: Payload, reliable: boolean, ends = false): unknown {
    try {
      this.sendFrame(type, 0, rid, payload, reliable, ends);
      return undefined;
    } catch (error) {
      return error ?? new Error('send failed');
    }
  }

  /** An unnumbered frame (ACK, PING, PONG, a connection-level ERROR), lost if the transport is. */
  protected sendRaw(type: number, rid: number, payload: Payload): void {
    const t = this.transport;
    if (!t) return;
    try {
      t.send(payloadFrame(this.codec, type, 0, rid, payload));
    } catch {
      // the transport is closing; onclose handles the rest
    }
  }

  /** AckSender: an ACK for everything received so far (with a journal, once it holds it). */
  sendAck(): void {
    const ack = this.chan.lastReceived;
    // Acknowledge only what is journaled, so a frame only a dead node saw is sent again.
    if (this.#gate) this.#gate.whenStored(() => this.sendRaw(FrameType.ACK, 0, ackPayload(ack)));
    else this.sendRaw(FrameType.ACK, 0, ackPayload(ack));
  }

  // ---- heartbeats ----

  #startHeartbeat(): void {
    this.#stopHeartbeat();
    this.settings.heartbeats.add(this, this.heartbeatMs); // a period of 0 never beats
  }

  #stopHeartbeat(): void {
    this.settings.heartbeats.delete(this, this.heartbeatMs);
  }

  /** Called by the heartbeat clock every heartbeatMs while attached: the liveness check, then beat(). */
  heartbeat(now: number): void {
    const t = this.transport;
    if (!t) return;
    const hb = this.heartbeatMs;
    if (now - EPOCH - this.#lastHeard > hb * 2.5) {
      void t.close(CloseCode.HEARTBEAT_TIMEOUT, `nothing heard for ${hb * 2.5} ms`);
      return;
    }
    this.beat(t, now);
  }

  /** A live session's beat: the client PINGs; the server only checks that something was heard (and, ServerSession, that the peer reads). */
  protected beat(_transport: Transport, now: number): void {
    if (this.side === 'client') this.sendRaw(FrameType.PING, 0, pingPayload(now));
  }

  // ---- receiving ----

  #fatal(code: number, message: string, closeCode: number): void {
    this.reportError(new ProtocolError(code, message));
    this.sendRaw(FrameType.ERROR, 0, errorPayload(code, message));
    void this.transport?.close(closeCode, message.slice(0, 120));
  }

  /** A frame too large to take: refused here; the RPC endpoint interrupts request `rid` if it runs here. */
  protected abstract tooLarge(rid: number): void;

  #onFrame(bytes: Uint8Array): void {
    this.#lastHeard = Date.now() - EPOCH;
    let frame: ReturnType<typeof decodeFrame>;
    try {
      frame = decodeFrame(bytes);
    } catch (error) {
      this.#fatal(ErrorCode.BAD_FRAME, errorMessage(error), CloseCode.BAD_FRAME);
      return;
    }
    const { type, requestId: rid } = frame;
    if (frame.version !== PROTOCOL_VERSION) {
      this.#fatal(ErrorCode.UNSUPPORTED_VERSION, `frame version ${frame.version}, session speaks ${PROTOCOL_VERSION}`, CloseCode.UNSUPPORTED_VERSION);
      return;
    }
    if (!isKnownFrameType(type) || type === FrameType.HELLO || type === FrameType.EXTENSION) {
      this.sendRaw(FrameType.ERROR, rid, errorPayload(ErrorCode.UNKNOWN_FRAME_TYPE, `frame type ${frameTypeName(type)} is not understood here`));
      return;
    }
    if (frame.payload.byteLength > this.settings.maxFrame) {
      this.sendRaw(FrameType.ERROR, rid, errorPayload(ErrorCode.FRAME_TOO_LARGE, `payload of ${frame.payload.byteLength} bytes exceeds the limit of ${this.settings.maxFrame}`));
      this.tooLarge(rid);
      return;
    }
    let decoded: unknown;
    try {
      decoded = this.codec.decode(frame.payload);
    } catch (error) {
      this.#fatal(ErrorCode.BAD_FRAME, `${frameTypeName(type)} payload is not valid ${this.codec.name}: ${errorMessage(error)}`, CloseCode.BAD_FRAME);
      return;
    }
    if (this.#piggyback && type !== FrameType.ACK) {
      const ack = carriedAck(decoded);
      if (ack === 'bad') {
        this.#fatal(ErrorCode.BAD_FRAME, `${frameTypeName(type)}.ack must be an unsigned integer`, CloseCode.BAD_FRAME);
        return;
      }
      if (ack !== undefined) this.#acknowledged(ack);
    }
    if (frame.flags & Flag.RELIABLE) {
      const sq = readSq(decoded);
      if (sq === undefined) {
        this.#fatal(ErrorCode.BAD_FRAME, `${frameTypeName(type)} is flagged RELIABLE but has no sq`, CloseCode.BAD_FRAME);
        return;
      }
      this.#acks ??= new Acks(this, this.settings.ackDelayMs);
      this.#acks.received();
      if (!this.chan.receive(sq)) return; // a replayed frame already handled
      this.journal?.received(sq);
    }
    let message: Message;
    try {
      message = parseMessage(type, decoded, this.#lean);
    } catch (error) {
      if (!(error instanceof WireShapeError)) throw error;
      if (type === FrameType.ERROR || rid === 0) {
        this.#fatal(ErrorCode.BAD_FRAME, error.message, CloseCode.BAD_FRAME);
      } else {
        this.sendRaw(FrameType.ERROR, rid, errorPayload(ErrorCode.BAD_FRAME, error.message));
      }
      return;
    }
    switch (message.type) {
      case FrameType.ACK:
        this.#acknowledged(message.ack);
        return;
      case FrameType.PING:
        this.sendRaw(FrameType.PONG, 0, pingPayload(message.t));
        return;
      case FrameType.PONG:
        return;
      default:
        this.dispatch(rid, message, (frame.flags & Flag.RELIABLE) !== 0, bytes);
    }
  }

  /** The peer acknowledged every `sq` ≤ `ack` (an ACK frame, or `ack` carried by another frame). */
  #acknowledged(ack: number): void {
    this.chan.acknowledge(ack);
    this.journal?.acked(ack);
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
