// The landing page and the language switch, in real Chromium at phone size:
// English by default with a "Cymraeg" link (lang="cy") at the top; following
// it turns the page Welsh (<html lang="cy">, title and text from the catalogue,
// no English of the common words left) and keeps the link's other parameters;
// the choice is remembered on the device over a link's ?lang=; axe finds no
// WCAG 2.2 A/AA violation in either language and the switch is a 44 px target.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { wcag22Violations } from '../support/axe.ts';
import { chromiumAvailable, launchBrowser } from '../support/browser.ts';
import { englishFragments, englishLeft } from '../support/english-left.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const WAIT = { timeout: 20_000 };
const PHONE = { width: 360, height: 740 };
const COMMON = englishFragments().filter((f) => f.key.startsWith('common:index.'));

describe.runIf(chromiumAvailable())('the landing page in English and Welsh', () => {
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

  const lang = (page: Page) => page.evaluate(() => document.documentElement.lang);

  it('switches to Welsh and back, remembers the choice, and stays accessible', async () => {
    const context = await browser.newContext({ viewport: PHONE, hasTouch: true, locale: 'en-GB' });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));

    await page.goto(`${server.url}/?x=1`);
    await page.getByRole('heading', { level: 1, name: 'Video consultations' }).waitFor(WAIT);
    expect(await lang(page)).toBe('en-GB');
    expect(await page.title()).toBe('Video consultations');
    const toWelsh = page.getByRole('navigation', { name: 'Language / Iaith' }).getByRole('link', { name: 'Cymraeg' });
    expect(await toWelsh.getAttribute('lang')).toBe('cy');
    expect(await toWelsh.getAttribute('hreflang')).toBe('cy');
    const box = (await toWelsh.boundingBox())!;
    expect(box.height).toBeGreaterThanOrEqual(44);
    expect(box.y + box.height).toBeLessThanOrEqual(PHONE.height);
    expect(await wcag22Violations(page)).toEqual([]);

    await toWelsh.click();
    await page.getByRole('heading', { level: 1, name: 'Ymgynghoriadau fideo' }).waitFor(WAIT);
    expect(await lang(page)).toBe('cy');
    expect(await page.title()).toBe('Ymgynghoriadau fideo');
    expect(new URL(page.url()).searchParams.get('x')).toBe('1');
    expect(new URL(page.url()).searchParams.get('lang')).toBe('cy');
    expect(await page.getByRole('link', { name: "Gwiriwch eich camera, eich meicroffon a'ch cysylltiad" }).count()).toBe(1);
    expect(await englishLeft(page, COMMON)).toEqual([]);
    const toEnglish = page.getByRole('link', { name: 'English' });
    expect(await toEnglish.getAttribute('lang')).toBe('en-GB');
    expect(await wcag22Violations(page)).toEqual([]);

    // Remembered on this device: a link without ?lang=, or with another one, still opens in Welsh.
    await page.goto(`${server.url}/`);
    await page.getByRole('heading', { level: 1, name: 'Ymgynghoriadau fideo' }).waitFor(WAIT);
    await page.goto(`${server.url}/?lang=en-GB`);
    await page.getByRole('heading', { level: 1, name: 'Ymgynghoriadau fideo' }).waitFor(WAIT);

    await toEnglish.click();
    await page.getByRole('heading', { level: 1, name: 'Video consultations' }).waitFor(WAIT);
    expect(await lang(page)).toBe('en-GB');
    expect(errors).toEqual([]);
    await context.close();
  });

  it("opens in Welsh from a link's ?lang=cy, or from a Welsh browser", async () => {
    for (const [url, locale] of [[`${server.url}/?lang=cy`, 'en-GB'], [`${server.url}/`, 'cy-GB']] as const) {
      const context = await browser.newContext({ viewport: PHONE, locale });
      const page = await context.newPage();
      await page.goto(url);
      await page.getByRole('heading', { level: 1, name: 'Ymgynghoriadau fideo' }).waitFor(WAIT);
      expect(await lang(page)).toBe('cy');
      await context.close();
    }
  });
});
