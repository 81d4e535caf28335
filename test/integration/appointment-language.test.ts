// A Welsh clinic's appointments, end to end over real HTTP: the clinic's
// language setting makes its new appointments Welsh (the body can say
// otherwise); a Welsh appointment's links open the pages in Welsh
// (/join?lang=cy#t=...: created, invited, re-issued, rescheduled, sent again)
// and its SMS and email, sent to a real local HTTP server standing in for
// GOV.UK Notify (test/support/fake-notify.ts), are bilingual, Welsh first;
// an invalid language changes nothing; and the signed-out page speaks the
// browser's language, with a link to the other.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppointmentDetail, AppointmentPage, Cancelled, CreatedAppointment, Invitation, Reissued, Rescheduled } from '../../server/wire/appointments.ts';
import type { ClinicView } from '../../server/wire/auth.ts';
import { api, Device, tokenOf } from '../support/api.ts';
import { FakeNotify } from '../support/fake-notify.ts';
import { startTestServer, TEST_API_KEY, type TestServer } from '../support/server.ts';

const CLI = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 'cli.ts');

const PHONE = '07700 900123';
const EMAIL = 'jane.doe.patient@example.org';
const WELSH = 'clinig-cymraeg';
const ENGLISH = 'clinic-english';
const STARTS = '2030-12-10T14:30:00Z';

const booking = (over: Record<string, unknown> = {}) => ({
  clinician: { id: 'gp-1', name: 'Dr Asha Patel' },
  patient: { name: 'Jane Doe' },
  startsAt: STARTS,
  durationMinutes: 15,
  ...over,
});

async function json<T>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as T;
}

interface Personalisation {
  link: string;
  clinic: string;
  clinician: string;
  when: string;
  message?: string;
  subject?: string;
}
const personalisation = (r: { body?: Record<string, unknown> }) => r.body!.personalisation as Personalisation;

/** GSM 03.38 fragments of a text message (153 characters each when longer than 160). */
const fragments = (text: string) => (text.length <= 160 ? 1 : Math.ceil(text.length / 153));

