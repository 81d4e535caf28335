// The HTTP session API's replies (the pages call these before opening the
// socket). They live in wire/, below http and signaling, so that neither
// transport imports the other: every shape that crosses the wire will move here.
import type { ParticipantStateWire } from '../domain/views.ts';


/** POST /api/v1/session {token} and GET /api/v1/session answer with this. */
export type SessionInfo =
  | {
      kind: 'guest';
      appointmentId: string;
      participantId: string;
      /** Only once admitted: a waiting or flagged device may hold a forwarded link (views.ts, mayKnowOwnName). */
      name?: string;
      role: string;
      state: ParticipantStateWire;
      /** This device arrived on a link already used on another device. */
      linkReused: boolean;
      /** The same device came back: it goes straight to where it was. */
      resumed: boolean;
      /** This participant already entered the waiting room (consent given) once. */
      enteredWaitingRoom: boolean;
      clinicianName: string;
      startsAt: string;
      durationMinutes: number;
    }
  | { kind: 'clinician'; clinicianId: string; name: string };

/** GET /api/v1/clinician/appointments?day=YYYY-MM-DD (clinician session). */
export interface ClinicianAppointmentSummary {
  id: string;
  patientName: string;
  startsAt: string;
  durationMinutes: number;
  status: 'scheduled' | 'live' | 'ended';
  locked: boolean;
  waiting: number;
  present: number;
}
