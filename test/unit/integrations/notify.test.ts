// The GOV.UK Notify client against a real local HTTP server standing in for
// Notify (test/support/fake-notify.ts checks the JWT as Notify does): the
// token's header and claims, the request bodies, each failure typed (and
// never quoting the number, address, link or key), the timeout, the bounded
// answer; then DeliveryService over it (records, audit, refresh), the
// appointment time as the message says it, and the `notify` config section.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, ConfigError } from '../../../config/load.ts';
import type { AppointmentId, LinkId } from '../../../server/core/ids.ts';
import { whenText } from '../../../server/domain/delivery-text.ts';
import { DeliveryError, DeliveryService, type OutgoingMessage } from '../../../server/domain/delivery.ts';
import { DomainBus, EventRecorder } from '../../../server/domain/events.ts';
import type { Appointment, Link } from '../../../server/domain/model.ts';
import { parseApiKey } from '../../../server/integrations/notify/api-key.ts';
import { NotifyClient, type NotifyClientOptions } from '../../../server/integrations/notify/client.ts';
import { createMemoryStores } from '../../../server/stores/memory/index.ts';
import { FakeNotify } from '../../support/fake-notify.ts';

const PHONE = '+447700900123';
const EMAIL = 'patient.one@example.org';
const LINK = 'https://video.example.nhs.uk/join#t=eyJsecret-link-token';
const MESSAGE: OutgoingMessage = {
  kind: 'invite',
  personalisation: { link: LINK, clinic: 'Dermatology North', clinician: 'Dr Asha Patel', when: 'Tuesday 8 December at 2:30pm' },
  reference: 'link-id-1',
};

let fake: FakeNotify;
beforeAll(async () => {
  fake = new FakeNotify();
  await fake.start();
});
afterAll(() => fake.stop());
afterEach(() => {
  fake.fail = null;
  fake.requests.length = 0;
  fake.refused.length = 0;
});

const client = (over: Partial<NotifyClientOptions> = {}) =>
  new NotifyClient({ baseUrl: fake.baseUrl, apiKey: fake.apiKey, templates: { sms: fake.templates.sms, email: fake.templates.email }, timeoutSeconds: 2, ...over });

/** The DeliveryError a call rejects with. */
async function failureOf(p: Promise<unknown>): Promise<DeliveryError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DeliveryError);
  return e as DeliveryError;
}

function expectNothingPersonal(text: string): void {
  for (const secret of [PHONE, '7700900123', EMAIL, LINK, 'secret-link-token', fake.apiKey, fake.secretKey]) expect(text).not.toContain(secret);
}

