import { DEDUP_CLAIM_LUA, LuaScript } from '@agentsocket/redis/internal';
import { DEFAULTS } from './defaults.js';

/**
 * The task record's transitions, each one script so a record and its event log never disagree.
 * Every event is appended to the task's stream (history) and published on a channel of the same
 * name with its stream id in front (live), see watch.ts. A terminal event is also published on
 * the record's `notify` channel (its submitter's, see results.ts) as "<length>:<record key><json>";
 * a terminal emit is passed that field's value (read with the record's other fields).
 */
const EMIT = `local function emit(rk, key, json, notify)
  local id = redis.call('XADD', key, 'MAXLEN', '~', ${DEFAULTS.maxEvents}, '*', 'e', json)
  redis.call('PUBLISH', key, id .. ' ' .. json)
  if notify and notify ~= '' then redis.call('PUBLISH', notify, string.len(rk) .. ':' .. rk .. json) end
end
`;

// KEYS: record, events, idempotency key. ARGV: id, then field/value pairs, last the event JSON.
// Reply: {1, id} created, {0, existing id} when the key already names a task.
const SUBMIT_BODY = `local existing = redis.call('GET', KEYS[3])
if existing then return {0, existing} end
redis.call('SET', KEYS[3], ARGV[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 2, #ARGV - 1))
emit(KEYS[1], KEYS[2], ARGV[#ARGV])
return {1, ARGV[1]}`;
export const SUBMIT = new LuaScript(`${EMIT}${SUBMIT_BODY}`);

/**
 * start_task(record key, events key, dead letters key, worker, now, id): starts an attempt.
 * Reply: {'run', epoch, -1, attempt, tool, args, priority, key, max, deadline, ttl, trace,
 * created, error} (the fields a worker runs the task with; -1 is the place of a dedup claim's
 * answer, see start_claim) | {'ended', state} | {'gone'} | {'expired'} | {'exhausted'}.
 */
const START_FN = `local function start_task(rk, ek, dk, worker, now, id)
  local f = redis.call('HMGET', rk, 'state', 'deadline', 'attempts', 'max', 'notify', 'epoch', 'tool', 'args', 'priority', 'key', 'ttl', 'trace', 'created', 'error')
  local state = f[1]
  if not state then return {'gone'} end
  if state == 'succeeded' or state == 'failed' or state == 'cancelled' then return {'ended', state} end
  local t = tonumber(now)
  local why
  if f[2] and f[2] ~= '' and tonumber(f[2]) < t then
    why = {'expired', 408, 'the deadline passed before the task started'}
  elseif tonumber(f[3]) >= tonumber(f[4]) then
    why = {'exhausted', 500, 'gave up after ' .. f[3] .. ' attempts (the last one lost its lease)'}
  end
  if why then
    local err = cjson.encode({code = why[2], message = why[3]})
    redis.call('HSET', rk, 'state', 'failed', 'error', err, 'updated', now, 'dead', '1')
    redis.call('ZADD', dk, now, id)
    emit(rk, ek, '{"type":"failed","at":' .. now .. ',"error":' .. err .. ',"dead":true}', f[5])
    return {why[1]}
  end
  local epoch = (tonumber(f[6]) or 0) + 1
  local attempt = (tonumber(f[3]) or 0) + 1
  redis.call('HSET', rk, 'state', 'running', 'worker', worker, 'updated', now, 'epoch', epoch, 'attempts', attempt)
  -- Built by hand: cjson writes large numbers (epoch ms) in exponent form.
  emit(rk, ek, '{"type":"claimed","at":' .. now .. ',"worker":' .. cjson.encode(worker) .. ',"attempt":' .. attempt .. '}')
  return {'run', tostring(epoch), -1, tostring(attempt), f[7] or '', f[8] or '', f[9] or '', f[10] or '', f[4] or '', f[2] or '', f[11] or '', f[12] or '', f[13] or '', f[14] or ''}
end
`;

