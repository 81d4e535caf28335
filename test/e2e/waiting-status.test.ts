// The patient's side of a clinic's day, in real Chromium: the consent step
// shows the clinic and its privacy notice; the waiting room says honestly
// whether the clinician knows they are here and whether they are running late,
// with the clinic's message and phone number, on a 360 px phone screen too;
// let in while the tab is in the background, the page chimes (WebAudio,
// counted by a hook), changes the tab title and shows a notification (the
// browser's permission granted by the test); a link opened too early says
// when it opens, in the patient's own time zone; a cancelled appointment's
// waiting patient is told in plain words, with the clinic's number.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { api, Device, type CreatedAppointment } from '../support/api.ts';
import { seriousA11yViolations } from '../support/axe.ts';
import { chromiumAvailable, launchBrowser } from '../support/browser.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const SHOTS = path.join(process.cwd(), 'test-results', 'screenshots');
const CLINIC = { id: 'skin-north', name: 'Dermatology, North site' };
const SETTINGS = {
  phone: '01234 567890',
  privacyNoticeText: 'We use your information to give you care.\n\nWe keep it safe and share it only with the people looking after you.',
  waitingMessage: 'Please have a list of your medicines ready.',
};

/** Counts the page's chimes (oscillators started) and notifications; the browser's permission as given. */
const hooks = (permission: NotificationPermission) => `(() => {
  const seen = { oscillators: 0, notifications: [] };
  window.__letIn = seen;
  const Ctx = window.AudioContext;
  if (Ctx) {
    const create = Ctx.prototype.createOscillator;
    Ctx.prototype.createOscillator = function () { seen.oscillators++; return create.call(this); };
  }
  class FakeNotification {
    static permission = '${permission}';
    static requestPermission() { FakeNotification.permission = 'granted'; seen.asked = (seen.asked || 0) + 1; return Promise.resolve('granted'); }
    constructor(title, options) { seen.notifications.push({ title, body: options && options.body }); }
    close() {}
  }
  window.Notification = FakeNotification;
})();`;

interface LetInSeen {
  oscillators: number;
  notifications: { title: string; body?: string }[];
}

/** The page's view (the status region repeats some of it for screen readers). */
const shown = (page: Page) => page.locator('#app');

async function phase(page: Page, value: string, timeout = 20_000): Promise<void> {
  await page.waitForFunction((v) => document.body.dataset.phase === v, value, { timeout });
}

/** Pretends the tab went to the background (or came back): headless pages are always visible. */
async function setHidden(page: Page, hidden: boolean): Promise<void> {
  await page.evaluate((h) => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => h });
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (h ? 'hidden' : 'visible') });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
}

/** Nothing wider than the screen: no sideways scrolling, and each of these fully inside it. */
async function fitsWidth(page: Page, selectors: string[]): Promise<string[]> {
  return page.evaluate((sel) => {
    const width = document.documentElement.clientWidth;
    const bad: string[] = [];
    if (document.documentElement.scrollWidth > width) bad.push(`page scrolls sideways (${document.documentElement.scrollWidth} > ${width})`);
    for (const s of sel) {
      for (const el of document.querySelectorAll<HTMLElement>(s)) {
        const r = el.getBoundingClientRect();
        if (r.left < 0 || r.right > width) bad.push(`${s} spans ${r.left}..${r.right} of ${width}`);
        if (el.scrollWidth > el.clientWidth + 1) bad.push(`${s} cut off (${el.scrollWidth} > ${el.clientWidth})`);
      }
    }
    return bad;
  }, selectors);
}

