import type { SessionId } from '../../core/ids.ts';
import type { Session } from '../../domain/model.ts';
import type { SessionStore } from '../../domain/stores.ts';
import { ttlToMs } from '../common.ts';
import { ExpiringMap } from './expiring-map.ts';
import { settle } from './settle.ts';

export function createMemorySessionStore(now: () => number): SessionStore {
  const sessions = new ExpiringMap<SessionId, Session>(now);

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
  };
}
