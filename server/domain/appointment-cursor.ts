// The opaque cursor of a page of appointments (GET /api/v1/appointments):
// where the previous page stopped, as the list is ordered (start time, then
// id). Opaque to callers; here it is base64url of "<startsAt ms>.<id>".
import { AppError } from '../core/errors.ts';
import { isId, type AppointmentId } from '../core/ids.ts';
import type { Appointment } from './model.ts';

export interface ListPosition {
  startsAtMs: number;
  id: AppointmentId;
}

export const positionOf = (a: Pick<Appointment, 'startsAt' | 'id'>): ListPosition => ({ startsAtMs: Date.parse(a.startsAt), id: a.id });

export const encodeCursor = (p: ListPosition): string => Buffer.from(`${String(p.startsAtMs)}.${p.id}`, 'utf8').toString('base64url');

export function decodeCursor(cursor: string): ListPosition {
  const m = /^(-?\d{1,16})\.(.+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  const startsAtMs = m ? Number(m[1]) : Number.NaN;
  if (!m || !Number.isSafeInteger(startsAtMs) || !isId<AppointmentId>(m[2])) {
    throw new AppError('BAD_REQUEST', 'That cursor is not one this list gave.', { details: [{ key: 'query.cursor', problem: 'not a cursor from this list' }] });
  }
  return { startsAtMs, id: m[2] };
}

/** Whether `a` comes after the position in the list's order. */
export const isAfter = (a: Pick<Appointment, 'startsAt' | 'id'>, p: ListPosition): boolean => {
  const at = Date.parse(a.startsAt);
  return at > p.startsAtMs || (at === p.startsAtMs && a.id > p.id);
};
