// Staff sign-in through a real OpenID Connect provider, in Chromium: the
// npm `oidc-provider` on loopback (support/oidc-idp.ts) with test users, the
// real server configured for it. /console sends a clinician to the provider's
// form and back to her day; a user with no mapped role is refused; revoking
// her session through the admin API ends her open consultation at once;
// signing out ends the provider's session too; a spoiled ID token is refused;
// a booking system's console link (a single-use ticket) waits for the sign-in
// and is honoured once. Every URL the pages asked for was the app's or the
// provider's, both on 127.0.0.1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { api, createAppointment } from '../support/api.ts';
import { chromiumAvailable, launchBrowser } from '../support/browser.ts';
import { freeTcpPort } from '../support/ports.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { startTestIdp, type TestIdp } from '../../support/oidc-idp.ts';

const STAFF_COOKIE = '__Host-cr_clinician';
const WAIT = { timeout: 20_000 };

interface AuditLine {
  action?: string;
  outcome?: string;
  actor?: { role: string; id: string };
  subject?: string;
  reason?: string;
}

describe.runIf(chromiumAvailable())('staff sign-in with OpenID Connect, in Chromium', () => {
  let idp: TestIdp;
  let server: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const requests: string[] = [];
  const startedAt = new Date().toISOString();

  beforeAll(async () => {
    // The provider registers the app's redirect URI, so the app's address is chosen first.
    const port = await freeTcpPort();
    const appUrl = `http://127.0.0.1:${port}`;
    idp = await startTestIdp({ appUrl });
    server = await startTestServer({
      PORT: String(port),
      PUBLIC_URL: appUrl,
      ...idp.env,
      // Only the immediate cut can end a revoked session's consultation within a wait.
      SESSION_CHECK_SECONDS: '300',
    });
    // dr-alice's provider group clinic-derm maps to this clinic (TEST_IDP_CLINIC_MAP).
    const clinic = await api(server.url, 'POST', '/api/v1/clinics', { id: 'derm', name: 'Dermatology' });
    if (clinic.status !== 201) throw new Error(`create clinic: ${clinic.status} ${await clinic.text()}`);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
    await idp?.stop();
  });

  /** A fresh browser profile (no cookies), its requests recorded. */
  async function person(): Promise<{ ctx: BrowserContext; page: Page }> {
    const ctx = await browser.newContext();
    contexts.push(ctx);
    ctx.on('request', (r) => requests.push(r.url()));
    return { ctx, page: await ctx.newPage() };
  }

  const phase = (page: Page, value: string) => page.waitForFunction((v) => document.body.dataset.phase === v, value, WAIT);
  const onIdpForm = (page: Page) => page.waitForURL((u) => u.origin === idp.issuer && u.pathname.startsWith('/interaction/'), WAIT);
  const staffCookie = async (ctx: BrowserContext) => (await ctx.cookies(server.url)).find((c) => c.name === STAFF_COOKIE);

  /** On the provider's form: signs in as `user`. */
  async function signInAtIdp(page: Page, user: string): Promise<void> {
    await onIdpForm(page);
    await page.getByLabel('User name').fill(user);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  /** What went wrong, for a failed wait: the page, the provider's errors, the server's errors. */
  async function explain(page: Page, e: unknown): Promise<never> {
    const text = await page.locator('body').innerText().catch(() => '');
    throw new Error(
      `at ${page.url()}: "${text.slice(0, 500)}"; idp errors: ${idp.errors.join(' | ')}; server: ${server.logs.filter((l) => /"level":(40|50)/.test(l)).slice(-5).join('\n')}`,
      { cause: e },
    );
  }

  async function sessionIds(userId: string): Promise<string[]> {
    const res = await api(server.url, 'GET', `/api/v1/users/${userId}/sessions`);
    expect(res.status).toBe(200);
    return ((await res.json()) as { sessions: { id: string }[] }).sessions.map((s) => s.id);
  }

  async function audit(): Promise<AuditLine[]> {
    const res = await api(server.url, 'GET', `/api/v1/audit?from=${encodeURIComponent(startedAt)}`);
    expect(res.status).toBe(200);
    return (await res.text()).split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditLine);
  }

  /** dr-alice signed in on a fresh profile, on her day list. */
  async function aliceOnHerDay(): Promise<{ ctx: BrowserContext; page: Page }> {
    const p = await person();
    await p.page.goto(`${server.url}/console`);
    await signInAtIdp(p.page, 'dr-alice');
    await phase(p.page, 'list').catch((e: unknown) => explain(p.page, e));
    return p;
  }

  it('sends a clinician to the provider and back to her day', async () => {
    await createAppointment(server.url, { clinicianId: 'dr-alice', patientName: 'Pat Example' });
    const { ctx, page } = await person();
    await page.goto(`${server.url}/console`);
    await onIdpForm(page); // not signed in: the provider's form, not the console
    expect(await staffCookie(ctx)).toBeUndefined();
    await signInAtIdp(page, 'dr-alice');
    await phase(page, 'list').catch((e: unknown) => explain(page, e));
    expect(new URL(page.url()).pathname).toBe('/console');
    await page.getByRole('button', { name: 'Open Pat Example' }).waitFor(WAIT);
    expect(await page.locator('#app').innerText()).toContain('Dr Alice Example');
    expect(await staffCookie(ctx)).toBeDefined();
    const signedIn = (await audit()).filter((r) => r.action === 'auth.signed_in' && r.actor?.id === 'dr-alice');
    expect(signedIn.length).toBeGreaterThanOrEqual(1);
    // Her provider group made her a clinician of the mapped clinic.
    const members = await api(server.url, 'GET', '/api/v1/clinics/derm/members');
    expect(((await members.json()) as { members: unknown[] }).members).toEqual([expect.objectContaining({ userId: 'dr-alice', roles: ['clinician'], source: 'idp' })]);
  });

  it('refuses a user with no mapped role, in plain words, with no session', async () => {
    const { ctx, page } = await person();
    await page.goto(`${server.url}/console`);
    await signInAtIdp(page, 'rec-carol');
    await page.waitForURL((u) => u.origin === server.url && u.pathname === '/signed-out', WAIT).catch((e: unknown) => explain(page, e));
    expect(new URL(page.url()).searchParams.get('error')).toBe('NO_ROLE');
    const text = await page.locator('body').innerText();
    expect(text).not.toMatch(/NO_ROLE/); // words, not a code
    expect(text).toMatch(/not .*(allowed|permitted|role)|no role|cannot use/i);
    expect(await staffCookie(ctx)).toBeUndefined();
    expect(await sessionIds('rec-carol')).toEqual([]);
    expect((await audit()).some((r) => r.action === 'auth.refused' && r.reason === 'NO_ROLE')).toBe(true);
  });

  it("cuts a revoked session's open consultation at once", async () => {
    const before = new Set(await sessionIds('dr-alice'));
    const { page } = await aliceOnHerDay();
    await page.getByRole('button', { name: 'Open Pat Example' }).click();
    await phase(page, 'consultation').catch((e: unknown) => explain(page, e));

    const mine = (await sessionIds('dr-alice')).filter((id) => !before.has(id));
    expect(mine).toHaveLength(1);
    const res = await api(server.url, 'DELETE', `/api/v1/sessions/${mine[0]}`);
    expect(res.status).toBe(204);

    await phase(page, 'signed-out').catch((e: unknown) => explain(page, e));
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toMatch(/signed out/i);
    expect(await sessionIds('dr-alice')).not.toContain(mine[0]);
    expect((await audit()).some((r) => r.action === 'session.revoked' && r.subject === mine[0])).toBe(true);
  });

  it("signs out of the console and of the provider's session", async () => {
    const before = new Set(await sessionIds('dr-alice'));
    const { ctx, page } = await aliceOnHerDay();
    const mine = (await sessionIds('dr-alice')).filter((id) => !before.has(id));
    expect(mine).toHaveLength(1);
    await page.getByRole('button', { name: 'Sign out' }).click();
    // The provider asks to confirm its own sign-out, then sends the browser back.
    await page.waitForURL((u) => u.origin === idp.issuer && u.pathname.startsWith('/session/end'), WAIT).catch((e: unknown) => explain(page, e));
    await page.locator('button[name=logout][value=yes]').click();
    await page.waitForURL((u) => u.origin === server.url && u.pathname === '/signed-out', WAIT).catch((e: unknown) => explain(page, e));
    expect(await page.locator('body').innerText()).toMatch(/signed out/i);
    expect(await staffCookie(ctx)).toBeUndefined();
    expect(await sessionIds('dr-alice')).not.toContain(mine[0]);

    // The provider's session is gone too: the console asks for the login again.
    await page.goto(`${server.url}/console`);
    await onIdpForm(page);
    expect(await page.getByLabel('User name').isVisible()).toBe(true);
  });

  it('refuses a sign-in whose ID token names another audience', async () => {
    const { ctx, page } = await person();
    idp.setTamper('aud');
    try {
      await page.goto(`${server.url}/console`);
      await signInAtIdp(page, 'dr-alice');
      await page.waitForURL((u) => u.origin === server.url && u.pathname === '/signed-out', WAIT).catch((e: unknown) => explain(page, e));
    } finally {
      idp.setTamper(null);
    }
    expect(new URL(page.url()).searchParams.get('error')).toBe('SIGN_IN_FAILED');
    expect(await page.locator('body').innerText()).toMatch(/could not sign you in|sign-in (did not work|failed)|not signed in/i);
    expect(await staffCookie(ctx)).toBeUndefined();
    expect((await audit()).some((r) => r.action === 'auth.refused' && r.reason === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED')).toBe(true);
  });

  it("honours a booking system's console link once, after the sign-in it waits for", async () => {
    const res = await api(server.url, 'POST', '/api/v1/clinician-tokens', { clinician: { id: 'dr-alice', name: 'Dr Alice Example' } });
    expect(res.status).toBe(201);
    const { url } = (await res.json()) as { url: string };
    const redeemedBefore = (await audit()).filter((r) => r.action === 'ticket.redeemed').length;

    const { ctx, page } = await person();
    await page.goto(url);
    await signInAtIdp(page, 'dr-alice'); // the link alone does not sign her in
    await phase(page, 'list').catch((e: unknown) => explain(page, e));
    await page.getByRole('button', { name: 'Open Pat Example' }).waitFor(WAIT);
    expect((await audit()).filter((r) => r.action === 'ticket.redeemed').length).toBe(redeemedBefore + 1);

    // The same link again, still signed in: refused as used.
    const again = await ctx.newPage();
    await again.goto(url);
    await phase(again, 'error').catch((e: unknown) => explain(again, e));
    expect(await again.locator('#app').innerText()).toMatch(/already been used/i);
    expect((await audit()).some((r) => r.outcome === 'refused' && r.reason === 'TICKET_USED')).toBe(true);
    expect((await audit()).filter((r) => r.action === 'ticket.redeemed').length).toBe(redeemedBefore + 1);
  });

  it("asked only the app's and the provider's loopback origins for anything", () => {
    expect(requests.length).toBeGreaterThan(10);
    expect(requests.some((u) => u.startsWith(`${idp.issuer}/`))).toBe(true);
    const foreign = requests.filter((u) => !u.startsWith(`${server.url}/`) && !u.startsWith(`${idp.issuer}/`) && !/^(data|blob):/.test(u));
    expect(foreign).toEqual([]);
  });
});
