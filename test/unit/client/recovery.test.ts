// The consultation model through network trouble, over a fake socket and fake
// media sessions with fake timers: media outlives a socket drop and is resumed
// (or rebuilt when the server no longer holds it), a failed transport gets an
// ICE restart, retryable refusals are retried and never final, and past the
// give-up limit the page hears 'lost' and rejoin() reconnects.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ClientError } from '../../../client/src/net/rpc.ts';
import { RECONNECT_GIVE_UP_MS } from '../../../client/src/model/reconnect-policy.ts';
import { setup, view } from './fake-consultation.ts';
import { NO_REPLY } from './fake-socket.ts';

/** The media:resume requests after the set-up's own (a fresh start: an empty list releases leftovers). */
function resumes(socket: { named(name: string): unknown[] }): unknown[] {
  return socket.named('media:resume').filter((p) => (p as { transportIds: string[] }).transportIds.length > 0);
}

/** Lets pending promise chains run (the fake socket answers through promises, not timers). */
async function ticks(): Promise<void> {
  for (let i = 0; i < 50; i++) await Promise.resolve();
}

const OTHER = [{ id: 'p-other', state: 'admitted' }];

/** Connected and admitted with media running, the other person's video subscribed. */
async function inCall(...args: Parameters<typeof setup>) {
  const t = setup(...args);
  t.socket.answer('media:resume', () => ({ resumed: true }));
  t.socket.answer('consultation:state', () => view('admitted', OTHER));
  t.socket.accept();
  t.socket.fire('consultation:state', view('admitted', OTHER));
  await ticks();
  expect(t.c.media).toBe(t.medias[0]);
  return { ...t, m: t.medias[0]! };
}

function lastConnection(t: { on: { connection: { mock: { calls: unknown[][] } } } }): unknown {
  return t.on.connection.mock.calls.at(-1)?.[0];
}

