// The small part of oidc-provider 9 (which ships no types) that the test
// identity provider (support/oidc-idp.ts) uses. Not a general typing: only
// what is called there, checked against node_modules/oidc-provider/lib.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface KoaContext {
    type: string;
    body: unknown;
    status: number;
    host: string;
    oidc: {
      provider: Provider;
      client?: { clientId: string };
      session?: { accountId?: string; grantIdFor(clientId: string): string | undefined };
      result?: { consent?: { grantId?: string } };
    };
  }

  export interface Account {
    accountId: string;
    claims(use: string, scope: string): Promise<Record<string, unknown>> | Record<string, unknown>;
  }

  export interface GrantInstance {
    addOIDCScope(scope: string): void;
    save(): Promise<string>;
  }

  export interface InteractionDetails {
    uid: string;
    prompt: { name: string; reasons: string[]; details: Record<string, unknown> };
    params: Record<string, unknown>;
    session?: { accountId?: string };
  }

  export interface IdTokenInstance {
    // A property, not a method: the test IdP replaces it to spoil tokens.
    issue: (this: IdTokenInstance, opts?: { use?: string; expiresAt?: number | null }) => Promise<string>;
  }

  export interface ErrorOut {
    error: string;
    error_description?: string;
  }

  export interface Configuration {
    clients: Record<string, unknown>[];
    jwks: { keys: Record<string, unknown>[] };
    cookies: { keys: string[] };
    pkce?: { required(ctx: KoaContext, client: unknown): boolean };
    claims?: Record<string, string[]>;
    conformIdTokenClaims?: boolean;
    features?: Record<string, Record<string, unknown>>;
    ttl?: Record<string, number>;
    interactions?: { url(ctx: KoaContext, interaction: { uid: string }): string | Promise<string> };
    findAccount(ctx: KoaContext, sub: string): Promise<Account | undefined>;
    loadExistingGrant?(ctx: KoaContext): Promise<GrantInstance | undefined>;
    renderError?(ctx: KoaContext, out: ErrorOut, error: Error): Promise<void>;
  }

  export class Provider {
    constructor(issuer: string, configuration: Configuration);
    readonly issuer: string;
    readonly Grant: {
      new (init: { clientId: string; accountId: string }): GrantInstance;
      find(id: string): Promise<GrantInstance | undefined>;
    };
    readonly IdToken: { prototype: IdTokenInstance };
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: Record<string, unknown>,
      opts?: { mergeWithLastSubmission?: boolean },
    ): Promise<void>;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }

  export default Provider;
}
