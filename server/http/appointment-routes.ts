// The REST API for booking systems and trust IT: create appointments, issue
// and revoke one-time links, and see who is waiting or present. API key only.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ID_PATTERN, type AppointmentId, type LinkId } from '../core/ids.ts';
import type { AppointmentService } from '../domain/appointments.ts';
import { INVITE_ROLES } from '../domain/model.ts';
import { participantView } from '../domain/views.ts';
import { apiKeyGuard } from './api-key.ts';
import { ERRORS, SECURITY } from './openapi.ts';

export interface AppointmentRouteDeps {
  appointments: AppointmentService;
  apiKeys: readonly string[];
  isConnected(participantId: string): boolean;
}

const Name = Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\u0000-\\u001f<>]+$', description: 'a display name, 1 to 100 characters' });
const Id = Type.String({ pattern: ID_PATTERN, description: 'an id' });

/** A clinician as the booking system knows them (also used by POST /api/v1/clinician-tokens). */
export const Clinician = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._@:-]+$', description: "the clinician's id in your system" }), name: Name },
  { additionalProperties: false },
);

const CreateBody = Type.Object(
  {
    clinician: Clinician,
    patient: Type.Object({ name: Name }, { additionalProperties: false }),
    startsAt: Type.String({ format: 'date-time', maxLength: 40, description: 'ISO 8601 date-time' }),
    durationMinutes: Type.Integer({ minimum: 5, maximum: 240, description: 'minutes, 5 to 240' }),
  },
  {
    additionalProperties: false,
    examples: [{ clinician: { id: 'gp-1', name: 'Dr Asha Patel' }, patient: { name: 'Jane Doe' }, startsAt: '2026-12-01T14:30:00Z', durationMinutes: 15 }],
  },
);

const InviteBody = Type.Object(
  { name: Name, role: Type.Enum([...INVITE_ROLES]) },
  { additionalProperties: false, examples: [{ name: 'Sam Okafor', role: 'interpreter' }] },
);

const AptParams = Type.Object({ id: Id }, { additionalProperties: false });
const LinkParams = Type.Object({ id: Id, linkId: Id }, { additionalProperties: false });

// Responses. Fastify serializes with these schemas and drops any property they
// do not name, so each lists everything its handler returns.
const Status = Type.Enum(['scheduled', 'live', 'ended'], { description: 'scheduled, live (someone joined) or ended' });
const Time = (description: string) => Type.String({ format: 'date-time', description });
const Created = Type.Object(
  {
    id: Type.String({ description: 'the appointment id' }),
    status: Status,
    startsAt: Time('ISO 8601, UTC'),
    durationMinutes: Type.Integer(),
    clinicianUrl: Type.String({ description: "the clinician's console link, opening this appointment" }),
    patientUrl: Type.String({ description: "the patient's one-time link (the token is in the fragment)" }),
    patientLinkId: Type.String({ description: "the patient link's id, for revoking it" }),
  },
  { description: 'The appointment, with the console link and the patient link.' },
);
const Invited = Type.Object(
  {
    url: Type.String({ description: 'the one-time link for this person' }),
    linkId: Type.String({ description: "the link's id, for revoking it" }),
    role: Type.Enum([...INVITE_ROLES]),
  },
  { description: 'The new one-time link.' },
);
const Detail = Type.Object(
  {
    id: Type.String(),
    status: Status,
    locked: Type.Boolean({ description: 'true when the clinician locked the consultation (no one new is let in)' }),
    startsAt: Time('ISO 8601, UTC'),
    durationMinutes: Type.Integer(),
    clinician: Type.Object({ id: Type.String(), name: Type.String() }),
    patient: Type.Object({ name: Type.String() }),
    links: Type.Array(
      Type.Object({
        id: Type.String(),
        role: Type.Enum(['patient', ...INVITE_ROLES]),
        name: Type.String(),
        revoked: Type.Boolean(),
        bound: Type.Boolean({ description: 'true once a device redeemed the link (it is then bound to that device)' }),
        expiresAt: Time('when the link stops working'),
      }),
    ),
    participants: Type.Array(
      Type.Object({
        id: Type.String(),
        role: Type.Enum(['clinician', 'patient', ...INVITE_ROLES]),
        name: Type.String(),
        state: Type.Enum(['waiting', 'admitted', 'denied', 'removed', 'left']),
        device: Type.String({ description: 'e.g. "Safari on iPhone"' }),
        linkReused: Type.Boolean({ description: 'true when this device came on a link already bound to another device' }),
        connected: Type.Boolean({ description: 'true while the participant has a live connection to this node' }),
        waitingSince: Type.Optional(Time('when they entered the waiting room')),
      }),
    ),
  },
  { description: 'The appointment, its links, and who is waiting or present.' },
);

export const appointmentRoutes: FastifyPluginAsync<AppointmentRouteDeps> = async (base, deps) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  app.addHook('onRequest', apiKeyGuard(deps.apiKeys));
  const actor = (req: FastifyRequest) => ({ role: 'api' as const, id: 'api-key', address: req.ip });
  const common = { tags: ['appointments'], security: SECURITY.apiKey };

  app.post(
    '/api/v1/appointments',
    { schema: { ...common, summary: 'Create an appointment and its patient link', body: CreateBody, response: { 201: Created, ...ERRORS } } },
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
        params: AptParams,
        body: InviteBody,
        response: { 201: Invited, ...ERRORS },
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
    { schema: { ...common, summary: 'An appointment: its links and who is waiting or present', params: AptParams, response: { 200: Detail, ...ERRORS } } },
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
