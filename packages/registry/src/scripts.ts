import { LuaScript } from '@agentsocket/redis/internal';

/** Lua: the server's clock in ms (every node compares heartbeats against one clock). */
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/** Lua: the record in `v` belongs to node `node` (and session `session`, when given). */
const OWNED = `local function owned(v, node, session)
  if not v then return false end
  local ok, rec = pcall(cjson.decode, v)
  if not ok or type(rec) ~= 'table' then return false end
  return rec.node == node and (session == '' or rec.sessionId == session)
end
`;

/**
 * Stores a record, moves it to this node's set (out of a previous node's), refreshes the node's
 * heartbeat and publishes `joined`.
 * KEYS: agents(ns), nodeAgents(node), nodes, namespaces.
 * ARGV: agentId, stored JSON, node, "ns\\nagentId", base, channel, at, ns.
 */
export const REGISTER = new LuaScript(`${NOW}${OWNED}
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old then
  local ok, rec = pcall(cjson.decode, old)
  if ok and type(rec) == 'table' and type(rec.node) == 'string' and rec.node ~= ARGV[3] then
    redis.call('SREM', ARGV[5] .. 'n:' .. rec.node, ARGV[4])
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[4])
redis.call('SADD', KEYS[4], ARGV[8])
redis.call('ZADD', KEYS[3], now, ARGV[3])
redis.call('PUBLISH', ARGV[6], '{"type":"joined","at":' .. ARGV[7] .. ',"agent":' .. ARGV[2] .. '}')
return 1
`);

/**
 * Replaces a record this node still owns for this session and publishes `status`. Returns 1 when
 * written, 0 when there is no record, 2 when another node or session holds it now.
 * KEYS: agents(ns). ARGV: agentId, node, sessionId, stored JSON, channel, at.
 */
export const UPDATE = new LuaScript(`${OWNED}
local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old then return 0 end
if not owned(old, ARGV[2], ARGV[3]) then return 2 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
redis.call('PUBLISH', ARGV[5], '{"type":"status","at":' .. ARGV[6] .. ',"agent":' .. ARGV[4] .. '}')
return 1
`);

/**
 * Removes a record this node still owns for this session and publishes `left`; 1 if removed.
 * KEYS: agents(ns), nodeAgents(node), namespaces.
 * ARGV: agentId, node, sessionId, "ns\\nagentId", channel, at, reason, ns.
 */
export const UNREGISTER = new LuaScript(`${OWNED}
redis.call('SREM', KEYS[2], ARGV[4])
local old = redis.call('HGET', KEYS[1], ARGV[1])
if not owned(old, ARGV[2], ARGV[3]) then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
if redis.call('HLEN', KEYS[1]) == 0 then redis.call('SREM', KEYS[3], ARGV[8]) end
redis.call('PUBLISH', ARGV[5], '{"type":"left","at":' .. ARGV[6] .. ',"reason":"' .. ARGV[7] .. '","agent":' .. old .. '}')
return 1
`);

/**
 * Refreshes a node's heartbeat; 1 if it was there, 0 if it had been taken for dead and reaped
 * (its agents must be registered again). KEYS: nodes. ARGV: node.
 */
export const HEARTBEAT = new LuaScript(`${NOW}
local was = redis.call('ZSCORE', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[1], now, ARGV[1])
if was then return 1 end
return 0
`);

/**
 * Reaps nodes whose last beat is older than the TTL: up to ARGV[4] of each one's agents are
 * removed, each with a `failed` event; a node leaves the set once it has none left.
 * KEYS: nodes, namespaces, stats. ARGV: ttlMs, base, channel, batch, maxNodes. Returns the count.
 */
export const REAP = new LuaScript(`${NOW}${OWNED}
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. string.format('%d', now - tonumber(ARGV[1])), 'LIMIT', 0, tonumber(ARGV[5]))
local n = 0
for _, node in ipairs(dead) do
  local last = string.format('%d', tonumber(redis.call('ZSCORE', KEYS[1], node)))
  local setKey = ARGV[2] .. 'n:' .. node
  for _, m in ipairs(redis.call('SPOP', setKey, tonumber(ARGV[4]))) do
    local nl = string.find(m, '\\n', 1, true)
    if nl then
      local ns = string.sub(m, 1, nl - 1)
      local id = string.sub(m, nl + 1)
      local key = ARGV[2] .. 'a:' .. ns
      local v = redis.call('HGET', key, id)
      if owned(v, node, '') then
        redis.call('HDEL', key, id)
        if redis.call('HLEN', key) == 0 then redis.call('SREM', KEYS[2], ns) end
        redis.call('PUBLISH', ARGV[3], '{"type":"failed","at":' .. string.format('%d', now) .. ',"lastSeen":' .. last .. ',"agent":' .. v .. '}')
        n = n + 1
      end
    end
  end
  if redis.call('SCARD', setKey) == 0 then
    redis.call('ZREM', KEYS[1], node)
    redis.call('HDEL', KEYS[3], node)
  end
end
return n
`);

/**
 * A polite goodbye once a node's agents are unregistered: its heartbeat and stats go. Agents still
 * listed (their removal failed) keep it in the set, to be reaped as failed. KEYS: nodes, stats,
 * nodeAgents(node). ARGV: node.
 */
export const LEAVE = new LuaScript(`
if redis.call('SCARD', KEYS[3]) > 0 then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
`);

export const SCRIPTS = [REGISTER, UPDATE, UNREGISTER, HEARTBEAT, REAP, LEAVE];
