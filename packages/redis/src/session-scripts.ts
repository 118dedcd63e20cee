import { LuaScript } from './script.js';

/*
 * Session keys: KEYS[1] hash (rec, owner, nextSq, lastReceived), KEYS[2] sorted set of unacked
 * frames scored by sq, KEYS[3] hash rid → INVOKE frame. Every script that writes checks the
 * owner first, in the same atomic step: that check is the fencing.
 */

const EXPIRE_ALL = `local function expire_all(ttl)
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
  redis.call('PEXPIRE', KEYS[3], ttl)
end
`;

/** ARGV: record, ttl. A new session has no owner until claimed. */
export const CREATE = new LuaScript(`${EXPIRE_ALL}
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
redis.call('HSET', KEYS[1], 'rec', ARGV[1], 'owner', '', 'nextSq', 1, 'lastReceived', 0)
expire_all(ARGV[2])
return 1`);

/** ARGV: owner, ttl. Reply 0 when the session is not stored. */
export const CLAIM = new LuaScript(`${EXPIRE_ALL}
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'owner', ARGV[1])
expire_all(ARGV[2])
return 1`);

/**
 * One coalesced journal batch. ARGV: owner, ttl, lastReceived ('' = unchanged), nextSq (''),
 * ackedUpTo (''), nSent, then sq/frame pairs, nEnded, then rids, nStarted, then rid/frame pairs.
 * Reply 1 written, 0 another owner holds it, -1 the session is not stored.
 */
export const WRITE = new LuaScript(`${EXPIRE_ALL}
local owner = redis.call('HGET', KEYS[1], 'owner')
if not owner then return -1 end
if owner ~= ARGV[1] then return 0 end
if ARGV[3] ~= '' and tonumber(redis.call('HGET', KEYS[1], 'lastReceived') or '0') < tonumber(ARGV[3]) then
  redis.call('HSET', KEYS[1], 'lastReceived', ARGV[3])
end
if ARGV[4] ~= '' and tonumber(redis.call('HGET', KEYS[1], 'nextSq') or '1') < tonumber(ARGV[4]) then
  redis.call('HSET', KEYS[1], 'nextSq', ARGV[4])
end
local i = 7
local n = tonumber(ARGV[6])
for _ = 1, n do
  -- One frame per sq: a frame an earlier owner wrote under this sq after it lost the session goes.
  redis.call('ZREMRANGEBYSCORE', KEYS[2], ARGV[i], ARGV[i])
  redis.call('ZADD', KEYS[2], ARGV[i], ARGV[i + 1])
  i = i + 2
end
if ARGV[5] ~= '' then redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[5]) end
n = tonumber(ARGV[i])
i = i + 1
for _ = 1, n do
  redis.call('HDEL', KEYS[3], ARGV[i])
  i = i + 1
end
n = tonumber(ARGV[i])
i = i + 1
for _ = 1, n do
  redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1])
  i = i + 2
end
expire_all(ARGV[2])
return 1`);

/**
 * Writes a whole session again after Redis lost it (restart without persistence). ARGV: owner,
 * ttl, record, nextSq, lastReceived, nFrames, sq/frame pairs, nIncoming, rid/frame pairs.
 * Reply 0 (and writes nothing) when the session exists again by then.
 */
export const RECREATE = new LuaScript(`${EXPIRE_ALL}
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('DEL', KEYS[2], KEYS[3])
redis.call('HSET', KEYS[1], 'rec', ARGV[3], 'owner', ARGV[1], 'nextSq', ARGV[4], 'lastReceived', ARGV[5])
local i = 7
local n = tonumber(ARGV[6])
for _ = 1, n do
  redis.call('ZADD', KEYS[2], ARGV[i], ARGV[i + 1])
  i = i + 2
end
n = tonumber(ARGV[i])
i = i + 1
for _ = 1, n do
  redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1])
  i = i + 2
end
expire_all(ARGV[2])
return 1`);

/** ARGV: owner, ttl. */
export const EXPIRE = new LuaScript(`${EXPIRE_ALL}
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
expire_all(ARGV[2])
return 1`);

/** ARGV: owner. */
export const DELETE = new LuaScript(`if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return 1`);

export const SESSION_SCRIPTS = [CREATE, CLAIM, WRITE, RECREATE, EXPIRE, DELETE];
