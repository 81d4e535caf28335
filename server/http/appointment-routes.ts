// The REST API for booking systems and trust IT: create appointments, issue
// and revoke one-time links, and see who is waiting or present. API key only.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppointmentId, LinkId } from '../core/ids.ts';
import type { AppointmentService } from '../domain/appointments.ts';
import { participantView } from '../domain/participants.ts';
import { AppointmentDetail, AppointmentParams, CreateAppointmentBody, CreatedAppointment, Invitation, InviteBody, LinkParams } from '../wire/appointments.ts';
import { apiKeyGuard } from './api-key.ts';
import { ERRORS, SECURITY } from './openapi.ts';

export interface AppointmentRouteDeps {
  appointments: AppointmentService;
  apiKeys: readonly string[];
  isConnected(participantId: string): boolean;
}

export const appointmentRoutes: FastifyPluginAsync<AppointmentRouteDeps> = async (base, deps) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  app.addHook('onRequest', apiKeyGuard(deps.apiKeys));
  const actor = (req: FastifyRequest) => ({ role: 'api' as const, id: 'api-key', address: req.ip });
  const common = { tags: ['appointments'], security: SECURITY.apiKey };

  app.post(
    '/api/v1/appointments',
    { schema: { ...common, summary: 'Create an appointment and its patient link', body: CreateAppointmentBody, response: { 201: CreatedAppointment, ...ERRORS } } },
    async (req, reply) => {
      const created = await deps.appointments.create(req.body, actor(req));
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
      schema: {
        ...common,
        summary: 'Invite an interpreter, family member, carer or other person (a new one-time link)',
        params: AppointmentParams,
        body: InviteBody,
        response: { 201: Invitation, ...ERRORS },
      },
    },
    async (req, reply) => {
      // link.role is the role asked for; the body's keeps the type an invite role.
      const { link, url } = await deps.appointments.invite(req.params.id as AppointmentId, req.body, actor(req));
      return reply.status(201).send({ url, linkId: link.id, role: req.body.role });
    },
  );

  app.delete(
    '/api/v1/appointments/:id/links/:linkId',
    {
      schema: {
        ...common,
        summary: 'Revoke a link: it can no longer be redeemed (410 LINK_REVOKED)',
        params: LinkParams,
        response: { 204: Type.Null({ description: 'Revoked.' }), ...ERRORS },
      },
    },
    async (req, reply) => {
      await deps.appointments.revokeLink(req.params.id as AppointmentId, req.params.linkId as LinkId, actor(req));
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/appointments/:id',
    { schema: { ...common, summary: 'An appointment: its links and who is waiting or present', params: AppointmentParams, response: { 200: AppointmentDetail, ...ERRORS } } },
    async (req) => {
      const { appointment: a, links, participants } = await deps.appointments.detail(req.params.id as AppointmentId);
      return {
        id: a.id,
        status: a.status,
        locked: a.locked,
        startsAt: a.startsAt,
        durationMinutes: a.durationMinutes,
        clinician: a.clinician,
        patient: { name: a.patientName },
        links: links.map((l) => ({ id: l.id, role: l.role, name: l.name, revoked: l.revoked, bound: l.bound, expiresAt: l.expiresAt })),
        participants: participants.map((p) => participantView(p, deps.isConnected(p.id))),
      };
    },
  );
};
