// Sign-in with OpenID Connect against a fake identity provider on loopback
// (test/support/fake-oidc-idp.ts: the ID token made from a per-case template
// and signed with jose), through the real server's /auth routes. Every bad
// answer must leave the browser with no session cookie, send it to
// /signed-out with an error, and put auth.refused with the reason code on the
// audit trail. Good sign-ins show the roles and then sign out.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../support/api.ts';
import { CLIENT_ID, CLIENT_SECRET, FakeIdp, REQUIRED_ACR, type Case } from '../support/fake-oidc-idp.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/** A browser's cookies: what Set-Cookie gave, and whether a cookie was set (with a value) or cleared. */
function setCookies(res: Response): Map<string, { value: string; attrs: string }> {
  const out = new Map<string, { value: string; attrs: string }>();
  for (const line of res.headers.getSetCookie()) {
    const [pair = '', ...attrs] = line.split(';');
    const i = pair.indexOf('=');
    out.set(pair.slice(0, i).trim(), { value: pair.slice(i + 1).trim(), attrs: attrs.join(';').trim() });
  }
  return out;
}

const LOGIN = '__Host-cr_login';
const SESSION = '__Host-cr_clinician';

let idp: FakeIdp;
let s: TestServer;

beforeAll(async () => {
  idp = new FakeIdp();
  await idp.start();
  s = await startTestServer({
    OIDC_ISSUER: idp.issuer,
    OIDC_CLIENT_ID: CLIENT_ID,
    OIDC_CLIENT_SECRET: CLIENT_SECRET,
    OIDC_CLIENT_AUTH: 'client_secret_basic',
    OIDC_ID_TOKEN_ALG: 'ES256',
    OIDC_REQUIRED_ACR: REQUIRED_ACR,
    OIDC_ACR_VALUES: REQUIRED_ACR,
    OIDC_ROLES_CLAIM: 'roles',
    OIDC_ROLE_MAP: JSON.stringify({ doctors: ['clinician'], auditors: ['auditor'] }),
  });
}, 60_000);

afterAll(async () => {
  await s?.stop();
  await idp?.stop();
});

/** GET /auth/login: the provider's authorization URL and the login cookie. */
async function beginSignIn(returnTo = '/console?appointment=abc', app: TestServer = s): Promise<{ authorize: URL; loginCookie: string }> {
  const res = await fetch(`${app.url}/auth/login?returnTo=${encodeURIComponent(returnTo)}`, { redirect: 'manual' });
  expect(res.status).toBe(302);
  const authorize = new URL(res.headers.get('location') ?? '');
  const login = setCookies(res).get(LOGIN);
  expect(login?.attrs).toMatch(/HttpOnly/i);
  expect(login?.attrs).toMatch(/Secure/i);
  expect(login?.attrs).toMatch(/SameSite=Lax/i);
  expect(login?.attrs).toMatch(/Max-Age=600/i);
  return { authorize, loginCookie: login?.value ?? '' };
}

/** The browser coming back from the provider to /auth/callback. */
async function callback(query: URLSearchParams, loginCookie: string | null, app: TestServer = s): Promise<Response> {
  return fetch(`${app.url}/auth/callback?${query.toString()}`, { redirect: 'manual', headers: loginCookie ? { cookie: `${LOGIN}=${loginCookie}` } : {} });
}

async function signInWith(c: Case, app: TestServer = s): Promise<Response> {
  idp.next = c;
  const { authorize, loginCookie } = await beginSignIn(undefined, app);
  const code = idp.issueCode(authorize);
  return callback(new URLSearchParams({ code, state: authorize.searchParams.get('state') ?? '' }), loginCookie, app);
}

/** The auth.refused records since `since`, as the audit export shows them. */
async function refusals(since: string, app: TestServer = s): Promise<Array<{ reason?: string; actor: { role: string; id: string } }>> {
  const res = await api(app.url, 'GET', `/api/v1/audit?from=${encodeURIComponent(since)}`);
  expect(res.status).toBe(200);
  const lines = (await res.text()).trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  lines.pop();
  return lines.filter((r) => r['action'] === 'auth.refused') as unknown as Array<{ reason?: string; actor: { role: string; id: string } }>;
}