/**
 * Direct hand-off to a waiting consumer (see RedisStreamsQueue): a consumer with free slots that
 * found nothing to take registers itself: a token hash `<queue prefix>w:<consumer>` (its inbox
 * list, worker, store prefix, its dedup store's key prefix, nodes key, marker and lease, or ''
 * without one, and its free slots) that lapses after `ttl` ms, and its name in `<queue
 * prefix>idle:<tool>` (sorted set, scored by when the token lapses) for each of its tools. A
 * submit then takes the entry it pushed for one such consumer (one slot of the token each; the
 * token goes with its last slot), starts it as that worker, and pushes the entry with the start's
 * reply and the slots left onto the consumer's inbox, which the consumer waits on with BLPOP.
 * register(reg, found): reg = {token, ttl, consumer, inbox, worker, store prefix, dedup prefix,
 * nodes, marker, lease, free slots, idle key...}; `found` entries the caller took count against
 * the slots (none left: the token goes). Returns 1 when registered.
 */
export const REGISTER_FN = `local function register(reg, found)
  if #reg == 0 then return 0 end
  local slots = tonumber(reg[11])
  if found then slots = slots - found end
  if slots <= 0 then
    redis.call('DEL', reg[1])
    return 0
  end
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local ttl = tonumber(reg[2])
  redis.call('HSET', reg[1], 'inbox', reg[4], 'worker', reg[5], 'sp', reg[6], 'dp', reg[7], 'nodes', reg[8], 'marker', reg[9], 'lease', reg[10], 'slots', slots)
  redis.call('PEXPIRE', reg[1], ttl)
  for i = 12, #reg do
    redis.call('ZREMRANGEBYSCORE', reg[i], '-inf', now)
    redis.call('ZADD', reg[i], now + ttl, reg[3])
  end
  return 1
end
`;

/** Whether a decoded queue entry is one this package wrote (as decodeEntry checks). */
const ENTRY_FN = `local function our_entry(e)
  return type(e) == 'table' and type(e.id) == 'string' and type(e.tool) == 'string' and (e.priority == 'high' or e.priority == 'normal' or e.priority == 'low')
end
`;

// hand(stream, idle key, token prefix, wake): after an XADD to `stream`, gives the entry to a
// registered idle consumer of its tool (see REGISTER_FN). With `wake`, only tells it to take
// (pushes 'w'); else takes the entry for it and starts it. Needs START_FN and START_CLAIM_FN.
const HAND_FN = `local function hand(stream, idle, tokens, wake)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local cands = redis.call('ZRANGEBYSCORE', idle, now, '+inf', 'LIMIT', 0, 4)
  for _, c in ipairs(cands) do
    local tk = tokens .. c
    local w = redis.call('HMGET', tk, 'inbox', 'worker', 'sp', 'dp', 'nodes', 'marker', 'lease', 'slots')
    local left = (tonumber(w[8]) or 1) - 1
    if not w[1] or wake or left <= 0 then
      redis.call('ZREM', idle, c)
    end
    if w[1] then
      if wake or left <= 0 then
        redis.call('DEL', tk)
        left = 0
      else
        redis.call('HSET', tk, 'slots', left)
      end
      if wake then
        redis.call('RPUSH', w[1], 'w')
      else
        -- pcall: a stream made again without its group (deleted under a registered consumer) must not fail the submit.
        local r = redis.pcall('XREADGROUP', 'GROUP', 'workers', c, 'COUNT', 1, 'STREAMS', stream, '>')
        if type(r) ~= 'table' or r.err or not r[1] then
          redis.call('RPUSH', w[1], 'w')
        else
          local m = r[1][2][1]
          local payload = ''
          if m[2] then
            for i = 1, #m[2], 2 do if m[2][i] == 'e' then payload = m[2][i + 1] end end
          end
          local started = 0
          local ok, e = pcall(cjson.decode, payload)
          if ok and our_entry(e) then
            local rk, ek, dk = w[3] .. 't:' .. e.id, w[3] .. 'ev:' .. e.id, w[3] .. 'dead'
            if w[4] ~= '' and type(e.key) == 'string' then
              started = start_claim(rk, ek, dk, w[2], string.format('%d', now), e.id, e.key, w[4] .. 'tasks:' .. e.key, w[5], w[6], w[7])
            else
              started = start_task(rk, ek, dk, w[2], string.format('%d', now), e.id)
            end
          end
          if redis.call('RPUSH', w[1], cjson.encode({stream, m[1], payload, started, left})) > 1 then return 1 end
        end
      end
      -- A new inbox: it goes a minute after its consumer stops reading it.
      redis.call('PEXPIRE', w[1], 60000)
      return 1
    end
  end
  return 0
end
`;

