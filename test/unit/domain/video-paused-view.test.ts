// What a participant's entry says about video paused to keep their sound
// clear (issue 16): present only while they are admitted and something is
// paused, and only the two flags, whatever the signalling layer passes in.
import { describe, expect, it } from 'vitest';
import { participantView } from '../../../server/domain/participants.ts';

const p = (state: 'waiting' | 'admitted' | 'left') => ({ id: 'p1', role: 'patient' as const, name: 'Jane', state, device: 'Chrome', linkReused: false });

describe('participantView videoPaused', () => {
  it('shows what an admitted participant paused', () => {
    expect(participantView(p('admitted'), true, 'online', { sending: true, receiving: false }).videoPaused).toEqual({ sending: true, receiving: false });
  });

  it('is absent when nothing is paused, nothing is known, or they are not in the call', () => {
    expect(participantView(p('admitted'), true, 'online', { sending: false, receiving: false })).not.toHaveProperty('videoPaused');
    expect(participantView(p('admitted'), true, 'online', null)).not.toHaveProperty('videoPaused');
    expect(participantView(p('admitted'), true)).not.toHaveProperty('videoPaused');
    expect(participantView(p('waiting'), true, 'online', { sending: true, receiving: true })).not.toHaveProperty('videoPaused');
    expect(participantView(p('left'), false, 'offline', { sending: true, receiving: true })).not.toHaveProperty('videoPaused');
  });

  it('carries only the two flags', () => {
    const extra = { sending: true, receiving: true, note: 'x' } as unknown as { sending: boolean; receiving: boolean };
    expect(participantView(p('admitted'), true, 'online', extra).videoPaused).toEqual({ sending: true, receiving: true });
  });
});
