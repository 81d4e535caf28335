import type { Redis } from 'ioredis';
import type { DeviceId, SessionId } from '../../core/ids.ts';
import type { Session } from '../../domain/model.ts';
import type { SessionStore } from '../../domain/stores.ts';
import { ttlToMs } from '../common.ts';
import { parseRecord } from './json.ts';
import type { Keys } from './keys.ts';

export function createRedisSessionStore(redis: Redis, keys: Keys): SessionStore {
  return {
    async create(session: Session, ttlSeconds: number): Promise<void> {
      await redis.set(keys.session(session.id), JSON.stringify(session), 'PX', ttlToMs(ttlSeconds));
    },

    async get(id: SessionId): Promise<Session | null> {
      return parseRecord<Session>(await redis.get(keys.session(id)));
    },

    async delete(id: SessionId): Promise<void> {
      await redis.del(keys.session(id));
    },

    async putDevice(id: DeviceId, secretHash: string, ttlSeconds: number): Promise<void> {
      await redis.set(keys.device(id), secretHash, 'PX', ttlToMs(ttlSeconds));
    },

    async getDevice(id: DeviceId): Promise<string | null> {
      return redis.get(keys.device(id));
    },
  };
}
