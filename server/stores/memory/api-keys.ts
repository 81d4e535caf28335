import type { ApiKeyId } from '../../core/ids.ts';
import type { ApiKeyRecord } from '../../domain/model.ts';
import type { ApiKeyStore } from '../../domain/stores.ts';
import { byCreatedAt, isoToMs } from '../common.ts';
import { settle } from './settle.ts';

export function createMemoryApiKeyStore(): ApiKeyStore {
  const keys = new Map<ApiKeyId, ApiKeyRecord>();

  return {
    create: (key: ApiKeyRecord) =>
      settle(() => {
        keys.set(key.id, structuredClone(key));
      }),

    get: (id: ApiKeyId) =>
      settle(() => {
        const found = keys.get(id);
        return found === undefined ? null : structuredClone(found);
      }),

    list: () => settle(() => [...keys.values()].sort(byCreatedAt).map((k) => structuredClone(k))),

    revoke: (id: ApiKeyId, atIso: string) =>
      settle(() => {
        isoToMs(atIso, 'atIso');
        const found = keys.get(id);
        if (found === undefined) return null;
        found.revokedAt ??= atIso;
        return structuredClone(found);
      }),

    markUsed: (id: ApiKeyId, atIso: string) =>
      settle(() => {
        isoToMs(atIso, 'atIso');
        const found = keys.get(id);
        if (found !== undefined) found.lastUsedAt = atIso;
      }),
  };
}