function expectRefused(res: Response, error: 'SIGN_IN_FAILED' | 'NO_ROLE'): void {
  expect(res.status).toBe(302);
  expect(res.headers.get('location')).toBe(`/signed-out?error=${error}`);
  const cookies = setCookies(res);
  expect(cookies.get(SESSION)?.value ?? '').toBe('');
  // The login cookie is cleared whatever happened.
  expect(cookies.get(LOGIN)?.value).toBe('');
}

describe('a refused sign-in sets no session, lands on /signed-out and is audited with its reason', () => {
  const now = Math.floor(Date.now() / 1000);
  it.each<[string, Case, string]>([
    ['a wrong audience', { claims: { aud: 'someone-else' } }, 'OAUTH_JWT_CLAIM_COMPARISON_FAILED'],
    ['a wrong nonce', { claims: { nonce: 'not-the-one-sent' } }, 'OAUTH_JWT_CLAIM_COMPARISON_FAILED'],
    ['alg none', { sign: 'none' }, 'OAUTH_INVALID_RESPONSE'],
    ['an expired token', { claims: { iat: now - 3600, exp: now - 300 } }, 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED'],
    ["a signature by another key (the provider's kid)", { sign: 'other-key' }, 'OAUTH_INVALID_RESPONSE'],
    ['a wrong issuer', { claims: { iss: 'http://127.0.0.1:9/elsewhere' } }, 'OAUTH_JWT_CLAIM_COMPARISON_FAILED'],
    ['HS256 signed with the client secret', { sign: 'hs256-secret' }, 'OAUTH_INVALID_RESPONSE'],
    ['an assurance level below the required one', { claims: { acr: 'AAL1' } }, 'ACR_TOO_LOW'],
  ])('%s', async (_what, c, reason) => {
    const since = new Date().toISOString();
    const res = await signInWith(c);
    expectRefused(res, 'SIGN_IN_FAILED');
    const refused = await refusals(since);
    expect(refused.map((r) => r.reason)).toEqual([reason]);
    expect(refused[0]?.actor.role).toBe('anonymous');
  });

  it('a user whose roles map to nothing here (NO_ROLE)', async () => {
    const since = new Date().toISOString();
    const res = await signInWith({ claims: { sub: 'mr-nobody', roles: ['visitors'] } });
    expectRefused(res, 'NO_ROLE');
    expect((await refusals(since)).map((r) => [r.reason, r.actor.role, r.actor.id])).toEqual([['NO_ROLE', 'staff', 'mr-nobody']]);
  });

  it('a callback without the login cookie (LOGIN_UNKNOWN)', async () => {
    const since = new Date().toISOString();
    idp.next = {};
    const { authorize } = await beginSignIn();
    const res = await callback(new URLSearchParams({ code: idp.issueCode(authorize), state: authorize.searchParams.get('state') ?? '' }), null);
    expectRefused(res, 'SIGN_IN_FAILED');
    expect((await refusals(since)).map((r) => r.reason)).toEqual(['LOGIN_UNKNOWN']);
  });

  it('a state that is not the one sent (STATE_MISMATCH)', async () => {
    const since = new Date().toISOString();
    idp.next = {};
    const { authorize, loginCookie } = await beginSignIn();
    const res = await callback(new URLSearchParams({ code: idp.issueCode(authorize), state: 'forged-state' }), loginCookie);
    expectRefused(res, 'SIGN_IN_FAILED');
    expect((await refusals(since)).map((r) => r.reason)).toEqual(['STATE_MISMATCH']);
  });

  it('a replayed callback (the same login cookie and code twice): the first signs in, the second is refused', async () => {
    idp.next = {};
    const { authorize, loginCookie } = await beginSignIn();
    const query = new URLSearchParams({ code: idp.issueCode(authorize), state: authorize.searchParams.get('state') ?? '' });
    const first = await callback(query, loginCookie);
    expect(first.status).toBe(302);
    expect(setCookies(first).get(SESSION)?.value).toBeTruthy();
    const since = new Date().toISOString();
    const second = await callback(query, loginCookie);
    expectRefused(second, 'SIGN_IN_FAILED');
    expect((await refusals(since)).map((r) => r.reason)).toEqual(['LOGIN_UNKNOWN']);
  });
});

describe('a good sign-in', () => {
  it('sets the session cookie, goes back where the person was, shows the roles; sign-out ends it and names the provider sign-out', async () => {
    const res = await signInWith({});
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/console?appointment=abc');
    const session = setCookies(res).get(SESSION);
    expect(session?.value).toBeTruthy();
    expect(session?.attrs).toMatch(/SameSite=Strict/i);
    const cookie = `${SESSION}=${session?.value ?? ''}`;

    const info = await fetch(`${s.url}/api/v1/session?kind=clinician`, { headers: { cookie } });
    expect(info.status).toBe(200);
    expect(await info.json()).toMatchObject({ kind: 'clinician', clinicianId: 'dr-alice', roles: ['clinician'], via: 'oidc' });

    const out = await fetch(`${s.url}/auth/logout`, { method: 'POST', headers: { cookie, origin: new URL(s.url).origin } });
    expect(out.status).toBe(200);
    const { redirect } = (await out.json()) as { redirect: string };
    const end = new URL(redirect);
    expect(end.origin + end.pathname).toBe(`${idp.issuer}/session/end`);
    expect(end.searchParams.get('post_logout_redirect_uri')).toBe(`${s.url}/signed-out`);
    expect(end.searchParams.get('id_token_hint')).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(end.searchParams.get('client_id')).toBe(CLIENT_ID);

    const after = await fetch(`${s.url}/api/v1/session?kind=clinician`, { headers: { cookie } });
    expect(after.status).toBe(401);
  });

  it('a new sign-in in a browser that already has a staff session ends the old one', async () => {
    const first = setCookies(await signInWith({})).get(SESSION)?.value ?? '';
    expect(first).toBeTruthy();
    idp.next = {};
    const { authorize, loginCookie } = await beginSignIn();
    const code = idp.issueCode(authorize);
    const res = await fetch(`${s.url}/auth/callback?${new URLSearchParams({ code, state: authorize.searchParams.get('state') ?? '' }).toString()}`, {
      redirect: 'manual',
      headers: { cookie: `${LOGIN}=${loginCookie}; ${SESSION}=${first}` },
    });
    const second = setCookies(res).get(SESSION)?.value ?? '';
    expect(second).toBeTruthy();
    expect(second).not.toBe(first);
    expect((await fetch(`${s.url}/api/v1/session?kind=clinician`, { headers: { cookie: `${SESSION}=${first}` } })).status).toBe(401);
    expect((await fetch(`${s.url}/api/v1/session?kind=clinician`, { headers: { cookie: `${SESSION}=${second}` } })).status).toBe(200);
  });

  it('refuses a returnTo that is not a path on this server', async () => {
    for (const bad of ['https://evil.example/', '//evil.example/x', '/\\evil.example']) {
      const res = await fetch(`${s.url}/auth/login?returnTo=${encodeURIComponent(bad)}`, { redirect: 'manual' });
      expect(res.status).toBe(400);
      expect(setCookies(res).has(LOGIN)).toBe(false);
    }
  });

  it('/signed-out says what happened in plain words, never echoing the error value', async () => {
    const refused = await (await fetch(`${s.url}/signed-out?error=NO_ROLE`)).text();
    expect(refused).toContain('no role in this service');
    expect(refused).toContain('href="/auth/login"');
    const odd = await fetch(`${s.url}/signed-out?error=${encodeURIComponent('<script>alert(1)</script>')}`);
    expect(odd.headers.get('content-security-policy')).toContain("script-src 'self'");
    const text = await odd.text();
    expect(text).not.toContain('<script>');
    expect(text).toContain('Sign-in did not work');
  });
});

describe('without an oidc section', () => {
  let plain: TestServer;
  beforeAll(async () => {
    plain = await startTestServer();
  }, 60_000);
  afterAll(async () => {
    await plain?.stop();
  });

  it('answers NOT_CONFIGURED on /auth/login and /auth/callback, and /signed-out points to the console link instead', async () => {
    for (const path of ['/auth/login', '/auth/callback?code=x&state=y']) {
      const res = await fetch(`${plain.url}${path}`, { redirect: 'manual' });
      expect(res.status).toBe(501);
      expect(((await res.json()) as { code: string }).code).toBe('NOT_CONFIGURED');
      expect(setCookies(res).size).toBe(0);
    }
    const page = await (await fetch(`${plain.url}/signed-out`)).text();
    expect(page).toContain('You are signed out');
    expect(page).not.toContain('/auth/login');
    const out = await fetch(`${plain.url}/auth/logout`, { method: 'POST' });
    expect(await out.json()).toEqual({ redirect: '/signed-out' });
  });
});

describe('roles from UserInfo, as NHS CIS2 sends them', () => {
  let cis2: TestServer;
  const ROLES = [
    { org_code: 'RXX', role_code: 'S8000:G8000:R8000', person_roleid: '1' },
    { org_code: 'RYY', role_code: 'S8000:G8000:R8001', person_roleid: '2' },
  ];
  beforeAll(async () => {
    cis2 = await startTestServer({
      OIDC_ISSUER: idp.issuer,
      OIDC_CLIENT_ID: CLIENT_ID,
      OIDC_CLIENT_SECRET: CLIENT_SECRET,
      OIDC_ID_TOKEN_ALG: 'ES256',
      OIDC_USERINFO: 'true',
      OIDC_ROLES_CLAIM: 'nhsid_nrbac_roles.org_code:RXX.role_code',
      OIDC_ROLE_MAP: JSON.stringify({ 'S8000:G8000:R8000': ['clinician'] }),
    });
  }, 60_000);
  afterAll(async () => {
    await cis2?.stop();
  });

  it("signs in with a role held at the trust's own organisation (the ID token has none)", async () => {
    const res = await signInWith({ claims: { roles: undefined }, userinfo: { sub: 'dr-alice', nhsid_nrbac_roles: ROLES } }, cis2);
    expect(res.status).toBe(302);
    const cookie = `${SESSION}=${setCookies(res).get(SESSION)?.value ?? ''}`;
    const info = await fetch(`${cis2.url}/api/v1/session?kind=clinician`, { headers: { cookie } });
    expect(await info.json()).toMatchObject({ clinicianId: 'dr-alice', roles: ['clinician'] });
  });

  it('refuses a role held only at another organisation (NO_ROLE)', async () => {
    const res = await signInWith({ claims: { roles: undefined }, userinfo: { sub: 'dr-alice', nhsid_nrbac_roles: [ROLES[1]] } }, cis2);
    expectRefused(res, 'NO_ROLE');
  });

  it("refuses UserInfo about someone other than the ID token's subject", async () => {
    const since = new Date().toISOString();
    const res = await signInWith({ claims: { roles: undefined }, userinfo: { sub: 'dr-mallory', nhsid_nrbac_roles: ROLES } }, cis2);
    expectRefused(res, 'SIGN_IN_FAILED');
    // The last refusal (the audit filter is by millisecond, so the previous case's can share it).
    expect((await refusals(since, cis2)).map((r) => r.reason).at(-1)).toBe('OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED');
  });
});

describe('client authentication with private_key_jwt (as NHS CIS2 may require)', () => {
  let pkj: TestServer;
  const dir = mkdtempSync(path.join(tmpdir(), 'oidc-pkj-'));
  beforeAll(async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keyFile = path.join(dir, 'client.pem');
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    idp.clientKey = { key: publicKey, kid: 'consultroom-2026' };
    pkj = await startTestServer({
      OIDC_ISSUER: idp.issuer,
      OIDC_CLIENT_ID: CLIENT_ID,
      OIDC_CLIENT_AUTH: 'private_key_jwt',
      OIDC_CLIENT_KEY_FILE: keyFile,
      OIDC_CLIENT_KEY_ID: 'consultroom-2026',
      OIDC_ID_TOKEN_ALG: 'ES256',
      OIDC_ROLES_CLAIM: 'roles',
      OIDC_ROLE_MAP: JSON.stringify({ doctors: ['clinician'] }),
    });
  }, 60_000);
  afterAll(async () => {
    await pkj?.stop();
    idp.clientKey = null;
    rmSync(dir, { recursive: true, force: true });
  });

  it('signs in with a signed client assertion, and is refused when the provider knows another key', async () => {
    const ok = await signInWith({}, pkj);
    expect(ok.headers.get('location')).toBe('/console?appointment=abc');
    expect(setCookies(ok).get(SESSION)?.value).toBeTruthy();

    idp.clientKey = { key: generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey, kid: 'consultroom-2026' };
    const since = new Date().toISOString();
    expectRefused(await signInWith({}, pkj), 'SIGN_IN_FAILED');
    expect((await refusals(since, pkj)).map((r) => r.reason)).toEqual(['OAUTH_RESPONSE_BODY_ERROR']);
  });
});
