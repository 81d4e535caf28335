// Which staff sockets on this node are watching a waiting area, and what they
// watch. A waiting patient's "your clinician knows you are here" is true
// while one of them would be alerted for their appointment (waiting-area.ts
// alertedFor): their clinician, or a coordinator of the clinic watching it.
// Other nodes' staff sockets are mirrored from their `staffWatch` events
// (keyed node/socket), and dropped with their node.
import { alertedFor, type AppointmentWhere, type StaffWho, type WaitingScope } from '../domain/waiting-area.ts';

export interface StaffWatch {
  session: StaffWho;
  scope: WaitingScope;
}

export class StaffPresence {
  readonly #watching = new Map<string, StaffWatch>();
  /** `${node}/${socketId}` -> what a staff socket on another node watches. */
  readonly #elsewhere = new Map<string, StaffWatch>();
  /** Told of every change here, for the other nodes. */
  onChange: ((socketId: string, w: StaffWatch | null) => void) | undefined;

  /** The socket now watches `scope` (replacing what it watched). */
  watch(socketId: string, w: StaffWatch): void {
    this.#watching.set(socketId, w);
    this.onChange?.(socketId, w);
  }

  /** The socket went (or stopped watching); harmless for one never seen. */
  unwatch(socketId: string): void {
    if (this.#watching.delete(socketId)) this.onChange?.(socketId, null);
  }

  /** Every staff socket here and what it watches (for a node that starts). */
  local(): [string, StaffWatch][] {
    return [...this.#watching];
  }

  /** Another node's staff socket began or stopped watching. */
  remote(node: string, socketId: string, w: StaffWatch | null): void {
    if (w) this.#elsewhere.set(`${node}/${socketId}`, w);
    else this.#elsewhere.delete(`${node}/${socketId}`);
  }

  /** A node died or left: its staff sockets watch nothing any more. */
  dropNode(node: string): void {
    for (const key of this.#elsewhere.keys()) if (key.startsWith(`${node}/`)) this.#elsewhere.delete(key);
  }

  get(socketId: string): StaffWatch | undefined {
    return this.#watching.get(socketId);
  }

  /** Whether anyone who would be alerted for this appointment is watching now. */
  aware = (a: AppointmentWhere): boolean => {
    for (const w of this.#watching.values()) if (alertedFor(w.session, w.scope, a)) return true;
    for (const w of this.#elsewhere.values()) if (alertedFor(w.session, w.scope, a)) return true;
    return false;
  };

  /** Staff sockets watching on this node. */
  get count(): number {
    return this.#watching.size;
  }
}
