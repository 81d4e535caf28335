// ViewPusher's reads: a push to an appointment whose people on this node are
// all guests not admitted reads only their records; once someone here was
// pushed a clinician's or an admitted view, pushes read every participant; and
// that is forgotten when they leave this node. What is sent is the same either
// way.
import type { Server } from 'socket.io';
import { describe, expect, it } from 'vitest';
import type { Logger } from '../../../server/core/logger.ts';
import type { Participant } from '../../../server/domain/model.ts';
import { Presence } from '../../../server/signaling/presence.ts';
import { ViewPusher } from '../../../server/signaling/view-pusher.ts';
import type { ConsultationView } from '../../../server/wire/participants.ts';
import { API_ACTOR, book, clinicianSession, device, makeWorld, tokenOf } from '../domain/harness.ts';

/** Just what ViewPusher uses of socket.io: every emit, by room or socket id. */
function fakeIo() {
  const sent: { to: string; view: ConsultationView }[] = [];
  const room = (to: string) => ({
    socketsJoin: () => {},
    socketsLeave: () => {},
    emit: (_event: string, view: ConsultationView) => sent.push({ to, view }),
  });
  const io = { local: { in: room, to: (ids: string[]) => room(ids.join(',')) } };
  return { io: io as unknown as Server, sent };
}

const quietLog = { warn: () => {}, info: () => {}, error: () => {}, debug: () => {} } as unknown as Logger;

async function setup() {
  const w = makeWorld();
  const created = await book(w);
  const a = created.appointment.id;
  const clin = await clinicianSession(w, created);
  const reads = { narrow: 0, full: 0 };
  const joins = w.stores.joins;
  const narrow = joins.appointmentWithSome.bind(joins);
  const full = joins.appointmentWithParticipants.bind(joins);
  joins.appointmentWithSome = (...args) => (reads.narrow++, narrow(...args));
  joins.appointmentWithParticipants = (...args) => (reads.full++, full(...args));
  const presence = new Presence();
  const { io, sent } = fakeIo();
  const pusher = new ViewPusher({ io, consultations: w.consultations, presence, logger: quietLog });
  let socketN = 0;
  /** A socket of this participant opens on this node. */
  const connect = (p: Participant): string => {
    const socketId = `s${++socketN}`;
    presence.add(p.id, socketId, a);
    pusher.connected(a, p.id, socketId);
    return socketId;
  };
  const disconnect = (p: Participant, socketId: string) => pusher.disconnected(a, p.id, presence.remove(p.id, socketId));
  const guest = async (): Promise<Participant> => {
    const { url } = await w.appointments.invite(a, { name: 'Guest', role: 'family' }, API_ACTOR);
    const g = await w.sessions.redeemLink(tokenOf(url), device());
    return w.consultations.enterWaitingRoom(g.participant.id, a);
  };
  /** Waits for the pushes due (a presence change settles for 250 ms first; the memory stores answer at once). */
  const settled = () => new Promise((r) => setTimeout(r, 350));
  const lastTo = (p: Participant) => sent.filter((x) => x.to === `p:${p.id}`).at(-1)?.view;
  return { w, a, clin, reads, presence, pusher, sent, connect, disconnect, guest, settled, lastTo };
}

describe('ViewPusher reads', () => {
  it('reads only a waiting guest’s records while nobody here sees others, the whole list once someone does', async () => {
    const t = await setup();
    const patient = await t.guest();
    t.connect(patient);
    await t.settled();
    expect(t.reads).toEqual({ narrow: 1, full: 0 });
    expect(t.lastTo(patient)?.self.state).toBe('waiting');

    t.pusher.changed(t.a);
    await t.settled();
    expect(t.reads).toEqual({ narrow: 2, full: 0 });

    // The clinician's first socket here: not known yet, so narrow first; their record makes it the full read.
    const gp = await t.w.consultations.clinicianJoin(t.clin, t.a, 'Firefox on Linux');
    Object.assign(t.reads, { narrow: 0, full: 0 }); // clinicianJoin's own read is not a push's
    const gpSocket = t.connect(gp);
    await t.settled();
    expect(t.reads).toEqual({ narrow: 1, full: 1 });
    expect(t.lastTo(gp)?.waiting.map((p) => p.id)).toEqual([patient.id]);

    // Known now: straight to the full read.
    t.pusher.changed(t.a);
    await t.settled();
    expect(t.reads).toEqual({ narrow: 1, full: 2 });

    // Gone from this node: forgotten, narrow again.
    t.disconnect(gp, gpSocket);
    await t.settled();
    expect(t.reads).toEqual({ narrow: 2, full: 2 });
  });

  it('an admitted guest needs the whole list (admitted on another node: the narrow read finds out)', async () => {
    const t = await setup();
    const patient = await t.guest();
    t.connect(patient);
    await t.settled();
    await t.w.consultations.admit(t.clin, t.a, patient.id);
    t.pusher.changed(t.a);
    await t.settled();
    expect(t.reads).toEqual({ narrow: 2, full: 1 });
    expect(t.lastTo(patient)?.self.state).toBe('admitted');
    t.pusher.changed(t.a);
    await t.settled();
    expect(t.reads).toEqual({ narrow: 2, full: 2 });
    // Sent back to the waiting room: the next push after that is narrow again.
    await t.w.consultations.sendBack(t.clin, t.a, patient.id);
    t.pusher.changed(t.a);
    await t.settled();
    expect(t.lastTo(patient)?.self.state).toBe('waiting');
    t.pusher.changed(t.a);
    await t.settled();
    expect(t.reads).toEqual({ narrow: 3, full: 3 });
  });

  it('sends a waiting guest the same views as the full read would', async () => {
    const t = await setup();
    const patient = await t.guest();
    const other = await t.guest();
    t.connect(patient);
    t.connect(other);
    await t.settled();
    const sent = [t.lastTo(patient), t.lastTo(other)];
    const full = await t.w.consultations.views(t.a, [patient.id, other.id], t.presence.isConnected);
    expect(sent).toEqual([full.get(patient.id), full.get(other.id)]);
    expect(t.reads.narrow).toBe(1);
  });
});
