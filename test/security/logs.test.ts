// What the server writes down. A full consultation with a distinctive patient
// name, at the most verbose log level, with the usual failures along the way
// (bad tokens, a wrong API key, a revoked link, malformed messages, a token
// pasted into a query string): neither the patient's or family member's name,
// nor any link or console token, nor the API key, nor any session or device
// cookie value appears anywhere in the captured logs; and neither the metrics
// page (counts only) nor the audit export (ids and codes only) holds any of them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, TEST_API_KEY, type TestServer } from '../support/server.ts';
import {
  apiCall,
  Browser,
  consume,
  expectAckError,
  expectHttpError,
  expectLogsClean,
  http,
  joinAsGuest,
  openConsultation,
  PATIENT,
  postSession,
  produceAudio,
  tokenOf,
  Tracker,
} from './support.ts';

const FAMILY = 'Bartholomew Ngata-Fairweather';

let s: TestServer;
const t = new Tracker();
const secrets: string[] = [TEST_API_KEY, FAMILY, 'Ngata-Fairweather'];
const keep = (...xs: (string | undefined)[]) => {
  for (const x of xs) if (x) secrets.push(x);
};
/** A token, and also its signature alone (a log that cut it in pieces would still leak it). */
const keepToken = (token: string) => keep(token, token.split('.')[2], token.split('.')[1]);
/** Ids are fine in logs and the audit trail, but not on the metrics page. */
const ids: string[] = [];

beforeAll(async () => {
  s = await startTestServer({ LOG_LEVEL: 'trace', MAX_FAILURES: '1000000' });
});
afterAll(async () => {
  t.closeAll();
  await s?.stop();
});

