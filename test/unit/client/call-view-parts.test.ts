// The pure parts of the call view: where your own picture goes (the "Move my
// picture" button goes round the corners; a drag settles in the nearest one,
// never outside the stage), and what the call says about the network: the
// words on a tile, and each change said once (a new stats sample that changes
// nothing says nothing).
import { describe, expect, it } from 'vitest';
import type { CallNetwork, RemoteNetwork } from '../../../client/src/model/call-network.ts';
import { networkChanges, tileNotice } from '../../../client/src/ui/network-notices.ts';
import { bestColumns, clamp, CORNERS, nearestCorner, nextCorner } from '../../../client/src/ui/picture-corner.ts';

describe('picture corners', () => {
  it('goes round all four corners, clockwise, and back', () => {
    const seen = [];
    let c = nextCorner('top-right');
    for (let i = 0; i < 4; i++) {
      seen.push(c);
      c = nextCorner(c);
    }
    expect(seen).toEqual(['bottom-right', 'bottom-left', 'top-left', 'top-right']);
    expect(new Set(seen)).toEqual(new Set(CORNERS));
  });

  it('settles a dropped picture in the nearest corner', () => {
    expect(nearestCorner(10, 10, 300, 500)).toBe('top-left');
    expect(nearestCorner(290, 10, 300, 500)).toBe('top-right');
    expect(nearestCorner(10, 490, 300, 500)).toBe('bottom-left');
    expect(nearestCorner(290, 490, 300, 500)).toBe('bottom-right');
  });

  it('keeps a dragged picture inside the stage', () => {
    expect(clamp(-20, 100, 300)).toBe(0);
    expect(clamp(250, 100, 300)).toBe(200);
    expect(clamp(50, 100, 300)).toBe(50);
    expect(clamp(50, 400, 300)).toBe(0);
  });
});

const remote = (r: Partial<RemoteNetwork> = {}): RemoteNetwork => ({ quality: 'good', videoPaused: 'none', cannotSeeYou: false, ...r });
const state = (remotes: Record<string, RemoteNetwork>, sendingPaused = false): CallNetwork => ({
  self: { quality: 'good', sendingPaused, receivingPaused: false },
  remotes: new Map(Object.entries(remotes)),
});
const names: Record<string, string> = { gp: 'Dr Asha Patel' };
const nameOf = (id: string) => names[id] ?? id;

describe('network notices', () => {
  it('says on a tile whose link paused the video, and when they cannot see you', () => {
    expect(tileNotice(remote(), 'Dr Asha Patel')).toEqual({ paused: null, cannotSeeYou: null });
    expect(tileNotice(remote({ videoPaused: 'your-link' }), 'Dr Asha Patel').paused).toBe('Video paused to keep your sound clear');
    expect(tileNotice(remote({ videoPaused: 'their-link' }), 'Dr Asha Patel').paused).toBe(
      "Dr Asha Patel's connection is weak. Video paused to keep the sound clear.",
    );
    expect(tileNotice(remote({ cannotSeeYou: true }), 'Dr Asha Patel').cannotSeeYou).toBe('Dr Asha Patel cannot see you just now, but can hear you.');
    expect(tileNotice(undefined, 'Dr Asha Patel')).toEqual({ paused: null, cannotSeeYou: null });
  });

  it('announces each change once, and nothing for a sample that changes nothing but quality', () => {
    const calm = state({ gp: remote() });
    expect(networkChanges(null, calm, nameOf)).toEqual([]);
    const paused = state({ gp: remote({ videoPaused: 'your-link', quality: 'poor' }) }, true);
    expect(networkChanges(calm, paused, nameOf)).toEqual([
      'Your video is paused to keep your sound clear.',
      'Video from Dr Asha Patel paused to keep your sound clear.',
    ]);
    expect(networkChanges(paused, state({ gp: remote({ videoPaused: 'your-link', quality: 'fair' }) }, true), nameOf)).toEqual([]);
    expect(networkChanges(paused, state({ gp: remote({ cannotSeeYou: true }) }), nameOf)).toEqual([
      'Your video is back on.',
      'Video from Dr Asha Patel is back.',
      'Dr Asha Patel cannot see you just now, but can hear you.',
    ]);
    expect(networkChanges(state({ gp: remote({ videoPaused: 'their-link' }) }), calm, nameOf)).toEqual(['Video from Dr Asha Patel is back.']);
  });
});

describe('the grid of videos', () => {
  it('gives one person the whole stage and shares it out so each picture is largest', () => {
    expect(bestColumns(1, 512, 400)).toBe(1);
    expect(bestColumns(0, 512, 400)).toBe(1);
    // Three on a laptop's stage: two columns, not three thin rows.
    expect(bestColumns(3, 512, 400)).toBe(2);
    // Two on a tall phone: one above the other.
    expect(bestColumns(2, 336, 450)).toBe(1);
    // Two on a wide screen: side by side.
    expect(bestColumns(2, 1200, 500)).toBe(2);
  });
});
