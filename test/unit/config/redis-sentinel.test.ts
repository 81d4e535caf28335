// Redis is one URL or Sentinels that name the master; never both, and
// neither is the single-node trial. What each config connects to
// (boot/redis.ts redisTargetOf) and what the server refuses to start with.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../config/load.ts';
import { describeRedisTarget, redisClientOptions, redisTargetOf } from '../../../server/boot/redis.ts';
import { StartupError } from '../../../server/boot/startup-error.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'consultroom-redis-auth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const fileOf = (content: string | Buffer): string => {
  const f = path.join(dir, `secret-${String(++files)}`);
  writeFileSync(f, content);
  return f;
};

const problemsOf = (env: Record<string, string>): { key: string; problem: string }[] => {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
};

describe('Redis target', () => {
  it('is none in trial mode, the URL with REDIS_URL, the Sentinels with REDIS_SENTINELS', () => {
    expect(redisTargetOf(loadConfig({}))).toBeNull();
    expect(redisTargetOf(loadConfig({ REDIS_URL: 'redis://:secret@10.0.0.5:6380/2' }))).toEqual({ kind: 'url', url: 'redis://:secret@10.0.0.5:6380/2' });
    const c = loadConfig({ REDIS_SENTINELS: 'sentinel-a:26379, 10.0.0.7:26380,[fd00::1]:26379' });
    expect(c.redis.sentinelName).toBe('mymaster');
    expect(redisTargetOf(c)).toEqual({
      kind: 'sentinel',
      name: 'mymaster',
      sentinels: [
        { host: 'sentinel-a', port: 26379 },
        { host: '10.0.0.7', port: 26380 },
        { host: 'fd00::1', port: 26379 },
      ],
    });
    expect(redisTargetOf(loadConfig({ REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_NAME: 'consultroom' }))).toMatchObject({ name: 'consultroom' });
  });

  it('never puts the URL (which may hold a password) in what it says about the target', () => {
    const url = redisTargetOf(loadConfig({ REDIS_URL: 'redis://:secret@10.0.0.5:6380' }))!;
    expect(describeRedisTarget(url)).toBe('Redis at REDIS_URL');
    const sentinels = redisTargetOf(loadConfig({ REDIS_SENTINELS: 'a:26379,b:26379' }))!;
    expect(describeRedisTarget(sentinels)).toBe('Redis master "mymaster" from REDIS_SENTINELS (a:26379, b:26379)');
  });

  it('gives Sentinel connections the same fail-fast options as a URL connection', () => {
    const opts = { commandTimeoutMs: 1500 };
    const fromUrl = redisClientOptions({ kind: 'url', url: 'redis://r:6379' }, opts);
    const fromSentinels = redisClientOptions({ kind: 'sentinel', sentinels: [{ host: 's', port: 26379 }], name: 'mymaster' }, opts);
    const failFast = { lazyConnect: true, enableOfflineQueue: false, commandTimeout: 1500, autoResendUnfulfilledCommands: false, maxRetriesPerRequest: 1 };
    expect(fromUrl).toMatchObject(failFast);
    expect(fromSentinels).toMatchObject({ ...failFast, sentinels: [{ host: 's', port: 26379 }], name: 'mymaster', role: 'master', failoverDetector: true });
  });
});

