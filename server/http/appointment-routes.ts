// The REST API for booking systems and trust IT: create appointments, issue
// and revoke one-time links, and see who is waiting or present. API key only.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ID_PATTERN, type AppointmentId, type LinkId } from '../core/ids.ts';
import type { AppointmentService } from '../domain/appointments.ts';
import { INVITE_ROLES } from '../domain/model.ts';
import { apiKeyGuard } from './api-key.ts';

export interface AppointmentRouteDeps {
  appointments: AppointmentService;
  apiKeys: readonly string[];
  isConnected(participantId: string): boolean;
}

const Name = Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\u0000-\\u001f<>]+$', description: 'a display name, 1 to 100 characters' });
const Id = Type.String({ pattern: ID_PATTERN, description: 'an id' });

const CreateBody = Type.Object(
  {
    clinician: Type.Object(
      { id: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._@:-]+$', description: "the clinician's id in your system" }), name: Name },
      { additionalProperties: false },
    ),
    patient: Type.Object({ name: Name }, { additionalProperties: false }),
    startsAt: Type.String({ format: 'date-time', maxLength: 40, description: 'ISO 8601 date-time' }),
    durationMinutes: Type.Integer({ minimum: 5, maximum: 240, description: 'minutes, 5 to 240' }),
  },
  { additionalProperties: false },
);

const InviteBody = Type.Object({ name: Name, role: Type.Enum([...INVITE_ROLES]) }, { additionalProperties: false });

const AptParams = Type.Object({ id: Id }, { additionalProperties: false });
const LinkParams = Type.Object({ id: Id, linkId: Id }, { additionalProperties: false });

export const appointmentRoutes: FastifyPluginAsync<AppointmentRouteDeps> = async (base, deps) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  app.addHook('onRequest', apiKeyGuard(deps.apiKeys));
  const actor = (req: FastifyRequest) => ({ role: 'api' as const, id: 'api-key', address: req.ip });

  app.post('/api/v1/appointments', { schema: { body: CreateBody } }, async (req, reply) => {
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
  });

  app.post('/api/v1/appointments/:id/invites', { schema: { params: AptParams, body: InviteBody } }, async (req, reply) => {
    const { link, url } = await deps.appointments.invite(req.params.id as AppointmentId, req.body, actor(req));
    return reply.status(201).send({ url, linkId: link.id, role: link.role });
  });

  app.delete('/api/v1/appointments/:id/links/:linkId', { schema: { params: LinkParams } }, async (req, reply) => {
    await deps.appointments.revokeLink(req.params.id as AppointmentId, req.params.linkId as LinkId, actor(req));
    return reply.status(204).send();
  });

  app.get('/api/v1/appointments/:id', { schema: { params: AptParams } }, async (req) => {
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
      participants: participants.map((p) => ({
        id: p.id,
        role: p.role,
        name: p.name,
        state: p.state,
        device: p.device,
        linkReused: p.linkReused,
        connected: deps.isConnected(p.id),
        ...(p.waitingSince ? { waitingSince: p.waitingSince } : {}),
      })),
    };
  });
};
