// ConsultationService: the waiting room state machine, who may decide, what
// each person is shown, and what the transports are told on the bus.
import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../../server/core/errors.ts';
import { randomId, type AppointmentId, type ParticipantId } from '../../../server/core/ids.ts';
import type { DomainBusEvents } from '../../../server/domain/events.ts';
import type { Participant, ParticipantState } from '../../../server/domain/model.ts';
import { API_ACTOR, book, clinicianSession, device, expectCode, makeWorld, MINUTE, otherClinicianSession, tokenOf, type ClinicianSession, type World } from './harness.ts';

interface Room {
  w: World;
  a: AppointmentId;
  clin: ClinicianSession;
  patientToken: string;
  /** A new guest on a fresh invite link, in the waiting room (or only redeemed). */
  guest(opts?: { enter?: boolean; name?: string }): Promise<Participant>;
}

async function room(w: World = makeWorld()): Promise<Room> {
  const created = await book(w);
  const a = created.appointment.id;
  const clin = await clinicianSession(w, created);
  let n = 0;
  return {
    w,
    a,
    clin,
    patientToken: tokenOf(created.patientUrl),
    async guest(opts = {}) {
      const { url } = await w.appointments.invite(a, { name: opts.name ?? `Guest ${++n}`, role: 'family' }, API_ACTOR);
      const g = await w.sessions.redeemLink(tokenOf(url), device());
      return opts.enter === false ? g.participant : w.consultations.enterWaitingRoom(g.participant.id, a);
    },
  };
}

type BusLog = { name: keyof DomainBusEvents; args: unknown[] }[];
function listen(w: World): BusLog {
  const log: BusLog = [];
  w.bus.on('changed', (...args) => log.push({ name: 'changed', args }));
  w.bus.on('participantExpelled', (...args) => log.push({ name: 'participantExpelled', args }));
  w.bus.on('consultationEnded', (...args) => log.push({ name: 'consultationEnded', args }));
  return log;
}

const stateOf = async (w: World, id: ParticipantId): Promise<ParticipantState | undefined> => (await w.stores.participants.get(id))?.state;

/** A guest brought to the given state by the clinician's (or the guest's) own actions. */
async function guestIn(r: Room, state: ParticipantState): Promise<Participant> {
  const p = await r.guest();
  const c = r.w.consultations;
  if (state === 'admitted') await c.admit(r.clin, r.a, p.id);
  if (state === 'denied') await c.deny(r.clin, r.a, p.id);
  if (state === 'removed') await c.remove(r.clin, r.a, p.id);
  if (state === 'left') await c.leave(p.id, r.a);
  expect(await stateOf(r.w, p.id)).toBe(state);
  return p;
}

describe('enterWaitingRoom', () => {
  it('sets waitingSince the first time and keeps it on reconnect', async () => {
    const r = await room();
    const log = listen(r.w);
    const p = await r.guest({ enter: false });
    expect(p.waitingSince).toBeUndefined();
    const t1 = r.w.clock.now().toISOString();
    const entered = await r.w.consultations.enterWaitingRoom(p.id, r.a);
    expect(entered).toMatchObject({ state: 'waiting', waitingSince: t1 });
    r.w.clock.advance(5 * MINUTE);
    const again = await r.w.consultations.enterWaitingRoom(p.id, r.a);
    expect(again.waitingSince).toBe(t1);
    expect((await r.w.stores.participants.get(p.id))?.waitingSince).toBe(t1);
    expect((await r.w.stores.events.list(r.a)).filter((e) => e.type === 'participant.waiting' && e.subject === p.id)).toHaveLength(1);
    expect(log.filter((x) => x.name === 'changed')).toHaveLength(1);
  });

  it('an admitted guest reconnecting stays admitted', async () => {
    const r = await room();
    const p = await guestIn(r, 'admitted');
    expect((await r.w.consultations.enterWaitingRoom(p.id, r.a)).state).toBe('admitted');
  });

  it('a guest who left waits again, from the time they came back', async () => {
    const r = await room();
    const p = await guestIn(r, 'left');
    r.w.clock.advance(10 * MINUTE);
    const back = await r.w.consultations.enterWaitingRoom(p.id, r.a);
    expect(back).toMatchObject({ state: 'waiting', waitingSince: r.w.clock.now().toISOString() });
  });

  it('refuses denied and removed guests, other appointments and ended consultations', async () => {
    const r = await room();
    await expectCode(r.w.consultations.enterWaitingRoom((await guestIn(r, 'denied')).id, r.a), 'FORBIDDEN');
    await expectCode(r.w.consultations.enterWaitingRoom((await guestIn(r, 'removed')).id, r.a), 'FORBIDDEN');
    const other = await room(r.w);
    const p = await r.guest({ enter: false });
    await expectCode(r.w.consultations.enterWaitingRoom(p.id, other.a), 'NOT_IN_CONSULTATION');
    await expectCode(r.w.consultations.enterWaitingRoom(randomId<ParticipantId>(), r.a), 'NOT_IN_CONSULTATION');
    await r.w.consultations.end(r.clin, r.a);
    await expectCode(r.w.consultations.enterWaitingRoom(p.id, r.a), 'CONSULTATION_ENDED');
  });
});

