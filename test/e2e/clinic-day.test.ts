// A clinic's day in real Chromium: one clinic, two clinicians and a
// coordinator, each on their console; three patients arrive. Each clinician
// is alerted exactly once per own patient (one desktop notification, one
// chime; hooked in the page by an init script that wraps Notification and
// AudioContext) and never for the other's, not again after a reload, and once
// across two tabs; the coordinator sees the whole clinic and re-assigns a
// patient, whom the other clinician then sees, marks a clinician running late
// and messages a waiting patient; "End and next patient" ends one
// call and opens the next patient's with one click; Leave asks (step out or
// end for everyone) in a dialog that keyboard and screen readers can use; a
// re-issued link works and the old one is refused (its waiting device told);
// a cancelled appointment's waiting patient is told and disconnected. axe
// checks the waiting area with the arrival banner, and the leave dialog.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { api } from '../support/api.ts';
import { seriousA11yViolations } from '../support/axe.ts';
import { chromiumAvailable, launchBrowser } from '../support/browser.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const WAIT = { timeout: 20_000 };
const CLINIC = { id: 'riverside', name: 'Riverside Surgery' };
const ADA = { id: 'dr-ada', name: 'Dr Ada Hale' };
const BEN = { id: 'dr-ben', name: 'Dr Ben Okoro' };
const CY = { id: 'cy-coord', name: 'Cy Ward' };

interface Counted {
  notifications: { title: string; body: string }[];
  chimes: number;
}

/**
 * Runs in every console page before its own scripts: counts the desktop
 * notifications the page makes (without showing any) and the chimes it plays
 * (the console makes one oscillator per chime), and keeps each notification
 * so the test can click it.
 */
function hookAlerts(): void {
  type Note = { title: string; body: string; onclick: (() => void) | null; close(): void };
  const w = window as unknown as { __alerts: { notifications: Note[]; chimes: number }; Notification: unknown; AudioContext: typeof AudioContext };
  const counted = { notifications: [] as Note[], chimes: 0 };
  w.__alerts = counted;
  const Real = window.Notification;
  class CountedNotification {
    static get permission(): NotificationPermission {
      return Real.permission;
    }
    static requestPermission(): Promise<NotificationPermission> {
      return Real.requestPermission();
    }
    title: string;
    body: string;
    onclick: (() => void) | null = null;
    constructor(title: string, opts?: NotificationOptions) {
      this.title = title;
      this.body = opts?.body ?? '';
      counted.notifications.push(this);
    }
    close(): void {}
  }
  w.Notification = CountedNotification;
  const RealAudio = window.AudioContext;
  w.AudioContext = class extends RealAudio {
    override createOscillator(): OscillatorNode {
      counted.chimes++;
      return super.createOscillator();
    }
  };
}

const alertsOf = (page: Page): Promise<Counted> =>
  page.evaluate(() => {
    const a = (window as unknown as { __alerts: { notifications: { title: string; body: string }[]; chimes: number } }).__alerts;
    return { notifications: a.notifications.map((n) => ({ title: n.title, body: n.body })), chimes: a.chimes };
  });
const titles = async (page: Page) => (await alertsOf(page)).notifications.map((n) => n.title).sort();

