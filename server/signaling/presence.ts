// Which participants have a live socket on this node. The waiting list shows
// it ("connected"), and a participant's media is closed when their last
// socket goes. In-process: a later multi-node step moves it to the adapter.
export class Presence {
  readonly #sockets = new Map<string, Set<string>>();

  add(participantId: string, socketId: string): void {
    let set = this.#sockets.get(participantId);
    if (!set) this.#sockets.set(participantId, (set = new Set()));
    set.add(socketId);
  }

  /** Returns true when that was the participant's last socket. */
  remove(participantId: string, socketId: string): boolean {
    const set = this.#sockets.get(participantId);
    if (!set) return false;
    set.delete(socketId);
    if (set.size > 0) return false;
    this.#sockets.delete(participantId);
    return true;
  }

  isConnected = (participantId: string): boolean => (this.#sockets.get(participantId)?.size ?? 0) > 0;

  get count(): number {
    let n = 0;
    for (const s of this.#sockets.values()) n += s.size;
    return n;
  }
}
