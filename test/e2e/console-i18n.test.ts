// The clinician's console in Welsh, in real Chromium: opened with a console
// link carrying ?lang=cy, the page says <html lang="cy">, the day list and the
// live waiting area are in Welsh, and a waiting patient's network check (sent
// by their phone as self:check, the verdict worked out by the server) shows
// beside them in plain Welsh with a visible marker when it is weak. No English
// of the console's and the shared UI's catalogues is left on the day list or
// in the open consultation, axe finds nothing serious, and the day list fits a
// 360 px phone without sideways scrolling. The consultation screen keeps the
// call's control bar in view at 1280x800 without scrolling, and staff read
// the 24-hour clock in Welsh as in English.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { api, Device, type Client } from '../support/api.ts';
import { seriousA11yViolations } from '../support/axe.ts';
import { chromiumAvailable, launchBrowser } from '../support/browser.ts';
import { englishFragments, englishLeft } from '../support/english-left.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const WAIT = { timeout: 20_000 };
const CLINIC = { id: 'bangor', name: 'Meddygfa Bangor' };
const GP = { id: 'dr-rhys', name: 'Dr Rhys Jones' };
const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 360, height: 740 };
const SHOTS = path.join(process.cwd(), 'test-results', 'screenshots');

/** The catalogue words of this area only (other areas' pages are checked by their own tests). */
const MINE = englishFragments().filter((f) => f.key.startsWith('console:') || f.key.startsWith('shared:'));

function inWelsh(url: string): string {
  const u = new URL(url);
  u.searchParams.set('lang', 'cy');
  return u.toString();
}

