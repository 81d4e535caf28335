import type { AppointmentId, ClinicId } from '../../core/ids.ts';
import type { Appointment } from '../../domain/model.ts';
import type { AppointmentStore } from '../../domain/stores.ts';
import { isoToMs, pickAppointmentMove, pickAppointmentPatch, ttlToMs, type AppointmentMove, type AppointmentPatch } from '../common.ts';
import { ExpiringMap } from './expiring-map.ts';
import { settle } from './settle.ts';

const compareIds = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function createMemoryAppointmentStore(now: () => number): AppointmentStore {
  const appointments = new ExpiringMap<AppointmentId, Appointment>(now);

  /** The appointments `belongs` picks, starting in [fromIso, toIso), in the Redis sorted set's order: by start time, then by id. */
  const startingIn = (belongs: (a: Appointment) => boolean, fromIso: string, toIso: string): Appointment[] => {
    const from = isoToMs(fromIso, 'fromIso');
    const to = isoToMs(toIso, 'toIso');
    const hits: { at: number; appointment: Appointment }[] = [];
    for (const appointment of appointments.values()) {
      if (!belongs(appointment)) continue;
      const at = Date.parse(appointment.startsAt);
      if (at >= from && at < to) hits.push({ at, appointment });
    }
    hits.sort((a, b) => a.at - b.at || compareIds(a.appointment.id, b.appointment.id));
    return hits.map((hit) => structuredClone(hit.appointment));
  };

  return {
    create: (appointment: Appointment, ttlSeconds: number) =>
      settle(() => {
        const ms = ttlToMs(ttlSeconds);
        isoToMs(appointment.startsAt, 'startsAt');
        appointments.set(appointment.id, structuredClone(appointment), ms);
      }),

    get: (id: AppointmentId) =>
      settle(() => {
        const found = appointments.get(id);
        return found === undefined ? null : structuredClone(found);
      }),

    update: (id: AppointmentId, patch: AppointmentPatch) =>
      settle(() => {
        const found = appointments.get(id);
        if (found === undefined) return null;
        const next: Appointment = { ...found, ...structuredClone(pickAppointmentPatch(patch)) };
        appointments.replace(id, next);
        return structuredClone(next);
      }),

    listForClinician: (clinicianId: string, fromIso: string, toIso: string) =>
      settle(() => startingIn((a) => a.clinician.id === clinicianId, fromIso, toIso)),

    listForClinic: (clinicId: ClinicId, fromIso: string, toIso: string) =>
      settle(() => startingIn((a) => a.clinicId === clinicId, fromIso, toIso)),

    move: (id: AppointmentId, patch: AppointmentMove, ttlSeconds: number) =>
      settle(() => {
        const ms = ttlToMs(ttlSeconds);
        const found = appointments.get(id);
        if (found === undefined) return null;
        const next: Appointment = { ...found, ...structuredClone(pickAppointmentMove(patch)) };
        appointments.set(id, next, ms);
        return structuredClone(next);
      }),
  };
}
