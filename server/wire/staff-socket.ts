// The staff socket (socket.io namespace /staff): a signed-in staff member's
// live view of who is waiting (their own patients, or a whole clinic's), one
// alert per arrival, and the clinic's actions on the waiting area. The
// console keeps it open all day, in a consultation too. Declared once, like
// wire/socket.ts: a runtime schema per message, its ack, and every push.
import { Type, type Static, type TSchema } from 'typebox';
import type { Ack } from './errors.ts';
import { Id, Time } from './ids.ts';
import { ClinicIdSchema, UserIdSchema } from './auth.ts';
import { Role } from './participants.ts';
import { PrecallCheckView } from './precall.ts';

export const STAFF_NAMESPACE = '/staff';

/** One person waiting for any appointment the viewer may see. */
export const WaitingEntry = Type.Object({
  /** Unique per arrival (participant + when they began to wait): at most one alert per arrival, across tabs and reconnects. */
  arrivalId: Type.String(),
  appointmentId: Type.String(),
  participantId: Type.String(),
  name: Type.String(),
  role: Role,
  clinicianId: Type.String(),
  clinicianName: Type.String(),
  clinicId: Type.Optional(Type.String()),
  startsAt: Time(),
  waitingSince: Time(),
  device: Type.String(),
  linkReused: Type.Boolean({ description: 'came on a link already used on another device: look before letting them in' }),
  connection: Type.Enum(['online', 'reconnecting', 'offline']),
  /** Their pre-call check (self:check), when they ran it. */
  check: Type.Optional(PrecallCheckView),
});
export type WaitingEntry = Static<typeof WaitingEntry>;

export const RunningLate = Type.Object({ clinicianId: Type.String(), minutes: Type.Integer({ minimum: 1, maximum: 240 }), since: Time() });
export type RunningLate = Static<typeof RunningLate>;

export const AlertSettings = Type.Object({ sound: Type.Boolean({ description: 'play a chime when a patient arrives' }) }, { additionalProperties: false });
export type AlertSettings = Static<typeof AlertSettings>;

/** What one staff socket is shown: its own patients first, the clinic's when asked (coordinators: always the clinic's). */
export const WaitingAreaView = Type.Object({
  scope: Type.Enum(['mine', 'clinic']),
  /** The clinics the viewer belongs to (the clinic scope shows these). */
  clinics: Type.Array(Type.Object({ id: Type.String(), name: Type.String() })),
  /** Oldest arrival first. */
  entries: Type.Array(WaitingEntry),
  runningLate: Type.Array(RunningLate),
  settings: AlertSettings,
  /** Clinicians of the viewer's clinics, for re-assigning (coordinators only; empty otherwise). */
  clinicians: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), clinicId: Type.String() })),
});
export type WaitingAreaView = Static<typeof WaitingAreaView>;

export const StaffMessages = {
  /** What to show: own patients ('mine') or the clinics' ('clinic'). Answers the view; pushes follow on every change. */
  'waiting:watch': Type.Object({ scope: Type.Enum(['mine', 'clinic']) }, { additionalProperties: false }),
  /** A note to someone waiting (their clinician, or a coordinator of the clinic). */
  'waiting:message': Type.Object({ appointmentId: Id(), participantId: Id(), text: Type.String({ minLength: 1, maxLength: 1000 }) }, { additionalProperties: false }),
  /** Coordinator: give a waiting patient's appointment to another clinician of the clinic. */
  'waiting:reassign': Type.Object({ appointmentId: Id(), clinicianId: UserIdSchema }, { additionalProperties: false }),
  /** "Running late, about N minutes" for a clinician (coordinator, or the clinician); 0 clears it. */
  'waiting:runningLate': Type.Object(
    { clinicianId: UserIdSchema, clinicId: Type.Optional(ClinicIdSchema()), minutes: Type.Integer({ minimum: 0, maximum: 240 }) },
    { additionalProperties: false },
  ),
  'alerts:settings': AlertSettings,
} satisfies Record<string, TSchema>;
export type StaffMessageName = keyof typeof StaffMessages;
export type StaffMessage<K extends StaffMessageName> = Static<(typeof StaffMessages)[K]>;

const Done = Type.Object({});
export const StaffReplySchemas = {
  'waiting:watch': WaitingAreaView,
  'waiting:message': Done,
  'waiting:reassign': Done,
  'waiting:runningLate': Done,
  'alerts:settings': AlertSettings,
} satisfies Record<StaffMessageName, TSchema>;
export type StaffReplies = { [K in StaffMessageName]: Static<(typeof StaffReplySchemas)[K]> };
export type StaffClientToServerEvents = {
  [K in StaffMessageName]: (payload: StaffMessage<K>, ack: (reply: Ack<StaffReplies[K]>) => void) => void;
};

export const StaffServerEvents = {
  /** The whole view again, whenever anything in it changed (it is small). */
  'waiting:view': WaitingAreaView,
  /** A patient of this viewer's arrived: alert once per arrivalId (chime, notification, title, banner). */
  'waiting:arrived': Type.Object({ arrivalId: Type.String(), appointmentId: Type.String(), participantId: Type.String(), name: Type.String(), clinicianId: Type.String() }),
  /** The staff session ended (signed out, revoked, timed out). */
  'staff:ended': Type.Object({ reason: Type.Enum(['signed-out']) }),
} satisfies Record<string, TSchema>;
export type StaffServerEventName = keyof typeof StaffServerEvents;
export type StaffServerToClientEvents = { [K in StaffServerEventName]: (payload: Static<(typeof StaffServerEvents)[K]>) => void };
