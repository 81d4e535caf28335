// Checks and conversions both store implementations share, so that they
// refuse the same inputs and read the same patch.
import type { Appointment, Clinic } from '../domain/model.ts';

export type AppointmentPatch = Partial<Pick<Appointment, 'status' | 'locked' | 'endedAt' | 'cancelledAt' | 'deliveries'>>;
export type AppointmentMove = Partial<Pick<Appointment, 'clinician' | 'startsAt' | 'durationMinutes'>>;

/** A TTL in whole milliseconds; a TTL that is not a positive number is a programming error. */
export function ttlToMs(ttlSeconds: number): number {
  if (typeof ttlSeconds !== 'number' || !Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
    throw new RangeError(`ttlSeconds must be a positive number, got ${String(ttlSeconds)}`);
  }
  return Math.max(1, Math.ceil(ttlSeconds * 1000));
}

/** Epoch milliseconds of an ISO 8601 time; an unparseable time is a programming error. */
export function isoToMs(iso: string, what: string): number {
  const ms = typeof iso === 'string' ? Date.parse(iso) : Number.NaN;
  if (Number.isNaN(ms)) throw new RangeError(`${what} is not a valid ISO 8601 time`);
  return ms;
}

/** Only the fields an appointment update may change; undefined values are left out. */
export function pickAppointmentPatch(patch: AppointmentPatch): AppointmentPatch {
  const out: AppointmentPatch = {};
  if (patch.status !== undefined) out.status = patch.status;
  if (patch.locked !== undefined) out.locked = patch.locked;
  if (patch.endedAt !== undefined) out.endedAt = patch.endedAt;
  if (patch.cancelledAt !== undefined) out.cancelledAt = patch.cancelledAt;
  if (patch.deliveries !== undefined) out.deliveries = patch.deliveries;
  return out;
}

/** Only the fields a move may change (AppointmentStore.move); a start that is not a time is a programming error. */
export function pickAppointmentMove(patch: AppointmentMove): AppointmentMove {
  const out: AppointmentMove = {};
  if (patch.clinician !== undefined) out.clinician = { id: patch.clinician.id, name: patch.clinician.name };
  if (patch.startsAt !== undefined) {
    isoToMs(patch.startsAt, 'startsAt');
    out.startsAt = patch.startsAt;
  }
  if (patch.durationMinutes !== undefined) out.durationMinutes = patch.durationMinutes;
  return out;
}

/** Oldest first by createdAt (ISO 8601 UTC strings sort as times), then by id, the same order in both stores. */
export function byCreatedAt(a: { id: string; createdAt: string }, b: { id: string; createdAt: string }): number {
  const at = isoToMs(a.createdAt, 'createdAt') - isoToMs(b.createdAt, 'createdAt');
  if (at !== 0) return at;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Ascending by a string field (ids, user ids), by code unit: the order Redis sorts in too. */
export const byField =
  <K extends string>(field: K) =>
  (a: Record<K, string>, b: Record<K, string>): number =>
    a[field] < b[field] ? -1 : a[field] > b[field] ? 1 : 0;

/** A clinic as read back: records stored before clinics had settings read as having none. */
export const withSettings = (clinic: Clinic): Clinic => ({ ...clinic, settings: { ...clinic.settings } });
