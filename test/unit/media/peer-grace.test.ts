// The grace period of a participant's media: closed when it runs out, held
// again while the media still flows, ended early when they come back, and no
// timer left behind once the room clears it.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PeerGrace, type GraceVerdict } from '../../../server/media/peer-grace.ts';

describe('PeerGrace', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('asks at expiry, holds again while the answer is keep, and stops at closed', () => {
    const verdicts: GraceVerdict[] = ['keep', 'keep', 'closed'];
    const asked: string[] = [];
    const g = new PeerGrace(1000, (id) => (asked.push(id), verdicts.shift()!));
    g.hold('p1');
    vi.advanceTimersByTime(999);
    expect(asked).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(asked).toEqual(['p1']);
    expect(g.isHeld('p1')).toBe(true);
    vi.advanceTimersByTime(2000);
    expect(asked).toEqual(['p1', 'p1', 'p1']);
    expect(g.isHeld('p1')).toBe(false);
    vi.advanceTimersByTime(10_000);
    expect(asked).toHaveLength(3);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a second hold keeps the first deadline; release ends it without asking', () => {
    const asked: string[] = [];
    const g = new PeerGrace(1000, (id) => (asked.push(id), 'closed'));
    g.hold('p1');
    vi.advanceTimersByTime(600);
    g.hold('p1');
    vi.advanceTimersByTime(400);
    expect(asked).toEqual(['p1']);
    g.hold('p2');
    expect(g.release('p2')).toBe(true);
    expect(g.release('p2')).toBe(false);
    vi.advanceTimersByTime(5000);
    expect(asked).toEqual(['p1']);
  });

  it('clear() drops every timer', () => {
    const g = new PeerGrace(1000, () => 'keep');
    g.hold('a');
    g.hold('b');
    expect(g.size).toBe(2);
    g.clear();
    expect(g.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});
