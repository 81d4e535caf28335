// buildApp(deps): the Fastify app and its socket.io server, fully wired but
// never listening (main.ts listens; tests use inject() or port 0).
import { AppError } from './core/errors.ts';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { Server as SocketServer, type ServerOptions } from 'socket.io';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Deps } from './deps.ts';
import { installErrorHandler } from './http/error-handler.ts';
import { healthRoutes } from './http/health.ts';
import { pageRoutes } from './http/pages.ts';
import { registerSecurityHeaders, STATIC_SECURITY_HEADERS } from './http/security-headers.ts';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import { appointmentRoutes } from './http/appointment-routes.ts';
import { auditRoutes } from './http/audit-routes.ts';
import { installFailureGuard } from './http/failure-guard.ts';
import { clientAddress, dropInvalidForwardedFor, trustProxyOption } from './edge/trust-proxy.ts';
import { installOriginGuard } from './http/origin-guard.ts';
import { metricsRoute } from './http/metrics-route.ts';
import { adminRoutes } from './http/admin-routes.ts';
import { apiKeyRoutes } from './http/api-key-routes.ts';
import { registerOpenApi } from './http/openapi.ts';
import { createMetrics } from './observability/metrics.ts';
import { sessionRoutes } from './http/session-routes.ts';
import { staffAdminRoutes } from './http/staff-admin-routes.ts';
import { authRoutes } from './http/auth-routes.ts';
import { fileRoutes } from './http/file-routes.ts';
import { nodeRoutes } from './http/node-routes.ts';
import { attachConsultations } from './signaling/consultation-socket.ts';
import { attachSelfTest } from './signaling/selftest.ts';
import { attachStaff } from './signaling/staff-socket.ts';
import { MediaFactsCache } from './signaling/media-facts.ts';
import { dedicatedConnection } from './core/redis-connection.ts';
import { watchFilesShare } from './stores/disk/files-marker.ts';

/** How often a node reads the other nodes' FILES_DIR markers (a small file each): a node started on the wrong directory is reported within seconds. */
const FILES_SHARE_CHECK_MS = 5_000;

export interface App {
  http: FastifyInstance;
  io: SocketServer;
  /**
   * End of a planned drain: tells every connected page the server is
   * restarting and drops its connection (no socket.io disconnect), so it
   * reconnects by itself, to the next process.
   */
  restartAll(): void;
  /** The drain's end on a node among others: its consultations' media moves to other nodes. */
  moveConsultations(): Promise<number>;
}

/** socket.io accepts only connections whose Origin is this server's own public origin. */
function originAllowed(publicUrl: string, origin: string | undefined): boolean {
  return origin !== undefined && origin === new URL(publicUrl).origin;
}

/**
 * With Redis: socket.io's Redis Streams adapter carries broadcasts between
 * nodes. Its client queues while Redis is away (its reads block; failing them
 * fast would spin), unlike the stores' client. Connection-state recovery is
 * left off on purpose: with it every emit to a socket becomes a stream append
 * and is sent only after Redis answers, so "tell, then disconnect" loses the
 * telling; and the pages resynchronise by themselves on reconnect (a fresh
 * consultation:state, media:resume, thread:list).
 */
function socketCluster(deps: Deps): Partial<ServerOptions> {
  if (!deps.redis) return {};
  const k = deps.cluster.keys.socketIo;
  const client = dedicatedConnection(deps.redis, { enableOfflineQueue: true, commandTimeout: 10_000, maxRetriesPerRequest: null });
  // The stores' client reports outages; this one only must not crash the process with an unhandled 'error'.
  client.on('error', () => undefined);
  return {
    adapter: createAdapter(client, { streamName: k.stream, channelPrefix: k.channelPrefix, sessionKeyPrefix: k.sessionPrefix, blockTimeInMs: 2000, onlyPlaintext: true }),
  };
}

