// A Redis outage is transient: while the real redis-server is down (killed,
// as a crash), HTTP answers 503 UNAVAILABLE with Retry-After, socket acks and
// new handshakes carry UNAVAILABLE (retryable), nothing crashes and no answer
// shows a stack or patient data; when Redis is back on the same port and data
// (AOF), the same sessions work again without a restart and the waiting
// patient is still waiting.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RETRYABLE_CODES } from '../../server/core/errors.ts';
import { api, createAppointment, Device, type Client, type CreatedAppointment } from '../support/api.ts';
import { startRedisServer, type RedisServerHandle } from '../support/redis-server.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const PATIENT = 'Jane Outage-Doe';

describe('Redis outage', () => {
  let redis: RedisServerHandle;
  let s: TestServer;
  beforeAll(async () => {
    // Every write on disk before the crash below (the default, everysec, may lose the last second).
    redis = await startRedisServer({ appendOnly: true, fsync: 'always' });
    s = await startTestServer({ REDIS_URL: redis.url, REDIS_RETRY_AFTER_SECONDS: '3' });
  });
  afterAll(async () => {
    await s?.stop();
    await redis?.stop();
  });

  it('answers UNAVAILABLE (retryable) while Redis is down, and carries on where it was when it is back', async () => {
    const apt: CreatedAppointment = await createAppointment(s.url, { patientName: PATIENT });
    const gpDevice = new Device(s.url);
    expect((await gpDevice.redeem(apt.clinicianUrl)).status).toBe(200);
    const gp: Client = await gpDevice.connect({ appointmentId: apt.id });
    await gp.until((v) => v.self.state === 'admitted');
    const patientDevice = new Device(s.url);
    expect((await patientDevice.redeem(apt.patientUrl)).status).toBe(200);
    const patient = await patientDevice.connect();
    await patient.until((v) => v.self.state === 'waiting');
    await gp.until((v) => v.waiting.length === 1);

    await redis.halt('SIGKILL');

    // HTTP: the booking system's API and a page's own session call.
    const detail = await api(s.url, 'GET', `/api/v1/appointments/${apt.id}`);
    const session = await patientDevice.fetch('GET', '/api/v1/session');
    for (const res of [detail, session]) {
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('3');
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({ code: 'UNAVAILABLE', message: expect.any(String) as string });
      expect(text).not.toContain(PATIENT);
      expect(text).not.toMatch(/ioredis|ECONNREFUSED|Stream isn't|at .*\.ts/);
    }
    expect(RETRYABLE_CODES).toContain('UNAVAILABLE');
    // Readiness says why; liveness stays up (no orchestrator restart for a Redis outage).
    const ready = await fetch(`${s.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ store: 'unreachable' });
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);

    // A connected socket's request: a retryable ack, the socket stays.
    const state = await gp.request('consultation:state', {});
    expect(state).toEqual({ ok: false, error: { code: 'UNAVAILABLE', message: expect.any(String) as string } });
    expect(gp.socket.connected).toBe(true);
    // A new socket (a page reloading meanwhile): the handshake is refused as retryable.
    const refused = await patientDevice.connect().then(
      (c) => {
        c.close();
        return null;
      },
      (e: Error & { data?: { code?: string; message?: string } }) => e.data,
    );
    expect(refused).toEqual({ code: 'UNAVAILABLE', message: expect.any(String) as string });
    expect(JSON.stringify(refused)).not.toContain(PATIENT);

    await redis.restart();
    // Back without a restart of the server: the client reconnects by itself.
    await expect.poll(async () => (await fetch(`${s.url}/readyz`)).status, { timeout: 15_000, interval: 200 }).toBe(200);
    const after = await gp.request('consultation:state', {});
    expect(after.ok).toBe(true);
    // Nothing was lost (AOF): the patient is still waiting, in the same place.
    if (after.ok) expect(after.data.waiting.map((p) => p.id)).toEqual([patient.view!.self.id]);
    expect((await api(s.url, 'GET', `/api/v1/appointments/${apt.id}`)).status).toBe(200);
    expect((await patientDevice.fetch('GET', '/api/v1/session')).status).toBe(200);
    // The reloaded page gets in again, still waiting; the clinician can admit them.
    const again = await patientDevice.connect();
    await again.until((v) => v.self.state === 'waiting');
    expect((await gp.request('lobby:admit', { participantId: again.view!.self.id })).ok).toBe(true);
    await again.until((v) => v.self.state === 'admitted');

    // Nothing crashed on the way: no unexpected errors, and the outage was logged as one.
    expect(s.logs.filter((l) => /"msg":"(unexpected error|socket handler failed)"/.test(l))).toEqual([]);
    expect(s.logs.some((l) => l.includes('redis unreachable'))).toBe(true);
    for (const c of [gp, patient, again]) c.close();
  });
});
