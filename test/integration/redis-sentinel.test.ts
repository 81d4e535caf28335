// Redis through Sentinel: the server's own client (boot/redis.ts, reached
// through REDIS_SENTINELS) and the stores over it survive the master's crash.
// Real processes: a master, its replica, one Sentinel (quorum 1). The master
// is SIGKILLed; the Sentinel promotes the replica; the same client, without
// a restart, writes to the new master and still reads what it wrote before.
// With passwords (requirepass on Redis and on the Sentinel, read from the
// files REDIS_PASSWORD_FILE and REDIS_SENTINEL_PASSWORD_FILE) the same holds,
// and a wrong password refuses start-up without showing it. With TLS only
// (REDIS_TLS, REDIS_SENTINEL_TLS, REDIS_TLS_CA_FILE) too: replication and the
// Sentinel's own links speak TLS, and a client that does not trust the CA, or
// speaks plain text, is refused at start-up.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { loadConfig } from '../../config/load.ts';
import { connectRedis, redisTargetOf } from '../../server/boot/redis.ts';
import { StartupError } from '../../server/boot/startup-error.ts';
import { createLogger } from '../../server/core/logger.ts';
import { randomId, type AppointmentId } from '../../server/core/ids.ts';
import type { Appointment } from '../../server/domain/model.ts';
import type { Stores } from '../../server/domain/stores.ts';
import { createRedisStores } from '../../server/stores/redis/index.ts';
import { freeTcpPort } from '../support/ports.ts';
import { sentinelTlsFiles, sentinelUnavailable, startSentinelSet, type SentinelSet } from '../support/redis-sentinel.ts';

const unavailable = await sentinelUnavailable();
if (unavailable) console.warn(`skipping the Sentinel tests: ${unavailable}`);

const logger = createLogger('silent');
const HOUR = 3600;

function anAppointment(): Appointment {
  const now = new Date().toISOString();
  return {
    id: randomId<AppointmentId>(),
    clinician: { id: 'gp-1', name: 'Dr Asha Patel' },
    patientName: 'Aroha Wiremu',
    startsAt: now,
    durationMinutes: 20,
    createdAt: now,
    status: 'scheduled',
    locked: false,
  };
}

/** What connecting with this environment does at start-up: the client, or the error that refused it. */
async function startWith(env: Record<string, string>): Promise<{ client: Redis } | { refused: unknown }> {
  try {
    return { client: await connectRedis(redisTargetOf(loadConfig(env))!, logger, { commandTimeoutMs: 1000 }) };
  } catch (e) {
    return { refused: e };
  }
}

/** The error start-up was refused with (failing the test when it connected). */
async function refusedWith(env: Record<string, string>): Promise<Error> {
  const r = await startWith(env);
  if ('client' in r) {
    r.client.disconnect();
    throw new Error(`connected with ${JSON.stringify(Object.keys(env))}, expected a refusal`);
  }
  expect(r.refused).toBeInstanceOf(StartupError);
  return r.refused as Error;
}

/**
 * Writes through `stores`, SIGKILLs the master, and checks the same client
 * writes to the promoted replica and still reads the write from before.
 */
