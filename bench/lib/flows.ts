// The browser flows the admit and link benchmarks share: our real pages
// reached through the real links (console, then join with consent), and the
// bare page pair. Every page gets the in-page probe before its scripts run.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createAppointment, type CreatedAppointment } from '../../support/api.ts';
import { freeMediaPorts, freeTcpPort } from '../../support/ports.ts';
import { installProbe } from './page-probe.ts';
import { spawnNode, waitReady, type Child } from './procs.ts';
import { BENCH_DIR, ROOT } from './results.ts';

export const CLINICIAN_NAME = 'Dr Asha Patel';

/** client/dist from the current sources (git-ignored build output). */
export function buildClient(): void {
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-client.ts')], { cwd: ROOT, stdio: 'ignore' });
}

export async function newProbedPage(browser: Browser): Promise<{ ctx: BrowserContext; page: Page }> {
  const ctx = await browser.newContext();
  await ctx.addInitScript(installProbe);
  return { ctx, page: await ctx.newPage() };
}

export async function phase(page: Page, value: string, timeout = 20_000): Promise<void> {
  await page.waitForFunction((v) => document.body.dataset.phase === v, value, { timeout, polling: 10 });
}

/** The clinician's console open on one appointment, their camera published. */
export async function openConsole(browser: Browser, apt: CreatedAppointment): Promise<{ ctx: BrowserContext; page: Page }> {
  const c = await newProbedPage(browser);
  await c.page.goto(apt.clinicianUrl);
  await phase(c.page, 'consultation');
  // consultroomDiagnostics() is non-null once the media session is publishing.
  await c.page.waitForFunction(
    () => ((window as unknown as { consultroomDiagnostics?: () => unknown }).consultroomDiagnostics?.() ?? null) !== null,
    undefined,
    { timeout: 20_000, polling: 20 },
  );
  return c;
}

export async function newAppointment(base: string, i: number, tag: string): Promise<{ apt: CreatedAppointment; name: string }> {
  const name = `Patient ${tag} ${i}`;
  // Its own clinician, so the console opens straight on this appointment alone.
  const apt = await createAppointment(base, { patientName: name, clinicianId: `gp-${tag}-${i}`, startsAt: new Date().toISOString() });
  return { apt, name };
}

/** The patient follows the link, consents and joins; returns the Node clock at goto. */
export async function patientJoins(page: Page, apt: CreatedAppointment): Promise<number> {
  const gotoAt = Date.now();
  await page.goto(apt.patientUrl);
  await phase(page, 'consent');
  await page.getByRole('checkbox').check();
  await page.getByRole('button', { name: /^Join/ }).click();
  return gotoAt;
}

/** Ends the consultation from the console (tidy: the Router closes). */
export async function endConsultation(gp: Page): Promise<void> {
  await gp.getByRole('button', { name: /^End consultation/ }).click();
  await gp.getByRole('button', { name: /end for everyone/i }).click();
  await phase(gp, 'ended', 10_000).catch(() => undefined);
}

export async function startBareMediaServer(): Promise<Child> {
  const port = await freeTcpPort();
  const mediaPort = await freeMediaPorts(1);
  const child = spawnNode('bare-mediasoup', path.join(BENCH_DIR, 'bare', 'server.ts'), [String(port), String(mediaPort)], {}, `http://127.0.0.1:${port}`);
  await waitReady(child, '/readyz');
  return child;
}

export async function openBare(browser: Browser, base: string, role: 'c' | 'p', room: string): Promise<{ ctx: BrowserContext; page: Page }> {
  const c = await newProbedPage(browser);
  await c.page.goto(`${base}/?role=${role}&room=${encodeURIComponent(room)}`);
  await phase(c.page, 'ready');
  return c;
}
