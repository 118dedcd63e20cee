import { LUA_NOW, LuaScript } from './script.js';

/*
 * Hub keys (see keys.ts): a hash per namespace agentId → "instance\nsessionId", a set per room,
 * a set of rooms per agent, the principal each agent id is bound to, a set of "ns\nagentId" per
 * hub instance, and one sorted set of instances scored by heartbeat expiry. An entry whose instance's heartbeat expired is dead:
 * reads skip it, attach replaces it, and the reaper removes it.
 */

const HELPERS = `${LUA_NOW}
local function split(s)
  local nl = string.find(s, '\\n', 1, true)
  if not nl then return s, '' end
  return string.sub(s, 1, nl - 1), string.sub(s, nl + 1)
end
local function live(nodes, inst)
  local s = redis.call('ZSCORE', nodes, inst)
  return s and tonumber(s) > now
end
local function drop_rooms(prefix, ns, agent)
  local ar = prefix .. 'h:ar:' .. ns .. ':' .. agent
  for _, room in ipairs(redis.call('SMEMBERS', ar)) do
    redis.call('SREM', prefix .. 'h:r:' .. ns .. ':' .. room, agent)
  end
  redis.call('DEL', ar)
end
`;

/**
 * KEYS: members hash, nodes, this instance's member set, the agent's rooms set, the agent's owner.
 * ARGV: agentId, entry, instance, sessionId, mode ('attach' | 'restore'), keyTtl, memberRef, prefix, ns,
 * principal id, '1' to take the agent id from another principal.
 * Reply {1, from, rooms...} when this instance holds the agent now, where `from` is the live
 * instance it took the same session over from ('' if none); {0} when a live other holds it;
 * {2, owner} when the agent id is bound to another principal (and taking it was not asked for).
 */
export const ATTACH = new LuaScript(`${HELPERS}
local cur = redis.call('HGET', KEYS[1], ARGV[1])
local owner = redis.call('GET', KEYS[5])
if owner and owner ~= ARGV[10] then
  if ARGV[5] == 'restore' then return {0} end
  if cur and cur ~= ARGV[2] and live(KEYS[2], split(cur)) then return {0} end
  if ARGV[11] ~= '1' then return {2, owner} end
end
local from = ''
if cur and cur ~= ARGV[2] then
  local inst, sid = split(cur)
  if live(KEYS[2], inst) then
    if ARGV[5] == 'restore' or sid ~= ARGV[4] then return {0} end
    if inst ~= ARGV[3] then from = inst end
  elseif sid ~= ARGV[4] then
    drop_rooms(ARGV[8], ARGV[9], ARGV[1])
  end
  if inst ~= ARGV[3] then redis.call('SREM', ARGV[8] .. 'h:node:' .. inst, ARGV[7]) end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SET', KEYS[5], ARGV[10], 'PX', ARGV[6])
redis.call('SADD', KEYS[3], ARGV[7])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('PEXPIRE', KEYS[3], ARGV[6])
redis.call('PEXPIRE', KEYS[4], ARGV[6])
local out = {1, from}
for _, room in ipairs(redis.call('SMEMBERS', KEYS[4])) do out[#out + 1] = room end
return out`);

/**
 * KEYS: members hash, this instance's member set, the agent's rooms set, the agent's owner.
 * ARGV: agentId, entry, memberRef, prefix, ns, hold ms (0: unbind the agent id now).
 * Removes the entry only if it is still this one.
 */
export const DETACH = new LuaScript(`${HELPERS}
redis.call('SREM', KEYS[2], ARGV[3])
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
if tonumber(ARGV[6]) > 0 then redis.call('PEXPIRE', KEYS[4], ARGV[6]) else redis.call('DEL', KEYS[4]) end
drop_rooms(ARGV[4], ARGV[5], ARGV[1])
return 1`);

/**
 * KEYS: members hash, nodes, room set (or the members hash again for the whole namespace).
 * ARGV: mode ('to' | 'room' | 'all'), agentId for 'to', agentId to skip ('' for none).
 * Reply: flat list agentId, entry, … of live members.
 */
export const ROUTE = new LuaScript(`${HELPERS}
local out = {}
local function add(agent, entry)
  if agent == ARGV[3] or not entry then return end
  local inst = split(entry)
  if live(KEYS[2], inst) then
    out[#out + 1] = agent
    out[#out + 1] = entry
  end
end
if ARGV[1] == 'to' then
  add(ARGV[2], redis.call('HGET', KEYS[1], ARGV[2]))
elseif ARGV[1] == 'room' then
  for _, agent in ipairs(redis.call('SMEMBERS', KEYS[3])) do add(agent, redis.call('HGET', KEYS[1], agent)) end
else
  local all = redis.call('HGETALL', KEYS[1])
  for i = 1, #all, 2 do add(all[i], all[i + 1]) end
end
return out`);

/**
 * Heartbeat and reaper. KEYS: nodes. ARGV: instance, ttl, keyTtl, prefix, max dead to reap,
 * agent id hold ms (a reaped member's agent id stays bound to its principal that long), reap
 * grace ms (an instance is reaped once its heartbeat has been expired that long, by Redis time).
 * Reply {1 if this instance was live before, 2 if it was late (expired, entries not reaped), 0 if
 * it was unknown (reaped, left, or Redis lost its data); instances reaped}.
 */
export const HEARTBEAT = new LuaScript(`${HELPERS}
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
local was = 0
if score then was = (tonumber(score) > now) and 1 or 2 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
local prefix = ARGV[4]
local reaped = 0
for _, dead in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[7]), 'LIMIT', 0, tonumber(ARGV[5]))) do
  local set = prefix .. 'h:node:' .. dead
  for _, ref in ipairs(redis.call('SMEMBERS', set)) do
    local ns, agent = split(ref)
    local mk = prefix .. 'h:m:' .. ns
    local cur = redis.call('HGET', mk, agent)
    if cur and split(cur) == dead then
      redis.call('HDEL', mk, agent)
      redis.call('PEXPIRE', prefix .. 'h:o:' .. ns .. ':' .. agent, ARGV[6])
      drop_rooms(prefix, ns, agent)
    end
  end
  redis.call('DEL', set)
  redis.call('ZREM', KEYS[1], dead)
  reaped = reaped + 1
end
return {was, reaped}`);

/** KEYS: nodes. ARGV: instance. A node leaving politely. */
export const LEAVE_NODE = new LuaScript(`redis.call('ZREM', KEYS[1], ARGV[1])
return 1`);

/** KEYS: nodes. ARGV: instances. Reply: 1/0 per instance, live or not. */
export const LIVENESS = new LuaScript(`${HELPERS}
local out = {}
for i = 1, #ARGV do out[i] = live(KEYS[1], ARGV[i]) and 1 or 0 end
return out`);

export const HUB_SCRIPTS = [ATTACH, DETACH, ROUTE, HEARTBEAT, LEAVE_NODE, LIVENESS];
