// Device identity is the server's, and the clinician's decisions last.
// Attacks, from outside, on the memory store and on a real Redis:
// - a device cookie planted in the patient's browser (cookie tossing from a
//   sibling host, before the patient's first visit) and presented again by the
//   intruder with the forwarded link: the intruder must land in the waiting
//   room, flagged, as a new person on the clinician's screen;
// - forged and garbage device cookies: answered with a fresh server-issued
//   credential in a __Host- cookie, never echoed;
// - a denied or removed link holder coming back without their cookie, as a
//   new device, again and again: refused every time (LINK_CLOSED);
// - ten simultaneous redemptions from one device new to a link: one participant;
// - logout: the session's open socket is disconnected at once.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLINICIAN_COOKIE, DEVICE_COOKIE, GUEST_COOKIE } from '../../server/edge/cookies.ts';
import { createAppointment } from '../support/api.ts';
import { startRedisServer, type RedisServerHandle } from '../support/redis-server.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { apiCall, Browser, disconnected, expectConnectRefused, expectHttpError, expectLogsClean, openConsultation, PATIENT, postSession, tokenOf, Tracker } from './support.ts';

const CREDENTIAL = /^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/;
const CLOSED_MESSAGE = 'The clinician has closed this link. Please ask the clinic for a new one.';

interface Redeemed {
  participantId: string;
  state: string;
  linkReused: boolean;
  resumed: boolean;
}
interface Detail {
  participants: { id: string; role: string; state: string; linkReused: boolean }[];
}

/** The Set-Cookie line for this cookie, from a fetch Response. */
const setCookieOf = (r: Response, name: string): string | undefined => r.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));

