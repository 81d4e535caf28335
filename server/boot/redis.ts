// Connecting to Redis at start-up: a failed first connection refuses start-up
// (a StartupError) instead of retrying forever. Later outages are transient:
// the client reconnects by itself (ioredis's default backoff, at most 2 s
// apart) and, meanwhile, every command fails fast, which the stores turn into
// UNAVAILABLE (stores/redis/unavailable.ts):
// - enableOfflineQueue false: a command sent while disconnected is refused at
//   once, instead of queueing (and holding a request open) for as long as the
//   outage lasts;
// - commandTimeout: a command sent to a Redis that stopped answering (hung,
//   or its connection silently gone) fails after this long;
// - autoResendUnfulfilledCommands false: a command cut off by a dropped
//   connection has already been reported as failed (by the timeout), so it is
//   not run again later behind its caller's back.
//
// Redis is one URL (REDIS_URL), or Sentinels (REDIS_SENTINELS) that name the
// current master of REDIS_SENTINEL_NAME. With Sentinels a fail-over is one
// more outage: the lost connection reconnects by asking the Sentinels again,
// and they answer with the promoted replica; nothing restarts.
import { readFileSync, statSync } from 'node:fs';
import { Redis, type RedisOptions } from 'ioredis';
import type { Config } from '../../config/schema.ts';
import type { Logger } from '../core/logger.ts';
import { StartupError } from './startup-error.ts';

export interface RedisClientOptions {
  /** Milliseconds a command may wait for Redis's answer. */
  commandTimeoutMs: number;
}

/**
 * Where Redis is: one server by URL (which carries any user and password), or
 * the master that Sentinels name, with the master's user and password and the
 * Sentinels' own password when they have them (read from their files).
 */
export type RedisTarget =
  | { kind: 'url'; url: string }
  | {
      kind: 'sentinel';
      sentinels: { host: string; port: number }[];
      name: string;
      username?: string;
      password?: string;
      sentinelPassword?: string;
      /** TLS to the master and replicas, and to the Sentinels; `ca` the PEM of REDIS_TLS_CA_FILE (else the system's CAs). */
      tls?: { ca?: Buffer };
      sentinelTls?: { ca?: Buffer };
    };

/** The most a password file may hold: Redis passwords are a line, not a document. */
const MAX_PASSWORD_BYTES = 4096;

/** A setting's file holding `what`, at most `maxBytes` (measured before it is read); a StartupError naming the setting, never the content, otherwise. */
function fileOf(setting: string, file: string, what: string, maxBytes: number): Buffer {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (e) {
    throw new StartupError(`${setting} could not be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`, { cause: e });
  }
  if (size > maxBytes) throw new StartupError(`${setting} names a file of ${String(size)} bytes: ${what} is at most ${String(maxBytes)}.`);
  try {
    return readFileSync(file);
  } catch (e) {
    throw new StartupError(`${setting} could not be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`, { cause: e });
  }
}

/** A password from its file (one trailing newline dropped), on one line. */
function passwordFrom(file: string, setting: string): string {
  const text = fileOf(setting, file, 'a password', MAX_PASSWORD_BYTES).toString('utf8').replace(/\r?\n$/, '');
  if (text.length === 0 || /[\r\n]/.test(text)) throw new StartupError(`${setting} must hold the password on one line.`);
  return text;
}

/** A CA bundle is a few certificates, not megabytes. */
const MAX_CA_BYTES = 1024 * 1024;

/** The TLS settings with Sentinels, the CA file read once for both; a StartupError naming the setting when it cannot be used. */
function tlsOf(r: Config['redis']): { tls?: { ca?: Buffer }; sentinelTls?: { ca?: Buffer } } {
  if (!r.tls && !r.sentinelTls) {
    if (r.tlsCaFile) throw new StartupError('redis.tlsCaFile (REDIS_TLS_CA_FILE) is set but neither REDIS_TLS nor REDIS_SENTINEL_TLS is: nothing would use it.');
    return {};
  }
  const ca = r.tlsCaFile ? fileOf('redis.tlsCaFile (REDIS_TLS_CA_FILE)', r.tlsCaFile, 'a CA bundle', MAX_CA_BYTES) : undefined;
  if (ca && !ca.toString('latin1').includes('-----BEGIN CERTIFICATE-----')) throw new StartupError('redis.tlsCaFile (REDIS_TLS_CA_FILE) must hold PEM certificates (-----BEGIN CERTIFICATE-----).');
  const options = ca ? { ca } : {};
  return { ...(r.tls ? { tls: options } : {}), ...(r.sentinelTls ? { sentinelTls: options } : {}) };
}

/** A config `host:port` (`[v6]:port`) as ioredis wants it; the config schema has checked its form. */
function hostPort(s: string): { host: string; port: number } {
  const at = s.lastIndexOf(':');
  return { host: s.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(s.slice(at + 1)) };
}

/** The Redis this config names; null in trial mode (neither REDIS_URL nor REDIS_SENTINELS). */
export function redisTargetOf(config: Pick<Config, 'redisUrl' | 'redis'>): RedisTarget | null {
  const r = config.redis;
  if (r.sentinels?.length) {
    return {
      kind: 'sentinel',
      sentinels: r.sentinels.map(hostPort),
      name: r.sentinelName,
      ...(r.username ? { username: r.username } : {}),
      ...(r.passwordFile ? { password: passwordFrom(r.passwordFile, 'redis.passwordFile (REDIS_PASSWORD_FILE)') } : {}),
      ...(r.sentinelPasswordFile ? { sentinelPassword: passwordFrom(r.sentinelPasswordFile, 'redis.sentinelPasswordFile (REDIS_SENTINEL_PASSWORD_FILE)') } : {}),
      ...tlsOf(r),
    };
  }
  if (config.redisUrl) return { kind: 'url', url: config.redisUrl };
  return null;
}

