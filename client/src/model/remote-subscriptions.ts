// What this page receives: one consumer per producer of the others (never its
// own), told to the call view as it comes and goes. A subscription is tied to
// the media session that made it; `current()` says whether that session is
// still the live one, so a late answer for a closed session is dropped.
import type { ProducerAnnouncement } from '../../../server/wire/media.ts';
import type { ConsultationView } from '../../../server/wire/participants.ts';
import type { MediaSession, RemoteTrack } from './media-session.ts';
import type { CallNetwork } from './call-network.ts';

/** Where remote media and who is in the call go (the call view, wired by the page). */
export interface RemoteMedia {
  /** Every consultation:state, before the media session follows it. */
  participants(view: ConsultationView): void;
  added(track: RemoteTrack): void;
  removed(consumerId: string): void;
  paused(consumerId: string, paused: boolean): void;
  score(consumerId: string, score: number): void;
  /** The call's network state changed (quality, video paused to keep sound clear). */
  network(state: CallNetwork): void;
  /** All remote media gone (sent back, media rebuilt). */
  cleared(): void;
  /** The consultation is closed. */
  closed(): void;
}

interface Known {
  participantId: string;
  kind: 'audio' | 'video';
  consumerId?: string;
  media: MediaSession;
}

export class RemoteSubscriptions {
  readonly #remote: RemoteMedia;
  readonly #selfId: () => string | undefined;
  readonly #known = new Map<string, Known>();

  constructor(remote: RemoteMedia, selfId: () => string | undefined) {
    this.#remote = remote;
    this.#selfId = selfId;
  }

  /** Receives `a` through `media`, unless it is this page's own or already received. */
  async subscribe(media: MediaSession, a: ProducerAnnouncement, current: () => boolean): Promise<void> {
    if (!current() || a.participantId === this.#selfId() || this.#known.has(a.producerId)) return;
    const k: Known = { participantId: a.participantId, kind: a.kind, media };
    this.#known.set(a.producerId, k);
    try {
      const r = await media.subscribe(a);
      if (!current() || this.#known.get(a.producerId) !== k) {
        media.dropConsumer(r.consumerId);
        return;
      }
      k.consumerId = r.consumerId;
      this.#remote.added(r);
    } catch (e) {
      if (this.#known.get(a.producerId) === k) this.#known.delete(a.producerId);
      if (current()) console.warn('could not receive a stream', e);
    }
  }

  /** The producer closed (or its consumer did): its tile goes. */
  forget(producerId: string): void {
    const k = this.#known.get(producerId);
    if (!k) return;
    this.#known.delete(producerId);
    if (k.consumerId) {
      this.#remote.removed(k.consumerId);
      k.media.dropConsumer(k.consumerId);
    }
  }

  forgetConsumer(consumerId: string): void {
    for (const [pid, k] of this.#known) if (k.consumerId === consumerId) this.forget(pid);
  }

  paused(producerId: string, paused: boolean): void {
    const k = this.#known.get(producerId);
    if (k?.consumerId) this.#remote.paused(k.consumerId, paused);
  }

  /**
   * After a socket gap (events missed): `producers` is everything in the room
   * now. Vanished ones are forgotten, new ones received, paused states re-told.
   */
  async catchUp(media: MediaSession, producers: readonly ProducerAnnouncement[], current: () => boolean): Promise<void> {
    const live = new Set(producers.map((p) => p.producerId));
    for (const pid of [...this.#known.keys()]) if (!live.has(pid)) this.forget(pid);
    await Promise.all(producers.map((a) => this.subscribe(media, a, current)));
    if (current()) for (const a of producers) this.paused(a.producerId, a.paused);
  }

  /** The session closed: everything received with it is gone (the caller tells the view). */
  clear(): void {
    this.#known.clear();
  }
}
