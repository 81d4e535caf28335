// Whether an appointment is over for good: ended by its clinician or
// cancelled by the clinic. Decided here only, so every check (links,
// sessions, sockets, media, the thread) refuses the same way.
import { AppError } from '../core/errors.ts';
import type { Appointment } from './model.ts';

/** Ended or cancelled: nobody may join, wait or talk in it any more. */
export const isClosed = (a: Pick<Appointment, 'status'>): boolean => a.status === 'ended' || a.status === 'cancelled';

/** What a step on a closed appointment answers (CONSULTATION_ENDED or APPOINTMENT_CANCELLED); null while it is open. */
export function closedError(a: Pick<Appointment, 'status'>): AppError | null {
  if (a.status === 'cancelled') return new AppError('APPOINTMENT_CANCELLED');
  if (a.status === 'ended') return new AppError('CONSULTATION_ENDED');
  return null;
}

/** Throws closedError(a) when the appointment is closed. */
export function requireOpen(a: Pick<Appointment, 'status'>): void {
  const e = closedError(a);
  if (e) throw e;
}

/** When it closed (endedAt or cancelledAt), if it has. */
export const closedAt = (a: Pick<Appointment, 'endedAt' | 'cancelledAt'>): string | undefined => a.endedAt ?? a.cancelledAt;
