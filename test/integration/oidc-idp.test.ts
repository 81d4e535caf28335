// The test identity provider (support/oidc-idp.ts) checked on its own, with
// openid-client as the app would use it: discovery, its sign-in and sign-out
// pages (which must load nothing from anywhere), a code flow with PKCE that
// yields the user's groups in a signed ID token, and the tamper hook, whose
// tokens openid-client must refuse.
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIdp, type TestIdp } from '../../support/oidc-idp.ts';

const APP = 'http://127.0.0.1:9'; // never requested: the flow stops at the redirect back to it

/** Any absolute or protocol-relative URL in a page: the IdP's pages must carry none. */
const externalUrls = (html: string): string[] => html.match(/(https?:)?\/\/[^\s"'<>)]+/gi) ?? [];

/** Keeps the IdP's cookies as a browser would (enough for its session and interaction cookies). */
function absorbSetCookies(jar: Map<string, string>, setCookies: readonly string[]): void {
  for (const c of setCookies) {
    const pair = c.split(';')[0]!;
    const eq = pair.indexOf('=');
    if (/Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(c)) jar.delete(pair.slice(0, eq));
    else jar.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
}

class Browserish {
  readonly jar = new Map<string, string>();
  async get(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ') } });
    absorbSetCookies(this.jar, res.headers.getSetCookie());
    return res;
  }
  /** Follows redirects until a page answers or the next hop leaves for `stopAt`. */
  async follow(url: string | URL, stopAt: string, init: RequestInit = {}): Promise<{ res: Response; url: URL }> {
    let at = new URL(url);
    let res = await this.get(at, init);
    for (let hops = 0; res.status >= 300 && res.status < 400; hops++) {
      if (hops > 10) throw new Error('too many redirects');
      at = new URL(res.headers.get('location')!, at);
      if (at.href.startsWith(stopAt)) break;
      res = await this.get(at);
    }
    return { res, url: at };
  }
}

describe('the test identity provider', () => {
  let idp: TestIdp;
  let config: client.Configuration;

  beforeAll(async () => {
    idp = await startTestIdp({ appUrl: APP });
    config = await client.discovery(
      new URL(idp.issuer),
      idp.clientId,
      { client_secret: idp.clientSecret, id_token_signed_response_alg: 'RS256' },
      client.ClientSecretBasic(idp.clientSecret),
      { execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks] },
    );
  });
  afterAll(async () => {
    await idp?.stop();
  });

  /** Signs `user` in through the IdP's own form; returns the login page it showed and the ID token's claims. */
  async function signIn(user: string) {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const authUrl = client.buildAuthorizationUrl(config, {
      redirect_uri: `${APP}/auth/callback`,
      scope: idp.env.OIDC_SCOPES!,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    const b = new Browserish();
    const form = await b.follow(authUrl, APP);
    expect(form.res.status).toBe(200);
    expect(form.url.pathname).toMatch(/^\/interaction\/[\w-]+$/);
    const loginPage = await form.res.text();
    const back = await b.follow(new URL(`${form.url.pathname}/login`, idp.issuer), APP, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ login: user }).toString(),
    });
    expect(back.url.href.startsWith(`${APP}/auth/callback?`)).toBe(true);
    const tokens = await client.authorizationCodeGrant(config, back.url, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
    return { loginPage, claims: tokens.claims(), idToken: tokens.id_token!, browser: b };
  }

  it('publishes a discovery document for a code flow with PKCE, RS256 and RP-initiated sign-out', () => {
    const meta = config.serverMetadata();
    expect(meta.issuer).toBe(idp.issuer);
    expect(meta.supportsPKCE('S256')).toBe(true);
    expect(meta.id_token_signing_alg_values_supported).toContain('RS256');
    expect(meta.end_session_endpoint).toBe(`${idp.issuer}/session/end`);
    expect(idp.env).toMatchObject({ OIDC_ISSUER: idp.issuer, OIDC_CLIENT_ID: idp.clientId, OIDC_CLIENT_SECRET: idp.clientSecret, OIDC_ID_TOKEN_ALG: 'RS256', OIDC_GROUPS_CLAIM: 'groups' });
  });

  it('signs a test user in through its own form, which loads nothing external, and names their groups in the ID token', async () => {
    const { loginPage, claims, idToken, browser } = await signIn('dr-alice');
    expect(loginPage).toContain('name="login"');
    expect(externalUrls(loginPage)).toEqual([]);
    expect(claims).toMatchObject({ iss: idp.issuer, aud: idp.clientId, sub: 'dr-alice', name: 'Dr Alice Example', groups: ['clinicians', 'clinic-derm'] });

    // Its sign-out confirmation page carries no external URL either, and signing out returns to the app.
    const endUrl = client.buildEndSessionUrl(config, { id_token_hint: idToken, post_logout_redirect_uri: `${APP}/signed-out` });
    const confirm = await browser.follow(endUrl, APP);
    expect(confirm.res.status).toBe(200);
    const html = await confirm.res.text();
    expect(externalUrls(html.replace(/action="[^"]*"/, ''))).toEqual([]); // the form posts to the IdP itself
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1];
    expect(xsrf).toBeTruthy();
    const out = await browser.follow(new URL('/session/end/confirm', idp.issuer), APP, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ xsrf: xsrf!, logout: 'yes' }).toString(),
    });
    expect(out.url.href).toBe(`${APP}/signed-out`);
  });

  it('refuses an unknown user on its form', async () => {
    const verifier = client.randomPKCECodeVerifier();
    const authUrl = client.buildAuthorizationUrl(config, {
      redirect_uri: `${APP}/auth/callback`,
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: client.randomState(),
    });
    const b = new Browserish();
    const form = await b.follow(authUrl, APP);
    const again = await b.follow(new URL(`${form.url.pathname}/login`, idp.issuer), APP, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'login=mallory',
    });
    expect(again.res.status).toBe(200);
    expect(await again.res.text()).toContain('No such test user');
  });

  it.each([
    ['aud', 'OAUTH_JWT_CLAIM_COMPARISON_FAILED'],
    ['nonce', 'OAUTH_JWT_CLAIM_COMPARISON_FAILED'],
    ['expired', 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED'],
    ['none', 'OAUTH_INVALID_RESPONSE'],
    ['forged', 'OAUTH_INVALID_RESPONSE'],
  ] as const)('spoils ID tokens on request (%s), and openid-client refuses them', async (mode, code) => {
    idp.setTamper(mode);
    try {
      await expect(signIn('dr-bob')).rejects.toMatchObject({ code });
    } finally {
      idp.setTamper(null);
    }
    // Back to good tokens.
    expect((await signIn('dr-bob')).claims).toMatchObject({ sub: 'dr-bob' });
  });
});
