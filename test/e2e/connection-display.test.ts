// What people see when a connection is in trouble is true: a video that has
// stopped arriving says "Video paused, reconnecting…" on that tile (never
// "Connection: good"), announced through a live region; the clinician's
// participant list says when someone's connection is lost; the console
// reopens the consultation it had open after a reload, without a click; and a
// page loading while the service answers 503 waits behind "Reconnecting…".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createAppointment } from '../support/api.ts';
import { seriousA11yViolations } from '../support/axe.ts';
import { chromiumAvailable, launchBrowser, TrackedPages } from '../support/browser.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

async function phase(page: Page, value: string, timeout = 20_000): Promise<void> {
  await page.waitForFunction((v) => document.body.dataset.phase === v, value, { timeout });
}

const framesDecoded = (page: Page) =>
  page.evaluate(async () => {
    const d = (window as unknown as { consultroomDiagnostics?: () => Promise<{ videoFramesDecoded: number } | null> }).consultroomDiagnostics;
    return (await d?.())?.videoFramesDecoded ?? 0;
  });

/** The remote tile showing `name`, and the words in its caption. */
const tile = (page: Page, name: string) => page.locator('figure.tile:not(.self)').filter({ has: page.locator('.name', { hasText: name }) });

describe.runIf(chromiumAvailable())('connection trouble, as people see it', () => {
  let server: TestServer;
  let browser: Browser;
  const pages = new TrackedPages();

  beforeAll(async () => {
    server = await startTestServer();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await pages.closeAll();
    await browser?.close();
    await server?.stop();
  });

  it('shows a frozen video as paused, the lost connection in the list, and reopens the console after a reload', async () => {
    const apt = await createAppointment(server.url, { patientName: 'Jane Doe' });
    const patient = await pages.open(browser);
    await patient.goto(apt.patientUrl);
    await phase(patient, 'consent');
    await patient.getByRole('checkbox').check();
    await patient.getByRole('button', { name: /^Join/ }).click();
    await phase(patient, 'waiting');
    const gp = await pages.open(browser);
    await gp.goto(apt.clinicianUrl);
    await phase(gp, 'consultation');
    await gp.getByRole('button', { name: /^Admit Jane Doe/ }).click();
    await phase(patient, 'call');
    await expect.poll(() => framesDecoded(patient), { timeout: 20_000 }).toBeGreaterThan(0);
    await expect.poll(() => framesDecoded(gp), { timeout: 20_000 }).toBeGreaterThan(0);
    const drTile = tile(patient, 'Dr Asha Patel');
    await expect.poll(() => drTile.locator('.quality').textContent(), { timeout: 20_000 }).toMatch(/^Connection: /);
    expect(await drTile.getByText('Video paused, reconnecting…').count()).toBe(0);

    // The patient's browser goes offline: a plain "Reconnecting…" above the call, gone when it is back.
    const banner = patient.locator('#connection');
    await patient.context().setOffline(true);
    await banner.getByText('Reconnecting…').waitFor({ timeout: 30_000 });
    expect(await banner.getByRole('status').textContent()).toBe('Reconnecting…');
    expect(await seriousA11yViolations(patient)).toEqual([]);
    await patient.context().setOffline(false);
    await patient.locator('#status').getByText('You are connected again.').waitFor({ timeout: 30_000 });
    expect(await banner.getByRole('status').textContent()).toBe('');
    const back = await framesDecoded(patient);
    await expect.poll(() => framesDecoded(patient), { timeout: 20_000 }).toBeGreaterThan(back);

    // The clinician's camera stops sending (its producer is not paused): the patient's tile of them
    // says so, in a live region, and no longer claims a good connection.
    await gp.evaluate(() => {
      const v = document.querySelector<HTMLVideoElement>('video[aria-label="Your camera"]');
      for (const t of (v?.srcObject as MediaStream | null)?.getVideoTracks() ?? []) t.stop();
    });
    await drTile.getByText('Video paused, reconnecting…').waitFor({ timeout: 15_000 });
    const notice = drTile.getByRole('status');
    expect(await notice.textContent()).toBe('Dr Asha Patel: Video paused, reconnecting…');
    expect(await drTile.getByText(/Connection: good/).isVisible()).toBe(false);
    expect(await seriousA11yViolations(patient)).toEqual([]);

    // The patient's page goes away (their place is kept for a while): the clinician's list says
    // their connection is lost, and their tile that their video has stopped.
    await patient.close();
    const janeEntry = gp.locator('.people li[data-participant]').filter({ hasText: 'Jane Doe' });
    await janeEntry.getByText('Connection lost, reconnecting…').waitFor({ timeout: 30_000 });
    await tile(gp, 'Jane Doe').getByText('Video paused, reconnecting…').waitFor({ timeout: 15_000 });
    expect(await seriousA11yViolations(gp)).toEqual([]);

    // The clinician reloads: the console reopens the same consultation by itself.
    await gp.reload();
    await phase(gp, 'consultation', 30_000);
    expect(await gp.getByRole('heading', { level: 1 }).textContent()).toMatch(/Jane Doe/);
    expect(await gp.evaluate(() => JSON.stringify(sessionStorage))).not.toMatch(/Jane|Asha/);

    // Leaving forgets it: a reload after that shows the day list.
    await gp.getByRole('button', { name: /^Leave$/ }).click();
    await gp.getByRole('button', { name: 'Step out', exact: true }).click();
    await phase(gp, 'list');
    await gp.reload();
    await phase(gp, 'list');
  });

  it('retries a page load the service cannot answer yet, behind "Reconnecting…", without a click', async () => {
    const apt = await createAppointment(server.url, { patientName: 'Ann Lee' });
    const page = await pages.open(browser);
    let refused = 0;
    // What the server answers while its store is unreachable (server/http/error-handler.ts).
    await page.route('**/api/v1/session', async (route) => {
      if (refused >= 2) return route.continue();
      refused++;
      await route.fulfill({
        status: 503,
        headers: { 'content-type': 'application/json', 'retry-after': '2' },
        body: JSON.stringify({ code: 'UNAVAILABLE', message: 'The service is briefly unavailable.' }),
      });
    });
    await page.goto(apt.patientUrl);
    await page.locator('#status').getByText('Reconnecting…').waitFor({ timeout: 10_000 });
    await phase(page, 'consent', 30_000);
    expect(refused).toBe(2);
    expect(await page.locator('body').textContent()).not.toMatch(/Something went wrong|Try again/);
  });
});
