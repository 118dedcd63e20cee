/**
 * What a client loads when it starts serving: its first tool (the registry), the server's first
 * INVOKE (the incoming calls) or its first exactly-once call or team message (a dedup store). One
 * module, so a bundler makes one chunk of it, and a page that serves nothing loads none of it.
 */
export { MemoryDedupStore } from './dedup.js';
export { IncomingCalls } from './incoming-calls.js';
export { PeerIncoming } from './peer-incoming.js';
export { ToolRegistry } from './tool-registry.js';
