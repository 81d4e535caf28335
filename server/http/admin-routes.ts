// Trust IT's REST calls beside the appointments: a console link for a
// clinician (not tied to one appointment), and what this node is doing right
// now (its mediasoup workers, live consultations, sockets, store). API key only.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { apiKeyGuard } from './api-key.ts';
import { ConsoleLink, ConsoleTokenBody, NodeStatus, type WorkerStatus } from '../wire/appointments.ts';
import { ERRORS, SECURITY } from './openapi.ts';

export interface AdminRouteDeps {
  apiKeys: readonly string[];
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

const common = { tags: ['admin'], security: SECURITY.apiKey };

export const adminRoutes: FastifyPluginAsync<AdminRouteDeps> = async (base, deps) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  app.addHook('onRequest', apiKeyGuard(deps.apiKeys));

  app.post(
    '/api/v1/clinician-tokens',
    { schema: { ...common, summary: "A console link for a clinician (their day's list; no appointment opened)", body: ConsoleTokenBody, response: { 201: ConsoleLink, ...ERRORS } } },
    async (req, reply) => reply.status(201).send({ url: deps.clinicianUrl(req.body.clinician) }),
  );

  app.get('/api/v1/status', { schema: { ...common, summary: "This node's workers, consultations, connections and store", response: { 200: NodeStatus, ...ERRORS } } }, async () => ({
    workers: deps.workers(),
    consultationsActive: deps.consultationsActive(),
    socketConnections: deps.socketConnections(),
    draining: deps.draining(),
    store: deps.storeKind,
  }));
};
