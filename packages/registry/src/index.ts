export { DEFAULTS } from './defaults.js';
export { RegistryError, type RegistryErrorReason } from './errors.js';
export type { PresenceEvent, PresenceEventType } from './events.js';
export type { NodeInfo, NodeStats } from './node-stats.js';
export { parseQuery, type RegistryQuery } from './query.js';
export { type AgentRecord, type AgentStatus, STATUSES } from './record.js';
export { type AgentEntry, AgentRegistry, type AgentRegistryInit, type StatusPatch, type SubscribeOptions } from './registry.js';
export { RegistryHub, type RegistryHubInit, toolsOf } from './registry-hub.js';
export { type RegistrySnapshot, registryTools } from './tools.js';