/** For log lines and start-up errors: never the URL itself, which may carry a password. */
export function describeRedisTarget(target: RedisTarget): string {
  return target.kind === 'url' ? 'Redis at REDIS_URL' : `Redis master "${target.name}" from REDIS_SENTINELS (${target.sentinels.map((s) => `${s.host}:${String(s.port)}`).join(', ')})`;
}

/**
 * The ioredis options every connection of this server uses: fail fast (above),
 * not connected until connect() (lazyConnect), and for Sentinels where to ask.
 * A URL target passes its URL beside them (createRedisClient), so ioredis
 * reads host, password, database and TLS from it as it always has.
 */
export function redisClientOptions(target: RedisTarget, opts: RedisClientOptions): RedisOptions {
  const common: RedisOptions = {
    lazyConnect: true,
    connectTimeout: 3000,
    enableOfflineQueue: false,
    commandTimeout: opts.commandTimeoutMs,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 1,
  };
  if (target.kind === 'url') return common;
  return {
    ...common,
    sentinels: target.sentinels,
    name: target.name,
    role: 'master',
    // The master's (and, after a fail-over, the promoted replica's) credentials; the Sentinels' own.
    ...(target.username ? { username: target.username } : {}),
    ...(target.password ? { password: target.password } : {}),
    ...(target.sentinelPassword ? { sentinelPassword: target.sentinelPassword } : {}),
    // TLS: to the master and replicas the Sentinels name (ioredis applies `tls` there only with
    // enableTLSForSentinelMode), and to the Sentinels themselves.
    ...(target.tls ? { tls: { ...target.tls }, enableTLSForSentinelMode: true } : {}),
    ...(target.sentinelTls ? { sentinelTLS: { ...target.sentinelTls } } : {}),
    // A Sentinel that hangs fails like a Redis that hangs. Asking them again after an
    // outage (sentinelRetryStrategy) keeps ioredis's default: forever, at most 1 s apart.
    sentinelCommandTimeout: opts.commandTimeoutMs,
    // A planned fail-over leaves the old master up, taking writes for up to ~10 s
    // until the Sentinel demotes it, and those writes are then lost: leave it the
    // moment a Sentinel announces the new master (+switch-master).
    failoverDetector: true,
    // A master demoted under us answers READONLY: reconnect through the Sentinels
    // (the command that met it fails; its caller retries).
    reconnectOnError: (err: Error) => err.message.startsWith('READONLY'),
  };
}

/**
 * A client made as every connection of this server is (not connected yet).
 * For another connection beside the stores' one (a subscriber, a blocking
 * stream reader), this or `redis.duplicate(overrides)` of a connected client,
 * which copies the same options, Sentinels included. A blocking command (XREAD
 * BLOCK) needs a commandTimeout longer than its block, or none (overrides).
 */
export function createRedisClient(target: RedisTarget, opts: RedisClientOptions, overrides: RedisOptions = {}): Redis {
  const options = { ...redisClientOptions(target, opts), ...overrides };
  return target.kind === 'url' ? new Redis(target.url, options) : new Redis(options);
}

const SENTINELS_UNREACHABLE = 'All sentinels are unreachable';

/** Connects (a URL string is a target of kind 'url'); a StartupError when Redis cannot be reached now. */
export async function connectRedis(target: RedisTarget | string, logger: Logger, opts: RedisClientOptions = { commandTimeoutMs: 2000 }): Promise<Redis> {
  const t: RedisTarget = typeof target === 'string' ? { kind: 'url', url: target } : target;
  // Auto-pipelining: the commands of one event-loop turn go out as one write (and come back as one
  // read) instead of a write each; under load that was a fifth of the server's time (bench capacity).
  // Only this client: a connection for blocking reads or pub/sub is a dedicatedConnection (core/redis-connection.ts).
  const redis = createRedisClient(t, opts, { enableAutoPipelining: true });
  // Logged once per outage and once on recovery, not on every reconnect attempt.
  // 'reconnecting' is the lost connection itself (never our own quit); 'error' a failed connect.
  let down = false;
  const unreachable = (reason: string): void => {
    if (down) return;
    down = true;
    logger.warn({ err: { message: reason } }, 'redis unreachable: requests answer UNAVAILABLE until it is back');
  };
  redis.on('error', (err: Error) => unreachable(err.message));
  redis.on('reconnecting', () => unreachable('connection lost'));
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    logger.info('redis reachable again');
  });
  // With Sentinels, ioredis asks them again forever and its connect() never settles while
  // none answers: the first round in which none did refuses start-up instead.
  let noSentinel: (e: Error) => void = () => undefined;
  const sentinelsDown = new Promise<never>((_, reject) => {
    noSentinel = reject;
  });
  const onError = (err: Error): void => {
    if (err.message.startsWith(SENTINELS_UNREACHABLE)) noSentinel(err);
  };
  redis.on('error', onError);
  try {
    await Promise.race([redis.connect(), sentinelsDown]);
    await redis.ping();
  } catch (e) {
    redis.disconnect();
    throw new StartupError(`${describeRedisTarget(t)} is unreachable (${(e as Error).message}); refusing to start.`, { cause: e });
  } finally {
    redis.off('error', onError);
  }
  logger.info({ redis: t.kind }, `connected to ${describeRedisTarget(t)}`);
  return redis;
}
