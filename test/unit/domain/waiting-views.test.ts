// ConsultationService.waitingViews: a push to guests not admitted reads only
// their own records, and gives exactly what views() gives; anyone else among
// them (a clinician, someone admitted, a record gone) makes it views(). And the
// clinician's running-late notice is read from the store once per node, not at
// every push, but never shown after the bus says it changed.
import { describe, expect, it } from 'vitest';
import type { AppointmentId, ClinicId } from '../../../server/core/ids.ts';
import { ClinicService } from '../../../server/domain/clinics.ts';
import type { Participant } from '../../../server/domain/model.ts';
import type { Stores } from '../../../server/domain/stores.ts';
import { API_ACTOR, book, clinicianSession, CLINICIAN, device, makeWorld, PATIENT_NAME, staffSession, tokenOf, type ClinicianSession, type World } from './harness.ts';

/** Calls that reach the store, by method, for the reads a view takes. */
function countReads(stores: Stores): Map<string, number> {
  const counts = new Map<string, number>();
  const count = <T extends object>(o: T, names: (keyof T & string)[]) => {
    for (const name of names) {
      const f = o[name] as (...a: unknown[]) => unknown;
      (o as Record<string, unknown>)[name] = (...a: unknown[]) => {
        counts.set(name, (counts.get(name) ?? 0) + 1);
        return f.apply(o, a);
      };
    }
  };
  count(stores.joins, ['appointmentWithParticipants', 'appointmentWithSome']);
  count(stores.clinics, ['runningLate', 'get']);
  return counts;
}

interface Room {
  w: World;
  a: AppointmentId;
  clin: ClinicianSession;
  clinician: Participant;
  /** A guest on a fresh invite link; in the waiting room unless `enter` is false. */
  guest(enter?: boolean): Promise<Participant>;
}

async function room(opts: { clinicId?: ClinicId } = {}): Promise<Room> {
  const w = makeWorld();
  if (opts.clinicId) await w.clinics.create({ id: opts.clinicId, name: 'North Clinic' }, API_ACTOR);
  const created = await w.appointments.create(
    { clinician: CLINICIAN, patient: { name: PATIENT_NAME }, startsAt: w.clock.now().toISOString(), durationMinutes: 30, ...(opts.clinicId ? { clinicId: opts.clinicId } : {}) },
    API_ACTOR,
  );
  const a = created.appointment.id;
  const clin = await clinicianSession(w, created);
  const clinician = await w.consultations.clinicianJoin(clin, a, 'Firefox on Linux');
  let n = 0;
  return {
    w,
    a,
    clin,
    clinician,
    async guest(enter = true) {
      const { url } = await w.appointments.invite(a, { name: `Guest ${++n}`, role: 'family' }, API_ACTOR);
      const g = await w.sessions.redeemLink(tokenOf(url), device());
      return enter ? w.consultations.enterWaitingRoom(g.participant.id, a) : g.participant;
    },
  };
}

const everyone = () => true;

