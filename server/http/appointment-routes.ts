// The REST API for booking systems and trust IT: create appointments, issue
// and revoke one-time links, and see who is waiting or present. Each route
// declares its scope (auth-guard.ts). A credential bound to one clinic creates
// appointments only there and gets 404 for appointments of other clinics or of
// none, as if they did not exist.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../core/errors.ts';
import type { AppointmentId, ClinicId, LinkId } from '../core/ids.ts';
import { allows, boundClinic } from '../domain/access/permissions.ts';
import type { AppointmentService } from '../domain/appointments.ts';
import type { ApiScope } from '../domain/model.ts';
import { participantView } from '../domain/participants.ts';
import { AppointmentDetail, AppointmentParams, CreateAppointmentBody, CreatedAppointment, Invitation, InviteBody, LinkParams } from '../wire/appointments.ts';
import { credentialOf, installScopeGuard, requestActor, requireClinic, type ScopeGuardDeps } from './auth-guard.ts';
import { ERRORS, SECURITY } from './openapi.ts';

export interface AppointmentRouteDeps {
  appointments: AppointmentService;
  guard: ScopeGuardDeps;
  isConnected(participantId: string): boolean;
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

export const appointmentRoutes: FastifyPluginAsync<AppointmentRouteDeps> = async (base, deps) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  installScopeGuard(app, deps.guard);

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
      const created = await deps.appointments.create({ ...req.body, clinicId }, requestActor(req));
      const a = created.appointment;
      return reply.status(201).send({
        id: a.id,
        status: a.status,
        startsAt: a.startsAt,
        durationMinutes: a.durationMinutes,
        clinicianUrl: created.clinicianUrl,
        patientUrl: created.patientUrl,
        patientLinkId: created.patientLinkId,
      });
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
      return {
        id: a.id,
        status: a.status,
        locked: a.locked,
        startsAt: a.startsAt,
        durationMinutes: a.durationMinutes,
        clinician: a.clinician,
        ...(a.clinicId ? { clinicId: a.clinicId } : {}),
        patient: { name: a.patientName },
        links: links.map((l) => ({ id: l.id, role: l.role, name: l.name, revoked: l.revoked, bound: l.bound, expiresAt: l.expiresAt })),
        participants: participants.map((p) => participantView(p, deps.isConnected(p.id))),
      };
    },
  );
};