describe('NotifyClient', () => {
  it('sends an SMS with a fresh HS256 JWT {iss: service id, iat: now} and Notify\'s body', async () => {
    const before = Math.floor(Date.now() / 1000);
    const { id } = await client().sendSms(PHONE, MESSAGE);
    expect(fake.refused).toEqual([]);
    const [req] = fake.requests;
    expect(req).toMatchObject({ method: 'POST', path: '/v2/notifications/sms', jwtHeader: { typ: 'JWT', alg: 'HS256' }, acceptedId: id });
    expect(req!.claims.iss).toBe(fake.serviceId);
    expect(req!.claims.iat).toBeGreaterThanOrEqual(before);
    expect(req!.claims.iat).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    expect(req!.body).toEqual({ phone_number: PHONE, template_id: fake.templates.sms, personalisation: MESSAGE.personalisation, reference: 'link-id-1' });
  });

  it('sends an email to the email endpoint with the email template', async () => {
    const { id } = await client().sendEmail(EMAIL, MESSAGE);
    expect(fake.sent).toHaveLength(1);
    expect(fake.sent[0]).toMatchObject({ path: '/v2/notifications/email', acceptedId: id, body: { email_address: EMAIL, template_id: fake.templates.email, personalisation: MESSAGE.personalisation } });
  });

  it('a cancellation uses the cancellation template, and is not supported without one', async () => {
    const withCancel = client({ templates: { sms: fake.templates.sms, email: fake.templates.email, cancelSms: fake.templates.cancelSms } });
    expect(withCancel.supports('sms', 'cancelled')).toBe(true);
    expect(withCancel.supports('email', 'cancelled')).toBe(false);
    expect(withCancel.supports('email', 'invite')).toBe(true);
    await withCancel.sendSms(PHONE, { ...MESSAGE, kind: 'cancelled' });
    expect(fake.sent[0]!.body!.template_id).toBe(fake.templates.cancelSms);
    expect((await failureOf(withCancel.sendEmail(EMAIL, { ...MESSAGE, kind: 'cancelled' }))).failure).toBe('REFUSED');
    expect(fake.sent).toHaveLength(1);
  });

  it('a token signed with another secret, or whose iat is stale, is refused by the provider: UNAUTHORISED', async () => {
    const otherSecret = `consultroom_test-${fake.serviceId}-3d844edf-8d35-48ac-975b-e847b4f122b0`;
    const wrong = await failureOf(client({ apiKey: otherSecret }).sendSms(PHONE, MESSAGE));
    expect(wrong.failure).toBe('UNAUTHORISED');
    const stale = await failureOf(client({ now: () => Date.now() - 120_000 }).sendSms(PHONE, MESSAGE));
    expect(stale.failure).toBe('UNAUTHORISED');
    expect(fake.refused).toHaveLength(2);
    expect(fake.refused[1]).toMatch(/clock/);
    expect(fake.sent).toEqual([]);
    expectNothingPersonal(wrong.message + stale.message);
  });

  it.each([
    [500, 'PROVIDER_ERROR'],
    [429, 'RATE_LIMITED'],
    [403, 'UNAUTHORISED'],
  ] as const)('answers %i -> %s, after one request (no retries inside)', async (status, failure) => {
    fake.fail = { status };
    const e = await failureOf(client().sendSms(PHONE, MESSAGE));
    expect(e.failure).toBe(failure);
    expect(e.message).toContain(String(status));
    expect(fake.requests).toHaveLength(1);
  });

  it("a 400 keeps Notify's explanation for the log, minus the number, address and link it may quote", async () => {
    fake.fail = { status: 400, message: `Can't send to ${PHONE} (447700900123, ${EMAIL}) with ${LINK}: Missing personalisation: when` };
    const e = await failureOf(client().sendSms(PHONE, MESSAGE));
    expect(e.failure).toBe('REFUSED');
    expect(e.message).toContain('BadRequestError');
    expect(e.message).toContain('Missing personalisation: when');
    expectNothingPersonal(e.message);
  });

  it('gives up after the timeout: TIMEOUT, one request', async () => {
    fake.fail = { slowMs: 3_000 };
    const e = await failureOf(client({ timeoutSeconds: 1 }).sendSms(PHONE, MESSAGE));
    expect(e.failure).toBe('TIMEOUT');
    expect(fake.requests).toHaveLength(1);
  });

  it('refuses an answer larger than the bound, and follows no redirect', async () => {
    fake.fail = { oversizedBytes: 200_000 };
    expect((await failureOf(client({ maxResponseBytes: 8192 }).sendSms(PHONE, MESSAGE))).failure).toBe('BAD_RESPONSE');
    fake.fail = { redirect: `${fake.baseUrl}/v2/notifications/sms` };
    const e = await failureOf(client().sendSms(PHONE, MESSAGE));
    expect(['UNREACHABLE', 'BAD_RESPONSE']).toContain(e.failure);
    expect(fake.requests).toHaveLength(2);
  });

  it('a provider that cannot be reached: UNREACHABLE', async () => {
    const down = new FakeNotify();
    await down.start();
    const baseUrl = down.baseUrl;
    await down.stop();
    const e = await failureOf(client({ baseUrl }).sendEmail(EMAIL, MESSAGE));
    expect(e.failure).toBe('UNREACHABLE');
    expectNothingPersonal(e.message);
  });

  it("maps Notify's statuses: created/sending/pending -> sending, delivered, the failures -> failed, sent -> unknown; an unknown id -> NOT_FOUND", async () => {
    const c = client();
    const { id } = await c.sendSms(PHONE, MESSAGE);
    const cases = { created: 'sending', sending: 'sending', pending: 'sending', delivered: 'delivered', 'permanent-failure': 'failed', 'temporary-failure': 'failed', 'technical-failure': 'failed', sent: 'unknown' };
    for (const [notify, ours] of Object.entries(cases)) {
      fake.statuses.set(id, notify);
      expect(await c.status(id)).toBe(ours);
    }
    expect(fake.requests.filter((r) => r.method === 'GET').every((r) => r.path === `/v2/notifications/${id}`)).toBe(true);
    expect((await failureOf(c.status('5e427b42-4e98-46f3-a047-32c4a87d26bb'))).failure).toBe('NOT_FOUND');
    expect((await failureOf(c.status('../../etc'))).failure).toBe('NOT_FOUND');
  });

  it('an API key not in the form {name}-{uuid}-{uuid} is refused without repeating it', () => {
    expect(parseApiKey(fake.apiKey)).toEqual({ serviceId: fake.serviceId, secretKey: fake.secretKey });
    const bad = 'live-not-a-uuid-supersecretvalue';
    expect(() => parseApiKey(bad)).toThrow(/form/);
    try {
      parseApiKey(bad);
    } catch (e) {
      expect((e as Error).message).not.toContain('supersecret');
    }
  });
});

