// The grace period of a room's peers: when a participant's last connection
// goes, their media is kept for a while so their next connection (a reload, a
// network switch, a restart of the signalling) can take it over. One timer per
// participant; at expiry the room decides whether to keep the peer a while
// longer (its media still flows) or close it. clear() drops every timer (the
// room closed), so nothing outlives the room.
export type GraceVerdict = 'keep' | 'closed';

export class PeerGrace {
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #graceMs: number;
  readonly #onExpiry: (participantId: string) => GraceVerdict;

  constructor(graceMs: number, onExpiry: (participantId: string) => GraceVerdict) {
    this.#graceMs = graceMs;
    this.#onExpiry = onExpiry;
  }

  /** Starts this participant's grace period (a second hold keeps the first one's deadline). */
  hold(participantId: string): void {
    if (this.#timers.has(participantId)) return;
    this.#arm(participantId);
  }

  /** Ends it without closing anything (they are back, or their peer closed). True when one was running. */
  release(participantId: string): boolean {
    const t = this.#timers.get(participantId);
    if (t === undefined) return false;
    clearTimeout(t);
    this.#timers.delete(participantId);
    return true;
  }

  isHeld(participantId: string): boolean {
    return this.#timers.has(participantId);
  }

  get size(): number {
    return this.#timers.size;
  }

  clear(): void {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
  }

  #arm(participantId: string): void {
    this.#timers.set(
      participantId,
      setTimeout(() => {
        this.#timers.delete(participantId);
        if (this.#onExpiry(participantId) === 'keep') this.#arm(participantId);
      }, this.#graceMs),
    );
  }
}
