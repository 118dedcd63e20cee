import type { ToolInfo } from './messages.js';
import type { Principal } from './transport.js';

/**
 * Where a server keeps session and replay state so another process can resume a session whose
 * node died. Without a store, sessions live in the server's memory only.
 *
 * The protocol stays safe with an asynchronous store because of three orderings core keeps:
 *  - an ACK is sent only after what it acknowledges is journaled (flush()), so a client never
 *    drops a frame that only a dead node had seen;
 *  - a request's end and its terminal frame (COMPLETE/ERROR) are one journal write
 *    (invokeEnded), and the frame is sent only after it is stored: a resuming process finds either
 *    the request still started (and runs it again) or its answer (and replays it), never neither,
 *    and a request that finished is never run again on resume;
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

/**
 * Fire-and-forget writes, kept in order, with flush() as the barrier. Rules a store must keep:
 *  1. Writes are stored in the order they were made; a store may coalesce them, but never store
 *     a later write without every earlier one.
 *  2. Writes made in one synchronous run (no await between them) are stored together or not at
 *     all: core journals a received INVOKE's sq and its start in one run.
 *  3. invokeEnded() is one atomic fact: the request's end and its terminal frame are stored
 *     together or not at all.
 */
export interface SessionJournal {
  /** A reliable frame was sent (kept until acked). */
  sent(sq: number, frame: Uint8Array): void;
  acked(sq: number): void;
  received(lastReceived: number): void;
  invokeStarted(rid: number, frame: Uint8Array): void;
  /** Request `rid` ended with the terminal frame `frame`, numbered `sq` (stored as sent() would). */
  invokeEnded(rid: number, sq: number, frame: Uint8Array): void;
  /** Resolves once every write above is stored; rejects if this process no longer owns the session. */
  flush(): Promise<void>;
}