describe('Redis and Sentinel passwords (with REDIS_SENTINELS)', () => {
  const sentinels = { REDIS_SENTINELS: 's:26379' };

  it('are read from their files (one trailing newline dropped) and given to the master and the Sentinels', () => {
    const target = redisTargetOf(
      loadConfig({ ...sentinels, REDIS_USERNAME: 'consultroom', REDIS_PASSWORD_FILE: fileOf('pw for redis\n'), REDIS_SENTINEL_PASSWORD_FILE: fileOf('pw-for-sentinel\r\n') }),
    )!;
    expect(target).toMatchObject({ kind: 'sentinel', username: 'consultroom', password: 'pw for redis', sentinelPassword: 'pw-for-sentinel' });
    expect(redisClientOptions(target, { commandTimeoutMs: 1000 })).toMatchObject({ username: 'consultroom', password: 'pw for redis', sentinelPassword: 'pw-for-sentinel' });
    // Never in what is said about the target.
    expect(describeRedisTarget(target)).not.toMatch(/pw/);
  });

  it('without files, none is sent (a Redis without requirepass)', () => {
    const options = redisClientOptions(redisTargetOf(loadConfig(sentinels))!, { commandTimeoutMs: 1000 });
    expect(options).not.toHaveProperty('password');
    expect(options).not.toHaveProperty('sentinelPassword');
    expect(options).not.toHaveProperty('username');
  });

  it('refuse start-up, naming the setting and never the content, when a file is missing, empty, several lines or too large', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ REDIS_PASSWORD_FILE: path.join(dir, 'absent') }, /redis\.passwordFile \(REDIS_PASSWORD_FILE\) could not be read \(ENOENT\)/],
      [{ REDIS_SENTINEL_PASSWORD_FILE: fileOf('') }, /REDIS_SENTINEL_PASSWORD_FILE\) must hold the password on one line/],
      [{ REDIS_PASSWORD_FILE: fileOf('line-one-secret\nline-two-secret\n') }, /must hold the password on one line/],
      [{ REDIS_PASSWORD_FILE: fileOf(Buffer.alloc(5000, 'x')) }, /a file of 5000 bytes: a password is at most 4096/],
    ];
    for (const [env, message] of cases) {
      let thrown: unknown;
      try {
        redisTargetOf(loadConfig({ ...sentinels, ...env }));
      } catch (e) {
        thrown = e;
      }
      expect(thrown, JSON.stringify(env)).toBeInstanceOf(StartupError);
      expect((thrown as Error).message).toMatch(message);
      expect((thrown as Error).message).not.toMatch(/secret|xxxx/);
    }
  });

  it('are refused beside REDIS_URL, whose URL carries the user, the password and TLS', () => {
    const problems = problemsOf({
      REDIS_URL: 'redis://r:6379',
      REDIS_USERNAME: 'u',
      REDIS_PASSWORD_FILE: '/run/secrets/redis',
      REDIS_SENTINEL_PASSWORD_FILE: '/run/secrets/sentinel',
      REDIS_TLS: 'true',
      REDIS_SENTINEL_TLS: 'true',
      REDIS_TLS_CA_FILE: '/etc/ssl/redis-ca.pem',
    });
    expect(problems.map((p) => p.key).sort()).toEqual([
      'redis.passwordFile (env REDIS_PASSWORD_FILE)',
      'redis.sentinelPasswordFile (env REDIS_SENTINEL_PASSWORD_FILE)',
      'redis.sentinelTls (env REDIS_SENTINEL_TLS)',
      'redis.tls (env REDIS_TLS)',
      'redis.tlsCaFile (env REDIS_TLS_CA_FILE)',
      'redis.username (env REDIS_USERNAME)',
    ]);
    for (const p of problems) expect(p.problem).toContain('rediss://');
    // Saying no to TLS beside a URL is no conflict.
    expect(() => loadConfig({ REDIS_URL: 'redis://r:6379', REDIS_TLS: 'false' })).not.toThrow();
  });

  it('TLS: to the master and replicas, to the Sentinels, or both, trusting the CA file when one is named', () => {
    const pem = fileOf('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const both = redisTargetOf(loadConfig({ ...sentinels, REDIS_TLS: 'true', REDIS_SENTINEL_TLS: 'true', REDIS_TLS_CA_FILE: pem }))!;
    const options = redisClientOptions(both, { commandTimeoutMs: 1000 });
    expect(options).toMatchObject({ enableTLSForSentinelMode: true, tls: { ca: expect.any(Buffer) as Buffer }, sentinelTLS: { ca: expect.any(Buffer) as Buffer } });
    const onlyMaster = redisClientOptions(redisTargetOf(loadConfig({ ...sentinels, REDIS_TLS: 'true' }))!, { commandTimeoutMs: 1000 });
    expect(onlyMaster).toMatchObject({ enableTLSForSentinelMode: true, tls: {} });
    expect(onlyMaster).not.toHaveProperty('sentinelTLS');
    const onlySentinels = redisClientOptions(redisTargetOf(loadConfig({ ...sentinels, REDIS_SENTINEL_TLS: 'true' }))!, { commandTimeoutMs: 1000 });
    expect(onlySentinels).toMatchObject({ sentinelTLS: {} });
    expect(onlySentinels).not.toHaveProperty('tls');
    expect(onlySentinels).not.toHaveProperty('enableTLSForSentinelMode');
  });

  it('TLS: a CA file that is missing, not PEM, or used by nothing refuses start-up, naming the setting', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ REDIS_TLS: 'true', REDIS_TLS_CA_FILE: path.join(dir, 'no-ca') }, /REDIS_TLS_CA_FILE\) could not be read \(ENOENT\)/],
      [{ REDIS_TLS: 'true', REDIS_TLS_CA_FILE: fileOf('not a certificate') }, /must hold PEM certificates/],
      [{ REDIS_TLS_CA_FILE: fileOf('-----BEGIN CERTIFICATE-----') }, /neither REDIS_TLS nor REDIS_SENTINEL_TLS/],
    ];
    for (const [env, message] of cases) expect(() => redisTargetOf(loadConfig({ ...sentinels, ...env })), JSON.stringify(env)).toThrow(message);
  });

  it('refuse a user name that is not a plain name', () => {
    expect(problemsOf({ ...sentinels, REDIS_USERNAME: 'a user' }).map((p) => p.key)).toEqual(['redis.username (env REDIS_USERNAME)']);
  });
});

describe('Redis config problems', () => {
  it('refuses REDIS_URL and REDIS_SENTINELS together, naming both', () => {
    const problems = problemsOf({ REDIS_URL: 'redis://r:6379', REDIS_SENTINELS: 's:26379' });
    expect(problems).toEqual([{ key: 'redis.sentinels (env REDIS_SENTINELS)', problem: expect.stringContaining('REDIS_URL') as string }]);
  });

  it('names each Sentinel address that is not host:port, and a bad master name', () => {
    const problems = problemsOf({ REDIS_SENTINELS: 's:26379,no-port,t:70000,u:0', REDIS_SENTINEL_NAME: 'my master' });
    expect(problems.map((p) => p.key).sort()).toEqual([
      'redis.sentinelName (env REDIS_SENTINEL_NAME)',
      'redis.sentinels.1 (env REDIS_SENTINELS)',
      'redis.sentinels.2 (env REDIS_SENTINELS)',
      'redis.sentinels.3 (env REDIS_SENTINELS)',
    ]);
  });
});