// KEYS: record, events, dead letters. ARGV: worker, now, id. Reply as start_task's.
export const START = new LuaScript(`${EMIT}${START_FN}return start_task(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[3])`);

/**
 * start_claim(..., idempotency key, dedup key, hub nodes key, marker, lease): start_task, then
 * (when it says 'run' and the record's key is the idempotency key given) dedup_claim, its answer
 * third in the reply: 0 claimed now, 1 held or done already (not claimed), -1 not tried.
 */
/** Scripts that may run start_claim need dedup_claim defined; without a dedup store, this one. */
export const NO_DEDUP = 'local function dedup_claim() error("no dedup store to claim in") end\n';

const START_CLAIM_FN = `local server_now
local function start_claim(rk, ek, dk, worker, now, id, ikey, dkey, nodes, marker, lease)
  local r = start_task(rk, ek, dk, worker, now, id)
  if r[1] ~= 'run' or r[8] ~= ikey then return r end
  if not server_now then
    local t = redis.call('TIME')
    server_now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  r[3] = dedup_claim(dkey, nodes, marker, lease, server_now) and 1 or 0
  return r
end
`;

// KEYS: record, events. ARGV: epoch, data JSON, now. Reply 1, or 0 when the caller lost the task.
export const PROGRESS = new LuaScript(`${EMIT}
local f = redis.call('HMGET', KEYS[1], 'state', 'epoch')
if f[1] ~= 'running' or f[2] ~= ARGV[1] then return 0 end
emit(KEYS[1], KEYS[2], '{"type":"progress","at":' .. ARGV[3] .. ',"data":' .. ARGV[2] .. '}')
return 1`);

// KEYS: record, events, idempotency key, dead letters. ARGV: epoch, 'succeeded'|'failed',
// result or error JSON, now, id, dead (0/1). Reply 1, or 0 when the caller lost the task.
const FINISH_BODY = `local f = redis.call('HMGET', KEYS[1], 'state', 'epoch', 'ttl', 'notify')
if f[1] ~= 'running' or f[2] ~= ARGV[1] then return 0 end
if ARGV[2] == 'succeeded' then
  redis.call('HSET', KEYS[1], 'state', 'succeeded', 'result', ARGV[3], 'updated', ARGV[4])
  emit(KEYS[1], KEYS[2], '{"type":"succeeded","at":' .. ARGV[4] .. ',"result":' .. ARGV[3] .. '}', f[4])
else
  local dead = ARGV[6] == '1'
  redis.call('HSET', KEYS[1], 'state', 'failed', 'error', ARGV[3], 'updated', ARGV[4], 'dead', ARGV[6])
  emit(KEYS[1], KEYS[2], '{"type":"failed","at":' .. ARGV[4] .. ',"error":' .. ARGV[3] .. ',"dead":' .. (dead and 'true' or 'false') .. '}', f[4])
  if dead then
    redis.call('ZADD', KEYS[4], ARGV[4], ARGV[5])
    return 1
  end
end
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], f[3]) end
return 1`;
export const FINISH = new LuaScript(`${EMIT}${FINISH_BODY}`);

// KEYS: record, events, delayed. ARGV: epoch, error JSON, delay ms, now, id. Reply 1 or 0 (lost).
const RETRY_BODY = `local f = redis.call('HMGET', KEYS[1], 'state', 'epoch', 'attempts')
if f[1] ~= 'running' or f[2] ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', 'retrying', 'error', ARGV[2], 'updated', ARGV[4])
redis.call('ZADD', KEYS[3], tonumber(ARGV[4]) + tonumber(ARGV[3]), ARGV[5])
emit(KEYS[1], KEYS[2], '{"type":"retrying","at":' .. ARGV[4] .. ',"attempt":' .. f[3] .. ',"delayMs":' .. ARGV[3] .. ',"error":' .. ARGV[2] .. '}')
return 1`;
export const RETRY = new LuaScript(`${EMIT}${RETRY_BODY}`);

// KEYS: record, events, idempotency key, delayed. ARGV: now, id. Reply 1, or 0 if it had ended.
export const CANCEL = new LuaScript(`${EMIT}
local f = redis.call('HMGET', KEYS[1], 'state', 'ttl', 'notify')
if f[1] ~= 'queued' and f[1] ~= 'running' and f[1] ~= 'retrying' then return 0 end
redis.call('HSET', KEYS[1], 'state', 'cancelled', 'updated', ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[2])
emit(KEYS[1], KEYS[2], '{"type":"cancelled","at":' .. ARGV[1] .. '}', f[3])
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], f[2]) end
return 1`);

