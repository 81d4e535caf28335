import type { AppointmentId, DeviceId, LinkId, ParticipantId } from '../../core/ids.ts';
import type { Link, LinkDecision } from '../../domain/model.ts';
import type { ClaimResult, LinkStore } from '../../domain/stores.ts';
import { ttlToMs } from '../common.ts';
import { ExpiringMap } from './expiring-map.ts';
import { settle } from './settle.ts';

/** Who is on a link: the first device, and each device's participant. */
interface Claims {
  holder: DeviceId;
  participants: Map<DeviceId, ParticipantId>;
}

/** The memory link store, plus the synchronous close the participant store runs inside its transition. */
export interface MemoryLinkStore extends LinkStore {
  closeNow(id: LinkId, decision: LinkDecision, atIso: string): void;
}

export function createMemoryLinkStore(now: () => number): MemoryLinkStore {
  // Map iteration order is creation order, the order listForAppointment gives.
  const links = new ExpiringMap<LinkId, Link>(now);
  const claims = new ExpiringMap<LinkId, Claims>(now);

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

    closeNow(id: LinkId, decision: LinkDecision, atIso: string): void {
      const found = links.get(id);
      if (found !== undefined && found.closedBy === undefined) links.replace(id, { ...found, closedBy: decision, closedAt: atIso });
    },

    claim: (id: LinkId, deviceId: DeviceId, candidate: ParticipantId, ttlSeconds: number, opts: { acceptNew: boolean }) =>
      settle((): ClaimResult => {
        const ms = ttlToMs(ttlSeconds);
        const held = claims.get(id);
        const known = held?.participants.get(deviceId);
        if (known !== undefined) return { outcome: 'claimed', participantId: known, created: false, holder: held!.holder === deviceId };
        const link = links.get(id);
        if (link === undefined) return { outcome: 'refused', reason: 'no-link' };
        if (link.closedBy !== undefined) return { outcome: 'refused', reason: 'closed' };
        if (!opts.acceptNew) return { outcome: 'refused', reason: 'not-accepting' };
        if (held === undefined) {
          claims.set(id, { holder: deviceId, participants: new Map([[deviceId, candidate]]) }, ms);
          return { outcome: 'claimed', participantId: candidate, created: true, holder: true };
        }
        held.participants.set(deviceId, candidate);
        return { outcome: 'claimed', participantId: candidate, created: true, holder: false };
      }),
  };
}
