// The node's live rooms, one per consultation, each created on the first
// media request of an admitted participant and closed when the consultation
// ends (or its worker dies, which the consultation layer is told about).
import { EventEmitter } from 'node:events';
import type { WorkerPool } from './worker-pool.ts';
import { Room } from './room.ts';

export type RoomRegistryEvents = {
  roomLost: [roomId: string, reason: string];
};

export class RoomRegistry extends EventEmitter<RoomRegistryEvents> {
  readonly #pool: WorkerPool;
  readonly #rooms = new Map<string, Room>();
  readonly #pending = new Map<string, Promise<Room>>();

  constructor(pool: WorkerPool) {
    super();
    this.#pool = pool;
  }

  get(id: string): Room | undefined {
    const r = this.#rooms.get(id);
    return r && !r.closed ? r : undefined;
  }

  /** The room for this consultation; concurrent first calls share one Router. */
  async open(id: string): Promise<Room> {
    const live = this.get(id);
    if (live) return live;
    const pending = this.#pending.get(id);
    if (pending) return pending;
    const p = this.#pool
      .createRouter({ roomId: id }, (reason) => {
        const room = this.#rooms.get(id);
        room?.close('worker-died');
        this.emit('roomLost', id, reason);
      })
      .then(({ router, webRtcServer }) => {
        const room = new Room(id, router, webRtcServer);
        this.#rooms.set(id, room);
        room.once('close', () => {
          if (this.#rooms.get(id) === room) this.#rooms.delete(id);
        });
        return room;
      })
      .finally(() => this.#pending.delete(id));
    this.#pending.set(id, p);
    return p;
  }

  close(id: string, reason: 'ended' | 'shutdown' = 'ended'): void {
    this.#rooms.get(id)?.close(reason);
  }

  all(): Room[] {
    return [...this.#rooms.values()].filter((r) => !r.closed);
  }

  closeAll(): void {
    for (const r of this.all()) r.close('shutdown');
  }
}