describe('clinician decisions', () => {
  type Action = 'admit' | 'deny' | 'sendBack' | 'remove';
  const allowed: Record<Action, { from: ParticipantState[]; to: ParticipantState }> = {
    admit: { from: ['waiting'], to: 'admitted' },
    deny: { from: ['waiting'], to: 'denied' },
    sendBack: { from: ['admitted'], to: 'waiting' },
    remove: { from: ['waiting', 'admitted'], to: 'removed' },
  };
  const states: ParticipantState[] = ['waiting', 'admitted', 'denied', 'removed', 'left'];

  for (const [action, rule] of Object.entries(allowed) as [Action, (typeof allowed)[Action]][]) {
    for (const from of states) {
      const ok = rule.from.includes(from);
      it(`${action} from ${from} ${ok ? `moves to ${rule.to}` : 'is INVALID_TRANSITION and changes nothing'}`, async () => {
        const r = await room();
        const p = await guestIn(r, from);
        const before = await r.w.stores.participants.get(p.id);
        const eventsBefore = (await r.w.stores.events.list(r.a)).length;
        if (ok) {
          const moved = await r.w.consultations[action](r.clin, r.a, p.id);
          expect(moved.state).toBe(rule.to);
          expect(await stateOf(r.w, p.id)).toBe(rule.to);
        } else {
          await expectCode(r.w.consultations[action](r.clin, r.a, p.id), 'INVALID_TRANSITION');
          expect(await r.w.stores.participants.get(p.id)).toEqual(before);
          expect(await r.w.stores.events.list(r.a)).toHaveLength(eventsBefore);
        }
      });
    }
  }

  it('a guest sent back waits again from the time they were sent back', async () => {
    const r = await room();
    const p = await guestIn(r, 'admitted');
    r.w.clock.advance(7 * MINUTE);
    const back = await r.w.consultations.sendBack(r.clin, r.a, p.id);
    expect(back).toMatchObject({ state: 'waiting', waitingSince: r.w.clock.now().toISOString() });
  });

  it('the clinician cannot be admitted, denied, sent back or removed', async () => {
    const r = await room();
    const me = await r.w.consultations.clinicianJoin(r.clin, r.a, 'Firefox on Linux');
    for (const action of ['admit', 'deny', 'sendBack', 'remove'] as const) {
      await expectCode(r.w.consultations[action](r.clin, r.a, me.id), 'INVALID_TRANSITION');
    }
    expect(await stateOf(r.w, me.id)).toBe('admitted');
  });

  it('only the appointment clinician may decide, lock, end or join', async () => {
    const r = await room();
    const p = await r.guest();
    const intruder = await otherClinicianSession(r.w);
    const attempts: Promise<unknown>[] = [
      r.w.consultations.admit(intruder, r.a, p.id),
      r.w.consultations.deny(intruder, r.a, p.id),
      r.w.consultations.remove(intruder, r.a, p.id),
      r.w.consultations.sendBack(intruder, r.a, p.id),
      r.w.consultations.lock(intruder, r.a, true),
      r.w.consultations.end(intruder, r.a),
      r.w.consultations.clinicianJoin(intruder, r.a, 'x'),
    ];
    for (const attempt of attempts) await expectCode(attempt, 'FORBIDDEN');
    expect(await stateOf(r.w, p.id)).toBe('waiting');
    expect(await r.w.appointments.get(r.a)).toMatchObject({ status: 'scheduled', locked: false });
  });

  it('a participant of another appointment is NOT_IN_CONSULTATION here, even for its own clinician', async () => {
    const r = await room();
    const other = await room(r.w);
    const theirs = await other.guest();
    await expectCode(r.w.consultations.admit(r.clin, r.a, theirs.id), 'NOT_IN_CONSULTATION');
    expect(await stateOf(r.w, theirs.id)).toBe('waiting');
  });

  it('enforces maxParticipants on admission, counting the clinician', async () => {
    const r = await room(makeWorld({ maxParticipants: 3 }));
    await r.w.consultations.clinicianJoin(r.clin, r.a, 'Firefox on Linux');
    const g1 = await r.guest();
    const g2 = await r.guest();
    const g3 = await r.guest();
    await r.w.consultations.admit(r.clin, r.a, g1.id);
    await r.w.consultations.admit(r.clin, r.a, g2.id);
    const e = await expectCode(r.w.consultations.admit(r.clin, r.a, g3.id), 'CONSULTATION_FULL');
    expect(e.message).toContain('3');
    expect(await stateOf(r.w, g3.id)).toBe('waiting');
    await r.w.consultations.sendBack(r.clin, r.a, g1.id);
    expect((await r.w.consultations.admit(r.clin, r.a, g3.id)).state).toBe('admitted');
  });

  // Regression test for a fixed bug (server/domain/consultation.ts #decide): the capacity check (list the
  // admitted, compare with maxParticipants) and the transition are separate
  // store calls, so two admissions decided at the same moment (a double click,
  // or the console open in two tabs) both see a free place and both succeed:
  // the consultation ends up over maxParticipants.
  it('two concurrent admissions for the last place admit only one', async () => {
    const r = await room(makeWorld({ maxParticipants: 2 }));
    await r.w.consultations.clinicianJoin(r.clin, r.a, 'Firefox on Linux');
    const g1 = await r.guest();
    const g2 = await r.guest();
    const results = await Promise.allSettled([r.w.consultations.admit(r.clin, r.a, g1.id), r.w.consultations.admit(r.clin, r.a, g2.id)]);
    expect(results.filter((x) => x.status === 'fulfilled')).toHaveLength(1);
    expect((await r.w.consultations.participants(r.a)).filter((p) => p.state === 'admitted')).toHaveLength(2);
  });

  it('lock and unlock change the appointment and are recorded', async () => {
    const r = await room();
    const log = listen(r.w);
    await r.w.consultations.lock(r.clin, r.a, true);
    expect((await r.w.appointments.get(r.a)).locked).toBe(true);
    await expectCode(r.w.sessions.redeemLink(r.patientToken, device()), 'CONSULTATION_LOCKED');
    await r.w.consultations.lock(r.clin, r.a, false);
    expect((await r.w.appointments.get(r.a)).locked).toBe(false);
    expect((await r.w.sessions.redeemLink(r.patientToken, device())).participant.state).toBe('waiting');
    const types = (await r.w.stores.events.list(r.a)).map((e) => e.type);
    expect(types.filter((t) => t.startsWith('consultation.'))).toEqual(['consultation.locked', 'consultation.unlocked']);
    expect(log.filter((x) => x.name === 'changed')).toHaveLength(2);
  });
});

