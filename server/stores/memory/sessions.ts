import type { DeviceId, SessionId } from '../../core/ids.ts';
import type { LoginTransaction, Session, StaffSession } from '../../domain/model.ts';
import type { SessionStore } from '../../domain/stores.ts';
import { byCreatedAt, isoToMs, ttlToMs } from '../common.ts';
import { ExpiringMap } from './expiring-map.ts';
import { settle } from './settle.ts';

export function createMemorySessionStore(now: () => number): SessionStore {
  const sessions = new ExpiringMap<SessionId, Session>(now);
  const devices = new ExpiringMap<DeviceId, string>(now);
  // Each staff member's session ids; an id whose session is gone is pruned when next seen.
  const byUser = new Map<string, Set<SessionId>>();
  const claimed = new ExpiringMap<string, true>(now);
  const logins = new ExpiringMap<string, LoginTransaction>(now);

  /** The user's live staff sessions, pruning ids that no longer lead to one. */
  const liveFor = (userId: string): StaffSession[] => {
    const ids = byUser.get(userId);
    if (ids === undefined) return [];
    const out: StaffSession[] = [];
    for (const id of ids) {
      const s = sessions.get(id);
      if (s?.kind === 'clinician' && s.clinicianId === userId) out.push(s);
      else ids.delete(id);
    }
    if (ids.size === 0) byUser.delete(userId);
    return out;
  };

  return {
    create: (session: Session, ttlSeconds: number) =>
      settle(() => {
        const ms = ttlToMs(ttlSeconds);
        sessions.set(session.id, structuredClone(session), ms);
        if (session.kind !== 'clinician') return;
        liveFor(session.clinicianId);
        const ids = byUser.get(session.clinicianId) ?? new Set<SessionId>();
        ids.add(session.id);
        byUser.set(session.clinicianId, ids);
      }),

    get: (id: SessionId) =>
      settle(() => {
        const found = sessions.get(id);
        return found === undefined ? null : structuredClone(found);
      }),

    delete: (id: SessionId) =>
      settle(() => {
        const found = sessions.get(id);
        if (found === undefined) return false;
        sessions.delete(id);
        if (found.kind === 'clinician') byUser.get(found.clinicianId)?.delete(id);
        return true;
      }),

    touch: (id: SessionId, lastSeenAt: string, ttlSeconds: number) =>
      settle(() => {
        const ms = ttlToMs(ttlSeconds);
        isoToMs(lastSeenAt, 'lastSeenAt');
        const found = sessions.get(id);
        if (found?.kind !== 'clinician') return null;
        const touched: StaffSession = { ...found, lastSeenAt };
        sessions.set(id, touched, ms);
        return structuredClone(touched);
      }),

    listForUser: (userId: string) => settle(() => liveFor(userId).sort(byCreatedAt).map((s) => structuredClone(s))),

    putDevice: (id: DeviceId, secretHash: string, ttlSeconds: number) =>
      settle(() => {
        devices.set(id, secretHash, ttlToMs(ttlSeconds));
      }),

    getDevice: (id: DeviceId) => settle(() => devices.get(id) ?? null),

    claimOnce: (tokenId: string, ttlSeconds: number) =>
      settle(() => {
        const ms = ttlToMs(ttlSeconds);
        if (claimed.get(tokenId) !== undefined) return false;
        claimed.set(tokenId, true, ms);
        return true;
      }),

    putLogin: (id: string, txn: LoginTransaction, ttlSeconds: number) =>
      settle(() => {
        logins.set(id, structuredClone(txn), ttlToMs(ttlSeconds));
      }),

    takeLogin: (id: string) =>
      settle(() => {
        const found = logins.get(id);
        if (found === undefined) return null;
        logins.delete(id);
        return found;
      }),
  };
}
