import * as CloseCode from './close-code.js';
import { AgentSocketError } from './errors.js';
import type { Hub } from './hub.js';
import { IncomingCalls } from './incoming-calls.js';
import { PeerIncoming } from './peer-incoming.js';
import { ServerSession, type SessionHost } from './server-session.js';
import { DEFAULT_NAMESPACE } from './teams.js';

/** What a server's SessionHost acts on: the server's hub, its agent's name and its sessions' lifecycle. */
export interface HostOwner {
  readonly hub: Hub;
  readonly agentName: string;
  /** Ends a session (`forget` false: another process may resume it, its stored state stays). */
  endSession(session: ServerSession, error: Error, forget?: boolean): void;
  /** The session's connection is gone: it waits to be resumed. */
  dropSession(session: ServerSession): void;
  /** An `error` event, held to the server's limit. */
  report(error: unknown): void;
}

/**
 * The one SessionHost through which all sessions of a server tell it what happened (a session
 * holds no callbacks of its own): a dropped connection, a journal another process took over,
 * errors; with the exactly-once scope, routing to other agents and each session's incoming calls.
 */
export function serverSessionHost(owner: HostOwner): SessionHost {
  const { hub } = owner;
  return {
    hub,
    // A client that closes normally is done with the session; anything else may come back.
    detached: (session, info) => {
      if (!(session instanceof ServerSession)) return;
      if (info.code === CloseCode.NORMAL && !info.local) owner.endSession(session, new AgentSocketError('SESSION_CLOSED', 'client closed the session'));
      else owner.dropSession(session);
    },
    // Another process resumed this session: stop serving it here, leave its stored state alone.
    journalFailed: (session, error) => {
      if (session instanceof ServerSession) owner.endSession(session, error, false);
    },
    error: (_session, error) => owner.report(error),
    // Exactly-once keys of one agent and one principal: callers cannot read each other's outcomes.
    dedupScope: (session) => `${owner.agentName}:${session.principal?.id ?? ''}`,
    route: (session, to, tool, args, options) => hub.invoke(session instanceof ServerSession ? session.ns : DEFAULT_NAMESPACE, to, tool, args, options),
    // Made at once: a server's sessions serve tools, so they never wait for the module.
    incomingCalls: (session) => new IncomingCalls(new PeerIncoming(session)),
  };
}
