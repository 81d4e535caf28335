// The adaptation acting on a fake media session whose link the test makes
// good or bad: video steps down (receiving: lowest layer, then paused at the
// SFU; sending: lowest layer, then paused) and back up, the server is told
// what is paused (before the video stops), the person's own camera choice is
// never overridden, audio is never touched, and the call view gets one
// CallNetwork, only when it changed.
import { describe, expect, it, vi } from 'vitest';
import type { CallNetwork } from '../../../client/src/model/call-network.ts';
import type { LinkStats } from '../../../client/src/model/media-session.ts';
import { VideoAdaptation, type VideoPausedState } from '../../../client/src/model/video-adaptation.ts';
import type { ConsultationView } from '../../../server/wire/participants.ts';
import { setup, view } from './fake-consultation.ts';
import { settle } from './fake-socket.ts';

interface Link {
  availableBitrate: number;
  sendLoss: number;
  recvLoss: number;
  jitter: number;
  rtt: number;
}
const GOOD: Link = { availableBitrate: 1_500_000, sendLoss: 0, recvLoss: 0, jitter: 0.005, rtt: 0.02 };
const BAD: Link = { availableBitrate: 50_000, sendLoss: 0.3, recvLoss: 0.3, jitter: 0.3, rtt: 1.5 };

function fakeLink() {
  let link = GOOD;
  const counters = { packetsReceived: 0, packetsLost: 0, videoFramesDecoded: 0 };
  const calls: string[] = [];
  const consumers = [{ consumerId: 'c-video', participantId: 'p-other' }];
  const media = {
    sendingCamera: true,
    linkStats: vi.fn(async (): Promise<LinkStats> => {
      counters.packetsReceived += Math.round(200 * (1 - link.recvLoss));
      counters.packetsLost += Math.round(200 * link.recvLoss);
      counters.videoFramesDecoded += 50;
      return {
        send: { availableBitrate: link.availableBitrate, fractionLost: link.sendLoss, audioFractionLost: link.sendLoss, rttSeconds: link.rtt, bandwidthLimited: false },
        recv: { ...counters, jitterSeconds: link.jitter, rttSeconds: link.rtt },
      };
    }),
    // As MediaSession: a level already in force changes nothing.
    level: 'top',
    setSendLevel: vi.fn(async (level: string) => {
      if (level !== media.level) calls.push(`send:${level}`);
      media.level = level;
    }),
    videoConsumers: () => consumers,
    setConsumerPaused: vi.fn(async (id: string, paused: boolean) => void calls.push(`consumer:${id}:${paused ? 'pause' : 'resume'}`)),
    preferLayer: vi.fn(async (id: string, layer: number) => void calls.push(`layer:${id}:${layer}`)),
  };
  return {
    media,
    calls,
    set: (l: Link) => (link = l),
  };
}

function adaptation(tellImpl?: (p: VideoPausedState) => Promise<void>) {
  let clock = 0;
  const told: VideoPausedState[] = [];
  const network: CallNetwork[] = [];
  const link = fakeLink();
  const tell = vi.fn(tellImpl ?? (async (p: VideoPausedState) => void told.push(p)));
  const a = new VideoAdaptation(
    {
      tell: async (p) => {
        link.calls.push(`tell:${p.sending}/${p.receiving}`);
        await tell(p);
      },
      network: (s) => network.push(s),
    },
    { everyMs: 0, now: () => (clock += 2000) },
  );
  a.start(link.media);
  const polls = async (n: number) => {
    for (let i = 0; i < n; i++) await a.poll();
  };
  return { a, link, told, tell, network, polls };
}

const withOther = (videoPaused?: { sending: boolean; receiving: boolean }): ConsultationView =>
  ({
    ...view('admitted'),
    admitted: [{ id: 'p-other', name: 'Dr Jones', state: 'admitted', ...(videoPaused ? { videoPaused } : {}) }],
  }) as unknown as ConsultationView;

