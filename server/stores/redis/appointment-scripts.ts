// The Lua scripts that keep an appointment and its indexes in step: the
// clinician's and the clinic's sorted sets (scored by startsAt, epoch ms).
// Each runs atomically, so a reader never sees an appointment under two
// clinicians, or under none, half-way through a move.
import { EXTEND, script } from './scripts.ts';

/** KEYS: record, clinician index[, clinic index]. ARGV: json, ttl ms, score, id. */
export const CREATE_APPOINTMENT = script(`${EXTEND}
local ms = tonumber(ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ms)
for i = 2, #KEYS do
  redis.call('ZADD', KEYS[i], ARGV[3], ARGV[4])
  extend(KEYS[i], ms)
end
return 1
`);

/**
 * KEYS: record. ARGV: move json (clinician, startsAt, durationMinutes), ttl
 * ms, the new score ('' when startsAt does not change: the old one is kept),
 * id, clinician index prefix, clinic index prefix. Replaces the fields,
 * restarts the record's TTL, moves the id from the old clinician's index to
 * the new one's and re-scores it there and in the clinic's. Returns the
 * updated json, or nil when there is no such appointment.
 */
export const MOVE_APPOINTMENT = script(`${EXTEND}
local raw = redis.call('GET', KEYS[1])
if not raw then return false end
local record = cjson.decode(raw)
local id = ARGV[4]
local old = ARGV[5] .. record.clinician.id
for field, value in pairs(cjson.decode(ARGV[1])) do record[field] = value end
local new = ARGV[5] .. record.clinician.id
local ms = tonumber(ARGV[2])
local score = ARGV[3]
if score == '' then score = redis.call('ZSCORE', old, id) end
local out = cjson.encode(record)
redis.call('SET', KEYS[1], out, 'PX', ms)
if old ~= new then redis.call('ZREM', old, id) end
if score then
  redis.call('ZADD', new, score, id)
  extend(new, ms)
  if type(record.clinicId) == 'string' then
    local clinic = ARGV[6] .. record.clinicId
    redis.call('ZADD', clinic, score, id)
    extend(clinic, ms)
  end
end
return out
`);