// KEYS: delayed. ARGV: now, count, hold ms. Takes due retries, holding them back for `hold` ms
// so a promoter that dies before pushing them leaves them to the next one.
export const TAKE_DUE = new LuaScript(`local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for _, id in ipairs(ids) do redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[3]), id) end
return ids`);

/*
 * Fused forms, used when the queue is a RedisStreamsQueue on the same Redis as the store (see
 * fusedQueue in redis-queue.ts): one round trip where the seams would take two, and atomic.
 */

// SUBMIT, then the XADD of its queue entry when the task was created, then its hand-off to an
// idle consumer when one is registered (hand). Extra KEYS: the stream. Extra ARGV, last: the
// entry text, the tool's idle key, the token prefix. Reply as SUBMIT's.
export function submitPushScript(dedupLua: string): LuaScript {
  return new LuaScript(`${EMIT}${dedupLua}${START_FN}${START_CLAIM_FN}${ENTRY_FN}${HAND_FN}local tokens = table.remove(ARGV)
local idle = table.remove(ARGV)
local entry = table.remove(ARGV)
local stream = KEYS[4]
local r = (function() ${SUBMIT_BODY} end)()
if r[1] == 1 then
  redis.call('XADD', stream, '*', 'e', entry)
  hand(stream, idle, tokens, false)
end
return r`);
}
// The consumer's dedup store, if fused, is a RedisDedupStore: its claim is this function.
export const SUBMIT_PUSH = submitPushScript(DEDUP_CLAIM_LUA);

// KEYS: the stream. ARGV: entry text, idle key, token prefix. XADD, then wakes an idle consumer
// (hand with wake). Reply: the entry id.
export const PUSH_WAKE = new LuaScript(`${EMIT}${NO_DEDUP}${START_FN}${START_CLAIM_FN}${ENTRY_FN}${HAND_FN}local id = redis.call('XADD', KEYS[1], '*', 'e', ARGV[1])
hand(KEYS[1], ARGV[2], ARGV[3], true)
return id`);

// The queue's ack (rule 7: only while this consumer holds the entry). Last KEY: the stream;
// last three ARGV: group, entry id, consumer.
const ACK_LAST = `local function ack()
  local n = #ARGV
  local group, id, consumer = ARGV[n - 2], ARGV[n - 1], ARGV[n]
  local p = redis.call('XPENDING', KEYS[#KEYS], group, id, id, 1)
  if #p == 0 or p[1][2] ~= consumer then return 0 end
  redis.call('XACK', KEYS[#KEYS], group, id)
  redis.call('XDEL', KEYS[#KEYS], id)
  return 1
end
`;

// FINISH or RETRY, then the ack of the lease that carried the task: the outcome and the end of
// the lease in one step, so no outcome is left without its ack nor an ack without its outcome.
// Reply {outcome reply, ack reply}.
export const FINISH_ACK = new LuaScript(`${EMIT}${ACK_LAST}local r = (function() ${FINISH_BODY} end)()
return {r, ack()}`);
export const RETRY_ACK = new LuaScript(`${EMIT}${ACK_LAST}local r = (function() ${RETRY_BODY} end)()
return {r, ack()}`);

/*
 * Forms that also write the worker's dedup store (its default RedisDedupStore, on the store's
 * connection), with the claim function that store hands out (RedisDedupStore.fusion): the start
 * with the claim of the task's idempotency key, and an outcome with the key's recorded outcome.
 */

// START with the claim (start_claim). Extra KEYS: the dedup key, the hub's nodes. Extra ARGV:
// marker, lease, idempotency key. Reply as start_claim's.
export function startClaimScript(dedupLua: string): LuaScript {
  return new LuaScript(`${EMIT}${dedupLua}${START_FN}${START_CLAIM_FN}return start_claim(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[3], ARGV[6], KEYS[4], KEYS[5], ARGV[4], ARGV[5])`);
}

