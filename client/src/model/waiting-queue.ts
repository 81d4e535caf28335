// What the console makes of a waiting-area view: the clinician's own patients
// first, the queue of their appointments with someone waiting (the longest
// wait first: "End and next patient" opens its head), and how long the
// longest has waited. Pure functions over the pushed view; no DOM.
import type { WaitingEntry } from '../../../server/wire/staff-socket.ts';

/** One appointment of the clinician's with someone waiting. */
export interface QueuedAppointment {
  appointmentId: string;
  /** The patient's name (or the first person waiting, when only a guest is there). */
  name: string;
  /** When its longest waiter began to wait (ISO). */
  waitingSince: string;
}

const since = (e: WaitingEntry): number => Date.parse(e.waitingSince);

/** Own patients (their clinician is `me`) first, then the others; each group longest wait first. */
export function ownFirst(entries: readonly WaitingEntry[], me: string): WaitingEntry[] {
  const byWait = (a: WaitingEntry, b: WaitingEntry) => since(a) - since(b);
  return [...entries.filter((e) => e.clinicianId === me).sort(byWait), ...entries.filter((e) => e.clinicianId !== me).sort(byWait)];
}

/** `me`'s appointments with someone waiting, other than `except` (the one open), longest wait first. */
export function ownQueue(entries: readonly WaitingEntry[], me: string, except?: string | null): QueuedAppointment[] {
  const byAppointment = new Map<string, WaitingEntry[]>();
  for (const e of entries) {
    if (e.clinicianId !== me || e.appointmentId === except) continue;
    const list = byAppointment.get(e.appointmentId) ?? [];
    list.push(e);
    byAppointment.set(e.appointmentId, list);
  }
  const queue = [...byAppointment.values()].map((list) => {
    const first = list.reduce((a, b) => (since(b) < since(a) ? b : a));
    const patient = list.find((e) => e.role === 'patient') ?? first;
    return { appointmentId: first.appointmentId, name: patient.name, waitingSince: first.waitingSince };
  });
  return queue.sort((a, b) => Date.parse(a.waitingSince) - Date.parse(b.waitingSince));
}

/** How many appointments are in the queue and the longest wait, in whole minutes. */
export function queueSummary(queue: readonly QueuedAppointment[], now: number): { count: number; longestMinutes: number } {
  const head = queue[0];
  return { count: queue.length, longestMinutes: head ? Math.max(0, Math.floor((now - Date.parse(head.waitingSince)) / 60_000)) : 0 };
}

/** The number in the tab title: the people waiting for `me` (a coordinator who sees no patients of their own: everyone shown). */
export function waitingCount(entries: readonly WaitingEntry[], me: string, coordinatorOnly: boolean): number {
  return coordinatorOnly ? entries.length : entries.filter((e) => e.clinicianId === me).length;
}
