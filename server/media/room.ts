// One consultation's media: a Router on the least-loaded worker and the peers
// in it. Producers are looked up only among this room's peers, so a
// participant can never reach another consultation's media. close() is
// idempotent and cascades: peers, then the Router with everything on it.
//
// A peer belongs to its participant, not to a connection: when their last
// connection goes the peer is held for a grace period (peer-grace.ts) and
// their next connection claims it; at expiry it is closed unless its
// transports still carry media, in which case it is held again.
import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';
import { AppError } from '../core/errors.ts';
import { Peer, type PeerEvents, type ProducerAppData } from './peer.ts';
import { PeerGrace } from './peer-grace.ts';

/** Default grace period when the registry is not given one (config: mediasoup.resumeGraceSeconds). */
export const DEFAULT_PEER_GRACE_MS = 45_000;

/** A consultation's room, or a self-test's (one browser talking to itself). */
export type RoomPurpose = 'consultation' | 'selftest';

export type RoomCloseReason = 'ended' | 'worker-died' | 'shutdown' | 'moved';

export type RoomEvents = {
  /** moved: its node drained or its consultation was placed elsewhere; the pages rebuild media there. */
  close: [reason: RoomCloseReason];
  /** A held peer was closed at the end of its grace period (nobody came back, no media flowing). */
  peerExpired: [participantId: string];
};

export class Room extends EventEmitter<RoomEvents> {
  readonly id: string;
  readonly purpose: RoomPurpose;
  readonly router: types.Router;
  readonly #webRtcServer: types.WebRtcServer;
  readonly #peers = new Map<string, Peer>();
  readonly #grace: PeerGrace;
  #closed = false;

  constructor(id: string, router: types.Router, webRtcServer: types.WebRtcServer, purpose: RoomPurpose = 'consultation', graceMs = DEFAULT_PEER_GRACE_MS) {
    super();
    this.id = id;
    this.purpose = purpose;
    this.router = router;
    this.#webRtcServer = webRtcServer;
    this.#grace = new PeerGrace(graceMs, (participantId) => {
      const peer = this.existingPeer(participantId);
      if (!peer) return 'closed';
      if (peer.carriesMedia()) return 'keep';
      this.closePeer(participantId);
      this.emit('peerExpired', participantId);
      return 'closed';
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  get rtpCapabilities(): types.RtpCapabilities {
    return this.router.rtpCapabilities;
  }

  /** The peer for this participant, created on first use. */
  peer(participantId: string, events: PeerEvents): Peer {
    if (this.#closed) throw new AppError('CONSULTATION_ENDED');
    let peer = this.#peers.get(participantId);
    if (!peer || peer.closed) {
      const made: Peer = new Peer(participantId, this.router, this.#webRtcServer, {
        ...events,
        onSendPathChanged: () => this.#keyFramesFrom(made),
      });
      peer = made;
      this.#peers.set(participantId, peer);
    }
    return peer;
  }

  /** Everyone receiving this peer's video asks it for a keyframe (its sending path just changed). */
  #keyFramesFrom(sender: Peer): void {
    const video = new Set(sender.producers.filter((p) => p.kind === 'video').map((p) => p.id));
    if (video.size === 0) return;
    for (const peer of this.#peers.values()) if (peer !== sender) peer.requestKeyFrames(video);
  }

  /** The participants with media in this room now. */
  participants(): string[] {
    return [...this.#peers.values()].filter((p) => !p.closed).map((p) => p.id);
  }

  existingPeer(participantId: string): Peer | undefined {
    const p = this.#peers.get(participantId);
    return p && !p.closed ? p : undefined;
  }

  /** Their last connection went: keep their media (if any) for the grace period. */
  holdPeer(participantId: string): void {
    if (this.existingPeer(participantId)) this.#grace.hold(participantId);
  }

  /** A connection of theirs is back: their media is theirs again, no longer on a timer. */
  claimPeer(participantId: string): void {
    this.#grace.release(participantId);
  }

  /** Whether their media is being held for them (no connection of theirs right now). */
  peerHeld(participantId: string): boolean {
    return this.#grace.isHeld(participantId);
  }

  /** Closes one participant's media (sent back, removed, left, grace over). */
  closePeer(participantId: string): void {
    this.#grace.release(participantId);
    this.#peers.get(participantId)?.close();
    this.#peers.delete(participantId);
  }

  producer(producerId: string): types.Producer<ProducerAppData> {
    for (const peer of this.#peers.values()) {
      const p = peer.producers.find((x) => x.id === producerId);
      if (p) return p;
    }
    throw new AppError('NOT_FOUND', 'No such producer in this consultation.');
  }

  /** Every producer of every peer in this room. */
  allProducers(): types.Producer<ProducerAppData>[] {
    return [...this.#peers.values()].flatMap((p) => p.producers);
  }

  counts(): { peers: number; transports: number; producers: number; consumers: number } {
    const out = { peers: this.#peers.size, transports: 0, producers: 0, consumers: 0 };
    for (const p of this.#peers.values()) {
      const c = p.counts();
      out.transports += c.transports;
      out.producers += c.producers;
      out.consumers += c.consumers;
    }
    return out;
  }

  close(reason: RoomCloseReason = 'ended'): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#grace.clear();
    for (const p of this.#peers.values()) p.close();
    this.#peers.clear();
    this.router.close();
    this.emit('close', reason);
  }
}
