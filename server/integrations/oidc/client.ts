// Sign-in with OpenID Connect through openid-client: the authorization code
// flow with PKCE (S256), state and nonce, the ID token checked for issuer,
// audience, nonce, expiry, the one pinned algorithm and - always - its
// signature against the provider's keys (openid-client checks signatures only
// with enableNonRepudiationChecks; without it a forged token is accepted).
// Every refusal becomes AppError('SIGN_IN_FAILED') with a reason code; tokens
// are never logged.
import * as oidc from 'openid-client';
import type { Config } from '../../../config/schema.ts';
import { AppError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { IdentityProvider, VerifiedIdentity } from '../../domain/access/identity.ts';
import type { LoginTransaction } from '../../domain/model.ts';
import { CachedDiscovery, DISCOVERY_POLICY, ProviderUnavailable, type DiscoveryPolicy } from './discovery.ts';

type OidcConfig = NonNullable<Config['oidc']>;

/** What boot/oidc.ts read from files: the client secret, or the private key for private_key_jwt. */
export interface OidcSecrets {
  clientSecret?: string | undefined;
  clientKey?: { key: oidc.CryptoKey; kid: string } | undefined;
}

export interface OidcProviderOptions {
  oidc: OidcConfig;
  /** config.server.publicUrl: the redirect and post-logout URIs are built from it, never from a Host header. */
  publicUrl: string;
  secrets: OidcSecrets;
  logger: Logger;
  now?: () => Date;
  discoveryPolicy?: DiscoveryPolicy;
  /** Seconds per request to the provider. */
  timeoutSeconds?: number;
}

export const CALLBACK_PATH = '/auth/callback';
export const SIGNED_OUT_PATH = '/signed-out';

/** Plain http only to a loopback provider (tests); config/load.ts refuses any other http issuer. */
export function isLoopbackHttp(url: string): boolean {
  const u = new URL(url);
  return u.protocol === 'http:' && (u.hostname === 'localhost' || u.hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(u.hostname));
}

function clientAuth(cfg: OidcConfig, secrets: OidcSecrets): oidc.ClientAuth {
  switch (cfg.clientAuth) {
    case 'private_key_jwt':
      if (!secrets.clientKey) throw new Error('oidc.clientAuth is private_key_jwt but no client key was loaded');
      return oidc.PrivateKeyJwt(secrets.clientKey);
    case 'client_secret_post':
      return oidc.ClientSecretPost(secrets.clientSecret);
    case 'client_secret_basic':
      return oidc.ClientSecretBasic(secrets.clientSecret);
  }
}

const REASON = /^[A-Z][A-Z0-9_]{0,63}$/;

/** A stable reason code for an error from the library or the network (its `.code` where it has one). */
export function reasonOf(e: unknown): string {
  if (e instanceof ProviderUnavailable) return 'PROVIDER_UNAVAILABLE';
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && REASON.test(code)) return code;
  if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')) return 'PROVIDER_TIMEOUT';
  if (e instanceof TypeError) return 'PROVIDER_UNAVAILABLE';
  return 'PROVIDER_ERROR';
}

export const signInFailed = (reason: string, cause?: unknown) => new AppError('SIGN_IN_FAILED', { details: [{ key: 'reason', problem: reason }], cause });

