// Every key the Redis stores use, under one prefix. Ids are base64url, so a
// ':' after the kind can never be confused with part of an id.
import type { AppointmentId, LinkId, ParticipantId, SessionId } from '../../core/ids.ts';

export interface Keys {
  appointment(id: AppointmentId): string;
  /** Sorted set: appointment ids scored by startsAt (epoch ms). */
  clinicianAppointments(clinicianId: string): string;
  link(id: LinkId): string;
  /** JSON { deviceId, participantId } of the device that redeemed the link. */
  linkBinding(id: LinkId): string;
  /** Sorted set: link ids scored by an insertion counter. */
  appointmentLinks(id: AppointmentId): string;
  participant(id: ParticipantId): string;
  /** Sorted set: participant ids scored by an insertion counter. */
  appointmentParticipants(id: AppointmentId): string;
  session(id: SessionId): string;
  /** Stream of one appointment's events. */
  appointmentEvents(id: AppointmentId): string;
  /** Stream of every event. */
  allEvents(): string;
}

export function keysFor(prefix: string): Keys {
  return {
    appointment: (id) => `${prefix}appointment:${id}`,
    clinicianAppointments: (clinicianId) => `${prefix}clinician-appointments:${clinicianId}`,
    link: (id) => `${prefix}link:${id}`,
    linkBinding: (id) => `${prefix}link-binding:${id}`,
    appointmentLinks: (id) => `${prefix}appointment-links:${id}`,
    participant: (id) => `${prefix}participant:${id}`,
    appointmentParticipants: (id) => `${prefix}appointment-participants:${id}`,
    session: (id) => `${prefix}session:${id}`,
    appointmentEvents: (id) => `${prefix}events:${id}`,
    allEvents: () => `${prefix}events-all`,
  };
}
