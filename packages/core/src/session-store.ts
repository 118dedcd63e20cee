import type { ToolInfo } from './messages.js';
import type { Principal } from './transport.js';

/**
 * Where a server keeps session and replay state so another process can resume a session whose
 * node died. Without a store, sessions live in the server's memory only.
 *
 * The protocol stays safe with an asynchronous store because of three orderings core keeps:
 *  - an ACK is sent only after what it acknowledges is journaled (flush()), so a client never
 *    drops a frame that only a dead node had seen;
 *  - a terminal frame (COMPLETE/ERROR) is sent only after the request's end is journaled, so a
 *    request that finished is never run again on resume;
 *  - a resumed session continues its sequence numbers after the highest the client has seen.
 * A request still running when its node died is run again on the node that resumes the session;
 * the client drops STREAM chunks whose seq it already has (at-least-once, never duplicated).
 */
export interface SessionStore {
  /** Records a new session. */
  create(record: SessionRecord): Promise<void>;
  /** Everything needed to resume `id` here; undefined when unknown or expired. */
  load(id: string): Promise<StoredSession | undefined>;
  /**
   * Makes this process the session's owner. Journals opened by an earlier owner must stop
   * writing (their flush() rejects) so two processes never serve one session.
   */
  claim(id: string, owner: string): Promise<void>;
  /** The write side for one live session. */
  journal(id: string, owner: string): SessionJournal;
  /** The session lost its connection: forget it after `ttlMs` unless claimed again (by anyone). */
  expire(id: string, ttlMs: number, owner: string): Promise<void>;
  /** Forgets the session, unless another process owns it now. */
  delete(id: string, owner: string): Promise<void>;
}

export interface SessionRecord {
  id: string;
  resumeToken: string;
  principal: Principal;
  namespace: string;
  agentId: string;
  codec: string;
  peerMaxFrame: number;
  peerMaxInflight: number;
  heartbeatMs: number;
  remoteTools: ToolInfo[];
}

export interface StoredSession {
  record: SessionRecord;
  /** Next sequence number this side would have used. */
  nextSq: number;
  /** Highest sequence number received from the client and journaled. */
  lastReceived: number;
  /** Reliable frames sent and not yet acknowledged, oldest first. */
  frames: Array<{ sq: number; frame: Uint8Array }>;
  /** INVOKE frames from the client whose request had not ended. */
  incoming: Array<{ rid: number; frame: Uint8Array }>;
}

/** Fire-and-forget writes, kept in order, with flush() as the barrier. */
export interface SessionJournal {
  sent(sq: number, frame: Uint8Array): void;
  acked(sq: number): void;
  received(lastReceived: number): void;
  invokeStarted(rid: number, frame: Uint8Array): void;
  invokeEnded(rid: number): void;
  /** Resolves once every write above is stored; rejects if this process no longer owns the session. */
  flush(): Promise<void>;
}
