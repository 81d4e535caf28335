// The node's live rooms, one per consultation (or self-test), each created on
// the first media request and closed when the consultation ends (or its
// worker dies, which the consultation layer is told about).
//
// Opening takes a round trip to a worker, and the room may stop being wanted
// meanwhile (the consultation ends, the self-test page goes away, the node
// shuts down). A close() that finds the room still opening cancels that open:
// the Router is closed as soon as it exists and every caller waiting on it gets
// CONSULTATION_ENDED. The caller's stillWanted() is asked once more after the
// Router exists, for ends this node's close() never saw (an end that landed
// between the caller's own check and the open).
import { EventEmitter } from 'node:events';
import { AppError } from '../core/errors.ts';
import type { WorkerPool } from './worker-pool.ts';
import { Room, type RoomCloseReason, type RoomPurpose } from './room.ts';

export type RoomRegistryEvents = {
  roomLost: [roomId: string, reason: string];
  /** A participant's held media was closed at the end of its grace period. */
  peerExpired: [roomId: string, participantId: string];
  /** A room closed, for whatever reason (its Router is gone). */
  roomClosed: [roomId: string, purpose: RoomPurpose];
};

export interface RoomRegistryOptions {
  /** How long a participant's media is held after their last connection goes. */
  peerGraceMs?: number;
  /** True while the node drains for shutdown: rooms already open go on, no new one opens. */
  draining?: () => boolean;
}

export interface OpenOptions {
  /** What the room is for; only consultations count as live consultations. */
  purpose?: RoomPurpose;
  /** Asked after the Router exists; false closes it and refuses the open. */
  stillWanted?: () => boolean | Promise<boolean>;
}

interface Opening {
  promise: Promise<Room>;
  cancelled: boolean;
}

const ended = () => new AppError('CONSULTATION_ENDED');

export class RoomRegistry extends EventEmitter<RoomRegistryEvents> {
  readonly #pool: WorkerPool;
  readonly #rooms = new Map<string, Room>();
  readonly #opening = new Map<string, Opening>();
  readonly #options: RoomRegistryOptions;
  #shutDown = false;

  constructor(pool: WorkerPool, options: RoomRegistryOptions = {}) {
    super();
    this.#pool = pool;
    this.#options = options;
  }

  get(id: string): Room | undefined {
    const r = this.#rooms.get(id);
    return r && !r.closed ? r : undefined;
  }

  /** The room for this id; concurrent first calls share one Router. */
  async open(id: string, o: OpenOptions = {}): Promise<Room> {
    if (this.#shutDown) throw new AppError('SHUTTING_DOWN');
    const live = this.get(id);
    if (live) return live;
    const pending = this.#opening.get(id);
    if (pending) return pending.promise;
    // Draining: calls in progress go on, none starts (retryable: the page reconnects to the next process).
    if (this.#options.draining?.()) throw new AppError('SHUTTING_DOWN');
    const opening: Opening = { promise: this.#create(id, o, () => opening.cancelled), cancelled: false };
    this.#opening.set(id, opening);
    const forget = () => {
      if (this.#opening.get(id) === opening) this.#opening.delete(id);
    };
    opening.promise.then(forget, forget);
    return opening.promise;
  }

  async #create(id: string, o: OpenOptions, cancelled: () => boolean): Promise<Room> {
    const made: { room?: Room } = {};
    const { router, webRtcServer } = await this.#pool.createRouter({ roomId: id }, (reason) => {
      if (!made.room) return; // still opening: the closed Router is noticed below
      made.room.close('worker-died');
      this.emit('roomLost', id, reason);
    });
    let wanted: boolean;
    try {
      // cancelled() is asked again after the await: a close() may have come while stillWanted() ran.
      wanted = !cancelled() && (o.stillWanted ? await o.stillWanted() : true) && !cancelled();
    } catch (e) {
      router.close();
      throw e;
    }
    if (!wanted) {
      router.close();
      throw ended();
    }
    if (router.closed) throw new AppError('MEDIA_ERROR', 'The media server restarted; please try again.');
    const room = new Room(id, router, webRtcServer, o.purpose ?? 'consultation', this.#options.peerGraceMs);
    made.room = room;
    this.#rooms.set(id, room);
    room.on('peerExpired', (participantId) => this.emit('peerExpired', id, participantId));
    room.once('close', () => {
      if (this.#rooms.get(id) === room) this.#rooms.delete(id);
      this.emit('roomClosed', id, room.purpose);
    });
    return room;
  }

  /** Closes the room, or cancels it if it is still opening (its Router is closed once made). */
  close(id: string, reason: Exclude<RoomCloseReason, 'worker-died'> = 'ended'): void {
    const opening = this.#opening.get(id);
    if (opening) {
      opening.cancelled = true;
      this.#opening.delete(id);
    }
    this.#rooms.get(id)?.close(reason);
  }

  all(): Room[] {
    return [...this.#rooms.values()].filter((r) => !r.closed);
  }

  /** Live consultations on this node: open rooms for a consultation (not self-tests, not still opening). */
  consultations(): Room[] {
    return this.all().filter((r) => r.purpose === 'consultation');
  }

  /** For shutdown: closes every room, cancels every open in flight, and refuses new ones. */
  closeAll(): void {
    this.#shutDown = true;
    for (const id of [...this.#opening.keys()]) this.close(id, 'shutdown');
    for (const r of this.all()) r.close('shutdown');
  }
}
