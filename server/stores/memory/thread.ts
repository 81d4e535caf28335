import type { AppointmentId, FileId, ParticipantId } from '../../core/ids.ts';
import type { FileRecord, ThreadItem } from '../../domain/model.ts';
import type { ContentKind, FileGrant, SeenWay, ThreadStore } from '../../domain/stores.ts';
import { ttlToMs } from '../common.ts';
import { ExpiringMap } from './expiring-map.ts';
import { settle } from './settle.ts';

export function createMemoryThreadStore(now: () => number): ThreadStore {
  const items = new ExpiringMap<string, ThreadItem>(now);
  const files = new ExpiringMap<FileId, FileRecord>(now);
  const keys = new ExpiringMap<AppointmentId, Buffer>(now);
  const grants = new ExpiringMap<string, FileGrant>(now);
  // Per appointment: the stored total, and the (way, file, participant) sightings.
  const stored = new ExpiringMap<AppointmentId, number>(now);
  const sightings = new ExpiringMap<AppointmentId, Set<string>>(now);
  const sighting = (f: FileId, p: ParticipantId, way: SeenWay) => `${way}:${f}:${p}`;
  // `${kind}:${appointmentId}` -> due (epoch ms). Schedules have no TTL: they are what ends the content.
  const purges = new Map<string, number>();
  const purgeKey = (a: AppointmentId, k: ContentKind) => `${k}:${a}`;

  return {
    append: (item, ttlSeconds) =>
      settle(() => {
        items.set(item.id, structuredClone(item), ttlToMs(ttlSeconds));
      }),
    items: (appointmentId) => settle(() => [...items.values()].filter((i) => i.appointmentId === appointmentId).map((i) => structuredClone(i))),
    putFile: (file, ttlSeconds) =>
      settle(() => {
        files.set(file.id, structuredClone(file), ttlToMs(ttlSeconds));
      }),
    getFile: (id) =>
      settle(() => {
        const f = files.get(id);
        return f === undefined ? null : structuredClone(f);
      }),
    files: (appointmentId) => settle(() => [...files.values()].filter((f) => f.appointmentId === appointmentId).map((f) => structuredClone(f))),
    ensureKey: (appointmentId, candidate, ttlSeconds) =>
      settle(() => {
        const current = keys.get(appointmentId);
        if (current !== undefined) return Buffer.from(current);
        keys.set(appointmentId, Buffer.from(candidate), ttlToMs(ttlSeconds));
        return Buffer.from(candidate);
      }),
    getKey: (appointmentId) =>
      settle(() => {
        const k = keys.get(appointmentId);
        return k === undefined ? null : Buffer.from(k);
      }),
    grant: (token, grant, ttlSeconds) =>
      settle(() => {
        grants.set(token, { ...grant }, ttlToMs(ttlSeconds));
      }),
    redeem: (token) =>
      settle(() => {
        const g = grants.get(token);
        return g === undefined ? null : { ...g };
      }),
    reserveBytes: (appointmentId, bytes, limit, ttlSeconds) =>
      settle(() => {
        const total = (stored.get(appointmentId) ?? 0) + bytes;
        if (total > limit) return false;
        stored.set(appointmentId, total, ttlToMs(ttlSeconds));
        return true;
      }),
    releaseBytes: (appointmentId, bytes) =>
      settle(() => {
        const total = stored.get(appointmentId);
        if (total !== undefined) stored.replace(appointmentId, Math.max(0, total - bytes));
      }),
    storedBytes: (appointmentId) => settle(() => stored.get(appointmentId) ?? 0),
    markSeen: (appointmentId, fileId, participantId, way, ttlSeconds) =>
      settle(() => {
        const seen = sightings.get(appointmentId) ?? new Set<string>();
        const key = sighting(fileId, participantId, way);
        if (seen.has(key)) return false;
        seen.add(key);
        sightings.set(appointmentId, seen, ttlToMs(ttlSeconds));
        return true;
      }),
    unmarkSeen: (appointmentId, fileId, participantId, way) =>
      settle(() => {
        sightings.get(appointmentId)?.delete(sighting(fileId, participantId, way));
      }),
    schedulePurge: (appointmentId, kind, dueAtMs, onlyIfUnset = false) =>
      settle(() => {
        const k = purgeKey(appointmentId, kind);
        if (onlyIfUnset && purges.has(k)) return;
        purges.set(k, dueAtMs);
      }),
    duePurges: (nowMs, limit) =>
      settle(() =>
        [...purges.entries()]
          .filter(([, due]) => due <= nowMs)
          .sort((a, b) => a[1] - b[1])
          .slice(0, limit)
          .map(([k]) => {
            const [kind, appointmentId] = k.split(':') as [ContentKind, AppointmentId];
            return { appointmentId, kind };
          }),
      ),
    purge: (appointmentId, kind) =>
      settle(() => {
        purges.delete(purgeKey(appointmentId, kind));
        if (kind === 'messages') {
          for (const i of [...items.values()]) if (i.appointmentId === appointmentId) items.delete(i.id);
          return;
        }
        for (const f of [...files.values()]) if (f.appointmentId === appointmentId) files.delete(f.id);
        const k = keys.get(appointmentId);
        if (k) k.fill(0); // the Buffer handed out by ensureKey is a copy; this one is the store's
        keys.delete(appointmentId);
        stored.delete(appointmentId);
        sightings.delete(appointmentId);
        // Grants are left to expire: each names a file record that is now gone.
      }),
  };
}
