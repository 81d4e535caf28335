// Redis is one URL or Sentinels that name the master; never both, and
// neither is the single-node trial. What each config connects to
// (boot/redis.ts redisTargetOf) and what the server refuses to start with.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../config/load.ts';
import { describeRedisTarget, redisClientOptions, redisTargetOf } from '../../../server/boot/redis.ts';

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
