// Sending patients their links by SMS and email, end to end: the real server
// with NOTIFY_* pointing at a real local HTTP server standing in for GOV.UK
// Notify (test/support/fake-notify.ts, which checks the JWT and the bodies).
// What a booking system sees (the deliveries in the answers, their statuses
// refreshed on GET), what the provider gets (the patient's link, the cancel
// template), what nobody else gets (the number, address and link are in no
// log line and no audit record), and that a provider that fails or is not
// configured never loses or half-makes an appointment.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { api, tokenOf } from '../support/api.ts';
import { FakeNotify } from '../support/fake-notify.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const PHONE = '07700 900123';
const EMAIL = 'jane.doe.patient@example.org';

interface Delivery {
  id: string;
  linkId: string;
  channel: 'sms' | 'email';
  status: string;
}

const booking = (deliver?: unknown) => ({
  clinician: { id: 'gp-1', name: 'Dr Asha Patel' },
  patient: { name: 'Jane Doe' },
  startsAt: '2030-12-10T14:30:00Z',
  durationMinutes: 15,
  ...(deliver ? { deliver } : {}),
});

async function auditText(s: TestServer): Promise<string> {
  const res = await api(s.url, 'GET', '/api/v1/audit');
  expect(res.status).toBe(200);
  return res.text();
}

const auditRecords = (text: string) =>
  text
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as { action?: string; subject?: string; outcome?: string; reason?: string });

