// What each credential may do: the one home of the rule. An API key carries
// scopes (optionally bound to one clinic); a staff member's roles give scopes
// the same way (trust-wide roles everywhere, clinic roles in their clinic).
// `admin` implies every other scope. Media and the console are not REST
// scopes: they follow from being the appointment's clinician (consultation.ts).
import type { ClinicId } from '../../core/ids.ts';
import type { ApiScope, StaffRole, StaffSession } from '../model.ts';

/** Who made a REST request. */
export type Credential =
  | { kind: 'api-key'; keyId: string; scopes: readonly ApiScope[]; clinicId?: ClinicId | undefined }
  | { kind: 'staff'; session: StaffSession };

/** The REST scopes a staff role gives (clinicians work through the console, not the REST API). */
export const ROLE_SCOPES: Readonly<Record<StaffRole, readonly ApiScope[]>> = {
  clinician: [],
  'clinic-coordinator': ['appointments:read', 'appointments:write'],
  'clinic-admin': ['clinics:write'],
  auditor: ['audit:read'],
  'trust-admin': ['admin'],
};

/** One thing a credential may do: a scope, anywhere (clinicId null) or in one clinic. */
export interface Grant {
  scope: ApiScope;
  clinicId: ClinicId | null;
}

export function grantsOf(c: Credential): Grant[] {
  if (c.kind === 'api-key') return c.scopes.map((scope) => ({ scope, clinicId: c.clinicId ?? null }));
  const everywhere = c.session.roles.flatMap((r) => ROLE_SCOPES[r].map((scope) => ({ scope, clinicId: null })));
  const perClinic = c.session.clinics.flatMap((m) => m.roles.flatMap((r) => ROLE_SCOPES[r].map((scope) => ({ scope, clinicId: m.clinicId }))));
  return [...everywhere, ...perClinic];
}

const covers = (g: Grant, scope: ApiScope) => g.scope === scope || g.scope === 'admin';

/**
 * May the credential use `scope`? Without `clinicId`, anywhere at all (the
 * route's first check, before it knows the record); with it, on a record of
 * that clinic (null: a record that belongs to no clinic, which only an
 * unbound grant reaches).
 */
export function allows(c: Credential, scope: ApiScope, clinicId?: ClinicId | null): boolean {
  return grantsOf(c).some((g) => covers(g, scope) && (clinicId === undefined || g.clinicId === null || g.clinicId === clinicId));
}

/** The one clinic a credential is bound to for `scope`, when all its grants for it are in that clinic (a clinic-bound key creates appointments there). */
export function boundClinic(c: Credential, scope: ApiScope): ClinicId | null {
  const gs = grantsOf(c).filter((g) => covers(g, scope));
  if (gs.length === 0 || gs.some((g) => g.clinicId === null)) return null;
  const first = gs[0]!.clinicId;
  return gs.every((g) => g.clinicId === first) ? first : null;
}

/** Has the role trust-wide or in any clinic. */
export const hasRole = (s: Pick<StaffSession, 'roles' | 'clinics'>, role: StaffRole): boolean =>
  s.roles.includes(role) || s.clinics.some((m) => m.roles.includes(role));

/** Any role this service knows: without one a signed-in person is refused (NO_ROLE). */
export const hasAnyRole = (s: Pick<StaffSession, 'roles' | 'clinics'>): boolean => s.roles.length > 0 || s.clinics.some((m) => m.roles.length > 0);
