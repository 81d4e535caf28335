// Going to the identity provider and back. A console link's ticket that
// arrived before the sign-in is kept in this tab's sessionStorage (never in a
// URL the provider sees), posted once on the way back, and dropped. A
// timestamp of the last trip stops a loop: if the page comes back still
// without a session, it asks the person instead of sending them again.
import { signInUrl } from '../../net/api.ts';

const TICKET_KEY = 'consultroom.console.ticket';
const TRIP_KEY = 'consultroom.console.signInAt';
/** Back within this of leaving for the provider, and still no session: do not go round again by ourselves. */
const LOOP_WINDOW_MS = 60_000;

export interface KeptTicket {
  token: string;
  appointmentId: string | null;
}

function storage(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null; // storage blocked: the ticket is lost, the sign-in still works
  }
}

/** Takes the kept ticket (it is gone from storage afterwards: it is posted at most once). */
export function takeKeptTicket(): KeptTicket | null {
  const s = storage();
  const raw = s?.getItem(TICKET_KEY) ?? null;
  s?.removeItem(TICKET_KEY);
  if (!raw) return null;
  try {
    const v = JSON.parse(raw) as Partial<KeptTicket>;
    return typeof v.token === 'string' && v.token ? { token: v.token, appointmentId: typeof v.appointmentId === 'string' ? v.appointmentId : null } : null;
  } catch {
    return null;
  }
}

/** True when the page went to sign in moments ago (so a second trip would be a loop). */
export function justTriedSignIn(now = Date.now()): boolean {
  const at = Number(storage()?.getItem(TRIP_KEY) ?? 0);
  return now - at < LOOP_WINDOW_MS;
}

/** Signed in: the next SIGN_IN_REQUIRED may send the person to sign in again by itself. */
export function signInDone(): void {
  storage()?.removeItem(TRIP_KEY);
}

/** To the provider, back to this page (its path and query; the fragment is already gone), keeping a ticket if there is one. */
export function goToSignIn(ticket: KeptTicket | null): void {
  const s = storage();
  if (ticket) s?.setItem(TICKET_KEY, JSON.stringify(ticket));
  s?.setItem(TRIP_KEY, String(Date.now()));
  location.assign(signInUrl(location.pathname + location.search));
}
