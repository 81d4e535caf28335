// /healthz says the process is alive and nothing else, so an orchestrator
// never restarts every node because Redis is down; /readyz says whether this
// node can take consultations (store reachable, every mediasoup worker alive).
import type { FastifyPluginAsync } from 'fastify';

export interface HealthDeps {
  pingStore(): Promise<void>;
  workersAlive(): boolean;
  draining(): boolean;
  storeKind: string;
}

export const healthRoutes: FastifyPluginAsync<HealthDeps> = async (app, deps) => {
  app.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok' }));
  app.get('/readyz', { logLevel: 'warn' }, async (_req, reply) => {
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
  });
};
