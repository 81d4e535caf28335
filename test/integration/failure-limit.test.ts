// Guessing from one address is cut off: after MAX_FAILURES failed API
// requests in the window, that address gets 429 with Retry-After for every
// further request, valid or not, until the window ends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, createAppointment, Device } from '../support/api.ts';
import { startRedisServer } from '../support/redis-server.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

for (const store of ['memory', 'redis'] as const) {
  describe(`failure limiter (${store} store)`, () => {
    let s: TestServer;
    let redis: Awaited<ReturnType<typeof startRedisServer>> | undefined;
    beforeAll(async () => {
      redis = store === 'redis' ? await startRedisServer() : undefined;
      s = await startTestServer({ MAX_FAILURES: '5', FAILURE_WINDOW_SECONDS: '2', ...(redis ? { REDIS_URL: redis.url } : {}) });
    });
    afterAll(async () => {
      await s?.stop();
      await redis?.stop();
    });

    it('answers 429 with Retry-After after repeated failures, then recovers after the window', async () => {
      const apt = await createAppointment(s.url);
      const guesses = await Promise.all(
        Array.from({ length: 5 }, (_, i) => new Device(s.url).fetch('POST', '/api/v1/session', { token: `guess.${'x'.repeat(20)}.${i}` })),
      );
      expect(guesses.map((r) => r.status)).toEqual([401, 401, 401, 401, 401]);
      const blocked = await new Device(s.url).redeem(apt.patientUrl);
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      const body = (await blocked.json()) as { code: string; message: string };
      expect(body.code).toBe('RATE_LIMITED');
      expect(body.message).toMatch(/Too many failed attempts/);
      expect((await api(s.url, 'GET', `/api/v1/appointments/${apt.id}`)).status).toBe(429);
      // On the audit trail once for this window, not once per refused request.
      const audit = await s.deps.stores.events.list();
      expect(audit.filter((e) => e.type === 'access.rate_limited')).toHaveLength(1);
      expect(audit.find((e) => e.type === 'access.rate_limited')).toMatchObject({ outcome: 'refused', reason: 'RATE_LIMITED' });
      // Pages and health are not part of the API and stay up.
      expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
      // The blocked attempt changed nothing: the link was never bound.
      await new Promise((r) => setTimeout(r, 2100));
      const after = await new Device(s.url).redeem(apt.patientUrl);
      expect(after.status).toBe(200);
      expect(await after.json()).toMatchObject({ linkReused: false });
    });
  });
}

describe('per-address request limits', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ SESSION_RATE_LIMIT_PER_MINUTE: '3', RATE_LIMIT_PER_MINUTE: '50' });
  });
  afterAll(() => s?.stop());

  it('limits link redemptions per address per minute, even successful ones', async () => {
    const apt = await createAppointment(s.url);
    const phone = new Device(s.url);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await phone.redeem(apt.patientUrl)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const r = await phone.redeem(apt.patientUrl);
    expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await r.json()) as { code: string }).code).toBe('RATE_LIMITED');
  });

  it('limits all HTTP requests per address per minute', async () => {
    const statuses = await Promise.all(Array.from({ length: 60 }, () => fetch(`${s.url}/healthz`).then((r) => r.status)));
    expect(statuses.filter((x) => x === 429).length).toBeGreaterThan(0);
    expect(statuses.filter((x) => x === 200).length).toBeLessThanOrEqual(50);
  });
});
