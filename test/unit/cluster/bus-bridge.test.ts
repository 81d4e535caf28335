// The bridge between a node's domain bus and the other nodes, over an
// in-memory ClusterBus pair: bridged events go out once, come back in as
// replays (never sent out again), an event a listener emits during a replay
// is this node's own, unbridged events stay home, and detaching stops both ways.
import { describe, expect, it } from 'vitest';
import { bridgeDomainBus } from '../../../server/cluster/bus-bridge.ts';
import type { ClusterBus, ClusterEventName } from '../../../server/cluster/contract.ts';
import type { AppointmentId, ParticipantId } from '../../../server/core/ids.ts';
import { DomainBus } from '../../../server/domain/events.ts';

const apt = (s: string) => s as AppointmentId;

type Sent = { event: ClusterEventName; args: unknown[] };

/** Two nodes' ClusterBuses joined in memory: what one publishes, the other's listeners get (at once). */
function pair(): [ClusterBus & { sent: Sent[] }, ClusterBus & { sent: Sent[] }] {
  const make = () => {
    const listeners = new Map<string, ((...a: unknown[]) => void)[]>();
    return {
      sent: [] as Sent[],
      peer: undefined as unknown as { deliver: (e: string, a: unknown[]) => void },
      deliver(e: string, a: unknown[]) {
        for (const l of listeners.get(e) ?? []) l(...a);
      },
      publish(event: ClusterEventName, ...args: unknown[]) {
        this.sent.push({ event, args });
        this.peer.deliver(event, args);
      },
      on(event: string, l: (...a: unknown[]) => void) {
        listeners.set(event, [...(listeners.get(event) ?? []), l]);
      },
      start: () => Promise.resolve(),
      stop: () => Promise.resolve(),
    };
  };
  const a = make();
  const b = make();
  a.peer = b;
  b.peer = a;
  return [a as never, b as never];
}

describe('bridgeDomainBus', () => {
  it('sends a bridged event once; the other node replays it and does not send it back', () => {
    const [ca, cb] = pair();
    const [busA, busB] = [new DomainBus(), new DomainBus()];
    bridgeDomainBus(busA, ca);
    bridgeDomainBus(busB, cb);
    const atB: [string, boolean][] = [];
    busB.on('consultationEnded', (a, reason) => void atB.push([`${a}:${String(reason)}`, busB.replaying]));
    busA.safeEmit('consultationEnded', apt('apt-1'), 'cancelled');
    expect(atB).toEqual([['apt-1:cancelled', true]]);
    expect(ca.sent).toEqual([{ event: 'consultationEnded', args: ['apt-1', 'cancelled'] }]);
    expect(cb.sent).toEqual([]);
    expect(busB.replaying).toBe(false);
  });

  it('an event a listener emits while replaying is its own node\'s, and goes out', () => {
    const [ca, cb] = pair();
    const [busA, busB] = [new DomainBus(), new DomainBus()];
    bridgeDomainBus(busA, ca);
    bridgeDomainBus(busB, cb);
    // e.g. a remote expulsion makes this node drop a local socket, which changes the waiting area.
    busB.on('participantExpelled', (a) => {
      busB.safeEmit('connectionChanged', a);
      expect(busB.replaying).toBe(true);
    });
    const atA: string[] = [];
    busA.on('connectionChanged', (a) => void atA.push(a));
    busA.safeEmit('participantExpelled', apt('apt-1'), 'p-1' as ParticipantId, 'removed');
    expect(cb.sent).toEqual([{ event: 'connectionChanged', args: ['apt-1'] }]);
    expect(atA).toEqual(['apt-1']);
  });

  it('leaves unbridged events home and stops both ways once detached', () => {
    const [ca, cb] = pair();
    const [busA, busB] = [new DomainBus(), new DomainBus()];
    const detachA = bridgeDomainBus(busA, ca);
    bridgeDomainBus(busB, cb);
    busA.safeEmit('recorded', { type: 'admitted' } as never);
    expect(ca.sent).toEqual([]);
    const atA: string[] = [];
    busA.on('changed', (a) => void atA.push(a));
    detachA();
    busA.safeEmit('changed', apt('own'));
    busB.safeEmit('changed', apt('remote'));
    expect(ca.sent).toEqual([]);
    expect(cb.sent).toHaveLength(1);
    expect(atA).toEqual(['own']);
  });

  it('a replay is emitted safely: a failing listener is logged and the others still run', () => {
    const failures: string[] = [];
    const bus = new DomainBus({ error: (o) => void failures.push(o.event) });
    const got: string[] = [];
    bus.on('changed', () => {
      throw new Error('listener bug');
    });
    bus.on('changed', (a) => void got.push(a));
    expect(bus.replay('changed', apt('apt-1'))).toBe(true);
    expect(got).toEqual(['apt-1']);
    expect(failures).toEqual(['changed']);
    expect(bus.replaying).toBe(false);
  });
});
