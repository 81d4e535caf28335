// The console's clinic-day logic without a browser: the queue behind "End and
// next patient" and "N of your patients waiting", the once-per-arrival log
// shared by tabs and reloads, and the /staff connection (re-watching after a
// reconnect, late pushes of a scope left behind, the session's end).
import { describe, expect, it } from 'vitest';
import type { WaitingAreaView, WaitingEntry } from '../../../server/wire/staff-socket.ts';
import { arrivalLog, type SmallStorage } from '../../../client/src/model/arrival-log.ts';
import { StaffConnection, type Arrival } from '../../../client/src/model/staff-connection.ts';
import { ownFirst, ownQueue, queueSummary, waitingCount } from '../../../client/src/model/waiting-queue.ts';
import type { StaffSocket } from '../../../client/src/net/staff-socket.ts';
import { FakeSocket, ServerRefusal, settle } from './fake-socket.ts';

const T0 = Date.parse('2026-12-03T10:00:00Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

function entry(over: Partial<WaitingEntry> & Pick<WaitingEntry, 'participantId' | 'appointmentId' | 'clinicianId'>): WaitingEntry {
  return {
    arrivalId: `${over.participantId}:${over.waitingSince ?? at(0)}`,
    name: over.participantId,
    role: 'patient',
    clinicianName: `Dr ${over.clinicianId}`,
    startsAt: at(0),
    waitingSince: at(0),
    device: 'Chrome on Windows',
    linkReused: false,
    connection: 'online',
    ...over,
  };
}

function view(entries: WaitingEntry[], scope: 'mine' | 'clinic' = 'mine'): WaitingAreaView {
  return { scope, clinics: [], entries, runningLate: [], settings: { sound: true }, clinicians: [] };
}

describe('the waiting queue', () => {
  const entries = [
    entry({ participantId: 'cat', appointmentId: 'b1', clinicianId: 'dr-b', waitingSince: at(1) }),
    entry({ participantId: 'bob', appointmentId: 'a2', clinicianId: 'dr-a', waitingSince: at(5) }),
    entry({ participantId: 'ann-interpreter', appointmentId: 'a1', clinicianId: 'dr-a', role: 'interpreter', waitingSince: at(2) }),
    entry({ participantId: 'ann', appointmentId: 'a1', clinicianId: 'dr-a', waitingSince: at(3) }),
  ];

  it('puts own patients first, each group longest wait first', () => {
    expect(ownFirst(entries, 'dr-a').map((e) => e.participantId)).toEqual(['ann-interpreter', 'ann', 'bob', 'cat']);
  });

  it('queues own appointments by their longest wait, named for the patient, leaving out the open one', () => {
    expect(ownQueue(entries, 'dr-a')).toEqual([
      { appointmentId: 'a1', name: 'ann', waitingSince: at(2) },
      { appointmentId: 'a2', name: 'bob', waitingSince: at(5) },
    ]);
    expect(ownQueue(entries, 'dr-a', 'a1').map((q) => q.appointmentId)).toEqual(['a2']);
    expect(ownQueue(entries, 'dr-c')).toEqual([]);
  });

  it('summarises the queue in whole minutes, and counts the title', () => {
    expect(queueSummary(ownQueue(entries, 'dr-a'), T0 + 9.5 * 60_000)).toEqual({ count: 2, longestMinutes: 7 });
    expect(queueSummary([], T0)).toEqual({ count: 0, longestMinutes: 0 });
    expect(waitingCount(entries, 'dr-a', false)).toBe(3);
    expect(waitingCount(entries, 'coord', true)).toBe(4);
  });
});

function memory(): SmallStorage & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) };
}

