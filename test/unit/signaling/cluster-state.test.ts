// What a node believes about the other nodes' people: presence mirrored from
// their events (and dropped with a dead node), the media facts their Routers
// publish, and where a media request goes (the owner remembered until it
// fails or dies).
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../server/core/errors.ts';
import type { AppointmentId, ParticipantId } from '../../../server/core/ids.ts';
import type { MediaRelay, Placement, RelayRequest } from '../../../server/cluster/contract.ts';
import type { ConsultationService } from '../../../server/domain/consultation.ts';
import { MediaFactsCache } from '../../../server/signaling/media-facts.ts';
import { MediaRouter } from '../../../server/signaling/media-router.ts';
import { Presence } from '../../../server/signaling/presence.ts';

const apt = 'apt-1' as AppointmentId;
const pat = 'pat-1' as ParticipantId;

describe('Presence across nodes', () => {
  it('is connected while any node says so, and forgets a dead node', () => {
    const p = new Presence();
    expect(p.isConnected(pat)).toBe(false);
    p.remote('node-b', apt, pat, true);
    p.remote('node-c', apt, pat, true);
    expect(p.isConnected(pat)).toBe(true);
    expect(p.isConnectedHere(pat)).toBe(false);
    expect(p.isConnectedElsewhere(pat)).toBe(true);
    p.remote('node-b', apt, pat, false);
    expect(p.isConnected(pat)).toBe(true);
    expect(p.dropNode('node-c')).toEqual([{ appointmentId: apt, participantId: pat }]);
    expect(p.isConnected(pat)).toBe(false);
    expect(p.dropNode('node-c')).toEqual([]);
  });

  it('counts first and last sockets here, apart from other nodes', () => {
    const p = new Presence();
    p.remote('node-b', apt, pat, true);
    expect(p.add(pat, 's1', apt, '10.0.0.1')).toBe(true);
    expect(p.add(pat, 's2', apt, '10.0.0.1')).toBe(false);
    expect(p.participantsIn(apt)).toEqual([pat]);
    expect(p.remove(pat, 's1', '10.0.0.1')).toBe(false);
    expect(p.remove(pat, 's2', '10.0.0.1')).toBe(true);
    expect(p.participantsIn(apt)).toEqual([]);
    expect(p.isConnected(pat)).toBe(true);
    expect(p.count).toBe(0);
  });
});

describe('MediaFactsCache', () => {
  it('says whether facts changed and derives the connection everyone sees', () => {
    const facts = new MediaFactsCache();
    const presence = new Presence();
    const connectionOf = facts.connectionOf(presence);
    expect(facts.set(apt, {})).toBe(false);
    expect(connectionOf(apt, pat)).toBe('offline');
    expect(facts.set(apt, { [pat]: { held: true } })).toBe(true);
    expect(facts.set(apt, { [pat]: { held: true } })).toBe(false);
    expect(connectionOf(apt, pat)).toBe('reconnecting');
    presence.remote('node-b', apt, pat, true);
    expect(facts.set(apt, { [pat]: { iceDisconnected: true, videoPaused: { sending: true, receiving: false } } })).toBe(true);
    expect(connectionOf(apt, pat)).toBe('reconnecting');
    expect(facts.videoPausedOf()(apt, pat)).toEqual({ sending: true, receiving: false });
    expect(facts.set(apt, {})).toBe(true);
    expect(connectionOf(apt, pat)).toBe('online');
    expect(facts.videoPausedOf()(apt, pat)).toBeUndefined();
  });
});

describe('MediaRouter', () => {
  function rig(replies: ((to: string) => Awaited<ReturnType<MediaRelay['call']>>)[]) {
    const placed: string[] = [];
    const calls: { to: string; req: RelayRequest }[] = [];
    let owner = 'node-a';
    let admitted = true;
    const placement: Placement = {
      ownerOf: () => {
        placed.push(owner);
        return Promise.resolve(owner);
      },
      owner: () => Promise.resolve(owner),
      release: () => Promise.resolve(true),
      releaseAll: () => Promise.resolve([]),
    };
    const relay: MediaRelay = {
      start: () => Promise.resolve(),
      stop: () => Promise.resolve(),
      call: (to, req) => {
        calls.push({ to, req });
        const next = replies.shift();
        return Promise.resolve(next ? next(to) : { ok: true, data: { to } });
      },
    };
    const consultations = {
      requireAdmitted: () => (admitted ? Promise.resolve({}) : Promise.reject(new AppError('NOT_ADMITTED'))),
    } as unknown as ConsultationService;
    const router = new MediaRouter({ placement, relay, consultations });
    return { router, placed, calls, moveTo: (n: string) => (owner = n), refuse: () => (admitted = false) };
  }

  it('places once, then relays to the remembered owner', async () => {
    const r = rig([]);
    await r.router.run(apt, pat, 'media:capabilities', {});
    await r.router.run(apt, pat, 'media:producers', {});
    expect(r.placed).toEqual(['node-a']);
    expect(r.calls.map((c) => [c.to, c.req.op])).toEqual([
      ['node-a', 'media:capabilities'],
      ['node-a', 'media:producers'],
    ]);
  });

  it('never places for someone not admitted', async () => {
    const r = rig([]);
    r.refuse();
    await expect(r.router.run(apt, pat, 'media:capabilities', {})).rejects.toMatchObject({ code: 'NOT_ADMITTED' });
    expect(r.placed).toEqual([]);
    expect(r.calls).toEqual([]);
  });

  it('asks again after the owner fails, refuses or dies, and passes typed errors on', async () => {
    const media = new AppError('MEDIA_ERROR', 'The media server did not answer; please try again.').toJSON();
    const r = rig([() => ({ ok: false, error: media })]);
    await expect(r.router.run(apt, pat, 'media:capabilities', {})).rejects.toMatchObject({ code: 'MEDIA_ERROR' });
    r.moveTo('node-b');
    await expect(r.router.run(apt, pat, 'media:capabilities', {})).resolves.toEqual({ to: 'node-b' });
    r.router.forgetNode('node-b');
    r.moveTo('node-c');
    await r.router.run(apt, pat, 'media:producers', {});
    expect(r.placed).toEqual(['node-a', 'node-b', 'node-c']);
    // A refusal that is about the request, not the node, keeps the owner.
    const forbidden = new AppError('FORBIDDEN', 'That stream is not for you.').toJSON();
    const k = rig([() => ({ ok: false, error: forbidden })]);
    await expect(k.router.run(apt, pat, 'media:consume', { transportId: 'a', producerId: 'b', rtpCapabilities: {} })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await k.router.run(apt, pat, 'media:producers', {});
    expect(k.placed).toEqual(['node-a']);
  });
});