describe('appointments in Welsh', { timeout: 60_000 }, () => {
  const fake = new FakeNotify();
  let s: TestServer;

  beforeAll(async () => {
    await fake.start();
    s = await startTestServer({ ...fake.env(), NOTIFY_TIMEOUT_SECONDS: '2' });
    await json<ClinicView>(await api(s.url, 'POST', '/api/v1/clinics', { id: WELSH, name: 'Clinig Dermatoleg' }), 201);
    await json<ClinicView>(await api(s.url, 'POST', '/api/v1/clinics', { id: ENGLISH, name: 'Dermatology North' }), 201);
  });
  afterAll(async () => {
    await s?.stop();
    await fake.stop();
  });

  it("a clinic's language is a setting: cy, shown back, invalid values refused and nothing changed", async () => {
    const set = await json<ClinicView>(await api(s.url, 'PATCH', `/api/v1/clinics/${WELSH}`, { settings: { language: 'cy' } }), 200);
    expect(set.settings.language).toBe('cy');
    const bad = await json<{ code: string; details: { key: string }[] }>(await api(s.url, 'PATCH', `/api/v1/clinics/${ENGLISH}`, { settings: { language: 'fr' } }), 400);
    expect(bad.code).toBe('BAD_REQUEST');
    expect(bad.details.map((d) => d.key).join(' ')).toContain('language');
    const { clinics } = await json<{ clinics: ClinicView[] }>(await api(s.url, 'GET', '/api/v1/clinics'), 200);
    expect(clinics.find((c) => c.id === ENGLISH)!.settings.language).toBeUndefined();
    expect(clinics.find((c) => c.id === WELSH)!.settings.language).toBe('cy');
    // null removes it (back to the default, en-GB); setting it again is how a clinic turns Welsh.
    expect((await json<ClinicView>(await api(s.url, 'PATCH', `/api/v1/clinics/${ENGLISH}`, { settings: { language: 'cy' } }), 200)).settings.language).toBe('cy');
    expect((await json<ClinicView>(await api(s.url, 'PATCH', `/api/v1/clinics/${ENGLISH}`, { settings: { language: null } }), 200)).settings.language).toBeUndefined();
  });

  it("a Welsh clinic's appointment: a ?lang=cy link, shown as cy, and its SMS and email bilingual, Welsh first, with the English too", async () => {
    const before = fake.sent.length;
    const created = await json<CreatedAppointment>(await api(s.url, 'POST', '/api/v1/appointments', booking({ clinicId: WELSH, deliver: { sms: PHONE, email: EMAIL } })), 201);
    expect(created.language).toBe('cy');
    expect(created.patientUrl).toMatch(new RegExp(`^${s.url}/join\\?lang=cy#t=`));
    expect(new URL(created.patientUrl).searchParams.get('lang')).toBe('cy');
    expect(created.deliveries!.map((d) => [d.channel, d.status])).toEqual([
      ['sms', 'sending'],
      ['email', 'sending'],
    ]);

    const [sms, email] = fake.sent.slice(before);
    expect(sms!.body).toMatchObject({ phone_number: PHONE, template_id: fake.templates.bilingualSms });
    const text = personalisation(sms!).message!;
    const welsh = text.indexOf('Eich apwyntiad fideo: dydd Mawrth 10 Rhagfyr am 2:30yh. Clinigydd: Dr Asha Patel (Clinig Dermatoleg).');
    const english = text.indexOf('Your video appointment with Dr Asha Patel (Clinig Dermatoleg) is on Tuesday 10 December at 2:30pm.');
    expect(welsh).toBe(0);
    expect(english).toBeGreaterThan(welsh);
    expect(text.endsWith(`\n${created.patientUrl}`)).toBe(true);
    expect(text.split(created.patientUrl)).toHaveLength(2); // the link once
    // The length a booking system pays for (reported: the link is most of it).
    console.log(`bilingual SMS: ${text.length} characters (${text.length - created.patientUrl.length} of words, a ${created.patientUrl.length}-character link): ${fragments(text)} GSM fragments`);

    expect(email!.body).toMatchObject({ email_address: EMAIL, template_id: fake.templates.bilingualEmail });
    const mail = personalisation(email!);
    expect(mail.subject).toBe('Eich apwyntiad fideo / Your video appointment');
    expect(mail.message!.indexOf('Pryd: dydd Mawrth 10 Rhagfyr am 2:30yh')).toBeGreaterThanOrEqual(0);
    expect(mail.message!.indexOf('Pryd:')).toBeLessThan(mail.message!.indexOf('When: Tuesday 10 December at 2:30pm'));
    expect(mail.message!.split(created.patientUrl)).toHaveLength(3); // in each language's block

    const detail = await json<AppointmentDetail>(await api(s.url, 'GET', `/api/v1/appointments/${created.id}`), 200);
    expect(detail.language).toBe('cy');
    const page = await json<AppointmentPage>(await api(s.url, 'GET', `/api/v1/appointments?clinicId=${WELSH}&day=2030-12-10`), 200);
    expect(page.appointments.find((a) => a.id === created.id)!.language).toBe('cy');
    // Neither the number, the address nor the link reached a log line.
    for (const secret of [PHONE, EMAIL, tokenOf(created.patientUrl)]) expect(s.logs.join('\n')).not.toContain(secret);
  });

  it('a Welsh link works as any other: the page reads the language, the server the token', async () => {
    const created = await json<CreatedAppointment>(await api(s.url, 'POST', '/api/v1/appointments', booking({ clinicId: WELSH, startsAt: new Date().toISOString() })), 201);
    expect(created.patientUrl).toContain('/join?lang=cy#t=');
    expect((await new Device(s.url).redeem(created.patientUrl)).status).toBe(200);
  });

  it('invited, re-issued and rescheduled links keep the language, and so do the messages that carry them', async () => {
    const created = await json<CreatedAppointment>(await api(s.url, 'POST', '/api/v1/appointments', booking({ clinicId: WELSH })), 201);
    const invited = await json<Invitation>(await api(s.url, 'POST', `/api/v1/appointments/${created.id}/invites`, { name: 'Sam Okafor', role: 'interpreter' }), 201);
    expect(invited.url).toMatch(new RegExp(`^${s.url}/join\\?lang=cy#t=`));

    let before = fake.sent.length;
    const reissued = await json<Reissued>(await api(s.url, 'POST', `/api/v1/appointments/${created.id}/links/${created.patientLinkId}/reissue`, { deliver: { sms: PHONE } }), 201);
    expect(reissued.url).toMatch(new RegExp(`^${s.url}/join\\?lang=cy#t=`));
    let [sms] = fake.sent.slice(before);
    expect(sms!.body!.template_id).toBe(fake.templates.bilingualSms);
    expect(personalisation(sms!).message!.endsWith(`\n${reissued.url}`)).toBe(true);

    const moved = await json<Rescheduled>(await api(s.url, 'PATCH', `/api/v1/appointments/${created.id}`, { startsAt: '2030-12-11T09:00:00Z', links: 'reissue' }), 200);
    expect(moved.links).toHaveLength(2);
    for (const l of moved.links) expect(l.url).toMatch(new RegExp(`^${s.url}/join\\?lang=cy#t=`));

    before = fake.sent.length;
    await json<Rescheduled>(await api(s.url, 'PATCH', `/api/v1/appointments/${created.id}`, { startsAt: '2030-12-11T12:00:00Z', links: 'keep', deliver: { sms: PHONE } }), 200);
    [sms] = fake.sent.slice(before);
    const kept = personalisation(sms!).message!;
    expect(kept.startsWith('Eich apwyntiad fideo: dydd Mercher 11 Rhagfyr am ganol dydd.')).toBe(true);
    expect(kept).toContain('Wednesday 11 December at midday');
    expect(kept).toMatch(new RegExp(`\\n${s.url}/join\\?lang=cy#t=\\S+$`));
    expect((await json<AppointmentDetail>(await api(s.url, 'GET', `/api/v1/appointments/${created.id}`), 200)).language).toBe('cy');

    before = fake.sent.length;
    await json<Cancelled>(await api(s.url, 'POST', `/api/v1/appointments/${created.id}/cancel`, { notify: { sms: PHONE } }), 200);
    [sms] = fake.sent.slice(before);
    const cancelled = personalisation(sms!).message!;
    expect(cancelled.split('\n')).toEqual([
      "Mae eich apwyntiad fideo wedi'i ganslo: dydd Mercher 11 Rhagfyr am ganol dydd, clinigydd Dr Asha Patel (Clinig Dermatoleg). Cysylltwch gyda'r clinig.",
      'Your video appointment with Dr Asha Patel (Clinig Dermatoleg) on Wednesday 11 December at midday is cancelled. Please contact the clinic.',
    ]);
  });

  it("language en-GB in the body overrides the clinic's cy: an English link and the English template, as before", async () => {
    const before = fake.sent.length;
    const created = await json<CreatedAppointment>(await api(s.url, 'POST', '/api/v1/appointments', booking({ clinicId: WELSH, language: 'en-GB', deliver: { sms: PHONE } })), 201);
    expect(created.language).toBe('en-GB');
    expect(created.patientUrl).toMatch(new RegExp(`^${s.url}/join#t=`));
    const [sms] = fake.sent.slice(before);
    expect(sms!.body!.template_id).toBe(fake.templates.sms);
    expect(personalisation(sms!)).toEqual({ link: created.patientUrl, clinic: 'Clinig Dermatoleg', clinician: 'Dr Asha Patel', when: 'Tuesday 10 December at 2:30pm' });

    // And cy in the body makes an English clinic's appointment Welsh.
    const welsh = await json<CreatedAppointment>(await api(s.url, 'POST', '/api/v1/appointments', booking({ clinicId: ENGLISH, language: 'cy' })), 201);
    expect(welsh.patientUrl).toContain('/join?lang=cy#t=');
    const plain = await json<CreatedAppointment>(await api(s.url, 'POST', '/api/v1/appointments', booking({ clinicId: ENGLISH })), 201);
    expect(plain.language).toBe('en-GB');
    expect(plain.patientUrl).toMatch(new RegExp(`^${s.url}/join#t=`));
  });

  it("the CLI: clinic-language sets a clinic's language; create-appointment --language overrides it; a bad one exits 2", async () => {
    const cli = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', CONSULTROOM_URL: s.url, CONSULTROOM_API_KEY: TEST_API_KEY } }, (err, stdout, stderr) =>
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
        );
      });
    const create = ['create-appointment', '--clinician-id', 'gp-7', '--clinician-name', 'Dr Asha Patel', '--patient-name', 'Jane Doe', '--duration', '15', '--starts-at', STARTS, '--clinic', 'clinic-cli'];
    expect((await api(s.url, 'POST', '/api/v1/clinics', { id: 'clinic-cli', name: 'Clinig CLI' })).status).toBe(201);
    const set = await cli(['clinic-language', 'clinic-cli', '--language', 'cy']);
    expect(set, set.stderr).toMatchObject({ code: 0 });
    expect(set.stdout).toContain('language cy');
    const welsh = await cli(create);
    expect(welsh.stdout).toMatch(/patient\s+\S+\/join\?lang=cy#t=/);
    expect(welsh.stdout).toMatch(/language\s+cy/);
    const english = await cli([...create, '--language', 'en-GB']);
    expect(english.stdout).toMatch(/patient\s+\S+\/join#t=/);
    const bad = await cli([...create, '--language', 'welsh']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--language must be en-GB or cy');
  });

  it('an invalid language is refused 400, naming body.language, and nothing is made or sent', async () => {
    const count = async () => (await json<AppointmentPage>(await api(s.url, 'GET', `/api/v1/appointments?clinicId=${WELSH}&day=2030-12-10&limit=200`), 200)).appointments.length;
    const listed = await count();
    const sent = fake.requests.length;
    for (const language of ['fr', 'CY', 'en', '', 7]) {
      const bad = await json<{ code: string; details: { key: string }[] }>(await api(s.url, 'POST', '/api/v1/appointments', booking({ clinicId: WELSH, language, deliver: { sms: PHONE } })), 400);
      expect(bad.code).toBe('BAD_REQUEST');
      expect(bad.details.map((d) => d.key)).toContain('body.language');
    }
    expect(await count()).toBe(listed);
    expect(fake.requests).toHaveLength(sent);
  });
});