describe('with a notification provider', () => {
  const fake = new FakeNotify();
  const dir = mkdtempSync(path.join(tmpdir(), 'notify-key-'));
  let s: TestServer;

  beforeAll(async () => {
    await fake.start();
    const keyFile = path.join(dir, 'api-key');
    writeFileSync(keyFile, `${fake.apiKey}\n`, { mode: 0o600 });
    const { NOTIFY_API_KEY: _inline, ...env } = fake.env();
    s = await startTestServer({ ...env, NOTIFY_API_KEY_FILE: keyFile, NOTIFY_TIMEOUT_SECONDS: '1' });
  });
  afterAll(async () => {
    await s?.stop();
    await fake.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    fake.fail = null;
  });

  it('sends the patient their link by SMS and email; the answer lists both, sending; GET refreshes them to delivered', async () => {
    const sentBefore = fake.sent.length;
    const res = await api(s.url, 'POST', '/api/v1/appointments', booking({ sms: PHONE, email: EMAIL }));
    expect(res.status).toBe(201);
    const created = (await res.json()) as { id: string; patientUrl: string; patientLinkId: string; deliveries: Delivery[] };
    expect(created.deliveries.map((d) => [d.channel, d.status, d.linkId])).toEqual([
      ['sms', 'sending', created.patientLinkId],
      ['email', 'sending', created.patientLinkId],
    ]);

    const sent = fake.sent.slice(sentBefore);
    expect(sent.map((r) => r.path)).toEqual(['/v2/notifications/sms', '/v2/notifications/email']);
    expect(sent[0]!.body).toMatchObject({ phone_number: PHONE, template_id: fake.templates.sms });
    expect(sent[1]!.body).toMatchObject({ email_address: EMAIL, template_id: fake.templates.email });
    for (const r of sent) {
      expect(r.body!.personalisation).toEqual({ link: created.patientUrl, clinic: '', clinician: 'Dr Asha Patel', when: 'Tuesday 10 December at 2:30pm' });
      expect(r.claims.iss).toBe(fake.serviceId);
    }
    expect(created.deliveries.map((d) => d.id)).toEqual(sent.map((r) => r.acceptedId));

    // The provider reports them delivered; the next GET asks and says so (and keeps it).
    for (const d of created.deliveries) fake.statuses.set(d.id, 'delivered');
    const detail = (await (await api(s.url, 'GET', `/api/v1/appointments/${created.id}`)).json()) as { deliveries: Delivery[] };
    expect(detail.deliveries.map((d) => d.status)).toEqual(['delivered', 'delivered']);
    const asked = fake.requests.filter((r) => r.method === 'GET').length;
    const again = (await (await api(s.url, 'GET', `/api/v1/appointments/${created.id}`)).json()) as { deliveries: Delivery[] };
    expect(again.deliveries.map((d) => d.status)).toEqual(['delivered', 'delivered']);
    expect(fake.requests.filter((r) => r.method === 'GET')).toHaveLength(asked); // nothing left to ask about

    // Neither the number, the address nor the link is in the logs or the audit trail; the sends are audited.
    const audit = await auditText(s);
    for (const secret of [PHONE, '7700900123', '7700 900123', EMAIL, created.patientUrl, tokenOf(created.patientUrl), fake.apiKey, fake.secretKey]) {
      expect(s.logs.join('\n')).not.toContain(secret);
      expect(audit).not.toContain(secret);
    }
    const linkSent = auditRecords(audit).filter((r) => r.action === 'link.sent' && r.subject === created.patientLinkId);
    expect(linkSent.map((r) => [r.outcome, r.reason])).toEqual([
      ['ok', 'sms'],
      ['ok', 'email'],
    ]);
  });

  it('provider down (500) or too slow: the appointment and link are still made, the deliveries failed', async () => {
    fake.fail = { status: 500 };
    const res = await api(s.url, 'POST', '/api/v1/appointments', booking({ sms: PHONE, email: EMAIL }));
    expect(res.status).toBe(201);
    const created = (await res.json()) as { id: string; patientUrl: string; patientLinkId: string; deliveries: Delivery[] };
    expect(created.patientUrl).toMatch(/#t=/);
    expect(created.deliveries.map((d) => [d.channel, d.status])).toEqual([
      ['sms', 'failed'],
      ['email', 'failed'],
    ]);

    fake.fail = { slowMs: 2_500 };
    const slow = await api(s.url, 'POST', '/api/v1/appointments', booking({ sms: PHONE }));
    expect(slow.status).toBe(201);
    expect(((await slow.json()) as { deliveries: Delivery[] }).deliveries.map((d) => d.status)).toEqual(['failed']);
    fake.fail = null;

    // The link stands (not revoked); a failed delivery is not asked about again.
    const detail = (await (await api(s.url, 'GET', `/api/v1/appointments/${created.id}`)).json()) as { links: { id: string; revoked: boolean }[]; deliveries: Delivery[] };
    expect(detail.links).toContainEqual(expect.objectContaining({ id: created.patientLinkId, revoked: false }));
    expect(detail.deliveries.map((d) => d.status)).toEqual(['failed', 'failed']);
    const refused = auditRecords(await auditText(s)).filter((r) => r.action === 'link.sent' && r.subject === created.patientLinkId);
    expect(refused.map((r) => [r.outcome, r.reason])).toEqual([
      ['refused', 'DELIVERY_UNAVAILABLE'],
      ['refused', 'DELIVERY_UNAVAILABLE'],
    ]);
    expect(s.logs.join('\n')).not.toContain(EMAIL);
    expect(s.logs.join('\n')).not.toContain(created.patientUrl);
  });

  it('re-issuing a link with deliver sends the NEW link', async () => {
    const created = (await (await api(s.url, 'POST', '/api/v1/appointments', booking())).json()) as { id: string; patientUrl: string; patientLinkId: string };
    const sentBefore = fake.sent.length;
    const res = await api(s.url, 'POST', `/api/v1/appointments/${created.id}/links/${created.patientLinkId}/reissue`, { deliver: { sms: PHONE } });
    expect(res.status).toBe(201);
    const r = (await res.json()) as { url: string; linkId: string; replaced: string; deliveries: Delivery[] };
    expect(r.replaced).toBe(created.patientLinkId);
    expect(r.deliveries.map((d) => [d.channel, d.status, d.linkId])).toEqual([['sms', 'sending', r.linkId]]);
    const sent = fake.sent.slice(sentBefore);
    expect(sent).toHaveLength(1);
    expect((sent[0]!.body!.personalisation as { link: string }).link).toBe(r.url);
    expect(r.url).not.toBe(created.patientUrl);
    expect(s.logs.join('\n')).not.toContain(tokenOf(r.url));
  });

  it('cancelling with notify sends the cancellation template, without a link', async () => {
    const created = (await (await api(s.url, 'POST', '/api/v1/appointments', booking())).json()) as { id: string; patientLinkId: string };
    const sentBefore = fake.sent.length;
    const res = await api(s.url, 'POST', `/api/v1/appointments/${created.id}/cancel`, { notify: { email: EMAIL } });
    expect(res.status).toBeLessThan(300);
    const sent = fake.sent.slice(sentBefore);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.body).toMatchObject({ email_address: EMAIL, template_id: fake.templates.cancelEmail, personalisation: { link: '', clinician: 'Dr Asha Patel' } });
  });
});

describe('without a notification provider', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(() => s?.stop());

  it('a request with deliver is refused 501 NOT_CONFIGURED and nothing is created', async () => {
    const before = auditRecords(await auditText(s)).filter((r) => r.action === 'appointment.created').length;
    const res = await api(s.url, 'POST', '/api/v1/appointments', booking({ sms: PHONE }));
    expect(res.status).toBe(501);
    expect(((await res.json()) as { code: string }).code).toBe('NOT_CONFIGURED');
    const after = auditRecords(await auditText(s)).filter((r) => r.action === 'appointment.created').length;
    expect(after).toBe(before);
    // Without deliver, booking works as ever.
    expect((await api(s.url, 'POST', '/api/v1/appointments', booking())).status).toBe(201);
  });
});
