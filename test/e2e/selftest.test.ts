// The media path, end to end: a page served by the server opens the fake
// camera and microphone, sends them with mediasoup-client through a
// WebRtcTransport to a Router on a real worker, consumes them back, and the
// browser's own getStats shows video frames decoded and audio received.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { chromiumAvailable, launchBrowser } from '../support/browser.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

interface Diagnostics {
  videoFramesDecoded: number;
  videoBytesReceived: number;
  audioBytesReceived: number;
  audioPacketsReceived: number;
}

describe.runIf(chromiumAvailable())('camera and connection check (/check)', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startTestServer();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('sends the fake camera and microphone through a mediasoup Router and receives them back', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    const consoleLines: string[] = [];
    page.on('console', (m) => consoleLines.push(m.text()));
    page.on('pageerror', (e) => consoleLines.push(String(e)));

    await page.goto(`${server.url}/check`);
    await page.getByRole('button', { name: 'Start the check' }).click();
    await page.waitForFunction(() => document.body.dataset.check === 'passed', undefined, { timeout: 30_000 }).catch(async (e: unknown) => {
      throw new Error(`check did not pass: status "${await page.locator('#status').textContent()}"; console: ${consoleLines.join(' | ')}; server: ${server.logs.filter((l) => l.includes('"level":50')).join('\n')}`, { cause: e });
    });

    const first = await page.evaluate(() => (window as unknown as { consultroomDiagnostics: () => Promise<Diagnostics> }).consultroomDiagnostics());
    await page.waitForTimeout(1000);
    const later = await page.evaluate(() => (window as unknown as { consultroomDiagnostics: () => Promise<Diagnostics> }).consultroomDiagnostics());
    expect(first.videoFramesDecoded).toBeGreaterThan(0);
    expect(later.videoFramesDecoded).toBeGreaterThan(first.videoFramesDecoded);
    expect(later.audioBytesReceived).toBeGreaterThan(first.audioBytesReceived);
    expect(later.audioPacketsReceived).toBeGreaterThan(0);
    expect(await page.getByRole('status').textContent()).toMatch(/camera, microphone and connection work/);

    // The server saw a real Router with this page's producers on it.
    const rooms = server.deps.rooms.all();
    expect(rooms).toHaveLength(1);
    expect(rooms[0]!.counts()).toMatchObject({ peers: 1, transports: 2, producers: 2, consumers: 2 });

    // Every request the browser made went to this server's own origin.
    const foreign = requests.filter((u) => !u.startsWith(`${server.url}/`) && !u.startsWith('data:') && !u.startsWith('blob:'));
    expect(requests.length).toBeGreaterThan(2);
    expect(foreign).toEqual([]);

    await context.close();
    // Closing the page ends the check: its Router is closed on the server.
    await expect.poll(() => server.deps.rooms.all().length, { timeout: 5000 }).toBe(0);
  });
});
