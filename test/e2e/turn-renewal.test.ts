// Short-lived TURN credentials in a real relayed call: with a 60-second
// lifetime (the shortest allowed), each page asks for fresh credentials at
// half-life and restarts ICE so coturn sees them (an allocation keeps the
// credentials it was made with). coturn's log shows new allocations under a
// later expiry, and media still flows through the relay afterwards.
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

/** Each participant's allocation expiries (unix seconds) that coturn accepted, in order. */
function allocations(turn: Coturn): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const m of turn.log().matchAll(/user <(\d+):([A-Za-z0-9_-]{22})>: incoming packet ALLOCATE processed, success/g)) {
    out.set(m[2]!, [...(out.get(m[2]!) ?? []), Number(m[1])]);
  }
  return out;
}

describe.runIf(chromiumAvailable() && coturnAvailable())('TURN credentials renewed in a relayed call', () => {
  let turn: Coturn;
  let server: TestServer;
  let browser: Browser;
  beforeAll(async () => {
    turn = await startCoturn();
    server = await startTestServer({ TURN_URLS: turn.url, TURN_SECRET: turn.secret, TURN_FORCE_RELAY: 'true', TURN_TTL_SECONDS: '60' });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await turn?.stop();
  });

  it('each page moves to fresh credentials before the first ones expire, and media keeps flowing through the relay', async () => {
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
    await gp.getByRole('button', { name: /^Admit Jane Doe/ }).click();
    await phase(patient, 'call');
    for (const page of [patient, gp]) {
      await expect.poll(async () => (await stats(page))?.videoFramesDecoded ?? 0, { timeout: 30_000 }).toBeGreaterThan(0);
    }
    const admitted = (await server.deps.consultations.participants(apt.id as never)).filter((p) => p.state === 'admitted').map((p) => p.id);
    expect(admitted).toHaveLength(2);
    const first = allocations(turn);
    const firstExpiry = Math.min(...admitted.map((id) => first.get(id)![0]!));

    // Renewal at half-life (30 s): every admitted participant allocates again under a later expiry.
    await expect
      .poll(() => admitted.every((id) => (allocations(turn).get(id) ?? []).some((e) => e > firstExpiry)), { timeout: 60_000, interval: 1000 })
      .toBe(true);
    for (const page of [patient, gp]) {
      const s1 = (await stats(page))!;
      await page.waitForTimeout(1000);
      const s2 = (await stats(page))!;
      expect(s2.videoFramesDecoded).toBeGreaterThan(s1.videoFramesDecoded);
      expect(s2.audioBytesReceived).toBeGreaterThan(s1.audioBytesReceived);
      expect(s2.localCandidateType).toBe('relay');
    }
    // Only the admitted ever allocated.
    expect([...allocations(turn).keys()].sort()).toEqual([...admitted].sort());
  });
});
