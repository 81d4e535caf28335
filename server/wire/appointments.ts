// The REST API for booking systems and trust IT (http/appointment-routes.ts,
// http/admin-routes.ts): appointments, their one-time links, console links
// and the state of one node. Fastify serialises each reply with its schema and
// drops any property it does not name, so each lists everything its handler returns.
import { Type, type Static } from 'typebox';
import { Id, Time } from './ids.ts';
import { ClinicIdSchema } from './auth.ts';
import { LANGUAGES } from './language.ts';
import { AppointmentStatus, GuestRole, InviteRole, ParticipantView } from './participants.ts';

export const Name = Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\u0000-\\u001f<>]+$', description: 'a display name, 1 to 100 characters' });

/** A clinician as the booking system knows them (also used by POST /api/v1/clinician-tokens). */
export const Clinician = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._@:-]+$', description: "the clinician's id in your system" }), name: Name },
  { additionalProperties: false },
);

/**
 * Send the patient's link by SMS and/or email through the trust's
 * notification provider (GOV.UK Notify's API, or one like it), where
 * configured. The number and address are used for this one message and never
 * stored or logged; only the provider's notification id and status are kept.
 */
export const Deliver = Type.Object(
  {
    sms: Type.Optional(Type.String({ minLength: 7, maxLength: 20, pattern: '^\\+?[0-9 ()-]+$', description: 'a mobile number (UK or +international)' })),
    email: Type.Optional(Type.String({ minLength: 3, maxLength: 254, format: 'email', description: 'an email address' })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type Deliver = Static<typeof Deliver>;

/** An appointment's language: its links open the pages in it; cy: Welsh pages, bilingual SMS and email (Welsh first). */
const AppointmentLanguage = (description: string) => Type.Enum([...LANGUAGES], { description });

/** One message sent through the provider: its id there and what the provider last said. */
export const Delivery = Type.Object({
  id: Type.String({ description: "the provider's notification id" }),
  linkId: Type.String(),
  channel: Type.Enum(['sms', 'email']),
  status: Type.Enum(['sending', 'delivered', 'failed', 'unknown'], { description: 'sending (accepted by the provider), delivered, failed, or unknown (the provider could not be asked)' }),
  at: Time('when it was sent'),
});
export type Delivery = Static<typeof Delivery>;

export const CreateAppointmentBody = Type.Object(
  {
    clinician: Clinician,
    patient: Type.Object({ name: Name }, { additionalProperties: false }),
    startsAt: Type.String({ format: 'date-time', maxLength: 40, description: 'ISO 8601 date-time' }),
    durationMinutes: Type.Integer({ minimum: 5, maximum: 240, description: 'minutes, 5 to 240' }),
    clinicId: Type.Optional(ClinicIdSchema('the clinic it belongs to (a key bound to a clinic always creates in its own)')),
    deliver: Type.Optional(Deliver),
    language: Type.Optional(AppointmentLanguage("en-GB or cy (Welsh); absent: the clinic's language setting, else en-GB. Its links open the pages in it; cy messages are bilingual, Welsh first")),
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
    language: AppointmentLanguage("its language (asked for, else the clinic's, else en-GB)"),
    deliveries: Type.Optional(Type.Array(Delivery)),
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

/** POST /api/v1/appointments/:id/links/:linkId/reissue: a new link in place of this one (same person, same role). */
export const ReissueBody = Type.Object({ deliver: Type.Optional(Deliver) }, { additionalProperties: false });
export const Reissued = Type.Object(
  {
    url: Type.String({ description: 'the new one-time link' }),
    linkId: Type.String(),
    role: GuestRole,
    replaced: Type.String({ description: 'the old link, now refused; whoever came in through it was removed' }),
    deliveries: Type.Optional(Type.Array(Delivery)),
  },
  { description: 'The new link. The old one stops working at once.' },
);
export type Reissued = Static<typeof Reissued>;

/** POST /api/v1/appointments/:id/cancel: every link dead; anyone waiting is told and disconnected. */
export const CancelBody = Type.Object({ notify: Type.Optional(Deliver) }, { additionalProperties: false });
export const Cancelled = Type.Object(
  {
    id: Type.String(),
    status: AppointmentStatus,
    cancelledAt: Time('when it was cancelled'),
    deliveries: Type.Optional(Type.Array(Delivery, { description: 'with notify: the cancellation messages sent' })),
  },
  { description: 'Cancelled. Its links are refused with APPOINTMENT_CANCELLED from now on.' },
);
export type Cancelled = Static<typeof Cancelled>;

/** PATCH /api/v1/appointments/:id: move it. links 'keep': the same links work at the new time; 'reissue': new links, the old refused. */
export const RescheduleBody = Type.Object(
  {
    startsAt: Type.String({ format: 'date-time', maxLength: 40 }),
    durationMinutes: Type.Optional(Type.Integer({ minimum: 5, maximum: 240 })),
    links: Type.Enum(['keep', 'reissue']),
    deliver: Type.Optional(Deliver),
  },
  { additionalProperties: false },
);
export const Rescheduled = Type.Object({
  id: Type.String(),
  startsAt: Time(),
  durationMinutes: Type.Integer(),
  /** With links 'reissue': the new links (the old are refused). */
  links: Type.Array(Type.Object({ linkId: Type.String(), role: GuestRole, url: Type.String(), replaced: Type.String() })),
  deliveries: Type.Optional(Type.Array(Delivery)),
});
export type Rescheduled = Static<typeof Rescheduled>;

/** GET /api/v1/appointments: a clinic's, a clinician's, a day's, newest page first by time. */
export const ListQuery = Type.Object(
  {
    clinicId: Type.Optional(ClinicIdSchema()),
    clinicianId: Type.Optional(Type.String({ minLength: 1, maxLength: 128, pattern: '^[\\x21-\\x7e]+$' })),
    day: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD (with tz, the local day)' }),
    tz: Type.Optional(Type.Integer({ minimum: -840, maximum: 840, description: 'getTimezoneOffset() of the local day, minutes' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, description: 'per page, default 50' })),
    cursor: Type.Optional(Type.String({ maxLength: 200, pattern: '^[A-Za-z0-9_-]+$', description: 'from the previous page' })),
  },
  { additionalProperties: false },
);
export const AppointmentSummary = Type.Object({
  id: Type.String(),
  status: AppointmentStatus,
  startsAt: Time(),
  durationMinutes: Type.Integer(),
  clinician: Type.Object({ id: Type.String(), name: Type.String() }),
  clinicId: Type.Optional(Type.String()),
  patient: Type.Object({ name: Type.String() }),
  language: AppointmentLanguage('the language of its links and messages'),
  waiting: Type.Integer(),
});
export type AppointmentSummary = Static<typeof AppointmentSummary>;
export const AppointmentPage = Type.Object({ appointments: Type.Array(AppointmentSummary), next: Type.Optional(Type.String({ description: 'cursor of the next page' })) });
export type AppointmentPage = Static<typeof AppointmentPage>;
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
    language: AppointmentLanguage('the language of its links and messages (kept when it is rescheduled or a link re-issued)'),
    deliveries: Type.Optional(Type.Array(Delivery)),
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