describe('VideoAdaptation', () => {
  it('on a good link changes nothing and tells the server nothing', async () => {
    const { a, link, told, polls, network } = adaptation();
    await polls(20);
    expect(a.sendLevel).toBe('top');
    expect(a.receiveLevel).toBe('top');
    expect(told).toEqual([]);
    expect(link.media.setConsumerPaused).not.toHaveBeenCalled();
    expect(link.calls).toEqual([]);
    expect(network.at(-1)!.self).toEqual({ quality: 'good', sendingPaused: false, receivingPaused: false });
  });

  it('on a bad link steps down to the lowest layer, then pauses video both ways, telling the server first', async () => {
    const { a, link, told, polls, network } = adaptation();
    await polls(2);
    link.set(BAD);
    await polls(10);
    expect(a.sendLevel).toBe('audio');
    expect(a.receiveLevel).toBe('audio');
    const sends = link.calls.filter((c) => c.startsWith('send:'));
    expect(sends).toEqual(['send:low', 'send:audio']);
    const recv = link.calls.filter((c) => c.startsWith('layer:') || c.startsWith('consumer:'));
    expect(recv).toEqual(['layer:c-video:0', 'consumer:c-video:pause']);
    // The others learn why before the video stops.
    expect(link.calls.indexOf('tell:true/true')).toBeLessThan(link.calls.indexOf('consumer:c-video:pause'));
    expect(link.calls.indexOf('tell:true/true')).toBeLessThan(link.calls.indexOf('send:audio'));
    expect(told.at(-1)).toEqual({ sending: true, receiving: true });
    expect(network.at(-1)!.self).toEqual({ quality: 'poor', sendingPaused: true, receivingPaused: true });
    // Audio is never paused: only the video consumer was.
    expect(link.media.setConsumerPaused.mock.calls.every(([id]) => id === 'c-video')).toBe(true);
  });

  it('never pauses on one bad sample', async () => {
    const { a, link, told, polls } = adaptation();
    await polls(2);
    link.set(BAD);
    await polls(1);
    link.set(GOOD);
    await polls(20);
    expect(told).toEqual([]);
    expect(link.media.setConsumerPaused).not.toHaveBeenCalled();
    expect(a.sendLevel).toBe('top');
  });

  it('comes back when the link recovers: the lowest layer first, then the top, and tells the server', async () => {
    const { a, link, told, polls, network } = adaptation();
    await polls(2);
    link.set(BAD);
    await polls(10);
    link.calls.length = 0;
    link.set(GOOD);
    await polls(40);
    expect(a.sendLevel).toBe('top');
    expect(a.receiveLevel).toBe('top');
    expect(link.calls.filter((c) => c.startsWith('send:'))).toEqual(['send:low', 'send:top']);
    const recv = link.calls.filter((c) => c.startsWith('layer:') || c.startsWith('consumer:'));
    expect(recv).toEqual(['consumer:c-video:resume', 'layer:c-video:2']);
    expect(told.at(-1)).toEqual({ sending: false, receiving: false });
    // Resumed before the server was told it flows again.
    expect(link.calls.indexOf('consumer:c-video:resume')).toBeLessThan(link.calls.indexOf('tell:false/false'));
    expect(network.at(-1)!.self).toEqual({ quality: 'good', sendingPaused: false, receivingPaused: false });
  });

  it('with the camera turned off by the person, never says its sending is paused', async () => {
    const { a, link, told, polls } = adaptation();
    link.media.sendingCamera = false;
    await polls(2);
    link.set(BAD);
    await polls(10);
    expect(a.sendLevel).toBe('top');
    expect(told.at(-1)).toEqual({ sending: false, receiving: true });
  });

  it('tells the server again at the next sample when it could not', async () => {
    let fail = true;
    const { link, told, polls } = adaptation(async (p) => {
      if (fail) throw new Error('timeout');
      told.push(p);
    });
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    await polls(2);
    link.set(BAD);
    await polls(10);
    expect(told).toEqual([]);
    expect(link.media.setConsumerPaused).toHaveBeenCalledWith('c-video', true);
    fail = false;
    await polls(1);
    expect(told).toEqual([{ sending: true, receiving: true }]);
    vi.restoreAllMocks();
  });

  it('tells the view whose link paused which video, only on a change', async () => {
    const { a, link, network, polls } = adaptation();
    await polls(3);
    const before = network.length;
    a.view(withOther({ sending: true, receiving: true }));
    expect(network).toHaveLength(before + 1);
    expect(network.at(-1)!.remotes.get('p-other')).toMatchObject({ videoPaused: 'their-link', cannotSeeYou: true, quality: 'poor' });
    a.view(withOther({ sending: true, receiving: true }));
    await polls(1);
    expect(network).toHaveLength(before + 1);
    a.view(withOther());
    expect(network.at(-1)!.remotes.get('p-other')).toMatchObject({ videoPaused: 'none', cannotSeeYou: false });
    link.set(BAD);
    await polls(10);
    expect(network.at(-1)!.remotes.get('p-other')).toMatchObject({ videoPaused: 'your-link', cannotSeeYou: false });
  });

  it("does not blame its own link for a sender's damaged stream, unless that sender has paused it", async () => {
    const { a, link, told, polls } = adaptation();
    link.media.sendingCamera = false;
    await polls(2);
    // The other person's stream reaches the SFU damaged: the loss we see is theirs.
    a.score('c-video', 10, 3);
    link.set({ ...GOOD, recvLoss: 0.3, jitter: 0.3 });
    await polls(10);
    expect(a.receiveLevel).toBe('top');
    expect(told).toEqual([]);
    // A stream its sender paused scores nothing upstream: that says nothing about the loss we see.
    a.senderPaused('c-video', true);
    await polls(10);
    expect(a.receiveLevel).toBe('audio');
  });

  it('resumes a paused video even after a failed attempt', async () => {
    const { a, link, polls } = adaptation();
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    await polls(2);
    link.set(BAD);
    await polls(10);
    link.set(GOOD);
    link.media.setConsumerPaused.mockRejectedValueOnce(new Error('timeout'));
    await polls(40);
    expect(a.receiveLevel).toBe('top');
    expect(link.media.setConsumerPaused).toHaveBeenLastCalledWith('c-video', false);
    expect(link.calls.filter((c) => c.startsWith('consumer:')).at(-1)).toBe('consumer:c-video:resume');
    vi.restoreAllMocks();
  });

  it('starts afresh at the top with a new media session', async () => {
    const { a, link, polls } = adaptation();
    await polls(2);
    link.set(BAD);
    await polls(10);
    a.start(fakeLink().media);
    expect(a.sendLevel).toBe('top');
    expect(a.receiveLevel).toBe('top');
  });
});

