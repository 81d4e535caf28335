// The failure limiter counts on arrival: a burst of concurrent guesses from
// one address cannot outrun the count (the old limiter checked before and
// counted after the answer, so on Redis all of a burst passed the check). It
// covers the socket.io handshake and the metrics token as well as the API,
// and a request that succeeds is given back, so real use never spends the
// budget. Run against the memory store and a real Redis; every attack comes
// from its own fixed loopback address.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppointment, type CreatedAppointment } from '../support/api.ts';
import { startRedisServer, type RedisServerHandle } from '../support/redis-server.ts';
import { GUEST_COOKIE } from '../../server/edge/cookies.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { apiCall, Browser, expectHttpError, expectLogsClean, http, PATIENT, postSession, rawConnect, snapshot, tokenOf, Tracker } from './support.ts';

const MAX_FAILURES = 10;
const BURST = 50;
const METRICS_TOKEN = 'metrics-token-limiter-0123456789';

const id22 = () => randomBytes(16).toString('base64url');
const statuses = (rs: { status: number }[]) => rs.map((r) => r.status).sort((a, b) => a - b);

describe.each(['memory', 'redis'] as const)('the failure limiter counts on arrival (%s store)', (store) => {
  let s: TestServer;
  let redis: RedisServerHandle | undefined;
  let apt: CreatedAppointment;
  const t = new Tracker();
  // A different block of fixed addresses per store, so the two runs never share a count.
  const addr = (n: number) => `127.77.${store === 'memory' ? 1 : 2}.${n}`;

  beforeAll(async () => {
    if (store === 'redis') redis = await startRedisServer();
    s = await startTestServer({
      MAX_FAILURES: String(MAX_FAILURES),
      FAILURE_WINDOW_SECONDS: '60',
      METRICS_TOKEN,
      ...(redis ? { REDIS_URL: redis.url } : {}),
    });
    expect(s.deps.stores.kind).toBe(store);
    apt = await createAppointment(s.url, { patientName: PATIENT });
  });
  afterAll(async () => {
    t.closeAll();
    if (s) {
      expectLogsClean(s, [tokenOf(apt.patientUrl), tokenOf(apt.clinicianUrl), METRICS_TOKEN]);
      await s.stop();
    }
    await redis?.stop();
  });

  it(`${BURST} concurrent bad link tokens from one address: exactly ${MAX_FAILURES} are processed, the rest are 429 before any work`, async () => {
    const attacker = addr(1);
    const before = await snapshot(s, apt.id);
    const burst = await Promise.all(Array.from({ length: BURST }, () => postSession(s.url, randomBytes(40).toString('base64url'), attacker)));
    for (const r of burst) expectHttpError(r, [401, 429], ['TOKEN_INVALID', 'RATE_LIMITED']);
    expect(statuses(burst).filter((x) => x !== 429), 'answers other than 429').toHaveLength(MAX_FAILURES);
    // The real link from the same address is refused, and not bound.
    const valid = await postSession(s.url, tokenOf(apt.patientUrl), attacker);
    expectHttpError(valid, 429, 'RATE_LIMITED');
    expect(Number(valid.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(await snapshot(s, apt.id)).toEqual(before);
    // Reported once on the audit trail, not once per refusal.
    const limited = (await s.deps.stores.events.list()).filter((e) => e.type === 'access.rate_limited' && e.actor.address === attacker);
    expect(limited).toHaveLength(1);
  });

  it(`${BURST} concurrent guessed appointment ids (API key) and guessed cookies: at most ${MAX_FAILURES} processed each`, async () => {
    for (const [attacker, send] of [
      [addr(2), () => apiCall(s.url, 'GET', `/api/v1/appointments/${id22()}`, undefined, { from: addr(2) })],
      [addr(3), () => http(s.url, '/api/v1/session', { from: addr(3), headers: { cookie: `${GUEST_COOKIE}=${id22()}` } })],
    ] as const) {
      const burst = await Promise.all(Array.from({ length: BURST }, () => send()));
      for (const r of burst) expectHttpError(r, [401, 404, 429]);
      expect(statuses(burst).filter((x) => x !== 429), `${attacker}: answers other than 429`).toHaveLength(MAX_FAILURES);
    }
  });

  it(`${BURST} concurrent socket.io handshakes with guessed cookies: at most ${MAX_FAILURES} are looked up; then a real session is refused there`, async () => {
    const attacker = addr(4);
    const guesses = await Promise.all(Array.from({ length: BURST }, () => rawConnect(s.url, { origin: s.url, from: attacker, cookie: `${GUEST_COOKIE}=${id22()}` })));
    const codes = guesses.map((r) => ('refused' in r ? r.refused.code : 'CONNECTED'));
    expect(codes.filter((c) => c === 'UNAUTHENTICATED')).toHaveLength(MAX_FAILURES);
    expect(codes.filter((c) => c === 'RATE_LIMITED')).toHaveLength(BURST - MAX_FAILURES);
    // A real guest from the limited address gets no socket; the count is shared with HTTP.
    const real = new Browser(s.url);
    const inv = (await apiCall(s.url, 'POST', `/api/v1/appointments/${apt.id}/invites`, { name: 'Sam Okafor', role: 'carer' })).json() as { url: string };
    expect((await real.redeem(inv.url)).status).toBe(200);
    const refused = await rawConnect(s.url, { origin: s.url, from: attacker, cookie: real.cookieHeader });
    if ('client' in refused) {
      refused.client.close();
      throw new Error('a limited address opened a socket');
    }
    expect(refused.refused.code).toBe('RATE_LIMITED');
    expectHttpError(await apiCall(s.url, 'GET', `/api/v1/appointments/${apt.id}`, undefined, { from: attacker }), 429, 'RATE_LIMITED');
  });

  it(`wrong METRICS_TOKEN guesses count: ${BURST} at once, ${MAX_FAILURES} answered 401, then even the right token is refused from there`, async () => {
    const attacker = addr(5);
    const scrape = (token: string, from: string) => http(s.url, '/metrics', { from, headers: { authorization: `Bearer ${token}` } });
    const burst = await Promise.all(Array.from({ length: BURST }, () => scrape(randomBytes(24).toString('base64url'), attacker)));
    for (const r of burst) expectHttpError(r, [401, 429], ['UNAUTHENTICATED', 'RATE_LIMITED']);
    expect(statuses(burst).filter((x) => x === 401)).toHaveLength(MAX_FAILURES);
    const right = await scrape(METRICS_TOKEN, attacker);
    expectHttpError(right, 429, 'RATE_LIMITED');
    expect(right.text).not.toMatch(/consultroom_|process_/);
    // Prometheus on its own address reads the page, scrape after scrape.
    for (let i = 0; i < MAX_FAILURES * 3; i++) expect((await scrape(METRICS_TOKEN, addr(6))).status).toBe(200);
  });

  it('successful requests are refunded: after a long session of real use (HTTP, sockets, metrics) the whole failure budget is still there', async () => {
    const user = addr(7);
    const gp = new Browser(s.url, undefined, user);
    expect((await gp.redeem(apt.clinicianUrl)).status).toBe(200);
    // Concurrent successes, well over the failure limit in total, a few at a time as a page makes them.
    for (let round = 0; round < 10; round++) {
      const ok = await Promise.all([
        gp.fetch('GET', '/api/v1/session'),
        gp.fetch('GET', `/api/v1/clinician/appointments?day=${new Date().toISOString().slice(0, 10)}&tz=0`),
        apiCall(s.url, 'GET', `/api/v1/appointments/${apt.id}`, undefined, { from: user }),
        http(s.url, '/metrics', { from: user, headers: { authorization: `Bearer ${METRICS_TOKEN}` } }),
      ]);
      expect(ok.map((r) => r.status)).toEqual([200, 200, 200, 200]);
      const socket = await rawConnect(s.url, { origin: s.url, from: user, cookie: gp.cookieHeader, auth: { appointmentId: apt.id } });
      if (!('client' in socket)) throw new Error(`the clinician's socket was refused: ${JSON.stringify(socket.refused)}`);
      socket.client.close();
    }
    // Now exactly MAX_FAILURES failures are let through, no fewer: nothing above was counted.
    for (let i = 0; i < MAX_FAILURES; i++) expectHttpError(await postSession(s.url, randomBytes(40).toString('base64url'), user), 401, 'TOKEN_INVALID');
    expectHttpError(await postSession(s.url, randomBytes(40).toString('base64url'), user), 429, 'RATE_LIMITED');
  });
});
