// The call, video first, in Chromium with real mediasoup and fake cameras: on
// a phone (360x740, touch) the control bar (camera, microphone, chat, leave)
// is on the first screen, the clinician's video fills most of it, and the
// patient's own picture is small and moves by keyboard and by dragging without
// covering the bar; on a 1280x800 laptop the clinician's controls are in view.
// With several cameras, "Switch camera" swaps the sent camera and the
// clinician keeps decoding frames. A camera the device takes back mid-call is explained
// and one button brings it back (frames decode again on the other side). A
// browser that will not play sound until a tap shows "Tap to hear your
// clinician", and the tap plays it. axe on each state at 360x740.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { createAppointment } from '../support/api.ts';
import { seriousA11yViolations } from '../support/axe.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH, chromiumAvailable } from '../support/browser.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const SHOTS = path.join(process.cwd(), 'test-results', 'screenshots');
const PHONE = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true };
const LAPTOP = { viewport: { width: 1280, height: 800 } };

/** The usual fake media, with three fake cameras (Chromium's second fake camera is a depth camera). */
const ARGS = CHROMIUM_ARGS.map((a) => (a === '--use-fake-device-for-media-stream' ? '--use-fake-device-for-media-stream=device-count=3' : a));

/**
 * A strict phone browser's autoplay rule: media with sound plays only once
 * the person has tapped this page (a page reloaded into the call has had no
 * tap). Headless Chromium plays everything whatever --autoplay-policy says,
 * and keeps its own activation across a reload, so the rule is put in the
 * page the way browsers apply it: play() rejects with NotAllowedError.
 */
function strictAutoplay(): void {
  let tapped = false;
  for (const type of ['pointerdown', 'keydown']) addEventListener(type, () => (tapped = true), { capture: true });
  const play = Object.getOwnPropertyDescriptor(HTMLMediaElement.prototype, 'play')!.value as (this: HTMLMediaElement) => Promise<void>;
  HTMLMediaElement.prototype.play = function (this: HTMLMediaElement) {
    if (!this.muted && !tapped) return Promise.reject(new DOMException('play() needs a tap first', 'NotAllowedError'));
    return play.call(this);
  };
}

async function phase(page: Page, value: string, timeout = 20_000): Promise<void> {
  await page.waitForFunction((v) => document.body.dataset.phase === v, value, { timeout });
}

const framesDecoded = (page: Page) =>
  page.evaluate(async () => {
    const d = (window as unknown as { consultroomDiagnostics?: () => Promise<{ videoFramesDecoded: number } | null> }).consultroomDiagnostics;
    return (await d?.())?.videoFramesDecoded ?? 0;
  });