describe('Consultation recovery', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('keeps media through a socket drop, then resumes it: ICE restarted and producers caught up', async () => {
    const t = await inCall();
    const [send, recv] = t.m.transportIds as [string, string];
    t.socket.drop('transport close');
    expect(lastConnection(t)).toBe('reconnecting');
    expect(t.m.close).not.toHaveBeenCalled();
    expect(t.remote.cleared).not.toHaveBeenCalled();
    expect(t.c.media).toBe(t.m);

    // While away, the other person's camera was replaced; our receive path went quiet.
    t.socket.answer('media:producers', () => ({
      producers: [{ producerId: 'pr-new', participantId: 'p-other', kind: 'video', paused: false }],
    }));
    t.m.setState(recv, 'disconnected');
    t.socket.accept();
    await ticks();

    expect(resumes(t.socket)).toEqual([{ transportIds: [send, recv] }]);
    expect(t.medias).toHaveLength(1);
    expect(t.m.restartIce).toHaveBeenCalledWith(recv);
    expect(t.remote.removed).toHaveBeenCalledWith('c-pr-other');
    expect(t.remote.added).toHaveBeenCalledWith(expect.objectContaining({ consumerId: 'c-pr-new' }));
    expect(t.remote.cleared).not.toHaveBeenCalled();
    // Not "connected" until the media path is back.
    expect(lastConnection(t)).toBe('reconnecting');
    t.m.setState(recv, 'connected');
    expect(lastConnection(t)).toBe('connected');
    expect(t.c.recovery).toMatchObject({ resumptions: 1, rebuilds: 0, socketReconnects: 1 });
    expect(t.c.recovery.iceRestarts).toBeGreaterThanOrEqual(1);
  });

  it('starts a fresh set-up by releasing what the server still holds for this person (e.g. the page before a reload)', async () => {
    const t = setup();
    let startedAfterRelease = false;
    t.socket.answer('media:resume', () => {
      startedAfterRelease = t.medias[0]!.start.mock.calls.length === 0;
      return { resumed: false };
    });
    t.socket.accept();
    t.socket.fire('consultation:state', view('admitted', OTHER));
    await ticks();
    expect(t.socket.named('media:resume')).toEqual([{ transportIds: [] }]);
    expect(startedAfterRelease).toBe(true);
    expect(t.medias[0]!.start).toHaveBeenCalled();
  });

  it('builds media afresh when the server no longer holds it, without a new admission', async () => {
    const t = await inCall();
    t.socket.answer('media:resume', () => ({ resumed: false }));
    t.socket.drop('ping timeout');
    t.socket.accept();
    await ticks();
    expect(t.m.close).toHaveBeenCalled();
    expect(t.remote.cleared).toHaveBeenCalled();
    expect(t.medias).toHaveLength(2);
    expect(t.medias[1]!.start).toHaveBeenCalled();
    expect(t.c.media).toBe(t.medias[1]);
    expect(t.remote.added).toHaveBeenLastCalledWith(expect.objectContaining({ consumerId: 'c-pr-other' }));
    expect(t.c.recovery).toMatchObject({ resumptions: 0, rebuilds: 1 });
    expect(lastConnection(t)).toBe('connected');
    expect(t.socket.requests.map((r) => r.name).filter((n) => n.startsWith('lobby:'))).toEqual([]);
  });

  it('restarts ICE when a transport fails with the socket up, after checking the socket answers', async () => {
    const t = await inCall();
    const [send, recv] = t.m.transportIds as [string, string];
    // A blip shorter than the threshold is left to the browser.
    t.m.setState(recv, 'disconnected');
    await vi.advanceTimersByTimeAsync(1_000);
    t.m.setState(recv, 'connected');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(t.m.restartIce).not.toHaveBeenCalled();

    t.m.setState(send, 'failed');
    await ticks();
    expect(t.socket.named('consultation:state')).toHaveLength(1);
    expect(t.m.restartIce).toHaveBeenCalledWith(send);
    expect(t.m.restartIce).not.toHaveBeenCalledWith(recv);
    expect(lastConnection(t)).toBe('reconnecting');
    t.m.setState(send, 'connected');
    expect(lastConnection(t)).toBe('connected');
    expect(t.c.recovery.iceRestarts).toBe(1);

    // Disconnected for longer than the threshold counts too (a second recovery this soon waits a little).
    t.m.setState(recv, 'disconnected');
    await vi.advanceTimersByTimeAsync(2_500);
    expect(t.m.restartIce).not.toHaveBeenCalledWith(recv);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(t.m.restartIce).toHaveBeenCalledWith(recv);
  });

  it('rebuilds the media session when an ICE restart does not bring the transport back', async () => {
    const t = await inCall();
    const [send] = t.m.transportIds as [string, string];
    t.m.setState(send, 'failed');
    await ticks();
    expect(t.m.restartIce).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(9_000);
    expect(t.medias).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_500);
    expect(t.m.close).toHaveBeenCalled();
    expect(t.medias).toHaveLength(2);
    expect(t.c.recovery.rebuilds).toBe(1);
    expect(lastConnection(t)).toBe('connected');
  });

  it('forces a reconnect when the socket does not answer, and resumes media on it', async () => {
    const t = await inCall();
    const [send] = t.m.transportIds as [string, string];
    t.socket.answer('consultation:state', () => NO_REPLY);
    t.m.setState(send, 'failed');
    await ticks();
    await vi.advanceTimersByTimeAsync(2_100);
    expect(t.socket.connected).toBe(false);
    expect(t.socket.connectCalls).toBe(1);
    expect(t.m.restartIce).not.toHaveBeenCalled();
    t.socket.accept();
    await ticks();
    expect(resumes(t.socket)).toHaveLength(1);
    expect(t.m.restartIce).toHaveBeenCalledWith(send);
  });

  it('retries a retryable connect refusal with backoff, never as a final error', async () => {
    const t = setup();
    const refuse = () => {
      t.socket.active = false; // a middleware refusal: socket.io does not retry it by itself
      t.socket.fire('connect_error', Object.assign(new Error('store down'), { data: { code: 'UNAVAILABLE', message: 'Try again.' } }));
    };
    refuse();
    expect(lastConnection(t)).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(t.socket.connectCalls).toBe(1);
    refuse();
    refuse();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(t.socket.connectCalls).toBe(2);
    t.socket.accept();
    expect(lastConnection(t)).toBe('connected');
    expect(t.on.failed).not.toHaveBeenCalled();
  });

  it('retries media set-up for as long as a retryable refusal lasts, without a final message', async () => {
    const t = setup(new ClientError('UNAVAILABLE', 'Store down.'));
    t.socket.accept();
    t.socket.fire('consultation:state', view('admitted'));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.medias.length).toBeGreaterThan(5);
    expect(t.on.mediaProblem).not.toHaveBeenCalled();
    expect(lastConnection(t)).toBe('reconnecting');
  });

  it("ends with 'replaced' when another window takes over", () => {
    const t = setup();
    t.socket.accept();
    t.socket.fire('consultation:ended', { reason: 'replaced' });
    expect(t.on.ended).toHaveBeenCalledWith('replaced');
    expect(t.socket.closed).toBe(true);
  });

  it("says 'restarting' from the server's notice until connected again", () => {
    const t = setup();
    t.socket.accept();
    t.socket.fire('server:restarting', {});
    t.socket.drop('transport close');
    expect(lastConnection(t)).toBe('restarting');
    t.socket.fire('connect_error', new Error('refused'));
    expect(lastConnection(t)).toBe('restarting');
    t.socket.accept();
    expect(lastConnection(t)).toBe('connected');
    expect(t.on.failed).not.toHaveBeenCalled();
  });

  it("says 'lost' after the give-up limit, and rejoin() reconnects and resumes", async () => {
    const t = await inCall();
    t.socket.drop('transport close');
    await vi.advanceTimersByTimeAsync(RECONNECT_GIVE_UP_MS - 1_000);
    expect(lastConnection(t)).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(lastConnection(t)).toBe('lost');
    expect(t.m.close).not.toHaveBeenCalled();

    t.c.rejoin();
    expect(lastConnection(t)).toBe('reconnecting');
    expect(t.socket.connectCalls).toBe(1);
    t.socket.accept();
    await ticks();
    expect(resumes(t.socket)).toHaveLength(1);
    expect(lastConnection(t)).toBe('connected');
    expect(t.medias).toHaveLength(1);
  });

  it("reconnects at once on the browser's 'online', and restarts ICE when the socket survived", async () => {
    let online = () => {};
    const environment = {
      onOnline: (fn: () => void) => {
        online = fn;
        return () => undefined;
      },
    };
    const t = await inCall(undefined, { environment });
    online();
    await ticks();
    expect(t.m.restartIce).toHaveBeenCalledTimes(2);

    t.socket.drop('transport close');
    online();
    expect(t.socket.disconnectCalls).toBe(1); // cancels socket.io's pending delay
    expect(t.socket.connectCalls).toBe(1);
  });

  it('keeps what was admitted and what was waiting: sent back while away stops media', async () => {
    const t = await inCall();
    t.socket.drop('transport close');
    t.socket.accept();
    t.socket.fire('consultation:state', view('waiting', OTHER));
    await ticks();
    expect(t.m.close).toHaveBeenCalled();
    expect(t.medias).toHaveLength(1);
    expect(lastConnection(t)).toBe('connected');
  });
});
