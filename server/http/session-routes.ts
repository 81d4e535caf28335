// The pages exchange a link's token, once, over POST, for a device session in
// an HttpOnly cookie; after that the token is never needed again. A console
// link's ticket starts a staff session (or, with sign-in on, confirms the one
// this browser holds). Also the clinician's list of their appointments for a
// day. Staff requests here count as use of the session (idle timeout), except
// the day list's own background refresh.
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../core/errors.ts';
import type { DeviceCredential } from '../domain/access/devices.ts';
import type { SessionService } from '../domain/access/sessions.ts';
import { requireOpen } from '../domain/appointment-state.ts';
import type { AppointmentService } from '../domain/appointments.ts';
import type { ConsultationService } from '../domain/consultation.ts';
import { hasRole } from '../domain/access/permissions.ts';
import { makeActor } from '../domain/actors.ts';
import type { Appointment, Participant, Session, StaffSession } from '../domain/model.ts';
import type { ClinicId } from '../core/ids.ts';
import type { ClinicPublicView } from '../wire/clinic-info.ts';
import { isWaiting, mayKnowOwnName } from '../domain/participants.ts';
import { DayList, DayQuery, KindQuery, SessionInfo, TokenBody, type ClinicianAppointmentSummary } from '../wire/session.ts';
import { clearedCookieOptions, CLINICIAN_COOKIE, cookieOptions, DEVICE_COOKIE, GUEST_COOKIE } from '../edge/cookies.ts';
import { describeDevice } from '../edge/device.ts';
import { ERRORS, SECURITY } from './openapi.ts';

export interface SessionRouteDeps {
  sessions: SessionService;
  appointments: AppointmentService;
  consultations: ConsultationService;
  isConnected(participantId: string): boolean;
  now: () => Date;
  sessionAttemptsPerMinute: number;
  /** OpenID Connect is configured: a console without a staff session is sent to sign in (SIGN_IN_REQUIRED). */
  signInAvailable: boolean;
  /** What patients are shown of a clinic (null for none): the consent step shows its name and privacy notice. */
  clinicView(id: ClinicId | undefined): Promise<ClinicPublicView | null>;
}

/** What a staff member's page is told about their session. */
export function staffInfo(s: StaffSession): SessionInfo {
  return {
    kind: 'clinician',
    clinicianId: s.clinicianId,
    name: s.clinicianName,
    roles: s.roles,
    clinics: s.clinics,
    via: s.via,
    idleMinutes: Math.round(s.idleSeconds / 60),
  };
}

const tags = ['sessions'];

