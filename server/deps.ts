// The composition root: every dependency is made here, once, from the
// validated config, and passed down explicitly. Nothing else constructs
// stores, workers or services. Reading key, TLS and API-key files and
// connecting Redis live in boot/; this file only wires.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/schema.ts';
import { bootstrapApiKeys } from './boot/api-keys.ts';
import { loadKeys } from './boot/keys.ts';
import { loadOidcSecrets } from './boot/oidc.ts';
import { connectRedis, redisTargetOf } from './boot/redis.ts';
import { StartupError } from './boot/startup-error.ts';
import { readTls, type TlsFiles } from './boot/tls.ts';
import type { Logger } from './core/logger.ts';
import { ApiKeyService } from './domain/access/api-keys.ts';
import { SessionService } from './domain/access/sessions.ts';
import { SignInService } from './domain/access/sign-in.ts';
import { createOidcProvider } from './integrations/oidc/client.ts';
import { TokenService } from './domain/access/tokens.ts';
import { AppointmentService } from './domain/appointments.ts';
import { ClinicService } from './domain/clinics.ts';
import { ConsultationService } from './domain/consultation.ts';
import { ContentPurger } from './domain/files/purger.ts';
import { FileService } from './domain/files/service.ts';
import { SanitizePool } from './files-worker/sanitize-pool.ts';
import { ThreadService } from './domain/thread.ts';
import { createRecordWebhook } from './integrations/record-webhook.ts';
import { DeliveryService } from './domain/delivery.ts';
import { notifyClientFrom } from './integrations/notify/from-config.ts';
import type { ScopeGuardDeps } from './http/auth-guard.ts';
import { createDiskBlobStore } from './stores/disk/blob-store.ts';
import { DomainBus, EventRecorder } from './domain/events.ts';
import type { Stores } from './domain/stores.ts';
import { Presence } from './signaling/presence.ts';
import { StaffPresence } from './signaling/staff-presence.ts';
import { WaitingAreaReader } from './domain/waiting-area.ts';
import { WaitingActions } from './domain/waiting-actions.ts';
import { SignalEvents } from './signaling/signal-events.ts';
import { Lifecycle } from './core/lifecycle.ts';
import { FailureLimiter, type FailureCounter } from './domain/access/failure-limiter.ts';
import { MemoryFailureCounter } from './stores/memory/failure-counter.ts';
import { RedisFailureCounter } from './stores/redis/failure-counter.ts';
import { RoomRegistry } from './media/rooms.ts';
import { WorkerPool } from './media/worker-pool.ts';
import { createMemoryStores } from './stores/memory/index.ts';
import { createRedisStores } from './stores/redis/index.ts';
import { guardUnavailable } from './stores/redis/unavailable.ts';
import type { Redis } from 'ioredis';
import { cpuMeter, createCluster, defaultNodeId, type Cluster } from './cluster/create-cluster.ts';
import { markFilesDir, type FilesMarker } from './stores/disk/files-marker.ts';

export interface Deps {
  config: Config;
  logger: Logger;
  stores: Stores;
  pool: WorkerPool;
  rooms: RoomRegistry;
  bus: DomainBus;
  /** The audit trail, for steps no service owns (trust IT draining a node). */
  events: EventRecorder;
  tokens: TokenService;
  appointments: AppointmentService;
  sessions: SessionService;
  /** Sign-in with OpenID Connect; null when config has no oidc section. */
  signIn: SignInService | null;
  /** Clinics and their members. */
  clinics: ClinicService;
  consultations: ConsultationService;
  /** Who watches a clinic waiting area on this node (staff sockets). */
  staffPresence: StaffPresence;
  /** The reads behind the clinic waiting area. */
  waitingArea: WaitingAreaReader;
  /** Notes and re-assigning from the waiting area. */
  waitingActions: WaitingActions;
  /** Sends links by SMS or email through the notification provider (config notify); `configured` false without one. */
  delivery: DeliveryService;
  /** Chat, photo requests and shared files of each consultation. */
  thread: ThreadService;
  files: FileService;
  /** The worker threads that check uploaded files (closed by close()). */
  sanitizer: SanitizePool;
  /** Deletes shared content when due (started here, stopped by close()). */
  purger: ContentPurger;
  presence: Presence;
  /** This node among the nodes on one Redis (registry, placement, bus, relay); single-node stand-ins without Redis. */
  cluster: Cluster;
  /** This node's marker in FILES_DIR, and the check that another node's FILES_DIR is this one. */
  filesMarker: FilesMarker;
  /** The Redis client (null in single-node trial mode): the socket.io adapter and the HTTP rate limit share it. */
  redis: Redis | null;
  lifecycle: Lifecycle;
  /** Connections, media refusals, ICE restarts and resumptions, counted by /metrics. */
  signals: SignalEvents;
  /** Refuses addresses that keep failing (guessing ids, tokens, keys). */
  failureLimiter: FailureLimiter;
  /** The REST API keys: scoped stored ones, and the bootstrap ones (configured, or one generated for a single-node trial). */
  apiKeys: ApiKeyService;
  /** What the scope guard of every REST route plugin needs (http/auth-guard.ts). */
  scopeGuard: ScopeGuardDeps;
  now: () => Date;
  clientDir: string;
  /** Certificate and key when the server terminates TLS itself. */
  tls?: TlsFiles | undefined;
  close(): Promise<void>;
}

