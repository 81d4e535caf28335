// Which staff sockets on this node are watching a waiting area, and what they
// watch. A waiting patient's "your clinician knows you are here" is true
// while one of them would be alerted for their appointment (waiting-area.ts
// alertedFor): their clinician, or a coordinator of the clinic watching it.
// In-process, like Presence: a later multi-node step moves it to the adapter.
import { alertedFor, type AppointmentWhere, type StaffWho, type WaitingScope } from '../domain/waiting-area.ts';

export interface StaffWatch {
  session: StaffWho;
  scope: WaitingScope;
}

export class StaffPresence {
  readonly #watching = new Map<string, StaffWatch>();

  /** The socket now watches `scope` (replacing what it watched). */
  watch(socketId: string, w: StaffWatch): void {
    this.#watching.set(socketId, w);
  }

  /** The socket went (or stopped watching); harmless for one never seen. */
  unwatch(socketId: string): void {
    this.#watching.delete(socketId);
  }

  get(socketId: string): StaffWatch | undefined {
    return this.#watching.get(socketId);
  }

  /** Whether anyone who would be alerted for this appointment is watching now. */
  aware = (a: AppointmentWhere): boolean => {
    for (const w of this.#watching.values()) if (alertedFor(w.session, w.scope, a)) return true;
    return false;
  };

  get count(): number {
    return this.#watching.size;
  }
}
