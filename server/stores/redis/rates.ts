// Burst counts shared by every node (see RateStore in domain/stores.ts): one
// script per hit, so the count, the window's expiry and its remaining time
// come back in one round trip and no two nodes can open two windows.
import type { Redis } from 'ioredis';
import type { RateStore } from '../../domain/stores.ts';
import { ttlToMs } from '../common.ts';
import type { Keys } from './keys.ts';
import { runScript, script } from './scripts.ts';

/**
 * KEYS: the counter. ARGV: window ms. Returns {count, ms left}. A counter
 * without a TTL (a window whose expiry was lost) gets one, so no key is
 * limited forever.
 */
const HIT = script(`
local n = redis.call('INCR', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  left = tonumber(ARGV[1])
  redis.call('PEXPIRE', KEYS[1], left)
end
return {n, left}
`);

export function createRedisRateStore(redis: Redis, keys: Keys): RateStore {
  return {
    async hit(key, windowSeconds) {
      const ms = ttlToMs(windowSeconds);
      const [count, left] = (await runScript(redis, HIT, [keys.rate(key)], [ms])) as [number, number];
      return { count, retryAfterSeconds: Math.max(1, Math.ceil(left / 1000)) };
    },
  };
}