describe('end and requireAdmitted', () => {
  it('requireAdmitted returns the admitted participant and the clinician', async () => {
    const r = await room();
    const me = await r.w.consultations.clinicianJoin(r.clin, r.a, 'Firefox on Linux');
    const p = await guestIn(r, 'admitted');
    expect((await r.w.consultations.requireAdmitted(p.id, r.a)).id).toBe(p.id);
    expect((await r.w.consultations.requireAdmitted(me.id, r.a)).role).toBe('clinician');
  });

  for (const state of ['waiting', 'denied', 'removed', 'left'] as const) {
    it(`requireAdmitted throws NOT_ADMITTED for a ${state} guest`, async () => {
      const r = await room();
      const p = await guestIn(r, state);
      await expectCode(r.w.consultations.requireAdmitted(p.id, r.a), 'NOT_ADMITTED');
    });
  }

  it('requireAdmitted takes effect at once when the clinician sends back or removes', async () => {
    const r = await room();
    const p = await guestIn(r, 'admitted');
    await r.w.consultations.sendBack(r.clin, r.a, p.id);
    await expectCode(r.w.consultations.requireAdmitted(p.id, r.a), 'NOT_ADMITTED');
    await r.w.consultations.admit(r.clin, r.a, p.id);
    await r.w.consultations.remove(r.clin, r.a, p.id);
    await expectCode(r.w.consultations.requireAdmitted(p.id, r.a), 'NOT_ADMITTED');
  });

  it('requireAdmitted throws NOT_IN_CONSULTATION for a participant of another appointment', async () => {
    const r = await room();
    const other = await room(r.w);
    const theirs = await guestIn(other, 'admitted');
    await expectCode(r.w.consultations.requireAdmitted(theirs.id, r.a), 'NOT_IN_CONSULTATION');
    await expectCode(r.w.consultations.requireAdmitted(randomId<ParticipantId>(), r.a), 'NOT_IN_CONSULTATION');
  });

  it('end makes requireAdmitted throw CONSULTATION_ENDED and every further decision fail', async () => {
    const r = await room();
    const me = await r.w.consultations.clinicianJoin(r.clin, r.a, 'Firefox on Linux');
    const admitted = await guestIn(r, 'admitted');
    const waiting = await r.guest();
    r.w.clock.advance(3 * MINUTE);
    await r.w.consultations.end(r.clin, r.a);
    expect(await r.w.appointments.get(r.a)).toMatchObject({ status: 'ended', endedAt: r.w.clock.now().toISOString() });
    await expectCode(r.w.consultations.requireAdmitted(admitted.id, r.a), 'CONSULTATION_ENDED');
    await expectCode(r.w.consultations.requireAdmitted(me.id, r.a), 'CONSULTATION_ENDED');
    const after: [ErrorCode, Promise<unknown>][] = [
      ['CONSULTATION_ENDED', r.w.consultations.admit(r.clin, r.a, waiting.id)],
      ['CONSULTATION_ENDED', r.w.consultations.sendBack(r.clin, r.a, admitted.id)],
      ['CONSULTATION_ENDED', r.w.consultations.lock(r.clin, r.a, true)],
      ['CONSULTATION_ENDED', r.w.consultations.end(r.clin, r.a)],
      ['CONSULTATION_ENDED', r.w.consultations.clinicianJoin(r.clin, r.a, 'x')],
      ['CONSULTATION_ENDED', r.w.appointments.invite(r.a, { name: 'Late', role: 'carer' }, API_ACTOR)],
    ];
    for (const [code, p] of after) await expectCode(p, code);
    expect(await stateOf(r.w, waiting.id)).toBe('waiting');
    expect((await r.w.stores.events.list(r.a)).filter((e) => e.type === 'consultation.ended')).toHaveLength(1);
  });

  it('leave moves waiting or admitted guests to left, once', async () => {
    const r = await room();
    const w1 = await r.guest();
    const a1 = await guestIn(r, 'admitted');
    await r.w.consultations.leave(w1.id, r.a);
    await r.w.consultations.leave(a1.id, r.a);
    expect(await stateOf(r.w, w1.id)).toBe('left');
    expect(await stateOf(r.w, a1.id)).toBe('left');
    const count = (await r.w.stores.events.list(r.a)).length;
    await r.w.consultations.leave(a1.id, r.a);
    expect(await r.w.stores.events.list(r.a)).toHaveLength(count);
    const d = await guestIn(r, 'denied');
    await r.w.consultations.leave(d.id, r.a);
    expect(await stateOf(r.w, d.id)).toBe('denied');
  });

  it('clinicianJoin admits the clinician once, makes the appointment live, and rejoins the same record', async () => {
    const r = await room();
    const me = await r.w.consultations.clinicianJoin(r.clin, r.a, 'Firefox on Linux');
    expect(me).toMatchObject({ role: 'clinician', state: 'admitted', clinicianId: 'gp-1', linkId: null, linkReused: false });
    expect((await r.w.appointments.get(r.a)).status).toBe('live');
    await r.w.consultations.leave(me.id, r.a);
    const again = await r.w.consultations.clinicianJoin(r.clin, r.a, 'Firefox on Linux');
    expect(again).toMatchObject({ id: me.id, state: 'admitted' });
    expect((await r.w.consultations.participants(r.a)).filter((p) => p.role === 'clinician')).toHaveLength(1);
  });
});