// The dedup outcome first (SET, whatever the rest answers: the side effect happened), then
// FINISH_ACK or RETRY_ACK. Extra last KEY: the dedup key; extra last ARGV: value, TTL ms.
const DEDUP_DONE = `local dttl = table.remove(ARGV)
local dval = table.remove(ARGV)
redis.call('SET', table.remove(KEYS), dval, 'PX', dttl)
`;
export const FINISH_ACK_DONE = new LuaScript(`${EMIT}${ACK_LAST}${DEDUP_DONE}local r = (function() ${FINISH_BODY} end)()
return {r, ack()}`);
export const FINISH_DONE = new LuaScript(`${EMIT}${DEDUP_DONE}${FINISH_BODY}`);

/*
 * Finish, ack, and take the consumer's next entries in the same script (the lease's slot handed
 * on without a take of its own; see RedisStreamsQueue.streamHandoff), and start each entry taken
 * (start_task, with start_claim when the worker's dedup store is fused). Extra last KEYS: the
 * consumer's streams in priority order; extra last ARGV: their number, how many to take, then
 * the start's arguments and their number (0 for none): worker, now, the store's key prefix, and
 * for the claim the dedup store's key prefix, the hub's nodes key, marker, lease. Read in
 * priority order with XREADGROUP as the queue's take script does, under the ack's group and
 * consumer. The started tasks' keys are built here from the store's prefix (so these scripts
 * need one Redis server, not a cluster, as the fused path does anyway). Reply {outcome reply, ack
 * reply, {stream, id, entry text, start reply (0: not started, the entry is not one of ours),
 * ...}} with start replies, else {stream, id, entry text, ...}.
 */
const REG_TAIL = `local reg_n = tonumber(table.remove(ARGV))
local reg_args = {}
for i = reg_n, 1, -1 do reg_args[i] = table.remove(ARGV) end
`;
const START_TAIL = `local start_n = tonumber(table.remove(ARGV))
local start_args = {}
for i = start_n, 1, -1 do start_args[i] = table.remove(ARGV) end
`;
const TAKE_TAIL = `local take_count = tonumber(table.remove(ARGV))
local take_n = tonumber(table.remove(ARGV))
local take_keys = {}
for i = take_n, 1, -1 do take_keys[i] = table.remove(KEYS) end
local function take_next()
  local n = #ARGV
  local group, consumer, free, out = ARGV[n - 2], ARGV[n], take_count, {}
  local sa = start_args
  for _, key in ipairs(take_keys) do
    if free <= 0 then break end
    local r = redis.pcall('XREADGROUP', 'GROUP', group, consumer, 'COUNT', free, 'STREAMS', key, '>')
    if type(r) == 'table' and not r.err and r[1] then
      for _, m in ipairs(r[1][2]) do
        local payload = ''
        if m[2] then
          for i = 1, #m[2], 2 do if m[2][i] == 'e' then payload = m[2][i + 1] end end
        end
        out[#out + 1] = key
        out[#out + 1] = m[1]
        out[#out + 1] = payload
        if #sa > 0 then
          local started = 0
          local ok, e = pcall(cjson.decode, payload)
          if ok and our_entry(e) then
            local rk, ek, dk = sa[3] .. 't:' .. e.id, sa[3] .. 'ev:' .. e.id, sa[3] .. 'dead'
            if #sa >= 7 and type(e.key) == 'string' then
              started = start_claim(rk, ek, dk, sa[1], sa[2], e.id, e.key, sa[4] .. 'tasks:' .. e.key, sa[5], sa[6], sa[7])
            else
              started = start_task(rk, ek, dk, sa[1], sa[2], e.id)
            end
          end
          out[#out + 1] = started
        end
        free = free - 1
      end
    end
  end
  return out
end
`;
export function finishNextScript(dedupLua: string, done: boolean): LuaScript {
  return new LuaScript(`${EMIT}${dedupLua}${START_FN}${START_CLAIM_FN}${ENTRY_FN}${REGISTER_FN}${ACK_LAST}${REG_TAIL}${START_TAIL}${TAKE_TAIL}${done ? DEDUP_DONE : ''}local r = (function() ${FINISH_BODY} end)()
local a = ack()
local taken = take_next()
return {r, a, taken, register(reg_args, #taken / (#start_args > 0 and 4 or 3))}`);
}

export const ALL = [SUBMIT, START, PROGRESS, FINISH, RETRY, CANCEL, TAKE_DUE, SUBMIT_PUSH, FINISH_ACK, RETRY_ACK, FINISH_ACK_DONE, FINISH_DONE, PUSH_WAKE];
