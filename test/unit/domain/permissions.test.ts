// permissions.ts, the one home of who may do what, as a table: every staff
// role, trust-wide or in one clinic, and API keys bound or not, against every
// scope and every kind of record (anywhere, this clinic, another clinic, no clinic).
import { describe, expect, it } from 'vitest';
import type { ClinicId, SessionId } from '../../../server/core/ids.ts';
import { allows, boundClinic, hasAnyRole, hasRole, type Credential } from '../../../server/domain/access/permissions.ts';
import type { ApiScope, StaffRole, StaffSession } from '../../../server/domain/model.ts';
import { API_SCOPES, STAFF_ROLES } from '../../../server/wire/auth.ts';

const X = 'clinic-x' as ClinicId;
const Y = 'clinic-y' as ClinicId;

/** What each role gives, written out here (not read from ROLE_SCOPES) so a change there fails this test. */
const EXPECTED: Record<StaffRole, readonly ApiScope[]> = {
  clinician: [],
  'clinic-coordinator': ['appointments:read', 'appointments:write'],
  'clinic-admin': ['clinics:write'],
  auditor: ['audit:read'],
  'trust-admin': [...API_SCOPES],
};

function staff(roles: StaffRole[], clinics: { clinicId: ClinicId; roles: StaffRole[] }[] = []): Credential {
  const session: StaffSession = {
    id: 'AAAAAAAAAAAAAAAAAAAAAA' as SessionId,
    kind: 'clinician',
    clinicianId: 'u-1',
    clinicianName: 'x',
    deviceId: 'BBBBBBBBBBBBBBBBBBBBBB' as StaffSession['deviceId'],
    expiresAt: '2030-01-01T00:00:00.000Z',
    roles,
    clinics,
    via: 'oidc',
    createdAt: '2030-01-01T00:00:00.000Z',
    lastSeenAt: '2030-01-01T00:00:00.000Z',
    idleSeconds: 1800,
    device: 'x',
  };
  return { kind: 'staff', session };
}
const key = (scopes: ApiScope[], clinicId?: ClinicId): Credential => ({ kind: 'api-key', keyId: 'k', scopes, ...(clinicId ? { clinicId } : {}) });

/** Where a credential's grants apply: 'all' (trust-wide or unbound), a clinic, or nowhere. */
type Reach = 'all' | ClinicId | 'none';

function expectReach(c: Credential, scope: ApiScope, reach: Reach, label: string): void {
  const where = { anywhere: allows(c, scope), X: allows(c, scope, X), Y: allows(c, scope, Y), noClinic: allows(c, scope, null), bound: boundClinic(c, scope) };
  const want =
    reach === 'all'
      ? { anywhere: true, X: true, Y: true, noClinic: true, bound: null }
      : reach === 'none'
        ? { anywhere: false, X: false, Y: false, noClinic: false, bound: null }
        : { anywhere: true, X: reach === X, Y: reach === Y, noClinic: false, bound: reach };
  expect(where, label).toEqual(want);
}

describe('allows and boundClinic: staff roles x scopes x clinic', () => {
  for (const role of STAFF_ROLES) {
    for (const scope of API_SCOPES) {
      const given = EXPECTED[role].includes(scope);
      it(`${role} ${given ? 'gives' : 'does not give'} ${scope}`, () => {
        expectReach(staff([role]), scope, given ? 'all' : 'none', 'trust-wide');
        expectReach(staff([], [{ clinicId: X, roles: [role] }]), scope, given ? X : 'none', 'in clinic X');
      });
    }
  }

  it('the same scope in two clinics binds to neither; trust-wide beside a clinic role reaches everywhere', () => {
    const two = staff([], [{ clinicId: X, roles: ['clinic-admin'] }, { clinicId: Y, roles: ['clinic-admin'] }]);
    expect([allows(two, 'clinics:write', X), allows(two, 'clinics:write', Y), allows(two, 'clinics:write', null)]).toEqual([true, true, false]);
    expect(boundClinic(two, 'clinics:write')).toBeNull();
    expectReach(staff(['clinic-admin'], [{ clinicId: X, roles: ['clinic-admin'] }]), 'clinics:write', 'all', 'both');
  });
});

describe('allows and boundClinic: API keys x scopes x clinic binding', () => {
  for (const scope of API_SCOPES) {
    it(`a key with ${scope}, unbound and bound to clinic X`, () => {
      for (const other of API_SCOPES) {
        const given = other === scope || scope === 'admin';
        expectReach(key([scope]), other, given ? 'all' : 'none', `unbound, asking ${other}`);
        expectReach(key([scope], X), other, given ? X : 'none', `bound to X, asking ${other}`);
      }
    });
  }
});

describe('hasRole and hasAnyRole', () => {
  it('a role counts trust-wide or in any clinic; no role at all is none', () => {
    expect(hasRole({ roles: ['clinician'], clinics: [] }, 'clinician')).toBe(true);
    expect(hasRole({ roles: [], clinics: [{ clinicId: X, roles: ['clinician'] }] }, 'clinician')).toBe(true);
    expect(hasRole({ roles: ['clinic-coordinator'], clinics: [{ clinicId: X, roles: ['clinic-admin'] }] }, 'clinician')).toBe(false);
    for (const role of STAFF_ROLES) {
      expect(hasAnyRole({ roles: [role], clinics: [] }), role).toBe(true);
      expect(hasAnyRole({ roles: [], clinics: [{ clinicId: X, roles: [role] }] }), role).toBe(true);
    }
    expect(hasAnyRole({ roles: [], clinics: [] })).toBe(false);
    expect(hasAnyRole({ roles: [], clinics: [{ clinicId: X, roles: [] }] })).toBe(false);
  });
});
