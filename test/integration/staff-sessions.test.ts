// Staff sessions over the real server (real HTTP, real socket.io, a real
// mediasoup worker): console tickets are single use and short, and with
// sign-in on they only confirm the session of their own clinician; the admin
// API lists and revokes a clinician's sessions, and a revoked or signed-out
// session's open console is cut at once (and, when the revocation happened
// where this node heard nothing, at its next re-check); an idle session ends
// (the server's clock is moved; an open consultation counts as use, the day
// list's background refresh does not); someone without the clinician role
// opens no consultation; clinics are managed through their scoped routes, a
// clinic-bound key seeing only its own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionList } from '../../server/wire/auth.ts';
import { api, createAppointment, Device, tokenOf, type Client } from '../support/api.ts';
import { startRedisServer, type RedisServerHandle } from '../support/redis-server.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { io } from 'socket.io-client';

const CLINICIAN_COOKIE = '__Host-cr_clinician';

/** Polls until `pred` holds (generous: nothing here is a timing claim). */
async function until<T>(what: string, get: () => Promise<T>, pred: (v: T) => boolean, ms = 10_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await get();
    if (pred(v)) return v;
    if (Date.now() - t0 > ms) throw new Error(`${what}: never happened; last ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const codeOf = async (r: Response) => ((await r.json()) as { code: string }).code;

/** One server for a describe block; `now` moves its clock; `redis`: over a real Redis of its own. */
function serverFor(env: Record<string, string>, now?: () => Date, store: 'memory' | 'redis' = 'memory') {
  let redis: RedisServerHandle | undefined;
  const ctx = {
    s: undefined as unknown as TestServer,
    clients: [] as Client[],
    track: (c: Client) => (ctx.clients.push(c), c),
    book: (clinicianId: string) => createAppointment(ctx.s.url, { clinicianId, startsAt: ctx.s.deps.now().toISOString() }),
    sessionsOf: async (userId: string) => {
      const r = await api(ctx.s.url, 'GET', `/api/v1/users/${encodeURIComponent(userId)}/sessions`);
      expect(r.status).toBe(200);
      return ((await r.json()) as SessionList).sessions;
    },
  };
  beforeAll(async () => {
    if (store === 'redis') redis = await startRedisServer();
    ctx.s = await startTestServer({ SESSION_IDLE_MINUTES: '30', CONSOLE_TICKET_TTL_MINUTES: '5', ...(redis ? { REDIS_URL: redis.url } : {}), ...env }, now ? { now } : {});
  });
  afterAll(async () => {
    for (const c of ctx.clients) c.close();
    await ctx.s?.stop();
    await redis?.stop();
  });
  return ctx;
}

for (const store of ['memory', 'redis'] as const) describe(`staff sessions, tickets and revocation (${store} store)`, () => {
  // Re-checks far apart: a revoked session's socket must be cut by the revocation itself.
  const ctx = serverFor({ SESSION_CHECK_SECONDS: '300' }, undefined, store);
  const { track, book, sessionsOf } = ctx;
  let s: TestServer;
  beforeAll(() => {
    s = ctx.s;
  });

  it('a console ticket works once: the second use is TICKET_USED, from any browser', async () => {
    const apt = await book('gp-once');
    const first = new Device(s.url);
    const ok = await first.redeem(apt.clinicianUrl);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ kind: 'clinician', clinicianId: 'gp-once', roles: ['clinician'], clinics: [], via: 'ticket', idleMinutes: 30 });
    for (const browser of [first, new Device(s.url)]) {
      const again = await browser.redeem(apt.clinicianUrl);
      expect(again.status).toBe(401);
      expect(await codeOf(again)).toBe('TICKET_USED');
    }
    expect(await sessionsOf('gp-once')).toHaveLength(1);
  });

  it('the admin API lists a clinician\'s sessions; revoking one cuts its open console at once and the cookie stops working', async () => {
    const apt = await book('gp-revoke');
    const laptop = new Device(s.url, 'Mozilla/5.0 (Windows NT 10.0) Chrome/156.0 Safari/537.36');
    expect((await laptop.redeem(apt.clinicianUrl)).status).toBe(200);
    const gp = track(await laptop.connect({ appointmentId: apt.id }));
    await gp.until((v) => v.self.role === 'clinician');

    const [listed] = await sessionsOf('gp-revoke');
    expect(listed).toMatchObject({ userId: 'gp-revoke', via: 'ticket', roles: ['clinician'], device: 'Chrome on Windows' });
    // The listed id is not the cookie: reading the list (or the audit trail) signs nobody in.
    expect(listed!.id).not.toBe(laptop.cookies.get(CLINICIAN_COOKIE));
    expect(Date.parse(listed!.idleExpiresAt)).toBeLessThanOrEqual(Date.parse(listed!.expiresAt));
    // Only with the admin scope.
    expect((await api(s.url, 'GET', '/api/v1/users/gp-revoke/sessions', undefined, '')).status).toBe(401);

    const disconnected = new Promise<string>((resolve) => gp.socket.once('disconnect', (reason) => resolve(reason)));
    expect((await api(s.url, 'DELETE', `/api/v1/sessions/${listed!.id}`)).status).toBe(204);
    expect(await gp.event('consultation:ended')).toEqual({ reason: 'signed-out' });
    expect(await disconnected).toBe('io server disconnect');
    expect((await laptop.fetch('GET', '/api/v1/session?kind=clinician')).status).toBe(401);
    expect((await laptop.fetch('GET', '/api/v1/clinician/appointments')).status).toBe(401);
    await expect(laptop.connect({ appointmentId: apt.id })).rejects.toMatchObject({ data: { code: 'UNAUTHENTICATED' } });
    expect((await api(s.url, 'DELETE', `/api/v1/sessions/${listed!.id}`)).status).toBe(404);
    expect(await sessionsOf('gp-revoke')).toEqual([]);
  });

  it('revoking every session of one clinician leaves the others alone', async () => {
    const mine = [await book('gp-many'), await book('gp-many')];
    for (const apt of mine) expect((await new Device(s.url).redeem(apt.clinicianUrl)).status).toBe(200);
    const other = new Device(s.url);
    expect((await other.redeem((await book('gp-other')).clinicianUrl)).status).toBe(200);
    const r = await api(s.url, 'DELETE', '/api/v1/users/gp-many/sessions');
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ revoked: 2 });
    expect(await sessionsOf('gp-many')).toEqual([]);
    expect((await other.fetch('GET', '/api/v1/session?kind=clinician')).status).toBe(200);
  });

  it('signing out through DELETE /api/v1/session cuts that browser\'s console and ends the session', async () => {
    const apt = await book('gp-out');
    const laptop = new Device(s.url);
    await laptop.redeem(apt.clinicianUrl);
    const cookie = laptop.cookies.get(CLINICIAN_COOKIE)!;
    const gp = track(await laptop.connect({ appointmentId: apt.id }));
    await gp.until((v) => v.self.role === 'clinician');
    expect((await laptop.fetch('DELETE', '/api/v1/session')).status).toBe(204);
    expect(await gp.event('consultation:ended')).toEqual({ reason: 'signed-out' });
    const replay = new Device(s.url);
    replay.cookies.set(CLINICIAN_COOKIE, cookie);
    expect((await replay.fetch('GET', '/api/v1/session?kind=clinician')).status).toBe(401);
    expect(await sessionsOf('gp-out')).toEqual([]);
  });

  it('someone without the clinician role opens no consultation, even their own (NOT_PERMITTED), and has no day list', async () => {
    const apt = await book('coord-1');
    const started = await s.deps.sessions.startStaff({ userId: 'coord-1', name: 'Pat Coordinator', roles: ['clinic-coordinator'], clinics: [] }, { device: 'test' }, 'oidc');
    const desk = new Device(s.url);
    desk.cookies.set(CLINICIAN_COOKIE, started.cookie!);
    await expect(desk.connect({ appointmentId: apt.id })).rejects.toMatchObject({ data: { code: 'NOT_PERMITTED' } });
    const day = await desk.fetch('GET', '/api/v1/clinician/appointments');
    expect(day.status).toBe(403);
    expect(await codeOf(day)).toBe('NOT_PERMITTED');
    const info = await desk.fetch('GET', '/api/v1/session?kind=clinician');
    expect(await info.json()).toMatchObject({ kind: 'clinician', roles: ['clinic-coordinator'], via: 'oidc' });
    expect(s.deps.rooms.get(apt.id as never)).toBeUndefined();
  });

  it('clinics: created with admin, members set and listed; a clinic-bound key sees and changes only its clinic', async () => {
    for (const id of ['derm-north', 'ent-south']) expect((await api(s.url, 'POST', '/api/v1/clinics', { id, name: `Clinic ${id}` })).status).toBe(201);
    const dup = await api(s.url, 'POST', '/api/v1/clinics', { id: 'derm-north', name: 'Again' });
    expect(dup.status).toBe(409);
    expect(await codeOf(dup)).toBe('ALREADY_EXISTS');
    expect((await api(s.url, 'POST', '/api/v1/clinics', { id: 'Bad Id', name: 'x' })).status).toBe(400);

    const made = await api(s.url, 'POST', '/api/v1/api-keys', { name: 'derm admin', scopes: ['clinics:write'], clinicId: 'derm-north' });
    expect(made.status).toBe(201);
    const derm = ((await made.json()) as { key: string }).key;
    const list = await api(s.url, 'GET', '/api/v1/clinics', undefined, derm);
    expect(((await list.json()) as { clinics: { id: string }[] }).clinics.map((c) => c.id)).toEqual(['derm-north']);
    expect((await api(s.url, 'GET', '/api/v1/clinics/ent-south', undefined, derm)).status).toBe(404);
    expect((await api(s.url, 'PUT', '/api/v1/clinics/ent-south/members/gp-1', { roles: ['clinician'] }, derm)).status).toBe(404);
    const noScope = await api(s.url, 'POST', '/api/v1/clinics', { id: 'new-one', name: 'x' }, derm);
    expect(noScope.status).toBe(403);
    expect(await codeOf(noScope)).toBe('SCOPE_MISSING');

    const put = await api(s.url, 'PUT', '/api/v1/clinics/derm-north/members/gp-derm', { roles: ['clinician', 'clinic-admin'] }, derm);
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ userId: 'gp-derm', roles: ['clinician', 'clinic-admin'], source: 'admin' });
    expect((await api(s.url, 'PUT', '/api/v1/clinics/derm-north/members/gp-derm', { roles: ['trust-admin'] }, derm)).status).toBe(400);
    const members = await api(s.url, 'GET', '/api/v1/clinics/derm-north/members', undefined, derm);
    expect(((await members.json()) as { members: { userId: string }[] }).members.map((m) => m.userId)).toEqual(['gp-derm']);
    expect((await api(s.url, 'PATCH', '/api/v1/clinics/derm-north', { name: 'Dermatology' }, derm)).status).toBe(200);

    // A console ticket now carries the membership into the session.
    const apt = await book('gp-derm');
    const r = await new Device(s.url).redeem(apt.clinicianUrl);
    expect(await r.json()).toMatchObject({ clinics: [{ clinicId: 'derm-north', roles: ['clinician', 'clinic-admin'] }] });
    expect((await api(s.url, 'DELETE', '/api/v1/clinics/derm-north/members/gp-derm', undefined, derm)).status).toBe(204);
    expect((await api(s.url, 'DELETE', '/api/v1/clinics/derm-north/members/gp-derm', undefined, derm)).status).toBe(404);
  });
});

describe('staff sessions over time (the server clock moved)', () => {
  // The server's clock: real time plus what a test moved it by.
  let offsetMs = 0;
  const ctx = serverFor({ SESSION_CHECK_SECONDS: '1' }, () => new Date(Date.now() + offsetMs));
  const { track, book, sessionsOf } = ctx;
  let s: TestServer;
  beforeAll(() => {
    s = ctx.s;
  });

  it('a ticket past its lifetime is TICKET_EXPIRED', async () => {
    const apt = await book('gp-late');
    offsetMs += 5 * 60_000 + 10_000;
    const late = await new Device(s.url).redeem(apt.clinicianUrl);
    expect(late.status).toBe(401);
    expect(await codeOf(late)).toBe('TICKET_EXPIRED');
    // One signed by the server's own key with an exp already past, the same.
    const past = s.deps.tokens.signClinician({ clinicianId: 'gp-late', name: 'Dr Late', tokenId: 'AAAAAAAAAAAAAAAAAAAAAA', expiresAt: Math.floor(s.deps.now().getTime() / 1000) - 60 });
    const r = await new Device(s.url).fetch('POST', '/api/v1/session', { token: past });
    expect(r.status).toBe(401);
    expect(await codeOf(r)).toBe('TICKET_EXPIRED');
    expect(await sessionsOf('gp-late')).toEqual([]);
  });

  it('a session deleted where this node hears nothing of it (another node) is cut by the re-check', async () => {
    const apt = await book('gp-elsewhere');
    const laptop = new Device(s.url);
    await laptop.redeem(apt.clinicianUrl);
    const gp = track(await laptop.connect({ appointmentId: apt.id }));
    await gp.until((v) => v.self.role === 'clinician');
    const [listed] = await sessionsOf('gp-elsewhere');
    // Straight from the store: no sessionEnded on this node's bus.
    expect(await s.deps.stores.sessions.delete(listed!.id as never)).toBe(true);
    expect(await gp.event('consultation:ended', 10_000)).toEqual({ reason: 'signed-out' });
    await until('the socket is disconnected', async () => gp.socket.connected, (c) => !c);
  });

  // Last: it moves the server's clock by more than an idle period.
  it("the day list's background refresh is not use of the session; the page's other requests are", async () => {
    const apt = await book('gp-refresh');
    const laptop = new Device(s.url);
    await laptop.redeem(apt.clinicianUrl);
    const seen = async () => (await sessionsOf('gp-refresh'))[0]!.lastSeenAt;
    const t0 = await seen();
    offsetMs += 60_000;
    expect((await laptop.fetch('GET', '/api/v1/clinician/appointments?refresh=background')).status).toBe(200);
    expect(await seen()).toBe(t0);
    expect((await laptop.fetch('GET', '/api/v1/clinician/appointments')).status).toBe(200);
    expect(Date.parse(await seen())).toBeGreaterThan(Date.parse(t0));
  });

  it('an open consultation keeps the session alive; unused for the idle time it ends', async () => {
    const apt = await book('gp-idle');
    const laptop = new Device(s.url);
    await laptop.redeem(apt.clinicianUrl);
    const gp = track(await laptop.connect({ appointmentId: apt.id }));
    await gp.until((v) => v.self.role === 'clinician');
    const [before] = await sessionsOf('gp-idle');
    // 20 minutes on, and again: the open socket's re-checks count as use each time.
    for (let i = 0; i < 2; i++) {
      const seen = (await sessionsOf('gp-idle'))[0]!.lastSeenAt;
      offsetMs += 20 * 60_000;
      await until('the open console notes use', () => sessionsOf('gp-idle'), (l) => l.length === 1 && Date.parse(l[0]!.lastSeenAt) > Date.parse(seen) + 19 * 60_000);
    }
    expect(gp.socket.connected).toBe(true);
    // Console closed, the session goes unused: past the idle time it has ended.
    gp.close();
    offsetMs += 30 * 60_000 + 5_000;
    const r = await laptop.fetch('GET', '/api/v1/session?kind=clinician');
    expect(r.status).toBe(401);
    expect(await sessionsOf('gp-idle')).toEqual([]);
    const trail = await api(s.url, 'GET', '/api/v1/audit');
    const text = await trail.text();
    expect(text).toContain('session.expired');
    expect(text).toContain(before!.id);
    expect(text).not.toContain(laptop.cookies.get(CLINICIAN_COOKIE) ?? 'no cookie left');
    expect(text).not.toContain(tokenOf(apt.clinicianUrl).split('.')[1]);
  });
});

describe('a console left open on the waiting area (the /staff socket alone)', () => {
  let offsetMs = 0;
  const ctx = serverFor({ SESSION_CHECK_SECONDS: '1' }, () => new Date(Date.now() + offsetMs));
  it('is not use of the session: it ends after the idle time, and the socket is told and cut', async () => {
    const apt = await ctx.book('gp-desk');
    const laptop = new Device(ctx.s.url);
    await laptop.redeem(apt.clinicianUrl);
    const socket = io(`${ctx.s.url}/staff`, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      extraHeaders: { cookie: `${CLINICIAN_COOKIE}=${laptop.cookies.get(CLINICIAN_COOKIE) ?? ''}`, origin: ctx.s.url },
    });
    const ended = new Promise<unknown>((resolve) => socket.once('staff:ended', resolve));
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    try {
      const watched = (await socket.timeout(5000).emitWithAck('waiting:watch', { scope: 'mine' })) as { ok: boolean };
      expect(watched.ok).toBe(true);
      const [before] = await ctx.sessionsOf('gp-desk');
      offsetMs += 20 * 60_000;
      // Several re-checks pass with the socket open: none of them counts as use.
      await new Promise((r) => setTimeout(r, 2500));
      expect((await ctx.sessionsOf('gp-desk'))[0]?.lastSeenAt).toBe(before!.lastSeenAt);
      offsetMs += 10 * 60_000 + 5_000;
      expect(await ended).toEqual({ reason: 'signed-out' });
      await until('the socket is disconnected', async () => socket.connected, (c) => !c);
      expect(await ctx.sessionsOf('gp-desk')).toEqual([]);
    } finally {
      socket.close();
    }
  });
});

describe('console tickets with sign-in on (OpenID Connect configured)', () => {
  // The provider is never reached here (discovery is lazy): sessions are started as a sign-in would.
  const ctx = serverFor({ OIDC_ISSUER: 'http://127.0.0.1:9/', OIDC_CLIENT_ID: 'consultroom', OIDC_CLIENT_SECRET: 'a-test-client-secret-0123456789' });
  const { book, sessionsOf } = ctx;
  const signedIn = async (userId: string) => {
    const started = await ctx.s.deps.sessions.startStaff({ userId, name: 'Dr Signed In', roles: ['clinician'], clinics: [] }, { device: 'test' }, 'oidc');
    const browser = new Device(ctx.s.url);
    browser.cookies.set(CLINICIAN_COOKIE, started.cookie!);
    return browser;
  };

  it('without a session: SIGN_IN_REQUIRED, for the console page and for its ticket, which stays unused', async () => {
    const fresh = new Device(ctx.s.url);
    const page = await fresh.fetch('GET', '/api/v1/session?kind=clinician');
    expect(page.status).toBe(401);
    expect(await codeOf(page)).toBe('SIGN_IN_REQUIRED');
    const apt = await book('gp-sso');
    const before = await fresh.redeem(apt.clinicianUrl);
    expect(before.status).toBe(401);
    expect(await codeOf(before)).toBe('SIGN_IN_REQUIRED');
    expect(fresh.cookies.has(CLINICIAN_COOKIE)).toBe(false);
    // Back from signing in, the page posts the kept ticket: it confirms the session already held.
    const browser = await signedIn('gp-sso');
    const cookie = browser.cookies.get(CLINICIAN_COOKIE);
    const after = await browser.redeem(apt.clinicianUrl);
    expect(after.status).toBe(200);
    expect(await after.json()).toMatchObject({ kind: 'clinician', clinicianId: 'gp-sso', via: 'oidc' });
    expect(browser.cookies.get(CLINICIAN_COOKIE)).toBe(cookie);
    expect(await sessionsOf('gp-sso')).toHaveLength(1);
    expect(await codeOf(await browser.redeem(apt.clinicianUrl))).toBe('TICKET_USED');
  });

  it("signed in as someone else: TICKET_OTHER_USER, and the ticket still works for its clinician", async () => {
    const apt = await book('gp-mine');
    const other = await signedIn('gp-someone-else');
    const r = await other.redeem(apt.clinicianUrl);
    expect(r.status).toBe(403);
    expect(await codeOf(r)).toBe('TICKET_OTHER_USER');
    expect((await (await signedIn('gp-mine')).redeem(apt.clinicianUrl)).status).toBe(200);
  });
});
