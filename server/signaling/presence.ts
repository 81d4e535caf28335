// Which participants have a live socket, here and on the other nodes, and
// from which client addresses here. The waiting list shows it ("connected"),
// a participant's media is held for its grace period when their last socket
// anywhere goes, and the handshake refuses a socket over the per-participant
// and per-address caps (counted per node: a bound on this node's memory).
// Other nodes' participants are a mirror fed by their `presence` events and,
// at start, their ledgers (cluster-presence.ts); a dead node's are dropped.
// Most keys hold one member (one socket per participant, per address; one
// patient per appointment), so one member is kept as the string itself and a
// Set is made only for a second: thousands of waiting sockets, no Set each.

/** One member, or a Set of two or more. */
type Members = string | Set<string>;

const sizeOf = (m: Members | undefined): number => (m === undefined ? 0 : typeof m === 'string' ? 1 : m.size);

function addMember(map: Map<string, Members>, key: string, member: string): void {
  const m = map.get(key);
  if (m === undefined) map.set(key, member);
  else if (typeof m !== 'string') m.add(member);
  else if (m !== member) map.set(key, new Set([m, member]));
}

/** Whether `member` was there; the key goes with its last member. */
function removeMember(map: Map<string, Members>, key: string, member: string): boolean {
  const m = map.get(key);
  if (m === undefined) return false;
  if (typeof m === 'string') {
    if (m !== member) return false;
    map.delete(key);
    return true;
  }
  if (!m.delete(member)) return false;
  if (m.size === 1) map.set(key, m.values().next().value as string);
  else if (m.size === 0) map.delete(key);
  return true;
}

export class Presence {
  readonly #sockets = new Map<string, Members>();
  readonly #byAddress = new Map<string, Members>();
  readonly #appointmentOf = new Map<string, string>();
  readonly #inAppointment = new Map<string, Members>();
  /** participant id -> the other nodes where they have a socket (node id -> appointment id). */
  readonly #elsewhere = new Map<string, Map<string, string>>();

  /** Counts this socket for its participant (of that appointment) and its address; true when it is their first here. */
  add(participantId: string, socketId: string, appointmentId?: string, address?: string): boolean {
    const first = sizeOf(this.#sockets.get(participantId)) === 0;
    addMember(this.#sockets, participantId, socketId);
    if (appointmentId !== undefined && !this.#appointmentOf.has(participantId)) {
      this.#appointmentOf.set(participantId, appointmentId);
      addMember(this.#inAppointment, appointmentId, participantId);
    }
    if (address !== undefined) addMember(this.#byAddress, address, socketId);
    return first;
  }

  /** Returns true when that was the participant's last socket. Removing an unknown socket is harmless. */
  remove(participantId: string, socketId: string, address?: string): boolean {
    if (address !== undefined) removeMember(this.#byAddress, address, socketId);
    if (!removeMember(this.#sockets, participantId, socketId)) return false;
    if (this.#sockets.has(participantId)) return false;
    const appointmentId = this.#appointmentOf.get(participantId);
    if (appointmentId !== undefined) {
      this.#appointmentOf.delete(participantId);
      removeMember(this.#inAppointment, appointmentId, participantId);
    }
    return true;
  }

  /** A socket here or on another live node. */
  isConnected = (participantId: string): boolean => this.isConnectedHere(participantId) || (this.#elsewhere.get(participantId)?.size ?? 0) > 0;

  /** A socket on another live node. */
  isConnectedElsewhere = (participantId: string): boolean => (this.#elsewhere.get(participantId)?.size ?? 0) > 0;

  isConnectedHere = (participantId: string): boolean => this.#sockets.has(participantId);

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
    return sizeOf(this.#sockets.get(participantId));
  }

  /** Open sockets from this client address on this node. */
  socketsFrom(address: string): number {
    return sizeOf(this.#byAddress.get(address));
  }

  /** The participants of this appointment with a socket on this node (the ones this node pushes views to). */
  participantsIn(appointmentId: string): string[] {
    const there = this.#inAppointment.get(appointmentId);
    return there === undefined ? [] : typeof there === 'string' ? [there] : [...there];
  }

  /** Open sockets on this node. */
  get count(): number {
    let n = 0;
    for (const s of this.#sockets.values()) n += sizeOf(s);
    return n;
  }
}
