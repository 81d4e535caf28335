// The Lua scripts behind every read-check-write step (run by core/lua-script.ts,
// which the cluster's scripts share).
import { script } from '../../core/lua-script.ts';

export { runScript, script, type LuaScript } from '../../core/lua-script.ts';

// Gives an index key at least `ms` to live: never shortens it, and a key that
// was just created (no TTL yet) gets one.
export const EXTEND = `
local function extend(key, ms)
  local current = redis.call('PTTL', key)
  if current == -1 or (current >= 0 and current < ms) then
    redis.call('PEXPIRE', key, ms)
  end
end
`;

// Adds a member at the end of an insertion-ordered sorted set, unless present.
const APPEND_MEMBER = `
local function append_member(key, member)
  if redis.call('ZSCORE', key, member) then return end
  local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  local score = 1
  if last[2] then score = tonumber(last[2]) + 1 end
  redis.call('ZADD', key, score, member)
end
`;

/** KEYS: record, ordered index. ARGV: json, ttl ms, member. */
export const PUT_APPENDING = script(`${EXTEND}${APPEND_MEMBER}
local ms = tonumber(ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ms)
append_member(KEYS[2], ARGV[3])
extend(KEYS[2], ms)
return 1
`);

/** KEYS: record, scored index. ARGV: json, ttl ms, score, member. (An appointment by startsAt; a staff session by createdAt.) */
export const PUT_SCORED = script(`${EXTEND}
local ms = tonumber(ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ms)
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
extend(KEYS[2], ms)
return 1
`);

/** KEYS: appointment. ARGV: patch json. Returns the updated json, or nil. */
export const UPDATE_APPOINTMENT = script(`
local raw = redis.call('GET', KEYS[1])
if not raw then return false end
local record = cjson.decode(raw)
for field, value in pairs(cjson.decode(ARGV[1])) do record[field] = value end
local out = cjson.encode(record)
redis.call('SET', KEYS[1], out, 'KEEPTTL')
return out
`);

/** KEYS: link. Returns 1 when revoked, 0 when there is no such link. */
export const REVOKE_LINK = script(`
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local record = cjson.decode(raw)
record.revoked = true
redis.call('SET', KEYS[1], cjson.encode(record), 'KEEPTTL')
return 1
`);

/**
 * KEYS: link, link claims hash. ARGV: device id, candidate participant id, ttl ms, accept new ('1' or '0').
 * Returns {'claimed', participant id, created 0|1, holder 0|1} or {'refused', reason}.
 * Device ids are 22 base64url characters, so no device is the field 'holder'.
 */
export const CLAIM_LINK = script(`
local known = redis.call('HGET', KEYS[2], ARGV[1])
local holder = redis.call('HGET', KEYS[2], 'holder')
if known then
  local isHolder = 0
  if holder == ARGV[1] then isHolder = 1 end
  return {'claimed', known, 0, isHolder}
end
local raw = redis.call('GET', KEYS[1])
if not raw then return {'refused', 'no-link'} end
if cjson.decode(raw).closedBy then return {'refused', 'closed'} end
if ARGV[4] ~= '1' then return {'refused', 'not-accepting'} end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
if holder then return {'claimed', ARGV[2], 1, 0} end
redis.call('HSET', KEYS[2], 'holder', ARGV[1])
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[3]))
return {'claimed', ARGV[2], 1, 1}
`);

/** KEYS: record, ordered index. ARGV: json, ttl ms, member. Returns {1, json} when stored, {0, json in force} when one existed. */
export const PUT_IF_ABSENT = script(`${EXTEND}${APPEND_MEMBER}
local ms = tonumber(ARGV[2])
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ms) then return {0, redis.call('GET', KEYS[1])} end
append_member(KEYS[2], ARGV[3])
extend(KEYS[2], ms)
return {1, ARGV[1]}
`);

/**
 * KEYS: participant[, link to close]. ARGV: to, at, decision ('' without a link), ...from.
 * Returns the updated json, or nil. With a link key, closes that link to new
 * devices (closedBy = decision, closedAt = at) in the same step, once.
 */
