import type { Hub, HubMember, TeamMessage } from './hub.js';
import { JournalGate } from './journal-gate.js';
import { Peer, type PeerHost, type PeerOptions } from './peer.js';
import { mayClaimAgentId, type NamespaceRule, type TeamCaller } from './teams.js';
import type { Principal } from './transport.js';

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

  /** `options.settings.host` is the server's SessionHost. */
  constructor(options: PeerOptions & { principal: Principal }, init: ServerSessionInit) {
    // A journaled session holds its terminal frames until the journal stores them.
    super(options.journal ? { ...options, gate: new JournalGate(options.journal) } : options);
    this.ns = init.ns;
    this.agentId = init.agentId;
    this.resumeToken = init.resumeToken;
    this.rule = init.rule;
    this.early = init.restoring ? [] : undefined;
  }

  // The principal is Peer's (options.principal, the same as init.principal), not kept twice.
  override get principal(): Principal {
    return super.principal as Principal;
  }

  get member(): HubMember {
    return this;
  }

  mayClaimFrom(holder: string): Promise<boolean> {
    return mayClaimAgentId(this.rule, this.principal, this.agentId, this.ns, holder);
  }

  override deliver(message: TeamMessage): void {
    if (this.early) this.early.push(message);
    else super.deliver(message);
  }

  /** State restored (or nothing to restore): messages that waited go out now. */
  restored(): void {
    const waiting = this.early ?? [];
    this.early = undefined;
    for (const message of waiting) super.deliver(message);
  }
}
