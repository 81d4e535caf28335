// A real video appointment in headless Chromium: the booking system creates it
// through the API; the clinician and the patient open their links in separate
// browser contexts; the patient waits, unseen and unheard, until admitted;
// then both decode each other's video and receive each other's audio through
// the SFU. A forwarded link is flagged and kept out; the patient's own reload
// goes straight back into the call; ending it disconnects both and retires
// the link. Screenshots go to test-results/ for a person to look at.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createAppointment } from '../support/api.ts';
import { chromiumAvailable, launchBrowser } from '../support/browser.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

interface Stats {
  videoFramesDecoded: number;
  videoBytesReceived: number;
  audioBytesReceived: number;
  audioPacketsReceived: number;
}

const SHOTS = path.join(process.cwd(), 'test-results', 'screenshots');

const stats = (page: Page) =>
  page.evaluate(() => (window as unknown as { consultroomDiagnostics?: () => Promise<Stats | null> }).consultroomDiagnostics?.() ?? null);

async function phase(page: Page, value: string, timeout = 20_000): Promise<void> {
  await page.waitForFunction((v) => document.body.dataset.phase === v, value, { timeout });
}

/** Both video frames decoded and audio bytes received, and still rising a moment later. */
async function receivingMedia(page: Page): Promise<{ first: Stats; later: Stats }> {
  const t0 = Date.now();
  let first = await stats(page);
  while (!first || first.videoFramesDecoded === 0 || first.audioBytesReceived === 0) {
    if (Date.now() - t0 > 20_000) throw new Error(`no media received: ${JSON.stringify(first)}`);
    await page.waitForTimeout(100);
    first = await stats(page);
  }
  await page.waitForTimeout(1500);
  const later = (await stats(page))!;
  expect(later.videoFramesDecoded).toBeGreaterThan(first.videoFramesDecoded);
  expect(later.audioBytesReceived).toBeGreaterThan(first.audioBytesReceived);
  return { first, later };
}

describe.runIf(chromiumAvailable())('a video consultation in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const requests: string[] = [];
  const newPage = async (): Promise<Page> => {
    const ctx = await browser.newContext();
    contexts.push(ctx);
    const page = await ctx.newPage();
    page.on('request', (r) => requests.push(r.url()));
    return page;
  };

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    server = await startTestServer();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
  });

  it('holds a consultation from the API call to its end', async () => {
    const apt = await createAppointment(server.url, { patientName: 'Jane Doe' });

    // The patient opens the one-time link: consent and a name check, then the waiting room.
    const patient = await newPage();
    await patient.goto(apt.patientUrl);
    await phase(patient, 'consent');
    expect(patient.url()).not.toContain('#t='); // the token leaves the address bar
    await patient.getByRole('checkbox').check();
    await patient.getByRole('button', { name: /^Join/ }).click();
    await phase(patient, 'waiting');
    expect(await patient.getByRole('status').first().textContent()).toMatch(/clinician will let you in/i);
    await patient.screenshot({ path: path.join(SHOTS, 'patient-waiting.png'), fullPage: true });

    // The clinician opens the console and sees the patient waiting.
    const gp = await newPage();
    await gp.goto(apt.clinicianUrl);
    await phase(gp, 'consultation');
    const admit = gp.getByRole('button', { name: /^Admit Jane Doe/ });
    await admit.waitFor({ timeout: 15_000 });
    await gp.screenshot({ path: path.join(SHOTS, 'clinician-waiting-patient.png'), fullPage: true });

    // Before admission neither side receives the other's media.
    await patient.waitForTimeout(1000);
    expect((await stats(patient))?.videoFramesDecoded ?? 0).toBe(0);
    expect((await stats(gp))?.videoFramesDecoded ?? 0).toBe(0);
    expect(server.deps.rooms.get(apt.id)?.existingPeer(
      (await server.deps.consultations.participants(apt.id as never)).find((p) => p.role === 'patient')!.id,
    )).toBeUndefined();

    // Admit: both decode video and receive audio from each other through the SFU.
    const admittedAt = Date.now();
    await admit.click();
    await phase(patient, 'call');
    const patientSide = await receivingMedia(patient);
    const patientFirstFrameMs = Date.now() - admittedAt;
    const gpSide = await receivingMedia(gp);
    console.log(`[e2e] admit -> patient decoding video: <= ${patientFirstFrameMs} ms (polled at 100 ms)`);
    expect(patientSide.later.audioPacketsReceived).toBeGreaterThan(0);
    expect(gpSide.later.audioPacketsReceived).toBeGreaterThan(0);
    await expect.poll(() => gp.getByLabel(/Jane Doe/).and(gp.locator('video')).count()).toBe(1);
    await expect.poll(() => patient.getByLabel(/Dr Asha Patel/).and(patient.locator('video')).count()).toBe(1);
    await patient.screenshot({ path: path.join(SHOTS, 'call-patient.png'), fullPage: true });
    await gp.screenshot({ path: path.join(SHOTS, 'call-clinician.png'), fullPage: true });

    // The same link in a third browser: flagged, not admitted, nobody displaced.
    const forwarded = await newPage();
    await forwarded.goto(apt.patientUrl);
    await phase(forwarded, 'consent');
    await forwarded.getByRole('checkbox').check();
    await forwarded.getByRole('button', { name: /^Join/ }).click();
    await phase(forwarded, 'waiting');
    await gp.getByText(/link already used on another device/i).first().waitFor({ timeout: 10_000 });
    await forwarded.waitForTimeout(1000);
    expect((await stats(forwarded))?.videoFramesDecoded ?? 0).toBe(0);
    const stillThere = await stats(patient);
    expect(stillThere!.videoFramesDecoded).toBeGreaterThan(patientSide.later.videoFramesDecoded);

    // The patient's own reload goes straight back into the call, with no new admission.
    await patient.reload();
    await phase(patient, 'call');
    await receivingMedia(patient);

    // Ending the consultation disconnects both, and the link no longer works.
    await gp.getByRole('button', { name: /^End consultation/ }).click();
    const confirm = gp.getByRole('button', { name: /end for everyone/i });
    if (await confirm.count()) await confirm.click();
    await phase(patient, 'ended');
    await phase(gp, 'ended');
    await expect.poll(() => server.deps.rooms.get(apt.id)).toBeUndefined();
    const again = await newPage();
    await again.goto(apt.patientUrl);
    await phase(again, 'error');
    expect(await again.locator('body').textContent()).toMatch(/ended/i);

    // Every request any page made went to this server's own origin.
    const foreign = requests.filter((u) => !u.startsWith(`${server.url}/`) && !/^(data|blob):/.test(u));
    expect(foreign).toEqual([]);
  });
});
