// mapClaims: the claims three real kinds of provider send (shapes from their
// documentation: NHS CIS2 UserInfo, Keycloak, Microsoft Entra ID) -> who the
// person is here. Each fixture is what the provider sends; each mapping is the
// config a trust would write (docs/deploy.md).
import { describe, expect, it } from 'vitest';
import { claimValues, mapClaims, type ClaimMapping } from '../../../server/domain/access/claims.ts';

// NHS CIS2: roles are objects in nhsid_nrbac_roles (UserInfo); role_code's last part is the job role (R8000 ...).
const CIS2_USER = {
  sub: '555254242106',
  uid: '555254242106',
  name: 'Dr Ada Example',
  selected_roleid: '555254243104',
  nhsid_nrbac_roles: [
    { person_orgid: '555254241103', person_roleid: '555254243104', org_code: 'RXX', role_code: 'S8000:G8000:R8000', role_name: 'Clinical Practitioner Access Role' },
    { person_orgid: '555254241999', person_roleid: '555254243999', org_code: 'RYY', role_code: 'S8000:G8000:R8003', role_name: 'Health Professional Access Role' },
  ],
};
const CIS2: ClaimMapping = {
  claims: { userId: 'uid', name: 'name', roles: 'nhsid_nrbac_roles.org_code:RXX.role_code' },
  roleMap: { 'S8000:G8000:R8000': ['clinician'], 'S8000:G8000:R8003': ['clinician'] },
  clinicMap: {},
};

// Keycloak: realm roles under realm_access.roles; groups from a Group Membership mapper (full path off).
const KEYCLOAK_USER = {
  sub: 'f3c1e0de-6a0b-4d8e-9a51-0c2d7b1e5a11',
  name: 'Ben Nurse',
  preferred_username: 'ben',
  realm_access: { roles: ['offline_access', 'uma_authorization', 'consultroom-clinician'] },
  groups: ['dermatology-north', 'everyone'],
};
const KEYCLOAK: ClaimMapping = {
  claims: { userId: 'sub', name: 'name', roles: 'realm_access.roles', groups: 'groups' },
  roleMap: { 'consultroom-clinician': ['clinician'], 'consultroom-auditor': ['auditor'] },
  clinicMap: { 'dermatology-north': { clinicId: 'derm-north', roles: ['clinician', 'clinic-coordinator'] } },
};

// Entra ID: app roles in `roles`, security groups as object ids (GUIDs), stable id `oid`.
const ENTRA_USER = {
  sub: 'pairwise-sub-for-this-app',
  oid: '00000000-0000-0000-66f3-3332eca7ea81',
  tid: '9188040d-6c67-4c5b-b112-36a304b66dad',
  name: 'Cara Coordinator',
  roles: ['Clinic.Coordinator'],
  groups: ['0b9f6b2e-1c1a-4bb4-8f0f-6e3c9d8a7f11', '7d1f3c55-0000-4c1e-9b7e-a1b2c3d4e5f6'],
};
const ENTRA: ClaimMapping = {
  claims: { userId: 'oid', name: 'name', roles: 'roles', groups: 'groups' },
  roleMap: { 'Clinic.Coordinator': ['clinic-coordinator'], 'Trust.Admin': ['trust-admin'] },
  clinicMap: {
    '0b9f6b2e-1c1a-4bb4-8f0f-6e3c9d8a7f11': { clinicId: 'diabetes', roles: ['clinic-coordinator'] },
    '7d1f3c55-0000-4c1e-9b7e-a1b2c3d4e5f6': { clinicId: 'diabetes', roles: ['clinic-admin'] },
  },
};

describe('mapClaims: NHS CIS2', () => {
  it("maps the role codes held at the trust's own organisation only", () => {
    expect(mapClaims(CIS2_USER, CIS2)).toEqual({ userId: '555254242106', name: 'Dr Ada Example', roles: ['clinician'], clinics: [] });
  });

  it('gives no role for a clinical role held at another organisation', () => {
    const elsewhere = { ...CIS2_USER, nhsid_nrbac_roles: [CIS2_USER.nhsid_nrbac_roles[1]] };
    expect(mapClaims(elsewhere, CIS2)).toMatchObject({ roles: [], clinics: [] });
  });

  it('without the organisation filter, every role code counts', () => {
    expect(claimValues(CIS2_USER, 'nhsid_nrbac_roles.role_code')).toEqual(['S8000:G8000:R8000', 'S8000:G8000:R8003']);
  });
});

describe('mapClaims: Keycloak', () => {
  it('maps realm roles and groups to trust-wide and clinic roles', () => {
    expect(mapClaims(KEYCLOAK_USER, KEYCLOAK)).toEqual({
      userId: KEYCLOAK_USER.sub,
      name: 'Ben Nurse',
      roles: ['clinician'],
      clinics: [{ clinicId: 'derm-north', roles: ['clinician', 'clinic-coordinator'] }],
    });
  });

  it('gives nothing for values the config does not map', () => {
    expect(mapClaims({ ...KEYCLOAK_USER, realm_access: { roles: ['offline_access'] }, groups: ['everyone'] }, KEYCLOAK)).toMatchObject({ roles: [], clinics: [] });
  });
});

describe('mapClaims: Microsoft Entra ID', () => {
  it('maps app roles and group object ids, merging two groups of one clinic', () => {
    expect(mapClaims(ENTRA_USER, ENTRA)).toEqual({
      userId: ENTRA_USER.oid,
      name: 'Cara Coordinator',
      roles: ['clinic-coordinator'],
      clinics: [{ clinicId: 'diabetes', roles: ['clinic-coordinator', 'clinic-admin'] }],
    });
  });

  it('refuses a groups overage (groups left out, pointing at Graph) rather than signing in with fewer roles', () => {
    const { groups: _groups, ...rest } = ENTRA_USER;
    const overage = { ...rest, _claim_names: { groups: 'src1' }, _claim_sources: { src1: { endpoint: 'https://graph.microsoft.com/v1.0/users/x/getMemberObjects' } } };
    expect(mapClaims(overage, ENTRA)).toEqual({ refusal: 'GROUPS_OVERAGE' });
  });
});

describe('mapClaims: ids and names', () => {
  const SIMPLE: ClaimMapping = { claims: { userId: 'sub', name: 'name', roles: 'roles' }, roleMap: { doc: ['clinician'] }, clinicMap: {} };

  it.each([
    ['missing', {}],
    ['empty', { sub: '' }],
    ['an array', { sub: ['a', 'b'] }],
    ['an object', { sub: { id: 'a' } }],
    ['with a space', { sub: 'a b' }],
    ['too long', { sub: 'x'.repeat(129) }],
  ])('refuses a user id that is %s', (_what, claims) => {
    expect(mapClaims(claims, SIMPLE)).toEqual({ refusal: 'NO_USER_ID' });
  });

  it('takes a numeric id as text and falls back to the id when there is no name', () => {
    expect(mapClaims({ sub: 42, roles: 'doc' }, SIMPLE)).toEqual({ userId: '42', name: '42', roles: ['clinician'], clinics: [] });
  });

  it('ignores values that are not strings and keys inherited from Object.prototype', () => {
    expect(mapClaims({ sub: 'u1', name: 'N', roles: [1, null, { doc: true }, 'constructor', 'toString'] }, SIMPLE)).toEqual({ userId: 'u1', name: 'N', roles: [], clinics: [] });
  });
});
