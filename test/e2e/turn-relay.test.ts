// Media through the trust's own TURN relay: Debian's coturn on loopback with
// the TURN REST API shared secret, the server handing admitted participants
// time-limited credentials and iceTransportPolicy 'relay', and a real call in
// Chromium whose every media path is a relayed candidate, with coturn's own
// log showing the allocations that carried it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createAppointment } from '../support/api.ts';
import { chromiumAvailable, launchBrowser } from '../support/browser.ts';
import { coturnAvailable, startCoturn, type Coturn } from '../support/coturn.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

interface Stats {
  videoFramesDecoded: number;
  audioBytesReceived: number;
  localCandidateType: string | null;
}
const stats = (page: Page) =>
  page.evaluate(() => (window as unknown as { consultroomDiagnostics?: () => Promise<Stats | null> }).consultroomDiagnostics?.() ?? null);
const phase = (page: Page, v: string) => page.waitForFunction((x) => document.body.dataset.phase === x, v, { timeout: 20_000 });

describe.runIf(chromiumAvailable() && coturnAvailable())('a consultation relayed through coturn', () => {
  let turn: Coturn;
  let server: TestServer;
  let browser: Browser;
  beforeAll(async () => {
    turn = await startCoturn();
    server = await startTestServer({ TURN_URLS: turn.url, TURN_SECRET: turn.secret, TURN_FORCE_RELAY: 'true', TURN_TTL_SECONDS: '600' });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await turn?.stop();
  });

  it('sends all media through the relay when forced, with credentials only after admission', async () => {
    const apt = await createAppointment(server.url, { patientName: 'Jane Doe' });
    const patient = await (await browser.newContext()).newPage();
    await patient.goto(apt.patientUrl);
    await phase(patient, 'consent');
    await patient.getByRole('checkbox').check();
    await patient.getByRole('button', { name: /^Join/ }).click();
    await phase(patient, 'waiting');
    const gp = await (await browser.newContext()).newPage();
    await gp.goto(apt.clinicianUrl);
    await phase(gp, 'consultation');
    // Only the clinician (admitted) has allocated on the relay so far.
    await gp.getByRole('button', { name: /^Admit Jane Doe/ }).click();
    await phase(patient, 'call');

    for (const page of [patient, gp]) {
      await expect.poll(async () => (await stats(page))?.videoFramesDecoded ?? 0, { timeout: 30_000 }).toBeGreaterThan(0);
      const s1 = (await stats(page))!;
      await page.waitForTimeout(1000);
      const s2 = (await stats(page))!;
      expect(s2.videoFramesDecoded).toBeGreaterThan(s1.videoFramesDecoded);
      expect(s2.audioBytesReceived).toBeGreaterThan(s1.audioBytesReceived);
      expect(s2.localCandidateType).toBe('relay');
    }
    // coturn accepted our REST-API credentials and relayed for exactly two people, both admitted.
    const log = turn.log();
    const users = new Set([...log.matchAll(/user <(\d+):([A-Za-z0-9_-]{22})>: incoming packet ALLOCATE processed, success/g)].map((m) => m[2]));
    const participants = await server.deps.consultations.participants(apt.id as never);
    expect([...users].sort()).toEqual(participants.filter((p) => p.state === 'admitted').map((p) => p.id).sort());
    expect(log).toMatch(/CHANNEL_BIND processed, success/);
    expect(log).not.toMatch(/error 4(0[0-3]|3[1-9]|4\d): (?!Unauthorized)/);
  });
});