export async function buildApp(deps: Deps): Promise<App> {
  const { config } = deps;
  // One options object for plain HTTP and for TLS + HTTP/2: Fastify's overloads
  // cannot take a conditional http2 flag, and the instance is used the same way.
  const createFastify = Fastify as unknown as (options: object) => FastifyInstance;
  const http = createFastify({
    loggerInstance: deps.logger,
    // Never "every hop": a client could then write its own address (see trust-proxy.ts).
    trustProxy: trustProxyOption(config.server.trustProxy),
    bodyLimit: 64 * 1024,
    // Timeouts on every route (slow headers, trickled bodies, silent sockets); an upload's own
    // deadline (files.uploadTimeoutSeconds) lies within the whole-request one.
    requestTimeout: Math.max(config.server.requestTimeoutSeconds, config.files.uploadTimeoutSeconds + 30) * 1000,
    connectionTimeout: config.server.idleTimeoutSeconds * 1000,
    keepAliveTimeout: config.server.keepAliveTimeoutSeconds * 1000,
    http: {
      headersTimeout: config.server.headersTimeoutSeconds * 1000,
      // Node checks the two timeouts above this often (30 s by default).
      connectionsCheckingInterval: Math.min(5000, config.server.headersTimeoutSeconds * 500),
    },
    genReqId: () => randomUUID(),
    return503OnClosing: true,
    // Router-level refusals (broken percent-encoding, over-long parameters) get
    // our typed error and headers, not the framework's body echoing the path.
    frameworkErrors: (_error: unknown, _req: unknown, reply: FastifyReply) => {
      void reply
        .status(400)
        .headers(STATIC_SECURITY_HEADERS)
        .send(new AppError('BAD_REQUEST', 'The request address is not valid.').toJSON());
    },
    // TLS in the server: HTTP/2 with HTTP/1.1 kept for socket.io's websocket upgrade.
    ...(deps.tls ? { http2: true as const, https: { key: deps.tls.key, cert: deps.tls.cert, allowHTTP1: true } } : {}),
  });
  // TypeBox's compiler refuses unknown keys instead of silently dropping them.
  http.setValidatorCompiler(TypeBoxValidatorCompiler);
  installErrorHandler(http);
  await registerSecurityHeaders(http);
  await http.register(cookie);
  // Per-address limits; routes that are worth guessing at set tighter ones.
  // Counted in Redis when there is one, so every node shares one budget per address; a Redis
  // outage lets requests through to the stores, which answer UNAVAILABLE themselves.
  await http.register(rateLimit, {
    global: true,
    max: config.security.requestsPerMinute,
    timeWindow: '1 minute',
    ...(deps.redis ? { redis: deps.redis, nameSpace: deps.cluster.keys.httpRateLimit, skipOnError: true } : {}),
  });
  installFailureGuard(http, deps.failureLimiter);
  // Cookie-authenticated changes only from our own pages (after the cookie plugin parsed them).
  installOriginGuard(http, { publicUrl: config.server.publicUrl });
  // Draining for a restart: no new appointments (or invitations) on this node. People with a link
  // still get their session (someone who closed the tab reopens it), so they wait in the waiting room
  // and move to the next process with everyone else; only a NEW room (media for a consultation not
  // live here) is refused, by rooms.open().
  http.addHook('onRequest', async (req) => {
    if (deps.lifecycle.draining && req.method === 'POST' && req.url.startsWith('/api/v1/appointments')) {
      throw new AppError('SHUTTING_DOWN');
    }
  });
  // Before the routes: the OpenAPI document is built from the routes registered after it.
  await registerOpenApi(http, { docs: config.server.docs });
  await http.register(healthRoutes, {
    pingStore: () => deps.stores.ping(),
    workersAlive: () => deps.pool.allAlive(),
    draining: () => deps.lifecycle.draining,
    storeKind: deps.stores.kind,
  });
  await http.register(appointmentRoutes, { appointments: deps.appointments, guard: deps.scopeGuard, isConnected: deps.presence.isConnected, delivery: deps.delivery });
  await http.register(auditRoutes, { events: deps.stores.events, guard: deps.scopeGuard });
  await http.register(apiKeyRoutes, { apiKeys: deps.apiKeys, guard: deps.scopeGuard });
  await http.register(staffAdminRoutes, { sessions: deps.sessions, clinics: deps.clinics, guard: deps.scopeGuard });
  await http.register(adminRoutes, {
    guard: deps.scopeGuard,
    clinicianUrl: (c) => deps.appointments.clinicianUrl(c),
    workers: () => deps.pool.status(),
    consultationsActive: () => deps.rooms.consultations().length,
    socketConnections: () => deps.presence.count,
    draining: () => deps.lifecycle.draining,
    storeKind: deps.stores.kind,
  });
  await http.register(nodeRoutes, {
    guard: deps.scopeGuard,
    // Each node as it is, and whether its FILES_DIR is this one (the token itself is not shown).
    live: async () =>
      Promise.all(
        (await deps.cluster.registry.live()).map(async ({ filesToken, ...n }) =>
          n.id === deps.cluster.nodeId || filesToken === undefined ? n : { ...n, filesShared: await deps.filesMarker.shares(n.id, filesToken) },
        ),
      ),
    requestDrain: (id, deadline) => deps.cluster.registry.requestDrain(id, deadline),
    recordDrain: async (actor, nodeId) => void (await deps.events.record('node.drain_requested', null, actor, { subject: nodeId })),
    drainSeconds: config.server.drainSeconds,
    now: () => Date.now(),
  });
  await http.register(sessionRoutes, {
    sessions: deps.sessions,
    appointments: deps.appointments,
    consultations: deps.consultations,
    isConnected: deps.presence.isConnected,
    now: deps.now,
    sessionAttemptsPerMinute: config.security.sessionAttemptsPerMinute,
    signInAvailable: config.oidc !== undefined,
    clinicView: (id) => deps.clinics.publicView(id),
  });
  await http.register(fileRoutes, {
    files: deps.files,
    sessions: deps.sessions,
    upload: {
      stagingDir: path.join(config.files.dir, '.incoming'),
      timeoutSeconds: config.files.uploadTimeoutSeconds,
      perAddress: config.files.maxConcurrentUploadsPerAddress,
      perParticipant: config.files.maxConcurrentUploadsPerParticipant,
    },
  });
  await http.register(authRoutes, {
    signIn: deps.signIn,
    sessions: deps.sessions,
    publicUrl: config.server.publicUrl,
    attemptsPerMinute: config.security.sessionAttemptsPerMinute,
  });
  await http.register(pageRoutes, { clientDir: deps.clientDir, selfTest: config.selfTest.enabled, signInAvailable: deps.signIn !== null });

  const io = new SocketServer(http.server, {
    serveClient: false,
    // Websocket only: one long connection, so any node can take it behind a plain (not sticky) proxy.
    transports: ['websocket'],
    ...socketCluster(deps),
    maxHttpBufferSize: 64 * 1024,
    // A dead connection (a phone that lost its network) is noticed within interval + timeout.
    pingInterval: config.server.socketPingIntervalSeconds * 1000,
    pingTimeout: config.server.socketPingTimeoutSeconds * 1000,
    cors: undefined,
    allowRequest: (req, cb) => cb(null, originAllowed(config.server.publicUrl, req.headers.origin)),
  });
  // socket.io answers its HTTP requests itself, outside Fastify (it took over the
  // server's 'request' listeners above): give those answers the same headers.
  http.server.prependListener('request', (req: { url?: string }, res: { setHeader(k: string, v: string): void }) => {
    if (req.url?.startsWith('/socket.io/')) for (const [k, v] of Object.entries(STATIC_SECURITY_HEADERS)) res.setHeader(k, v);
  });
  // Before Fastify reads it: X-Forwarded-For entries that are not IPs never become anyone's address.
  http.server.prependListener('request', (req: { headers: Record<string, string | string[] | undefined> }) => dropInvalidForwardedFor(req.headers));
  if (config.selfTest.enabled) {
    attachSelfTest(io, deps.rooms, deps.logger.child({ ns: 'selftest' }), {
      maxConcurrent: config.selfTest.maxConcurrent,
      maxSeconds: config.selfTest.maxSeconds,
      maxPerAddress: config.selfTest.maxPerAddress,
      messages: { perSecond: config.security.socketMessagesPerSecond, burst: config.security.socketMessageBurst },
      relay: {
        policy: { urls: config.turn.urls, secret: config.turn.secret ?? '', ttlSeconds: config.turn.ttlSeconds },
        seconds: config.selfTest.relaySeconds,
      },
      clientAddress: (remote, xff) => clientAddress(remote, xff, config.server.trustProxy),
    });
  }
  const facts = new MediaFactsCache();
  const consultationSockets = attachConsultations({
    io,
    sessions: deps.sessions,
    consultations: deps.consultations,
    thread: deps.thread,
    files: deps.files,
    rooms: deps.rooms,
    bus: deps.bus,
    presence: deps.presence,
    cluster: deps.cluster,
    facts,
    logger: deps.logger.child({ ns: 'consultation' }),
    turn: {
      policy: { urls: config.turn.urls, secret: config.turn.secret ?? '', ttlSeconds: config.turn.ttlSeconds },
      forceRelay: config.turn.forceRelay,
    },
    failureLimiter: deps.failureLimiter,
    lifecycle: deps.lifecycle,
    clientAddress: (remote, xff) => clientAddress(remote, xff, config.server.trustProxy),
    observeWait: (s) => metrics.observeWait(s),
    signals: deps.signals,
    limits: {
      socketsPerParticipant: config.security.socketsPerParticipant,
      socketsPerAddress: config.security.socketsPerAddress,
      messages: { perSecond: config.security.socketMessagesPerSecond, burst: config.security.socketMessageBurst },
    },
    sessionCheckSeconds: config.auth.sessionCheckSeconds,
  });
  attachStaff({
    io,
    sessions: deps.sessions,
    clinics: deps.clinics,
    actions: deps.waitingActions,
    reader: deps.waitingArea,
    staffPresence: deps.staffPresence,
    presence: deps.presence,
    rooms: deps.rooms,
    connectionOf: facts.connectionOf(deps.presence),
    cluster: deps.cluster,
    bus: deps.bus,
    logger: deps.logger.child({ ns: 'staff' }),
    failureLimiter: deps.failureLimiter,
    clientAddress: (remote, xff) => clientAddress(remote, xff, config.server.trustProxy),
    limits: {
      socketsPerAddress: config.security.socketsPerAddress,
      messages: { perSecond: config.security.socketMessagesPerSecond, burst: config.security.socketMessageBurst },
    },
    sessionCheckSeconds: config.auth.sessionCheckSeconds,
    runningLateSeconds: config.appointments.runningLateHours * 3600,
    now: deps.now,
  });
  const metrics = createMetrics({
    bus: deps.bus,
    rooms: deps.rooms,
    pool: deps.pool,
    presence: deps.presence,
    signals: deps.signals,
    waitingCount: () => consultationSockets.waitingCount(),
  });
  await http.register(metricsRoute, { registry: metrics.registry, token: config.server.metricsToken });
  http.addHook('onClose', async () => {
    await io.close();
  });
  // Joins the other nodes once every listener is in place: events bridged, heartbeats, relayed media served here.
  await deps.cluster.start(deps.bus);
  const stopFilesWatch = watchFilesShare({
    marker: deps.filesMarker,
    self: deps.cluster.nodeId,
    live: () => deps.cluster.registry.live(),
    logger: deps.logger.child({ component: 'files' }),
    everyMs: FILES_SHARE_CHECK_MS,
  });
  http.addHook('onClose', async () => stopFilesWatch());
  await deps.cluster.relay.start(consultationSockets.serveMedia);
  await consultationSockets.loadPresence();
  return { http, io, restartAll: () => consultationSockets.restartAll(), moveConsultations: () => consultationSockets.moveConsultations() };
}
