// Failed-attempt counts shared by every node (see domain/access/failure-limiter.ts):
// one Lua script per step (EVALSHA: its text is sent once per connection, not
// with every handshake), so INCR, EXPIRE on a new window and TTL are atomic.
import type { Redis } from 'ioredis';
import type { FailureCounter } from '../../domain/access/failure-limiter.ts';
import { runScript, script } from './scripts.ts';

// A new window (count 1) gets its EXPIRE in the same step; the TTL is read
// only for a count above 1 (what Retry-After needs), and a key found without
// one (a window whose EXPIRE was lost) gets it, so no address is limited forever.
const HIT = script(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
  return {n, tonumber(ARGV[1])}
end
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}`);
// Back to 0 the key stays, with its TTL: the next hit counts 1 again and so
// starts a full window (HIT). A count the window's end took away first is
// never left below zero.
const REFUND = script(`
if redis.call('DECR', KEYS[1]) < 0 then redis.call('DEL', KEYS[1]) end
return 0`);

export class RedisFailureCounter implements FailureCounter {
  readonly #redis: Redis;
  readonly #prefix: string;
  constructor(redis: Redis, prefix = 'cr:fail:') {
    this.#redis = redis;
    this.#prefix = prefix;
  }
  async hit(key: string, windowSeconds: number): Promise<{ count: number; retryAfterSeconds: number }> {
    const [count, ttl] = (await runScript(this.#redis, HIT, [this.#prefix + key], [windowSeconds])) as [number, number];
    return { count, retryAfterSeconds: Math.max(1, ttl) };
  }
  async refund(key: string): Promise<void> {
    await runScript(this.#redis, REFUND, [this.#prefix + key], []);
  }
}
