// Trust IT's REST calls about staff: a staff member's sessions (listed,
// revoked: their open consoles are cut at once), and clinics with their
// members. Each route declares its scope (auth-guard.ts); a credential bound
// to a clinic sees and changes only that clinic (404 elsewhere).
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../core/errors.ts';
import type { ClinicId } from '../core/ids.ts';
import { allows } from '../domain/access/permissions.ts';
import type { SessionService } from '../domain/access/sessions.ts';
import { idleEndOf } from '../domain/access/staff-sessions.ts';
import type { ClinicService } from '../domain/clinics.ts';
import type { ApiScope, Clinic, ClinicMember, StaffSession } from '../domain/model.ts';
import {
  ClinicList,
  ClinicParams,
  ClinicView,
  CreateClinicBody,
  MemberBody,
  MemberList,
  MemberParams,
  MemberView,
  RevokedCount,
  SessionList,
  SessionParams,
  UpdateClinicBody,
  UserParams,
  type SessionSummary,
} from '../wire/auth.ts';
import { credentialOf, installScopeGuard, requestActor, requireClinic, type ScopeGuardDeps } from './auth-guard.ts';
import { ERRORS, SECURITY } from './openapi.ts';

export interface StaffAdminRouteDeps {
  guard: ScopeGuardDeps;
  sessions: SessionService;
  clinics: ClinicService;
}

const common = (scope: ApiScope) => ({ tags: ['admin'], security: SECURITY.scoped(scope) });

/** A session as the admin API lists it: its stored id (never usable as a cookie), no tokens. */
export function sessionSummary(s: StaffSession): SessionSummary {
  return {
    id: s.id,
    userId: s.clinicianId,
    via: s.via,
    roles: s.roles,
    createdAt: s.createdAt,
    lastSeenAt: s.lastSeenAt,
    expiresAt: s.expiresAt,
    idleExpiresAt: new Date(Math.min(idleEndOf(s), Date.parse(s.expiresAt))).toISOString(),
    device: s.device,
    ...(s.address ? { address: s.address } : {}),
  };
}

const clinicView = (c: Clinic): ClinicView => ({ id: c.id, name: c.name, settings: { ...c.settings }, createdAt: c.createdAt, updatedAt: c.updatedAt });
const memberView = (m: ClinicMember): MemberView => ({ userId: m.userId, roles: m.roles, source: m.source, updatedAt: m.updatedAt });

