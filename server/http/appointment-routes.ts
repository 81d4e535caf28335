// The REST API for booking systems and trust IT: create, list, cancel and
// reschedule appointments, issue, re-issue and revoke one-time links (and
// send them by SMS or email where a provider is configured), and see who is
// waiting or present. Each route declares its scope (auth-guard.ts). A
// credential bound to one clinic creates and lists appointments only there
// and gets 404 for appointments of other clinics or of none, as if they did
// not exist.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../core/errors.ts';
import type { AppointmentId, ClinicId, LinkId } from '../core/ids.ts';
import { allows, boundClinic } from '../domain/access/permissions.ts';
import { languageOf, type AppointmentService } from '../domain/appointments.ts';
import type { DeliveryService, MessageKind } from '../domain/delivery.ts';
import type { ApiScope, Appointment, DeliveryRecord } from '../domain/model.ts';
import { participantView } from '../domain/participants.ts';
import {
  AppointmentDetail,
  AppointmentPage,
  AppointmentParams,
  CancelBody,
  Cancelled,
  CreateAppointmentBody,
  CreatedAppointment,
  Invitation,
  InviteBody,
  LinkParams,
  ListQuery,
  ReissueBody,
  Reissued,
  RescheduleBody,
  Rescheduled,
  type AppointmentSummary,
  type Deliver,
} from '../wire/appointments.ts';
import type { Language } from '../wire/language.ts';
import { credentialOf, installScopeGuard, requestActor, requireClinic, type ScopeGuardDeps } from './auth-guard.ts';
import { ERRORS, SECURITY } from './openapi.ts';

export interface AppointmentRouteDeps {
  appointments: AppointmentService;
  guard: ScopeGuardDeps;
  isConnected(participantId: string): boolean;
  /** Sends links by SMS or email (domain/delivery.ts); absent: a request with deliver or notify is refused NOT_CONFIGURED. */
  delivery?: DeliveryService | undefined;
}

const READ: ApiScope = 'appointments:read';
const WRITE: ApiScope = 'appointments:write';
const common = (scope: ApiScope) => ({ tags: ['appointments'], security: SECURITY.scoped(scope) });

/**
 * The clinic a new appointment goes to. A credential bound to one clinic
 * creates there (naming another clinic is a 400: the caller's mistake, and
 * the clinic it is bound to is no secret to it); a credential with grants in
 * several clinics must name one of them.
 */
function clinicForNew(req: FastifyRequest, asked: string | undefined): ClinicId | undefined {
  const cred = credentialOf(req);
  const bound = boundClinic(cred, WRITE);
  if (bound && asked !== undefined && asked !== bound) {
    throw new AppError('BAD_REQUEST', `This credential creates appointments only in clinic ${bound}.`, { details: [{ key: 'body.clinicId', problem: `not ${bound}` }] });
  }
  const clinicId = (asked as ClinicId | undefined) ?? bound ?? undefined;
  if (!allows(cred, WRITE, clinicId ?? null)) {
    if (clinicId === undefined) throw new AppError('BAD_REQUEST', 'Name the clinic (clinicId) to create the appointment in.', { details: [{ key: 'body.clinicId', problem: 'required' }] });
    throw new AppError('NOT_FOUND', 'No such clinic.');
  }
  return clinicId;
}

/** Local midnight of `day` is UTC midnight plus the caller's getTimezoneOffset() (minutes): its 24 hours. */
function dayRange(day: string, tz: number | undefined): { from: Date; to: Date } {
  const from = Date.parse(`${day}T00:00:00Z`) + (tz ?? 0) * 60_000;
  if (Number.isNaN(from)) throw new AppError('BAD_REQUEST', 'day must be a date, YYYY-MM-DD.', { details: [{ key: 'query.day', problem: 'not a date' }] });
  return { from: new Date(from), to: new Date(from + 86_400_000) };
}

const DEFAULT_PAGE = 50;

