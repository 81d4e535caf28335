// Signing staff in at the identity provider and out again. begin() keeps a
// single-use login transaction (state, nonce, PKCE verifier, where to go
// after) under a random id the browser holds in a cookie; complete() takes it
// once, has the provider verify the answer, maps the claims to roles and
// clinics, refuses anyone with no role, and starts a staff session. Every
// refusal is on the audit trail as auth.refused with its reason code (ids and
// codes only: never a token, a name or a claim value).
import { randomBytes } from 'node:crypto';
import { AppError } from '../../core/errors.ts';
import { makeActor } from '../actors.ts';
import type { EventRecorder } from '../events.ts';
import type { Actor, ClinicRoles, StaffPrincipal, StaffRole, StaffSession } from '../model.ts';
import type { SessionStore } from '../stores.ts';
import { mapClaims, type ClaimMapping } from './claims.ts';
import type { IdentityProvider } from './identity.ts';
import { hasAnyRole } from './permissions.ts';
import type { ClinicianSession, DeviceContext } from './sessions.ts';

/** A sign-in must come back from the provider within this (the login cookie's Max-Age too). */
export const LOGIN_TTL_SECONDS = 600;
export const SIGNED_OUT_PATH = '/signed-out';

/** What sign-in needs of SessionService (helper A's; kept narrow so each side is tested alone). */
export interface StaffSessionStarter {
  startStaff(p: StaffPrincipal, ctx: DeviceContext, via: 'oidc', idp: { idToken: string; sid?: string }): Promise<ClinicianSession>;
  signOut(session: StaffSession, actor: Actor): Promise<StaffSession | null>;
}

/** What sign-in needs of ClinicService: the provider's clinic roles recorded, and the principal with every membership. */
export interface IdpClinicSync {
  syncFromIdp(userId: string, name: string, trustRoles: StaffRole[], idpClinics: ClinicRoles[], actor: Actor): Promise<StaffPrincipal>;
}

export interface SignInDeps {
  provider: IdentityProvider;
  mapping: ClaimMapping;
  logins: Pick<SessionStore, 'putLogin' | 'takeLogin'>;
  sessions: StaffSessionStarter;
  clinics: IdpClinicSync;
  events: Pick<EventRecorder, 'record'>;
  /** For clinic ids the provider's groups map to that do not exist here (skipped). */
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface SignedIn {
  started: ClinicianSession;
  /** The path to go back to (checked as a path on this server when the sign-in began). */
  returnTo: string;
}

/** The reason code an AppError from a sign-in carries (the provider's check, or the error's own code). */
export const reasonCode = (e: AppError): string => e.details?.find((d) => d.key === 'reason')?.problem ?? e.code;

const failed = (reason: string) => new AppError('SIGN_IN_FAILED', { details: [{ key: 'reason', problem: reason }] });

export class SignInService {
  readonly #d: SignInDeps;

  constructor(deps: SignInDeps) {
    this.#d = deps;
  }

  /** A new sign-in: where to send the browser, and the id of the transaction it must bring back. */
  async begin(returnTo: string): Promise<{ url: string; loginId: string }> {
    const { url, txn } = await this.#d.provider.begin(returnTo);
    const loginId = randomBytes(32).toString('base64url');
    await this.#d.logins.putLogin(loginId, txn, LOGIN_TTL_SECONDS);
    return { url, loginId };
  }

  /** The provider's answer (the callback URL as it came) for the login this browser began. */
  async complete(loginId: string | undefined, callbackUrl: URL, ctx: DeviceContext): Promise<SignedIn> {
    const anonymous = makeActor('anonymous', 'unknown', ctx.address);
    // Taken before anything else: a second callback with the same login finds nothing (replay).
    const txn = loginId ? await this.#d.logins.takeLogin(loginId) : null;
    if (!txn) return this.#refuse(failed('LOGIN_UNKNOWN'), anonymous);
    let identity;
    try {
      identity = await this.#d.provider.complete(callbackUrl, txn);
    } catch (e) {
      if (e instanceof AppError) return this.#refuse(e, anonymous);
      throw e;
    }
    const mapped = mapClaims(identity.claims, this.#d.mapping);
    if ('refusal' in mapped) return this.#refuse(failed(mapped.refusal), anonymous);
    const staff = makeActor('staff', mapped.userId, ctx.address);
    const principal = await this.#d.clinics.syncFromIdp(mapped.userId, mapped.name, mapped.roles, mapped.clinics, staff);
    const unknown = mapped.clinics.filter((m) => !principal.clinics.some((c) => c.clinicId === m.clinicId)).map((m) => m.clinicId);
    if (unknown.length > 0) this.#d.warn({ clinicIds: unknown }, 'oidc.clinicMap names clinics that do not exist here; create them (npm run cli -- create-clinic) or fix the map');
    if (!hasAnyRole(principal)) return this.#refuse(new AppError('NO_ROLE'), staff);
    const started = await this.#d.sessions.startStaff(principal, ctx, 'oidc', { idToken: identity.idToken, ...(identity.sid ? { sid: identity.sid } : {}) });
    return { started, returnTo: txn.returnTo };
  }

  /**
   * Ends this staff session (audited by SessionService) and says where the
   * browser goes: the provider's sign-out, when it signed in there and the
   * provider offers one, or our signed-out page.
   */
  async signOut(session: StaffSession, address?: string): Promise<{ redirect: string }> {
    await this.#d.sessions.signOut(session, makeActor('staff', session.clinicianId, address));
    const idToken = session.via === 'oidc' ? session.idp?.idToken : undefined;
    const url = idToken ? await this.#d.provider.endSessionUrl(idToken) : null;
    return { redirect: url ?? SIGNED_OUT_PATH };
  }

  async #refuse(e: AppError, actor: Actor): Promise<never> {
    await this.#d.events.record('auth.refused', null, actor, { outcome: 'refused', reason: reasonCode(e) });
    throw e;
  }
}
