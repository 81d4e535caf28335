// The composition root: every dependency is made here, once, from the
// validated config, and passed down explicitly. Nothing else constructs
// stores, workers or services.
import { Redis } from 'ioredis';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/schema.ts';
import type { Logger } from './core/logger.ts';
import type { Stores } from './domain/stores.ts';
import { RoomRegistry } from './media/rooms.ts';
import { WorkerPool } from './media/worker-pool.ts';
import { createMemoryStores } from './stores/memory/index.ts';
import { createRedisStores } from './stores/redis/index.ts';

export interface Deps {
  config: Config;
  logger: Logger;
  stores: Stores;
  pool: WorkerPool;
  rooms: RoomRegistry;
  clientDir: string;
  close(): Promise<void>;
}

export const DEFAULT_CLIENT_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'client', 'dist');

export class StartupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StartupError';
  }
}

async function connectRedis(url: string, logger: Logger): Promise<Stores> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2, connectTimeout: 3000, enableOfflineQueue: true });
  // A failed first connection must refuse start-up, not retry forever.
  redis.on('error', (err: Error) => logger.warn({ err: { message: err.message } }, 'redis connection error'));
  try {
    await redis.connect();
    await redis.ping();
  } catch (e) {
    redis.disconnect();
    throw new StartupError(`Redis at REDIS_URL is unreachable (${(e as Error).message}); refusing to start.`, { cause: e });
  }
  logger.info({ store: 'redis' }, 'using Redis for appointments, links, waiting rooms and audit events');
  return createRedisStores(redis);
}

export async function createDeps(config: Config, logger: Logger, opts: { clientDir?: string } = {}): Promise<Deps> {
  let stores: Stores;
  if (config.redisUrl) {
    stores = await connectRedis(config.redisUrl, logger);
  } else {
    stores = createMemoryStores();
    logger.warn(
      { store: 'memory' },
      'no REDIS_URL: single-node, non-persistent mode; appointments, links and waiting rooms are lost on restart',
    );
  }
  let pool: WorkerPool;
  try {
    pool = await WorkerPool.create(
      {
        numWorkers: config.mediasoup.numWorkers,
        workerBin: config.mediasoup.workerBin,
        logLevel: config.mediasoup.logLevel,
        listenIp: config.mediasoup.listenIp,
        announcedAddress: config.mediasoup.announcedAddress,
        port: config.mediasoup.port,
      },
      logger.child({ component: 'media' }),
    );
  } catch (e) {
    await stores.close();
    throw new StartupError(`mediasoup workers could not start (${(e as Error).message}).`, { cause: e });
  }
  const rooms = new RoomRegistry(pool);
  return {
    config,
    logger,
    stores,
    pool,
    rooms,
    clientDir: opts.clientDir ?? DEFAULT_CLIENT_DIR,
    close: async () => {
      rooms.closeAll();
      pool.close();
      await stores.close();
    },
  };
}
