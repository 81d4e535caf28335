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
import type { Browser, Page } from 'playwright-core';
import { api, createAppointment } from '../support/api.ts';
import { seriousA11yViolations } from '../support/axe.ts';
import { chromiumAvailable, launchBrowser, TrackedPages } from '../support/browser.ts';
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

/**
 * Both video frames decoded and audio bytes received, and still rising
 * afterwards (within a generous bound: on a busy machine a simulcast layer
 * switch can hold the next frame for a second or two).
 */
async function receivingMedia(page: Page): Promise<{ first: Stats; later: Stats }> {
  const t0 = Date.now();
  let first = await stats(page);
  while (!first || first.videoFramesDecoded === 0 || first.audioBytesReceived === 0) {
    if (Date.now() - t0 > 20_000) throw new Error(`no media received: ${JSON.stringify(first)}`);
    await page.waitForTimeout(100);
    first = await stats(page);
  }
  const base: Stats = first;
  const rising = (s: Stats | null): s is Stats =>
    !!s && s.videoFramesDecoded > base.videoFramesDecoded && s.audioBytesReceived > base.audioBytesReceived;
  const t1 = Date.now();
  let later = await stats(page);
  while (!rising(later)) {
    if (Date.now() - t1 > 10_000) throw new Error(`media stopped after the first frames: ${JSON.stringify({ first: base, later })}`);
    await page.waitForTimeout(250);
    later = await stats(page);
  }
  return { first: base, later };
}

describe.runIf(chromiumAvailable())('a video consultation in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  const pages = new TrackedPages();
  const newPage = (): Promise<Page> => pages.open(browser);

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    server = await startTestServer();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await pages.closeAll();
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
    expect(await seriousA11yViolations(patient)).toEqual([]);
    await patient.getByRole('checkbox').check();
    await patient.getByRole('button', { name: /^Join/ }).click();
    await phase(patient, 'waiting');
    expect(await patient.getByRole('status').first().textContent()).toMatch(/clinician will let you in/i);
    await patient.screenshot({ path: path.join(SHOTS, 'patient-waiting.png'), fullPage: true });
    expect(await seriousA11yViolations(patient)).toEqual([]);

    // The clinician opens the console and sees the patient waiting.
    const gp = await newPage();
    await gp.goto(apt.clinicianUrl);
    await phase(gp, 'consultation');
    const admit = gp.getByRole('button', { name: /^Admit Jane Doe/ });
    await admit.waitFor({ timeout: 15_000 });
    await gp.screenshot({ path: path.join(SHOTS, 'clinician-waiting-patient.png'), fullPage: true });
    expect(await seriousA11yViolations(gp)).toEqual([]);

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
    expect(await seriousA11yViolations(patient)).toEqual([]);
    expect(await seriousA11yViolations(gp)).toEqual([]);

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
    const foreign = pages.foreign(server.url);
    expect(foreign).toEqual([]);
  });

  it('holds a four-person consultation: clinician, patient, interpreter and family member', async () => {
    const apt = await createAppointment(server.url, { patientName: 'Ravi Kumar' });
    const invite = async (name: string, role: string) => {
      const r = await api(server.url, 'POST', `/api/v1/appointments/${apt.id}/invites`, { name, role });
      return ((await r.json()) as { url: string }).url;
    };
    const guests = [
      { name: 'Ravi Kumar', url: apt.patientUrl },
      { name: 'Sam Okafor', url: await invite('Sam Okafor', 'interpreter') },
      { name: 'Priya Kumar', url: await invite('Priya Kumar', 'family') },
    ];
    const gp = await newPage();
    await gp.goto(apt.clinicianUrl);
    await phase(gp, 'consultation');
    const pages: Page[] = [];
    for (const g of guests) {
      const p = await newPage();
      await p.goto(g.url);
      await phase(p, 'consent');
      await p.getByRole('checkbox').check();
      await p.getByRole('button', { name: /^Join/ }).click();
      await phase(p, 'waiting');
      pages.push(p);
    }
    for (const g of guests) {
      const admit = gp.getByRole('button', { name: new RegExp(`^Admit ${g.name}`) });
      await admit.waitFor({ timeout: 15_000 });
      await admit.click();
    }
    for (const p of pages) await phase(p, 'call');
    // Everyone receives three remote videos, each labelled with its person's name.
    const everyone = [gp, ...pages];
    const names = ['Dr Asha Patel', ...guests.map((g) => g.name)];
    for (const [i, page] of everyone.entries()) {
      for (const [j, name] of names.entries()) {
        if (i === j) continue;
        await expect.poll(() => page.locator('video').and(page.getByLabel(new RegExp(name))).count(), { timeout: 20_000 }).toBe(1);
      }
      const { later } = await receivingMedia(page);
      expect(later.audioPacketsReceived).toBeGreaterThan(0);
    }
    const room = server.deps.rooms.get(apt.id)!;
    // 4 peers, each sending camera + microphone and receiving the other 3 people's.
    await expect.poll(() => room.counts(), { timeout: 10_000 }).toMatchObject({ peers: 4, producers: 8, consumers: 24 });
    await gp.screenshot({ path: path.join(SHOTS, 'call-four-people.png'), fullPage: true });
    for (const p of everyone) await p.context().close();
  });
});

