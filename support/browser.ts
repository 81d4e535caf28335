// Debian's Chromium driven by playwright-core (never a downloaded browser),
// headless, with a fake camera and microphone. Playwright gives every launch a
// new, empty user-data-dir. Where Chromium is missing, e2e suites are skipped
// with a clear message, except under CI=true, where that is a failure.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection',
  '--disable-background-networking',
  '--no-first-run',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-component-update',
  '--disable-sync',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

export function chromiumAvailable(): boolean {
  const ok = existsSync(CHROMIUM_PATH);
  if (!ok && process.env.CI === 'true') {
    throw new Error(`Chromium is required under CI but ${CHROMIUM_PATH} does not exist (apt-get install chromium)`);
  }
  if (!ok) console.warn(`\n[e2e] SKIPPED: Chromium not found at ${CHROMIUM_PATH}. Install it with: apt-get install chromium\n`);
  return ok;
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

/**
 * Pages in fresh browser contexts (one person each), with every URL they
 * request recorded, so a test can show nothing left the server's origin.
 */
export class TrackedPages {
  readonly requests: string[] = [];
  readonly #contexts: BrowserContext[] = [];

  async open(browser: Browser): Promise<Page> {
    const ctx = await browser.newContext();
    this.#contexts.push(ctx);
    const page = await ctx.newPage();
    page.on('request', (r) => this.requests.push(r.url()));
    return page;
  }

  /** Requests to anywhere but `origin` (data: and blob: URLs never leave the page). */
  foreign(origin: string): string[] {
    return this.requests.filter((u) => !u.startsWith(`${origin}/`) && !/^(data|blob):/.test(u));
  }

  async closeAll(): Promise<void> {
    for (const c of this.#contexts) await c.close().catch(() => undefined);
  }
}