export const TRANSITION_PARTICIPANT = script(`
local raw = redis.call('GET', KEYS[1])
if not raw then return false end
local record = cjson.decode(raw)
local allowed = false
for i = 4, #ARGV do
  if record.state == ARGV[i] then allowed = true break end
end
if not allowed then return false end
record.state = ARGV[1]
record.updatedAt = ARGV[2]
if ARGV[1] == 'waiting' then record.waitingSince = ARGV[2] end
local out = cjson.encode(record)
redis.call('SET', KEYS[1], out, 'KEEPTTL')
if KEYS[2] then
  local linkRaw = redis.call('GET', KEYS[2])
  if linkRaw then
    local link = cjson.decode(linkRaw)
    if not link.closedBy then
      link.closedBy = ARGV[3]
      link.closedAt = ARGV[2]
      redis.call('SET', KEYS[2], cjson.encode(link), 'KEEPTTL')
    end
  end
end
return out
`);

/** KEYS: participant. ARGV: the check's json (built field by field by the domain). Records the pre-call check; returns the updated json, or nil. */
export const SET_CHECK = script(`
local raw = redis.call('GET', KEYS[1])
if not raw then return false end
local record = cjson.decode(raw)
record.check = cjson.decode(ARGV[1])
local out = cjson.encode(record)
redis.call('SET', KEYS[1], out, 'KEEPTTL')
return out
`);

/**
 * The audit chain's compare-and-append of a batch, all or nothing. KEYS: head,
 * log stream, then the batch's appointment streams. ARGV: genesis hash, then
 * per record: seq, prevHash, hash, record json, index in KEYS of its
 * appointment stream (0: none). Checks every record before writing any: the
 * first must follow the head ({0, head seq, head hash} otherwise), each other
 * the record before it ({-1, its position} otherwise). Then adds each record
 * to the log, and a reference to it to its appointment's stream (the same
 * entry id, `<seq>-0`: the record itself is kept once), moves the head to the
 * last one and returns {1}.
 */
export const APPEND_AUDIT_BATCH = script(`
local head = redis.call('HMGET', KEYS[1], 'seq', 'hash')
local seq = 0
local hash = ARGV[1]
if head[1] and head[2] then
  seq = tonumber(head[1])
  hash = head[2]
end
local n = (#ARGV - 1) / 5
local s, h, last = seq, hash, nil
for i = 0, n - 1 do
  local at = 2 + i * 5
  if tonumber(ARGV[at]) ~= s + 1 or ARGV[at + 1] ~= h then
    if i == 0 then return {0, seq, hash} end
    return {-1, i + 1}
  end
  s = s + 1
  h = ARGV[at + 2]
  last = ARGV[at]
end
if last == nil then return {1} end
for i = 0, n - 1 do
  local at = 2 + i * 5
  local id = ARGV[at] .. '-0'
  redis.call('XADD', KEYS[2], id, 'record', ARGV[at + 3])
  local stream = tonumber(ARGV[at + 4])
  if stream > 0 then redis.call('XADD', KEYS[stream], id, 'ref', '1') end
end
redis.call('HSET', KEYS[1], 'seq', last, 'hash', h)
return {1}
`);

/** KEYS: list. ARGV: json, ttl ms. Appends to a list that lives at least as long as its newest item. */
export const APPEND_LIST = script(`${EXTEND}
redis.call('RPUSH', KEYS[1], ARGV[1])
extend(KEYS[1], tonumber(ARGV[2]))
return 1
`);

/** KEYS: key. ARGV: base64 candidate, ttl ms. Stores the candidate unless a key exists; returns the key in force. */
export const ENSURE_KEY = script(`
redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', tonumber(ARGV[2]))
return redis.call('GET', KEYS[1])
`);

/**
 * KEYS: schedule, thread list, files index, file key. ARGV: schedule member, kind, file record prefix.
 * Deletes one kind of a consultation's content and its schedule entry.
 */
export const PURGE_CONTENT = script(`
redis.call('ZREM', KEYS[1], ARGV[1])
if ARGV[2] == 'messages' then
  redis.call('DEL', KEYS[2])
  return 1
end
local ids = redis.call('ZRANGE', KEYS[3], 0, -1)
for _, id in ipairs(ids) do redis.call('DEL', ARGV[3] .. id) end
redis.call('DEL', KEYS[3], KEYS[4])
return #ids
`);