describe.runIf(chromiumAvailable())('the console in Welsh', () => {
  let server: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const sockets: Client[] = [];
  let appointmentId = '';
  let patientUrl = '';
  let gp: Page;

  const phase = (page: Page, value: string) => page.waitForFunction((v) => document.body.dataset.phase === v, value, WAIT);
  const entry = (page: Page, name: string) => page.locator('ul.waiting-area li', { hasText: name });

  beforeAll(async () => {
    server = await startTestServer();
    expect((await api(server.url, 'POST', '/api/v1/clinics', CLINIC)).status).toBe(201);
    expect((await api(server.url, 'PUT', `/api/v1/clinics/${CLINIC.id}/members/${GP.id}`, { roles: ['clinician'] })).status).toBe(200);
    const r = await api(server.url, 'POST', '/api/v1/appointments', {
      clinician: GP,
      patient: { name: 'Elin Hughes' },
      clinicId: CLINIC.id,
      startsAt: new Date().toISOString(),
      durationMinutes: 15,
    });
    expect(r.status).toBe(201);
    ({ id: appointmentId, patientUrl } = (await r.json()) as { id: string; patientUrl: string });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
  });

  it('shows the day list and the waiting area in Welsh, with the network check beside the patient', async () => {
    const token = await api(server.url, 'POST', '/api/v1/clinician-tokens', { clinician: GP });
    expect(token.status).toBe(201);
    const ctx = await browser.newContext({ viewport: LAPTOP });
    contexts.push(ctx);
    gp = await ctx.newPage();
    await gp.goto(inWelsh(((await token.json()) as { url: string }).url));
    await phase(gp, 'list');
    expect(await gp.evaluate(() => document.documentElement.lang)).toBe('cy');
    await gp.getByRole('heading', { level: 1, name: 'Apwyntiadau heddiw' }).waitFor(WAIT);
    await gp.getByRole('button', { name: "Adnewyddu'r rhestr" }).waitFor(WAIT);
    const row = gp.locator('ul.appointments li', { hasText: 'Elin Hughes' });
    await row.waitFor(WAIT);
    expect(await row.innerText()).toMatch(/, 15 munud · Heb ddechrau/);
    await gp.getByRole('button', { name: 'Agor Elin Hughes' }).first().waitFor(WAIT);
    await gp.locator('ul.waiting-area').waitFor({ state: 'attached', ...WAIT });

    // The patient's phone arrives and reports its check: camera and microphone fine, only TCP and slow.
    const phone = new Device(server.url);
    expect((await phone.redeem(patientUrl)).status).toBe(200);
    const socket = await phone.connect();
    sockets.push(socket);
    await socket.until((v) => v.self.state === 'waiting', 10_000);
    const ack = await socket.request('self:check', { camera: true, microphone: true, network: { udp: false, tcp: true, relay: true, uploadKbps: 150 } });
    expect(ack).toMatchObject({ ok: true });

    const line = entry(gp, 'Elin Hughes').locator('[data-network]');
    await expect.poll(() => line.getAttribute('data-network'), WAIT).toBe('weak');
    expect(await line.innerText()).toBe('⚠ Rhwydwaith: gwan – gall y fideo oedi');
    // Marked by more than its colour: the sign is drawn, and screen readers hear the words alone.
    expect(await line.locator('.marker').getAttribute('aria-hidden')).toBe('true');
    expect(await line.evaluate((el) => getComputedStyle(el).fontWeight)).toBe('600');

    // A better check later: good, unmarked.
    expect(await socket.request('self:check', { camera: true, microphone: true, network: { udp: true, tcp: true, relay: true, uploadKbps: 2000 } })).toMatchObject({ ok: true });
    await expect.poll(() => line.innerText(), WAIT).toBe('Rhwydwaith: da');
    expect(await line.locator('.marker').count()).toBe(0);

    expect(await englishLeft(gp, MINE)).toEqual([]);
    expect(await seriousA11yViolations(gp)).toEqual([]);

    // The same list on a 360 px phone: nothing runs off the side.
    await gp.setViewportSize(PHONE);
    expect(await gp.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    mkdirSync(SHOTS, { recursive: true });
    await gp.screenshot({ path: path.join(SHOTS, 'console-cy-list-360.png'), fullPage: true });
    await gp.setViewportSize(LAPTOP);
  });

  it('opens the consultation in Welsh, with the call controls in view at 1280x800', async () => {
    await gp.locator(`ul.appointments button[data-appointment="${appointmentId}"]`).click();
    await phase(gp, 'consultation');
    await gp.getByRole('heading', { level: 1, name: 'Ymgynghoriad: Elin Hughes' }).waitFor(WAIT);
    await gp.getByRole('heading', { name: 'Ystafell aros' }).waitFor(WAIT);
    await gp.getByRole('button', { name: 'Gadael Elin Hughes i mewn' }).waitFor(WAIT);
    await gp.getByRole('heading', { name: "Rheoli'r ymgynghoriad" }).waitFor(WAIT);
    await gp.getByRole('heading', { name: 'Sgwrs' }).waitFor(WAIT);
    // The message form opened from the waiting room is the shared one, in Welsh too.
    await gp.getByRole('button', { name: 'Neges ar gyfer Elin Hughes' }).click();
    await gp.getByLabel('Neges ar gyfer Elin Hughes').first().waitFor(WAIT);

    expect(await englishLeft(gp, MINE)).toEqual([]);
    expect(await seriousA11yViolations(gp)).toEqual([]);

    // The control bar is on the first screen of a laptop, unscrolled.
    await gp.evaluate(() => window.scrollTo(0, 0));
    const bar = gp.locator('#app .controls').first();
    await bar.waitFor(WAIT);
    const box = await bar.boundingBox();
    expect(box).not.toBeNull();
    expect(box!.y).toBeGreaterThanOrEqual(0);
    expect(box!.y + box!.height).toBeLessThanOrEqual(LAPTOP.height);
    await gp.screenshot({ path: path.join(SHOTS, 'console-cy-consultation-1280.png') });

    // On a 360 px phone the consultation screen does not run off the side either.
    await gp.setViewportSize(PHONE);
    expect(await gp.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    await gp.screenshot({ path: path.join(SHOTS, 'console-cy-consultation-360.png'), fullPage: true });
    await gp.setViewportSize(LAPTOP);
  });

  it('gives staff the 24-hour clock in Welsh too', async () => {
    // The open consultation's line under its heading: "heddiw am 14:30, 15 munud."
    const line = await gp.locator('.view h1 + p').innerText();
    expect(line).toMatch(/\b\d\d:\d\d, 15 munud\.$/);
    // Welsh "am" means "at": only a 12-hour marker fails.
    expect(line).not.toMatch(/\b(AM|PM)\b|\d(yb|yh)\b/);
  });
});