export const DEFAULT_CLIENT_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'client', 'dist');

export async function createDeps(config: Config, logger: Logger, opts: { clientDir?: string; now?: () => Date } = {}): Promise<Deps> {
  const now = opts.now ?? (() => new Date());
  const tls = readTls(config);
  const keys = loadKeys(config, logger);
  const oidcSecrets = await loadOidcSecrets(config);
  let stores: Stores;
  let failures: FailureCounter;
  let redis: Redis | null = null;
  const redisTarget = redisTargetOf(config);
  if (redisTarget) {
    redis = await connectRedis(redisTarget, logger, { commandTimeoutMs: config.redis.commandTimeoutMs });
    logger.info({ store: 'redis' }, 'using Redis for appointments, links, waiting rooms and audit events');
    stores = createRedisStores(redis, { trustId: config.audit.trustId, retryAfterSeconds: config.redis.retryAfterSeconds });
    failures = guardUnavailable(new RedisFailureCounter(redis), config.redis.retryAfterSeconds);
  } else {
    failures = new MemoryFailureCounter();
    // The same clock as the services, so record expiry follows it (tests move it).
    stores = createMemoryStores({ trustId: config.audit.trustId, now: () => now().getTime() });
    logger.warn(
      { store: 'memory' },
      'no REDIS_URL or REDIS_SENTINELS: single-node, non-persistent mode; appointments, links and waiting rooms are lost on restart',
    );
  }
  // This node's name among the nodes, and its marker in FILES_DIR (which every node must share).
  const nodeId = config.cluster.nodeId ?? defaultNodeId();
  let filesMarker: FilesMarker;
  try {
    filesMarker = await markFilesDir(config.files.dir, nodeId);
  } catch (e) {
    await stores.close();
    throw new StartupError(`FILES_DIR could not be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`, { cause: e });
  }
  let pool: WorkerPool;
  try {
    pool = await WorkerPool.create(
      {
        numWorkers: config.mediasoup.numWorkers,
        workerBin: config.mediasoup.workerBin,
        logLevel: config.mediasoup.logLevel,
        listenIp: config.mediasoup.listenIp,
        announcedAddress: config.mediasoup.announcedAddress,
        port: config.mediasoup.port,
      },
      logger.child({ component: 'media' }),
    );
  } catch (e) {
    await stores.close();
    throw new StartupError(`mediasoup workers could not start (${(e as Error).message}).`, { cause: e });
  }
  const lifecycle = new Lifecycle();
  const rooms = new RoomRegistry(pool, { peerGraceMs: config.mediasoup.resumeGraceSeconds * 1000, draining: () => lifecycle.draining });
  const bus = new DomainBus(logger.child({ component: 'events' }));
  const presence = new Presence();
  const cpu = cpuMeter();
  const cluster = createCluster(redis, {
    nodeId,
    filesToken: filesMarker.token,
    mediaAddress: config.mediasoup.announcedAddress ?? config.mediasoup.listenIp,
    heartbeatMs: config.cluster.heartbeatMs,
    deadAfterMs: config.cluster.deadAfterMs,
    relayTimeoutMs: config.cluster.relayTimeoutMs,
    load: () => {
      const all = rooms.all();
      return { routers: all.length, consumers: all.reduce((n, r) => n + r.counts().consumers, 0), cpu: cpu(), sockets: presence.count };
    },
    draining: () => lifecycle.draining,
    logger,
  });
  const events = new EventRecorder(stores.events, bus, now, { recordSourceAddress: config.audit.recordSourceAddress });
  const tokens = new TokenService(keys, config.auth.issuer, () => now().getTime());
  const appointments = new AppointmentService({
    stores,
    tokens,
    events,
    bus,
    now,
    policy: {
      publicUrl: config.server.publicUrl,
      joinEarlyMinutes: config.appointments.joinEarlyMinutes,
      graceMinutes: config.appointments.graceMinutes,
      retentionHours: config.appointments.retentionHours,
      clinicianTokenTtlMinutes: config.auth.ticketTtlMinutes,
    },
  });
  const clinics = new ClinicService({ stores, events, bus, now, runningLateHours: config.appointments.runningLateHours });
  const delivery = new DeliveryService({ sender: notifyClientFrom(config.notify), stores, events, now, log: logger.child({ component: 'delivery' }) });
  const sessions = new SessionService({
    stores,
    tokens,
    appointments,
    clinics,
    events,
    bus,
    sessionTtlHours: config.auth.sessionTtlHours,
    staff: {
      idleMinutes: config.auth.sessionIdleMinutes,
      absoluteHours: config.auth.sessionAbsoluteHours,
      ticketTtlMinutes: config.auth.ticketTtlMinutes,
      requireSignIn: config.oidc !== undefined,
    },
    now,
  });
  const apiKeys = new ApiKeyService({
    stores,
    events,
    now,
    bootstrap: bootstrapApiKeys(config, logger),
    policy: { usedEverySeconds: config.auth.apiKeyUseAuditMinutes * 60 },
  });
  const scopeGuard: ScopeGuardDeps = {
    verifyKey: (bearer) => apiKeys.verify(bearer),
    // Staff sessions only (a guest cookie never reaches the REST API).
    staffSession: async (cookie) => {
      const s = await sessions.get(cookie);
      if (s?.kind !== 'clinician') return null;
      await sessions.touch(s);
      return s;
    },
    refused: async (actor, reason, subject) => {
      await events.record('access.refused', null, actor, { outcome: 'refused', reason, subject });
    },
  };
  const signIn =
    config.oidc && oidcSecrets
      ? new SignInService({
          provider: createOidcProvider({ oidc: config.oidc, publicUrl: config.server.publicUrl, secrets: oidcSecrets, logger: logger.child({ component: 'oidc' }), now }),
          mapping: config.oidc,
          logins: stores.sessions,
          sessions,
          clinics,
          events,
          warn: (fields, message) => logger.warn(fields, message),
        })
      : null;
  const staffPresence = new StaffPresence();
  const consultations = new ConsultationService({ stores, appointments, events, bus, maxParticipants: config.appointments.maxParticipants, now, aware: staffPresence.aware });
  const thread = new ThreadService({
    stores,
    consultations,
    appointments,
    events,
    bus,
    now,
    policy: { maxTextLength: config.chat.maxLength, retentionSeconds: config.chat.retentionSeconds, burst: 20, burstWindowSeconds: 10 },
  });
  const waitingArea = new WaitingAreaReader({ stores, now });
  const waitingActions = new WaitingActions({ stores, appointments, thread, reader: waitingArea, events, bus, now });
  const blobs = createDiskBlobStore(config.files.dir);
  const rs = config.recordSystem;
  const fc = config.files;
  // Uploaded files are checked in worker threads, under time, memory and pixel budgets.
  const sanitizer = new SanitizePool(
    {
      threads: fc.sanitizeThreads,
      queue: fc.sanitizeQueue,
      timeoutSeconds: fc.sanitizeTimeoutSeconds,
      memoryMb: fc.sanitizeMemoryMb,
      maxBytes: fc.maxBytes,
      maxPixels: fc.maxPixels,
      maxProgressivePixels: fc.maxProgressivePixels,
    },
    logger.child({ component: 'files' }),
  );
  const files = new FileService({
    stores,
    consultations,
    thread,
    blobs,
    events,
    sanitize: sanitizer.sanitize,
    recordSink: rs.webhookUrl && rs.webhookSecret ? createRecordWebhook({ url: rs.webhookUrl, secret: rs.webhookSecret, timeoutSeconds: rs.timeoutSeconds }) : null,
    policy: {
      maxBytes: config.files.maxBytes,
      maxBytesPerConsultation: config.files.maxBytesPerConsultation,
      guestPdf: config.files.guestPdf,
      retentionSeconds: config.files.retentionSeconds,
      urlTtlSeconds: config.files.urlTtlSeconds,
    },
    now,
  });
  const purger = new ContentPurger({
    stores,
    blobs,
    events,
    bus,
    now,
    logger: logger.child({ component: 'retention' }),
    policy: { chatRetentionSeconds: config.chat.retentionSeconds, filesRetentionSeconds: config.files.retentionSeconds, sweepSeconds: config.files.sweepSeconds },
  });
  purger.start();
  return {
    config,
    logger,
    stores,
    events,
    pool,
    rooms,
    bus,
    tokens,
    appointments,
    sessions,
    signIn,
    clinics,
    consultations,
    staffPresence,
    waitingArea,
    waitingActions,
    delivery,
    thread,
    files,
    sanitizer,
    purger,
    presence,
    cluster,
    filesMarker,
    redis,
    lifecycle,
    signals: new SignalEvents(),
    failureLimiter: new FailureLimiter(
      failures,
      { maxFailures: config.security.maxFailures, windowSeconds: config.security.failureWindowSeconds },
      (address) => {
        logger.warn({ address }, 'address rate limited after repeated failures');
        void events
          .record('access.rate_limited', null, { role: 'anonymous', id: 'unknown', address }, { outcome: 'refused', reason: 'RATE_LIMITED' })
          .catch((e: unknown) => logger.error({ err: e }, 'could not record a rate limit on the audit trail'));
      },
    ),
    apiKeys,
    scopeGuard,
    now,
    clientDir: opts.clientDir ?? DEFAULT_CLIENT_DIR,
    tls,
    close: async () => {
      await cluster.stop();
      await filesMarker.remove().catch((e: unknown) => logger.warn({ err: e }, 'could not remove this node\'s FILES_DIR marker'));
      await purger.stop();
      rooms.closeAll();
      pool.close();
      await sanitizer.close();
      await stores.close();
    },
  };
}
