// Which participants have a live socket, here and on the other nodes, and
// from which client addresses here. The waiting list shows it ("connected"),
// a participant's media is held for its grace period when their last socket
// anywhere goes, and the handshake refuses a socket over the per-participant
// and per-address caps (counted per node: a bound on this node's memory).
// Other nodes' participants are a mirror fed by their `presence` events and,
// at start, their ledgers (cluster-presence.ts); a dead node's are dropped.
export class Presence {
  readonly #sockets = new Map<string, Set<string>>();
  readonly #byAddress = new Map<string, Set<string>>();
  readonly #appointmentOf = new Map<string, string>();
  readonly #inAppointment = new Map<string, Set<string>>();
  /** participant id -> the other nodes where they have a socket (node id -> appointment id). */
  readonly #elsewhere = new Map<string, Map<string, string>>();

  /** Counts this socket for its participant (of that appointment) and its address; true when it is their first here. */
  add(participantId: string, socketId: string, appointmentId?: string, address?: string): boolean {
    let set = this.#sockets.get(participantId);
    const first = !set || set.size === 0;
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
    return first;
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

  /** A socket here or on another live node. */
  isConnected = (participantId: string): boolean => this.isConnectedHere(participantId) || (this.#elsewhere.get(participantId)?.size ?? 0) > 0;

  /** A socket on another live node. */
  isConnectedElsewhere = (participantId: string): boolean => (this.#elsewhere.get(participantId)?.size ?? 0) > 0;

  isConnectedHere = (participantId: string): boolean => (this.#sockets.get(participantId)?.size ?? 0) > 0;

  /** Another node says this participant's first socket there came (up) or its last went. */
  remote(node: string, appointmentId: string, participantId: string, up: boolean): void {
    let nodes = this.#elsewhere.get(participantId);
    if (up) {
      if (!nodes) this.#elsewhere.set(participantId, (nodes = new Map<string, string>()));
      nodes.set(node, appointmentId);
      return;
    }
    nodes?.delete(node);
    if (nodes?.size === 0) this.#elsewhere.delete(participantId);
  }

  /** A node died or left: forgets its participants; returns who they were. */
  dropNode(node: string): { appointmentId: string; participantId: string }[] {
    const gone: { appointmentId: string; participantId: string }[] = [];
    for (const [participantId, nodes] of this.#elsewhere) {
      const appointmentId = nodes.get(node);
      if (appointmentId === undefined) continue;
      nodes.delete(node);
      if (nodes.size === 0) this.#elsewhere.delete(participantId);
      gone.push({ appointmentId, participantId });
    }
    return gone;
  }

  /** Open sockets of this participant on this node. */
  socketsOf(participantId: string): number {
    return this.#sockets.get(participantId)?.size ?? 0;
  }

  /** Open sockets from this client address on this node. */
  socketsFrom(address: string): number {
    return this.#byAddress.get(address)?.size ?? 0;
  }

  /** The participants of this appointment with a socket on this node (the ones this node pushes views to). */
  participantsIn(appointmentId: string): string[] {
    return [...(this.#inAppointment.get(appointmentId) ?? [])];
  }

  /** Open sockets on this node. */
  get count(): number {
    let n = 0;
    for (const s of this.#sockets.values()) n += s.size;
    return n;
  }
}
