// The Lua scripts of the access stores (staff sessions, clinics, API keys).
// Records with arrays are never re-encoded in Lua: cjson turns an empty array
// into {} (and escapes '/'), so a script changes one field of the JSON text
// JSON.stringify wrote, in place (set_field), and decodes only to read.
import { EXTEND, script } from './scripts.ts';

// Sets one top-level string field of a record written by JSON.stringify; the
// field is added at the front when absent. Sound because in JSON text the
// sequence `"name":` can only be a key (a quote inside a string is escaped),
// and these records have no nested object with the same field name.
const SET_FIELD = `
local function set_field(raw, record, field, value)
  local pair = '"' .. field .. '":' .. cjson.encode(value)
  if record[field] == nil then
    if raw == '{}' then return '{' .. pair .. '}' end
    return '{' .. pair .. ',' .. string.sub(raw, 2)
  end
  local old = '"' .. field .. '":' .. cjson.encode(record[field])
  local s, e = string.find(raw, old, 1, true)
  if not s then error('set_field: ' .. field .. ' not found as written') end
  return string.sub(raw, 1, s - 1) .. pair .. string.sub(raw, e + 1)
end
`;

/**
 * KEYS: session. ARGV: user index prefix, session id. Deletes the session and
 * its entry in its user's index; 1 when there was a session, else 0.
 */
export const DELETE_SESSION = script(`
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local record = cjson.decode(raw)
if record.kind == 'clinician' then redis.call('ZREM', ARGV[1] .. record.clinicianId, ARGV[2]) end
redis.call('DEL', KEYS[1])
return 1
`);

/**
 * KEYS: session. ARGV: user index prefix, lastSeenAt, ttl ms. A staff
 * session's use: sets lastSeenAt, gives it ttl ms more and its user's index at
 * least as long; returns the updated json, or nil (no such session, or a guest's).
 */
export const TOUCH_SESSION = script(`${EXTEND}${SET_FIELD}
local raw = redis.call('GET', KEYS[1])
if not raw then return false end
local record = cjson.decode(raw)
if record.kind ~= 'clinician' then return false end
local ms = tonumber(ARGV[3])
local out = set_field(raw, record, 'lastSeenAt', ARGV[2])
redis.call('SET', KEYS[1], out, 'PX', ms)
extend(ARGV[1] .. record.clinicianId, ms)
return out
`);

/** KEYS: clinic, clinic index. ARGV: json, id. Stores a new clinic; 1, or 0 (storing nothing) when one exists. */
export const CREATE_CLINIC = script(`
if not redis.call('SET', KEYS[1], ARGV[1], 'NX') then return 0 end
redis.call('SADD', KEYS[2], ARGV[2])
return 1
`);

/** KEYS: clinic members hash, user's clinics set. ARGV: user id, member json, clinic id. */
export const SET_MEMBER = script(`
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
return 1
`);

/** KEYS: clinic members hash, user's clinics set. ARGV: user id, clinic id. 1 when they were a member. */
export const REMOVE_MEMBER = script(`
local removed = redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[2], ARGV[2])
return removed
`);

/** KEYS: key record, key index. ARGV: json, createdAt ms, id. */
export const CREATE_API_KEY = script(`
redis.call('SET', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
`);

/**
 * KEYS: key record. ARGV: field, at, keep ('1': an existing value stays).
 * Sets revokedAt (keep) or lastUsedAt; returns the record's json, or nil when there is none.
 */
export const SET_KEY_TIME = script(`${SET_FIELD}
local raw = redis.call('GET', KEYS[1])
if not raw then return false end
local record = cjson.decode(raw)
if ARGV[3] == '1' and record[ARGV[1]] ~= nil then return raw end
local out = set_field(raw, record, ARGV[1], ARGV[2])
redis.call('SET', KEYS[1], out)
return out
`);
