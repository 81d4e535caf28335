// The clinic waiting area's rules: who sees whom waiting, who is alerted for
// an arrival, the entries and their order; and the clinic's side of it
// (settings patients see, running late, alert settings), each step audited
// with ids and codes only.
import { describe, expect, it } from 'vitest';
import type { ClinicId } from '../../../server/core/ids.ts';
import type { Appointment, Participant } from '../../../server/domain/model.ts';
import { alertedFor, arrivalIdOf, buildView, entriesOf, inScope, scopeFor, type StaffWho } from '../../../server/domain/waiting-area.ts';
import { API_ACTOR, expectCode, makeWorld, staffSession } from './harness.ts';

const NORTH = 'north' as ClinicId;
const SOUTH = 'south' as ClinicId;
const who = (clinicianId: string, roles: StaffWho['roles'], clinics: StaffWho['clinics'] = []): StaffWho => ({ clinicianId, roles, clinics });
const gpNorth = who('gp-n', ['clinician'], [{ clinicId: NORTH, roles: ['clinician'] }]);
const coordNorth = who('coord-n', [], [{ clinicId: NORTH, roles: ['clinic-coordinator'] }]);
const adminNorth = who('admin-n', [], [{ clinicId: NORTH, roles: ['clinic-admin'] }]);
const trustAdmin = who('boss', ['trust-admin']);
const apt = (clinicianId: string, clinicId?: ClinicId) => ({ clinician: { id: clinicianId, name: 'Dr X' }, ...(clinicId ? { clinicId } : {}) });

describe('who sees and who is alerted', () => {
  it('mine: the viewer\'s own appointments; clinic: every appointment of their clinics (trust admins: all)', () => {
    expect(inScope(gpNorth, 'mine', apt('gp-n', NORTH))).toBe(true);
    expect(inScope(gpNorth, 'mine', apt('gp-other', NORTH))).toBe(false);
    expect(inScope(gpNorth, 'clinic', apt('gp-other', NORTH))).toBe(true);
    expect(inScope(gpNorth, 'clinic', apt('gp-other', SOUTH))).toBe(false);
    expect(inScope(gpNorth, 'clinic', apt('gp-other'))).toBe(false);
    expect(inScope(adminNorth, 'clinic', apt('gp-other', NORTH))).toBe(true);
    expect(inScope(trustAdmin, 'clinic', apt('gp-other', SOUTH))).toBe(true);
  });

  it('alerts the appointment\'s clinician and the coordinators of its clinic, never another clinician or an admin', () => {
    expect(alertedFor(gpNorth, 'mine', apt('gp-n', NORTH))).toBe(true);
    expect(alertedFor(gpNorth, 'clinic', apt('gp-other', NORTH))).toBe(false);
    expect(alertedFor(coordNorth, 'clinic', apt('gp-other', NORTH))).toBe(true);
    expect(alertedFor(coordNorth, 'clinic', apt('gp-other', SOUTH))).toBe(false);
    expect(alertedFor(coordNorth, 'clinic', apt('gp-other'))).toBe(false);
    expect(alertedFor(adminNorth, 'clinic', apt('gp-other', NORTH))).toBe(false);
    expect(alertedFor(trustAdmin, 'clinic', apt('gp-other', SOUTH))).toBe(true);
  });

  it('someone without the clinician role always sees the clinic', () => {
    expect(scopeFor(coordNorth, 'mine')).toBe('clinic');
    expect(scopeFor(gpNorth, 'mine')).toBe('mine');
    expect(scopeFor(who('t', ['clinician']), 'clinic')).toBe('clinic');
  });
});

describe('entries', () => {
  const appointment: Appointment = {
    id: 'A'.repeat(22) as Appointment['id'],
    clinician: { id: 'gp-n', name: 'Dr North' },
    patientName: 'Pat',
    startsAt: '2030-03-04T09:00:00.000Z',
    durationMinutes: 15,
    createdAt: '2030-03-01T09:00:00.000Z',
    status: 'scheduled',
    locked: false,
    clinicId: NORTH,
  };
  const person = (id: string, over: Partial<Participant> = {}): Participant => ({
    id: id as Participant['id'],
    appointmentId: appointment.id,
    role: 'patient',
    name: `Person ${id}`,
    linkId: null,
    deviceId: 'd' as Participant['deviceId'],
    device: 'Safari on iPhone',
    state: 'waiting',
    linkReused: false,
    waitingSince: '2030-03-04T08:55:00.000Z',
    updatedAt: '2030-03-04T08:55:00.000Z',
    ...over,
  });
  const conn = { isConnected: (id: string) => id === 'b', connectionOf: (_a: string, id: string) => (id === 'b' ? ('online' as const) : ('offline' as const)) };

  it('lists the waiting by the one rule, with their arrival, check and connection; none once the appointment is over', () => {
    const people = [
      person('a', { check: { camera: true, microphone: false } }),
      person('b', { waitingSince: '2030-03-04T08:50:00.000Z' }),
      person('c', { state: 'admitted' }),
      person('d', { waitingSince: undefined }), // redeemed, never connected: nobody to admit
      person('gp', { role: 'clinician', state: 'waiting' }),
    ];
    const entries = entriesOf(appointment, people, conn);
    expect(entries.map((e) => e.participantId)).toEqual(['a', 'b']);
    expect(entries[0]).toMatchObject({ arrivalId: arrivalIdOf('a', '2030-03-04T08:55:00.000Z'), clinicianId: 'gp-n', clinicianName: 'Dr North', clinicId: NORTH, connection: 'offline', check: { camera: true, microphone: false } });
    expect(entries[1]!.connection).toBe('online');
    const view = buildView({ scope: 'clinic', clinics: [], entries, runningLate: [], settings: { sound: true }, clinicians: [] });
    expect(view.entries.map((e) => e.participantId)).toEqual(['b', 'a']);
    expect(entriesOf({ ...appointment, status: 'cancelled' }, people, conn)).toEqual([]);
    expect(entriesOf({ ...appointment, status: 'ended' }, people, conn)).toEqual([]);
  });
});

