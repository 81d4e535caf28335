// Connecting to Redis at start-up: a failed first connection refuses start-up
// (a StartupError) instead of retrying forever; later errors are logged while
// ioredis reconnects.
import { Redis } from 'ioredis';
import type { Logger } from '../core/logger.ts';
import { StartupError } from './startup-error.ts';

export async function connectRedis(url: string, logger: Logger): Promise<Redis> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2, connectTimeout: 3000, enableOfflineQueue: true });
  redis.on('error', (err: Error) => logger.warn({ err: { message: err.message } }, 'redis connection error'));
  try {
    await redis.connect();
    await redis.ping();
  } catch (e) {
    redis.disconnect();
    throw new StartupError(`Redis at REDIS_URL is unreachable (${(e as Error).message}); refusing to start.`, { cause: e });
  }
  return redis;
}
