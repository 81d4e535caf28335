// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- oidc-provider ships no types: the local declaration must follow this file into every program (test/, bench/) that imports it
/// <reference path="./oidc-provider.d.ts" />
// A real OpenID Connect provider for tests, benchmarks and scripts: the npm
// `oidc-provider` package on 127.0.0.1, with one confidential client (the
// app), test users with groups, and pages of its own that load nothing from
// anywhere (the package's default pages import Google Fonts, and a test
// browser must never reach a public host). A tamper hook turns the next ID
// tokens bad (wrong audience or nonce, expired, alg none, forged signature),
// so the app's refusals can be shown through a real browser.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { Provider, type IdTokenInstance, type KoaContext } from 'oidc-provider';

export interface TestUser {
  name: string;
  groups: string[];
  roles?: string[];
}

/** The test users: who they are is what their groups say (see TEST_IDP_ROLE_MAP). */
export const TEST_USERS: Readonly<Record<string, TestUser>> = {
  'dr-alice': { name: 'Dr Alice Example', groups: ['clinicians', 'clinic-derm'] },
  'dr-bob': { name: 'Dr Bob Example', groups: ['clinicians'] },
  'rec-carol': { name: 'Carol Example', groups: ['reception'] }, // no mapped role: refused
  'audit-dave': { name: 'Dave Example', groups: ['auditors'] },
};

export const TEST_IDP_ROLE_MAP = { clinicians: ['clinician'], auditors: ['auditor'] };
export const TEST_IDP_CLINIC_MAP = { 'clinic-derm': { clinicId: 'derm', roles: ['clinician'] } };

export const TAMPER_MODES = ['aud', 'nonce', 'expired', 'none', 'forged'] as const;
export type TamperMode = (typeof TAMPER_MODES)[number];

export interface TestIdp {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The app's environment for this provider (startTestServer / the server process). */
  env: Record<string, string>;
  /** Errors the provider reported (server_error and the like), for a failing test to print. */
  errors: string[];
  /** Every ID token issued from now on is spoiled this way, until set back to null. */
  setTamper(mode: TamperMode | null): void;
  stop(): Promise<void>;
}

export interface TestIdpOptions {
  /** The app's origin: its redirect and post-logout URIs are registered from it. */
  appUrl: string;
  users?: Readonly<Record<string, TestUser>>;
  clientId?: string;
}

