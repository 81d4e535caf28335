import type { DeviceId, SessionId } from '../../core/ids.ts';
import type { Session } from '../../domain/model.ts';
import type { SessionStore } from '../../domain/stores.ts';
import { ttlToMs } from '../common.ts';
import { ExpiringMap } from './expiring-map.ts';
import { settle } from './settle.ts';

export function createMemorySessionStore(now: () => number): SessionStore {
  const sessions = new ExpiringMap<SessionId, Session>(now);
  const devices = new ExpiringMap<DeviceId, string>(now);

  return {
    create: (session: Session, ttlSeconds: number) =>
      settle(() => {
        sessions.set(session.id, structuredClone(session), ttlToMs(ttlSeconds));
      }),

    get: (id: SessionId) =>
      settle(() => {
        const found = sessions.get(id);
        return found === undefined ? null : structuredClone(found);
      }),

    delete: (id: SessionId) =>
      settle(() => {
        sessions.delete(id);
      }),

    putDevice: (id: DeviceId, secretHash: string, ttlSeconds: number) =>
      settle(() => {
        devices.set(id, secretHash, ttlToMs(ttlSeconds));
      }),

    getDevice: (id: DeviceId) => settle(() => devices.get(id) ?? null),
  };
}
