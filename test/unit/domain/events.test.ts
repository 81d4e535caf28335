// The domain bus delivers events safely: by the time a service publishes, its
// store write and audit record are done, so a listener that throws or rejects
// is logged and never turns the completed operation into a failure.
import { describe, expect, it } from 'vitest';
import { DomainBus, type ListenerFailureLog } from '../../../server/domain/events.ts';
import { API_ACTOR, book, clinicianSession, device, makeWorld, tokenOf, type World } from './harness.ts';

function recordingLog(): ListenerFailureLog & { failures: { event: string; err: unknown }[] } {
  const failures: { event: string; err: unknown }[] = [];
  return { failures, error: (obj) => failures.push(obj) };
}

async function waitingGuest(w: World) {
  const created = await book(w);
  const a = created.appointment.id;
  const clin = await clinicianSession(w, created);
  const { url } = await w.appointments.invite(a, { name: 'Guest 1', role: 'family' }, API_ACTOR);
  const g = await w.sessions.redeemLink(tokenOf(url), device());
  const p = await w.consultations.enterWaitingRoom(g.participant.id, a);
  return { a, clin, p };
}

describe('DomainBus.safeEmit', () => {
  it('a listener that throws on changed does not make ConsultationService.admit fail', async () => {
    const log = recordingLog();
    const w = makeWorld({ bus: new DomainBus(log) });
    const { a, clin, p } = await waitingGuest(w);
    const later: string[] = [];
    w.bus.on('changed', () => {
      throw new Error('listener broke');
    });
    w.bus.on('changed', (id) => later.push(id));

    const admitted = await w.consultations.admit(clin, a, p.id);

    expect(admitted.state).toBe('admitted');
    expect((await w.stores.participants.get(p.id))?.state).toBe('admitted');
    // The listeners after the broken one were still told.
    expect(later).toContain(a);
    expect(log.failures.some((f) => f.event === 'changed' && (f.err as Error).message === 'listener broke')).toBe(true);
  });

  it('a listener that rejects is logged, not left as an unhandled rejection', async () => {
    const log = recordingLog();
    const w = makeWorld({ bus: new DomainBus(log) });
    const { a, clin, p } = await waitingGuest(w);
    // An async listener, as a careless transport might write one: the point of this test.
    // eslint-disable-next-line @typescript-eslint/no-misused-promises
    w.bus.on('changed', async () => {
      await Promise.resolve();
      throw new Error('async listener broke');
    });

    await expect(w.consultations.admit(clin, a, p.id)).resolves.toMatchObject({ state: 'admitted' });
    await new Promise((r) => setImmediate(r));
    expect(log.failures.map((f) => (f.err as Error).message)).toContain('async listener broke');
  });

  it('a once listener runs once', () => {
    const bus = new DomainBus(recordingLog());
    let calls = 0;
    bus.once('consultationEnded', () => calls++);
    expect(bus.safeEmit('consultationEnded', 'a1' as never)).toBe(true);
    expect(bus.safeEmit('consultationEnded', 'a1' as never)).toBe(false);
    expect(calls).toBe(1);
  });
});