describe.runIf(chromiumAvailable())("the patient's waiting status in Chromium", () => {
  let server: TestServer;
  let browser: Browser;
  const sockets: Socket[] = [];

  const open = async (options: BrowserContextOptions = {}, permission?: NotificationPermission): Promise<Page> => {
    const ctx = await browser.newContext(options);
    if (permission) await ctx.addInitScript(hooks(permission));
    return ctx.newPage();
  };

  const appointment = async (over: { startsAt?: string; clinicId?: string } = {}): Promise<CreatedAppointment> => {
    const res = await api(server.url, 'POST', '/api/v1/appointments', {
      clinician: { id: 'gp-1', name: 'Dr Asha Patel' },
      patient: { name: 'Jane Doe' },
      startsAt: over.startsAt ?? new Date().toISOString(),
      durationMinutes: 15,
      clinicId: over.clinicId ?? CLINIC.id,
    });
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as CreatedAppointment;
  };

  /** The patient: consent, then Join, then the waiting room. */
  const intoWaitingRoom = async (page: Page, apt: CreatedAppointment): Promise<void> => {
    await page.goto(apt.patientUrl);
    await phase(page, 'consent');
    await page.getByRole('checkbox').check();
    await page.getByRole('button', { name: /^Join/ }).click();
    await phase(page, 'waiting');
  };

  /** The clinician's /staff socket on their console link's session (the link works once: its device is returned too). */
  const staffSocket = async (apt: CreatedAppointment): Promise<{ gp: Device; staff: Socket }> => {
    const gp = new Device(server.url);
    expect((await gp.redeem(apt.clinicianUrl)).status).toBe(200);
    const s = io(`${server.url}/staff`, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      extraHeaders: { cookie: gp.cookieHeader, origin: server.url },
    });
    sockets.push(s);
    await new Promise<void>((resolve, reject) => {
      s.once('connect', () => resolve());
      s.once('connect_error', reject);
    });
    return { gp, staff: s };
  };

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    server = await startTestServer();
    browser = await launchBrowser();
    expect((await api(server.url, 'POST', '/api/v1/clinics', CLINIC)).status).toBe(201);
    const patched = await api(server.url, 'PATCH', `/api/v1/clinics/${CLINIC.id}`, { settings: SETTINGS });
    expect(patched.status, await patched.clone().text()).toBe(200);
    expect((await api(server.url, 'PUT', `/api/v1/clinics/${CLINIC.id}/members/gp-1`, { roles: ['clinician'] })).status).toBe(200);
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await browser?.close();
    await server?.stop();
  });

  it('shows the clinic on the consent step and honest status while waiting, and tells a patient in the background when let in', async () => {
    const apt = await appointment();
    const patient = await open({ viewport: { width: 360, height: 740 } }, 'granted');

    // Consent: who with, when, which clinic, its number, and its privacy notice (plain text behind a disclosure).
    await patient.goto(apt.patientUrl);
    await phase(patient, 'consent');
    const lead = patient.locator('.lead');
    await expect.poll(() => lead.textContent()).toContain('This appointment is with Dr Asha Patel (Dermatology, North site) at ');
    expect(await patient.getByRole('link', { name: SETTINGS.phone }).getAttribute('href')).toBe('tel:01234567890');
    const notice = patient.getByText('How we use your information');
    await notice.click();
    await shown(patient).getByText('We keep it safe and share it only with the people looking after you.').waitFor();
    expect(await patient.locator('.privacy p').count()).toBe(2); // paragraphs kept, as text
    expect(await fitsWidth(patient, ['.lead', '.privacy'])).toEqual([]);
    await patient.screenshot({ path: path.join(SHOTS, 'patient-consent-clinic.png'), fullPage: true });
    expect(await seriousA11yViolations(patient)).toEqual([]);

    // Waiting, with nobody from the clinic looking yet: said plainly, with the clinic's message and number.
    await patient.getByRole('checkbox').check();
    await patient.getByRole('button', { name: /^Join/ }).click();
    await phase(patient, 'waiting');
    await shown(patient).getByText('Your clinician will see that you are here when they open their video waiting room.').waitFor();
    await patient.getByRole('heading', { name: 'A message from Dermatology, North site' }).waitFor();
    await shown(patient).getByText(SETTINGS.waitingMessage).waitFor();
    expect(await patient.locator('.clinic-phone').textContent()).toBe(`If you need help, call ${SETTINGS.phone}.`);
    expect(await patient.locator('.clinic-phone a').getAttribute('href')).toBe('tel:01234567890');
    expect(await fitsWidth(patient, ['.waiting-status p', '.clinic-message', '.clinic-phone'])).toEqual([]);
    expect(await seriousA11yViolations(patient)).toEqual([]);

    // The pre-call check (camera, microphone, and the network to the SFU, measured in the waiting room) went to the server.
    const patientRecord = async () => (await server.deps.consultations.participants(apt.id as never)).find((p) => p.role === 'patient');
    await expect.poll(async () => (await patientRecord())?.check?.network?.verdict, { timeout: 30_000 }).toBeDefined();
    expect((await patientRecord())?.check).toMatchObject({ camera: true, microphone: true, network: { udp: true } });

    // The clinician opens their waiting area: the patient is told, once, through the status region.
    const { gp, staff } = await staffSocket(apt);
    const watched = (await staff.timeout(5000).emitWithAck('waiting:watch', { scope: 'mine' })) as { ok: boolean };
    expect(watched.ok).toBe(true);
    await shown(patient).getByText('Your clinician knows you are here.').waitFor({ timeout: 10_000 });
    await expect.poll(() => patient.locator('#status').textContent()).toBe('Your clinician knows you are here.');

    // Running late, set by the clinician for themselves.
    const late = (await staff.timeout(5000).emitWithAck('waiting:runningLate', { clinicianId: 'gp-1', clinicId: CLINIC.id, minutes: 10 })) as { ok: boolean };
    expect(late.ok).toBe(true);
    await shown(patient).getByText('Your clinician is running about 10 minutes late.').waitFor({ timeout: 10_000 });
    await expect.poll(() => patient.locator('#status').textContent()).toBe('Your clinician is running about 10 minutes late.');
    expect(await fitsWidth(patient, ['.waiting-status p'])).toEqual([]);
    await patient.screenshot({ path: path.join(SHOTS, 'patient-waiting-status-360.png'), fullPage: true });
    expect(await seriousA11yViolations(patient)).toEqual([]);

    // Let in while the tab is in the background: a chime, the title, a notification; the title back when seen.
    await setHidden(patient, true);
    const gpSocket = await gp.connect({ appointmentId: apt.id });
    sockets.push(gpSocket.socket);
    const waiting = await gpSocket.until((v) => v.waiting.length === 1);
    const admitted = await gpSocket.request('lobby:admit', { participantId: waiting.waiting[0]!.id });
    expect(admitted.ok).toBe(true);
    await phase(patient, 'call');
    await expect.poll(() => patient.title()).toBe('You can join now');
    const seen = async () => (await patient.evaluate(() => (window as unknown as { __letIn: LetInSeen }).__letIn));
    await expect.poll(async () => (await seen()).oscillators).toBeGreaterThanOrEqual(1);
    expect((await seen()).notifications).toEqual([{ title: 'You can join now', body: 'Your clinician has let you in. Go back to your video appointment.' }]);
    await setHidden(patient, false);
    await expect.poll(() => patient.title()).toBe('Your video consultation – Video consultation');
    expect(await seriousA11yViolations(patient)).toEqual([]);
    await patient.context().close();
  });

  it('says when a link opened too early opens, in the patient’s own time', async () => {
    // Three days ahead at 08:45 UTC: the link opens an hour before (joinEarlyMinutes 60), 13:15 in India (UTC+5:30, no summer time).
    const day = new Date(Date.now() + 3 * 86_400_000);
    const startsAt = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), 8, 45));
    const apt = await appointment({ startsAt: startsAt.toISOString() });
    const opensLocal = new Date(startsAt.getTime() - 60 * 60_000);
    const dayText = new Intl.DateTimeFormat('en-GB', { weekday: 'long', day: 'numeric', month: 'long', timeZone: 'Asia/Kolkata' }).format(opensLocal);
    const patient = await open({ timezoneId: 'Asia/Kolkata' });
    await patient.goto(apt.patientUrl);
    await phase(patient, 'error');
    await patient.getByRole('heading', { name: 'Your appointment is not open yet' }).waitFor();
    await shown(patient).getByText(`Your link opens at 1:15pm on ${dayText}. Please open it again then.`).waitFor();
    expect(await seriousA11yViolations(patient)).toEqual([]);
    await patient.context().close();
  });

  it('tells a waiting patient, in plain words and with the clinic’s number, that the appointment was cancelled', async () => {
    const apt = await appointment();
    const patient = await open();
    await intoWaitingRoom(patient, apt);
    const res = await api(server.url, 'POST', `/api/v1/appointments/${apt.id}/cancel`, {});
    expect(res.status, await res.clone().text()).toBeLessThan(300);
    await phase(patient, 'ended');
    await patient.getByRole('heading', { name: 'This appointment has been cancelled' }).waitFor();
    await shown(patient).getByText('This appointment has been cancelled. The clinic will contact you.').waitFor();
    expect(await patient.locator('.clinic-phone').textContent()).toBe(`If you need to speak to the clinic, call ${SETTINGS.phone}.`);
    await patient.screenshot({ path: path.join(SHOTS, 'patient-cancelled.png'), fullPage: true });
    expect(await seriousA11yViolations(patient)).toEqual([]);

    // Opening the link again: refused, in the same plain words.
    const again = await open();
    await again.goto(apt.patientUrl);
    await phase(again, 'error');
    await again.getByRole('heading', { name: 'This appointment has been cancelled' }).waitFor();
    expect(await seriousA11yViolations(again)).toEqual([]);
    await patient.context().close();
    await again.context().close();
  });

  it('links a privacy notice kept elsewhere (new tab, said so), and asks for notifications only on a click', async () => {
    const south = { id: 'skin-south', name: 'Dermatology, South site' };
    expect((await api(server.url, 'POST', '/api/v1/clinics', south)).status).toBe(201);
    const url = 'https://trust.example.nhs.uk/privacy';
    expect((await api(server.url, 'PATCH', `/api/v1/clinics/${south.id}`, { settings: { privacyNoticeUrl: url } })).status).toBe(200);
    const apt = await appointment({ clinicId: south.id });
    const patient = await open({}, 'default');
    await patient.goto(apt.patientUrl);
    await phase(patient, 'consent');
    const link = patient.getByRole('link', { name: 'How we use your information (opens in a new tab)' });
    expect(await link.getAttribute('href')).toBe(url);
    expect(await link.getAttribute('target')).toBe('_blank');
    expect(await link.getAttribute('rel')).toBe('noopener noreferrer');
    expect(await patient.locator('details.privacy').count()).toBe(0);

    // Waiting: nothing asked on arrival; the offer asks once, on the click, and says the answer where focus goes.
    await patient.getByRole('checkbox').check();
    await patient.getByRole('button', { name: /^Join/ }).click();
    await phase(patient, 'waiting');
    const asked = () => patient.evaluate(() => (window as unknown as { __letIn: { asked?: number } }).__letIn.asked ?? 0);
    expect(await asked()).toBe(0);
    expect(await shown(patient).locator('.clinic-phone').count()).toBe(0); // no number set: no line
    expect(await seriousA11yViolations(patient)).toEqual([]);
    await patient.getByRole('button', { name: 'Tell me when I am let in' }).click();
    await expect.poll(asked).toBe(1);
    await expect
      .poll(() => patient.evaluate(() => document.activeElement?.textContent))
      .toBe('We will tell you when you are let in, even if you are using another app or tab.');
    expect(await patient.getByRole('button', { name: 'Tell me when I am let in' }).count()).toBe(0);
    expect(await seriousA11yViolations(patient)).toEqual([]);
    await patient.context().close();
  });

  it('tells a waiting patient whose link the clinic replaced to use the new one', async () => {
    const apt = await appointment();
    const patient = await open();
    await intoWaitingRoom(patient, apt);
    const res = await api(server.url, 'POST', `/api/v1/appointments/${apt.id}/links/${apt.patientLinkId}/reissue`, {});
    expect(res.status, await res.clone().text()).toBeLessThan(300);
    await phase(patient, 'ended');
    await patient.getByRole('heading', { name: 'This link has been replaced' }).waitFor();
    await shown(patient).getByText('This link has been replaced. Please use the new link the clinic sent you.').waitFor();
    expect(await patient.locator('.clinic-phone').textContent()).toBe(`If you need to speak to the clinic, call ${SETTINGS.phone}.`);
    expect(await seriousA11yViolations(patient)).toEqual([]);
    await patient.context().close();
  });
});
