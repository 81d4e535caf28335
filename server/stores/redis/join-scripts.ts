// The Lua scripts of a waiting-room join (see scripts.ts for the runner and
// how scripts are sent): each step's reads and writes in one call, every
// record read once.
import { script } from './scripts.ts';

/**
 * A device's place on a link and its participant record, in one step (LinkStore
 * claim and ParticipantStore putIfAbsent together).
 * KEYS: link, link claims hash, candidate participant, appointment's participant index.
 * ARGV: device id, candidate id, ttl ms, accept new ('1' or '0'), candidate json as
 * the link's holder, candidate json as a reused link, participant key prefix.
 * Returns {'refused', reason}, or {'claimed', participant id, created 0|1, holder
 * 0|1, json in force or false}: false for a device claimed earlier whose record
 * was never stored (the caller stores it). The claims hash's TTL is set where
 * it is written (by the first device), never read back. Device ids are 22
 * base64url characters, so no device is the field 'holder'.
 */
export const CLAIM_PARTICIPANT = script(`
local claimed = redis.call('HMGET', KEYS[2], ARGV[1], 'holder')
local known, holder = claimed[1], claimed[2]
if known then
  local isHolder = 0
  if holder == ARGV[1] then isHolder = 1 end
  return {'claimed', known, 0, isHolder, redis.call('GET', ARGV[7] .. known)}
end
local raw = redis.call('GET', KEYS[1])
if not raw then return {'refused', 'no-link'} end
if cjson.decode(raw).closedBy then return {'refused', 'closed'} end
if ARGV[4] ~= '1' then return {'refused', 'not-accepting'} end
local ms = tonumber(ARGV[3])
local isHolder, json = 0, ARGV[6]
if holder then
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
else
  isHolder, json = 1, ARGV[5]
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2], 'holder', ARGV[1])
  redis.call('PEXPIRE', KEYS[2], ms)
end
-- The candidate's id is new (random), so it is neither stored nor in the index yet.
if not redis.call('SET', KEYS[3], json, 'NX', 'PX', ms) then return {'claimed', ARGV[2], 0, isHolder, redis.call('GET', KEYS[3])} end
local last = redis.call('ZRANGE', KEYS[4], -1, -1, 'WITHSCORES')
local score = 1
if last[2] then score = tonumber(last[2]) + 1 end
redis.call('ZADD', KEYS[4], score, ARGV[2])
-- The index lives as long as its newest member, within a second: an
-- appointment's records are all kept until its outer bound (whole seconds
-- from now, AppointmentService.ttlFor), so an index short of ms by under a
-- second already ends with them. Extended only when it would end sooner (a
-- reschedule moved the bound later) or has no TTL yet; never read to copy.
local left = redis.call('PTTL', KEYS[4])
if left == -1 or (left >= 0 and left < ms - 1000) then redis.call('PEXPIRE', KEYS[4], ms) end
return {'claimed', ARGV[2], 1, isHolder, json}
`);
