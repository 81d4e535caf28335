// Failed-attempt counts shared by every node (see domain/access/failure-limiter.ts):
// a success costs one GET; a failure one Lua script (EVALSHA: its text is sent
// once per connection), so INCR and the new window's EXPIRE are atomic.
import type { Redis } from 'ioredis';
import type { FailureCounter } from '../../domain/access/failure-limiter.ts';
import { runScript, script } from './scripts.ts';

// The first failure opens the window; a key found without a TTL (a window
// whose EXPIRE was lost) gets one, so no address is limited forever.
const FAIL = script(`
local n = redis.call('INCR', KEYS[1])
if n == 1 or redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n`);

export class RedisFailureCounter implements FailureCounter {
  readonly #redis: Redis;
  readonly #prefix: string;
  constructor(redis: Redis, prefix = 'cr:fail:') {
    this.#redis = redis;
    this.#prefix = prefix;
  }
  async count(key: string): Promise<number> {
    return Number((await this.#redis.get(this.#prefix + key)) ?? 0);
  }
  async fail(key: string, windowSeconds: number): Promise<void> {
    await runScript(this.#redis, FAIL, [this.#prefix + key], [windowSeconds]);
  }
  async retryAfter(key: string, windowSeconds: number): Promise<number> {
    const ttl = await this.#redis.ttl(this.#prefix + key);
    return ttl > 0 ? ttl : windowSeconds;
  }
}