describe('DeliveryService', () => {
  const A_ID = 'apt-1' as AppointmentId;
  const appointment: Appointment = {
    id: A_ID,
    clinician: { id: 'gp-1', name: 'Dr Asha Patel' },
    patientName: 'Jane Doe',
    startsAt: '2026-12-08T14:30:00.000Z',
    durationMinutes: 15,
    createdAt: '2026-12-01T09:00:00.000Z',
    status: 'scheduled',
    locked: false,
  };
  const link = { id: 'link-1' as LinkId, appointmentId: A_ID, role: 'patient', name: 'Jane Doe', createdAt: '', expiresAt: '', revoked: false } as Link;
  const actor = { role: 'api' as const, id: 'key-1' };

  async function rig(sender: NotifyClient | null) {
    const stores = createMemoryStores();
    await stores.appointments.create(appointment, 3600);
    const warnings: string[] = [];
    const service = new DeliveryService({
      sender,
      stores,
      events: new EventRecorder(stores.events, new DomainBus(), () => new Date()),
      now: () => new Date(),
      log: { warn: (obj, msg) => warnings.push(JSON.stringify({ obj, msg })) },
    });
    return { stores, service, warnings };
  }

  it('sends both, keeps provider ids only, audits link.sent per channel', async () => {
    const { stores, service } = await rig(client());
    const records = await service.send(appointment, link, LINK, { sms: PHONE, email: EMAIL }, 'invite', actor);
    expect(records.map((r) => [r.channel, r.status])).toEqual([
      ['sms', 'sending'],
      ['email', 'sending'],
    ]);
    expect(records.map((r) => r.id).sort()).toEqual(fake.sent.map((r) => r.acceptedId).sort());
    expect(fake.sent.every((r) => (r.body!.personalisation as Record<string, string>).link === LINK)).toBe(true);
    expect(fake.sent[0]!.body!.personalisation).toEqual({ link: LINK, clinic: '', clinician: 'Dr Asha Patel', when: 'Tuesday 8 December at 2:30pm' });
    const stored = await stores.appointments.get(A_ID);
    expect(stored!.deliveries).toEqual(records);
    expectNothingPersonal(JSON.stringify(stored));
    const events = (await stores.events.list(A_ID)).filter((e) => e.type === 'link.sent');
    expect(events.map((e) => [e.subject, e.outcome, e.reason])).toEqual([
      ['link-1', 'ok', 'sms'],
      ['link-1', 'ok', 'email'],
    ]);
  });

  it('provider down: no throw, failed records, refused audit, a log naming no one', async () => {
    const { stores, service, warnings } = await rig(client());
    fake.fail = { status: 500 };
    const records = await service.send(appointment, link, LINK, { sms: PHONE, email: EMAIL }, 'invite', actor);
    expect(records.map((r) => r.status)).toEqual(['failed', 'failed']);
    const events = (await stores.events.list(A_ID)).filter((e) => e.type === 'link.sent');
    expect(events.map((e) => [e.outcome, e.reason])).toEqual([
      ['refused', 'DELIVERY_UNAVAILABLE'],
      ['refused', 'DELIVERY_UNAVAILABLE'],
    ]);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain('PROVIDER_ERROR');
    expectNothingPersonal(warnings.join('\n'));
  });

  it('refresh asks about those still sending, saves what changed; an unanswered one shows unknown but stays sending', async () => {
    const { stores, service } = await rig(client());
    const [sms, email] = await service.send(appointment, link, LINK, { sms: PHONE, email: EMAIL }, 'invite', actor);
    fake.statuses.set(sms!.id, 'delivered');
    const once = await service.refresh((await stores.appointments.get(A_ID))!);
    expect(once.map((d) => d.status)).toEqual(['delivered', 'sending']);
    expect((await stores.appointments.get(A_ID))!.deliveries!.map((d) => d.status)).toEqual(['delivered', 'sending']);
    fake.requests.length = 0;
    fake.fail = { status: 500 };
    const shown = await service.refresh((await stores.appointments.get(A_ID))!);
    expect(shown.map((d) => d.status)).toEqual(['delivered', 'unknown']);
    expect(fake.requests.map((r) => r.path)).toEqual([`/v2/notifications/${email!.id}`]);
    expect((await stores.appointments.get(A_ID))!.deliveries!.map((d) => d.status)).toEqual(['delivered', 'sending']);
  });

  it('asks about at most 5 per refresh', async () => {
    const { stores, service } = await rig(client());
    for (let i = 0; i < 4; i++) await service.send(appointment, link, LINK, { sms: PHONE, email: EMAIL }, 'invite', actor);
    fake.requests.length = 0;
    await service.refresh((await stores.appointments.get(A_ID))!);
    expect(fake.requests).toHaveLength(5);
  });

  it('without a provider: configured false, and a request asking for delivery is refused NOT_CONFIGURED', async () => {
    const { service } = await rig(null);
    expect(service.configured).toBe(false);
    expect(() => service.assertConfigured(undefined)).not.toThrow();
    expect(() => service.assertConfigured({ sms: PHONE })).toThrow(expect.objectContaining({ code: 'NOT_CONFIGURED' }));
    const withoutCancel = await rig(client());
    expect(withoutCancel.service.configured).toBe(true);
    expect(() => withoutCancel.service.assertConfigured({ email: EMAIL }, 'cancelled')).toThrow(expect.objectContaining({ code: 'NOT_CONFIGURED' }));
  });

  it('a cancellation carries no link', async () => {
    const { service } = await rig(client({ templates: { sms: fake.templates.sms, email: fake.templates.email, cancelSms: fake.templates.cancelSms } }));
    await service.send(appointment, link, LINK, { sms: PHONE }, 'cancelled', actor);
    expect(fake.sent[0]!.body).toMatchObject({ template_id: fake.templates.cancelSms, personalisation: { link: '' } });
  });
});