export const appointmentRoutes: FastifyPluginAsync<AppointmentRouteDeps> = async (base, deps) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  installScopeGuard(app, deps.guard);

  /**
   * The delivery service, when the request asks for a message; refused
   * NOT_CONFIGURED (before anything is changed) when it cannot be sent.
   */
  const deliveryFor = (to: Deliver | undefined, kind: MessageKind, language: Language): DeliveryService | null => {
    if (!to) return null;
    if (!deps.delivery) {
      const key = kind === 'cancelled' ? 'body.notify' : 'body.deliver';
      throw new AppError('NOT_CONFIGURED', 'Sending links by SMS or email is not configured on this server.', { details: [{ key, problem: 'not configured' }] });
    }
    deps.delivery.assertConfigured(to, kind, language);
    return deps.delivery;
  };
  const withDeliveries = (records: DeliveryRecord[] | null | undefined) => (records && records.length > 0 ? { deliveries: records } : {});

  /** The appointment, if this credential may use `scope` on it; 404 otherwise. */
  const reachable = async (req: FastifyRequest, id: string, scope: ApiScope) => {
    const a = await deps.appointments.get(id as AppointmentId);
    requireClinic(req, scope, a.clinicId);
    return a;
  };

  app.post(
    '/api/v1/appointments',
    {
      config: { scope: WRITE },
      schema: { ...common(WRITE), summary: 'Create an appointment and its patient link', body: CreateAppointmentBody, response: { 201: CreatedAppointment, ...ERRORS } },
    },
    async (req, reply) => {
      const clinicId = clinicForNew(req, req.body.clinicId);
      const { deliver, ...input } = req.body;
      const language = await deps.appointments.languageFor(input.language, clinicId);
      const delivery = deliveryFor(deliver, 'invite', language);
      const actor = requestActor(req);
      const created = await deps.appointments.create({ ...input, clinicId, language }, actor);
      const a = created.appointment;
      const sent = delivery && deliver ? await delivery.send(a, created.patientLink, created.patientUrl, deliver, 'invite', actor) : null;
      return reply.status(201).send({
        id: a.id,
        status: a.status,
        startsAt: a.startsAt,
        durationMinutes: a.durationMinutes,
        clinicianUrl: created.clinicianUrl,
        patientUrl: created.patientUrl,
        patientLinkId: created.patientLinkId,
        language: languageOf(a),
        ...withDeliveries(sent),
      });
    },
  );

  /** One line of a day's list (it shows the patient's name, as the day list in the console does). */
  const summaryOf = async (a: Appointment): Promise<AppointmentSummary> => ({
    id: a.id,
    status: a.status,
    startsAt: a.startsAt,
    durationMinutes: a.durationMinutes,
    clinician: a.clinician,
    ...(a.clinicId ? { clinicId: a.clinicId } : {}),
    patient: { name: a.patientName },
    language: languageOf(a),
    waiting: await deps.appointments.waitingCount(a.id, (id) => deps.isConnected(id)),
  });

  app.get(
    '/api/v1/appointments',
    {
      config: { scope: READ },
      schema: {
        ...common(READ),
        summary: "A clinic's or a clinician's appointments for a day, by start time, a page at a time",
        description:
          'Name the clinic (clinicId) or the clinician (clinicianId), or both. `day` is YYYY-MM-DD; with `tz` (the getTimezoneOffset() of the local day, in minutes) the local day. Pages hold `limit` (default 50); pass `next` back as `cursor` for the next page. A credential bound to one clinic sees only that clinic (another clinic is 404).',
        querystring: ListQuery,
        response: { 200: AppointmentPage, ...ERRORS },
      },
    },
    async (req) => {
      const { clinicId: asked, clinicianId, day, tz, limit, cursor } = req.query;
      const cred = credentialOf(req);
      if (asked !== undefined) requireClinic(req, READ, asked as ClinicId);
      // A clinic-bound credential lists its own clinic, named or not.
      const clinicId = (asked as ClinicId | undefined) ?? (clinicianId === undefined ? (boundClinic(cred, READ) ?? undefined) : undefined);
      const page = await deps.appointments.list(
        { clinicId, clinicianId, ...dayRange(day, tz), limit: limit ?? DEFAULT_PAGE, cursor },
        (a) => allows(cred, READ, a.clinicId ?? null),
      );
      const appointments = await Promise.all(page.appointments.map((a) => summaryOf(a)));
      return { appointments, ...(page.next ? { next: page.next } : {}) };
    },
  );

  app.post(
    '/api/v1/appointments/:id/cancel',
    {
      config: { scope: WRITE },
      schema: {
        ...common(WRITE),
        summary: 'Cancel an appointment: every link refused (410 APPOINTMENT_CANCELLED), anyone waiting told and disconnected',
        description:
          'An ended or cancelled appointment cannot be cancelled (409 INVALID_TRANSITION). With `notify`, the patient is sent a cancellation message by SMS and/or email (where configured; 501 NOT_CONFIGURED otherwise, before anything changes). A message the provider does not take is a delivery with status failed; the cancellation stands.',
        params: AppointmentParams,
        body: CancelBody,
        response: { 200: Cancelled, ...ERRORS },
      },
    },
    async (req) => {
      const found = await reachable(req, req.params.id, WRITE);
      const delivery = deliveryFor(req.body.notify, 'cancelled', languageOf(found));
      const id = req.params.id as AppointmentId;
      const patientLink = delivery ? await deps.appointments.patientLink(id, { live: false }) : null;
      if (delivery && !patientLink) throw new AppError('BAD_REQUEST', 'This appointment has no patient link to send a message about.', { details: [{ key: 'body.notify', problem: 'no patient link' }] });
      const actor = requestActor(req);
      const a = await deps.appointments.cancel(id, actor);
      const sent = delivery && patientLink && req.body.notify ? await delivery.send(a, patientLink, '', req.body.notify, 'cancelled', actor) : null;
      return { id: a.id, status: a.status, cancelledAt: a.cancelledAt!, ...withDeliveries(sent) };
    },
  );

  app.post(
    '/api/v1/appointments/:id/links/:linkId/reissue',
    {
      config: { scope: WRITE },
      schema: {
        ...common(WRITE),
        summary: "Re-issue a link (a patient's too): a new one for the same person; the old is refused and whoever came in through it is removed",
        description: 'With `deliver`, the new link is sent by SMS and/or email (where configured). A cancelled or ended appointment answers 410.',
        params: LinkParams,
        body: ReissueBody,
        response: { 201: Reissued, ...ERRORS },
      },
    },
    async (req, reply) => {
      const found = await reachable(req, req.params.id, WRITE);
      const delivery = deliveryFor(req.body.deliver, 'invite', languageOf(found));
      const actor = requestActor(req);
      const r = await deps.appointments.reissueLink(req.params.id as AppointmentId, req.params.linkId as LinkId, actor);
      const sent = delivery && req.body.deliver ? await delivery.send(await deps.appointments.get(r.link.appointmentId), r.link, r.url, req.body.deliver, 'invite', actor) : null;
      return reply.status(201).send({ url: r.url, linkId: r.link.id, role: r.link.role, replaced: r.replaced, ...withDeliveries(sent) });
    },
  );

  app.patch(
    '/api/v1/appointments/:id',
    {
      config: { scope: WRITE },
      schema: {
        ...common(WRITE),
        summary: "Reschedule an appointment: its links kept (they work at the new time) or re-issued (the old refused)",
        description:
          "links 'keep' is refused (400, body.links) for a move beyond the links' lifetime (the appointment's end plus retention, as when they were made): use 'reissue'. With `deliver`, the patient's link (kept or new) is sent with the new time. An ended or cancelled appointment cannot be moved (409 INVALID_TRANSITION).",
        params: AppointmentParams,
        body: RescheduleBody,
        response: { 200: Rescheduled, ...ERRORS },
      },
    },
    async (req) => {
      const found = await reachable(req, req.params.id, WRITE);
      const { deliver, ...move } = req.body;
      const delivery = deliveryFor(deliver, 'invite', languageOf(found));
      const id = req.params.id as AppointmentId;
      const kept = delivery && move.links === 'keep' ? await deps.appointments.patientLink(id, { live: true }) : null;
      if (delivery && move.links === 'keep' && !kept) throw new AppError('BAD_REQUEST', 'This appointment has no patient link to send.', { details: [{ key: 'body.deliver', problem: 'no patient link' }] });
      const actor = requestActor(req);
      const r = await deps.appointments.reschedule(id, move, actor);
      const a = r.appointment;
      let sent: DeliveryRecord[] | null = null;
      if (delivery && deliver) {
        // The patient's link with the new time: the one kept (a fresh token for it), or its replacement.
        const patient = kept ? { link: kept, url: deps.appointments.linkUrl(kept, a) } : r.links.find((l) => l.link.role === 'patient');
        if (patient) sent = await delivery.send(a, patient.link, patient.url, deliver, 'invite', actor);
      }
      return {
        id: a.id,
        startsAt: a.startsAt,
        durationMinutes: a.durationMinutes,
        links: r.links.map((l) => ({ linkId: l.link.id, role: l.link.role, url: l.url, replaced: l.replaced })),
        ...withDeliveries(sent),
      };
    },
  );

  app.post(
    '/api/v1/appointments/:id/invites',
    {
      config: { scope: WRITE },
      schema: {
        ...common(WRITE),
        summary: 'Invite an interpreter, family member, carer or other person (a new one-time link)',
        params: AppointmentParams,
        body: InviteBody,
        response: { 201: Invitation, ...ERRORS },
      },
    },
    async (req, reply) => {
      await reachable(req, req.params.id, WRITE);
      // link.role is the role asked for; the body's keeps the type an invite role.
      const { link, url } = await deps.appointments.invite(req.params.id as AppointmentId, req.body, requestActor(req));
      return reply.status(201).send({ url, linkId: link.id, role: req.body.role });
    },
  );

  app.delete(
    '/api/v1/appointments/:id/links/:linkId',
    {
      config: { scope: WRITE },
      schema: {
        ...common(WRITE),
        summary: 'Revoke a link: it can no longer be redeemed (410 LINK_REVOKED)',
        params: LinkParams,
        response: { 204: Type.Null({ description: 'Revoked.' }), ...ERRORS },
      },
    },
    async (req, reply) => {
      await reachable(req, req.params.id, WRITE);
      await deps.appointments.revokeLink(req.params.id as AppointmentId, req.params.linkId as LinkId, requestActor(req));
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/appointments/:id',
    {
      config: { scope: READ },
      schema: {
        ...common(READ),
        summary: "An appointment: its links and who is waiting or present (recorded as appointment.viewed: it shows the patient's name)",
        params: AppointmentParams,
        response: { 200: AppointmentDetail, ...ERRORS },
      },
    },
    async (req) => {
      await reachable(req, req.params.id, READ);
      const { appointment: a, links, participants } = await deps.appointments.detail(req.params.id as AppointmentId);
      await deps.appointments.viewed(a.id, requestActor(req));
      // Messages still on their way are asked about again (a bounded few, within the provider's timeout).
      const deliveries = a.deliveries?.length ? ((await deps.delivery?.refresh(a)) ?? a.deliveries) : undefined;
      const closes = deps.appointments.window(a).closesAtMs;
      return {
        id: a.id,
        status: a.status,
        locked: a.locked,
        startsAt: a.startsAt,
        durationMinutes: a.durationMinutes,
        clinician: a.clinician,
        ...(a.clinicId ? { clinicId: a.clinicId } : {}),
        patient: { name: a.patientName },
        language: languageOf(a),
        ...withDeliveries(deliveries),
        // When it stops working: the appointment's window closing (it moves with a reschedule), or the link's own end.
        links: links.map((l) => ({ id: l.id, role: l.role, name: l.name, revoked: l.revoked, bound: l.bound, expiresAt: new Date(Math.min(closes, Date.parse(l.expiresAt))).toISOString() })),
        participants: participants.map((p) => participantView(p, deps.isConnected(p.id))),
      };
    },
  );
};
