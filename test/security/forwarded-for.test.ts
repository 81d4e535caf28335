// X-Forwarded-For entries that are not IP addresses. Behind a trusted proxy
// the server takes the client's address from the header; Fastify's
// proxy-addr returns whatever string sits in the client's place, so a client
// (or a proxy passing the header on) could make "<script>" or a fresh junk
// word its address: a new key for every per-address limit, and junk in the
// audit trail's source. Entries that are not IPs are now dropped from the
// chain, for HTTP and for socket.io alike. Both TRUST_PROXY forms that
// believe a header are attacked: a hop count and the proxy's own address.
import { randomBytes } from 'node:crypto';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GUEST_COOKIE } from '../../server/edge/cookies.ts';
import { startTestServer, TEST_API_KEY, type TestServer } from '../support/server.ts';
import { expectHttpError, expectLogsClean, http, type HttpResult } from './support.ts';

const MAX_FAILURES = 10;
const PROXY = '127.78.0.1'; // every request reaches the server from the proxy's address
const JUNK = (i: number) => [`<script>alert(${i})</script>`, `not-an-ip-${i}`, 'unknown', `_hidden${i}`, `999.1.1.${i}`, `1.2.3.4.${i}`];

describe.each([
  ['a hop count (TRUST_PROXY=true)', 'true'],
  ['the proxy address (TRUST_PROXY=127.78.0.1)', PROXY],
])('behind %s', (_what, trustProxy) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ TRUST_PROXY: trustProxy, MAX_FAILURES: String(MAX_FAILURES), FAILURE_WINDOW_SECONDS: '60', RATE_LIMIT_PER_MINUTE: '30' });
  });
  afterAll(async () => {
    if (s) {
      expectLogsClean(s, [TEST_API_KEY]);
      // No junk entry ever became an address in a log line either.
      expect(s.logs.filter((l) => /not-an-ip|<script>|_hidden/.test(l))).toEqual([]);
      await s.stop();
    }
  });

  const viaProxy = (path: string, xff: string, o: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<HttpResult> =>
    http(s.url, path, { method: o.method ?? 'GET', from: PROXY, headers: { 'x-forwarded-for': xff, ...o.headers }, ...(o.body !== undefined ? { body: o.body } : {}) });
  const badToken = (xff: string) =>
    viaProxy('/api/v1/session', xff, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: randomBytes(40).toString('base64url') }) });

  it('the audit trail records the real IP among junk entries, never the junk', async () => {
    const r = await viaProxy('/api/v1/appointments', '<script>, 1.2.3.4, not-an-ip', {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ clinician: { id: 'gp-1', name: 'Dr A' }, patient: { name: 'Jo Bloggs' }, startsAt: new Date().toISOString(), durationMinutes: 15 }),
    });
    expect(r.status, r.text).toBe(201);
    const id = (r.json() as { id: string }).id;
    const created = (await s.deps.stores.events.list()).filter((e) => e.type === 'appointment.created' && e.appointmentId === id);
    expect(created.map((e) => e.actor.address)).toEqual(['1.2.3.4']);
  });

  it('failures are counted against the real IP however the junk around it changes; the limit holds', async () => {
    for (let i = 0; i < MAX_FAILURES; i++) {
      const junk = JUNK(i);
      expectHttpError(await badToken(`${junk[0]}, 198.51.100.7, ${junk[i % junk.length]}`), 401, 'TOKEN_INVALID');
    }
    // The same client, with fresh junk or none: refused.
    expectHttpError(await badToken(`${JUNK(99)[1]}, 198.51.100.7, ${JUNK(99)[3]}`), 429, 'RATE_LIMITED');
    expectHttpError(await badToken('198.51.100.7'), 429, 'RATE_LIMITED');
    const limited = (await s.deps.stores.events.list()).filter((e) => e.type === 'access.rate_limited');
    expect(limited.map((e) => e.actor.address)).toEqual(['198.51.100.7']);
    // Another client behind the same proxy carries on.
    expectHttpError(await badToken('198.51.100.8'), 401, 'TOKEN_INVALID');
  });

  it('a header of junk only is the proxy itself, not a new address per request', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < MAX_FAILURES + 5; i++) statuses.push((await badToken(JUNK(i).join(', '))).status);
    expect(statuses.slice(MAX_FAILURES)).toEqual(Array<number>(5).fill(429));
  });

  it('the per-address request limit (@fastify/rate-limit) is keyed on the real IP too', async () => {
    const answers: number[] = [];
    for (let i = 0; i < 40; i++) answers.push((await viaProxy('/healthz', `203.0.113.77, ${JUNK(i)[i % 6]}`)).status);
    expect(answers.filter((x) => x === 429).length).toBeGreaterThanOrEqual(10);
  });

  it('socket.io handshakes: guesses with junk around the real IP count against that IP, shared with HTTP', async () => {
    const client = '192.0.2.44';
    for (let i = 0; i < MAX_FAILURES; i++) {
      const socket = io(s.url, {
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
        localAddress: PROXY,
        extraHeaders: { origin: s.url, cookie: `${GUEST_COOKIE}=${randomBytes(16).toString('base64url')}`, 'x-forwarded-for': `${JUNK(i)[0]}, ${client}, ${JUNK(i)[1]}` },
      } as Parameters<typeof io>[1]);
      const code = await new Promise<string | undefined>((resolve) => {
        socket.once('connect', () => resolve('CONNECTED'));
        socket.once('connect_error', (e: Error & { data?: { code?: string } }) => resolve(e.data?.code));
      });
      socket.close();
      expect(code).toBe('UNAUTHENTICATED');
    }
    expectHttpError(await badToken(client), 429, 'RATE_LIMITED');
  });
});
