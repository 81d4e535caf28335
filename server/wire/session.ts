// The HTTP session API (the pages call these before opening the socket): a
// link's token exchanged for a device session, the session now, and the
// clinician's day list. Fastify serialises the replies with these schemas and
// drops any property they do not name.
import { Type, type Static } from 'typebox';
import { Time } from './ids.ts';
import { AppointmentStatus, ParticipantState } from './participants.ts';
import { ClinicRolesView, StaffRole } from './auth.ts';
import { ClinicPublicView } from './clinic-info.ts';

export const TokenBody = Type.Object({ token: Type.String({ minLength: 10, maxLength: 4096, description: 'the token from the link' }) }, { additionalProperties: false });
export const KindQuery = Type.Object({ kind: Type.Optional(Type.Enum(['guest', 'clinician'])) }, { additionalProperties: false });
export const DayQuery = Type.Object(
  {
    day: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD' })),
    tz: Type.Optional(Type.Integer({ minimum: -840, maximum: 840, description: "the browser's getTimezoneOffset(), in minutes" })),
    refresh: Type.Optional(Type.Literal('background', { description: "the page's own periodic refresh: not counted as use of the session (it would never go idle)" })),
  },
  { additionalProperties: false },
);

const GuestInfo = Type.Object({
  kind: Type.Literal('guest'),
  appointmentId: Type.String(),
  participantId: Type.String(),
  /** Only once admitted: a waiting or flagged device may hold a forwarded link (domain/participants.ts, mayKnowOwnName). */
  name: Type.Optional(Type.String({ description: "the guest's own name, once the clinician has let them in (a waiting device may hold a forwarded link)" })),
  role: Type.String({ description: 'patient, interpreter, family, carer or other' }),
  state: ParticipantState,
  linkReused: Type.Boolean({ description: 'this device arrived on a link already used on another device' }),
  resumed: Type.Boolean({ description: 'the same device came back: it goes straight to where it was' }),
  enteredWaitingRoom: Type.Boolean({ description: 'this participant already entered the waiting room (consent given) once' }),
  clinicianName: Type.String(),
  startsAt: Time(),
  durationMinutes: Type.Integer(),
  /** The appointment's clinic as patients see it (name, phone, privacy notice): the consent step shows it before the socket opens. */
  clinic: Type.Optional(ClinicPublicView),
});
/** A staff member's session (kind 'clinician' for every staff member, clinician or not). */
const ClinicianInfo = Type.Object({
  kind: Type.Literal('clinician'),
  clinicianId: Type.String(),
  name: Type.String(),
  roles: Type.Array(StaffRole, { description: 'trust-wide roles' }),
  clinics: Type.Array(ClinicRolesView, { description: 'roles per clinic' }),
  via: Type.Enum(['oidc', 'ticket'], { description: 'oidc: signed in at the identity provider; ticket: a console link' }),
  idleMinutes: Type.Integer({ description: 'the session ends after this long unused' }),
});

/** POST /api/v1/session {token} and GET /api/v1/session answer with this. */
export const SessionInfo = Type.Union([GuestInfo, ClinicianInfo], { description: "This device's session: a guest's place in a consultation, or a clinician." });
export type SessionInfo = Static<typeof SessionInfo>;

/** One line of GET /api/v1/clinician/appointments?day=YYYY-MM-DD (clinician session). */
export const ClinicianAppointmentSummary = Type.Object({
  id: Type.String(),
  patientName: Type.String(),
  startsAt: Time(),
  durationMinutes: Type.Integer(),
  status: AppointmentStatus,
  locked: Type.Boolean(),
  waiting: Type.Integer({ description: 'people in the waiting room' }),
  present: Type.Integer({ description: 'admitted people connected now' }),
});
export type ClinicianAppointmentSummary = Static<typeof ClinicianAppointmentSummary>;

export const DayList = Type.Object({ appointments: Type.Array(ClinicianAppointmentSummary) }, { description: "The clinician's appointments on that day." });
export type DayList = Static<typeof DayList>;
