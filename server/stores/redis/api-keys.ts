import type { Redis } from 'ioredis';
import type { ApiKeyId } from '../../core/ids.ts';
import type { ApiKeyRecord } from '../../domain/model.ts';
import type { ApiKeyStore } from '../../domain/stores.ts';
import { byCreatedAt, isoToMs } from '../common.ts';
import { CREATE_API_KEY, SET_KEY_TIME } from './access-scripts.ts';
import { parseRecord, parseRecords } from './json.ts';
import type { Keys } from './keys.ts';
import { runScript } from './scripts.ts';

export function createRedisApiKeyStore(redis: Redis, keys: Keys): ApiKeyStore {
  return {
    async create(key: ApiKeyRecord): Promise<void> {
      const createdAt = isoToMs(key.createdAt, 'createdAt');
      await runScript(redis, CREATE_API_KEY, [keys.apiKey(key.id), keys.apiKeys], [JSON.stringify(key), createdAt, key.id]);
    },

    async get(id: ApiKeyId): Promise<ApiKeyRecord | null> {
      return parseRecord<ApiKeyRecord>(await redis.get(keys.apiKey(id)));
    },

    async list(): Promise<ApiKeyRecord[]> {
      const ids = await redis.zrange(keys.apiKeys, 0, -1);
      if (ids.length === 0) return [];
      return parseRecords<ApiKeyRecord>(await redis.mget(ids.map((id) => keys.apiKey(id as ApiKeyId)))).sort(byCreatedAt);
    },

    async revoke(id: ApiKeyId, atIso: string): Promise<ApiKeyRecord | null> {
      isoToMs(atIso, 'atIso');
      return parseRecord<ApiKeyRecord>((await runScript(redis, SET_KEY_TIME, [keys.apiKey(id)], ['revokedAt', atIso, '1'])) as string | null);
    },

    async markUsed(id: ApiKeyId, atIso: string): Promise<void> {
      isoToMs(atIso, 'atIso');
      await runScript(redis, SET_KEY_TIME, [keys.apiKey(id)], ['lastUsedAt', atIso, '0']);
    },
  };
}