/** Frames keep arriving: more than `n` new ones after now (else what the page's tiles say, to see why). */
async function decodingMore(page: Page, n = 10): Promise<void> {
  const base = await framesDecoded(page);
  try {
    await expect.poll(() => framesDecoded(page), { timeout: 20_000 }).toBeGreaterThan(base + n);
  } catch (e) {
    const tiles = await page.locator('figure.tile').allInnerTexts();
    throw new Error(`frames stopped at ${base}; the tiles say ${JSON.stringify(tiles)}`, { cause: e });
  }
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

async function box(l: Locator): Promise<Box> {
  const b = await l.boundingBox();
  if (!b) throw new Error('not drawn');
  return b;
}

/** Wholly inside the window as it is (nobody scrolled). */
function inside(b: Box, w: number, h: number): boolean {
  return b.x >= 0 && b.y >= 0 && b.x + b.width <= w && b.y + b.height <= h;
}

/** The part of `b` inside the window. */
function visibleArea(b: Box, w: number, h: number): number {
  const x = Math.max(0, Math.min(w, b.x + b.width) - Math.max(0, b.x));
  const y = Math.max(0, Math.min(h, b.y + b.height) - Math.max(0, b.y));
  return x * y;
}

/** The id of the camera the page is sending (its self view's track). */
const cameraId = (page: Page) =>
  page.locator('video[aria-label="Your camera"]').evaluate((v: HTMLVideoElement) => {
    const t = (v.srcObject as MediaStream | null)?.getVideoTracks()[0];
    return t && t.readyState === 'live' ? (t.getSettings().deviceId ?? '') : '';
  });

describe.runIf(chromiumAvailable())('the call on a phone and a laptop', () => {
  let server: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const open = async (options: Parameters<Browser['newContext']>[0]): Promise<Page> => {
    const ctx = await browser.newContext(options);
    contexts.push(ctx);
    return ctx.newPage();
  };

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    server = await startTestServer();
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ARGS });
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
  });

  it('keeps the controls in view, moves the self view, switches and recovers the camera, and asks for a tap to hear', async () => {
    const apt = await createAppointment(server.url, { patientName: 'Jane Doe' });
    const patient = await open(PHONE);
    await patient.context().addInitScript(strictAutoplay);
    await patient.goto(apt.patientUrl);
    await phase(patient, 'consent');
    await patient.getByRole('checkbox').check();
    await patient.getByRole('button', { name: /^Join/ }).click();
    await phase(patient, 'waiting');
    const gp = await open(LAPTOP);
    await gp.goto(apt.clinicianUrl);
    await phase(gp, 'consultation').catch(async (e: unknown) => {
      throw new Error(`the console did not open the consultation: ${await gp.locator('body').innerText()}`, { cause: e });
    });
    await gp.getByRole('button', { name: /^Admit Jane Doe/ }).click();
    await phase(patient, 'call');
    await decodingMore(patient, 0);
    await decodingMore(gp, 0);

    // ---- The phone, as the page left it (nobody scrolled): the bar, the clinician's video, a small self view.
    const W = 360;
    const H = 740;
    const bar = patient.getByRole('group', { name: 'Call controls' });
    const buttons = {
      camera: bar.getByRole('button', { name: 'Turn camera off' }),
      microphone: bar.getByRole('button', { name: 'Mute microphone' }),
      chat: bar.getByRole('button', { name: /^Chat/ }),
      leave: bar.getByRole('button', { name: 'Leave', exact: true }),
    };
    for (const [name, b] of Object.entries(buttons)) {
      const at = await box(b);
      expect(inside(at, W, H), `${name} at ${JSON.stringify(at)}`).toBe(true);
      expect(at.height).toBeGreaterThanOrEqual(44);
    }
    const remote = patient.getByLabel(/^Video of Dr Asha Patel/);
    const remoteArea = visibleArea(await box(remote), W, H);
    console.log(`[e2e] phone: the clinician's video covers ${Math.round((100 * remoteArea) / (W * H))}% of the screen`);
    expect(remoteArea).toBeGreaterThan(0.5 * W * H);
    const self = patient.locator('figure.tile.self');
    const selfBox = await box(self);
    expect(selfBox.width * selfBox.height).toBeLessThan((W * H) / 4);
    await patient.screenshot({ path: path.join(SHOTS, 'call-phone.png') });
    expect(await seriousA11yViolations(patient)).toEqual([]);

    // By keyboard: "Move my picture" takes it round the corners of the video, never over the bar.
    const move = bar.getByRole('button', { name: 'Move my picture' });
    await move.focus();
    const corners: string[] = [];
    for (let i = 0; i < 4; i++) {
      await patient.keyboard.press('Enter');
      corners.push((await self.getAttribute('data-corner')) ?? '');
      const b = await box(self);
      expect(inside(b, W, H)).toBe(true);
      expect(b.y + b.height).toBeLessThanOrEqual((await box(bar)).y);
    }
    expect(corners).toEqual(['bottom-right', 'bottom-left', 'top-left', 'top-right']);
    expect(await patient.locator('.call [aria-live="polite"]').textContent()).toBe('Your picture is now in the top right corner.');
    // By dragging: dropped near the bottom left, it settles in that corner.
    const from = await box(self);
    const stage = await box(patient.locator('.stage'));
    await patient.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await patient.mouse.down();
    await patient.mouse.move(stage.x + 40, stage.y + stage.height - 40, { steps: 5 });
    await patient.mouse.up();
    expect(await self.getAttribute('data-corner')).toBe('bottom-left');

    // ---- The clinician's laptop: the call's controls are in view too.
    const gpBar = gp.getByRole('group', { name: 'Call controls' });
    for (const name of ['Turn camera off', 'Mute microphone', 'Leave']) {
      const at = await box(gpBar.getByRole('button', { name, exact: true }));
      expect(inside(at, 1280, 800), `${name} at ${JSON.stringify(at)}`).toBe(true);
    }
    await gp.screenshot({ path: path.join(SHOTS, 'call-laptop-clinician.png') });

    // ---- Two cameras: "Switch camera" sends the other one, and the clinician keeps seeing the patient.
    const switchCamera = bar.getByRole('button', { name: 'Switch camera' });
    await switchCamera.waitFor({ timeout: 10_000 });
    const first = await cameraId(patient);
    expect(first).not.toBe('');
    await switchCamera.click();
    await expect.poll(() => cameraId(patient), { timeout: 10_000 }).not.toBe(first);
    const second = await cameraId(patient);
    expect(second).not.toBe('');
    // Chromium's second fake camera is a depth camera (16-bit grey), which it does not encode: on to the third.
    await switchCamera.click();
    await expect.poll(() => cameraId(patient), { timeout: 10_000 }).not.toBe(second);
    expect(await cameraId(patient)).not.toBe(first);
    await decodingMore(gp);

    // ---- The device takes the camera back (another app): the patient is told, and one button brings it back.
    await patient.locator('video[aria-label="Your camera"]').evaluate((v: HTMLVideoElement) => {
      const t = (v.srcObject as MediaStream).getVideoTracks()[0]!;
      t.stop();
      t.dispatchEvent(new Event('ended'));
    });
    await patient.locator('.stage .trouble').getByText('Your camera stopped. Another app may be using it.').waitFor({ timeout: 10_000 });
    expect(await patient.locator('.call [aria-live="polite"]').textContent()).toBe('Your camera stopped. Another app may be using it.');
    await patient.screenshot({ path: path.join(SHOTS, 'call-phone-camera-lost.png') });
    expect(await seriousA11yViolations(patient)).toEqual([]);
    await patient.getByRole('button', { name: 'Turn camera back on' }).click();
    await patient.getByRole('button', { name: 'Turn camera back on' }).waitFor({ state: 'hidden', timeout: 10_000 });
    expect(await cameraId(patient)).not.toBe('');
    expect(await patient.locator('.call [aria-live="polite"]').textContent()).toBe('Your camera is back on.');
    await decodingMore(gp);

    // ---- Reloaded into the call, with no tap yet: the browser holds the sound back, so one big button asks for a tap.
    await patient.reload();
    await phase(patient, 'call');
    const tap = patient.getByRole('button', { name: 'Tap to hear your clinician' });
    await tap.waitFor({ timeout: 20_000 });
    const remoteVideo = patient.getByLabel(/^Video of Dr Asha Patel/);
    expect(await remoteVideo.evaluate((v: HTMLVideoElement) => v.muted)).toBe(true);
    await patient.screenshot({ path: path.join(SHOTS, 'call-phone-tap-to-hear.png') });
    expect(await seriousA11yViolations(patient)).toEqual([]);
    await tap.tap();
    await tap.waitFor({ state: 'hidden' });
    await expect
      .poll(() => remoteVideo.evaluate((v: HTMLVideoElement) => ({ muted: v.muted, paused: v.paused, audio: (v.srcObject as MediaStream).getAudioTracks().length })))
      .toEqual({ muted: false, paused: false, audio: 1 });
    await decodingMore(patient);
  });
});
