// The patient's consent step on a phone (Chromium at 360x740, touch): who the
// appointment is with, the consent box and Join are on the first screen
// without scrolling, in English and in Welsh, with a clinic that sets its
// phone number and privacy notice (the longest consent step); a second link
// opened in the same tab (only the fragment changes) closes the first
// appointment and shows the new one; the heading the page focuses for screen
// readers draws no ring, while a control reached with the keyboard does.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { api, type CreatedAppointment } from '../support/api.ts';
import { seriousA11yViolations } from '../support/axe.ts';
import { chromiumAvailable, launchBrowser } from '../support/browser.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const SHOTS = path.join(process.cwd(), 'test-results', 'screenshots');
const PHONE = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
const CLINIC = { id: 'phone-clinic', name: 'Dermatology, North site' };
const SETTINGS = {
  phone: '01234 567890',
  privacyNoticeText: 'We use your information to give you care.\n\nWe keep it safe and share it only with the people looking after you.',
};

async function phase(page: Page, value: string, timeout = 20_000): Promise<void> {
  await page.waitForFunction((v) => document.body.dataset.phase === v, value, { timeout });
}

/** The link in a language (as a Welsh clinic's link carries it). */
function inLanguage(url: string, lang: string): string {
  const u = new URL(url);
  u.searchParams.set('lang', lang);
  return u.toString();
}

/** Where each element is on the first screen, unscrolled; null for one not drawn. */
async function boxes(page: Page, selectors: string[]): Promise<Record<string, { top: number; bottom: number } | null>> {
  const out: Record<string, { top: number; bottom: number } | null> = {};
  for (const s of selectors) {
    const b = await page.locator(s).boundingBox();
    out[s] = b ? { top: b.y, bottom: b.y + b.height } : null;
  }
  return out;
}

/** The ring drawn around the focused element (outline and the box-shadow ring of styles.css). */
const focusRing = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    const s = el ? getComputedStyle(el) : null;
    return { tag: el?.tagName ?? '', id: el?.id ?? '', outlineStyle: s?.outlineStyle ?? '', outlineWidth: s?.outlineWidth ?? '', boxShadow: s?.boxShadow ?? '' };
  });

/** Records every text written to the status region, with the heading shown at that moment. */
const RECORD_STATUS = `(() => {
  const said = [];
  window.__said = said;
  document.addEventListener('DOMContentLoaded', () => {
    const status = document.getElementById('status');
    new MutationObserver((records) => {
      for (const r of records) {
        const text = [...r.addedNodes].map((n) => n.textContent).join('');
        if (text) said.push({ text, heading: document.querySelector('h1')?.textContent ?? '' });
      }
    }).observe(status, { childList: true });
  });
})();`;

interface Said {
  text: string;
  heading: string;
}

