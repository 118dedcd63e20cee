/** What a Peer is made with (the reliable-session layer's part first) and PeerHost, what it tells its owner. */
import type { Call, InvokeOptions } from './call.js';
import type { DedupStore } from './dedup.js';
import type { TeamMessage } from './hub.js';
import type { IncomingCalls } from './incoming-calls.js';
import type { ToolInfo } from './messages.js';
import type { Peer } from './peer.js';
import { HeartbeatClock } from './heartbeat.js';
import { DEFAULT_ACK_DELAY_MS, DEFAULT_DEDUP_TTL_MS, DEFAULT_MAX_PEER_TOOL_BYTES } from './defaults.js';
import type { WindowOptions } from './reliable.js';
import type { Codec } from './codec.js';
import type { JournalGate } from './journal-gate.js';
import type { SessionJournal } from './session-store.js';
import type { ToolRegistry } from './tool-registry.js';
import type { Principal, TransportCloseInfo } from './transport.js';

/**
 * What every peer of one owner shares (a server builds it once for all its sessions, a client once
 * per session): kept by reference, so an idle session holds one pointer instead of a dozen fields.
 * Made by peerSettings(), which fills the defaults.
 */
export interface PeerSettingsInit {
  side: 'client' | 'server';
  /** Largest payload this side accepts. */
  maxFrame: number;
  /** Shares heartbeat timers with other peers (a server passes one for all its sessions). @default a clock of this peer's own */
  heartbeats?: HeartbeatClock | undefined;
  /**
   * A peer that stops reading: when the transport's backlog (bufferedAmount) is above `bytes` at
   * every heartbeat check for `ms` and the peer acknowledged nothing in that time, the connection
   * is closed with 4429 SLOW_CONSUMER, whatever else the peer sends. @default no check (a server passes its own)
   */
  slowConsumer?: SlowConsumerBound | undefined;
  /** Longest wait before acknowledging received frames. @default 5 */
  ackDelayMs?: number | undefined;
  /** Requests the peer may have running here at once. */
  maxInflight: number;
  /** Largest tool list the peer may build up with TOOL_DEF, bytes (estimated); a TOOL_DEF past it gets ERROR 413. @default 1 MiB */
  maxPeerToolBytes?: number | undefined;
  /** Where exactly-once outcomes of the peer's calls are recorded. @default PeerHost.dedupStore (a client makes its default on first use) */
  dedup?: DedupStore | undefined;
  /** How long exactly-once outcomes are kept. @default 300000 */
  dedupTtlMs?: number | undefined;
  /** Prefix for dedup keys (agent and principal), so callers cannot read each other's outcomes. A server's sessions add the principal themselves. */
  dedupScope: string;
  newId: () => string;
  /** What the peer tells its owner: one object, which may serve many peers (a server's sessions). */
  host: PeerHost;
  /**
   * Tools every peer of this owner serves when PeerOptions.registry is absent (a server's agent and
   * team tools): a peer's own registry over it is made when it defines its first tool. Until then
   * the peer does not subscribe to it: the owner tells such peers (Peer.sharedRegistry) of its
   * changes with announceTools().
   */
  sharedTools?: ToolRegistry | undefined;
}

/** PeerSettingsInit with its defaults filled in. */
export interface PeerSettings extends Readonly<PeerSettingsInit> {
  readonly heartbeats: HeartbeatClock;
  readonly ackDelayMs: number;
  readonly maxPeerToolBytes: number;
  readonly dedupTtlMs: number;
}

/** Fills PeerSettingsInit's defaults (a heartbeat clock of its own when none is given). */
export function peerSettings(init: PeerSettingsInit): PeerSettings {
  return {
    ...init,
    heartbeats: init.heartbeats ?? new HeartbeatClock(),
    ackDelayMs: init.ackDelayMs ?? DEFAULT_ACK_DELAY_MS,
    maxPeerToolBytes: init.maxPeerToolBytes ?? DEFAULT_MAX_PEER_TOOL_BYTES,
    dedupTtlMs: init.dedupTtlMs ?? DEFAULT_DEDUP_TTL_MS,
  };
}

/** What the reliable-session layer takes (a part of PeerOptions): what is this session's own, and the owner's shared settings. */
export interface SessionOptions {
  settings: PeerSettings;
  codec: Codec;
  sessionId: string;
  /** Largest payload the peer accepts. */
  peerMaxFrame: number;
  heartbeatMs: number;
  window?: WindowOptions | undefined;
  /** Journals session state for resumption elsewhere (see SessionStore): ServerSession makes `gate` from it. */
  journal?: SessionJournal | undefined;
  /** Holds terminal frames until `journal` stores them; ServerSession makes and binds it for a journaled session (the session reads its journal from here; a Peer without one keeps no journal). */
  gate?: JournalGate | undefined;
}

export interface SlowConsumerBound {
  readonly bytes: number;
  readonly ms: number;
}

export interface PeerOptions extends SessionOptions {
  /** Tools this side serves to the peer. @default PeerSettings.sharedTools, else none (a client that serves none yet; see serve()) */
  registry?: ToolRegistry | undefined;
  /** Who the peer is, as authenticated (ServerSession keeps it; a client's peer has none). */
  principal?: Principal | undefined;
  /** Requests this side may have running at the peer at once. */
  peerMaxInflight: number;
}

/**
 * What a Peer tells its owner (AgentClient, or the AgentServer for each of its sessions) and asks
 * of it. Every method gets the peer it is about, so one host serves any number of peers and a
 * server's idle session holds no callbacks of its own.
 */
export interface PeerHost {
  /** The transport went away (not by close()): the owner resumes or expires the session. */
  detached(peer: Peer, info: TransportCloseInfo): void;
  /** Connection-level errors (ERROR on request 0, undecodable frames, a store that failed), for logging. */
  error(peer: Peer, error: Error): void;
  /** The journal refused a write (another process owns the session now); only a server's sessions keep a journal. */
  journalFailed?(peer: Peer, error: Error): void;
  /** The peer announced or withdrew tools (TOOL_DEF). */
  toolsChanged?(peer: Peer, added: ToolInfo[], removed: string[]): void;
  /** GOAWAY from the peer: reconnect after retryMs. */
  goAway?(peer: Peer, code: number, reason: string, retryMs: number | undefined): void;
  /** A team MESSAGE arrived. */
  message?(peer: Peer, message: TeamMessage): void;
  /** Routes an INVOKE addressed to another agent (`to`); absent where routing is not offered. */
  route?(peer: Peer, to: string, tool: string, args: unknown, options: InvokeOptions): Call;
  /** The dedup store when PeerOptions.dedup is absent, asked for on first use (an exactly-once call or ctx.once). */
  dedupStore?(peer: Peer): Promise<DedupStore>;
  /** Prefix of the peer's exactly-once keys. @default PeerOptions.dedupScope */
  dedupScope?(peer: Peer): string;
  /**
   * Makes the peer's incoming-call side (a server passes one, so its sessions never wait for it).
   * @default loaded on the peer's first INVOKE: a browser client that serves no tools never loads it
   */
  incomingCalls?(peer: Peer): IncomingCalls;
}