export function createOidcProvider(opts: OidcProviderOptions): IdentityProvider {
  const { oidc: cfg, logger, secrets } = opts;
  const now = opts.now ?? (() => new Date());
  const redirectUri = new URL(CALLBACK_PATH, opts.publicUrl).href;
  const postLogoutUri = new URL(SIGNED_OUT_PATH, opts.publicUrl).href;
  const timeout = opts.timeoutSeconds ?? 10;
  const auth = clientAuth(cfg, secrets);

  const prepare = (config: oidc.Configuration) => {
    oidc.enableNonRepudiationChecks(config);
    config.timeout = timeout;
  };
  const discovery = new CachedDiscovery(
    async () => {
      const config = await oidc.discovery(new URL(cfg.issuer), cfg.clientId, { id_token_signed_response_alg: cfg.idTokenAlg, [oidc.clockTolerance]: cfg.clockToleranceSeconds }, auth, {
        // openid-client looks for allowInsecureRequests itself in this list (it then covers the discovery request too).
        execute: isLoopbackHttp(cfg.issuer) ? [oidc.allowInsecureRequests, prepare] : [prepare],
        timeout,
      });
      const acrs = config.serverMetadata().acr_values_supported;
      for (const acr of cfg.requiredAcr) {
        if (Array.isArray(acrs) && !acrs.includes(acr)) logger.warn({ acr }, 'oidc.requiredAcr names a value the provider does not list in acr_values_supported');
      }
      logger.info({ issuer: cfg.issuer }, 'OpenID Connect provider discovered');
      return config;
    },
    opts.discoveryPolicy ?? DISCOVERY_POLICY,
    () => now().getTime(),
  );

  /** Runs a step against the provider; any failure is a logged SIGN_IN_FAILED with its reason (never a token). */
  async function guarded<T>(step: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof AppError) throw e;
      const reason = reasonOf(e);
      // Why the provider could not be reached (no token is in a discovery error); other errors' messages stay out.
      const cause = e instanceof ProviderUnavailable && e.cause instanceof Error ? { cause: `${reasonOf(e.cause)}: ${e.cause.message}` } : {};
      logger.warn({ step, reason, ...cause }, 'OpenID Connect sign-in refused');
      throw signInFailed(reason, e);
    }
  }

  return {
    async begin(returnTo: string) {
      const config = await guarded('discovery', () => discovery.get());
      const codeVerifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const params: Record<string, string> = {
        redirect_uri: redirectUri,
        scope: cfg.scopes,
        response_type: 'code',
        code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      };
      if (cfg.acrValues) params['acr_values'] = cfg.acrValues;
      const txn: LoginTransaction = { state, nonce, codeVerifier, returnTo, createdAt: now().toISOString() };
      return { url: oidc.buildAuthorizationUrl(config, params).href, txn };
    },

    async complete(callbackUrl: URL, txn: LoginTransaction): Promise<VerifiedIdentity> {
      // The parameters as they came; the address is ours (the token request's redirect_uri comes from it).
      const url = new URL(redirectUri);
      url.search = callbackUrl.search;
      if (url.searchParams.get('state') !== txn.state) throw signInFailed('STATE_MISMATCH');
      const config = await guarded('discovery', () => discovery.get());
      const tokens = await guarded('token', () =>
        oidc.authorizationCodeGrant(config, url, { pkceCodeVerifier: txn.codeVerifier, expectedState: txn.state, expectedNonce: txn.nonce, idTokenExpected: true }),
      );
      const idClaims = tokens.claims();
      const idToken = tokens.id_token;
      if (!idClaims || !idToken) throw signInFailed('NO_ID_TOKEN');
      if (cfg.requiredAcr.length > 0 && !(typeof idClaims.acr === 'string' && cfg.requiredAcr.includes(idClaims.acr))) {
        logger.warn({ reason: 'ACR_TOO_LOW' }, 'OpenID Connect sign-in refused');
        throw signInFailed('ACR_TOO_LOW');
      }
      let claims: Record<string, unknown> = { ...idClaims };
      if (cfg.userinfo) {
        const info = await guarded('userinfo', () => oidc.fetchUserInfo(config, tokens.access_token, idClaims.sub));
        // The signed ID token's claims win where both say something.
        claims = { ...info, ...idClaims };
      }
      const sid = typeof idClaims['sid'] === 'string' ? idClaims['sid'] : undefined;
      return { claims, idToken, ...(sid ? { sid } : {}) };
    },

    async endSessionUrl(idToken: string): Promise<string | null> {
      if (!cfg.endProviderSession) return null;
      let config: oidc.Configuration;
      try {
        config = await discovery.get();
      } catch (e) {
        // The local session is over either way; the provider's stays until it times out.
        logger.warn({ reason: reasonOf(e) }, "could not reach the identity provider for sign-out; its session stays");
        return null;
      }
      if (!config.serverMetadata().end_session_endpoint) return null;
      return oidc.buildEndSessionUrl(config, { id_token_hint: idToken, post_logout_redirect_uri: postLogoutUri }).href;
    },
  };
}
