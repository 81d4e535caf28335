// When a remote video counts as frozen: no new frame for about 2 s once frames
// were flowing, or no first frame for a little longer.
import { describe, expect, it } from 'vitest';
import { StallClock } from '../../../client/src/ui/frozen-video.ts';

const timing = { stallMs: 2000, firstFrameMs: 5000 };

describe('StallClock', () => {
  it('turns frozen 2 s after the last frame, and back as soon as a frame comes', () => {
    const c = new StallClock(0, timing);
    c.frame(100);
    expect(c.frozen(2000)).toBe(false);
    expect(c.frozen(2100)).toBe(true);
    c.frame(2500);
    expect(c.frozen(2600)).toBe(false);
  });

  it('gives a new video longer for its first frame', () => {
    const c = new StallClock(0, timing);
    expect(c.frozen(4000)).toBe(false);
    expect(c.frozen(5000)).toBe(true);
  });

  it('starts afresh on restart (the sender resumed), keeping whether frames were ever seen when asked', () => {
    const c = new StallClock(0, timing);
    c.frame(10);
    c.restart(10_000);
    expect(c.seen).toBe(false);
    expect(c.frozen(13_000)).toBe(false);
    c.frame(13_000);
    c.restart(20_000, c.seen);
    expect(c.frozen(22_000)).toBe(true);
  });
});
