// The composition root: every dependency is made here, once, from the
// validated config, and passed down explicitly. Nothing else constructs
// stores, workers or services.
import { Redis } from 'ioredis';
import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/schema.ts';
import type { Logger } from './core/logger.ts';
import { SessionService } from './domain/access/sessions.ts';
import { ephemeralSigningKey, keyRing, TokenService, type KeyRing } from './domain/access/tokens.ts';
import { AppointmentService } from './domain/appointments.ts';
import { ConsultationService } from './domain/consultation.ts';
import { ContentPurger } from './domain/files/purger.ts';
import { FileService } from './domain/files/service.ts';
import { SanitizePool } from './files-worker/sanitize-pool.ts';
import { ThreadService } from './domain/thread.ts';
import { createRecordWebhook } from './integrations/record-webhook.ts';
import { createDiskBlobStore } from './stores/disk/blob-store.ts';
import { DomainBus, EventRecorder } from './domain/events.ts';
import type { Stores } from './domain/stores.ts';
import { Presence } from './signaling/presence.ts';
import { Lifecycle } from './core/lifecycle.ts';
import { FailureLimiter, MemoryFailureCounter, RedisFailureCounter, type FailureCounter } from './http/failure-limiter.ts';
import { RoomRegistry } from './media/rooms.ts';
import { WorkerPool } from './media/worker-pool.ts';
import { createMemoryStores } from './stores/memory/index.ts';
import { createRedisStores } from './stores/redis/index.ts';

export interface Deps {
  config: Config;
  logger: Logger;
  stores: Stores;
  pool: WorkerPool;
  rooms: RoomRegistry;
  bus: DomainBus;
  tokens: TokenService;
  appointments: AppointmentService;
  sessions: SessionService;
  consultations: ConsultationService;
  /** Chat, photo requests and shared files of each consultation. */
  thread: ThreadService;
  files: FileService;
  /** The worker threads that check uploaded files (closed by close()). */
  sanitizer: SanitizePool;
  /** Deletes shared content when due (started here, stopped by close()). */
  purger: ContentPurger;
  presence: Presence;
  lifecycle: Lifecycle;
  /** Refuses addresses that keep failing (guessing ids, tokens, keys). */
  failureLimiter: FailureLimiter;
  /** The REST API keys in force (configured, or one generated for a single-node trial). */
  apiKeys: readonly string[];
  now: () => Date;
  clientDir: string;
  /** Certificate and key when the server terminates TLS itself. */
  tls?: { key: Buffer; cert: Buffer } | undefined;
  close(): Promise<void>;
}

export const DEFAULT_CLIENT_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'client', 'dist');

export class StartupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StartupError';
  }
}

async function connectRedis(url: string, logger: Logger, trustId: string): Promise<{ stores: Stores; redis: Redis }> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2, connectTimeout: 3000, enableOfflineQueue: true });
  // A failed first connection must refuse start-up, not retry forever.
  redis.on('error', (err: Error) => logger.warn({ err: { message: err.message } }, 'redis connection error'));
  try {
    await redis.connect();
    await redis.ping();
  } catch (e) {
    redis.disconnect();
    throw new StartupError(`Redis at REDIS_URL is unreachable (${(e as Error).message}); refusing to start.`, { cause: e });
  }
  logger.info({ store: 'redis' }, 'using Redis for appointments, links, waiting rooms and audit events');
  return { stores: createRedisStores(redis, { trustId }), redis };
}

function loadKeys(config: Config, logger: Logger): KeyRing {
  const a = config.auth;
  const older = a.verificationKeys.map((k) => ({ kid: k.kid, publicKey: createPublicKey(readFileSync(k.publicKeyFile)) }));
  if (a.signingKeyFile) {
    const privateKey = createPrivateKey(readFileSync(a.signingKeyFile));
    if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new StartupError('auth.signingKeyFile must hold an EC P-256 private key (ES256).');
    }
    return keyRing({ kid: a.signingKeyId, privateKey }, older);
  }
  logger.warn('no JWT_SIGNING_KEY_FILE: using a throwaway signing key; links stop working when the server restarts');
  return keyRing(ephemeralSigningKey(a.signingKeyId), older);
}

function readTls(config: Config): { key: Buffer; cert: Buffer } | undefined {
  const t = config.server.tls;
  if (!t) return undefined;
  try {
    return { key: readFileSync(t.keyFile), cert: readFileSync(t.certFile) };
  } catch (e) {
    throw new StartupError(`the TLS certificate or key could not be read (${(e as NodeJS.ErrnoException).code ?? 'error'}).`, { cause: e });
  }
}

function apiKeysFor(config: Config, logger: Logger): string[] {
  if (config.auth.apiKeys.length > 0) return config.auth.apiKeys;
  if (config.redisUrl) {
    logger.warn('no API_KEYS: the REST API refuses every request until keys are configured');
    return [];
  }
  // A single-node trial run still needs a way to create appointments: a key
  // for this process only, printed on the console (never logged).
  const key = randomBytes(24).toString('base64url');
  console.warn(`\nNo API_KEYS set. For this run only, the REST API key is:\n\n  ${key}\n`);
  return [key];
}

export async function createDeps(config: Config, logger: Logger, opts: { clientDir?: string; now?: () => Date } = {}): Promise<Deps> {
  const now = opts.now ?? (() => new Date());
  let keys: KeyRing;
  const tls = readTls(config);
  try {
    keys = loadKeys(config, logger);
  } catch (e) {
    if (e instanceof StartupError) throw e;
    throw new StartupError(`the JWT keys could not be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`, { cause: e });
  }
  let stores: Stores;
  let failures: FailureCounter;
  if (config.redisUrl) {
    const r = await connectRedis(config.redisUrl, logger, config.audit.trustId);
    stores = r.stores;
    failures = new RedisFailureCounter(r.redis);
  } else {
    failures = new MemoryFailureCounter();
    stores = createMemoryStores({ trustId: config.audit.trustId });
    logger.warn(
      { store: 'memory' },
      'no REDIS_URL: single-node, non-persistent mode; appointments, links and waiting rooms are lost on restart',
    );
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
  const rooms = new RoomRegistry(pool);
  const bus = new DomainBus();
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
      clinicianTokenTtlMinutes: config.auth.clinicianTokenTtlMinutes,
    },
  });
  const sessions = new SessionService({ stores, tokens, appointments, events, bus, sessionTtlHours: config.auth.sessionTtlHours, now });
  const consultations = new ConsultationService({ stores, appointments, events, bus, maxParticipants: config.appointments.maxParticipants, now });
  const thread = new ThreadService({
    stores,
    consultations,
    appointments,
    events,
    bus,
    now,
    policy: { maxTextLength: config.chat.maxLength, retentionSeconds: config.chat.retentionSeconds, burst: 20, burstWindowSeconds: 10 },
  });
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
    pool,
    rooms,
    bus,
    tokens,
    appointments,
    sessions,
    consultations,
    thread,
    files,
    sanitizer,
    purger,
    presence: new Presence(),
    lifecycle: new Lifecycle(),
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
    apiKeys: apiKeysFor(config, logger),
    now,
    clientDir: opts.clientDir ?? DEFAULT_CLIENT_DIR,
    tls,
    close: async () => {
      await purger.stop();
      rooms.closeAll();
      pool.close();
      await sanitizer.close();
      await stores.close();
    },
  };
}
