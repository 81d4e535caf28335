// ClinicService: clinics and members, every change audited with ids and role
// codes only; at sign-in the identity provider's memberships replace the
// last ones it gave, memberships set by an admin stay, and a change of roles
// (only a change) is recorded as role.changed.
import { describe, expect, it } from 'vitest';
import type { ClinicId } from '../../../server/core/ids.ts';
import type { Actor, DomainEvent } from '../../../server/domain/model.ts';
import { API_ACTOR, expectCode, makeWorld, MINUTE, type World } from './harness.ts';

const DERM = 'derm-north' as ClinicId;
const ENT = 'ent-south' as ClinicId;
const GONE = 'no-such-clinic' as ClinicId;
const SIGN_IN: Actor = { role: 'staff', id: 'u-1' };

async function withClinics(): Promise<World> {
  const w = makeWorld();
  await w.clinics.create({ id: DERM, name: 'Dermatology, North site' }, API_ACTOR);
  await w.clinics.create({ id: ENT, name: 'ENT, South site' }, API_ACTOR);
  return w;
}
const eventsOf = async (w: World, type: DomainEvent['type']) => (await w.stores.events.list()).filter((e) => e.type === type);

describe('clinics and members', () => {
  it('creates, renames, lists and reads clinics; a taken id is ALREADY_EXISTS, an unknown one NOT_FOUND', async () => {
    const w = await withClinics();
    await expectCode(w.clinics.create({ id: DERM, name: 'Again' }, API_ACTOR), 'ALREADY_EXISTS');
    w.clock.advance(MINUTE);
    const renamed = await w.clinics.update(DERM, { name: 'Dermatology' }, API_ACTOR);
    expect(renamed).toMatchObject({ id: DERM, name: 'Dermatology', updatedAt: w.clock.now().toISOString() });
    expect(renamed.createdAt).not.toBe(renamed.updatedAt);
    expect((await w.clinics.list()).map((c) => c.id)).toEqual([DERM, ENT]);
    await expectCode(w.clinics.get(GONE), 'NOT_FOUND');
    await expectCode(w.clinics.update(GONE, { name: 'x' }, API_ACTOR), 'NOT_FOUND');
    expect((await w.stores.events.list()).map((e) => [e.type, e.subject])).toEqual([
      ['clinic.created', DERM],
      ['clinic.created', ENT],
      ['clinic.updated', DERM],
    ]);
  });

  it('sets and removes members, audited with ids and role codes only', async () => {
    const w = await withClinics();
    const m = await w.clinics.setMember(DERM, 'u-1', ['clinic-admin', 'clinician'], API_ACTOR);
    expect(m).toMatchObject({ clinicId: DERM, userId: 'u-1', roles: ['clinician', 'clinic-admin'], source: 'admin' });
    expect(await w.clinics.members(DERM)).toEqual([m]);
    await expectCode(w.clinics.setMember(GONE, 'u-1', ['clinician'], API_ACTOR), 'NOT_FOUND');
    await w.clinics.removeMember(DERM, 'u-1', API_ACTOR);
    await expectCode(w.clinics.removeMember(DERM, 'u-1', API_ACTOR), 'NOT_FOUND');
    expect(await w.clinics.members(DERM)).toEqual([]);
    expect((await w.stores.events.list()).slice(2).map((e) => [e.type, e.subject, e.reason])).toEqual([
      ['clinic.member_set', `${DERM}/u-1`, 'clinician,clinic-admin'],
      ['clinic.member_removed', `${DERM}/u-1`, undefined],
    ]);
    expect(JSON.stringify(await w.stores.events.list())).not.toContain('Dermatology');
  });
});

