// /healthz and /readyz against the real server: memory store and a real
// worker; then Redis, including a Redis outage (ready goes false, alive stays).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer } from '../support/redis-server.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

describe('health and readiness (memory store)', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(() => s?.stop());

  it('is alive and ready, and says it runs on the in-memory store', async () => {
    expect(await (await fetch(`${s.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${s.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', store: 'ok', storeKind: 'memory', workers: 'ok' });
    expect(s.logs.some((l) => l.includes('single-node, non-persistent mode'))).toBe(true);
  });

  it('serves the pages from its own origin with strict security headers', async () => {
    const res = await fetch(`${s.url}/check`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/https?:/);
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('strict-transport-security')).toContain('max-age=');
    expect(res.headers.get('permissions-policy')).toContain('camera=(self)');
    const html = await res.text();
    expect(html).not.toMatch(/src="https?:|href="https?:/);
  });

  it('answers unknown routes with a typed 404 and no stack', async () => {
    const res = await fetch(`${s.url}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ code: 'NOT_FOUND', message: 'Not found.' });
  });
});

describe('health and readiness (Redis store)', () => {
  let redis: Awaited<ReturnType<typeof startRedisServer>>;
  let s: TestServer;
  beforeAll(async () => {
    redis = await startRedisServer();
    s = await startTestServer({ REDIS_URL: redis.url });
  });
  afterAll(async () => {
    await s?.stop();
    await redis?.stop();
  });

  it('is ready on Redis, then not ready (but still alive) when Redis goes away', async () => {
    expect(await (await fetch(`${s.url}/readyz`)).json()).toMatchObject({ status: 'ready', storeKind: 'redis' });
    await redis.stop();
    const ready = await fetch(`${s.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'not ready', store: 'unreachable', workers: 'ok' });
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
  });
});

describe('start-up with an unreachable Redis', () => {
  it('refuses to start, naming REDIS_URL', async () => {
    await expect(startTestServer({ REDIS_URL: 'redis://127.0.0.1:1' })).rejects.toThrow(/Redis at REDIS_URL is unreachable/);
  });
});