describe('a Welsh appointment without the bilingual templates', { timeout: 60_000 }, () => {
  const fake = new FakeNotify();
  let s: TestServer;
  beforeAll(async () => {
    await fake.start();
    const { NOTIFY_BILINGUAL_SMS_TEMPLATE_ID: _sms, NOTIFY_BILINGUAL_EMAIL_TEMPLATE_ID: _email, ...env } = fake.env();
    s = await startTestServer(env);
  });
  afterAll(async () => {
    await s?.stop();
    await fake.stop();
  });

  it('asking to send is refused 501 NOT_CONFIGURED before anything is made (never an English-only message); without deliver it is made', async () => {
    const bad = await json<{ code: string; details: { key: string; problem: string }[] }>(await api(s.url, 'POST', '/api/v1/appointments', booking({ language: 'cy', deliver: { sms: PHONE } })), 501);
    expect(bad.code).toBe('NOT_CONFIGURED');
    expect(bad.details).toEqual([{ key: 'body.deliver.sms', problem: 'no bilingual template' }]);
    expect(fake.requests).toHaveLength(0);
    const made = await json<CreatedAppointment>(await api(s.url, 'POST', '/api/v1/appointments', booking({ language: 'cy' })), 201);
    expect(made.patientUrl).toContain('/join?lang=cy#t=');
  });
});

