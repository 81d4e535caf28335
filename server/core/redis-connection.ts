// A second connection beside the stores' client, for a blocking reader
// (XREAD BLOCK) or a subscriber. The stores' client auto-pipelines
// (boot/redis.ts), and ioredis sends one auto-pipeline at a time, so a
// blocking command on it would hold back every command queued behind it:
// a dedicated connection never auto-pipelines.
import type { Redis, RedisOptions } from 'ioredis';

/** `redis.duplicate(overrides)` (same target, Sentinels and timeouts unless overridden), never auto-pipelining. */
export function dedicatedConnection(redis: Redis, overrides: RedisOptions): Redis {
  return redis.duplicate({ ...overrides, enableAutoPipelining: false });
}
