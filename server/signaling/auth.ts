// socket.io authentication: the device-session cookie set by POST
// /api/v1/session. A guest's socket enters the waiting room of its own
// appointment; a clinician's socket names the appointment to open
// (handshake auth { appointmentId }) and must be its clinician, holding the
// clinician role (ConsultationService.clinicianJoin; NOT_PERMITTED otherwise).
import { fastifyCookie } from '@fastify/cookie';
import type { Socket } from 'socket.io';
import { AppError, isAppError } from '../core/errors.ts';
import { isId, type AppointmentId, type ParticipantId } from '../core/ids.ts';
import type { SessionService } from '../domain/access/sessions.ts';
import type { ConsultationService } from '../domain/consultation.ts';
import type { Role, Session } from '../domain/model.ts';
import { CLINICIAN_COOKIE, GUEST_COOKIE } from '../edge/cookies.ts';
import { describeDevice } from '../edge/device.ts';

export interface SocketIdentity {
  participantId: ParticipantId;
  appointmentId: AppointmentId;
  role: Role;
  session: Session;
}

/** `address` is the client's address behind any trusted proxies. */
export async function authenticate(socket: Socket, sessions: SessionService, consultations: ConsultationService, address: string): Promise<SocketIdentity> {
  const header = socket.handshake.headers.cookie;
  const cookies = typeof header === 'string' && header.length < 8192 ? fastifyCookie.parse(header) : {};
  const auth: unknown = socket.handshake.auth;
  const wanted = auth && typeof auth === 'object' && 'appointmentId' in auth ? auth.appointmentId : undefined;

  if (wanted !== undefined) {
    if (!isId<AppointmentId>(wanted)) throw new AppError('BAD_REQUEST', 'appointmentId is not an appointment id.');
    const s = await sessions.get(cookies[CLINICIAN_COOKIE]);
    if (!s || s.kind !== 'clinician') throw new AppError('UNAUTHENTICATED', 'No clinician session; open your console link again.');
    const p = await consultations.clinicianJoin(s, wanted, describeDevice(socket.handshake.headers['user-agent']), address);
    // Opening a consultation is use of the session (so is keeping it open: session-watch.ts).
    await sessions.touch(s);
    return { participantId: p.id, appointmentId: p.appointmentId, role: 'clinician', session: s };
  }
  // The session, its participant and appointment are read once (two round trips) and passed on, not read again.
  const g = await sessions.guest(cookies[GUEST_COOKIE]);
  if (!g) throw new AppError('UNAUTHENTICATED');
  const p = await consultations.enterWaitingRoom(g.session.participantId, g.session.appointmentId, address, g);
  return { participantId: p.id, appointmentId: p.appointmentId, role: p.role, session: g.session };
}

/**
 * socket.io connect errors carry only a code and a safe message (in `data`,
 * which socket.io-client passes on): a retryable code (UNAVAILABLE while the
 * store is unreachable, SHUTTING_DOWN) tells the page to try again.
 */
export function connectError(e: unknown): Error & { data: { code: string; message: string } } {
  const safe = isAppError(e) ? e : new AppError('INTERNAL', 'Could not connect.');
  const err = new Error(safe.message) as Error & { data: { code: string; message: string } };
  err.data = { code: safe.code, message: safe.message };
  return err;
}
