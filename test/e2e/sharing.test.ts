// Chat and secure clinical photos in headless Chromium, driven the way people
// use the pages: the clinician sends a note to the patient still waiting (who
// cannot answer yet), they chat once the patient is let in, the clinician asks
// for a photo and the patient sends one carrying GPS and camera EXIF; the
// clinician sees it at full resolution with nothing of that left, its SHA-256
// as shown matching the bytes the page received (and its own check of them), saves it with its sidecar, zooms; shares a PDF
// the patient downloads; the patient takes a photo with the page's camera on
// a 360 px phone screen. axe on both pages with the chat and dialogs open;
// nothing requested from anywhere but the server. Screenshots: test-results/.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import exifr from 'exifr';
import type { Browser, Download, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ThreadItemView } from '../../server/wire/thread.ts';
import { createAppointment } from '../support/api.ts';
import { seriousA11yViolations } from '../support/axe.ts';
import { chromiumAvailable, launchBrowser, TrackedPages } from '../support/browser.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const SHOTS = path.join(process.cwd(), 'test-results', 'screenshots');
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n', 'latin1');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function phase(page: Page, value: string, timeout = 20_000): Promise<void> {
  await page.waitForFunction((v) => document.body.dataset.phase === v, value, { timeout });
}

const stats = (page: Page) =>
  page.evaluate(() => (window as unknown as { consultroomDiagnostics?: () => Promise<{ videoFramesDecoded: number } | null> }).consultroomDiagnostics?.() ?? null);

const threadOf = (page: Page) =>
  page.evaluate(() => (window as unknown as { consultroomThread?: () => ThreadItemView[] }).consultroomThread?.() ?? []);

/** A JPEG as a phone makes it: location and camera model in its EXIF. */
function phonePhoto(): Promise<Buffer> {
  return sharp({ create: { width: 1600, height: 1200, channels: 3, background: '#8a5' } })
    .jpeg({ quality: 90 })
    .withExif({
      IFD0: { Make: 'PhoneCo', Model: 'X1' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1', GPSLongitudeRef: 'W', GPSLongitude: '0/1 7/1 0/1' },
    })
    .toBuffer();
}

/**
 * The bytes of every shared file a page fetches, exactly as the server sent
 * them (passed through unchanged). The page shows them from blob: URLs, which
 * its CSP rightly does not let a fetch read back.
 */
async function fileResponses(page: Page): Promise<{ type: string; body: Buffer }[]> {
  const seen: { type: string; body: Buffer }[] = [];
  await page.route(/\/api\/v1\/files\//, async (route) => {
    const res = await route.fetch();
    const body = await res.body();
    if (res.ok()) seen.push({ type: res.headers()['content-type'] ?? '', body });
    await route.fulfill({ response: res, body });
  });
  return seen;
}

async function downloaded(d: Download): Promise<{ name: string; bytes: Buffer }> {
  return { name: d.suggestedFilename(), bytes: readFileSync(await d.path()) };
}

