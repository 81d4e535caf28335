// Rules kept in one home: who counts as waiting, and how an actor is written down.
import { describe, expect, it } from 'vitest';
import type { ParticipantId } from '../../../server/core/ids.ts';
import { makeActor, participantActor } from '../../../server/domain/actors.ts';
import { isWaiting } from '../../../server/domain/participants.ts';

const pid = (id: string) => id as ParticipantId;

describe('isWaiting', () => {
  const connected = (id: string) => id === 'on';
  it('counts a guest who entered the waiting room, or whose socket is open, and nobody in another state', () => {
    expect(isWaiting({ id: pid('off'), state: 'waiting', waitingSince: '2025-01-01T10:00:00.000Z' }, connected)).toBe(true);
    expect(isWaiting({ id: pid('on'), state: 'waiting' }, connected)).toBe(true);
    expect(isWaiting({ id: pid('off'), state: 'waiting' }, connected)).toBe(false);
    for (const state of ['admitted', 'denied', 'removed', 'left'] as const) {
      expect(isWaiting({ id: pid('on'), state, waitingSince: '2025-01-01T10:00:00.000Z' }, connected), state).toBe(false);
    }
  });
});

describe('actors', () => {
  it('records the address only when there is one', () => {
    expect(makeActor('anonymous', 'unknown')).toEqual({ role: 'anonymous', id: 'unknown' });
    expect(makeActor('anonymous', 'unknown', '')).toEqual({ role: 'anonymous', id: 'unknown' });
    expect(participantActor({ role: 'patient', id: pid('p1') }, '203.0.113.9')).toEqual({ role: 'patient', id: pid('p1'), address: '203.0.113.9' });
    expect(Object.keys(participantActor({ role: 'patient', id: pid('p1') }))).toEqual(['role', 'id']);
  });
});
