// Replaying one patient link: the same link redeemed from 25 devices at the
// same moment (a link forwarded to a group chat, opened by everyone at once).
// The binding is atomic in the store, so exactly one device binds; the other
// 24 are flagged "link already used on another device"; nobody is admitted by
// the link; the clinician sees exactly one unflagged patient. Run against the
// memory store and against a real Redis.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppointment } from '../support/api.ts';
import { startRedisServer, type RedisServerHandle } from '../support/redis-server.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { apiCall, Browser, expectAckError, expectLogsClean, PATIENT, tokenOf, Tracker } from './support.ts';

const DEVICES = 25;

interface Redeemed {
  kind: string;
  participantId: string;
  state: string;
  linkReused: boolean;
  resumed: boolean;
}
interface Detail {
  links: { id: string; bound: boolean }[];
  participants: { id: string; role: string; state: string; linkReused: boolean }[];
}

const userAgents = [
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/156.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/156.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) Gecko/20100101 Firefox/140.0',
];

describe.each(['memory', 'redis'] as const)('replaying one link (%s store)', (store) => {
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

  it(`the same link redeemed from ${DEVICES} devices at the same moment binds exactly one; none is admitted`, async () => {
    const apt = await createAppointment(s.url, { patientName: PATIENT });
    secrets.push(tokenOf(apt.patientUrl), tokenOf(apt.clinicianUrl));
    const gpDevice = new Browser(s.url);
    expect((await gpDevice.redeem(apt.clinicianUrl)).status).toBe(200);
    const gp = t.track(await gpDevice.connect({ appointmentId: apt.id }));
    await gp.until((v) => v.self.state === 'admitted');

    const devices = Array.from({ length: DEVICES }, (_, i) => new Browser(s.url, userAgents[i % userAgents.length]));
    const responses = await Promise.all(devices.map((d) => d.redeem(apt.patientUrl)));
    expect(responses.map((r) => r.status)).toEqual(Array(DEVICES).fill(200));
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as Redeemed[];
    for (const d of devices) secrets.push(d.cookies.get('__Host-cr_guest')!);

    expect(bodies.filter((b) => !b.linkReused)).toHaveLength(1);
    expect(bodies.filter((b) => b.linkReused)).toHaveLength(DEVICES - 1);
    expect(bodies.every((b) => b.kind === 'guest' && b.state === 'waiting' && !b.resumed)).toBe(true);
    expect(new Set(bodies.map((b) => b.participantId)).size).toBe(DEVICES);

    // Every device opens the waiting room; none gets media.
    const sockets = await Promise.all(devices.map(async (d) => t.track(await d.connect())));
    await Promise.all(sockets.map((c) => c.until((v) => v.self.state === 'waiting')));
    for (const c of sockets) {
      expectAckError(await c.request('media:createTransport', { direction: 'recv' }), 'NOT_ADMITTED');
      expectAckError(await c.request('media:capabilities', {}), 'NOT_ADMITTED');
    }

    // The clinician sees all of them, exactly one unflagged, nobody admitted.
    const view = await gp.until((v) => v.participants.filter((p) => p.role === 'patient' && p.connected).length === DEVICES);
    const patients = view.participants.filter((p) => p.role === 'patient');
    expect(patients).toHaveLength(DEVICES);
    expect(patients.filter((p) => !p.linkReused)).toHaveLength(1);
    expect(patients.filter((p) => p.state === 'admitted')).toHaveLength(0);
    const unflagged = bodies.find((b) => !b.linkReused)!;
    expect(patients.find((p) => !p.linkReused)!.id).toBe(unflagged.participantId);

    // And so does the API; no Router was made for anyone.
    const detail = (await apiCall(s.url, 'GET', `/api/v1/appointments/${apt.id}`)).json() as Detail;
    expect(detail.links.find((l) => l.id === apt.patientLinkId)?.bound).toBe(true);
    const ps = detail.participants.filter((p) => p.role === 'patient');
    expect(ps).toHaveLength(DEVICES);
    expect(ps.filter((p) => !p.linkReused).map((p) => p.id)).toEqual([unflagged.participantId]);
    expect(ps.every((p) => p.state === 'waiting')).toBe(true);
    expect(s.deps.rooms.get(apt.id)).toBeUndefined();

    // Replayed again, all at once: the bound device resumes unflagged, the others stay flagged.
    const again = await Promise.all(devices.map(async (d) => (await (await d.redeem(apt.patientUrl)).json()) as Redeemed));
    expect(again.map((b) => b.participantId)).toEqual(bodies.map((b) => b.participantId));
    expect(again.map((b) => b.linkReused)).toEqual(bodies.map((b) => b.linkReused));
    expect(again.every((b) => b.resumed && b.state === 'waiting')).toBe(true);
    const after = (await apiCall(s.url, 'GET', `/api/v1/appointments/${apt.id}`)).json() as Detail;
    expect(after.participants.filter((p) => p.role === 'patient')).toHaveLength(DEVICES);
    t.closeAll();
  });

  it(`${DEVICES} simultaneous redemptions from one device make one participant, not ${DEVICES} unflagged ones`, async () => {
    const apt = await createAppointment(s.url, { patientName: PATIENT });
    secrets.push(tokenOf(apt.patientUrl));
    // One browser firing the request 25 times in parallel, with the device
    // cookie the server issued it on an earlier visit (another appointment's link).
    const earlier = new Browser(s.url);
    await earlier.redeem((await createAppointment(s.url)).patientUrl);
    const credential = earlier.cookies.get('__Host-cr_device')!;
    const tabs = Array.from({ length: DEVICES }, () => {
      const b = new Browser(s.url);
      b.cookies.set('__Host-cr_device', credential);
      return b;
    });
    const bodies = await Promise.all(tabs.map(async (b) => (await (await b.redeem(apt.patientUrl)).json()) as Redeemed));
    expect(new Set(bodies.map((b) => b.participantId)).size).toBe(1);
    expect(bodies.every((b) => !b.linkReused && b.state === 'waiting')).toBe(true);
    const detail = (await apiCall(s.url, 'GET', `/api/v1/appointments/${apt.id}`)).json() as Detail;
    expect(detail.participants.filter((p) => p.role === 'patient')).toHaveLength(1);

    // The real patient, arriving afterwards on their own phone, is the one flagged; and is not admitted.
    const real = new Browser(s.url);
    const r = (await (await real.redeem(apt.patientUrl)).json()) as Redeemed;
    expect(r).toMatchObject({ linkReused: true, state: 'waiting' });
  });
});
