// Who may call a REST route. Every route of a guarded plugin declares the one
// scope it needs (`config: { scope }`; a route without one stops start-up).
// A bearer API key must carry the scope (admin implies all); without a key, a
// staff session cookie must have a role that gives it (domain/access/permissions.ts).
// A refusal is typed (401 UNAUTHENTICATED, 403 SCOPE_MISSING or NOT_PERMITTED)
// and recorded on the audit trail as access.refused. Records the route then
// reaches are bounded by clinic with requireClinic (404 outside it: a bound
// credential does not learn what exists elsewhere).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError, type ErrorCode } from '../core/errors.ts';
import type { ClinicId } from '../core/ids.ts';
import { allows, type Credential } from '../domain/access/permissions.ts';
import type { Actor, ApiScope, StaffSession } from '../domain/model.ts';
import { CLINICIAN_COOKIE } from '../edge/cookies.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope a guarded route needs (see auth-guard.ts). */
    scope?: ApiScope;
  }
  interface FastifyRequest {
    /** Set by the scope guard on guarded routes. */
    credential?: Credential;
  }
}

export interface ScopeGuardDeps {
  /** The credential of a bearer API key, or null when it is unknown or revoked. */
  verifyKey(bearer: string): Promise<Extract<Credential, { kind: 'api-key' }> | null>;
  /** The live staff session for the cookie's value (its use noted), or null. */
  staffSession(cookie: string | undefined): Promise<StaffSession | null>;
  /** Records a refused request (access.refused) on the audit trail. */
  refused(actor: Actor, reason: ErrorCode, subject: string): Promise<void>;
}

const BEARER = /^Bearer ([\x21-\x7e]{1,512})$/;

export function actorOf(c: Credential, address?: string): Actor {
  const base: Actor = c.kind === 'api-key' ? { role: 'api', id: c.keyId } : { role: 'staff', id: c.session.clinicianId };
  return address ? { ...base, address } : base;
}

/** The credential the guard admitted (only on guarded routes). */
export function credentialOf(req: FastifyRequest): Credential {
  if (!req.credential) throw new AppError('INTERNAL', 'This route is not guarded.');
  return req.credential;
}

/** The request's actor for the audit trail. */
export const requestActor = (req: FastifyRequest): Actor => actorOf(credentialOf(req), req.ip);

/** Throws NOT_FOUND unless the credential may use `scope` on a record of this clinic (undefined: a record of no clinic). */
export function requireClinic(req: FastifyRequest, scope: ApiScope, clinicId: ClinicId | undefined): void {
  if (!allows(credentialOf(req), scope, clinicId ?? null)) throw new AppError('NOT_FOUND');
}

/** Guards every route registered after it in this plugin. */
export function installScopeGuard(app: FastifyInstance, deps: ScopeGuardDeps): void {
  app.addHook('onRoute', (route) => {
    if (!route.config?.scope) throw new Error(`${route.method.toString()} ${route.url} declares no scope (config.scope)`);
  });
  app.addHook('onRequest', async (req) => {
    const scope = req.routeOptions.config.scope;
    if (!scope) throw new AppError('INTERNAL', 'This route declares no scope.');
    const route = `${req.method} ${req.routeOptions.url ?? ''}`;
    const header = req.headers.authorization;
    let credential: Credential | null;
    if (header !== undefined) {
      const m = typeof header === 'string' ? BEARER.exec(header) : null;
      if (!m) throw new AppError('UNAUTHENTICATED', 'An API key is required (Authorization: Bearer <key>).');
      credential = await deps.verifyKey(m[1]!);
      if (!credential) throw new AppError('UNAUTHENTICATED', 'That API key is not valid.');
    } else {
      const session = await deps.staffSession((req.cookies as Record<string, string | undefined>)[CLINICIAN_COOKIE]);
      if (!session) throw new AppError('UNAUTHENTICATED', 'An API key (Authorization: Bearer <key>) or a staff sign-in is required.');
      credential = { kind: 'staff', session };
    }
    if (!allows(credential, scope)) {
      const code: ErrorCode = credential.kind === 'api-key' ? 'SCOPE_MISSING' : 'NOT_PERMITTED';
      await deps.refused(actorOf(credential, req.ip), code, `${route} (${scope})`);
      throw new AppError(code, { details: [{ key: 'scope', problem: `needs ${scope}` }] });
    }
    req.credential = credential;
  });
}
