// Presence keeps one member as a plain string and makes a Set only for a
// second: counts, "last socket" and the per-appointment list must come out the
// same whichever form a key is in, through every add and remove.
import { describe, expect, it } from 'vitest';
import { Presence } from '../../../server/signaling/presence.ts';

describe('Presence', () => {
  it('counts sockets per participant and per address, and says which socket was the last', () => {
    const p = new Presence();
    expect(p.add('p1', 's1', 'a1', '10.0.0.1')).toBe(true);
    expect(p.add('p1', 's2', 'a1', '10.0.0.1')).toBe(false);
    expect(p.add('p1', 's3', 'a1', '10.0.0.2')).toBe(false);
    expect(p.socketsOf('p1')).toBe(3);
    expect(p.socketsFrom('10.0.0.1')).toBe(2);
    expect(p.count).toBe(3);
    expect(p.remove('p1', 's2', '10.0.0.1')).toBe(false);
    expect(p.remove('p1', 's2', '10.0.0.1')).toBe(false); // twice: harmless
    expect(p.socketsFrom('10.0.0.1')).toBe(1);
    expect(p.remove('p1', 's1', '10.0.0.1')).toBe(false);
    expect(p.socketsFrom('10.0.0.1')).toBe(0);
    expect(p.isConnectedHere('p1')).toBe(true);
    expect(p.remove('p1', 'unknown', '10.0.0.2')).toBe(false);
    expect(p.socketsFrom('10.0.0.2')).toBe(1); // another socket's address is not released by an unknown one
    expect(p.remove('p1', 's3', '10.0.0.2')).toBe(true);
    expect(p.isConnectedHere('p1')).toBe(false);
    expect(p.socketsOf('p1')).toBe(0);
    expect(p.count).toBe(0);
    expect(p.participantsIn('a1')).toEqual([]);
    // Back again after going: a first socket once more.
    expect(p.add('p1', 's4', 'a1', '10.0.0.1')).toBe(true);
  });

  it('lists the participants of an appointment with a socket here, one or several', () => {
    const p = new Presence();
    p.add('p1', 's1', 'a1');
    expect(p.participantsIn('a1')).toEqual(['p1']);
    p.add('p2', 's2', 'a1');
    p.add('p3', 's3', 'a2');
    expect(p.participantsIn('a1').sort()).toEqual(['p1', 'p2']);
    p.remove('p1', 's1');
    expect(p.participantsIn('a1')).toEqual(['p2']);
    p.add('p1', 's5', 'a1');
    expect(p.participantsIn('a1').sort()).toEqual(['p1', 'p2']);
    p.remove('p1', 's5');
    p.remove('p2', 's2');
    expect(p.participantsIn('a1')).toEqual([]);
    expect(p.participantsIn('a2')).toEqual(['p3']);
  });
});
