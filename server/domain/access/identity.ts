// Signing in at an identity provider (OpenID Connect), as the domain sees it.
// The protocol lives in server/integrations/oidc/ (openid-client); the domain
// only starts a sign-in, completes it into verified claims, and asks where
// sign-out goes.
import type { LoginTransaction } from '../model.ts';

/** Claims the provider vouched for: the ID token's, verified, merged with UserInfo's when configured. */
export interface VerifiedIdentity {
  claims: Record<string, unknown>;
  /** The raw ID token, kept server-side only as id_token_hint for sign-out. */
  idToken: string;
  sid?: string;
}

export interface IdentityProvider {
  /** A new sign-in: the provider's authorization URL and the transaction to keep until the callback. */
  begin(returnTo: string): Promise<{ url: string; txn: LoginTransaction }>;
  /**
   * The callback: checks state, exchanges the code (PKCE), verifies the ID
   * token (issuer, audience, nonce, expiry, signature, pinned algorithm).
   * Throws AppError('SIGN_IN_FAILED') with a reason code in `details[0].problem`.
   */
  complete(callbackUrl: URL, txn: LoginTransaction): Promise<VerifiedIdentity>;
  /** Where the browser goes to end the provider's session too, or null when it offers none (or config says not to). */
  endSessionUrl(idToken: string): Promise<string | null>;
}