describe('ConsultationService.waitingViews', () => {
  it('gives a waiting guest exactly the view views() gives, from one narrow read', async () => {
    const r = await room({ clinicId: 'north' as ClinicId });
    const waiting = await r.guest();
    const admitted = await r.guest();
    await r.w.consultations.admit(r.clin, r.a, admitted.id);
    const denied = await r.guest();
    await r.w.consultations.deny(r.clin, r.a, denied.id);
    const counts = countReads(r.w.stores);
    const connectionOf = (id: string) => (id === waiting.id ? 'reconnecting' : 'online');
    const videoPausedOf = () => ({ sending: true, receiving: false });
    const ids = [waiting.id, denied.id];

    const narrow = await r.w.consultations.waitingViews(r.a, ids, everyone, connectionOf, videoPausedOf);
    expect(counts.get('appointmentWithSome')).toBe(1);
    expect(counts.get('appointmentWithParticipants')).toBeUndefined();
    const full = await r.w.consultations.views(r.a, ids, everyone, connectionOf, videoPausedOf);
    expect(counts.get('appointmentWithParticipants')).toBe(1);
    expect(narrow).toEqual(full);
    expect([...narrow.keys()]).toEqual(ids);
    // What the waiting page is shown: nobody else, the clinic's details, their own connection.
    expect(narrow.get(waiting.id)).toMatchObject({ participants: [], waiting: [], admitted: [], clinic: { name: 'North Clinic' }, self: { id: waiting.id, state: 'waiting', connection: 'reconnecting' } });
    expect(narrow.get(denied.id)?.self.state).toBe('denied');
  });

  it('gives views() when one of them is the clinician, someone admitted, or not in the consultation', async () => {
    const r = await room();
    const waiting = await r.guest();
    const admitted = await r.guest();
    await r.w.consultations.admit(r.clin, r.a, admitted.id);
    // A guest of another appointment (same stores): not in this consultation.
    const elsewhere = (await r.w.sessions.redeemLink(tokenOf((await book(r.w)).patientUrl), device())).participant;
    for (const extra of [r.clinician.id, admitted.id, elsewhere.id, 'no-such-participant']) {
      const counts = countReads(r.w.stores);
      const ids = [waiting.id, extra];
      const got = await r.w.consultations.waitingViews(r.a, ids, everyone);
      expect(counts.get('appointmentWithSome')).toBe(1);
      expect(counts.get('appointmentWithParticipants')).toBe(1);
      expect(got).toEqual(await r.w.consultations.views(r.a, ids, everyone));
    }
    // The clinician's view, through the fallback, shows the waiting guest.
    const clinicianView = (await r.w.consultations.waitingViews(r.a, [r.clinician.id], everyone)).get(r.clinician.id);
    expect(clinicianView?.waiting.map((p) => p.id)).toEqual([waiting.id]);
  });

  it('reads nothing for no ids, and a guest listed twice gets one view', async () => {
    const r = await room();
    const waiting = await r.guest();
    const counts = countReads(r.w.stores);
    expect((await r.w.consultations.waitingViews(r.a, [], everyone)).size).toBe(0);
    expect(counts.size).toBe(0);
    const twice = await r.w.consultations.waitingViews(r.a, [waiting.id, waiting.id], everyone);
    expect([...twice.keys()]).toEqual([waiting.id]);
    expect(counts.get('appointmentWithParticipants')).toBeUndefined();
  });

  it('says NOT_FOUND for an appointment that is gone, as views() does', async () => {
    const r = await room();
    const waiting = await r.guest();
    await expect(r.w.consultations.waitingViews('no-such-appointment' as AppointmentId, [waiting.id], everyone)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(r.w.consultations.views('no-such-appointment' as AppointmentId, [waiting.id], everyone)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('running late in the views', () => {
  /** A ClinicService that tells the bus, as server/deps.ts wires it. */
  const clinicsOf = (w: World) => new ClinicService({ stores: w.stores, events: w.events, now: w.clock.now, bus: w.bus });

  it('is read once for many pushes, and again once the bus says it changed', async () => {
    const r = await room();
    const waiting = await r.guest();
    const counts = countReads(r.w.stores);
    const view = async () => (await r.w.consultations.waitingViews(r.a, [waiting.id], everyone)).get(waiting.id);
    for (let i = 0; i < 5; i++) expect((await view())?.runningLateMinutes).toBeUndefined();
    expect(counts.get('runningLate')).toBe(1);

    // Set on this node: ClinicService tells the bus after the store write.
    const gp = await staffSession(r.w, { userId: CLINICIAN.id });
    await clinicsOf(r.w).setRunningLate(gp, { clinicianId: CLINICIAN.id, minutes: 20 });
    expect((await view())?.runningLateMinutes).toBe(20);
    expect((await view())?.runningLateMinutes).toBe(20);
    expect(counts.get('runningLate')).toBe(2);

    // Set on another node: only the store changes here until its events are replayed.
    await r.w.stores.clinics.setRunningLate(CLINICIAN.id, null, 3600);
    r.w.bus.replay('viewsStale', r.a);
    expect((await view())?.runningLateMinutes).toBeUndefined();
    await r.w.stores.clinics.setRunningLate(CLINICIAN.id, { clinicianId: CLINICIAN.id, minutes: 5, since: r.w.clock.now().toISOString(), setBy: 'coord' }, 3600);
    r.w.bus.replay('runningLate', CLINICIAN.id);
    expect((await view())?.runningLateMinutes).toBe(5);
    expect(counts.get('runningLate')).toBe(4);
  });

  it('is read again after 30 seconds (a notice can expire in the store unannounced)', async () => {
    const r = await room();
    const waiting = await r.guest();
    await r.w.stores.clinics.setRunningLate(CLINICIAN.id, { clinicianId: CLINICIAN.id, minutes: 10, since: r.w.clock.now().toISOString(), setBy: 'coord' }, 40);
    const counts = countReads(r.w.stores);
    const view = async () => (await r.w.consultations.waitingViews(r.a, [waiting.id], everyone)).get(waiting.id);
    expect((await view())?.runningLateMinutes).toBe(10);
    r.w.clock.advance(29_000);
    expect((await view())?.runningLateMinutes).toBe(10);
    expect(counts.get('runningLate')).toBe(1);
    r.w.clock.advance(12_000); // 41 s: expired in the store, and the copy is too old to use
    expect((await view())?.runningLateMinutes).toBeUndefined();
    expect(counts.get('runningLate')).toBe(2);
  });

  it('shows the same notice through views() and waitingViews()', async () => {
    const r = await room();
    const waiting = await r.guest();
    await r.w.stores.clinics.setRunningLate(CLINICIAN.id, { clinicianId: CLINICIAN.id, minutes: 15, since: r.w.clock.now().toISOString(), setBy: 'coord' }, 3600);
    const ids = [waiting.id];
    const narrow = await r.w.consultations.waitingViews(r.a, ids, everyone);
    expect(narrow.get(waiting.id)?.runningLateMinutes).toBe(15);
    expect(narrow).toEqual(await r.w.consultations.views(r.a, ids, everyone));
  });
});