describe('view', () => {
  const connected = (ids: string[]) => (id: string) => ids.includes(id);

  it('the clinician sees everyone in the waiting room (not guests who never opened it and are not connected)', async () => {
    const r = await room();
    const me = await r.w.consultations.clinicianJoin(r.clin, r.a, 'Firefox on Linux');
    const waiting = await r.guest({ name: 'Waiting Wanda' });
    const redeemedOnly = await r.guest({ enter: false, name: 'Redeemed Rhys' });
    const admitted = await guestIn(r, 'admitted');
    const v = await r.w.consultations.view(me.id, r.a, connected([waiting.id]));
    expect(v).toMatchObject({ appointmentId: r.a, status: 'live', locked: false, clinicianName: 'Dr Asha Patel', durationMinutes: 30 });
    expect(v.self).toMatchObject({ id: me.id, role: 'clinician', state: 'admitted', connected: false });
    expect(v.participants.map((p) => p.id).sort()).toEqual([waiting.id, admitted.id].sort());
    expect(v.participants.find((p) => p.id === waiting.id)).toMatchObject({ name: 'Waiting Wanda', state: 'waiting', connected: true, waitingSince: waiting.waitingSince, linkReused: false });
    const withRedeemedConnected = await r.w.consultations.view(me.id, r.a, connected([redeemedOnly.id]));
    expect(withRedeemedConnected.participants.map((p) => p.id)).toContain(redeemedOnly.id);
  });

  it('the clinician sees a flagged second device as linkReused', async () => {
    const r = await room();
    const me = await r.w.consultations.clinicianJoin(r.clin, r.a, 'Firefox on Linux');
    const first = await r.w.sessions.redeemLink(r.patientToken, device());
    const second = await r.w.sessions.redeemLink(r.patientToken, device('Chrome on Windows'));
    await r.w.consultations.enterWaitingRoom(first.participant.id, r.a);
    await r.w.consultations.enterWaitingRoom(second.participant.id, r.a);
    const v = await r.w.consultations.view(me.id, r.a, () => true);
    expect(v.participants.find((p) => p.id === second.participant.id)).toMatchObject({ linkReused: true, device: 'Chrome on Windows' });
    expect(v.participants.find((p) => p.id === first.participant.id)?.linkReused).toBe(false);
  });

  it('a waiting guest sees nobody', async () => {
    const r = await room();
    await r.w.consultations.clinicianJoin(r.clin, r.a, 'Firefox on Linux');
    await guestIn(r, 'admitted');
    await r.guest();
    const me = await r.guest();
    const v = await r.w.consultations.view(me.id, r.a, () => true);
    expect(v.self).toMatchObject({ id: me.id, state: 'waiting' });
    expect(v.participants).toEqual([]);
    expect(v.clinicianName).toBe('Dr Asha Patel');
  });

  it('denied, removed and left guests see nobody', async () => {
    const r = await room();
    await r.w.consultations.clinicianJoin(r.clin, r.a, 'Firefox on Linux');
    await guestIn(r, 'admitted');
    for (const s of ['denied', 'removed', 'left'] as const) {
      const p = await guestIn(r, s);
      expect((await r.w.consultations.view(p.id, r.a, () => true)).participants).toEqual([]);
    }
  });

  it('an admitted guest sees only admitted people', async () => {
    const r = await room();
    const clin = await r.w.consultations.clinicianJoin(r.clin, r.a, 'Firefox on Linux');
    const other = await guestIn(r, 'admitted');
    await r.guest({ name: 'Still Waiting' });
    await guestIn(r, 'denied');
    await guestIn(r, 'left');
    const me = await guestIn(r, 'admitted');
    const v = await r.w.consultations.view(me.id, r.a, () => true);
    expect(v.participants.map((p) => p.id).sort()).toEqual([clin.id, other.id].sort());
    expect(v.participants.every((p) => p.state === 'admitted')).toBe(true);
    expect(JSON.stringify(v)).not.toContain('Still Waiting');
  });

  it('someone not in this consultation gets NOT_IN_CONSULTATION', async () => {
    const r = await room();
    const other = await room(r.w);
    const theirs = await other.guest();
    await expectCode(r.w.consultations.view(theirs.id, r.a, () => true), 'NOT_IN_CONSULTATION');
  });
});

