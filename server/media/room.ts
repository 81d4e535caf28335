// One consultation's media: a Router on the least-loaded worker and the peers
// in it. Producers are looked up only among this room's peers, so a
// participant can never reach another consultation's media. close() is
// idempotent and cascades: peers, then the Router with everything on it.
import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';
import { AppError } from '../core/errors.ts';
import { Peer, type PeerEvents, type ProducerAppData } from './peer.ts';

/** A consultation's room, or a self-test's (one browser talking to itself). */
export type RoomPurpose = 'consultation' | 'selftest';

export type RoomEvents = {
  close: [reason: 'ended' | 'worker-died' | 'shutdown'];
};

export class Room extends EventEmitter<RoomEvents> {
  readonly id: string;
  readonly purpose: RoomPurpose;
  readonly router: types.Router;
  readonly #webRtcServer: types.WebRtcServer;
  readonly #peers = new Map<string, Peer>();
  #closed = false;

  constructor(id: string, router: types.Router, webRtcServer: types.WebRtcServer, purpose: RoomPurpose = 'consultation') {
    super();
    this.id = id;
    this.purpose = purpose;
    this.router = router;
    this.#webRtcServer = webRtcServer;
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
      peer = new Peer(participantId, this.router, this.#webRtcServer, events);
      this.#peers.set(participantId, peer);
    }
    return peer;
  }

  existingPeer(participantId: string): Peer | undefined {
    const p = this.#peers.get(participantId);
    return p && !p.closed ? p : undefined;
  }

  /** Closes one participant's media (sent back, removed, left). */
  closePeer(participantId: string): void {
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

  close(reason: 'ended' | 'worker-died' | 'shutdown' = 'ended'): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const p of this.#peers.values()) p.close();
    this.#peers.clear();
    this.router.close();
    this.emit('close', reason);
  }
}