describe('the appointment time in a message', () => {
  it('reads as people say it, in UK time', () => {
    expect(whenText('2026-12-08T14:30:00Z')).toBe('Tuesday 8 December at 2:30pm');
    expect(whenText('2026-07-01T13:00:00Z')).toBe('Wednesday 1 July at 2pm'); // BST
    expect(whenText('2026-12-08T12:00:00Z')).toBe('Tuesday 8 December at midday');
    expect(whenText('2026-12-08T09:05:00Z')).toBe('Tuesday 8 December at 9:05am');
  });
});

describe('config: notify', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'notify-config-'));
  const keyFile = path.join(dir, 'notify-key');
  const base = () => {
    writeFileSync(keyFile, `${fake.apiKey}\n`);
    return { NOTIFY_API_KEY_FILE: keyFile, NOTIFY_SMS_TEMPLATE_ID: fake.templates.sms, NOTIFY_EMAIL_TEMPLATE_ID: fake.templates.email };
  };
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig(env);
      return [];
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as ConfigError).problems;
    }
  };

  it('absent unless configured; the key from a file; defaults for the rest', () => {
    expect(loadConfig({}).notify).toBeUndefined();
    expect(loadConfig(base()).notify).toEqual({
      baseUrl: 'https://api.notifications.service.gov.uk',
      apiKey: fake.apiKey,
      smsTemplateId: fake.templates.sms,
      emailTemplateId: fake.templates.email,
      timeoutSeconds: 10,
    });
  });

  it('plain http only on loopback; a bad key or template id is named, never echoed', () => {
    expect(loadConfig({ ...base(), NOTIFY_BASE_URL: 'http://127.0.0.1:9999' }).notify!.baseUrl).toBe('http://127.0.0.1:9999');
    expect(problems({ ...base(), NOTIFY_BASE_URL: 'http://notify.example.org' }).map((p) => p.key)).toContain('notify.baseUrl (env NOTIFY_BASE_URL)');
    const { NOTIFY_API_KEY_FILE: _file, ...noFile } = base();
    const bad = problems({ ...noFile, NOTIFY_API_KEY: 'my-key-supersecret', NOTIFY_SMS_TEMPLATE_ID: 'not-a-uuid', NOTIFY_TIMEOUT_SECONDS: '0' });
    expect(bad.map((p) => p.key.split(' ')[0]).sort()).toEqual(['notify.apiKey', 'notify.smsTemplateId', 'notify.timeoutSeconds']);
    expect(JSON.stringify(bad)).not.toContain('supersecret');
    expect(problems({ NOTIFY_TIMEOUT_SECONDS: '5' }).map((p) => p.key.split(' ')[0]).sort()).toEqual(['notify.apiKey', 'notify.emailTemplateId', 'notify.smsTemplateId']);
  });
});