export const sessionRoutes: FastifyPluginAsync<SessionRouteDeps> = async (base, deps) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();

  // From the records the session was just checked with (or created from): nothing read again.
  async function guestInfo(s: Extract<Session, { kind: 'guest' }>, resumed: boolean, a: Appointment | null, found: Participant | null): Promise<SessionInfo> {
    if (!a) throw new AppError('NOT_FOUND', 'No such appointment.');
    requireOpen(a);
    const p = found && found.id === s.participantId && found.appointmentId === s.appointmentId ? found : null;
    if (!p) throw new AppError('UNAUTHENTICATED', 'Your session has ended; open your link again.');
    const clinic = await deps.clinicView(a.clinicId);
    return {
      kind: 'guest',
      appointmentId: a.id,
      participantId: p.id,
      ...(mayKnowOwnName(p) ? { name: p.name } : {}),
      role: p.role,
      state: p.state,
      linkReused: p.linkReused,
      resumed,
      enteredWaitingRoom: p.state === 'admitted' || Boolean(p.waitingSince),
      clinicianName: a.clinician.name,
      startsAt: a.startsAt,
      durationMinutes: a.durationMinutes,
      ...(clinic ? { clinic } : {}),
    };
  }

  const staffOf = async (cookie: string | undefined): Promise<StaffSession | null> => {
    const s = await deps.sessions.get(cookie);
    return s?.kind === 'clinician' ? s : null;
  };

  // The device cookie carries the credential the server issued (or the one it
  // just verified); whatever the browser sent is never echoed back unverified.
  const setCookies = (reply: FastifyReply, name: string, sessionId: string, ttl: number, device: DeviceCredential) => {
    reply.setCookie(name, sessionId, cookieOptions(ttl));
    reply.setCookie(DEVICE_COOKIE, device.credential, cookieOptions(device.ttlSeconds));
  };

  // A link's token -> a device session: a one-time guest link (bound to this
  // device) or a clinician console token. Rate limited per address, since
  // failures here are what an attacker makes.
  app.post(
    '/api/v1/session',
    {
      schema: {
        tags,
        security: SECURITY.none,
        summary: "Exchange a link's token for a device session (sets HttpOnly cookies)",
        description:
          'A one-time link binds to the first device that redeems it; a console ticket (single use, minutes long) starts a staff session, or, where sign-in is configured, is accepted only from a browser signed in as its clinician (SIGN_IN_REQUIRED without a session, the ticket left unused; TICKET_OTHER_USER for someone else; TICKET_USED, TICKET_EXPIRED). The device cookie is issued by the server: a missing, unknown or forged one gets a new device. A device new to a link the clinician closed (by denying or removing someone from it) is refused with LINK_CLOSED. Rate limited per address.',
        body: TokenBody,
        response: { 200: SessionInfo, ...ERRORS },
      },
      config: { rateLimit: { max: deps.sessionAttemptsPerMinute, timeWindow: '1 minute' } },
    },
    async (req, reply) => {
      const device = { credential: req.cookies[DEVICE_COOKIE], device: describeDevice(req.headers['user-agent']), address: req.ip };
      if (deps.sessions.audienceOf(req.body.token) === 'clinician') {
        const presented = req.cookies[CLINICIAN_COOKIE];
        const c = await deps.sessions.redeemTicket(req.body.token, device, await staffOf(presented));
        // A new session gets its cookie; one already held keeps the browser's.
        setCookies(reply, CLINICIAN_COOKIE, c.cookie ?? presented ?? '', c.ttlSeconds, c.device);
        return staffInfo(c.session);
      }
      const g = await deps.sessions.redeemLink(req.body.token, device);
      setCookies(reply, GUEST_COOKIE, g.session.id, g.ttlSeconds, g.device);
      return guestInfo(g.session, g.resumed, g.appointment, g.participant);
    },
  );

  // The current session. ?kind= picks one when this browser holds both (a
  // clinician trying a patient link); otherwise the clinician's comes first.
  app.get(
    '/api/v1/session',
    {
      schema: {
        tags,
        security: SECURITY.guestOrClinician,
        summary: "This device's current session",
        querystring: KindQuery,
        response: { 200: SessionInfo, ...ERRORS },
      },
    },
    async (req) => {
      const kind = req.query.kind;
      if (kind !== 'guest') {
        const c = await staffOf(req.cookies[CLINICIAN_COOKIE]);
        if (c) {
          await deps.sessions.touch(c);
          return staffInfo(c);
        }
        if (kind === 'clinician' && deps.signInAvailable) throw new AppError('SIGN_IN_REQUIRED');
      }
      if (kind !== 'clinician') {
        const g = await deps.sessions.guest(req.cookies[GUEST_COOKIE]);
        if (g) return guestInfo(g.session, true, g.appointment, g.participant);
      }
      throw new AppError('UNAUTHENTICATED');
    },
  );

  app.delete(
    '/api/v1/session',
    {
      schema: {
        tags,
        security: SECURITY.guestOrClinician,
        summary: "End this device's sessions (clears the cookies)",
        response: { 204: Type.Null({ description: 'Ended.' }), ...ERRORS },
      },
    },
    async (req, reply) => {
      await deps.sessions.end(req.cookies[GUEST_COOKIE]);
      const staff = await staffOf(req.cookies[CLINICIAN_COOKIE]);
      if (staff) await deps.sessions.signOut(staff, makeActor('staff', staff.clinicianId, req.ip));
      reply.clearCookie(GUEST_COOKIE, clearedCookieOptions());
      reply.clearCookie(CLINICIAN_COOKIE, clearedCookieOptions());
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/clinician/appointments',
    {
      schema: {
        tags,
        security: SECURITY.clinician,
        summary: "The clinician's appointments for a day, with how many are waiting and present",
        querystring: DayQuery,
        response: { 200: DayList, ...ERRORS },
      },
    },
    async (req) => {
      const s = await staffOf(req.cookies[CLINICIAN_COOKIE]);
      if (!s) throw new AppError('UNAUTHENTICATED', 'No clinician session; open your console link again.');
      if (!hasRole(s, 'clinician')) throw new AppError('NOT_PERMITTED', 'Only clinicians have a day list.');
      if (req.query.refresh !== 'background') await deps.sessions.touch(s);
      const tz = req.query.tz ?? 0;
      // The clinician's local day: local midnight is UTC midnight plus the browser's offset.
      const day = req.query.day ?? new Date(deps.now().getTime() - tz * 60_000).toISOString().slice(0, 10);
      const from = new Date(Date.parse(`${day}T00:00:00Z`) + tz * 60_000);
      if (Number.isNaN(from.getTime())) throw new AppError('BAD_REQUEST', 'day must be a date, YYYY-MM-DD.');
      const list = await deps.appointments.listForClinician(s.clinicianId, from);
      const appointments: ClinicianAppointmentSummary[] = await Promise.all(
        list.map(async (a) => {
          const ps = await deps.consultations.participants(a.id);
          return {
            id: a.id,
            patientName: a.patientName,
            startsAt: a.startsAt,
            durationMinutes: a.durationMinutes,
            status: a.status,
            locked: a.locked,
            waiting: ps.filter((p) => isWaiting(p, (id) => deps.isConnected(id))).length,
            present: ps.filter((p) => p.state === 'admitted' && deps.isConnected(p.id)).length,
          };
        }),
      );
      return { appointments };
    },
  );
};
