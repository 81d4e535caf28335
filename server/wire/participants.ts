// Who is in a consultation, as each participant and the API are shown it:
// the roles and states, one participant, and one person's whole view. The
// domain builds these (domain/participants.ts, domain/consultation.ts); the
// clinician's view carries the waiting and admitted lists, so no page filters.
import { Type, type Static } from 'typebox';
import { Time } from './ids.ts';
import { ClinicWaitingView } from './clinic-info.ts';

export const INVITE_ROLES = ['interpreter', 'family', 'carer', 'other'] as const;
export const GuestRole = Type.Enum(['patient', ...INVITE_ROLES]);
export type GuestRole = Static<typeof GuestRole>;
export const Role = Type.Enum(['clinician', 'patient', ...INVITE_ROLES]);
export type Role = Static<typeof Role>;
export const InviteRole = Type.Enum([...INVITE_ROLES]);

/**
 * waiting -> admitted | denied | removed | left; admitted -> waiting (sent back) | removed | left.
 * denied and removed are final for that device; the clinician decides again only if a new link is issued.
 */
export const ParticipantState = Type.Enum(['waiting', 'admitted', 'denied', 'removed', 'left']);
export type ParticipantState = Static<typeof ParticipantState>;

export const AppointmentStatus = Type.Enum(['scheduled', 'live', 'ended', 'cancelled'], { description: 'scheduled, live (someone joined), ended, or cancelled (before it was held)' });
export type AppointmentStatus = Static<typeof AppointmentStatus>;

const participantFields = {
  id: Type.String(),
  role: Role,
  name: Type.String(),
  state: ParticipantState,
  device: Type.String({ description: 'e.g. "Safari on iPhone"' }),
  linkReused: Type.Boolean({ description: 'true when this device came on a link already bound to another device' }),
  connected: Type.Boolean({ description: 'true while the participant has a live connection to any node of this service' }),
  connection: Type.Enum(['online', 'reconnecting', 'offline'], {
    description:
      'online: connected, and their media (if any) flowing; reconnecting: their connection or media dropped just now and is being restored (their place and media are kept for a grace period); offline: not connected',
  }),
  waitingSince: Type.Optional(Time('when they entered the waiting room')),
  videoPaused: Type.Optional(
    Type.Object(
      {
        sending: Type.Boolean({ description: 'their camera is paused: their connection cannot send video just now' }),
        receiving: Type.Boolean({ description: "others' video to them is paused: their connection cannot receive it just now" }),
      },
      { description: 'present while video is paused to keep their sound clear (a weak connection); absent when all video flows' },
    ),
  ),
};

/** One participant as shown to the clinician, the API and the others in the call. */
export const ParticipantView = Type.Object(participantFields);
export type ParticipantView = Static<typeof ParticipantView>;

/**
 * What a participant is told about themselves. A guest who has not been let in
 * gets no name: a device on a forwarded link carries the patient's name, and
 * the waiting page never shows it (the consent check uses the session answer).
 */
export const SelfView = Type.Object({ ...participantFields, name: Type.Optional(Type.String()) });
export type SelfView = Static<typeof SelfView>;

/**
 * What one user is shown: the clinician sees everyone; a guest sees only the
 * admitted when admitted. A guest who is waiting sees nobody (no names, no
 * comings and goings), only the clinician's name and the appointment.
 */
export const ConsultationView = Type.Object({
  appointmentId: Type.String(),
  status: AppointmentStatus,
  locked: Type.Boolean(),
  startsAt: Time(),
  durationMinutes: Type.Integer(),
  clinicianName: Type.String(),
  /** Someone who can let them in (their clinician, or a coordinator of the clinic) has the waiting area open and was alerted. */
  clinicianAware: Type.Boolean({ description: 'their clinician (or the clinic) has been told they are waiting' }),
  /** Set by the clinic: the clinician is running late by about this many minutes. */
  runningLateMinutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 240 })),
  /** The clinic, as the waiting page shows it (absent for an appointment of no clinic). */
  clinic: Type.Optional(ClinicWaitingView),
  self: SelfView,
  /** Everyone else this person is shown: `waiting` and `admitted` together, and any who left or were turned away. */
  participants: Type.Array(ParticipantView),
  /** Those in the waiting room, by the one rule (domain/participants.ts isWaiting); only the clinician sees any. */
  waiting: Type.Array(ParticipantView),
  /** The others let in. */
  admitted: Type.Array(ParticipantView),
});
export type ConsultationView = Static<typeof ConsultationView>;
