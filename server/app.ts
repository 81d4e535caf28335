// buildApp(deps): the Fastify app and its socket.io server, fully wired but
// never listening (main.ts listens; tests use inject() or port 0).
import { AppError } from './core/errors.ts';
import Fastify, { type FastifyInstance } from 'fastify';
import { Server as SocketServer } from 'socket.io';
import { randomUUID } from 'node:crypto';
import type { Deps } from './deps.ts';
import { installErrorHandler } from './http/error-handler.ts';
import { healthRoutes } from './http/health.ts';
import { pageRoutes } from './http/pages.ts';
import { registerSecurityHeaders } from './http/security-headers.ts';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import { appointmentRoutes } from './http/appointment-routes.ts';
import { auditRoutes } from './http/audit-routes.ts';
import { installFailureGuard } from './http/failure-guard.ts';
import { metricsRoute } from './http/metrics-route.ts';
import { createMetrics } from './observability/metrics.ts';
import { sessionRoutes } from './http/session-routes.ts';
import { attachConsultations } from './signaling/consultation-socket.ts';
import { attachSelfTest } from './signaling/selftest.ts';

export interface App {
  http: FastifyInstance;
  io: SocketServer;
  /** Tells every connected page the server is going down, and disconnects them. */
  endAllConsultations(): void;
}

/** socket.io accepts only connections whose Origin is this server's own public origin. */
function originAllowed(publicUrl: string, origin: string | undefined): boolean {
  return origin !== undefined && origin === new URL(publicUrl).origin;
}

export async function buildApp(deps: Deps): Promise<App> {
  const { config } = deps;
  // One options object for plain HTTP and for TLS + HTTP/2: Fastify's overloads
  // cannot take a conditional http2 flag, and the instance is used the same way.
  const createFastify = Fastify as unknown as (options: object) => FastifyInstance;
  const http = createFastify({
    loggerInstance: deps.logger,
    trustProxy: config.server.trustProxy,
    bodyLimit: 64 * 1024,
    genReqId: () => randomUUID(),
    return503OnClosing: true,
    // TLS in the server: HTTP/2 with HTTP/1.1 kept for socket.io's websocket upgrade.
    ...(deps.tls ? { http2: true as const, https: { key: deps.tls.key, cert: deps.tls.cert, allowHTTP1: true } } : {}),
  });
  // TypeBox's compiler refuses unknown keys instead of silently dropping them.
  http.setValidatorCompiler(TypeBoxValidatorCompiler);
  installErrorHandler(http);
  await registerSecurityHeaders(http);
  await http.register(cookie);
  // Per-address limits; routes that are worth guessing at set tighter ones.
  await http.register(rateLimit, { global: true, max: config.security.requestsPerMinute, timeWindow: '1 minute' });
  installFailureGuard(http, deps.failureLimiter);
  // Draining for shutdown: no new appointments or arrivals on this node.
  http.addHook('onRequest', async (req) => {
    if (deps.lifecycle.draining && req.method === 'POST' && (req.url.startsWith('/api/v1/session') || req.url.startsWith('/api/v1/appointments'))) {
      throw new AppError('SHUTTING_DOWN', 'This server is restarting; please try again in a minute.');
    }
  });
  await http.register(healthRoutes, {
    pingStore: () => deps.stores.ping(),
    workersAlive: () => deps.pool.allAlive(),
    draining: () => deps.lifecycle.draining,
    storeKind: deps.stores.kind,
  });
  await http.register(appointmentRoutes, { appointments: deps.appointments, apiKeys: deps.apiKeys, isConnected: deps.presence.isConnected });
  await http.register(auditRoutes, { events: deps.stores.events, apiKeys: deps.apiKeys });
  await http.register(sessionRoutes, {
    sessions: deps.sessions,
    appointments: deps.appointments,
    consultations: deps.consultations,
    isConnected: deps.presence.isConnected,
    now: deps.now,
    sessionAttemptsPerMinute: config.security.sessionAttemptsPerMinute,
  });
  await http.register(pageRoutes, { clientDir: deps.clientDir, selfTest: config.selfTest.enabled });

  const io = new SocketServer(http.server, {
    serveClient: false,
    maxHttpBufferSize: 64 * 1024,
    cors: undefined,
    allowRequest: (req, cb) => cb(null, originAllowed(config.server.publicUrl, req.headers.origin)),
  });
  if (config.selfTest.enabled) {
    attachSelfTest(io, deps.rooms, deps.logger.child({ ns: 'selftest' }), {
      maxConcurrent: config.selfTest.maxConcurrent,
      maxSeconds: config.selfTest.maxSeconds,
    });
  }
  const consultationSockets = attachConsultations({
    io,
    sessions: deps.sessions,
    consultations: deps.consultations,
    rooms: deps.rooms,
    bus: deps.bus,
    presence: deps.presence,
    logger: deps.logger.child({ ns: 'consultation' }),
    turn: {
      policy: { urls: config.turn.urls, secret: config.turn.secret ?? '', ttlSeconds: config.turn.ttlSeconds },
      forceRelay: config.turn.forceRelay,
    },
    failureLimiter: deps.failureLimiter,
    lifecycle: deps.lifecycle,
    observeWait: (s) => metrics.observeWait(s),
  });
  const metrics = createMetrics({
    bus: deps.bus,
    rooms: deps.rooms,
    pool: deps.pool,
    presence: deps.presence,
    waitingCount: () => consultationSockets.waitingCount(),
  });
  await http.register(metricsRoute, { registry: metrics.registry, token: config.server.metricsToken });
  http.addHook('onClose', async () => {
    await io.close();
  });
  return { http, io, endAllConsultations: () => consultationSockets.endAll() };
}
