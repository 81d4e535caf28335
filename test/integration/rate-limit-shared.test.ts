// The per-address HTTP rate limit (RATE_LIMIT_PER_MINUTE) is one budget for
// the whole cluster: two nodes on one Redis count an address's requests
// together (@fastify/rate-limit's Redis store, under clusterKeys.httpRateLimit),
// so spreading requests over the nodes behind a proxy gains nothing. With
// Redis down the limiter steps aside (skipOnError) and the request meets the
// store's own answer, UNAVAILABLE with Retry-After, not an INTERNAL error.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterKeysFor } from '../../server/cluster/cluster-keys.ts';
import { randomId } from '../../server/core/ids.ts';
import { api } from '../support/api.ts';
import { startRedisServer, type RedisServerHandle } from '../support/redis-server.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const PER_MINUTE = 8;
const RETRY_AFTER = 3;

describe('HTTP rate limit shared through Redis', () => {
  let redis: RedisServerHandle;
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    redis = await startRedisServer({ appendOnly: false });
    const env = { REDIS_URL: redis.url, RATE_LIMIT_PER_MINUTE: String(PER_MINUTE), REDIS_RETRY_AFTER_SECONDS: String(RETRY_AFTER) };
    a = await startTestServer(env);
    b = await startTestServer(env);
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await redis?.stop();
  });

  // Any route the global limit covers; an unknown appointment reads the store (404 while Redis is up).
  const detail = (s: TestServer): Promise<Response> => api(s.url, 'GET', `/api/v1/appointments/${randomId()}`);

  it('counts one address across both nodes: the request after the budget gets 429 with Retry-After on either node', async () => {
    for (let i = 0; i < PER_MINUTE; i++) {
      const res = await detail(i % 2 ? b : a);
      expect(res.status, `request ${String(i + 1)} of ${String(PER_MINUTE)}`).toBe(404);
    }
    for (const s of [a, b]) {
      const res = await detail(s);
      expect(res.status).toBe(429);
      const retryAfter = Number(res.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(await res.json()).toMatchObject({ code: 'RATE_LIMITED' });
    }
    // The count lives in Redis, under the cluster's key for it, not in either process.
    const client = new Redis(redis.url);
    try {
      const keys = await client.keys(`${clusterKeysFor().httpRateLimit}*`);
      expect(keys.length).toBeGreaterThan(0);
      const counts = await Promise.all(keys.map(async (k) => Number(await client.get(k))));
      expect(Math.max(...counts)).toBe(PER_MINUTE + 2);
    } finally {
      client.disconnect();
    }
  });

  it('with Redis down, requests pass the limiter and get the store outage answer (503 UNAVAILABLE), not an INTERNAL error', async () => {
    await redis.halt('SIGKILL');
    for (const s of [a, b]) {
      const res = await detail(s);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe(String(RETRY_AFTER));
      expect(await res.json()).toMatchObject({ code: 'UNAVAILABLE' });
    }
    expect((await fetch(`${a.url}/healthz`)).status).toBe(200);
  });
});