describe.runIf(chromiumAvailable())("the patient's consent step on a phone", () => {
  let server: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  const phone = async (): Promise<Page> => {
    const ctx = await browser.newContext(PHONE);
    contexts.push(ctx);
    return ctx.newPage();
  };

  const appointment = async (clinician: { id: string; name: string }, durationMinutes = 15): Promise<CreatedAppointment> => {
    const res = await api(server.url, 'POST', '/api/v1/appointments', {
      clinician,
      patient: { name: 'Jane Doe' },
      startsAt: new Date().toISOString(),
      durationMinutes,
      clinicId: CLINIC.id,
    });
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as CreatedAppointment;
  };

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    server = await startTestServer();
    browser = await launchBrowser();
    expect((await api(server.url, 'POST', '/api/v1/clinics', CLINIC)).status).toBe(201);
    expect((await api(server.url, 'PATCH', `/api/v1/clinics/${CLINIC.id}`, { settings: SETTINGS })).status).toBe(200);
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
  });

  for (const lang of ['en-GB', 'cy']) {
    it(`shows who with, the consent box and Join on the first screen at 360x740 (${lang})`, async () => {
      const apt = await appointment({ id: 'gp-1', name: 'Dr Asha Patel' });
      const page = await phone();
      await page.goto(inLanguage(apt.patientUrl, lang));
      await phase(page, 'consent');
      expect(await page.evaluate(() => document.documentElement.lang)).toBe(lang);
      await page.locator('.consent-check video').waitFor(); // the preview is there, below
      expect(await page.evaluate(() => window.scrollY)).toBe(0);
      const where = await boxes(page, ['.lead', '#consent', '#join']);
      for (const [s, b] of Object.entries(where)) {
        expect(b, `${s} is drawn`).not.toBeNull();
        expect(b!.top, `${s} top`).toBeGreaterThanOrEqual(0);
        expect(b!.bottom, `${s} bottom, of 740`).toBeLessThanOrEqual(740);
      }
      expect(await page.locator('.lead').textContent()).toContain('Dr Asha Patel');
      expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth), 'no sideways scrolling').toBeLessThanOrEqual(0);
      // Join stays a big target; the camera check follows it.
      const join = (await page.locator('#join').boundingBox())!;
      expect(join.height).toBeGreaterThanOrEqual(44);
      const preview = (await page.locator('.consent-check figure').boundingBox())!;
      expect(preview.y).toBeGreaterThan(join.y);
      await page.screenshot({ path: path.join(SHOTS, `patient-consent-360-${lang}.png`) });
      expect(await seriousA11yViolations(page)).toEqual([]);
    });
  }

  it('opens a second link in the same tab: the first appointment is closed and the new one shown', async () => {
    const first = await appointment({ id: 'gp-1', name: 'Dr Asha Patel' });
    const second = await appointment({ id: 'gp-2', name: 'Dr Bryn Jones' }, 30);
    const page = await phone();
    await page.goto(first.patientUrl);
    await phase(page, 'consent');
    await page.getByRole('checkbox').check();
    await page.getByRole('button', { name: /^Join/ }).click();
    await phase(page, 'waiting');
    const waitingIn = async (id: string) =>
      (await server.deps.consultations.participants(id as never)).filter((p) => p.role === 'patient' && p.state === 'waiting').length;
    await expect.poll(() => waitingIn(first.id)).toBe(1);
    expect(server.deps.presence.participantsIn(first.id).length).toBe(1);

    // Only the fragment changes: the page must not carry on with the old appointment.
    await page.goto(second.patientUrl);
    await phase(page, 'consent');
    await expect.poll(() => page.locator('.lead').textContent(), { timeout: 20_000 }).toContain('Dr Bryn Jones');
    expect(page.url()).not.toContain('#t=');
    expect(await page.locator('.booking').textContent()).toContain('30 minutes');
    // The first appointment's waiting room connection was closed with it.
    await expect.poll(() => server.deps.presence.participantsIn(first.id).length, { timeout: 15_000 }).toBe(0);
    await page.getByRole('checkbox').check();
    await page.getByRole('button', { name: /^Join/ }).click();
    await phase(page, 'waiting');
    await expect.poll(() => waitingIn(second.id)).toBe(1);
  });

  it('says each thing once, and not what the heading it has just focused says', async () => {
    const apt = await appointment({ id: 'gp-1', name: 'Dr Asha Patel' });
    const ctx = await browser.newContext(PHONE);
    contexts.push(ctx);
    await ctx.addInitScript(RECORD_STATUS);
    const page = await ctx.newPage();
    const said = () => page.evaluate(() => (window as unknown as { __said: Said[] }).__said);
    const check = async (where: string): Promise<void> => {
      const all = await said();
      for (const [i, s] of all.entries()) {
        expect(s.text, `${where}: status repeats the heading`).not.toBe(s.heading);
        if (i > 0) expect(s.text, `${where}: said twice in a row`).not.toBe(all[i - 1]!.text);
      }
    };
    await page.goto(apt.patientUrl);
    await phase(page, 'consent');
    await page.getByRole('checkbox').check();
    await page.getByRole('button', { name: /^Join/ }).click();
    await phase(page, 'waiting');
    await check('arriving');
    expect((await said()).map((s) => s.text)).toContain('Connecting you to the waiting room…');

    // Back after a reload: the heading says "Rejoining…", the status does not say it again.
    await page.reload();
    await phase(page, 'waiting');
    await check('rejoining');

    // Leaving: the heading says they left; the status adds only the rest.
    await page.getByRole('button', { name: 'Leave the waiting room' }).click();
    await phase(page, 'ended');
    await check('leaving');
    const last = (await said()).at(-1)!;
    expect(last.text.startsWith(last.heading)).toBe(false);
  });

  it('draws no ring on the heading it focuses at load, and a strong one on a control reached by keyboard', async () => {
    const apt = await appointment({ id: 'gp-1', name: 'Dr Asha Patel' });
    const page = await phone();
    await page.goto(apt.patientUrl);
    await phase(page, 'consent');
    // The heading has focus (screen readers read the new view's name), with no ring drawn.
    const atLoad = await focusRing(page);
    expect(atLoad.tag).toBe('H1');
    expect(atLoad.outlineStyle === 'none' || atLoad.outlineWidth === '0px').toBe(true);
    expect(atLoad.boxShadow).toBe('none');

    // Tapping the box, then Tab: Join has the keyboard's focus, and a ring.
    await page.getByRole('checkbox').tap();
    expect(await page.getByRole('checkbox').isChecked()).toBe(true);
    await page.keyboard.press('Tab');
    const onJoin = await focusRing(page);
    expect(onJoin.id).toBe('join');
    expect(onJoin.outlineStyle).toBe('solid');
    expect(Number.parseFloat(onJoin.outlineWidth)).toBeGreaterThanOrEqual(2);
    // The heading is not left as a tab stop once focus has moved on.
    expect(await page.locator('h1').getAttribute('tabindex')).toBeNull();
  });
});
