// Trust IT's REST calls beside the appointments: a console link for a
// clinician (not tied to one appointment), and what this node is doing right
// now (its mediasoup workers, live consultations, sockets, store). API key only.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import { apiKeyGuard } from './api-key.ts';
import { Clinician } from './appointment-routes.ts';
import { ERRORS, SECURITY } from './openapi.ts';

export interface AdminRouteDeps {
  apiKeys: readonly string[];
  /** A console link for this clinician (AppointmentService.clinicianUrl). */
  clinicianUrl(clinician: { id: string; name: string }): string;
  /** Each mediasoup worker's state (WorkerPool.status(), matched by shape: http imports no media code). */
  workers(): Static<typeof WorkerStatus>[];
  /** Consultations with a live mediasoup Router on this node (camera checks not counted). */
  consultationsActive(): number;
  socketConnections(): number;
  draining(): boolean;
  storeKind: 'memory' | 'redis';
}

const TokenBody = Type.Object({ clinician: Clinician }, { additionalProperties: false, examples: [{ clinician: { id: 'gp-1', name: 'Dr Asha Patel' } }] });
const ConsoleLink = Type.Object(
  { url: Type.String({ description: "the clinician's console link (the token is in the fragment)" }) },
  { description: 'A console link, valid for auth.clinicianTokenTtlMinutes.' },
);
const WorkerStatus = Type.Object({
  index: Type.Integer(),
  pid: Type.Integer(),
  alive: Type.Boolean(),
  routers: Type.Integer({ description: 'consultations (and camera checks) on this worker' }),
  port: Type.Integer({ description: "the worker's WebRtcServer port, UDP and TCP" }),
});
const NodeStatus = Type.Object(
  {
    workers: Type.Array(WorkerStatus),
    consultationsActive: Type.Integer({ description: 'consultations with media on this node' }),
    socketConnections: Type.Integer({ description: 'participant sockets connected to this node' }),
    draining: Type.Boolean({ description: 'true after SIGTERM: no new consultations here' }),
    store: Type.Enum(['memory', 'redis']),
  },
  { description: 'This node now.' },
);
const common = { tags: ['admin'], security: SECURITY.apiKey };

export const adminRoutes: FastifyPluginAsync<AdminRouteDeps> = async (base, deps) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  app.addHook('onRequest', apiKeyGuard(deps.apiKeys));

  app.post(
    '/api/v1/clinician-tokens',
    { schema: { ...common, summary: "A console link for a clinician (their day's list; no appointment opened)", body: TokenBody, response: { 201: ConsoleLink, ...ERRORS } } },
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
