// The patient's whole way through in Welsh, as a Welsh clinic's link opens it
// (?lang=cy): the landing page, the camera and connection check, consent, the
// waiting room with the clinic's own settings and the clinician's status, the
// call, the chat, the ending, and a link that does not work. On every state:
// <html lang="cy">, axe finds no WCAG 2.2 A/AA violation, and no English is
// left (any two-word fragment of an English catalogue text whose Welsh
// differs, in the visible text, the tab title or a label). The clinician is
// driven through their socket. Switching language on the way keeps the
// patient where they were (consent, waiting room, call), or on the words
// saying why their link did not work.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { api, Device, type Client, type CreatedAppointment } from '../support/api.ts';
import { wcag22Violations } from '../support/axe.ts';
import { chromiumAvailable, launchBrowser } from '../support/browser.ts';
import { englishFragments, englishLeft } from '../support/english-left.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const SHOTS = path.join(process.cwd(), 'test-results', 'screenshots');
const PHONE = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
const CLINIC = { id: 'croen-gogledd', name: 'Dermatoleg, safle’r Gogledd' };
const SETTINGS = {
  phone: '01234 567890',
  privacyNoticeText: 'Rydym yn defnyddio eich gwybodaeth i roi gofal i chi.\n\nRydym yn ei chadw’n ddiogel.',
  waitingMessage: 'Cofiwch gael rhestr o’ch meddyginiaethau yn barod.',
};

async function phase(page: Page, value: string, timeout = 20_000): Promise<void> {
  await page.waitForFunction((v) => document.body.dataset.phase === v, value, { timeout });
}

function inLanguage(url: string, lang: string): string {
  const u = new URL(url);
  u.searchParams.set('lang', lang);
  return u.toString();
}

