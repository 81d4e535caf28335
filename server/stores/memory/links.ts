import type { AppointmentId, DeviceId, LinkId, ParticipantId } from '../../core/ids.ts';
import type { Link } from '../../domain/model.ts';
import type { BindResult, LinkStore } from '../../domain/stores.ts';
import { ttlToMs } from '../common.ts';
import { ExpiringMap } from './expiring-map.ts';
import { settle } from './settle.ts';

interface Binding {
  deviceId: DeviceId;
  participantId: ParticipantId;
}

export function createMemoryLinkStore(now: () => number): LinkStore {
  // Map iteration order is creation order, the order listForAppointment gives.
  const links = new ExpiringMap<LinkId, Link>(now);
  const bindings = new ExpiringMap<LinkId, Binding>(now);

  return {
    create: (link: Link, ttlSeconds: number) =>
      settle(() => {
        links.set(link.id, structuredClone(link), ttlToMs(ttlSeconds));
      }),

    get: (id: LinkId) =>
      settle(() => {
        const found = links.get(id);
        return found === undefined ? null : structuredClone(found);
      }),

    listForAppointment: (appointmentId: AppointmentId) =>
      settle(() => {
        const out: Link[] = [];
        for (const link of links.values()) if (link.appointmentId === appointmentId) out.push(structuredClone(link));
        return out;
      }),

    revoke: (id: LinkId) =>
      settle(() => {
        const found = links.get(id);
        return found !== undefined && links.replace(id, { ...found, revoked: true });
      }),

    bind: (id: LinkId, deviceId: DeviceId, participantId: ParticipantId, ttlSeconds: number) =>
      settle((): BindResult => {
        const ms = ttlToMs(ttlSeconds);
        const held = bindings.get(id);
        if (held === undefined) {
          bindings.set(id, { deviceId, participantId }, ms);
          return { outcome: 'bound' };
        }
        return held.deviceId === deviceId
          ? { outcome: 'same-device', participantId: held.participantId }
          : { outcome: 'other-device', participantId: held.participantId };
      }),
  };
}
