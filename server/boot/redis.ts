// Connecting to Redis at start-up: a failed first connection refuses start-up
// (a StartupError) instead of retrying forever. Later outages are transient:
// the client reconnects by itself (ioredis's default backoff, at most 2 s
// apart) and, meanwhile, every command fails fast, which the stores turn into
// UNAVAILABLE (stores/redis/unavailable.ts):
// - enableOfflineQueue false: a command sent while disconnected is refused at
//   once, instead of queueing (and holding a request open) for as long as the
//   outage lasts;
// - commandTimeout: a command sent to a Redis that stopped answering (hung,
//   or its connection silently gone) fails after this long;
// - autoResendUnfulfilledCommands false: a command cut off by a dropped
//   connection has already been reported as failed (by the timeout), so it is
//   not run again later behind its caller's back.
import { Redis } from 'ioredis';
import type { Logger } from '../core/logger.ts';
import { StartupError } from './startup-error.ts';

export interface RedisClientOptions {
  /** Milliseconds a command may wait for Redis's answer. */
  commandTimeoutMs: number;
}

export async function connectRedis(url: string, logger: Logger, opts: RedisClientOptions = { commandTimeoutMs: 2000 }): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 3000,
    enableOfflineQueue: false,
    commandTimeout: opts.commandTimeoutMs,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 1,
  });
  // Logged once per outage and once on recovery, not on every reconnect attempt.
  // 'reconnecting' is the lost connection itself (never our own quit); 'error' a failed connect.
  let down = false;
  const unreachable = (reason: string): void => {
    if (down) return;
    down = true;
    logger.warn({ err: { message: reason } }, 'redis unreachable: requests answer UNAVAILABLE until it is back');
  };
  redis.on('error', (err: Error) => unreachable(err.message));
  redis.on('reconnecting', () => unreachable('connection lost'));
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    logger.info('redis reachable again');
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (e) {
    redis.disconnect();
    throw new StartupError(`Redis at REDIS_URL is unreachable (${(e as Error).message}); refusing to start.`, { cause: e });
  }
  return redis;
}