describe.runIf(chromiumAvailable())("the patient's way through in Welsh", () => {
  let server: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const sockets: { close(): void }[] = [];
  const fragments = englishFragments();

  const phone = async (): Promise<Page> => {
    const ctx = await browser.newContext(PHONE);
    contexts.push(ctx);
    return ctx.newPage();
  };

  const appointment = async (): Promise<CreatedAppointment> => {
    const res = await api(server.url, 'POST', '/api/v1/appointments', {
      clinician: { id: 'gp-1', name: 'Dr Asha Patel' },
      patient: { name: 'Siân Evans' },
      startsAt: new Date().toISOString(),
      durationMinutes: 15,
      clinicId: CLINIC.id,
    });
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as CreatedAppointment;
  };

  /** The clinician's /staff socket (waiting area) and consultation socket, on their console link's session. */
  const clinician = async (apt: CreatedAppointment): Promise<{ staff: Socket; gp: Client }> => {
    const device = new Device(server.url);
    expect((await device.redeem(apt.clinicianUrl)).status).toBe(200);
    const staff = io(`${server.url}/staff`, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      extraHeaders: { cookie: device.cookieHeader, origin: server.url },
    });
    sockets.push(staff);
    await new Promise<void>((resolve, reject) => {
      staff.once('connect', () => resolve());
      staff.once('connect_error', reject);
    });
    const gp = await device.connect({ appointmentId: apt.id });
    sockets.push(gp);
    return { staff, gp };
  };

  const admit = async (gp: Client): Promise<void> => {
    const waiting = await gp.until((v) => v.waiting.length === 1, 15_000);
    expect((await gp.request('lobby:admit', { participantId: waiting.waiting[0]!.id })).ok).toBe(true);
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
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
  });

  it('has English catalogue texts to look for', () => {
    expect(fragments.length).toBeGreaterThan(20);
  });

  it('walks every state in Welsh: lang="cy", no WCAG 2.2 A/AA violation, no English left', async () => {
    const problems: string[] = [];
    const state = async (page: Page, name: string): Promise<void> => {
      const lang = await page.evaluate(() => document.documentElement.lang);
      if (lang !== 'cy') problems.push(`${name}: <html lang="${lang}">`);
      for (const v of await wcag22Violations(page)) problems.push(`${name}: axe ${v.id} (${v.impact}, ${v.nodes} nodes): ${v.help}`);
      for (const e of await englishLeft(page, fragments)) problems.push(`${name}: English left: ${e}`);
      // Times too: a Welsh page says "2:30yh" (patients) or "14:30" (staff), never "2:30 PM".
      const ampm = (await page.locator('body').innerText()).match(/\d\s?[AP]\.?M\b/gi);
      if (ampm) problems.push(`${name}: English time: ${ampm.join(', ')}`);
      await page.screenshot({ path: path.join(SHOTS, `welsh-${name}.png`), fullPage: true });
    };

    const page = await phone();
    await page.goto(`${server.url}/?lang=cy`);
    await page.locator('h1').waitFor();
    await state(page, 'landing');

    await page.goto(`${server.url}/check?lang=cy`);
    await page.locator('#start').waitFor();
    await state(page, 'check');
    await page.locator('#start').click();
    await page.waitForFunction(() => ['passed', 'failed'].includes(document.body.dataset.check ?? ''), undefined, { timeout: 40_000 });
    await state(page, 'check-done');

    const apt = await appointment();
    await page.goto(inLanguage(apt.patientUrl, 'cy'));
    await phase(page, 'consent');
    await page.locator('details.privacy summary').click();
    await state(page, 'consent');

    await page.getByRole('checkbox').check();
    await page.locator('#join').click();
    await phase(page, 'waiting');
    const { staff, gp } = await clinician(apt);
    expect(((await staff.timeout(5000).emitWithAck('waiting:watch', { scope: 'mine' })) as { ok: boolean }).ok).toBe(true);
    const late = (await staff.timeout(5000).emitWithAck('waiting:runningLate', { clinicianId: 'gp-1', clinicId: CLINIC.id, minutes: 10 })) as { ok: boolean };
    expect(late.ok).toBe(true);
    await page.locator('.waiting-status .late:not([hidden])').waitFor({ timeout: 10_000 });
    await page.getByText(SETTINGS.waitingMessage).waitFor();
    await state(page, 'waiting');

    await admit(gp);
    await phase(page, 'call');
    await state(page, 'call');

    const toggle = page.locator('.chat-toggle');
    if (await toggle.isVisible()) await toggle.click();
    expect((await gp.request('thread:send', { text: 'Bore da, Siân.' })).ok).toBe(true);
    await page.getByText('Bore da, Siân.').waitFor({ timeout: 10_000 });
    await state(page, 'chat');

    expect((await gp.request('consultation:end', {})).ok).toBe(true);
    await phase(page, 'ended');
    await state(page, 'ended');

    const bad = await phone();
    await bad.goto(`${server.url}/join?lang=cy#t=this-is-not-a-real-link`);
    await phase(bad, 'error');
    await state(bad, 'error');

    expect(problems).toEqual([]);
  });

  it('keeps the patient where they were when they switch language: consent, waiting room, call', async () => {
    const apt = await appointment();
    const page = await phone();
    const switchTo = async (lang: string, where: string): Promise<void> => {
      await page.locator('#language-switch a').click();
      await page.waitForFunction((l) => document.documentElement.lang === l, lang, { timeout: 20_000 });
      await phase(page, where);
    };
    await page.goto(apt.patientUrl);
    await phase(page, 'consent');
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en-GB');
    // The same check finds English on an English page (so it can fail).
    expect(await englishLeft(page, fragments)).not.toEqual([]);
    await switchTo('cy', 'consent');
    expect(await page.locator('.lead').textContent()).toContain('Dr Asha Patel');

    await page.getByRole('checkbox').check();
    await page.locator('#join').click();
    await phase(page, 'waiting');
    await switchTo('en-GB', 'waiting');
    await page.getByRole('heading', { name: 'You are in the waiting room' }).waitFor();

    const { gp } = await clinician(apt);
    await admit(gp);
    await phase(page, 'call');
    await switchTo('cy', 'call');
    // Still in the same consultation: nobody had to let them in again.
    await page.getByRole('heading', { level: 1, name: 'Eich ymgynghoriad fideo' }).waitFor();
    expect(gp.view?.waiting ?? []).toEqual([]);
  });

  it('still says why a link did not work after switching language (the token has left the address bar)', async () => {
    const page = await phone();
    await page.goto(`${server.url}/join?lang=cy#t=this-is-not-a-real-link`);
    await phase(page, 'error');
    const welsh = await page.locator('h1').textContent();
    await page.locator('#language-switch a').click();
    await page.waitForFunction(() => document.documentElement.lang === 'en-GB', undefined, { timeout: 20_000 });
    await phase(page, 'error');
    await page.getByRole('heading', { level: 1, name: 'This link does not work' }).waitFor();
    expect(welsh).not.toBe('This link does not work');
  });
});