/** A browser that already holds a device cookie the server issued (from another appointment's link). */
async function knownBrowser(s: TestServer): Promise<Browser> {
  const b = new Browser(s.url, 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/156.0 Safari/537.36');
  expect((await b.redeem((await createAppointment(s.url)).patientUrl)).status).toBe(200);
  expect(b.cookies.get(DEVICE_COOKIE)).toMatch(CREDENTIAL);
  return b;
}

describe.each(['memory', 'redis'] as const)('device identity and lasting decisions (%s store)', (store) => {
  let s: TestServer;
  let redis: RedisServerHandle | undefined;
  const t = new Tracker();
  const secrets: string[] = [];

  beforeAll(async () => {
    if (store === 'redis') redis = await startRedisServer();
    s = await startTestServer({ MAX_FAILURES: '1000000', ...(redis ? { REDIS_URL: redis.url } : {}) });
    expect(s.deps.stores.kind).toBe(store);
  });
  afterAll(async () => {
    t.closeAll();
    if (s) {
      expectLogsClean(s, secrets);
      await s.stop();
    }
    await redis?.stop();
  });

  const detail = async (id: string): Promise<Detail> => (await apiCall(s.url, 'GET', `/api/v1/appointments/${id}`)).json() as Detail;

  it('a device cookie planted before the patient came never resumes the patient: the intruder waits, flagged, as a new person', async () => {
    const apt = await createAppointment(s.url, { patientName: PATIENT });
    secrets.push(tokenOf(apt.patientUrl), tokenOf(apt.clinicianUrl));
    const gpDevice = new Browser(s.url);
    expect((await gpDevice.redeem(apt.clinicianUrl)).status).toBe(200);
    const gp = t.track(await gpDevice.connect({ appointmentId: apt.id }));

    // Values an attacker could have planted: an old-style bare id, and credentials they made up.
    const plants = ['AttackerChosenDevice01', `AttackerChosenDevice01.${'A'.repeat(43)}`, `${randomBytes(16).toString('base64url')}.${randomBytes(32).toString('base64url')}`];
    for (const planted of plants) {
      const a = await createAppointment(s.url, { patientName: PATIENT });
      const patient = new Browser(s.url);
      patient.cookies.set(DEVICE_COOKIE, planted);
      const r = await patient.redeem(a.patientUrl);
      expect(r.status).toBe(200);
      // The server replaced the planted value with one it issued.
      expect(patient.cookies.get(DEVICE_COOKIE)).toMatch(CREDENTIAL);
      expect(patient.cookies.get(DEVICE_COOKIE)).not.toBe(planted);
      const intruder = new Browser(s.url);
      intruder.cookies.set(DEVICE_COOKIE, planted);
      const body = (await (await intruder.redeem(a.patientUrl)).json()) as Redeemed;
      expect(body).toMatchObject({ state: 'waiting', linkReused: true, resumed: false });
      expect(body.participantId).not.toBe(((await r.json()) as Redeemed).participantId);
    }

    // The full attack on a live consultation: the patient, admitted, with a planted value; the intruder presents it.
    const planted = `${randomBytes(16).toString('base64url')}.${randomBytes(32).toString('base64url')}`;
    const patientDevice = new Browser(s.url);
    patientDevice.cookies.set(DEVICE_COOKIE, planted);
    expect((await patientDevice.redeem(apt.patientUrl)).status).toBe(200);
    const patient = t.track(await patientDevice.connect());
    const patientId = (await patient.until((v) => v.self.state === 'waiting')).self.id;
    expect(await gp.request('lobby:admit', { participantId: patientId })).toEqual({ ok: true, data: {} });
    await patient.until((v) => v.self.state === 'admitted');
    secrets.push(patientDevice.cookies.get(DEVICE_COOKIE)!);

    // The intruder also tries the patient's real device id (it is not secret: it shows in no cookie but theirs) with a made-up secret.
    const patientDeviceId = patientDevice.cookies.get(DEVICE_COOKIE)!.split('.')[0]!;
    for (const value of [planted, `${patientDeviceId}.${randomBytes(32).toString('base64url')}`, patientDeviceId]) {
      const intruder = new Browser(s.url, 'Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/156.0 Mobile Safari/537.36');
      intruder.cookies.set(DEVICE_COOKIE, value);
      const r = await intruder.redeem(apt.patientUrl);
      expect(r.status).toBe(200);
      const body = (await r.json()) as Redeemed;
      expect(body).toMatchObject({ state: 'waiting', linkReused: true, resumed: false });
      expect(body.participantId).not.toBe(patientId);
      expect(intruder.cookies.get(DEVICE_COOKIE)).not.toBe(value);
      // Its socket is a waiting one, and the clinician sees a new, flagged person.
      const c = t.track(await intruder.connect());
      expect((await c.until((v) => v.self.state === 'waiting')).self.id).toBe(body.participantId);
      await gp.until((v) => v.participants.some((p) => p.id === body.participantId && p.linkReused && p.state === 'waiting'));
    }
    expect((await detail(apt.id)).participants.find((p) => p.id === patientId)).toMatchObject({ state: 'admitted', linkReused: false });
    t.closeAll();
  });

  it('forged and garbage device cookies get a fresh server-issued credential in __Host- cookies; a genuine one is kept', async () => {
    const apt = await createAppointment(s.url, { patientName: PATIENT });
    secrets.push(tokenOf(apt.patientUrl));
    const garbage = ['', 'x', 'A'.repeat(22), `${'A'.repeat(22)}.`, `.${'A'.repeat(43)}`, `${'A'.repeat(22)}.${'A'.repeat(44)}`, '%00%0d%0a', '../../etc/passwd', 'é'.repeat(30), 'x'.repeat(3000)];
    const issued = new Set<string>();
    for (const value of garbage) {
      const b = new Browser(s.url);
      b.cookies.set(DEVICE_COOKIE, value);
      const r = await b.redeem(apt.patientUrl);
      expect(r.status, value).toBe(200);
      const line = setCookieOf(r, DEVICE_COOKIE);
      expect(line, value).toBeDefined();
      expect(line).toMatch(/; HttpOnly/i);
      expect(line).toMatch(/; Secure/i);
      expect(line).toMatch(/; Path=\//i);
      expect(line).toMatch(/; SameSite=Strict/i);
      expect(line).not.toMatch(/; Domain=/i);
      const credential = b.cookies.get(DEVICE_COOKIE)!;
      expect(credential).toMatch(CREDENTIAL);
      expect(credential).not.toBe(value);
      issued.add(credential);
      expect(setCookieOf(r, GUEST_COOKIE)).toMatch(/^__Host-cr_guest=[A-Za-z0-9_-]{22}; .*Secure/);
    }
    expect(issued.size).toBe(garbage.length);
    // No unprefixed cookie is ever set.
    const plain = new Browser(s.url);
    const r = await plain.redeem(apt.patientUrl);
    expect(r.headers.getSetCookie().every((c) => c.startsWith('__Host-'))).toBe(true);
    // A genuine credential comes back unchanged, and the device resumes its own participant.
    const first = (await r.json()) as Redeemed;
    const credential = plain.cookies.get(DEVICE_COOKIE)!;
    const again = await plain.redeem(apt.patientUrl);
    expect(plain.cookies.get(DEVICE_COOKIE)).toBe(credential);
    expect((await again.json()) as Redeemed).toMatchObject({ participantId: first.participantId, resumed: true });
    // The console gets one too.
    const gp = new Browser(s.url);
    const c = await gp.redeem(apt.clinicianUrl);
    expect(setCookieOf(c, CLINICIAN_COOKIE)).toMatch(/Secure/);
    expect(gp.cookies.get(DEVICE_COOKIE)).toMatch(CREDENTIAL);
  });

  for (const decision of ['deny', 'remove'] as const) {
    it(`after the clinician ${decision === 'deny' ? 'denies' : 'removes'} the link holder, every new device on the link is refused, every time`, async () => {
      const c = await openConsultation(s, t, { admit: decision === 'remove' });
      secrets.push(tokenOf(c.apt.patientUrl), tokenOf(c.apt.clinicianUrl));
      expect(await c.gp.request(decision === 'deny' ? 'lobby:deny' : 'lobby:remove', { participantId: c.patientId })).toEqual({ ok: true, data: {} });
      await disconnected(c.patient);
      const before = await detail(c.apt.id);

      // The holder drops the cookie (a private window, another phone): refused each time, nothing created.
      for (let i = 0; i < 6; i++) {
        const r = await postSession(s.url, tokenOf(c.apt.patientUrl));
        const e = expectHttpError(r, 410, 'LINK_CLOSED');
        expect(e.message).toBe(CLOSED_MESSAGE);
        expect(r.headers['set-cookie'] ?? []).toEqual([]);
      }
      // A device the server knows (from elsewhere), new to this link: refused too.
      const known = await knownBrowser(s);
      expect((await known.redeem(c.apt.patientUrl)).status).toBe(410);
      // With its own cookie, the decided device stays refused (FORBIDDEN), and cannot connect.
      expect((await c.patientDevice.redeem(c.apt.patientUrl)).status).toBe(403);
      await expectConnectRefused(c.patientDevice, undefined, 'FORBIDDEN');

      expect(await detail(c.apt.id)).toEqual(before);
      expect(c.gp.view?.participants.filter((p) => p.state === 'waiting')).toEqual([]);
      t.closeAll();
    });
  }

  it('a flagged device already on the link keeps its place after the link closes; nobody new gets in', async () => {
    const c = await openConsultation(s, t);
    secrets.push(tokenOf(c.apt.patientUrl), tokenOf(c.apt.clinicianUrl));
    const other = new Browser(s.url);
    const o = (await (await other.redeem(c.apt.patientUrl)).json()) as Redeemed;
    expect(o).toMatchObject({ linkReused: true, state: 'waiting' });
    expect(await c.gp.request('lobby:deny', { participantId: c.patientId })).toEqual({ ok: true, data: {} });
    expect((await (await other.redeem(c.apt.patientUrl)).json()) as Redeemed).toMatchObject({ participantId: o.participantId, resumed: true });
    expect((await new Browser(s.url).redeem(c.apt.patientUrl)).status).toBe(410);
    t.closeAll();
  });

  it('ten simultaneous redemptions from one device new to a link make exactly one participant', async () => {
    const c = await openConsultation(s, t);
    secrets.push(tokenOf(c.apt.patientUrl), tokenOf(c.apt.clinicianUrl));
    const known = await knownBrowser(s);
    const credential = known.cookies.get(DEVICE_COOKIE)!;
    const tabs = Array.from({ length: 10 }, () => {
      const b = new Browser(s.url);
      b.cookies.set(DEVICE_COOKIE, credential);
      return b;
    });
    const bodies = await Promise.all(tabs.map(async (b) => (await (await b.redeem(c.apt.patientUrl)).json()) as Redeemed));
    expect(new Set(bodies.map((b) => b.participantId)).size).toBe(1);
    expect(bodies.every((b) => b.linkReused && b.state === 'waiting')).toBe(true);
    expect(bodies.filter((b) => !b.resumed)).toHaveLength(1);
    const patients = (await detail(c.apt.id)).participants.filter((p) => p.role === 'patient');
    expect(patients.map((p) => p.id).sort()).toEqual([c.patientId, bodies[0]!.participantId].sort());
    // Every tab was given the same device back.
    expect(new Set(tabs.map((b) => b.cookies.get(DEVICE_COOKIE))).size).toBe(1);
    t.closeAll();
  });

  it('logout ends the session and disconnects its open sockets at once (guest and clinician)', async () => {
    const c = await openConsultation(s, t, { admit: true });
    secrets.push(tokenOf(c.apt.patientUrl), tokenOf(c.apt.clinicianUrl));
    const patientGone = disconnected(c.patient);
    const r = await c.patientDevice.fetch('DELETE', '/api/v1/session');
    expect(r.status).toBe(204);
    expect(setCookieOf(r, GUEST_COOKIE)).toMatch(/Secure/);
    expect(await patientGone).toBe(true);
    await expectConnectRefused(c.patientDevice, undefined, 'UNAUTHENTICATED');

    const gpGone = disconnected(c.gp);
    expect((await c.gpDevice.fetch('DELETE', '/api/v1/session')).status).toBe(204);
    expect(await gpGone).toBe(true);
    await expectConnectRefused(c.gpDevice, { appointmentId: c.apt.id }, 'UNAUTHENTICATED');
    t.closeAll();
  });
});
