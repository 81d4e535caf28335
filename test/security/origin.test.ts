// Cross-origin requests riding on the session cookies. SameSite=Strict keeps
// other sites' pages from sending our cookies, but a page on another port of
// the same host (or a sibling host of the same site) is "same-site": the
// browser sends the patient's or the clinician's cookies with its POST. Every
// cookie-authenticated unsafe request must therefore come from this server's
// own origin. The attacks below are what such a page makes the victim's
// browser send; each is refused 403 FORBIDDEN and changes nothing. The real
// pages (same origin: the browser sends Origin on every POST and DELETE) and
// booking systems (API key, no cookie) are unaffected.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, TEST_API_KEY, type TestServer } from '../support/server.ts';
import {
  apiCall,
  asResult,
  Browser,
  expectHttpError,
  expectLogsClean,
  http,
  openConsultation,
  snapshot,
  tokenOf,
  Tracker,
  type Consultation,
  type HttpResult,
} from './support.ts';

let s: TestServer;
let c: Consultation;
let otherPage: string;
const t = new Tracker();
const jpeg = () => sharp({ create: { width: 32, height: 24, channels: 3, background: '#48c' } }).jpeg().toBuffer();

/** Header sets a page that is not ours can end up sending (or a browser that strips Origin). */
const foreign = (): [string, Record<string, string>][] => [
  ['Origin: another port of the same host', { origin: otherPage }],
  ['Origin: another scheme', { origin: s.url.replace('http:', 'https:') }],
  ['Origin: null (sandboxed frame, data: URL)', { origin: 'null' }],
  ['no Origin, Sec-Fetch-Site: same-site', { 'sec-fetch-site': 'same-site' }],
  ['no Origin, Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
  ['no Origin, Referer on another port', { referer: `${otherPage}/attack.html` }],
  ['no Origin, no Sec-Fetch-Site, no Referer', {}],
];

beforeAll(async () => {
  s = await startTestServer();
  const port = Number(new URL(s.url).port);
  otherPage = `http://127.0.0.1:${port === 65535 ? port - 1 : port + 1}`;
  c = await openConsultation(s, t, { admit: true });
});
afterAll(async () => {
  t.closeAll();
  if (s) {
    expectLogsClean(s, [tokenOf(c.apt.patientUrl), tokenOf(c.apt.clinicianUrl), ...c.patientDevice.cookies.values(), ...c.gpDevice.cookies.values()]);
    await s.stop();
  }
});

/** A request the victim's browser sends: its cookies, from its address, with these extra headers. */
function asVictim(victim: Browser, method: string, path: string, headers: Record<string, string>, body?: Buffer | string, contentType?: string): Promise<HttpResult> {
  return http(s.url, path, {
    method,
    from: victim.from,
    headers: { cookie: victim.cookieHeader, 'user-agent': victim.userAgent, ...(contentType ? { 'content-type': contentType } : {}), ...headers },
    ...(body !== undefined ? { body } : {}),
  });
}

const fileCount = async (): Promise<number> => {
  const r = await c.gp.request('thread:list', {});
  if (!r.ok) throw new Error(JSON.stringify(r));
  return (r.data.items as { kind: string }[]).filter((i) => i.kind === 'file').length;
};

describe('a page on another origin of the same site, using the victim’s cookies', () => {
  it('cannot upload into the consultation (POST /api/v1/consultations/:id/files)', async () => {
    const before = await fileCount();
    const bytes = await jpeg();
    for (const [what, headers] of foreign()) {
      const r = await asVictim(c.patientDevice, 'POST', `/api/v1/consultations/${c.apt.id}/files?name=planted.jpg`, headers, bytes, 'image/jpeg');
      expectHttpError(r, 403, 'FORBIDDEN');
      expect(r.status, what).toBe(403);
    }
    expect(await fileCount()).toBe(before);
    expect(c.gp.events.filter((e) => e.name === 'thread:item')).toHaveLength(0);
  });

  it("cannot sign the patient or the clinician out (DELETE /api/v1/session)", async () => {
    for (const victim of [c.patientDevice, c.gpDevice]) {
      for (const [what, headers] of foreign()) {
        const r = await asVictim(victim, 'DELETE', '/api/v1/session', headers);
        expectHttpError(r, 403, 'FORBIDDEN');
        expect(r.headers['set-cookie'] ?? [], what).toEqual([]);
      }
      expect((await victim.fetch('GET', '/api/v1/session')).status).toBe(200);
    }
    expect(c.patient.socket.connected && c.gp.socket.connected).toBe(true);
  });

  it('cannot redeem a link of its choosing in the victim’s browser (POST /api/v1/session with cookies)', async () => {
    const inv = (await apiCall(s.url, 'POST', `/api/v1/appointments/${c.apt.id}/invites`, { name: 'Sam Okafor', role: 'carer' })).json() as { url: string };
    const before = await snapshot(s, c.apt.id);
    for (const [what, headers] of foreign()) {
      const r = await asVictim(c.patientDevice, 'POST', '/api/v1/session', headers, JSON.stringify({ token: tokenOf(inv.url) }), 'application/json');
      expectHttpError(r, 403, 'FORBIDDEN');
      expect(r.headers['set-cookie'] ?? [], what).toEqual([]);
    }
    expect(await snapshot(s, c.apt.id)).toEqual(before);
  });
});

describe('our own pages and booking systems are unaffected', () => {
  it('the page itself (Origin is ours) uploads and signs out as before', async () => {
    const r = await asResult(await c.patientDevice.upload(`/api/v1/consultations/${c.apt.id}/files?name=rash.jpg`, await jpeg(), 'image/jpeg'));
    expect(r.status, r.text).toBe(201);
    await c.gp.event('thread:item');
  });

  it('without Origin, Sec-Fetch-Site: same-origin or a Referer of ours is accepted', async () => {
    for (const headers of [{ 'sec-fetch-site': 'same-origin' }, { referer: `${s.url}/join` }] as Record<string, string>[]) {
      const guest = new Browser(s.url);
      const inv = (await apiCall(s.url, 'POST', `/api/v1/appointments/${c.apt.id}/invites`, { name: 'Ana Silva', role: 'family' })).json() as { url: string };
      expect((await guest.redeem(inv.url)).status).toBe(200);
      const r = await asVictim(guest, 'DELETE', '/api/v1/session', headers);
      expect(r.status).toBe(204);
      expect((await guest.fetch('GET', '/api/v1/session')).status).toBe(401);
    }
  });

  it('a booking system with an API key and no cookie needs no Origin (and a foreign one changes nothing)', async () => {
    const body = JSON.stringify({ clinician: { id: 'gp-9', name: 'Dr Lee' }, patient: { name: 'Jo Bloggs' }, startsAt: new Date().toISOString(), durationMinutes: 15 });
    const key = { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' };
    expect((await http(s.url, '/api/v1/appointments', { method: 'POST', headers: key, body })).status).toBe(201);
    expect((await http(s.url, '/api/v1/appointments', { method: 'POST', headers: { ...key, origin: otherPage }, body })).status).toBe(201);
  });

  it('reading needs no Origin (GET is safe and changes nothing)', async () => {
    const r = await http(s.url, '/api/v1/session', { from: c.patientDevice.from, headers: { cookie: c.patientDevice.cookieHeader, origin: otherPage } });
    expect(r.status).toBe(200);
  });
});