describe('the domain bus and the audit trail', () => {
  it('emits changed on admit, participantExpelled with the reason on deny, send back, remove and leave', async () => {
    const r = await room();
    const [g1, g2, g3, g4] = [await r.guest(), await r.guest(), await r.guest(), await r.guest()];
    const log = listen(r.w);
    const c = r.w.consultations;
    await c.admit(r.clin, r.a, g1.id);
    expect(log).toEqual([{ name: 'changed', args: [r.a] }]);
    log.length = 0;
    await c.deny(r.clin, r.a, g2.id);
    expect(log).toEqual([
      { name: 'participantExpelled', args: [r.a, g2.id, 'denied'] },
      { name: 'changed', args: [r.a] },
    ]);
    log.length = 0;
    await c.sendBack(r.clin, r.a, g1.id);
    expect(log[0]).toEqual({ name: 'participantExpelled', args: [r.a, g1.id, 'sent-back'] });
    log.length = 0;
    await c.remove(r.clin, r.a, g3.id);
    expect(log[0]).toEqual({ name: 'participantExpelled', args: [r.a, g3.id, 'removed'] });
    log.length = 0;
    await c.leave(g4.id, r.a);
    expect(log[0]).toEqual({ name: 'participantExpelled', args: [r.a, g4.id, 'left'] });
    log.length = 0;
    await expectCode(c.admit(r.clin, r.a, g2.id), 'INVALID_TRANSITION');
    expect(log).toEqual([]);
    await c.end(r.clin, r.a);
    expect(log).toEqual([
      { name: 'consultationEnded', args: [r.a] },
      { name: 'changed', args: [r.a] },
    ]);
  });

  it('each recorded event is published on the bus as it is stored', async () => {
    const r = await room();
    const seen: string[] = [];
    r.w.bus.on('recorded', (e) => seen.push(e.type));
    const p = await r.guest();
    await r.w.consultations.admit(r.clin, r.a, p.id);
    expect(seen).toEqual(['link.issued', 'link.redeemed', 'participant.waiting', 'participant.admitted']);
  });

  it('a full consultation leaves the expected audit trail, in order', async () => {
    const w = makeWorld();
    const created = await book(w);
    const a = created.appointment.id;
    const clin = await clinicianSession(w, created);
    const g = await w.sessions.redeemLink(tokenOf(created.patientUrl), device());
    const c = w.consultations;
    await c.enterWaitingRoom(g.participant.id, a);
    const me = await c.clinicianJoin(clin, a, 'Firefox on Linux');
    await c.admit(clin, a, g.participant.id);
    await c.sendBack(clin, a, g.participant.id);
    await c.admit(clin, a, g.participant.id);
    await c.leave(g.participant.id, a);
    await c.end(clin, a);
    const events = await w.stores.events.list(a);
    expect(events.map((e) => e.type)).toEqual([
      'appointment.created',
      'link.issued',
      'link.redeemed',
      'participant.waiting',
      'participant.joined',
      'participant.admitted',
      'participant.sent_back',
      'participant.admitted',
      'participant.left',
      'consultation.ended',
    ]);
    expect(events.every((e) => e.outcome === 'ok' && e.appointmentId === a)).toBe(true);
    const pid = g.participant.id;
    expect(events.map((e) => e.subject)).toEqual([undefined, created.patientLinkId, created.patientLinkId, pid, me.id, pid, pid, pid, pid, undefined]);
    expect(events.map((e) => e.actor.role)).toEqual(['api', 'api', 'patient', 'patient', 'clinician', 'clinician', 'clinician', 'clinician', 'patient', 'clinician']);
  });

  it('removal instead of leaving is recorded as participant.removed', async () => {
    const r = await room();
    const p = await guestIn(r, 'admitted');
    await r.w.consultations.remove(r.clin, r.a, p.id);
    await r.w.consultations.end(r.clin, r.a);
    const types = (await r.w.stores.events.list(r.a)).map((e) => e.type);
    expect(types.slice(-3)).toEqual(['participant.admitted', 'participant.removed', 'consultation.ended']);
  });
});
