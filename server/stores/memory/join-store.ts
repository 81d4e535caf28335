// A join's steps in memory: each record through its own store (same TTLs,
// copies and guarantees); doing them together only matters over a network.
import type { Participant } from '../../domain/model.ts';
import type { AppointmentStore, JoinStore, LinkStore, ParticipantStore } from '../../domain/stores.ts';

export function createMemoryJoinStore(stores: { appointments: AppointmentStore; links: LinkStore; participants: ParticipantStore }): JoinStore {
  return {
    async claimParticipant(id, deviceId, candidate, ttlSeconds, opts) {
      const claim = await stores.links.claim(id, deviceId, candidate.id, ttlSeconds, opts);
      if (claim.outcome === 'refused') return claim;
      if (!claim.created) return { ...claim, participant: await stores.participants.get(claim.participantId) };
      const put = await stores.participants.putIfAbsent({ ...candidate, linkReused: !claim.holder }, ttlSeconds);
      return { ...claim, created: put.created, participant: put.participant };
    },
    async linkAndAppointment(linkId, appointmentId) {
      return { link: await stores.links.get(linkId), appointment: await stores.appointments.get(appointmentId) };
    },
    async appointmentWithParticipants(appointmentId) {
      return { appointment: await stores.appointments.get(appointmentId), participants: await stores.participants.listForAppointment(appointmentId) };
    },
    async appointmentWithSome(appointmentId, participantIds) {
      const found = await Promise.all(participantIds.map((id) => stores.participants.get(id)));
      return { appointment: await stores.appointments.get(appointmentId), participants: found.filter((p): p is Participant => p !== null && p.appointmentId === appointmentId) };
    },
    async guestRecords(participantId, appointmentId, linkId) {
      return {
        participant: await stores.participants.get(participantId),
        appointment: await stores.appointments.get(appointmentId),
        link: linkId === null ? null : await stores.links.get(linkId),
      };
    },
  };
}
