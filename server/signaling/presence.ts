// Which participants have a live socket on this node, and from which client
// addresses. The waiting list shows it ("connected"), a participant's media is
// held for its grace period when their last socket goes, and the handshake
// refuses a socket over the per-participant and per-address caps. In-process: a later multi-node
// step moves it to the adapter.
export class Presence {
  readonly #sockets = new Map<string, Set<string>>();
  readonly #byAddress = new Map<string, Set<string>>();
  readonly #appointmentOf = new Map<string, string>();
  readonly #inAppointment = new Map<string, Set<string>>();

  /** Counts this socket for its participant (of that appointment) and its address. */
  add(participantId: string, socketId: string, appointmentId?: string, address?: string): void {
    let set = this.#sockets.get(participantId);
    if (!set) this.#sockets.set(participantId, (set = new Set()));
    set.add(socketId);
    if (appointmentId !== undefined && !this.#appointmentOf.has(participantId)) {
      this.#appointmentOf.set(participantId, appointmentId);
      let there = this.#inAppointment.get(appointmentId);
      if (!there) this.#inAppointment.set(appointmentId, (there = new Set()));
      there.add(participantId);
    }
    if (address !== undefined) {
      let from = this.#byAddress.get(address);
      if (!from) this.#byAddress.set(address, (from = new Set()));
      from.add(socketId);
    }
  }

  /** Returns true when that was the participant's last socket. Removing an unknown socket is harmless. */
  remove(participantId: string, socketId: string, address?: string): boolean {
    if (address !== undefined) {
      const from = this.#byAddress.get(address);
      from?.delete(socketId);
      if (from?.size === 0) this.#byAddress.delete(address);
    }
    const set = this.#sockets.get(participantId);
    if (!set?.delete(socketId)) return false;
    if (set.size > 0) return false;
    this.#sockets.delete(participantId);
    const appointmentId = this.#appointmentOf.get(participantId);
    if (appointmentId !== undefined) {
      this.#appointmentOf.delete(participantId);
      const there = this.#inAppointment.get(appointmentId);
      there?.delete(participantId);
      if (there?.size === 0) this.#inAppointment.delete(appointmentId);
    }
    return true;
  }

  isConnected = (participantId: string): boolean => (this.#sockets.get(participantId)?.size ?? 0) > 0;

  /** Open sockets of this participant on this node. */
  socketsOf(participantId: string): number {
    return this.#sockets.get(participantId)?.size ?? 0;
  }

  /** Open sockets from this client address on this node. */
  socketsFrom(address: string): number {
    return this.#byAddress.get(address)?.size ?? 0;
  }

  /** The participants of this appointment with a socket on this node. */
  participantsIn(appointmentId: string): string[] {
    return [...(this.#inAppointment.get(appointmentId) ?? [])];
  }

  get count(): number {
    let n = 0;
    for (const s of this.#sockets.values()) n += s.size;
    return n;
  }
}