describe('a full consultation, with failures, at log level trace', () => {
  it('leaves no name, token, key or cookie value in the logs', async () => {
    const c = await openConsultation(s, t, { patientName: PATIENT });
    keepToken(tokenOf(c.apt.patientUrl));
    keepToken(tokenOf(c.apt.clinicianUrl));
    for (const d of [c.patientDevice, c.gpDevice]) keep(...d.cookies.values());

    // A family member is invited, joins and waits; the patient is admitted.
    const inv = (await apiCall(s.url, 'POST', `/api/v1/appointments/${c.apt.id}/invites`, { name: FAMILY, role: 'family' })).json() as { url: string; linkId: string };
    keepToken(tokenOf(inv.url));
    const family = await joinAsGuest(s, t, inv.url);
    ids.push(c.apt.id, c.patientId, family.id, inv.linkId, c.apt.patientLinkId);
    keep(...family.device.cookies.values());
    expectAckError(await family.client.raw('media:capabilities', {}), 'NOT_ADMITTED');
    expect(await c.gp.request('lobby:admit', { participantId: c.patientId })).toEqual({ ok: true, data: {} });
    await c.patient.until((v) => v.self.state === 'admitted');
    expect(await c.gp.request('lobby:admit', { participantId: family.id })).toEqual({ ok: true, data: {} });

    // Media both ways, then the usual decisions.
    const p = await produceAudio(c.patient);
    await consume(c.gp, p.producerId);
    expect((await c.gp.request('consultation:lock', { locked: true })).ok).toBe(true);
    expect((await c.gp.request('consultation:lock', { locked: false })).ok).toBe(true);
    expect((await c.gp.request('lobby:sendBack', { participantId: family.id })).ok).toBe(true);
    expect((await c.gp.request('lobby:remove', { participantId: family.id })).ok).toBe(true);

    // Failures along the way.
    expectHttpError(await postSession(s.url, `${tokenOf(c.apt.patientUrl)}x`), 401, 'TOKEN_INVALID');
    expectHttpError(await postSession(s.url, tokenOf(c.apt.patientUrl).split('.').reverse().join('.')), 401, 'TOKEN_INVALID');
    expectHttpError(await apiCall(s.url, 'GET', `/api/v1/appointments/${c.apt.id}`, undefined, { key: `${TEST_API_KEY}-wrong` }), 401, 'UNAUTHENTICATED');
    keep(`${TEST_API_KEY}-wrong`);
    expect((await apiCall(s.url, 'DELETE', `/api/v1/appointments/${c.apt.id}/links/${inv.linkId}`)).status).toBe(204);
    expectHttpError(await postSession(s.url, tokenOf(inv.url)), [403, 410], ['LINK_REVOKED', 'FORBIDDEN']);
    expectHttpError(await apiCall(s.url, 'POST', '/api/v1/appointments', { clinician: { id: 'gp-1', name: 'Dr Asha Patel' }, patient: { name: PATIENT }, startsAt: 'tomorrow', durationMinutes: 1 }), 400, 'BAD_REQUEST');
    expectHttpError(await apiCall(s.url, 'POST', `/api/v1/appointments/${c.apt.id}/invites`, { name: FAMILY, role: 'stranger' }), 400, 'BAD_REQUEST');
    expectAckError(await c.patient.raw('lobby:admit', { participantId: c.patientId }), 'FORBIDDEN');
    expectAckError(await c.patient.raw('media:produce', { nonsense: PATIENT }), 'BAD_REQUEST');
    // A misconfigured client that puts the token in a query string, or sends it as a cookie or header.
    for (const path of [`/join?t=${tokenOf(c.apt.patientUrl)}`, `/api/v1/session?token=${tokenOf(c.apt.patientUrl)}`, `/console?t=${tokenOf(c.apt.clinicianUrl)}&a=${c.apt.id}`]) {
      expect((await http(s.url, path)).status).toBeLessThan(500);
    }
    await http(s.url, '/api/v1/session', { headers: { cookie: `__Host-cr_guest=${c.patientDevice.cookies.get('__Host-cr_guest')!}`, authorization: `Bearer ${tokenOf(c.apt.patientUrl)}` } });
    // The device cookie sent by a second browser that copied it.
    const copy = new Browser(s.url);
    copy.cookies.set('__Host-cr_device', c.patientDevice.cookies.get('__Host-cr_device')!);
    await copy.redeem(c.apt.patientUrl);
    keep(...copy.cookies.values());

    // The end, and an attempt after it.
    expect(await c.gp.request('consultation:end', {})).toEqual({ ok: true, data: {} });
    await c.patient.event('consultation:ended');
    expectHttpError(await postSession(s.url, tokenOf(c.apt.patientUrl)), 410, 'CONSULTATION_ENDED');
    await new Promise((r) => setTimeout(r, 200));

    // The logs are real (request logs, lifecycle lines) and hold none of it.
    expect(s.logs.length).toBeGreaterThan(20);
    expect(s.logs.some((l) => l.includes(c.apt.id))).toBe(true);
    expectLogsClean(s, secrets);
    console.log(`[security] logs: ${s.logs.length} log lines checked for ${secrets.length + 2} secrets`);
  });

  it('the metrics page holds counts only: no name, id, token or cookie', async () => {
    const r = await http(s.url, '/metrics');
    if (r.status === 404) return; // (no metrics route in this build)
    expect(r.status).toBe(200);
    expect(r.text).toContain('consultroom_');
    expect(r.text).not.toContain('Quintrell');
    for (const x of [...secrets, ...ids]) expect(r.text.includes(x), `the metrics page holds a secret (${x.slice(0, 6)}...)`).toBe(false);
  });

  it('the audit export holds ids and codes, never names, tokens or cookies', async () => {
    const r = await apiCall(s.url, 'GET', '/api/v1/audit');
    if (r.status === 404) return; // (no audit route in this build)
    expect(r.status).toBe(200);
    const lines = r.text.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(10);
    expect(r.text).not.toContain(PATIENT);
    expect(r.text).not.toContain('Quintrell');
    for (const x of secrets) expect(r.text.includes(x), `the audit export holds a secret (${x.slice(0, 6)}...)`).toBe(false);
  });
});