describe('Consultation with the adaptation', () => {
  it('runs the adaptation while admitted with media, and tells the server through self:videoPaused', async () => {
    const { socket, medias, c, remote } = setup();
    const told: unknown[] = [];
    socket.answer('self:videoPaused', (p: unknown) => (told.push(p), {}));
    socket.accept();
    socket.fire('consultation:state', view('admitted', [{ id: 'p-other', state: 'admitted' }]));
    await settle();
    const m = medias[0]!;
    m.videoConsumers = () => [{ consumerId: 'c-pr-other', participantId: 'p-other' }];
    let lost = 0;
    let received = 0;
    m.linkStats.mockImplementation(async () => {
      lost += 60;
      received += 40;
      return {
        send: { availableBitrate: 40_000, fractionLost: 0.4, audioFractionLost: 0.4, rttSeconds: 2, bandwidthLimited: true },
        recv: { packetsReceived: received, packetsLost: lost, videoFramesDecoded: 0, jitterSeconds: 0.4, rttSeconds: 2 },
      };
    });
    for (let i = 0; i < 10; i++) await c.adaptation.poll();
    expect(m.setSendLevel).toHaveBeenLastCalledWith('audio');
    expect(m.setConsumerPaused).toHaveBeenCalledWith('c-pr-other', true);
    expect(told.at(-1)).toEqual({ sending: true, receiving: true });
    expect(remote.network).toHaveBeenLastCalledWith(expect.objectContaining({ self: expect.objectContaining({ sendingPaused: true, receivingPaused: true }) as unknown }));

    // Sent back: media stops, and so does the adaptation (nothing paused any more).
    socket.fire('consultation:state', view('waiting'));
    await settle();
    expect(remote.network).toHaveBeenLastCalledWith(expect.objectContaining({ self: { quality: 'unknown', sendingPaused: false, receivingPaused: false } }));
    c.close();
  });
});