describe("the clinic's settings, running late and alert settings", () => {
  it('updates settings (null removes one, others kept), and shows patients the public view', async () => {
    const w = makeWorld();
    await w.clinics.create({ id: NORTH, name: 'North' }, API_ACTOR);
    expect((await w.clinics.get(NORTH)).settings).toEqual({});
    await w.clinics.update(NORTH, { settings: { phone: '01632 960000', waitingMessage: 'Hello' } }, API_ACTOR);
    const after = await w.clinics.update(NORTH, { name: 'North Surgery', settings: { waitingMessage: null } }, API_ACTOR);
    expect(after).toMatchObject({ name: 'North Surgery', settings: { phone: '01632 960000' } });
    expect(await w.clinics.publicView(NORTH)).toEqual({ name: 'North Surgery', phone: '01632 960000' });
    expect(await w.clinics.publicView(undefined)).toBeNull();
  });

  it('running late: the clinician for themselves or a coordinator of their clinic; audited with the minutes; 0 clears', async () => {
    const w = makeWorld();
    await w.clinics.create({ id: NORTH, name: 'North' }, API_ACTOR);
    await w.clinics.setMember(NORTH, 'gp-n', ['clinician'], API_ACTOR);
    const gp = await staffSession(w, { userId: 'gp-n', roles: ['clinician'] });
    const coord = await staffSession(w, { userId: 'coord-n', roles: [], clinics: [{ clinicId: NORTH, roles: ['clinic-coordinator'] }] });
    const stranger = await staffSession(w, { userId: 'gp-s', roles: ['clinician'] });
    await w.clinics.setRunningLate(gp, { clinicianId: 'gp-n', minutes: 15 });
    expect(await w.stores.clinics.runningLate(['gp-n'])).toMatchObject([{ minutes: 15, setBy: 'gp-n' }]);
    await w.clinics.setRunningLate(coord, { clinicianId: 'gp-n', clinicId: NORTH, minutes: 25 });
    expect(await w.stores.clinics.runningLate(['gp-n'])).toMatchObject([{ minutes: 25, setBy: 'coord-n' }]);
    await expectCode(w.clinics.setRunningLate(stranger, { clinicianId: 'gp-n', minutes: 5 }), 'NOT_PERMITTED');
    await expectCode(w.clinics.setRunningLate(coord, { clinicianId: 'gp-n', clinicId: SOUTH, minutes: 5 }), 'NOT_PERMITTED');
    await w.clinics.setRunningLate(coord, { clinicianId: 'gp-n', minutes: 0 });
    expect(await w.stores.clinics.runningLate(['gp-n'])).toEqual([]);
    const audit = (await w.stores.events.list()).filter((e) => e.type === 'clinician.running_late');
    expect(audit.map((e) => [e.actor.id, e.subject, e.reason])).toEqual([
      ['gp-n', 'gp-n', '15'],
      ['coord-n', 'gp-n', '25'],
      ['coord-n', 'gp-n', '0'],
    ]);
  });

  it('alert settings are saved on the staff record (sound on by default) and kept across a sign-in', async () => {
    const w = makeWorld();
    const gp = await staffSession(w, { userId: 'gp-n' });
    expect(await w.clinics.alerts('gp-n')).toEqual({ sound: true });
    await w.clinics.setAlerts(gp, { sound: false });
    expect(await w.clinics.alerts('gp-n')).toEqual({ sound: false });
    await w.clinics.syncFromIdp('gp-n', 'Dr North', ['clinician'], [], { role: 'staff', id: 'gp-n' });
    expect(await w.clinics.alerts('gp-n')).toEqual({ sound: false });
    expect((await w.stores.events.list()).find((e) => e.type === 'alerts.changed')).toMatchObject({ subject: 'gp-n', reason: 'sound-off' });
  });
});