describe.runIf(chromiumAvailable())("a clinic's day in Chromium", () => {
  let server: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const apt: Record<'ann' | 'bob' | 'cat', { id: string; patientUrl: string; patientLinkId: string }> = {} as never;
  const patient: Partial<Record<'ann' | 'bob' | 'cat', Page>> = {};
  let ada: Page;
  let ben: Page;
  let cy: Page;

  const phase = (page: Page, value: string) => page.waitForFunction((v) => document.body.dataset.phase === v, value, WAIT);
  const waitingArea = (page: Page) => page.locator('ul.waiting-area');
  /** What the page showed, for a failed wait. */
  const explain = (page: Page) => async (e: unknown): Promise<never> => {
    const shown = await page.evaluate(() => `phase ${document.body.dataset.phase}; status "${document.querySelector('#status')?.textContent}"; "${document.querySelector('#app')?.textContent?.slice(0, 400)}"`).catch(() => '');
    throw new Error(`${shown}; server: ${server.logs.filter((l) => /"level":(40|50)/.test(l)).slice(-5).join('\n')}`, { cause: e });
  };
  const namesWaiting = async (page: Page) => (await waitingArea(page).locator('li strong').allTextContents()).sort();

  async function book(clinician: { id: string; name: string }, patientName: string) {
    const r = await api(server.url, 'POST', '/api/v1/appointments', {
      clinician,
      patient: { name: patientName },
      clinicId: CLINIC.id,
      startsAt: new Date().toISOString(),
      durationMinutes: 15,
    });
    expect(r.status).toBe(201);
    return (await r.json()) as { id: string; patientUrl: string; patientLinkId: string };
  }

  /** A person's own browser profile; a console's has notifications allowed and the alert hooks. */
  async function profile(console = false): Promise<BrowserContext> {
    const ctx = await browser.newContext();
    contexts.push(ctx);
    if (console) {
      await ctx.grantPermissions(['notifications'], { origin: server.url });
      await ctx.addInitScript(hookAlerts);
    }
    return ctx;
  }

  /** A staff member's console, signed in with a console link, on their day list; clicked once (browsers start audio only after a click). */
  async function consoleFor(who: { id: string; name: string }): Promise<Page> {
    const r = await api(server.url, 'POST', '/api/v1/clinician-tokens', { clinician: who });
    expect(r.status).toBe(201);
    const page = await (await profile(true)).newPage();
    await page.goto(((await r.json()) as { url: string }).url);
    await phase(page, 'list').catch(explain(page));
    await page.locator('h1').click();
    await waitingArea(page).waitFor({ state: 'attached', ...WAIT });
    return page;
  }

  async function arrive(url: string): Promise<Page> {
    const page = await (await profile()).newPage();
    await page.goto(url);
    await phase(page, 'consent');
    await page.getByRole('checkbox').check();
    await page.getByRole('button', { name: /^Join/ }).click();
    await phase(page, 'waiting');
    return page;
  }

  beforeAll(async () => {
    server = await startTestServer();
    expect((await api(server.url, 'POST', '/api/v1/clinics', CLINIC)).status).toBe(201);
    for (const [who, roles] of [
      [ADA, ['clinician']],
      [BEN, ['clinician']],
      [CY, ['clinic-coordinator']],
    ] as const) {
      expect((await api(server.url, 'PUT', `/api/v1/clinics/${CLINIC.id}/members/${who.id}`, { roles })).status).toBe(200);
    }
    apt.ann = await book(ADA, 'Ann Able');
    apt.bob = await book(ADA, 'Bob Brown');
    apt.cat = await book(BEN, 'Cat Cole');
    browser = await launchBrowser();
    [ada, ben, cy] = [await consoleFor(ADA), await consoleFor(BEN), await consoleFor(CY)];
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
  });

  it('alerts each clinician once per own patient, the coordinator for all three, and shows who waits live', async () => {
    patient.ann = await arrive(apt.ann.patientUrl);
    patient.bob = await arrive(apt.bob.patientUrl);
    patient.cat = await arrive(apt.cat.patientUrl);

    await expect.poll(() => titles(ada), WAIT).toEqual(['Ann Able is waiting', 'Bob Brown is waiting']);
    await expect.poll(() => titles(ben), WAIT).toEqual(['Cat Cole is waiting']);
    await expect.poll(() => titles(cy), WAIT).toEqual(['Ann Able is waiting', 'Bob Brown is waiting', 'Cat Cole is waiting']);
    // Nothing more comes (a second push, a reconnect, the view's updates): exactly one of each per arrival.
    await ada.waitForTimeout(1500);
    expect(await alertsOf(ada)).toMatchObject({ chimes: 2 });
    expect((await alertsOf(ada)).notifications).toHaveLength(2);
    expect(await alertsOf(ben)).toMatchObject({ chimes: 1 });
    expect((await alertsOf(ben)).notifications).toHaveLength(1);
    expect(await alertsOf(cy)).toMatchObject({ chimes: 3 });
    expect((await alertsOf(cy)).notifications.find((n) => n.title.startsWith('Cat'))?.body).toContain(BEN.name);

    // The waiting area, pushed: own patients (Dr Hale), the whole clinic (the coordinator).
    await expect.poll(() => namesWaiting(ada), WAIT).toEqual(['Ann Able', 'Bob Brown']);
    await expect.poll(() => namesWaiting(cy), WAIT).toEqual(['Ann Able', 'Bob Brown', 'Cat Cole']);
    const annEntry = waitingArea(ada).locator('li', { hasText: 'Ann Able' });
    expect(await annEntry.innerText()).toMatch(/Your patient/);
    expect(await annEntry.innerText()).toMatch(/Waiting for (less than a minute|\d+ minutes?)/);
    expect(await annEntry.innerText()).toMatch(/Device: /);
    expect(await annEntry.innerText()).toMatch(/Camera and microphone check/);
    expect(await ada.title()).toBe('(2) waiting · Console');
    // The banner: a polite status region naming the patient, with Open.
    const banner = ada.locator('#arrivals');
    expect(await banner.getAttribute('role')).toBe('status');
    expect(await banner.innerText()).toMatch(/Bob Brown has arrived/);
    expect(await banner.getByRole('button', { name: 'Open Ann Able' }).count()).toBe(1);
    expect(await seriousA11yViolations(ada)).toEqual([]);
    expect(await seriousA11yViolations(cy)).toEqual([]);

    // A clinician of the clinic may look at the whole clinic; no alert comes of looking.
    await ada.getByLabel('Show the whole clinic').check();
    await expect.poll(() => namesWaiting(ada), WAIT).toEqual(['Ann Able', 'Bob Brown', 'Cat Cole']);
    expect(await waitingArea(ada).locator('li', { hasText: 'Cat Cole' }).innerText()).toContain(`Waiting for ${BEN.name}`);
    await ada.getByLabel('Show the whole clinic').uncheck();
    await expect.poll(() => namesWaiting(ada), WAIT).toEqual(['Ann Able', 'Bob Brown']);

    // A reload alerts for nobody again (the arrivals are remembered in this browser).
    await ada.reload();
    await phase(ada, 'list');
    await expect.poll(() => namesWaiting(ada), WAIT).toEqual(['Ann Able', 'Bob Brown']);
    await ada.waitForTimeout(1500);
    expect(await alertsOf(ada)).toEqual({ notifications: [], chimes: 0 });
  });

  it('the coordinator re-assigns a waiting patient, and the other clinician sees them', async () => {
    const entry = waitingArea(cy).locator('li', { hasText: 'Bob Brown' });
    await entry.getByRole('button', { name: 'Re-assign Bob Brown' }).click();
    await cy.getByLabel("Give Bob Brown's appointment to").selectOption({ label: BEN.name });
    await entry.getByRole('button', { name: 'Re-assign', exact: true }).click();
    await expect.poll(() => namesWaiting(ben), WAIT).toEqual(['Bob Brown', 'Cat Cole']);
    await expect.poll(() => namesWaiting(ada), WAIT).toEqual(['Ann Able']);
    expect(await waitingArea(cy).locator('li', { hasText: 'Bob Brown' }).innerText()).toContain(`Waiting for ${BEN.name}`);
    await phase(patient.bob!, 'waiting'); // the patient stays waiting, in place
  });

  it('the coordinator marks a clinician running late and messages a waiting patient; both reach the patients', async () => {
    const late = cy.locator('section.running-late');
    await late.getByLabel('Clinician').selectOption({ label: ADA.name });
    await late.getByLabel('About how many minutes late?').fill('20');
    await late.getByRole('button', { name: 'Tell waiting patients' }).click();
    await expect.poll(() => ada.locator('section.running-late').innerText(), WAIT).toMatch(/You: running about 20 minutes late/);
    await expect.poll(() => patient.ann!.locator('#app').innerText(), WAIT).toMatch(/running about 20 minutes late/i);
    await late.getByRole('button', { name: `Clear ${ADA.name}` }).click();
    await expect.poll(() => ada.locator('section.running-late').innerText(), WAIT).toMatch(/Nobody is marked as running late/);

    const entry = waitingArea(cy).locator('li', { hasText: 'Cat Cole' });
    await entry.getByRole('button', { name: 'Message Cat Cole' }).click();
    await entry.getByLabel('Message to Cat Cole').fill('Dr Okoro will be with you in five minutes.');
    await entry.getByRole('button', { name: 'Send to Cat Cole' }).click();
    await expect.poll(() => patient.cat!.locator('#app').innerText(), WAIT).toContain('Dr Okoro will be with you in five minutes.');
  });

  it('"End and next patient" ends the call and opens the next patient\'s with one click', async () => {
    await waitingArea(ben).getByRole('button', { name: 'Open Cat Cole' }).click();
    await phase(ben, 'consultation');
    await ben.getByRole('button', { name: 'Admit Cat Cole' }).click();
    await phase(patient.cat!, 'call');
    await expect.poll(() => ben.locator('.next-patient').innerText(), WAIT).toMatch(/1 of your patients is waiting, the longest for/);

    await ben.getByRole('button', { name: 'End and next patient' }).click();
    await phase(patient.cat!, 'ended');
    await ben.getByRole('heading', { level: 1, name: 'Consultation with Bob Brown' }).waitFor(WAIT).catch(explain(ben));
    await ben.getByRole('button', { name: 'Admit Bob Brown' }).click();
    await phase(patient.bob!, 'call');
    expect(await ben.evaluate(() => document.body.dataset.phase)).toBe('consultation');
  });

  it('Leave asks in a dialog: Escape keeps the call, "Step out" leaves it going', async () => {
    const leave = ben.getByRole('button', { name: 'Leave', exact: true });
    await leave.click();
    const dialog = ben.getByRole('dialog', { name: 'Leave the consultation?' });
    await dialog.waitFor(WAIT);
    expect(await ben.evaluate(() => !!document.activeElement?.closest('dialog'))).toBe(true);
    expect(await dialog.getByRole('button', { name: 'End the consultation for everyone' }).count()).toBe(1);
    expect(await dialog.innerText()).toMatch(/patient will be told you stepped out/i);
    expect(await seriousA11yViolations(ben)).toEqual([]);
    await ben.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden', ...WAIT });
    expect(await ben.evaluate(() => document.activeElement?.textContent)).toBe('Leave');

    await leave.click();
    await dialog.getByRole('button', { name: 'Step out' }).click();
    await phase(ben, 'list');
    await phase(patient.bob!, 'call'); // the consultation carries on without the clinician
    // ...and the patient is told, in words that stay on the page.
    await patient.bob!.getByText(/has stepped out\. Please stay on this page/).waitFor(WAIT);
  });

  it('a re-issued link works, the old one is refused, and its arrival alerts once across two tabs', async () => {
    const secondTab = await ada.context().newPage();
    await secondTab.goto(`${server.url}/console`);
    await phase(secondTab, 'list');
    await expect.poll(() => namesWaiting(secondTab), WAIT).toEqual(['Ann Able']);

    const r = await api(server.url, 'POST', `/api/v1/appointments/${apt.ann.id}/links/${apt.ann.patientLinkId}/reissue`, {});
    expect(r.status).toBe(201);
    const reissued = (await r.json()) as { url: string; linkId: string; replaced: string };
    expect(reissued.replaced).toBe(apt.ann.patientLinkId);
    // The device that came in on the old link is told, and the old link is refused.
    await phase(patient.ann!, 'ended');
    const old = await (await profile()).newPage();
    await old.goto(apt.ann.patientUrl);
    await phase(old, 'error');

    patient.ann = await arrive(reissued.url);
    const both = async () => [...(await titles(ada)), ...(await titles(secondTab))];
    await expect.poll(both, WAIT).toEqual(['Ann Able is waiting']);
    await ada.waitForTimeout(1500);
    expect(await both()).toEqual(['Ann Able is waiting']);
    expect((await alertsOf(ada)).chimes + (await alertsOf(secondTab)).chimes).toBe(1);

    // Clicking the notification opens that consultation.
    const alerted = (await titles(ada)).length ? ada : secondTab;
    await alerted.evaluate(() => (window as unknown as { __alerts: { notifications: { onclick: (() => void) | null }[] } }).__alerts.notifications[0]!.onclick?.());
    await alerted.getByRole('heading', { level: 1, name: 'Consultation with Ann Able' }).waitFor(WAIT);
    await alerted.getByRole('button', { name: 'Admit Ann Able' }).waitFor(WAIT);
    ada = alerted;
  });

  it("a cancelled appointment's waiting patient is told and disconnected", async () => {
    const r = await api(server.url, 'POST', `/api/v1/appointments/${apt.ann.id}/cancel`, {});
    expect(r.status).toBe(200);
    await phase(patient.ann!, 'ended');
    expect(await patient.ann!.locator('#app').innerText()).toMatch(/cancelled/i);
    await expect
      .poll(async () => {
        const d = (await (await api(server.url, 'GET', `/api/v1/appointments/${apt.ann.id}`)).json()) as { status: string; participants: { role: string; connection: string }[] };
        return { status: d.status, online: d.participants.filter((p) => p.connection === 'online').length };
      }, WAIT)
      .toEqual({ status: 'cancelled', online: 0 });
    await phase(ada, 'ended');
    expect(await ada.locator('#app').innerText()).toMatch(/cancelled/i);
    // Opening the link again is refused, in words.
    await patient.ann!.reload();
    await phase(patient.ann!, 'error');
    expect(await patient.ann!.locator('#app').innerText()).toMatch(/cancelled/i);
  });
});
