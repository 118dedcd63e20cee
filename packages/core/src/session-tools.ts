import { AgentSocketError } from './errors.js';
import type { Peer } from './peer.js';
import type { ToolDefinition } from './tool.js';

/**
 * Tools a session serves of its own (ToolContext.defineTool, a relay's proxies): a server's
 * ServerSession and any peer's incoming calls (PeerIncoming) use these, so a client that serves
 * nothing does not load them first.
 */

/** Serves a tool of `peer`'s own, announced at once (TOOL_DEF); throws INVALID_OPTIONS on a peer that serves no tools. */
export function defineSessionTool(peer: Peer, name: string, definition: ToolDefinition): void {
  let registry = peer.registry;
  if (!registry) throw new AgentSocketError('INVALID_OPTIONS', `cannot define tool "${name}": this peer serves no tools`);
  // Over the shared registry, the session's own is made on the first tool it defines (most sessions define none).
  if (peer.sharedRegistry) {
    registry = registry.layer();
    registry.onChange(peer);
    peer.registry = registry;
  }
  registry.add(name, definition);
}

/** Withdraws a tool `peer` defined (TOOL_DEF with `removed`). False if it had none of that name. */
export function removeSessionTool(peer: Peer, name: string): boolean {
  if (peer.sharedRegistry) return false;
  return peer.registry?.remove(name) ?? false;
}