async function followsACrash(set: SentinelSet, client: Redis, stores: Stores): Promise<void> {
  const before = anAppointment();
  await stores.appointments.create(before, HOUR);
  // Replication is asynchronous: wait until the replica has this write, so it survives the crash.
  expect(await client.call('WAIT', 1, 900)).toBe(1);
  await set.master.kill('SIGKILL');
  // Meanwhile the stores answer UNAVAILABLE (retryable), not some other failure.
  await expect(stores.appointments.get(before.id)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  await expect.poll(() => set.masterPort(), { timeout: 20_000, interval: 200 }).toBe(set.replica.port);
  const after = anAppointment();
  await expect
    .poll(
      () =>
        stores.appointments.create(after, HOUR).then(
          () => 'written',
          (e: { code?: string }) => e.code ?? 'other',
        ),
      { timeout: 20_000, interval: 250 },
    )
    .toBe('written');
  expect(await client.info('server')).toContain(`tcp_port:${String(set.replica.port)}`);
  expect(await stores.appointments.get(after.id)).toEqual(after);
  expect(await stores.appointments.get(before.id)).toEqual(before);
}

describe.skipIf(unavailable !== null)('Redis through Sentinel', () => {
  let set: SentinelSet;
  let redis: Redis | undefined;
  let stores: Stores | undefined;
  beforeAll(async () => {
    set = await startSentinelSet();
  });
  afterAll(async () => {
    await stores?.close();
    await set?.stop();
  });

  it('connects to the master the Sentinel names, and after the master is killed writes to the promoted replica without a restart', async () => {
    const config = loadConfig({ REDIS_SENTINELS: `127.0.0.1:${String(set.sentinel.port)}`, REDIS_SENTINEL_NAME: set.name, REDIS_COMMAND_TIMEOUT_MS: '1000' });
    const target = redisTargetOf(config);
    expect(target).toEqual({ kind: 'sentinel', sentinels: [{ host: '127.0.0.1', port: set.sentinel.port }], name: set.name });
    redis = await connectRedis(target!, logger, { commandTimeoutMs: config.redis.commandTimeoutMs });
    stores = createRedisStores(redis, { retryAfterSeconds: 1 });
    expect(await redis.info('server')).toContain(`tcp_port:${String(set.master.port)}`);
    await followsACrash(set, redis, stores);
    expect(await redis.info('replication')).toContain('role:master');
  });

  it('follows a planned fail-over (SENTINEL FAILOVER) while the old master stays up, as for a Redis upgrade', async () => {
    const planned = await startSentinelSet();
    let client: Redis | undefined;
    let own: Stores | undefined;
    try {
      const config = loadConfig({ REDIS_SENTINELS: `127.0.0.1:${String(planned.sentinel.port)}`, REDIS_COMMAND_TIMEOUT_MS: '1000' });
      client = await connectRedis(redisTargetOf(config)!, logger, { commandTimeoutMs: 1000 });
      own = createRedisStores(client, { retryAfterSeconds: 1 });
      const before = anAppointment();
      await own.appointments.create(before, HOUR);
      expect(await client.call('WAIT', 1, 900)).toBe(1);

      await planned.sentinelCall('FAILOVER', planned.name);
      await expect.poll(() => planned.masterPort(), { timeout: 20_000, interval: 200 }).toBe(planned.replica.port);
      // The Sentinel then turns the old master into a replica of the new one and drops its clients:
      // the client reconnects through the Sentinel and writes reach the new master, not READONLY for good.
      const after = anAppointment();
      const port = `tcp_port:${String(planned.replica.port)}`;
      await expect
        .poll(
          async () => {
            try {
              await own!.appointments.create(after, HOUR);
              return (await client!.info('server')).includes(port) ? 'written on the new master' : 'written on the old master';
            } catch (e) {
              return (e as { code?: string; message?: string }).code ?? (e as Error).message;
            }
          },
          { timeout: 20_000, interval: 250 },
        )
        .toBe('written on the new master');
      expect(await own.appointments.get(after.id)).toEqual(after);
      expect(await own.appointments.get(before.id)).toEqual(before);
    } finally {
      await own?.close();
      await planned.stop();
    }
  });

  it('with passwords on Redis and on the Sentinel, read from their files: connects, and follows a crash of the master', async () => {
    const secrets = { password: 'redis-pw-Qm7fK2xV9t', sentinelPassword: 'sentinel-pw-Lr4cW8nZ3p' };
    const guarded = await startSentinelSet('guarded', secrets);
    const dir = mkdtempSync(path.join(tmpdir(), 'consultroom-redis-secrets-'));
    let client: Redis | undefined;
    let own: Stores | undefined;
    try {
      const file = (name: string, text: string) => {
        const f = path.join(dir, name);
        writeFileSync(f, text, { mode: 0o600 });
        return f;
      };
      const env = (password: string, sentinelPassword: string) => ({
        REDIS_SENTINELS: `127.0.0.1:${String(guarded.sentinel.port)}`,
        REDIS_SENTINEL_NAME: guarded.name,
        REDIS_COMMAND_TIMEOUT_MS: '1000',
        REDIS_PASSWORD_FILE: file(`redis-${password}`, `${password}\n`),
        REDIS_SENTINEL_PASSWORD_FILE: file(`sentinel-${sentinelPassword}`, `${sentinelPassword}\n`),
      });
      // A wrong password for Redis, or for the Sentinel: refused at start, the password never shown.
      for (const [password, sentinelPassword] of [
        ['wrong-redis-pw', secrets.sentinelPassword],
        [secrets.password, 'wrong-sentinel-pw'],
      ] as const) {
        const refused = await refusedWith(env(password, sentinelPassword));
        for (const p of [password, sentinelPassword, secrets.password, secrets.sentinelPassword]) expect(refused.message).not.toContain(p);
      }

      const target = redisTargetOf(loadConfig(env(secrets.password, secrets.sentinelPassword)))!;
      expect(target).toMatchObject({ kind: 'sentinel', password: secrets.password, sentinelPassword: secrets.sentinelPassword });
      client = await connectRedis(target, logger, { commandTimeoutMs: 1000 });
      own = createRedisStores(client, { retryAfterSeconds: 1 });
      await followsACrash(guarded, client, own);
    } finally {
      await own?.close();
      await guarded.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('over TLS only, with passwords: trusts the CA of REDIS_TLS_CA_FILE, and follows a crash of the master', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'consultroom-redis-tls-'));
    const tls = sentinelTlsFiles(dir);
    const secrets = { password: 'redis-pw-Hb2sD8kT4w', sentinelPassword: 'sentinel-pw-Vn6yJ1qR5m' };
    const guarded = await startSentinelSet('sealed', { ...secrets, tls });
    let client: Redis | undefined;
    let own: Stores | undefined;
    try {
      writeFileSync(path.join(dir, 'redis-pw'), secrets.password);
      writeFileSync(path.join(dir, 'sentinel-pw'), secrets.sentinelPassword);
      const base = {
        REDIS_SENTINELS: `127.0.0.1:${String(guarded.sentinel.port)}`,
        REDIS_SENTINEL_NAME: guarded.name,
        REDIS_COMMAND_TIMEOUT_MS: '1000',
        REDIS_PASSWORD_FILE: path.join(dir, 'redis-pw'),
        REDIS_SENTINEL_PASSWORD_FILE: path.join(dir, 'sentinel-pw'),
      };
      const full = { ...base, REDIS_TLS: 'true', REDIS_SENTINEL_TLS: 'true', REDIS_TLS_CA_FILE: tls.certFile };
      // Plain text to a TLS port, TLS to the master but not the Sentinel (or the reverse), or a CA the
      // certificates are not from (the system's): each refused at start-up, not retried for ever.
      const wrong: Record<string, string>[] = [
        base,
        { ...full, REDIS_SENTINEL_TLS: 'false' },
        { ...full, REDIS_TLS: 'false' },
        { ...base, REDIS_TLS: 'true', REDIS_SENTINEL_TLS: 'true' },
      ];
      for (const env of wrong) await refusedWith(env);

      client = await connectRedis(redisTargetOf(loadConfig(full))!, logger, { commandTimeoutMs: 1000 });
      own = createRedisStores(client, { retryAfterSeconds: 1 });
      // The connection is TLS, to the master the Sentinel named.
      expect((client as unknown as { stream: unknown }).stream).toBeInstanceOf(TLSSocket);
      expect(await client.info('server')).toContain(`tcp_port:${String(guarded.master.port)}`);
      await followsACrash(guarded, client, own);
    } finally {
      await own?.close();
      await guarded.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start, naming the Sentinels, when none of them answers', async () => {
    const nobody = await freeTcpPort();
    const refused = await refusedWith({ REDIS_SENTINELS: `127.0.0.1:${String(nobody)}` });
    expect(refused.message).toContain(`REDIS_SENTINELS (127.0.0.1:${String(nobody)})`);
    expect(refused.message).toContain('refusing to start');
  });
});
