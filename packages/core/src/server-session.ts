import * as CloseCode from './close-code.js';
import { decodeFrame } from './frame.js';
import * as FrameType from './frame-type.js';
import type { Hub, HubMember, TeamMessage } from './hub.js';
import { JournalGate } from './journal-gate.js';
import { parseMessage, type ToolInfo } from './messages.js';
import * as Flag from './flag.js';
import { goAwayPayload, interruptPayload, messagePayload } from './payloads.js';
import { Peer, type PeerHost, type PeerOptions } from './peer.js';
import { defineSessionTool, removeSessionTool } from './session-tools.js';
import { mayClaimAgentId, type NamespaceRule, type TeamCaller } from './teams.js';
import type { ToolDefinition } from './tool.js';
import type { Principal, Transport } from './transport.js';

/**
 * What a session asks of the server that holds it: one object shared by all its sessions. As the
 * sessions' PeerHost it gets each ServerSession as the peer it is about.
 */
export interface SessionHost extends PeerHost {
  readonly hub: Hub;
}

export interface ServerSessionInit {
  readonly principal: Principal;
  readonly ns: string;
  readonly agentId: string;
  readonly resumeToken: string;
  readonly rule: NamespaceRule;
  /** State is still to be restored from a store: team messages wait until restored(). */
  readonly restoring: boolean;
}

/**
 * One session as the server holds it: the server's end of the protocol (a Peer), the member
 * the hub knows it by, and the caller team tools see, in one object. A server keeps one per
 * idle connection, so it holds no callbacks of its own: what it must tell the server goes
 * through the shared SessionHost, its PeerHost.
 */
export class ServerSession extends Peer implements HubMember, TeamCaller {
  readonly ns: string;
  readonly agentId: string;
  readonly resumeToken: string;
  readonly rule: NamespaceRule;
  /** Messages that reach a taken-over session before its state is restored wait here. */
  private early: TeamMessage[] | undefined;
  /** Who the client is, as authenticated. */
  readonly #principal: Principal;
  /** When the transport's backlog was first seen above the slow-consumer bound at a heartbeat, with no ACK since; 0 otherwise. */
  #backlogSince = 0;
  /** The peer's highest ACK at the last heartbeat: a reader that acknowledges is slow, not stopped. */
  #ackedAtBeat = 0;

  /** `options.settings.host` is the server's SessionHost. */
  constructor(options: PeerOptions & { principal: Principal }, init: ServerSessionInit) {
    // A journaled session holds its terminal frames until the journal stores them.
    const gate = options.journal ? new JournalGate(options.journal) : undefined;
    super(gate ? { ...options, gate } : options);
    gate?.bind(
      (frames) => this.#sendHeld(frames),
      (error) => this.settings.host.journalFailed?.(this, error instanceof Error ? error : new Error(String(error))),
    );
    this.#principal = options.principal;
    this.ns = init.ns;
    this.agentId = init.agentId;
    this.resumeToken = init.resumeToken;
    this.rule = init.rule;
    this.early = init.restoring ? [] : undefined;
  }

  override get principal(): Principal {
    return this.#principal;
  }

  /** Tools this session serves, as the client should see them (the HELLO reply). */
  registryTools(): ToolInfo[] {
    return this.registry?.list() ?? [];
  }

  get member(): HubMember {
    return this;
  }

  mayClaimFrom(holder: string): Promise<boolean> {
    return mayClaimAgentId(this.rule, this.principal, this.agentId, this.ns, holder);
  }

  /** Delivers a team message to the peer (MESSAGE; reliable unless at-most-once); before restored(), it waits. */
  deliver(message: TeamMessage): void {
    if (this.early) this.early.push(message);
    else this.#send(message);
  }

  /** State restored (or nothing to restore): messages that waited go out now. */
  restored(): void {
    const waiting = this.early ?? [];
    this.early = undefined;
    for (const message of waiting) this.#send(message);
  }

  #send(message: TeamMessage): void {
    if (this.isClosed) return;
    this.trySend(FrameType.MESSAGE, 0, messagePayload(message), message.delivery !== 'at-most-once');
  }

  /** Serves a tool of this session's own, announced at once (TOOL_DEF); throws INVALID_OPTIONS on a session that serves no tools. */
  defineTool(name: string, definition: ToolDefinition): void {
    defineSessionTool(this, name, definition);
  }

  /** Withdraws a tool this session defined (TOOL_DEF with `removed`). False if it had none of that name. */
  removeTool(name: string): boolean {
    return removeSessionTool(this, name);
  }

  /**
   * Requests the peer is still running for a previous owner of this session (restored from a
   * store): interrupt them and keep their ids out of use until their terminal frames arrive.
   */
  adoptOrphans(rids: number[]): void {
    if (rids.length === 0) return;
    const calls = this.calls;
    for (const rid of rids) {
      if (calls.reserve(rid)) this.trySend(FrameType.INTERRUPT, rid, interruptPayload('the node that made this request is gone'), true);
    }
  }

  /** Sends GOAWAY and closes the transport; the session stays resumable for its TTL. */
  goAway(code: number, reason: string, retryMs?: number): void {
    this.trySend(FrameType.GOAWAY, 0, goAwayPayload(code, reason, retryMs), false);
  }

  /**
   * Runs again the requests a previous owner of this session had started and not ended
   * (resumption on another process). The caller skips chunks it already has.
   */
  resumeIncoming(frames: Array<{ rid: number; frame: Uint8Array }>): void {
    for (const { rid, frame } of frames) {
      try {
        const f = decodeFrame(frame);
        // Journaled as it arrived, in whichever form that connection had agreed to.
        const m = parseMessage(f.type, this.codec.decode(f.payload), true);
        if (m.type === FrameType.INVOKE) this.invoked(rid, m, (f.flags & Flag.RELIABLE) !== 0, frame);
      } catch (error) {
        this.reportError(error instanceof Error ? error : new Error(String(error)));
      }
    }
  }

  /** Frames the journal gate released. Without a transport they stay in the replay window and go at the next attach. */
  #sendHeld(frames: Uint8Array[]): void {
    const t = this.transport;
    if (!t) return;
    try {
      for (const frame of frames) t.send(frame);
    } catch {
      // Kept for replay; the transport's onclose handles the rest.
    }
  }

  override attach(transport: Transport, peerLastReceived: number, piggyback = false, lean = false): void {
    this.#backlogSince = 0;
    super.attach(transport, peerLastReceived, piggyback, lean);
  }

  /** The slow-consumer check (PeerSettings.slowConsumer); the server sends no PING. */
  protected override beat(transport: Transport, now: number): void {
    const slow = this.settings.slowConsumer;
    if (!slow) return;
    // A reader that stopped reading is cut however lively it is otherwise (it may keep PINGing);
    // one that still acknowledges what it receives is only slow.
    const backlog = transport.bufferedAmount;
    const acked = this.chan.lastAcked;
    const progress = acked !== this.#ackedAtBeat;
    this.#ackedAtBeat = acked;
    if (backlog <= slow.bytes || progress) this.#backlogSince = 0;
    else if (this.#backlogSince === 0) this.#backlogSince = now;
    else if (now - this.#backlogSince >= slow.ms) {
      void transport.close(CloseCode.SLOW_CONSUMER, `peer is not reading: ${backlog} bytes unsent for ${now - this.#backlogSince} ms`);
    }
  }
}
