// The REST API for booking systems and trust IT (http/appointment-routes.ts,
// http/admin-routes.ts): appointments, their one-time links, console links
// and the state of one node. Fastify serialises each reply with its schema and
// drops any property it does not name, so each lists everything its handler returns.
import { Type, type Static } from 'typebox';
import { Id, Time } from './ids.ts';
import { ClinicIdSchema } from './auth.ts';
import { AppointmentStatus, GuestRole, InviteRole, ParticipantView } from './participants.ts';

export const Name = Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\u0000-\\u001f<>]+$', description: 'a display name, 1 to 100 characters' });

/** A clinician as the booking system knows them (also used by POST /api/v1/clinician-tokens). */
export const Clinician = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._@:-]+$', description: "the clinician's id in your system" }), name: Name },
  { additionalProperties: false },
);

export const CreateAppointmentBody = Type.Object(
  {
    clinician: Clinician,
    patient: Type.Object({ name: Name }, { additionalProperties: false }),
    startsAt: Type.String({ format: 'date-time', maxLength: 40, description: 'ISO 8601 date-time' }),
    durationMinutes: Type.Integer({ minimum: 5, maximum: 240, description: 'minutes, 5 to 240' }),
    clinicId: Type.Optional(ClinicIdSchema('the clinic it belongs to (a key bound to a clinic always creates in its own)')),
  },
  {
    additionalProperties: false,
    examples: [{ clinician: { id: 'gp-1', name: 'Dr Asha Patel' }, patient: { name: 'Jane Doe' }, startsAt: '2026-12-01T14:30:00Z', durationMinutes: 15 }],
  },
);

export const InviteBody = Type.Object(
  { name: Name, role: InviteRole },
  { additionalProperties: false, examples: [{ name: 'Sam Okafor', role: 'interpreter' }] },
);

export const AppointmentParams = Type.Object({ id: Id() }, { additionalProperties: false });
export const LinkParams = Type.Object({ id: Id(), linkId: Id() }, { additionalProperties: false });

export const CreatedAppointment = Type.Object(
  {
    id: Type.String({ description: 'the appointment id' }),
    status: AppointmentStatus,
    startsAt: Time('ISO 8601, UTC'),
    durationMinutes: Type.Integer(),
    clinicianUrl: Type.String({ description: "the clinician's console link, opening this appointment" }),
    patientUrl: Type.String({ description: "the patient's one-time link (the token is in the fragment)" }),
    patientLinkId: Type.String({ description: "the patient link's id, for revoking it" }),
  },
  { description: 'The appointment, with the console link and the patient link.' },
);
export type CreatedAppointment = Static<typeof CreatedAppointment>;
export const Invitation = Type.Object(
  {
    url: Type.String({ description: 'the one-time link for this person' }),
    linkId: Type.String({ description: "the link's id, for revoking it" }),
    role: InviteRole,
  },
  { description: 'The new one-time link.' },
);
export type Invitation = Static<typeof Invitation>;
export const AppointmentDetail = Type.Object(
  {
    id: Type.String(),
    status: AppointmentStatus,
    locked: Type.Boolean({ description: 'true when the clinician locked the consultation (no one new is let in)' }),
    startsAt: Time('ISO 8601, UTC'),
    durationMinutes: Type.Integer(),
    clinician: Type.Object({ id: Type.String(), name: Type.String() }),
    clinicId: Type.Optional(Type.String()),
    patient: Type.Object({ name: Type.String() }),
    links: Type.Array(
      Type.Object({
        id: Type.String(),
        role: GuestRole,
        name: Type.String(),
        revoked: Type.Boolean(),
        bound: Type.Boolean({ description: 'true once a device redeemed the link (it is then bound to that device)' }),
        expiresAt: Time('when the link stops working'),
      }),
    ),
    participants: Type.Array(ParticipantView),
  },
  { description: 'The appointment, its links, and who is waiting or present.' },
);
export type AppointmentDetail = Static<typeof AppointmentDetail>;

// ---- admin: POST /api/v1/clinician-tokens, GET /api/v1/status ----

export const ConsoleTokenBody = Type.Object({ clinician: Clinician }, { additionalProperties: false, examples: [{ clinician: { id: 'gp-1', name: 'Dr Asha Patel' } }] });
export const ConsoleLink = Type.Object(
  { url: Type.String({ description: "the clinician's console link (the token is in the fragment)" }) },
  { description: 'A console link: a single-use sign-in ticket, valid for auth.ticketTtlMinutes (5 by default). Ask for one when the clinician clicks, not at booking time.' },
);
export const WorkerStatus = Type.Object({
  index: Type.Integer(),
  pid: Type.Integer(),
  alive: Type.Boolean(),
  routers: Type.Integer({ description: 'consultations (and camera checks) on this worker' }),
  port: Type.Integer({ description: "the worker's WebRtcServer port, UDP and TCP" }),
});
export type WorkerStatus = Static<typeof WorkerStatus>;
export const NodeStatus = Type.Object(
  {
    workers: Type.Array(WorkerStatus),
    consultationsActive: Type.Integer({ description: 'consultations with media on this node' }),
    socketConnections: Type.Integer({ description: 'participant sockets connected to this node' }),
    draining: Type.Boolean({ description: 'true after SIGTERM: no new consultations here' }),
    store: Type.Enum(['memory', 'redis']),
  },
  { description: 'This node now.' },
);
export type NodeStatus = Static<typeof NodeStatus>;