const SCOPES = 'openid profile groups roles';
const FORM_LIMIT = 4096;

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A page with nothing external: no fonts, no scripts, no images. */
const page = (title: string, body: string): string =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title></head><body><main><h1>${esc(title)}</h1>${body}</main></body></html>`;

const loginForm = (uid: string, problem?: string): string =>
  page(
    'Sign in to the test identity provider',
    `${problem ? `<p role="alert">${esc(problem)}</p>` : ''}<form method="post" action="/interaction/${esc(uid)}/login">` +
      '<label for="login">User name</label> <input id="login" name="login" autocomplete="username" autofocus required> ' +
      '<button type="submit">Sign in</button></form>',
  );

function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > FORM_LIMIT) req.destroy(new Error('form too large'));
    });
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(html);
}

const b64u = (s: string): string => Buffer.from(s).toString('base64url');

/** Spoils one ID token as `mode` says; re-signs with `key` (the real one, or a foreign one for 'forged'). */
async function spoil(token: string, mode: TamperMode, kid: string, key: CryptoKey, foreign: CryptoKey): Promise<string> {
  const claims: JWTPayload = decodeJwt(token);
  const now = Math.floor(Date.now() / 1000);
  if (mode === 'aud') claims.aud = 'someone-else';
  if (mode === 'nonce') claims.nonce = 'not-the-nonce-asked-for';
  if (mode === 'expired') Object.assign(claims, { iat: now - 3600, exp: now - 600 }); // well past any clock tolerance
  if (mode === 'none') return `${b64u(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${b64u(JSON.stringify(claims))}.`;
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' }).sign(mode === 'forged' ? foreign : key);
}

export async function startTestIdp(opts: TestIdpOptions): Promise<TestIdp> {
  const users = opts.users ?? TEST_USERS;
  const clientId = opts.clientId ?? 'consultroom-test';
  const clientSecret = randomBytes(32).toString('base64url');
  const appUrl = opts.appUrl.replace(/\/+$/, '');
  const errors: string[] = [];
  let tamper: TamperMode | null = null;

  const kid = `idp-${randomBytes(4).toString('hex')}`;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const { privateKey: foreignKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(privateKey)), kid, use: 'sig', alg: 'RS256' };

  // The issuer names the port, so listen first and build the provider after.
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'RS256',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: [`${appUrl}/auth/callback`],
        post_logout_redirect_uris: [`${appUrl}/signed-out`],
      },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    pkce: { required: () => true },
    claims: { openid: ['sub'], profile: ['name'], groups: ['groups'], roles: ['roles'] },
    // Scope claims in the ID token itself (the default keeps them for UserInfo only).
    conformIdTokenClaims: false,
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx: KoaContext, form: string) => {
          ctx.type = 'html';
          ctx.body = page(
            'Sign out of the test identity provider?',
            `${form}<button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button> ` +
              '<button type="submit" form="op.logoutForm">Stay signed in</button>',
          );
          return Promise.resolve();
        },
        postLogoutSuccessSource: (ctx: KoaContext) => {
          ctx.type = 'html';
          ctx.body = page('Signed out of the test identity provider', '<p>You are signed out.</p>');
          return Promise.resolve();
        },
      },
    },
    renderError: (ctx, out) => {
      ctx.type = 'html';
      ctx.body = page('Identity provider error', `<p>${esc(out.error)}${out.error_description ? `: ${esc(out.error_description)}` : ''}</p>`);
      return Promise.resolve();
    },
    findAccount: (_ctx, sub) => {
      const user = users[sub];
      if (!user) return Promise.resolve(undefined);
      return Promise.resolve({
        accountId: sub,
        claims: () => ({ sub, name: user.name, groups: user.groups, ...(user.roles ? { roles: user.roles } : {}) }),
      });
    },
    // One first-party client: consent is implied, so there is no consent page.
    loadExistingGrant: async (ctx) => {
      const { client, session, result } = ctx.oidc;
      if (!client || !session?.accountId) return undefined;
      const grantId = result?.consent?.grantId ?? session.grantIdFor(client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      grant.addOIDCScope(SCOPES);
      await grant.save();
      return grant;
    },
  });
  provider.on('server_error', (_ctx, err) => errors.push(String(err)));

  const realIssue = provider.IdToken.prototype.issue;
  provider.IdToken.prototype.issue = async function issue(this: IdTokenInstance, ...args: Parameters<typeof realIssue>) {
    const token = await realIssue.apply(this, args);
    const mode = tamper;
    return mode && args[0]?.use === 'idtoken' ? spoil(token, mode, kid, privateKey, foreignKey) : token;
  };

  const handler = provider.callback();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const { pathname } = new URL(req.url ?? '/', issuer);
    const m = /^\/interaction\/([A-Za-z0-9_-]+)(\/login)?$/.exec(pathname);
    if (!m) return handler(req, res);
    void interaction(req, res, m[1]!, m[2] !== undefined).catch((e: unknown) => {
      errors.push(String(e));
      if (!res.headersSent) send(res, 400, page('Sign-in failed', `<p>${esc(e instanceof Error ? e.message : String(e))}</p>`));
    });
  });

  /** Our own sign-in page: a user name, nothing else (these are test users). */
  async function interaction(req: IncomingMessage, res: ServerResponse, uid: string, submitted: boolean): Promise<void> {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) return send(res, 400, page('Sign-in failed', '<p>This sign-in page has expired.</p>'));
    if (details.prompt.name !== 'login') {
      // Consent (loadExistingGrant normally answers it first): grant the scopes asked for.
      const accountId = details.session?.accountId;
      if (!accountId) return send(res, 400, page('Sign-in failed', '<p>No signed-in user.</p>'));
      const grant = new provider.Grant({ clientId, accountId });
      grant.addOIDCScope(SCOPES);
      return provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
    }
    if (req.method === 'GET' && !submitted) return send(res, 200, loginForm(uid));
    if (req.method !== 'POST' || !submitted) return send(res, 405, page('Not allowed', '<p>Use the sign-in form.</p>'));
    const login = (await readForm(req)).get('login')?.trim() ?? '';
    if (!Object.hasOwn(users, login)) return send(res, 200, loginForm(uid, 'No such test user.'));
    return provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
  }

  return {
    issuer,
    clientId,
    clientSecret,
    errors,
    env: {
      OIDC_ISSUER: issuer,
      OIDC_CLIENT_ID: clientId,
      OIDC_CLIENT_SECRET: clientSecret,
      OIDC_CLIENT_AUTH: 'client_secret_basic',
      OIDC_SCOPES: SCOPES,
      OIDC_ID_TOKEN_ALG: 'RS256',
      OIDC_GROUPS_CLAIM: 'groups',
      OIDC_ROLE_MAP: JSON.stringify(TEST_IDP_ROLE_MAP),
      OIDC_CLINIC_MAP: JSON.stringify(TEST_IDP_CLINIC_MAP),
    },
    setTamper(mode) {
      tamper = mode;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