describe('the arrival log', () => {
  it('claims an arrival once, for every page sharing the storage (tabs, reloads)', () => {
    const shared = memory();
    const tab1 = arrivalLog(shared);
    const tab2 = arrivalLog(shared);
    expect(tab1.claim('p1:t1')).toBe(true);
    expect(tab2.claim('p1:t1')).toBe(false);
    expect(arrivalLog(shared).claim('p1:t1')).toBe(false); // after a reload
    expect(tab2.claim('p1:t2')).toBe(true); // the same person waiting again is a new arrival
    expect([...shared.data.values()].join('')).not.toMatch(/name/i);
  });

  it('keeps only the most recent ids, and none older than a day', () => {
    const s = memory();
    const log = arrivalLog(s, { max: 3, keepMs: 60_000 });
    for (const [i, id] of ['a', 'b', 'c', 'd'].entries()) log.claim(id, T0 + i);
    expect(Object.keys(JSON.parse(s.data.get('consultroom.console.arrivals')!) as object).sort()).toEqual(['b', 'c', 'd']);
    log.claim('e', T0 + 120_000);
    expect(Object.keys(JSON.parse(s.data.get('consultroom.console.arrivals')!) as object)).toEqual(['e']);
  });

  it('still claims once per page when storage refuses or holds rubbish', () => {
    const refusing: SmallStorage = {
      getItem: () => {
        throw new Error('blocked');
      },
      setItem: () => {
        throw new Error('blocked');
      },
    };
    const log = arrivalLog(refusing);
    expect(log.claim('x')).toBe(true);
    expect(log.claim('x')).toBe(false);
    const junk = memory();
    junk.data.set('consultroom.console.arrivals', '[not json');
    expect(arrivalLog(junk).claim('y')).toBe(true);
    expect(arrivalLog(null).claim('z')).toBe(true);
  });
});

describe('the staff connection', () => {
  function connect(scope: 'mine' | 'clinic' = 'mine') {
    const socket = new FakeSocket();
    const seen = { views: [] as WaitingAreaView[], arrivals: [] as Arrival[], states: [] as string[], ended: 0 };
    const conn = new StaffConnection(
      socket as unknown as StaffSocket,
      {
        view: (v) => seen.views.push(v),
        arrived: (a) => seen.arrivals.push(a),
        connection: (s) => seen.states.push(s),
        ended: () => seen.ended++,
      },
      scope,
      { retryBaseMs: 1, retryMaxMs: 2 },
    );
    return { socket, conn, seen };
  }

  it('watches its scope on every connection, and passes arrivals on', async () => {
    const { socket, conn, seen } = connect();
    socket.answer('waiting:watch', (p) => view([], (p as { scope: 'mine' | 'clinic' }).scope));
    socket.accept();
    await settle();
    expect(socket.named('waiting:watch')).toEqual([{ scope: 'mine' }]);
    expect(conn.view?.scope).toBe('mine');
    socket.drop();
    expect(seen.states.at(-1)).toBe('reconnecting');
    socket.accept();
    await settle();
    expect(socket.named('waiting:watch')).toHaveLength(2);
    expect(seen.states.at(-1)).toBe('live');
    socket.fire('waiting:arrived', { arrivalId: 'p:t', appointmentId: 'a', participantId: 'p', name: 'Ann', clinicianId: 'dr-a' });
    expect(seen.arrivals.map((a) => a.arrivalId)).toEqual(['p:t']);
  });

  it('ignores a late push of the scope it left', async () => {
    const { socket, conn, seen } = connect();
    socket.answer('waiting:watch', (p) => view([], (p as { scope: 'mine' | 'clinic' }).scope));
    socket.accept();
    await settle();
    await conn.watch('clinic');
    socket.fire('waiting:view', view([entry({ participantId: 'x', appointmentId: 'a', clinicianId: 'dr-a' })], 'mine'));
    expect(conn.view?.scope).toBe('clinic');
    expect(seen.views.map((v) => v.scope)).toEqual(['mine', 'clinic']);
  });

  it('ends on staff:ended or a refused session; retries a refusal for now', async () => {
    const a = connect();
    a.socket.fire('staff:ended', { reason: 'signed-out' });
    expect(a.seen.ended).toBe(1);
    expect(a.socket.closed).toBe(true);

    const b = connect();
    b.socket.active = false;
    b.socket.fire('connect_error', Object.assign(new Error('x'), { data: { code: 'UNAVAILABLE' } }));
    await new Promise((r) => setTimeout(r, 10));
    expect(b.socket.connectCalls).toBe(1);
    expect(b.seen.ended).toBe(0);
    b.socket.fire('connect_error', Object.assign(new Error('x'), { data: { code: 'UNAUTHENTICATED' } }));
    expect(b.seen.ended).toBe(1);

    const c = connect();
    c.socket.answer('waiting:watch', () => new ServerRefusal('UNAUTHENTICATED'));
    c.socket.accept();
    await settle();
    expect(c.seen.ended).toBe(1);
  });
});
