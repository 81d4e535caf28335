import type { AppointmentId, ParticipantId } from '../../core/ids.ts';
import type { Participant, ParticipantState } from '../../domain/model.ts';
import type { ParticipantStore, TransitionOptions } from '../../domain/stores.ts';
import { ttlToMs } from '../common.ts';
import { ExpiringMap } from './expiring-map.ts';
import type { MemoryLinkStore } from './links.ts';
import { settle } from './settle.ts';

/** `links` closes a link in the same synchronous step as a transition (TransitionOptions.closeLink). */
export function createMemoryParticipantStore(now: () => number, links: Pick<MemoryLinkStore, 'closeNow'>): ParticipantStore {
  // Map iteration order is first-put order, the order listForAppointment gives.
  const participants = new ExpiringMap<ParticipantId, Participant>(now);

  return {
    put: (participant: Participant, ttlSeconds: number) =>
      settle(() => {
        participants.set(participant.id, structuredClone(participant), ttlToMs(ttlSeconds));
      }),

    putIfAbsent: (participant: Participant, ttlSeconds: number) =>
      settle(() => {
        const found = participants.get(participant.id);
        if (found !== undefined) return { participant: structuredClone(found), created: false };
        participants.set(participant.id, structuredClone(participant), ttlToMs(ttlSeconds));
        return { participant: structuredClone(participant), created: true };
      }),

    get: (id: ParticipantId) =>
      settle(() => {
        const found = participants.get(id);
        return found === undefined ? null : structuredClone(found);
      }),

    listForAppointment: (appointmentId: AppointmentId) =>
      settle(() => {
        const out: Participant[] = [];
        for (const p of participants.values()) if (p.appointmentId === appointmentId) out.push(structuredClone(p));
        return out;
      }),

    transition: (id: ParticipantId, from: readonly ParticipantState[], to: ParticipantState, atIso: string, opts: TransitionOptions = {}) =>
      settle(() => {
        const found = participants.get(id);
        if (found === undefined || !from.includes(found.state)) return null;
        const next: Participant = { ...found, state: to, updatedAt: atIso };
        if (to === 'waiting') next.waitingSince = atIso;
        participants.replace(id, next);
        if (opts.closeLink) links.closeNow(opts.closeLink.id, opts.closeLink.decision, atIso);
        return structuredClone(next);
      }),

    setCheck: (id: ParticipantId, check: NonNullable<Participant['check']>) =>
      settle(() => {
        const found = participants.get(id);
        if (found === undefined) return null;
        const next: Participant = { ...found, check: structuredClone(check) };
        participants.replace(id, next);
        return structuredClone(next);
      }),
  };
}
