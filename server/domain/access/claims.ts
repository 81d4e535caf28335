// From an identity provider's verified claims to who someone is here: their
// stable id, display name, trust-wide roles and clinic roles, as the config's
// `oidc.claims`, `oidc.roleMap` and `oidc.clinicMap` say. Pure: no I/O.
//
// Claim paths are dotted ("realm_access.roles"). Where a path meets an array,
// the rest of the path applies to each element, so an array of objects gives
// one field per element: "nhsid_nrbac_roles.role_code" is every CIS2 role's
// role_code. A segment "field:value" at an array keeps only the elements whose
// field equals value: "nhsid_nrbac_roles.org_code:RXX.role_code" is the
// role_codes held at the organisation RXX only (so a role at another trust
// gives nothing here). Values are strings or arrays of strings; anything else
// is ignored.
import type { ClinicId } from '../../core/ids.ts';
import { STAFF_ROLES, type StaffRole } from '../../wire/auth.ts';
import type { ClinicRoles } from '../model.ts';

export interface ClaimMapping {
  claims: { userId: string; name: string; roles?: string | undefined; groups?: string | undefined };
  /** A role or group value -> the trust-wide roles it gives. */
  roleMap: Readonly<Record<string, readonly StaffRole[]>>;
  /** A role or group value -> membership of a clinic with these roles. */
  clinicMap: Readonly<Record<string, { clinicId: string; roles: readonly StaffRole[] }>>;
}

export interface MappedIdentity {
  userId: string;
  name: string;
  /** Trust-wide roles, in STAFF_ROLES order. */
  roles: StaffRole[];
  /** Clinic roles from the provider (one entry per clinic). */
  clinics: ClinicRoles[];
}

/** Why claims give no identity (recorded as the reason of auth.refused). */
export type ClaimRefusal = 'NO_USER_ID' | 'GROUPS_OVERAGE';

const USER_ID = /^[\x21-\x7e]{1,128}$/;
const MAX_NAME = 200;

/** The values at a dotted path (see the header). */
export function claimValues(claims: Record<string, unknown>, path: string): string[] {
  const out: string[] = [];
  walk(claims, path.split('.'), out);
  return out;
}

function walk(node: unknown, segments: string[], out: string[]): void {
  if (Array.isArray(node)) {
    const [seg, ...rest] = segments;
    const filter = seg !== undefined ? /^([^:]+):(.+)$/.exec(seg) : null;
    if (filter) {
      const [, field, value] = filter as unknown as [string, string, string];
      const kept = node.filter((el) => isRecord(el) && el[field] === value);
      walk(kept, rest, out);
      return;
    }
    for (const el of node) walk(el, segments, out);
    return;
  }
  if (segments.length === 0) {
    if (typeof node === 'string') out.push(node);
    return;
  }
  if (!isRecord(node)) return;
  const [seg, ...rest] = segments as [string, ...string[]];
  if (Object.hasOwn(node, seg)) walk(node[seg], rest, out);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Entra leaves `groups` out when a user has too many and points at Graph instead (`_claim_names.groups`). */
function overage(claims: Record<string, unknown>, path: string | undefined): boolean {
  if (!path) return false;
  const names = claims['_claim_names'];
  const top = path.split('.')[0]!;
  return isRecord(names) && Object.hasOwn(names, top) && claimValues(claims, path).length === 0;
}

const inRoleOrder = (roles: Iterable<StaffRole>): StaffRole[] => {
  const set = new Set(roles);
  return STAFF_ROLES.filter((r) => set.has(r));
};

export function mapClaims(claims: Record<string, unknown>, mapping: ClaimMapping): MappedIdentity | { refusal: ClaimRefusal } {
  const { claims: paths } = mapping;
  // An overage means we do not know the groups: refusing beats signing in with fewer (or no) clinic roles.
  if (overage(claims, paths.groups) || overage(claims, paths.roles)) return { refusal: 'GROUPS_OVERAGE' };
  const userId = singleValue(claims, paths.userId);
  if (!userId || !USER_ID.test(userId)) return { refusal: 'NO_USER_ID' };
  const name = (singleValue(claims, paths.name)?.trim() || userId).slice(0, MAX_NAME);

  const values = new Set([...(paths.roles ? claimValues(claims, paths.roles) : []), ...(paths.groups ? claimValues(claims, paths.groups) : [])]);
  const roles: StaffRole[] = [];
  const clinics = new Map<string, Set<StaffRole>>();
  for (const v of values) {
    if (Object.hasOwn(mapping.roleMap, v)) roles.push(...mapping.roleMap[v]!);
    if (Object.hasOwn(mapping.clinicMap, v)) {
      const m = mapping.clinicMap[v]!;
      const set = clinics.get(m.clinicId) ?? new Set<StaffRole>();
      for (const r of m.roles) set.add(r);
      clinics.set(m.clinicId, set);
    }
  }
  return {
    userId,
    name,
    roles: inRoleOrder(roles),
    clinics: [...clinics.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([clinicId, set]) => ({ clinicId: clinicId as ClinicId, roles: inRoleOrder(set) })),
  };
}

/** The one value at a path: a string (or an integer, as some providers send ids); an array or object is no single value. */
function singleValue(claims: Record<string, unknown>, path: string): string | undefined {
  const v = path.split('.').reduce<unknown>((node, seg) => (isRecord(node) && Object.hasOwn(node, seg) ? node[seg] : undefined), claims);
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  return undefined;
}
