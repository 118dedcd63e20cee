import { peekHeader } from './frame.js';
import type { ClientHello } from './hello.js';
import * as FrameType from './frame-type.js';
import type { ReliableChannel } from './reliable.js';
import { sameToken } from './server-handshake.js';
import type { SessionRecord, SessionStore, StoredSession } from './session-store.js';
import type { Principal } from './transport.js';

/** What a session must match for a HELLO to resume it (a live session, or a record in the store). */
export interface ResumeCandidate {
  readonly codec: string;
  readonly namespace: string;
  readonly resumeToken: string;
  readonly principalId: string;
}

/** The HELLO may resume the candidate: same namespace, principal and token, and a codec the client still speaks. */
export function mayResume(candidate: ResumeCandidate, hello: ClientHello, namespace: string, principal: Principal): boolean {
  const resume = hello.resume;
  return (
    resume !== undefined &&
    hello.codecs.includes(candidate.codec) &&
    candidate.namespace === namespace &&
    sameToken(candidate.resumeToken, resume.resumeToken) &&
    candidate.principalId === principal.id
  );
}

/** A session this server holds, as far as resuming it is concerned. */
export interface LiveSession {
  readonly codec: { readonly name: string };
  readonly ns: string;
  readonly resumeToken: string;
  readonly principal: Principal;
}

/**
 * The session a HELLO asks to resume: one held here (`live`), or, when this server does not
 * know the id, one another process stored (`stored`, to be taken over); nothing when the HELLO
 * asks for none or may not have it (the client then gets a new session, `resumed: false`).
 */
export async function findResumable<S extends LiveSession>(
  hello: ClientHello,
  namespace: string,
  principal: Principal,
  live: S | undefined,
  store: SessionStore | undefined,
): Promise<{ live: S } | { stored: StoredSession } | undefined> {
  const resume = hello.resume;
  if (!resume) return undefined;
  if (live) {
    const candidate = { codec: live.codec.name, namespace: live.ns, resumeToken: live.resumeToken, principalId: live.principal.id };
    return mayResume(candidate, hello, namespace, principal) ? { live } : undefined;
  }
  // Another process owned this session (it may have died).
  const stored = await store?.load(resume.sessionId);
  const r = stored?.record;
  if (!stored || !r) return undefined;
  return mayResume({ codec: r.codec, namespace: r.namespace, resumeToken: r.resumeToken, principalId: r.principal.id }, hello, namespace, principal)
    ? { stored }
    : undefined;
}

/**
 * Requests the previous owner of a taken-over session made to the client and never saw end:
 * those the client says are still running (`busy`) and the INVOKEs among the frames about to be
 * replayed. No caller waits for them here; their ids stay taken until they end.
 */
export function orphanedRequests(stored: StoredSession, busy: readonly number[] | undefined): number[] {
  const ids = new Set(busy ?? []);
  for (const f of stored.frames) {
    const h = peekHeader(f.frame);
    if (h && h.type === FrameType.INVOKE) ids.add(h.requestId);
  }
  return [...ids];
}

/** What a new session starts from: the HELLO's settings, a fresh id and resume token. */
export function newSessionRecord(
  id: string,
  resumeToken: string,
  principal: Principal,
  hello: ClientHello,
  agreed: { readonly namespace: string; readonly codec: string; readonly heartbeatMs: number },
): SessionRecord {
  return {
    id,
    resumeToken,
    principal,
    namespace: agreed.namespace,
    // A client that names no agent is known by its session id.
    agentId: hello.agent || id,
    codec: agreed.codec,
    peerMaxFrame: hello.maxFrame,
    peerMaxInflight: hello.maxInflight,
    heartbeatMs: agreed.heartbeatMs,
    remoteTools: hello.tools ?? [],
  };
}

/**
 * Gives a taken-over session the state its previous owner stored last, read again now that the
 * claim has fenced that owner (its last writes count), falling back to what the resume found.
 */
export async function restoreTaken(
  peer: { readonly chan: Pick<ReliableChannel, 'record' | 'skipTo' | 'lastReceived' | 'unackedFrames'> },
  store: SessionStore,
  taken: StoredSession,
  clientHas: number,
): Promise<StoredSession> {
  const latest = (await store.load(taken.record.id)) ?? taken;
  // The session was made for this takeover: its channel holds nothing yet. Sequence numbers
  // continue after both what was journaled and what the client says it has seen.
  const { chan } = peer;
  if (chan.unackedFrames !== 0) throw new Error('restoreTaken needs a session that has sent nothing');
  for (const f of latest.frames) chan.record(f.sq, f.frame);
  chan.skipTo(Math.max(latest.nextSq, clientHas + 1, (latest.frames.at(-1)?.sq ?? 0) + 1));
  chan.lastReceived = latest.lastReceived;
  return latest;
}
