// A fake OpenID Connect provider on loopback for the sign-in tests: discovery
// document, JWKS, token endpoint (client_secret_basic or private_key_jwt, PKCE
// checked) and UserInfo. The ID token is made from a per-case template and
// signed as the case says (the provider's key, another key, HS256 with the
// client secret, or not at all), so every bad-token case is one line.
// (support/oidc-idp.ts is the real oidc-provider, for Chromium.)
import { createHash, randomBytes, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey, type JWTPayload } from 'jose';

export const CLIENT_ID = 'consultroom-test';
export const CLIENT_SECRET = 'client-secret-0123456789abcdef0123456789';
export const REQUIRED_ACR = 'AAL3_ANY';

export interface Case {
  /** Changes to the ID token's claims (undefined removes one). */
  claims?: Record<string, unknown>;
  /** How it is signed: the provider's key (default), another key, HS256 with the client secret, or not at all. */
  sign?: 'idp' | 'other-key' | 'hs256-secret' | 'none';
  /** What the UserInfo endpoint answers for this sign-in (NHS CIS2 puts roles there). */
  userinfo?: Record<string, unknown>;
}

interface Issued {
  nonce: string;
  challenge: string;
  redirectUri: string;
}

/** The fake provider: answers what openid-client asks, and issues the ID token the current case says. */
export class FakeIdp {
  readonly #server: Server;
  readonly #codes = new Map<string, Issued>();
  readonly #userinfo = new Map<string, Record<string, unknown>>();
  issuer = '';
  next: Case = {};
  /** For private_key_jwt: the client's registered public key and kid. */
  clientKey: { key: KeyObject; kid: string } | null = null;
  #key!: CryptoKey;
  #otherKey!: CryptoKey;
  #jwk!: Record<string, unknown>;

  constructor() {
    this.#server = createServer((req, res) => {
      void this.#handle(req).then(
        ({ status, body }) => {
          res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
          res.end(JSON.stringify(body));
        },
        (e: unknown) => {
          res.writeHead(500);
          res.end(String(e));
        },
      );
    });
  }

  async start(): Promise<void> {
    const pair = await generateKeyPair('ES256', { extractable: true });
    this.#key = pair.privateKey;
    this.#otherKey = (await generateKeyPair('ES256')).privateKey;
    this.#jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', use: 'sig', alg: 'ES256' };
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.issuer = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  /** What the authorization endpoint would do after the person signed in: a code bound to the request. */
  issueCode(authorizeUrl: URL): string {
    const q = authorizeUrl.searchParams;
    const code = randomBytes(16).toString('base64url');
    this.#codes.set(code, { nonce: q.get('nonce') ?? '', challenge: q.get('code_challenge') ?? '', redirectUri: q.get('redirect_uri') ?? '' });
    return code;
  }

  async #handle(req: IncomingMessage): Promise<{ status: number; body: unknown }> {
    const url = new URL(req.url ?? '/', this.issuer);
    if (url.pathname === '/.well-known/openid-configuration') {
      return {
        status: 200,
        body: {
          issuer: this.issuer,
          authorization_endpoint: `${this.issuer}/authorize`,
          token_endpoint: `${this.issuer}/token`,
          jwks_uri: `${this.issuer}/jwks`,
          end_session_endpoint: `${this.issuer}/session/end`,
          userinfo_endpoint: `${this.issuer}/userinfo`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['ES256'],
          code_challenge_methods_supported: ['S256'],
          token_endpoint_auth_methods_supported: ['client_secret_basic'],
          acr_values_supported: [REQUIRED_ACR, 'AAL2_OR_ABOVE'],
        },
      };
    }
    if (url.pathname === '/jwks') return { status: 200, body: { keys: [this.#jwk] } };
    if (url.pathname === '/token' && req.method === 'POST') return this.#token(req);
    if (url.pathname === '/userinfo') {
      const info = this.#userinfo.get((req.headers.authorization ?? '').replace(/^Bearer /, ''));
      return info ? { status: 200, body: info } : { status: 401, body: { error: 'invalid_token' } };
    }
    return { status: 404, body: { error: 'not_found' } };
  }

  async #token(req: IncomingMessage): Promise<{ status: number; body: unknown }> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    if (form.get('client_assertion_type') === 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
      if (!(await this.#assertionValid(form.get('client_assertion') ?? ''))) return { status: 401, body: { error: 'invalid_client' } };
      return this.#grant(form);
    }
    // client_secret_basic: id and secret form-urlencoded, then base64 (RFC 6749 2.3.1).
    const [id = '', secret = ''] = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString('utf8').split(':').map((p) => decodeURIComponent(p.replace(/\+/g, ' ')));
    if (id !== CLIENT_ID || secret !== CLIENT_SECRET) return { status: 401, body: { error: 'invalid_client' } };
    return this.#grant(form);
  }

  /** private_key_jwt (RFC 7523): signed by the registered key, from and about the client, for this provider, once. */
  async #assertionValid(assertion: string): Promise<boolean> {
    if (!this.clientKey) return false;
    try {
      const { payload, protectedHeader } = await jwtVerify(assertion, this.clientKey.key, { issuer: CLIENT_ID, subject: CLIENT_ID, audience: [this.issuer, `${this.issuer}/token`] });
      return protectedHeader.kid === this.clientKey.kid && typeof payload.jti === 'string' && typeof payload.exp === 'number';
    } catch {
      return false;
    }
  }

  async #grant(form: URLSearchParams): Promise<{ status: number; body: unknown }> {
    const issued = this.#codes.get(form.get('code') ?? '');
    this.#codes.delete(form.get('code') ?? '');
    if (!issued || form.get('grant_type') !== 'authorization_code') return { status: 400, body: { error: 'invalid_grant' } };
    const verifier = form.get('code_verifier') ?? '';
    if (createHash('sha256').update(verifier).digest('base64url') !== issued.challenge) return { status: 400, body: { error: 'invalid_grant', error_description: 'PKCE' } };
    if (form.get('redirect_uri') !== issued.redirectUri) return { status: 400, body: { error: 'invalid_grant', error_description: 'redirect_uri' } };
    const accessToken = randomBytes(16).toString('base64url');
    if (this.next.userinfo) this.#userinfo.set(accessToken, this.next.userinfo);
    return { status: 200, body: { access_token: accessToken, token_type: 'Bearer', expires_in: 300, id_token: await this.#idToken(issued) } };
  }

  async #idToken(issued: Issued): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      iss: this.issuer,
      aud: CLIENT_ID,
      sub: 'dr-alice',
      name: 'Dr Alice Example',
      roles: ['doctors'],
      acr: REQUIRED_ACR,
      sid: 'op-session-1',
      nonce: issued.nonce,
      iat: now,
      exp: now + 300,
    };
    for (const [k, v] of Object.entries(this.next.claims ?? {})) {
      if (v === undefined) delete claims[k];
      else claims[k] = v;
    }
    const payload = claims as JWTPayload;
    switch (this.next.sign ?? 'idp') {
      case 'idp':
        return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).sign(this.#key);
      case 'other-key':
        return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).sign(this.#otherKey);
      case 'hs256-secret':
        return new SignJWT(payload).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(CLIENT_SECRET));
      case 'none': {
        const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
        return `${b64({ alg: 'none' })}.${b64(payload)}.`;
      }
    }
  }
}
