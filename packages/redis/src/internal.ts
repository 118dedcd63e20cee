/**
 * For sibling packages (@agentsocket/tasks) that keep their own data on the same Redis: the
 * script runner and the outage helpers every store here uses, so there is one of each.
 */
export { guarded, isTransient, unavailable } from './connection.js';
export { LuaScript, replyBuffer } from './script.js';
export type { DedupFusion } from './dedup-store.js';
/** The Lua of RedisDedupStore's claim (`dedup_claim`, see DedupFusion.lua), for scripts that claim for a worker elsewhere. */
export { CLAIM_FUNCTION as DEDUP_CLAIM_LUA } from './dedup-store.js';