export const staffAdminRoutes: FastifyPluginAsync<StaffAdminRouteDeps> = async (base, deps) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  installScopeGuard(app, deps.guard);

  // ---- staff sessions (admin) ------------------------------------------------
  // Sessions span clinics: a clinic-bound credential gets 404 here (requireClinic with no clinic).

  app.get(
    '/api/v1/users/:userId/sessions',
    { config: { scope: 'admin' }, schema: { ...common('admin'), summary: "A staff member's live sessions", params: UserParams, response: { 200: SessionList, ...ERRORS } } },
    async (req) => {
      requireClinic(req, 'admin', undefined);
      return { sessions: (await deps.sessions.listForUser(req.params.userId)).map(sessionSummary) };
    },
  );

  app.delete(
    '/api/v1/users/:userId/sessions',
    {
      config: { scope: 'admin' },
      schema: { ...common('admin'), summary: 'Revoke every session of a staff member (their open consoles are disconnected at once)', params: UserParams, response: { 200: RevokedCount, ...ERRORS } },
    },
    async (req) => {
      requireClinic(req, 'admin', undefined);
      return { revoked: await deps.sessions.revokeUser(req.params.userId, requestActor(req)) };
    },
  );

  app.delete(
    '/api/v1/sessions/:sessionId',
    {
      config: { scope: 'admin' },
      schema: {
        ...common('admin'),
        summary: 'Revoke one staff session (its open consoles are disconnected at once)',
        params: SessionParams,
        response: { 204: Type.Null({ description: 'Revoked.' }), ...ERRORS },
      },
    },
    async (req, reply) => {
      requireClinic(req, 'admin', undefined);
      if (!(await deps.sessions.revoke(req.params.sessionId, requestActor(req)))) throw new AppError('NOT_FOUND', 'No such session.');
      return reply.status(204).send(null);
    },
  );

  // ---- clinics ---------------------------------------------------------------

  const clinicIdOf = (p: { clinicId: string }) => p.clinicId as ClinicId;

  app.get(
    '/api/v1/clinics',
    { config: { scope: 'clinics:write' }, schema: { ...common('clinics:write'), summary: 'The clinics this credential may manage', response: { 200: ClinicList, ...ERRORS } } },
    async (req) => {
      const cred = credentialOf(req);
      return { clinics: (await deps.clinics.list()).filter((c) => allows(cred, 'clinics:write', c.id)).map(clinicView) };
    },
  );

  app.post(
    '/api/v1/clinics',
    { config: { scope: 'admin' }, schema: { ...common('admin'), summary: 'Create a clinic (409 ALREADY_EXISTS for an id in use)', body: CreateClinicBody, response: { 201: ClinicView, ...ERRORS } } },
    async (req, reply) => {
      requireClinic(req, 'admin', undefined);
      const clinic = await deps.clinics.create({ id: req.body.id as ClinicId, name: req.body.name }, requestActor(req));
      return reply.status(201).send(clinicView(clinic));
    },
  );

  app.get(
    '/api/v1/clinics/:clinicId',
    { config: { scope: 'clinics:write' }, schema: { ...common('clinics:write'), summary: 'One clinic', params: ClinicParams, response: { 200: ClinicView, ...ERRORS } } },
    async (req) => {
      const id = clinicIdOf(req.params);
      requireClinic(req, 'clinics:write', id);
      return clinicView(await deps.clinics.get(id));
    },
  );

  app.patch(
    '/api/v1/clinics/:clinicId',
    {
      config: { scope: 'clinics:write' },
      schema: { ...common('clinics:write'), summary: 'Rename a clinic, or change what its patients are shown (phone, privacy notice, waiting message; null removes one)', params: ClinicParams, body: UpdateClinicBody, response: { 200: ClinicView, ...ERRORS } },
    },
    async (req) => {
      const id = clinicIdOf(req.params);
      requireClinic(req, 'clinics:write', id);
      return clinicView(await deps.clinics.update(id, req.body, requestActor(req)));
    },
  );

  app.get(
    '/api/v1/clinics/:clinicId/members',
    { config: { scope: 'clinics:write' }, schema: { ...common('clinics:write'), summary: "A clinic's members and their roles there", params: ClinicParams, response: { 200: MemberList, ...ERRORS } } },
    async (req) => {
      const id = clinicIdOf(req.params);
      requireClinic(req, 'clinics:write', id);
      return { members: (await deps.clinics.members(id)).map(memberView) };
    },
  );

  app.put(
    '/api/v1/clinics/:clinicId/members/:userId',
    {
      config: { scope: 'clinics:write' },
      schema: {
        ...common('clinics:write'),
        summary: "Set a member's roles in a clinic (kept across sign-ins; takes effect at their next sign-in or console link)",
        params: MemberParams,
        body: MemberBody,
        response: { 200: MemberView, ...ERRORS },
      },
    },
    async (req) => {
      const id = clinicIdOf(req.params);
      requireClinic(req, 'clinics:write', id);
      return memberView(await deps.clinics.setMember(id, req.params.userId, req.body.roles, requestActor(req)));
    },
  );

  app.delete(
    '/api/v1/clinics/:clinicId/members/:userId',
    {
      config: { scope: 'clinics:write' },
      schema: { ...common('clinics:write'), summary: 'Remove a member from a clinic', params: MemberParams, response: { 204: Type.Null({ description: 'Removed.' }), ...ERRORS } },
    },
    async (req, reply) => {
      const id = clinicIdOf(req.params);
      requireClinic(req, 'clinics:write', id);
      await deps.clinics.removeMember(id, req.params.userId, requestActor(req));
      return reply.status(204).send(null);
    },
  );
};
