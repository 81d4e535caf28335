// Trust IT's REST calls beside the appointments: a console link for a
// clinician (not tied to one appointment), and what this node is doing right
// now (its mediasoup workers, live consultations, sockets, store). Each route
// declares its scope (auth-guard.ts).
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ApiScope } from '../domain/model.ts';
import { installScopeGuard, requireClinic, type ScopeGuardDeps } from './auth-guard.ts';
import { ConsoleLink, ConsoleTokenBody, NodeStatus, type WorkerStatus } from '../wire/appointments.ts';
import { ERRORS, SECURITY } from './openapi.ts';

export interface AdminRouteDeps {
  guard: ScopeGuardDeps;
  /** A console link for this clinician (AppointmentService.clinicianUrl). */
  clinicianUrl(clinician: { id: string; name: string }): string;
  /** Each mediasoup worker's state (WorkerPool.status(), matched by shape: http imports no media code). */
  workers(): WorkerStatus[];
  /** Consultations with a live mediasoup Router on this node (camera checks not counted). */
  consultationsActive(): number;
  socketConnections(): number;
  draining(): boolean;
  storeKind: 'memory' | 'redis';
}

const common = (scope: ApiScope) => ({ tags: ['admin'], security: SECURITY.scoped(scope) });

export const adminRoutes: FastifyPluginAsync<AdminRouteDeps> = async (base, deps) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  installScopeGuard(app, deps.guard);

  app.post(
    '/api/v1/clinician-tokens',
    {
      config: { scope: 'appointments:write' },
      schema: { ...common('appointments:write'), summary: "A console link for a clinician (their day's list; no appointment opened)", body: ConsoleTokenBody, response: { 201: ConsoleLink, ...ERRORS } },
    },
    async (req, reply) => {
      // A day's list spans clinics: not for a credential bound to one (404, as for records outside it).
      requireClinic(req, 'appointments:write', undefined);
      return reply.status(201).send({ url: deps.clinicianUrl(req.body.clinician) });
    },
  );

  app.get(
    '/api/v1/status',
    { config: { scope: 'admin' }, schema: { ...common('admin'), summary: "This node's workers, consultations, connections and store", response: { 200: NodeStatus, ...ERRORS } } },
    async (req) => {
      // The whole node, not one clinic's part of it.
      requireClinic(req, 'admin', undefined);
      return {
        workers: deps.workers(),
        consultationsActive: deps.consultationsActive(),
        socketConnections: deps.socketConnections(),
        draining: deps.draining(),
        store: deps.storeKind,
      };
    },
  );
};