describe('syncFromIdp', () => {
  it("replaces the provider's memberships, keeps the admin ones, and skips clinics not recorded here", async () => {
    const w = await withClinics();
    await w.clinics.setMember(ENT, 'u-1', ['clinic-coordinator'], API_ACTOR);
    const first = await w.clinics.syncFromIdp('u-1', 'Sam', ['auditor'], [{ clinicId: DERM, roles: ['clinician'] }, { clinicId: GONE, roles: ['clinician'] }], SIGN_IN);
    expect(first).toEqual({
      userId: 'u-1',
      name: 'Sam',
      roles: ['auditor'],
      clinics: [
        { clinicId: DERM, roles: ['clinician'] },
        { clinicId: ENT, roles: ['clinic-coordinator'] },
      ],
    });
    // Next sign-in: the provider no longer puts them in DERM; the admin's ENT membership stays.
    const second = await w.clinics.syncFromIdp('u-1', 'Sam', ['auditor'], [], SIGN_IN);
    expect(second.clinics).toEqual([{ clinicId: ENT, roles: ['clinic-coordinator'] }]);
    expect((await w.stores.clinics.membershipsOf('u-1')).map((m) => [m.clinicId, m.source])).toEqual([[ENT, 'admin']]);
    expect(await w.stores.clinics.getStaff('u-1')).toMatchObject({ userId: 'u-1', roles: ['auditor'] });
  });

  it('where the provider and an admin both name a clinic, the admin record stays and the roles add up', async () => {
    const w = await withClinics();
    await w.clinics.setMember(DERM, 'u-1', ['clinic-admin'], API_ACTOR);
    const p = await w.clinics.syncFromIdp('u-1', 'Sam', [], [{ clinicId: DERM, roles: ['clinician'] }], SIGN_IN);
    expect(p.clinics).toEqual([{ clinicId: DERM, roles: ['clinician', 'clinic-admin'] }]);
    expect(await w.stores.clinics.membershipsOf('u-1')).toEqual([expect.objectContaining({ clinicId: DERM, source: 'admin', roles: ['clinic-admin'] })]);
  });

  it('records role.changed only when trust-wide or provider clinic roles change', async () => {
    const w = await withClinics();
    const sync = (roles: ('clinician' | 'auditor' | 'trust-admin')[], clinics: { clinicId: ClinicId; roles: ('clinician' | 'clinic-coordinator')[] }[]) =>
      w.clinics.syncFromIdp('u-1', 'Sam', roles, clinics, SIGN_IN);
    await sync(['clinician'], []);
    await sync(['clinician'], []);
    await sync(['clinician', 'auditor'], []);
    await sync(['auditor', 'clinician'], []);
    await sync(['auditor', 'clinician'], [{ clinicId: DERM, roles: ['clinic-coordinator'] }]);
    await sync(['auditor', 'clinician'], [{ clinicId: DERM, roles: ['clinic-coordinator'] }]);
    await sync(['auditor', 'clinician'], [{ clinicId: DERM, roles: ['clinician'] }]);
    await sync(['auditor', 'clinician'], []);
    await sync(['auditor', 'clinician'], [{ clinicId: GONE, roles: ['clinician'] }]);
    expect((await eventsOf(w, 'role.changed')).map((e) => [e.subject, e.reason, e.actor.id])).toEqual([
      ['u-1', 'clinician', 'u-1'],
      ['u-1', 'clinician,auditor', 'u-1'],
      ['u-1', `clinician,auditor,${DERM}:clinic-coordinator`, 'u-1'],
      ['u-1', `clinician,auditor,${DERM}:clinician`, 'u-1'],
      ['u-1', 'clinician,auditor', 'u-1'],
    ]);
    expect(JSON.stringify(await w.stores.events.list())).not.toContain('Sam');
  });

  it('principalFor builds a ticket session principal from recorded memberships', async () => {
    const w = await withClinics();
    await w.clinics.setMember(ENT, 'u-2', ['clinician'], API_ACTOR);
    expect(await w.clinics.principalFor('u-2', 'Dr Two', ['clinician'])).toEqual({ userId: 'u-2', name: 'Dr Two', roles: ['clinician'], clinics: [{ clinicId: ENT, roles: ['clinician'] }] });
    expect(await w.clinics.principalFor('u-3', 'Dr Three', [])).toEqual({ userId: 'u-3', name: 'Dr Three', roles: [], clinics: [] });
  });
});
