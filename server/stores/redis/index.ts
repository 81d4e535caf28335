// The production stores, over one ioredis client. Records are JSON strings
// with the TTL they were given (PX); the index sets beside them live at least
// as long as their longest-lived member. Every read-check-write step is one
// Lua script, so it is atomic across all server instances sharing the Redis.
import type { Redis } from 'ioredis';
import { DEFAULT_TRUST_ID } from '../../domain/audit/record.ts';
import type { Stores } from '../../domain/stores.ts';
import { createRedisApiKeyStore } from './api-keys.ts';
import { createRedisAppointmentStore } from './appointments.ts';
import { createRedisClinicStore } from './clinics.ts';
import { createRedisEventStore } from './events.ts';
import { createRedisThreadStore } from './thread.ts';
import { createRedisRateStore } from './rates.ts';
import { keysFor } from './keys.ts';
import { createRedisJoinStore } from './join-store.ts';
import { createRedisLinkStore } from './links.ts';
import { createRedisParticipantStore } from './participants.ts';
import { createRedisSessionStore } from './sessions.ts';
import { guardUnavailable } from './unavailable.ts';

export interface RedisStoresOptions {
  /** Put before every key; 'cr:' by default. */
  prefix?: string;
  /** The trust whose audit chain the event store holds; DEFAULT_TRUST_ID by default. */
  trustId?: string;
  /** Retry-After (seconds) of the UNAVAILABLE errors a Redis outage turns into; 2 by default. */
  retryAfterSeconds?: number;
}

const PING_TIMEOUT_MS = 2000;
const QUIT_TIMEOUT_MS = 2000;

/** Settles with the promise, or rejects with `message` after `ms`. */
async function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function createRedisStores(redis: Redis, opts: RedisStoresOptions = {}): Stores {
  const keys = keysFor(opts.prefix ?? 'cr:');
  // A Redis outage reaches callers as UNAVAILABLE (retryable), whichever store method met it.
  const guard = <T extends object>(store: T): T => guardUnavailable(store, opts.retryAfterSeconds ?? 2);
  return {
    kind: 'redis',
    appointments: guard(createRedisAppointmentStore(redis, keys)),
    links: guard(createRedisLinkStore(redis, keys)),
    participants: guard(createRedisParticipantStore(redis, keys)),
    joins: guard(createRedisJoinStore(redis, keys)),
    sessions: guard(createRedisSessionStore(redis, keys)),
    clinics: guard(createRedisClinicStore(redis, keys)),
    apiKeys: guard(createRedisApiKeyStore(redis, keys)),
    events: guard(createRedisEventStore(redis, keys, opts.trustId ?? DEFAULT_TRUST_ID)),
    thread: guard(createRedisThreadStore(redis, keys)),
    rates: guard(createRedisRateStore(redis, keys)),

    async ping(): Promise<void> {
      // Without an offline queue a PING fails at once while disconnected; the race covers a Redis that accepts but never answers.
      await within(redis.ping(), PING_TIMEOUT_MS, `Redis did not answer PING within ${String(PING_TIMEOUT_MS)} ms`);
    },

    async close(): Promise<void> {
      if (redis.status === 'end') return;
      if (redis.status !== 'ready') {
        // QUIT would wait in the offline queue for a server that is not there;
        // disconnect() also cancels a pending reconnect.
        redis.disconnect();
        return;
      }
      const ended = new Promise<void>((resolve) => redis.once('end', () => resolve()));
      try {
        await within(redis.quit(), QUIT_TIMEOUT_MS, 'Redis did not answer QUIT');
        await within(ended, QUIT_TIMEOUT_MS, 'Redis connection did not close after QUIT');
      } catch {
        redis.disconnect();
      }
    },
  };
}