describe('the signed-out page', { timeout: 60_000 }, () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(() => s?.stop());

  const page = async (path: string, acceptLanguage?: string) => {
    const res = await fetch(`${s.url}${path}`, { headers: acceptLanguage ? { 'accept-language': acceptLanguage } : {} });
    expect(res.status).toBe(200);
    return { res, html: await res.text() };
  };

  it('in Welsh for a browser that asks for Welsh: <html lang="cy">, Welsh words, a link to the English page; the security headers as ever', async () => {
    const { res, html } = await page('/signed-out', 'cy-GB,cy;q=0.9,en;q=0.8');
    expect(html).toContain('<html lang="cy">');
    expect(html).toContain('<title>Rydych chi wedi allgofnodi</title>');
    expect(html).toContain('<h1>Rydych chi wedi allgofnodi</h1>');
    expect(html).not.toContain('You are signed out');
    expect(html).toContain('<a lang="en-GB" hreflang="en-GB" href="/signed-out?lang=en-GB">English</a>');
    expect(res.headers.get('content-language')).toBe('cy');
    expect(res.headers.get('vary')).toContain('Accept-Language');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('?lang= wins over the browser; English by default, with a link to the Welsh page', async () => {
    const english = await page('/signed-out?lang=en-GB', 'cy');
    expect(english.html).toContain('<html lang="en-GB">');
    expect(english.html).toContain('You are signed out');
    expect(english.html).toContain('<a lang="cy" hreflang="cy" href="/signed-out?lang=cy">Cymraeg</a>');
    const welsh = await page('/signed-out?lang=cy', 'en-GB');
    expect(welsh.html).toContain('<html lang="cy">');
    const plain = await page('/signed-out');
    expect(plain.html).toContain('<html lang="en-GB">');
    expect(plain.html).toContain('You are signed out');
  });

  it('an error in Welsh says the same; the language link keeps a known code, never a value it was given', async () => {
    const noRole = await page('/signed-out?error=NO_ROLE&lang=cy');
    expect(noRole.html).toContain('Dim mynediad i ymgynghoriadau fideo');
    expect(noRole.html).toContain('href="/signed-out?lang=en-GB&amp;error=NO_ROLE"');
    const odd = await page(`/signed-out?error=${encodeURIComponent('<script>alert(1)</script>')}`, 'cy');
    expect(odd.html).not.toContain('<script>');
    expect(odd.html).not.toContain('alert');
    expect(odd.html).toContain('Nid oedd modd mewngofnodi');
    expect(odd.html).toContain('href="/signed-out?lang=en-GB&amp;error=ERROR"');
    const back = await page('/signed-out?lang=en-GB&error=ERROR');
    expect(back.html).toContain('Something went wrong while signing you in.');
  });
});
