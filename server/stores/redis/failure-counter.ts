// Failed-attempt counts shared by every node (see domain/access/failure-limiter.ts):
// one Lua script per step, so INCR, EXPIRE on a new window and TTL are atomic.
import type { Redis } from 'ioredis';
import type { FailureCounter } from '../../domain/access/failure-limiter.ts';

// A key without a TTL (a window whose EXPIRE was lost) gets one, so no address is limited forever.
const HIT = `
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}`;
const REFUND = `
local n = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if n > 1 then redis.call('DECR', KEYS[1]) elseif n == 1 then redis.call('DEL', KEYS[1]) end
return 0`;

export class RedisFailureCounter implements FailureCounter {
  readonly #redis: Redis;
  readonly #prefix: string;
  constructor(redis: Redis, prefix = 'cr:fail:') {
    this.#redis = redis;
    this.#prefix = prefix;
  }
  async hit(key: string, windowSeconds: number): Promise<{ count: number; retryAfterSeconds: number }> {
    const [count, ttl] = (await this.#redis.eval(HIT, 1, this.#prefix + key, windowSeconds)) as [number, number];
    return { count, retryAfterSeconds: Math.max(1, ttl) };
  }
  async refund(key: string): Promise<void> {
    await this.#redis.eval(REFUND, 1, this.#prefix + key);
  }
}
