// /healthz says the process is alive and nothing else, so an orchestrator
// never restarts every node because Redis is down; /readyz says whether this
// node can take consultations (store reachable, every mediasoup worker alive).
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Alive, Readiness } from '../wire/operations.ts';
import { ERRORS, SECURITY } from './openapi.ts';

export interface HealthDeps {
  pingStore(): Promise<void>;
  workersAlive(): boolean;
  draining(): boolean;
  storeKind: string;
}

const common = { tags: ['operations'], security: SECURITY.none };

export const healthRoutes: FastifyPluginAsync<HealthDeps> = async (base, deps) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/healthz',
    { logLevel: 'warn', schema: { ...common, summary: 'Liveness: the process answers', response: { 200: Alive, ...ERRORS } } },
    async () => ({ status: 'ok' as const }),
  );
  app.get(
    '/readyz',
    {
      logLevel: 'warn',
      schema: {
        ...common,
        summary: 'Readiness: store reachable, every mediasoup worker alive, not draining',
        response: { 200: Readiness, 503: Readiness, ...ERRORS },
      },
    },
    async (_req, reply) => {
      const store = await deps.pingStore().then(
        () => 'ok' as const,
        () => 'unreachable' as const,
      );
      const workers = deps.workersAlive() ? ('ok' as const) : ('down' as const);
      const draining = deps.draining();
      const ready = store === 'ok' && workers === 'ok' && !draining;
      return reply
        .status(ready ? 200 : 503)
        .send({ status: ready ? 'ready' : draining ? 'draining' : 'not ready', store, storeKind: deps.storeKind, workers });
    },
  );
};