describe.runIf(chromiumAvailable())('chat and secure clinical photos in Chromium', () => {
  let server: TestServer;
  // The patient's phone and the clinician's computer: two browsers, so each has
  // its own camera (one browser shares one fake camera at the first opener's size).
  let browser: Browser;
  let phone: Browser;
  const pages = new TrackedPages();
  const newPage = (on: Browser = browser): Promise<Page> => pages.open(on);

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    server = await startTestServer();
    browser = await launchBrowser();
    phone = await launchBrowser();
  });
  afterAll(async () => {
    await pages.closeAll();
    await browser?.close();
    await phone?.close();
    await server?.stop();
  });

  it('notes to the waiting room, chat, a photo request answered with a stripped photo, a shared PDF', { timeout: 180_000 }, async () => {
    const apt = await createAppointment(server.url, { patientName: 'Jane Doe' });

    // ---- 1. A note to the patient while they wait; no way for them to answer yet.
    const patient = await newPage(phone);
    await patient.goto(apt.patientUrl);
    await phase(patient, 'consent');
    await patient.getByRole('checkbox').check();
    await patient.getByRole('button', { name: /^Join/ }).click();
    await phase(patient, 'waiting');

    const gp = await newPage();
    const gpFiles = await fileResponses(gp);
    await gp.goto(apt.clinicianUrl);
    await phase(gp, 'consultation');
    await gp.getByRole('button', { name: 'Message Jane Doe', exact: true }).click();
    const note = gp.getByRole('textbox', { name: 'Message to Jane Doe' });
    expect(await note.evaluate((el) => el === document.activeElement)).toBe(true);
    await note.fill('Running ten minutes late');
    await gp.getByRole('button', { name: 'Send to Jane Doe' }).click();
    await gp.getByRole('log', { name: 'Messages' }).getByText('Running ten minutes late').waitFor();
    expect(await gp.getByRole('log', { name: 'Messages' }).getByText('to Jane Doe only').count()).toBe(1);

    const notes = patient.getByRole('region', { name: 'Messages from your clinician' });
    await notes.getByText('Running ten minutes late').waitFor({ timeout: 10_000 });
    await patient.getByText('You can reply once Dr Asha Patel lets you in.').waitFor();
    expect(await patient.getByRole('textbox').count()).toBe(0);
    expect(await patient.getByRole('button', { name: /^Send/ }).count()).toBe(0);
    await patient.screenshot({ path: path.join(SHOTS, 'sharing-patient-waiting-note.png'), fullPage: true });
    expect(await seriousA11yViolations(patient)).toEqual([]);
    expect(await seriousA11yViolations(gp)).toEqual([]);

    // ---- 2. Admitted: chat both ways (Enter sends).
    await gp.getByRole('button', { name: 'Admit Jane Doe' }).click();
    await phase(patient, 'call');
    const patientLog = patient.getByRole('log', { name: 'Messages' });
    const gpLog = gp.getByRole('log', { name: 'Messages' });
    await patientLog.getByText('Running ten minutes late').waitFor(); // the note is in the thread too
    const patientBox = patient.getByRole('textbox', { name: 'Your message' });
    await patientBox.fill('Hello doctor');
    await patientBox.press('Enter');
    await gpLog.getByText('Hello doctor').waitFor({ timeout: 10_000 });
    expect(await patientBox.inputValue()).toBe('');
    await gp.getByRole('textbox', { name: 'Your message' }).fill('Hello Jane, I can see you now');
    await gp.getByRole('button', { name: 'Send', exact: true }).click();
    await patientLog.getByText('Hello Jane, I can see you now').waitFor({ timeout: 10_000 });
    await gp.screenshot({ path: path.join(SHOTS, 'sharing-clinician-chat.png') });
    await patient.screenshot({ path: path.join(SHOTS, 'sharing-patient-chat.png') });

    // ---- 3. A photo request; the patient answers with a photo that carries GPS and camera EXIF.
    const photo = await phonePhoto();
    expect(await exifr.gps(photo)).toMatchObject({ latitude: 51.5 });
    await gp.getByRole('button', { name: 'Request photo from Jane Doe' }).click();
    const ask = patient.getByRole('dialog', { name: 'Dr Asha Patel asks for a photo' });
    await ask.waitFor({ timeout: 10_000 });
    expect(await seriousA11yViolations(patient)).toEqual([]);
    // First a web page dressed as a photo: refused by its content, in plain words, and nothing sent.
    const fake = patient.waitForEvent('filechooser');
    await ask.getByRole('button', { name: 'Choose a photo or file' }).click();
    await (await fake).setFiles({ name: 'photo.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('<!doctype html><script>alert(1)</script>') });
    await ask.getByRole('button', { name: 'Send', exact: true }).click();
    await ask.getByText(/It was not sent\. This kind of file cannot be sent/).waitFor({ timeout: 10_000 });
    expect((await threadOf(gp)).filter((i) => i.kind === 'file')).toEqual([]);
    const chooser = patient.waitForEvent('filechooser');
    await ask.getByRole('button', { name: 'Choose another' }).click();
    await (await chooser).setFiles({ name: 'rash.jpg', mimeType: 'image/jpeg', buffer: photo });
    await ask.getByRole('img', { name: 'Preview of rash.jpg' }).waitFor();
    await patient.screenshot({ path: path.join(SHOTS, 'sharing-patient-photo-preview.png') });
    await ask.getByRole('button', { name: 'Send', exact: true }).click();
    await ask.waitFor({ state: 'hidden', timeout: 15_000 });
    await patientLog.getByText('You sent a photo.').waitFor();

    // ---- 4. The clinician sees it at once; full resolution, nothing identifying left, SHA-256 as shown.
    const thumb = gp.getByRole('button', { name: 'Open rash.jpg' });
    await thumb.waitFor({ timeout: 10_000 });
    const item = (await threadOf(gp)).find((i) => i.file?.name === 'rash.jpg')!;
    const request = (await threadOf(gp)).find((i) => i.kind === 'photo-request')!;
    expect(item.requestId).toBe(request.id);
    await thumb.click();
    const viewer = gp.getByRole('dialog', { name: 'rash.jpg' });
    await viewer.waitFor();
    const img = viewer.getByRole('img', { name: /rash\.jpg/ });
    await expect.poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth)).toBe(1600);
    // What the page received, and (below) the page's own check of the bytes it shows.
    const received = gpFiles.filter((f) => f.type.startsWith('image/jpeg'));
    expect(received.length).toBeGreaterThan(0);
    const bytes = received[0]!.body;
    const hash = sha256(bytes);
    expect(hash).toBe(item.file!.sha256);
    await viewer.getByText('SHA-256 fingerprint').click();
    await viewer.getByText(hash, { exact: true }).waitFor();
    await viewer.getByText('Checked: the copy on this screen matches this fingerprint.').waitFor();
    await viewer.getByText(/location and camera details \(EXIF\) removed/i).waitFor();
    expect(await exifr.gps(bytes)).toBeUndefined();
    const left = (await exifr.parse(bytes, { tiff: true, ifd0: {}, gps: true }).catch(() => undefined)) as Record<string, unknown> | undefined;
    expect(left?.Make).toBeUndefined();
    expect(left?.Model).toBeUndefined();
    expect(left?.latitude).toBeUndefined();
    const meta = await sharp(bytes).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 1600, 1200]);

    // Save to record: the photo and its sidecar, both downloaded.
    const downloads: Download[] = [];
    gp.on('download', (d) => downloads.push(d));
    await viewer.getByRole('button', { name: 'Save to record' }).click();
    await expect.poll(() => downloads.length, { timeout: 15_000 }).toBe(2);
    const saved = new Map((await Promise.all(downloads.map(downloaded))).map((d) => [d.name, d.bytes]));
    expect([...saved.keys()].sort()).toEqual(['rash.jpg', 'rash.jpg.json']);
    expect(sha256(saved.get('rash.jpg')!)).toBe(hash);
    const sidecar = JSON.parse(saved.get('rash.jpg.json')!.toString('utf8')) as Record<string, unknown>;
    expect(sidecar).toMatchObject({ appointmentId: apt.id, fileId: item.file!.id, sha256: hash, width: 1600, height: 1200, requestId: request.id });
    await viewer.getByText(/Saved to your downloads/).waitFor();

    // ---- 5. Zoom: the buttons, the wheel, and Fit.
    const width = async () => (await img.boundingBox())!.width;
    const fitted = await width();
    await viewer.getByRole('button', { name: 'Zoom in' }).click();
    const zoomed = await width();
    expect(zoomed).toBeGreaterThan(fitted);
    await viewer.getByRole('region', { name: /rash\.jpg/ }).hover();
    await gp.mouse.wheel(0, -300);
    await expect.poll(width).toBeGreaterThan(zoomed);
    await viewer.getByRole('button', { name: 'Fit' }).click();
    expect(Math.abs((await width()) - fitted)).toBeLessThan(2);
    await viewer.getByRole('button', { name: 'Zoom in' }).click();
    await gp.screenshot({ path: path.join(SHOTS, 'sharing-clinician-viewer.png') });

    // ---- 7 (with the viewer and the chat open). axe on both pages.
    expect(await seriousA11yViolations(gp)).toEqual([]);
    expect(await seriousA11yViolations(patient)).toEqual([]);
    await viewer.getByRole('button', { name: 'Close' }).click();
    await viewer.waitFor({ state: 'hidden' });
    expect(await thumb.evaluate((el) => el === document.activeElement)).toBe(true);

    // ---- 6. The clinician shares a PDF; the patient sees it and downloads it.
    const chooser2 = gp.waitForEvent('filechooser');
    await gp.getByRole('button', { name: 'Share a file' }).click();
    await (await chooser2).setFiles({ name: 'exercises.pdf', mimeType: 'application/pdf', buffer: PDF });
    const pdfButton = patient.getByRole('button', { name: 'Open exercises.pdf' });
    await pdfButton.waitFor({ timeout: 10_000 });
    await pdfButton.click();
    const pdfViewer = patient.getByRole('dialog', { name: 'exercises.pdf' });
    await pdfViewer.waitFor();
    const pdfDownload = patient.waitForEvent('download');
    await pdfViewer.getByRole('button', { name: 'Download exercises.pdf' }).click();
    const pdf = await downloaded(await pdfDownload);
    const pdfItem = (await threadOf(patient)).find((i) => i.file?.name === 'exercises.pdf')!;
    expect(pdf.name).toBe('exercises.pdf');
    expect(pdf.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(sha256(pdf.bytes)).toBe(pdfItem.file!.sha256);
    expect(await seriousA11yViolations(patient)).toEqual([]);
    await pdfViewer.getByRole('button', { name: 'Close' }).click();

    // ---- On a 360 px phone: the chat folds behind "Chat" (with an unread count); a photo from the page's camera.
    await patient.setViewportSize({ width: 360, height: 780 });
    await gp.getByRole('textbox', { name: 'Your message' }).fill('Please take one more photo, closer up');
    await gp.getByRole('button', { name: 'Send', exact: true }).click();
    const chatToggle = patient.getByRole('button', { name: /^Chat/ });
    await expect.poll(() => chatToggle.textContent(), { timeout: 10_000 }).toMatch(/1 unread message/);
    expect(await patient.getByRole('textbox', { name: 'Your message' }).isVisible()).toBe(false);
    await chatToggle.click();
    await patient.getByRole('textbox', { name: 'Your message' }).waitFor();
    expect(await chatToggle.textContent()).toBe('Chat');
    expect(await patient.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await patient.screenshot({ path: path.join(SHOTS, 'sharing-patient-phone-chat.png'), fullPage: true });
    expect(await seriousA11yViolations(patient)).toEqual([]);

    await gp.getByRole('button', { name: 'Request photo from Jane Doe' }).click();
    await ask.waitFor({ timeout: 10_000 });
    await ask.getByRole('button', { name: 'Use the camera' }).click();
    const preview = ask.getByLabel('Camera preview');
    await expect.poll(() => preview.evaluate((v: HTMLVideoElement) => v.videoWidth), { timeout: 10_000 }).toBeGreaterThan(0);
    const cameraSize = await preview.evaluate((v: HTMLVideoElement) => [v.videoWidth, v.videoHeight]);
    await patient.screenshot({ path: path.join(SHOTS, 'sharing-patient-phone-camera.png') });
    await ask.getByRole('button', { name: 'Take photo' }).click();
    await ask.getByRole('img', { name: 'The photo you took' }).waitFor({ timeout: 10_000 });
    // The still's own camera is stopped as soon as the photo is taken.
    expect(await preview.evaluate((v: HTMLVideoElement) => v.srcObject)).toBeNull();
    expect(await seriousA11yViolations(patient)).toEqual([]);
    await ask.getByRole('button', { name: 'Send photo' }).click();
    await ask.waitFor({ state: 'hidden', timeout: 15_000 });
    await expect.poll(async () => (await threadOf(gp)).filter((i) => i.kind === 'file').length, { timeout: 10_000 }).toBe(3);
    const still = (await threadOf(gp)).filter((i) => i.kind === 'file').at(-1)!;
    console.log(`[e2e] camera preview ${cameraSize.join('×')}, still ${still.file!.width}×${still.file!.height} (${still.file!.mime})`);
    // Not a frame of the call's 640×480 video: the still camera's own full size.
    expect(still.file!.width! * still.file!.height!).toBeGreaterThan(640 * 480);
    // The call's camera, let go for the still, is back: the clinician sees the patient moving again.
    const frames = async () => (await stats(gp))?.videoFramesDecoded ?? 0;
    const before = await frames();
    await expect.poll(frames, { timeout: 10_000 }).toBeGreaterThan(before + 10);
    const selfView = patient.getByLabel('Your camera');
    expect(await selfView.evaluate((v: HTMLVideoElement) => (v.srcObject as MediaStream).getVideoTracks().some((t) => t.readyState === 'live'))).toBe(true);

    // ---- 8. Every request either page made went to this server's own origin.
    const foreign = pages.foreign(server.url);
    expect(foreign).toEqual([]);
  });
});
